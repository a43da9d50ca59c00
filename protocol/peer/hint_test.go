package peer

import (
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/transport"
)

// kindTransport is plaintext on the wire that reports a chosen kind, and
// records the hint each dial was given.
type kindTransport struct {
	PlainTransport
	kind transport.Kind

	mu    sync.Mutex
	hints map[string]transport.Hint
}

func (k *kindTransport) Connect(e env.Env, addr string, t *transport.Torrent, h transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	k.mu.Lock()
	k.hints[addr] = h
	k.mu.Unlock()
	c, err := k.PlainTransport.Connect(e, addr, t, h, timeout)
	if err == nil {
		c.Kind = k.kind
	}
	return c, err
}

func (k *kindTransport) Accept(e env.Env, c net.Conn, r transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	tc, err := k.PlainTransport.Accept(e, c, r, timeout)
	if err == nil {
		tc.Kind = k.kind
	}
	return tc, err
}

func (k *kindTransport) hint(addr string) (transport.Hint, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.hints[addr]
	return h, ok
}

// TestPEXCarriesTLSHint: a peer learned by PEX from a sender that reached it
// over TLS is dialled with Hint.TLS (BEP 11 flag 0x20); over a legacy
// transport the flag is not set.
func TestPEXCarriesTLSHint(t *testing.T) {
	for _, tc := range []struct {
		kind transport.Kind
		want bool
	}{{transport.TLSBasic, true}, {transport.MSE, false}} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			tor, data := makeTorrent(t, 2<<20, 32<<10)
			newPeer := func(rate int64) (*Client, *Torrent, *kindTransport) {
				kt := &kindTransport{kind: tc.kind, hints: map[string]transport.Hint{}}
				cfg := fastConfig()
				cfg.Dialer, cfg.Acceptor, cfg.UploadRate = kt, kt, rate
				c := newClient(t, cfg)
				var content []byte
				if rate > 0 {
					content = data
				}
				st, _ := storage.NewMemory(tor, content)
				tr, err := c.AddTorrent(tor, st)
				if err != nil {
					t.Fatal(err)
				}
				return c, tr, kt
			}
			seed, _, _ := newPeer(1 << 20)
			a, at, akt := newPeer(0)
			b, bt, bkt := newPeer(0)
			// A and B know only the seed; each can learn of the other only
			// by PEX from it. Whichever dials the other shows the hint.
			bt.AddPeers(seed.Addr().String())
			at.AddPeers(seed.Addr().String())
			deadline := time.Now().Add(10 * time.Second)
			for {
				h, ok := akt.hint(b.Addr().String())
				if !ok {
					h, ok = bkt.hint(a.Addr().String())
				}
				if ok {
					if h.TLS != tc.want {
						t.Fatalf("a leecher dialled the other with %+v, want TLS=%v", h, tc.want)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("neither leecher dialled the other, whom it could only learn of by PEX")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// writeLog is a conn that records the size of each Write.
type writeLog struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (w *writeLog) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, append([]byte(nil), b...))
	w.mu.Unlock()
	return w.Conn.Write(b)
}

type loggingAcceptor struct {
	PlainTransport
	mu   sync.Mutex
	logs []*writeLog
}

func (l *loggingAcceptor) Accept(e env.Env, c net.Conn, r transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	w := &writeLog{Conn: c}
	l.mu.Lock()
	l.logs = append(l.logs, w)
	l.mu.Unlock()
	return &transport.Conn{Conn: w, Kind: transport.Plain}, nil
}

// TestResponderOpeningIsOneWrite: the responder's BEP 3 handshake leaves
// in the same write as its extension handshake and bitfield (one TLS
// record under a TLS level), not as a burst of small writes.
func TestResponderOpeningIsOneWrite(t *testing.T) {
	la := &loggingAcceptor{}
	cfg := fastConfig()
	cfg.Acceptor = la
	seedThenDownload(t, 1<<20, cfg)
	la.mu.Lock()
	defer la.mu.Unlock()
	if len(la.logs) == 0 {
		t.Fatal("the seed accepted no connection")
	}
	w := la.logs[0]
	w.mu.Lock()
	defer w.mu.Unlock()
	first := w.writes[0]
	const handshakeLen = 68
	if len(first) <= handshakeLen || first[0] != 19 || string(first[1:20]) != "BitTorrent protocol" {
		t.Fatalf("first write is %d bytes starting %q; want the handshake followed by more messages", len(first), first[:min(len(first), 20)])
	}
	// The extension handshake (message 20) and the piece set (bitfield 5,
	// have-all 14 or have-none 15) follow in the same write.
	rest := first[handshakeLen:]
	var types []byte
	for len(rest) >= 5 {
		n := int(rest[0])<<24 | int(rest[1])<<16 | int(rest[2])<<8 | int(rest[3])
		if n == 0 || 4+n > len(rest) {
			break
		}
		types = append(types, rest[4])
		rest = rest[4+n:]
	}
	if !slices.Contains(types, 20) || !slices.ContainsFunc(types, func(b byte) bool { return b == 5 || b == 14 || b == 15 }) {
		t.Fatalf("messages after the handshake in the first write: %v; want the extension handshake and the piece set", types)
	}
}

// TestExtHandshakeTLSKey: a peer that advertises bttls in its BEP 10
// handshake ("tls": 1) over a legacy transport is marked to be dialled with
// TLS first next time; one that does not, is not.
func TestExtHandshakeTLSKey(t *testing.T) {
	for _, advertise := range []bool{true, false} {
		cfg := fastConfig()
		cfg.Dialer, cfg.Acceptor = &kindTransport{kind: transport.MSE, hints: map[string]transport.Hint{}}, &kindTransport{kind: transport.MSE}
		cfg.AdvertiseTLS = advertise
		seed, lt := seedThenDownload(t, 256<<10, cfg)
		lt.mu.Lock()
		var hint transport.Hint
		for _, cd := range lt.cands {
			if cd.addr == seed.Addr().String() {
				hint = cd.hint
			}
		}
		lt.mu.Unlock()
		if hint.TLS != advertise {
			t.Errorf("seed advertises tls=%v: the downloader's hint for it is %+v", advertise, hint)
		}
	}
}

// seedThenDownload starts a seed of a fresh size-byte torrent with seedCfg
// and a downloader (default config) that knows only the seed, and waits
// for the download to complete.
func seedThenDownload(t *testing.T, size int, seedCfg Config) (*Client, *Torrent) {
	t.Helper()
	tor, data := makeTorrent(t, size, 32<<10)
	seed := newClient(t, seedCfg)
	ss, _ := storage.NewMemory(tor, data)
	if _, err := seed.AddTorrent(tor, ss); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, fastConfig())
	st, _ := storage.NewMemory(tor, nil)
	lt, err := c.AddTorrent(tor, st)
	if err != nil {
		t.Fatal(err)
	}
	lt.AddPeers(seed.Addr().String())
	waitComplete(t, 20*time.Second, lt)
	return seed, lt
}
