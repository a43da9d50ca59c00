package levels

import (
	"fmt"
	"sync"

	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/strict"
)

// Loader turns torrents and magnet links into Security values. It keeps
// the Strict secrets that magnet links carried, so that the info dict
// fetched later over BEP 9 (which never holds the secret) can be checked
// against them.
type Loader struct {
	// Identity is this peer's Full Strict certificate (nil: none).
	Identity *fullstrict.Identity

	mu       sync.Mutex
	secrets  map[[20]byte]strict.Material // infohash → magnet's epoch and secret (no commit yet)
	announce map[[20]byte][20]byte        // infohash → Strict swarm key
}

// AnnounceKey is what to send trackers as info_hash for the torrent with
// this infohash: its Strict swarm key once Security or MagnetSecurity has
// seen it as Strict, else the infohash itself.
func (l *Loader) AnnounceKey(infoHash [20]byte) [20]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k, ok := l.announce[infoHash]; ok {
		return k
	}
	return infoHash
}

func (l *Loader) remember(infoHash [20]byte, s *Security) {
	if s == nil || s.AnnounceHash == ([20]byte{}) {
		return
	}
	l.mu.Lock()
	if l.announce == nil {
		l.announce = map[[20]byte][20]byte{}
	}
	l.announce[infoHash] = s.AnnounceHash
	l.mu.Unlock()
}

// Security is the peer's TorrentSecurity hook: the level of a torrent
// whose metadata is known (from a .torrent file, or from BEP 9 after a
// magnet link).
func (l *Loader) Security(m *meta.Torrent) (any, error) {
	if m.Raw == nil {
		l.mu.Lock()
		mat, ok := l.secrets[m.InfoHash]
		l.mu.Unlock()
		if ok {
			commit, err := strict.Commit(m.InfoBytes)
			if err != nil {
				return nil, fmt.Errorf("bttls: %s: the magnet link carried a strict secret but the info dict is not strict: %w", m.Name, err)
			}
			mat.Commit = commit
			if err := mat.Check(); err != nil {
				return nil, fmt.Errorf("bttls: %s: the magnet link's secret: %w", m.Name, err)
			}
			s := StrictSecurity(&mat)
			l.remember(m.InfoHash, s)
			return s, nil
		}
	}
	s, err := SecurityFor(m, l.Identity)
	if err != nil {
		return nil, err
	}
	l.remember(m.InfoHash, s)
	return s, nil
}

// MagnetSecurity is the level of a magnet link before its metadata is
// known: Strict when it carries x.bttls-s (proof key and announce key come
// from the secret alone; the commitment is checked when the info dict
// arrives), else nil (Basic, keyed on the infohash, needs nothing).
func (l *Loader) MagnetSecurity(mg meta.Magnet) (any, error) {
	vals := mg.Params[strict.MagnetParam]
	if len(vals) == 0 {
		return nil, nil
	}
	if len(vals) > 1 {
		return nil, fmt.Errorf("bttls: magnet link has %d %s parameters, want one", len(vals), strict.MagnetParam)
	}
	epoch, secret, err := strict.ParseMagnetValue(vals[0])
	if err != nil {
		return nil, err
	}
	mat := strict.Material{Epoch: epoch, Secret: secret}
	l.mu.Lock()
	if l.secrets == nil {
		l.secrets = map[[20]byte]strict.Material{}
	}
	l.secrets[mg.InfoHash] = mat
	l.mu.Unlock()
	s := StrictSecurity(&mat)
	l.remember(mg.InfoHash, s)
	return s, nil
}
