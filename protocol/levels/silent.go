package levels

import (
	"sync"
	"time"
)

// silentTTL is how long an address that answered neither TLS nor MSE may
// be retried in plaintext after a TLS attempt.
const silentTTL = time.Hour

// maxSilent bounds the addresses remembered; the oldest go first.
const maxSilent = 4096

// silentSet remembers addresses that closed on a ClientHello and then on
// an MSE opening without sending a byte: a client with encryption
// disabled, or a bttls or legacy peer refusing connections while it is
// flooded with handshakes (protocol/peer's accept loop). A legacy attempt
// that follows a TLS attempt retries in plaintext only to an address
// already found silent on an earlier Connect: the first time, a plaintext
// BEP 3 handshake could show a busy bttls peer (and the path) the
// infohash; a peer silent again on a later Connect, when it most likely
// had room, is taken for a plaintext-only client. The TLS attempt still
// comes first, so a bttls peer with room again is reached over TLS, not
// downgraded. A note only allows that retry: it never forbids TLS.
type silentSet struct {
	mu    sync.Mutex
	until map[string]time.Time
	order []string // insertion order, for eviction without map iteration
}

func newSilentSet() *silentSet { return &silentSet{until: map[string]time.Time{}} }

// has reports whether addr was found silent and the note has not expired.
func (s *silentSet) has(addr string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.until[addr]
	return ok && now.Before(u)
}

// add notes addr as silent at now.
func (s *silentSet) add(addr string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.until[addr]; !ok {
		s.order = append(s.order, addr)
	}
	s.until[addr] = now.Add(silentTTL)
	for len(s.order) > maxSilent {
		delete(s.until, s.order[0])
		s.order = s.order[1:]
	}
}

// forget drops addr: it answered.
func (s *silentSet) forget(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.until[addr]; !ok {
		return
	}
	delete(s.until, addr)
	for i, a := range s.order {
		if a == addr {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}
