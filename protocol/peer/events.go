package peer

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bttls/bttls/protocol/choker"
	"github.com/bttls/bttls/protocol/session"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/protocol/wire"
)

// handleEventLocked acts on one session event of connection cn.
func (t *Torrent) handleEventLocked(cn *conn, ev session.Event) error {
	switch ev.Kind {
	case session.BlockReceived:
		return t.blockLocked(cn, ev)
	case session.InterestChanged:
		// Unchoke at once while a slot is free, rather than waiting up to a
		// whole choke round.
		if cn.sess.PeerInterested() && cn.sess.AmChoking() && t.unchokedLocked() < t.c.cfg.UploadSlots {
			cn.sess.SetChoked(false)
		}
	case session.ExtHandshake:
		h := cn.sess.PeerExt()
		if h.Port > 0 {
			if ap := cn.remoteAddrPort(); ap.IsValid() {
				cn.listenAddr = withPort(ap, h.Port)
			}
		}
		if t.meta == nil && h.MetadataSize > 0 {
			t.requestMetadataLocked(cn, h.MetadataSize)
		}
	case session.ExtMessage:
		switch ev.Name {
		case wire.ExtMetadata:
			return t.metadataMsgLocked(cn, ev.Payload)
		case wire.ExtPEX:
			p, err := wire.ParsePEX(ev.Payload)
			if err != nil {
				return err
			}
			for k, ap := range p.Added {
				if ap.IsValid() && ap.Port() != 0 {
					if cd := t.addCandidateLocked(ap.String(), "pex", transport.Hint{}); cd != nil && p.AddedFlags[k]&wire.PEXSeedOnly != 0 {
						cd.seed = true
					}
				}
			}
			t.tickSig.Notify()
		}
	}
	return nil
}

// blockLocked stages a received block; when the piece is full it is
// verified and either announced or thrown away and its senders blamed.
func (t *Torrent) blockLocked(cn *conn, ev session.Event) error {
	b := ev.Block
	t.downloadedAny = true
	if err := t.store.WriteBlock(b.Piece, b.Begin, ev.Data); err != nil {
		return fmt.Errorf("peer: staging piece %d: %w", b.Piece, err)
	}
	if !slices.Contains(t.contributors[b.Piece], cn.id) {
		t.contributors[b.Piece] = append(t.contributors[b.Piece], cn.id)
	}
	// Endgame: whoever else was asked for this block need not send it.
	for _, o := range t.conns {
		if o != cn && slices.Contains(o.sess.Outstanding(), b) {
			o.sess.BlockDone(b)
			o.wake.Notify()
		}
	}
	if ev.Full {
		// Hashing and writing the piece happen after the lock is released
		// and our next requests are on the wire (see conn.run).
		cn.toFinish = append(cn.toFinish, b.Piece)
	}
	return nil
}

// pieceFinishedLocked applies the outcome of FinishPiece for piece i,
// whose last block came through cn: announce it, or throw it away and
// blame its senders.
func (t *Torrent) pieceFinishedLocked(cn *conn, i int, err error) error {
	contributors := t.contributors[i]
	delete(t.contributors, i)
	if t.closed {
		return errClosed
	}
	if errors.Is(err, storage.ErrHashMismatch) {
		t.stats.HashFailures++
		t.picker.PieceFailed(i)
		t.c.logf("peer: %s: piece %d failed its hash check (from %d peer(s))", t.name(), i, len(contributors))
		var self error
		for _, o := range t.conns {
			if !slices.Contains(contributors, o.id) {
				o.sess.Refill()
				o.wake.Notify()
				continue
			}
			o.strikes++
			// A peer that sent the whole piece alone, or took part in
			// two bad pieces, is dropped and not let back.
			if len(contributors) == 1 || o.strikes >= 2 {
				t.banned[o.peerID] = true
				perr := fmt.Errorf("peer: %s sent corrupt data for piece %d", o.addr, i)
				if o == cn {
					self = perr
				} else {
					o.failLocked(perr)
				}
			} else {
				o.sess.Refill()
				o.wake.Notify()
			}
		}
		return self
	}
	if err != nil {
		return fmt.Errorf("peer: finishing piece %d: %w", i, err)
	}
	t.picker.PieceVerified(i)
	t.stats.Have = t.picker.NumHave()
	for _, o := range t.conns {
		o.sess.OurHave(i)
		if o != cn {
			o.wake.Notify()
		}
	}
	if t.picker.Done() {
		t.c.logf("peer: %s: download complete", t.name())
		t.announceSig.Notify()
	}
	t.notifyLocked()
	return nil
}

func (t *Torrent) unchokedLocked() int {
	n := 0
	for _, cn := range t.conns {
		if !cn.sess.AmChoking() {
			n++
		}
	}
	return n
}

// runChokerLocked runs one choker round over the torrent's connections.
func (t *Torrent) runChokerLocked(now time.Time) {
	secs := now.Sub(t.lastChoke).Seconds()
	t.lastChoke = now
	seeding := t.picker != nil && t.picker.Done()
	peers := make([]choker.Peer, 0, len(t.conns))
	for _, cn := range t.conns {
		down, up := cn.sess.Downloaded(), cn.sess.UploadedBytes()
		if secs > 0 && secs < 3600 {
			if seeding {
				cn.rate = float64(up-cn.lastUp) / secs
			} else {
				cn.rate = float64(down-cn.lastDown) / secs
			}
		}
		cn.lastDown, cn.lastUp = down, up
		peers = append(peers, choker.Peer{ID: cn.id, Interested: cn.sess.PeerInterested(), Rate: cn.rate, Snubbed: cn.sess.Snubbed()})
	}
	unchoke := t.choker.Run(peers, seeding)
	for _, cn := range t.conns {
		was := cn.sess.AmChoking()
		cn.sess.SetChoked(!slices.Contains(unchoke, cn.id))
		if was != cn.sess.AmChoking() {
			cn.wake.Notify()
		}
	}
}
