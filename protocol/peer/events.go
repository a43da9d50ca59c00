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
		// A peer that becomes interested is unchoked at once while a slot
		// is free, and one we unchoke that loses interest (it completed)
		// frees its slot at once, rather than waiting up to a tick or a
		// whole choke round: a seeder whose unchoked peers complete
		// together otherwise idles until then.
		t.fillSlotsLocked()
	case session.ExtHandshake:
		h := cn.sess.PeerExt()
		if h.Port > 0 {
			if ap := cn.remoteAddrPort(); ap.IsValid() {
				cn.listenAddr = withPort(ap, h.Port)
			}
		}
		// A peer met over a legacy transport that says it speaks bttls is
		// dialled with TLS first next time (an ordering hint, never a ban).
		if h.TLSVersion() >= 1 && !cn.tc.Kind.IsTLS() && cn.listenAddr.IsValid() {
			t.addCandidateLocked(cn.listenAddr.String(), "ext", transport.Hint{TLS: true})
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
					// The TLS flag only orders our attempts; it never
					// forbids a fallback (a hostile sender could lie).
					h := transport.Hint{TLS: p.AddedFlags[k]&wire.PEXSpeaksTLS != 0}
					if cd := t.addCandidateLocked(ap.String(), "pex", h); cd != nil && p.AddedFlags[k]&wire.PEXSeedOnly != 0 {
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
	// (Checked only then: it costs a scan of every connection's requests.)
	if ev.Others {
		for _, o := range t.conns {
			if o != cn && slices.Contains(o.sess.Outstanding(), b) {
				o.sess.BlockDone(b)
				o.wake.Notify()
			}
		}
	}
	if ev.Full {
		// The verifier task hashes and stores the piece, so that this
		// connection goes on receiving meanwhile (on another core).
		t.verifyQ = append(t.verifyQ, b.Piece)
		t.verifySig.Notify()
	}
	return nil
}

// verifyLoop is the torrent's verifier task: it checks and stores each
// piece whose blocks are all in, outside the torrent lock, then applies
// the outcome.
func (t *Torrent) verifyLoop() {
	for {
		t.verifySig.Wait(0)
		for {
			t.mu.Lock()
			if t.closed {
				t.mu.Unlock()
				return
			}
			q := t.verifyQ
			t.verifyQ = nil
			store := t.store
			t.mu.Unlock()
			if len(q) == 0 {
				break
			}
			errs := make([]error, len(q))
			for k, i := range q {
				errs[k] = store.FinishPiece(i)
			}
			t.mu.Lock()
			for k, i := range q {
				t.pieceFinishedLocked(i, errs[k])
			}
			t.mu.Unlock()
		}
	}
}

// pieceFinishedLocked applies the outcome of FinishPiece for piece i:
// announce it, or throw it away and blame its senders.
func (t *Torrent) pieceFinishedLocked(i int, err error) {
	contributors := t.contributors[i]
	delete(t.contributors, i)
	if t.closed {
		return
	}
	if errors.Is(err, storage.ErrHashMismatch) {
		t.stats.HashFailures++
		t.picker.PieceFailed(i)
		t.c.logf("peer: %s: piece %d failed its hash check (from %d peer(s))", t.name(), i, len(contributors))
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
				o.failLocked(fmt.Errorf("peer: %s sent corrupt data for piece %d", o.addr, i))
			} else {
				o.sess.Refill()
				o.wake.Notify()
			}
		}
		return
	}
	if err != nil {
		// The storage failed (disk full, closed): the piece is lost, not
		// corrupt; fetch it again and say why.
		t.c.logf("peer: %s: storing piece %d: %v", t.name(), i, err)
		t.picker.PieceFailed(i)
		for _, o := range t.conns {
			o.sess.Refill()
			o.wake.Notify()
		}
		return
	}
	t.picker.PieceVerified(i)
	t.stats.Have = t.picker.NumHave()
	for _, o := range t.conns {
		o.sess.OurHave(i)
		o.flushLocked()
	}
	if t.picker.Done() {
		t.c.logf("peer: %s: download complete", t.name())
		t.announceSig.Notify()
	}
	t.notifyLocked()
}

