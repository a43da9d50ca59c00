package netmodel

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/sim"
)

// dialing is the client side of a handshake in progress.
type dialing struct {
	c    *Conn
	done bool
	err  error
	q    sim.WaitQueue
	gave bool // the dialer timed out and left
}

// Dial opens a connection from h to addr ("ip:port" or "name:port"). It
// fails with ECONNREFUSED when nothing listens there, and with a timeout when
// the address is unknown or the SYNs are lost until timeout (0:
// env.DefaultDialTimeout).
func (h *Host) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	n := h.n
	if network != "tcp" && network != "tcp4" {
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ap, err := n.resolve(addr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("netmodel: %w", err)}
	}
	if timeout <= 0 {
		timeout = env.DefaultDialTimeout
	}
	deadline := n.s.Time().Add(timeout)
	n.nextFlow++
	local := netip.AddrPortFrom(h.ip, h.ephemeralPort())
	c := n.newConn(h, &Flow{ID: n.nextFlow, Client: local, Server: ap}, ClientToServer, local, ap)
	d := &dialing{c: c}
	h.Stats.ConnsOpened++
	n.sendSYN(d, 0)
	for !d.done {
		if !n.s.Wait(&d.q, deadline, "dial "+addr) && !d.done {
			d.gave = true
			c.closed = true
			return nil, opError("dial", c, errTimeout)
		}
	}
	if d.err != nil {
		return nil, opError("dial", c, d.err)
	}
	return c, nil
}

// sendSYN sends a connection attempt; a lost SYN is resent after 1 s, 2 s,
// 4 s... as Linux does, until the dialer gives up.
func (n *Network) sendSYN(d *dialing, attempt int) {
	c := d.c
	dst := n.byIP[c.remote.Addr()]
	var delay time.Duration
	lat := 100 * time.Millisecond // to an address no host has: irrelevant, the SYN vanishes
	if dst != nil {
		lat = n.latency(c.h, dst)
	}
	retry := func() { n.resendSYN(d, attempt, 0) }
	if n.Middlebox != nil {
		v := n.Middlebox.Inspect(&Packet{Flow: c.flow, Dir: ClientToServer, Kind: SYN, Attempt: attempt})
		switch {
		case v.Reset:
			n.s.After(lat/2, func() { d.finish(errRefused) })
			return
		case v.Drop:
			retry()
			return
		}
		delay = v.Delay
	}
	if dst == nil {
		return // no route: the dialer times out
	}
	if n.lost(c.h, dst) {
		retry()
		return
	}
	n.s.After(lat+delay, func() { n.synArrives(d, dst, lat, attempt) })
}

// resendSYN sends the next attempt after a lost or dropped SYN, once the
// client's SYN timeout (1 s, 2 s, 4 s...) has passed since it sent this
// one, elapsed ago; not if the dial has ended meanwhile.
func (n *Network) resendSYN(d *dialing, attempt int, elapsed time.Duration) {
	n.s.After(max(0, time.Second<<min(attempt, 6)-elapsed), func() {
		if !d.done && !d.gave {
			n.sendSYN(d, attempt+1)
		}
	})
}

// synArrives runs at the server host: accept into a listener, refuse (no
// listener), or drop the SYN when the listener's backlog is full, as Linux
// does (tcp_abort_on_overflow=0): the client resends it after its SYN
// timeout, counted from when it sent this one.
func (n *Network) synArrives(d *dialing, dst *Host, lat time.Duration, attempt int) {
	c := d.c
	l := dst.listeners[c.remote.Port()]
	if l == nil || l.closed {
		n.s.After(lat, func() { d.finish(errRefused) })
		return
	}
	if len(l.queue) >= DefaultBacklog {
		dst.Stats.SYNsDropped++
		n.resendSYN(d, attempt, lat)
		return
	}
	sc := n.newConn(dst, c.flow, ServerToClient, c.remote, c.local)
	sc.peer = c
	l.enqueue(sc)
	dst.Stats.ConnsAccepted++
	n.s.After(lat, func() {
		if d.gave {
			sc.reset(errReset) // the client left: its RST answers the SYN-ACK
			return
		}
		c.peer = sc
		d.finish(nil)
	})
}

func (d *dialing) finish(err error) {
	if d.done || d.gave {
		return
	}
	d.done, d.err = true, err
	d.c.n.s.WakeAll(&d.q)
}
