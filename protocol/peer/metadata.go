package peer

import (
	"crypto/sha1"
	"fmt"
	"time"

	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/wire"
)

// metadataFetch assembles the info dict of a magnet link's torrent (BEP 9).
type metadataFetch struct {
	size   int
	buf    []byte
	have   []bool
	nHave  int
	asked  []time.Time
	failed int
}

// metadataRetry is how long a metadata piece request may go unanswered
// before it is asked of another peer.
const metadataRetry = 5 * time.Second

func (t *Torrent) requestMetadataLocked(cn *conn, size int) {
	if t.md == nil || t.md.size != size {
		if t.md != nil && t.md.nHave > 0 {
			return // peers disagree on the size; keep the first until it fails
		}
		n := (size + wire.MetadataPieceSize - 1) / wire.MetadataPieceSize
		t.md = &metadataFetch{size: size, buf: make([]byte, size), have: make([]bool, n), asked: make([]time.Time, n)}
	}
	t.askMetadataLocked(cn, t.c.e.Now())
}

// askMetadataLocked asks cn for every metadata piece not received and not
// recently asked for.
func (t *Torrent) askMetadataLocked(cn *conn, now time.Time) {
	h := cn.sess.PeerExt()
	if h == nil || h.MetadataSize != t.md.size {
		return
	}
	for i := range t.md.have {
		if t.md.have[i] || now.Sub(t.md.asked[i]) < metadataRetry {
			continue
		}
		msg := wire.MetadataMsg{Type: wire.MetadataRequest, Piece: i}
		if cn.sess.SendExtended(wire.ExtMetadata, msg.Marshal()) {
			t.md.asked[i] = now
		}
	}
	cn.wake.Notify()
}

func (t *Torrent) retryMetadataLocked(now time.Time) {
	if t.meta != nil || t.md == nil {
		return
	}
	for _, cn := range t.conns {
		t.askMetadataLocked(cn, now)
	}
}

// metadataMsgLocked handles a ut_metadata message: serve our info dict,
// or collect pieces of the one we are fetching.
func (t *Torrent) metadataMsgLocked(cn *conn, payload []byte) error {
	m, err := wire.ParseMetadataMsg(payload)
	if err != nil {
		return err
	}
	switch m.Type {
	case wire.MetadataRequest:
		reply := wire.MetadataMsg{Type: wire.MetadataReject, Piece: m.Piece}
		if t.meta != nil {
			info := t.meta.InfoBytes
			if off := m.Piece * wire.MetadataPieceSize; off < len(info) {
				reply = wire.MetadataMsg{Type: wire.MetadataData, Piece: m.Piece, TotalSize: len(info),
					Data: info[off:min(off+wire.MetadataPieceSize, len(info))]}
			}
		}
		cn.sess.SendExtended(wire.ExtMetadata, reply.Marshal())
	case wire.MetadataReject:
		if t.md != nil && m.Piece < len(t.md.asked) {
			t.md.asked[m.Piece] = time.Time{}
		}
	case wire.MetadataData:
		return t.metadataPieceLocked(cn, m)
	}
	return nil
}

func (t *Torrent) metadataPieceLocked(cn *conn, m wire.MetadataMsg) error {
	md := t.md
	if t.meta != nil || md == nil || m.TotalSize != md.size || m.Piece >= len(md.have) || md.have[m.Piece] {
		return nil // unasked or stale: ignore
	}
	off := m.Piece * wire.MetadataPieceSize
	want := min(wire.MetadataPieceSize, md.size-off)
	if len(m.Data) != want {
		return fmt.Errorf("peer: metadata piece %d is %d bytes, want %d", m.Piece, len(m.Data), want)
	}
	copy(md.buf[off:], m.Data)
	md.have[m.Piece] = true
	md.nHave++
	if md.nHave < len(md.have) {
		return nil
	}
	if sha1.Sum(md.buf) != t.infoHash {
		// Someone sent a wrong piece; start over (from every peer).
		md.failed++
		t.c.logf("peer: %s: fetched metadata does not match the infohash; retrying", t.name())
		t.md = nil
		if md.failed > 5 {
			return fmt.Errorf("peer: metadata from peers never matches the infohash")
		}
		for _, o := range t.conns {
			if h := o.sess.PeerExt(); h != nil && h.MetadataSize > 0 {
				t.requestMetadataLocked(o, h.MetadataSize)
			}
		}
		return nil
	}
	mt, err := meta.FromInfo(md.buf, t.trackers)
	if err != nil {
		return fmt.Errorf("peer: fetched metadata: %w", err)
	}
	t.md = nil
	return t.installFetchedLocked(mt)
}

func (t *Torrent) installFetchedLocked(mt *meta.Torrent) error {
	if t.openStorage == nil {
		return fmt.Errorf("peer: no storage for fetched metadata")
	}
	s, err := t.openStorage(mt)
	if err != nil {
		return fmt.Errorf("peer: opening storage for %s: %w", mt.Name, err)
	}
	t.c.logf("peer: %s: metadata received (%d pieces)", mt.Name, mt.NumPieces())
	return t.setMetaLocked(mt, s)
}