// runChokerLocked runs one choker round over the torrent's connections.
func (t *Torrent) runChokerLocked(now time.Time) {
	secs := now.Sub(t.lastChoke).Seconds()
	t.lastChoke = now
	seeding := t.completeLocked()
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
		peers = append(peers, choker.Peer{ID: cn.id, Interested: cn.sess.PeerInterested(), Rate: cn.rankLocked(seeding), Snubbed: cn.sess.Snubbed()})
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

// fillSlotsLocked unchokes interested peers, best rate of the last round
// first and equal rates in random order (choker.Fill), while fewer than the
// choker's slots are unchoked and interested. Between rounds, peers that
// lose interest (they completed, or we have nothing more for them) or
// disconnect free slots; left idle until the next round, our upload would
// go unused for up to ChokeInterval, which in a flash crowd is what leaves
// the last peers waiting on choked neighbours. Interested peers are never
// choked here: that stays the round's decision. While we leech, slots
// that no interested peer takes are lent to peers that are not interested
// yet (lendSlotsLocked).
func (t *Torrent) fillSlotsLocked() {
	seeding := t.completeLocked()
	used := 0
	// cands are the interested peers we choke; lent, the peers not
	// interested that we unchoke; idle, those we choke (seeds excepted),
	// to lend free slots to.
	var cands, idle []choker.Peer
	var lent []*conn
	for _, cn := range t.conns {
		interested, choked := cn.sess.PeerInterested(), cn.sess.AmChoking()
		switch {
		case interested && !choked:
			used++
		case interested:
			cands = append(cands, choker.Peer{ID: cn.id, Interested: true, Rate: cn.rankLocked(seeding), Snubbed: cn.sess.Snubbed()})
		case !choked:
			lent = append(lent, cn)
		case !seeding && !cn.sess.PeerIsSeed():
			idle = append(idle, choker.Peer{ID: cn.id, Interested: true, Rate: cn.rate})
		}
	}
	if free := t.choker.Slots - used; free > 0 && len(cands) > 0 {
		for _, id := range t.choker.Fill(cands, free, seeding) {
			if cn := t.connByIDLocked(id); cn != nil {
				cn.sess.SetChoked(false)
				cn.wake.Notify()
				used++
			}
		}
	}
	if !seeding {
		t.lendSlotsLocked(t.choker.Slots-used, lent, idle)
	}
}

// lendSlotsLocked lends the free slots (free of them: those interested
// peers leave) to peers that are not interested in us (yet), as BEP 3's
// choker allows: when we verify a piece such a peer lacks, its request
// then follows our HAVE at once, instead of an INTERESTED and our UNCHOKE
// first. A piece reaches each next hop of a flash crowd one round trip
// sooner: in sim/swarm's 500-peer Kumar–Ross crowd the median leecher got
// its first piece at 0.77 s instead of 1.03 s and the last completed at
// 1.256× the minimum instead of 1.282×. lent are the peers holding a lent
// slot, idle the peers that could get one. A peer that gains interest
// keeps its slot until the next round; lent slots that interested peers
// need are taken back. Seeds lend nothing: their peers are interested or
// never will be.
func (t *Torrent) lendSlotsLocked(free int, lent []*conn, idle []choker.Peer) {
	free -= len(lent)
	for ; free < 0 && len(lent) > 0; free++ {
		cn := lent[len(lent)-1]
		lent = lent[:len(lent)-1]
		cn.sess.SetChoked(true)
		cn.wake.Notify()
	}
	if free <= 0 || len(idle) == 0 {
		return
	}
	for _, id := range t.choker.Fill(idle, free, false) {
		if cn := t.connByIDLocked(id); cn != nil {
			cn.sess.SetChoked(false)
			cn.wake.Notify()
		}
	}
}

// connByIDLocked returns the connection with choker ID id, or nil.
func (t *Torrent) connByIDLocked(id uint64) *conn {
	for _, cn := range t.conns {
		if cn.id == id {
			return cn
		}
	}
	return nil
}

// rankLocked is what the choker orders peers by, best first: while we
// leech, the rate they gave us over the last round (tit-for-tat); while we
// seed, how much of the torrent they still lack, so a seed's upload goes
// to the peers furthest behind and the swarm completes together rather
// than leaving its slowest peers to the end.
func (cn *conn) rankLocked(seeding bool) float64 {
	if seeding && cn.sess.PeerHas().Len() > 0 {
		return float64(cn.sess.PeerHas().Len() - cn.sess.PeerHas().Count())
	}
	return cn.rate
}
