package netmodel

import (
	"time"
)

// link is one direction of a host's access link. Connections with bytes to
// cross it are served round-robin, one segment each, so concurrent flows
// share its capacity fairly whatever their round-trip times.
//
// A segment here is up to MSS (17 KiB, a TLS record), not a packet: a
// round of 17 KiB segments from four uploads takes 280 ms on a 2 Mbit/s
// uplink, and a 17-byte request that waited for it would see a quarter
// second of queueing that no packet-level fair queue gives it. So a sparse
// flow — one with nothing queued or crossing on the link, sending at most
// a packet (sparseMax bytes: requests, HAVEs, handshake messages) —
// crosses at once, interleaved with the segment on the link, as it would
// between that segment's packets under per-flow fair queueing (fq_codel,
// the Linux default, serves new sparse flows first the same way). Sparse segments
// queue only behind each other (sparseUntil). Their transmission time is
// charged to the next segment the link serves (debt; freeAt while the link
// is idle), so the link never carries more than its rate.
//
// A sparse segment costs no event of its own: on the uplink its crossing
// time is added to its flight, and its flight includes its crossing of the
// receiver's downlink, taken as prepaid when it arrives (a busy swarm
// moves more requests and HAVEs than blocks, and three events each — up,
// arrival, down — were most of the simulator's events).
type link struct {
	rate int64 // bytes per second; 0 is unlimited
	ring []*linkQueue
	busy bool
	cur  *linkQueue // the queue whose segment is crossing, while busy
	// sparseUntil is when the sparse segments let through so far have
	// crossed (virtual ns); debt is their transmission time, not yet
	// charged to a segment, while the link is busy; freeAt is when the
	// link is free again while it is idle.
	sparseUntil int64
	debt        int64
	freeAt      int64
}

// sparseMax is the largest segment a sparse flow may send past the
// round-robin: one packet's payload.
const sparseMax = 1460

// linkQueue is one connection's segments waiting for a link.
type linkQueue struct {
	segs   []*segment
	active bool // in the link's ring
	// sparseUntil is when this queue's last sparse segment has crossed: a
	// flow with one still crossing is no longer sparse, and queues.
	sparseUntil int64
	// deliver is what happens once a segment has crossed, delay (virtual
	// ns, ≥ 0) from now.
	deliver func(s *segment, delay int64)
}

// push queues seg on l; it crosses after the link has served the segments
// of other connections queued ahead of it in the round, or at once if it
// is a sparse flow's (see link).
func (n *Network) push(l *link, q *linkQueue, seg *segment) {
	prepaid := seg.prepaid
	seg.prepaid = 0
	if l.rate <= 0 {
		q.deliver(seg, 0)
		return
	}
	now := int64(n.s.Now())
	if len(q.segs) == 0 && q != l.cur && q.sparseUntil <= now && len(seg.data) <= sparseMax {
		t := transmitTime(len(seg.data)+headerBytes, l.rate)
		// A prepaid segment began crossing during its flight.
		start := now - min(prepaid, t)
		l.sparseUntil = max(start, l.sparseUntil) + t
		if l.busy {
			l.debt += t
		} else {
			l.freeAt = max(l.freeAt, start) + t
		}
		q.sparseUntil = l.sparseUntil
		q.deliver(seg, max(0, l.sparseUntil-now))
		return
	}
	seg.prepaid = prepaid
	q.segs = append(q.segs, seg)
	if !q.active {
		q.active = true
		l.ring = append(l.ring, q)
	}
	if !l.busy {
		n.serve(l, max(0, l.freeAt-now))
	}
}

// serve starts sending the next segment of the round, if any, wait from
// now (the time sparse segments took while the link was idle).
func (n *Network) serve(l *link, wait int64) {
	if len(l.ring) == 0 {
		// The sparse segments' time is the link's too.
		l.freeAt = int64(n.s.Now()) + l.debt
		l.ring, l.cur, l.busy, l.debt = nil, nil, false, 0
		return
	}
	q := l.ring[0]
	l.ring[0] = nil
	l.ring = l.ring[1:]
	seg := q.segs[0]
	q.segs[0] = nil
	q.segs = q.segs[1:]
	if len(q.segs) > 0 {
		l.ring = append(l.ring, q)
	} else {
		q.active = false
		q.segs = nil
	}
	l.busy, l.cur = true, q
	t := transmitTime(len(seg.data)+headerBytes, l.rate)
	d := wait + t - min(seg.prepaid, t) + l.debt
	seg.prepaid = 0
	l.debt = 0
	n.s.After(time.Duration(d), func() {
		q.deliver(seg, 0)
		n.serve(l, 0)
	})
}

// send puts a segment on the sender's uplink.
func (n *Network) send(from *Conn, seg *segment) {
	n.push(&from.h.up, &from.upQ, seg)
}

// rto is the retransmission timeout after attempt failed transmissions.
func (n *Network) rto(a, b *Host, attempt int) time.Duration {
	d := max(minRTO, 4*n.latency(a, b))
	return d << min(attempt, 10)
}

// transmit runs when a segment leaves the sender's uplink, extra (virtual
// ns) from now: it crosses the middlebox and the path, then queues for the
// receiver's downlink. A sparse segment's flight includes its crossing of
// the downlink (prepaid; see link).
func (n *Network) transmit(from *Conn, seg *segment, attempt int, extra int64) {
	to := from.peer
	if from.broken != nil && attempt > 0 {
		return // the sender gave up on the flow
	}
	lat := n.latency(from.h, to.h) + time.Duration(extra)
	var delay time.Duration
	if n.Middlebox != nil {
		v := n.Middlebox.Inspect(&Packet{Flow: from.flow, Dir: from.dir, Kind: seg.kind, Offset: seg.offset, Data: seg.data, Attempt: attempt})
		switch {
		case v.Reset:
			ext := time.Duration(extra)
			n.s.After(ext+(lat-ext)/2, func() { from.reset(errReset) })
			n.s.After(lat-(lat-ext)/2, func() { to.reset(errReset) })
			return
		case v.Drop:
			n.retransmit(from, seg, attempt, extra)
			return
		}
		if v.Rewrite != nil && seg.kind == Data {
			seg.data = v.Rewrite
		}
		delay = v.Delay
	}
	if n.lost(from.h, to.h) {
		n.retransmit(from, seg, attempt, extra)
		return
	}
	n.s.Record("tx", from.flow.ID<<1|uint64(from.dir), uint64(len(seg.data)))
	if r := to.h.down.rate; r > 0 && len(seg.data) <= sparseMax {
		seg.prepaid = transmitTime(len(seg.data)+headerBytes, r)
		delay += time.Duration(seg.prepaid)
	}
	n.s.After(lat+delay, func() { n.push(&to.h.down, &to.downQ, seg) })
}

func (n *Network) retransmit(from *Conn, seg *segment, attempt int, extra int64) {
	if attempt >= maxRetransmits {
		if extra == 0 {
			from.reset(errTimedOut)
		} else {
			n.s.After(time.Duration(extra), func() { from.reset(errTimedOut) })
		}
		return
	}
	n.s.After(time.Duration(extra)+n.rto(from.h, from.peer.h, attempt), func() { n.transmit(from, seg, attempt+1, 0) })
}

// lost decides whether the access links of a and b lose a segment.
func (n *Network) lost(a, b *Host) bool {
	p := a.cfg.Loss
	if b != a {
		p = 1 - (1-a.cfg.Loss)*(1-b.cfg.Loss)
	}
	return p > 0 && n.rand.Float64() < p
}
