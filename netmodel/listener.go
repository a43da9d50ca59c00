package netmodel

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/bttls/bttls/sim"
)

// Listener accepts connections on one port of a host; it implements
// net.Listener.
type Listener struct {
	h      *Host
	addr   netip.AddrPort
	queue  []*Conn
	q      sim.WaitQueue
	closed bool
}

var _ net.Listener = (*Listener)(nil)

// Listen opens a listener on addr: "host:port" where host is empty, an
// unspecified address or the host's own address; port 0 picks a free port.
func (h *Host) Listen(network, addr string) (net.Listener, error) {
	fail := func(err error) (net.Listener, error) {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	if network != "tcp" && network != "tcp4" {
		return fail(net.UnknownNetworkError(network))
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fail(err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fail(&net.AddrError{Err: "invalid port", Addr: addr})
	}
	if host != "" && host != h.cfg.Name {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fail(&net.AddrError{Err: "no such host", Addr: host})
		}
		if !ip.IsUnspecified() && ip.Unmap() != h.ip {
			return fail(errNotAvail)
		}
	}
	if p == 0 {
		p = uint64(h.ephemeralPort())
	} else if _, used := h.listeners[uint16(p)]; used {
		return fail(errInUse)
	}
	l := &Listener{h: h, addr: netip.AddrPortFrom(h.ip, uint16(p))}
	h.listeners[uint16(p)] = l
	return l, nil
}

func (l *Listener) enqueue(c *Conn) {
	l.queue = append(l.queue, c)
	l.h.n.s.WakeAll(&l.q)
}

// Accept parks the task until a connection arrives or the listener closes.
func (l *Listener) Accept() (net.Conn, error) {
	s := l.h.n.s
	for {
		if l.closed {
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: errClosed}
		}
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue[0] = nil
			l.queue = l.queue[1:]
			return c, nil
		}
		s.Wait(&l.q, zeroTime, "accept on "+l.addr.String())
	}
}

// Close stops accepting; connections not yet accepted are reset.
func (l *Listener) Close() error {
	if l.closed {
		return &net.OpError{Op: "close", Net: "tcp", Addr: l.Addr(), Err: errClosed}
	}
	l.closed = true
	delete(l.h.listeners, l.addr.Port())
	for _, c := range l.queue {
		c.closed = true
		c.sendReset()
	}
	l.queue = nil
	l.h.n.s.WakeAll(&l.q)
	return nil
}

func (l *Listener) Addr() net.Addr { return tcpAddr(l.addr) }
