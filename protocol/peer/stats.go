package peer

import (
	"github.com/bttls/bttls/protocol/transport"
)

// Traffic is payload bytes (piece data) moved.
type Traffic struct {
	Down, Up int64
}

// Stats is a snapshot of a torrent's progress.
type Stats struct {
	// NumPieces is 0 until the metadata is known.
	NumPieces int
	Have      int
	Length    int64
	// Downloaded and Uploaded count piece payload, duplicates included.
	Downloaded int64
	Uploaded   int64
	// ByKind splits the traffic by what carried it (plain, MSE, TLS levels).
	ByKind map[transport.Kind]Traffic
	// ByPeer splits it by remote peer id, over the torrent's life.
	ByPeer map[[20]byte]Traffic
	// Wasted counts piece payload received but not needed: duplicates
	// from endgame, blocks nobody asked for.
	Wasted int64
	// HashFailures counts pieces that failed their SHA-1 check.
	HashFailures int
	// Conns is the number of open connections.
	Conns int
}

// Stats returns a snapshot of the torrent's progress and traffic.
func (t *Torrent) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.ByKind = make(map[transport.Kind]Traffic, len(t.stats.ByKind))
	for k, v := range t.stats.ByKind {
		s.ByKind[k] = v
	}
	s.ByPeer = make(map[[20]byte]Traffic, len(t.stats.ByPeer))
	for k, v := range t.stats.ByPeer {
		s.ByPeer[k] = v
	}
	s.Conns = len(t.conns)
	return s
}

func (t *Torrent) countLocked(k transport.Kind, peerID [20]byte, down, up int64) {
	t.stats.Downloaded += down
	t.stats.Uploaded += up
	bk := t.stats.ByKind[k]
	bk.Down += down
	bk.Up += up
	t.stats.ByKind[k] = bk
	bp := t.stats.ByPeer[peerID]
	bp.Down += down
	bp.Up += up
	t.stats.ByPeer[peerID] = bp
}
