package netmodel

import (
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/bttls/bttls/sim"
)

// segment is one unit of a stream in flight.
type segment struct {
	kind   PacketKind // Data or FIN
	idx    uint64     // position in the direction's sequence of segments
	offset int64
	data   []byte
	credit int // window bytes returned to the sender once it is read
	// prepaid is the time (virtual ns) of the receiver's downlink that a
	// sparse segment's flight includes (see link).
	prepaid int64
}

// Conn is one end of a simulated TCP connection; it implements net.Conn.
type Conn struct {
	n      *Network
	h      *Host
	flow   *Flow
	dir    Dir // direction of the data this end sends
	local  netip.AddrPort
	remote netip.AddrPort
	peer   *Conn

	// receive side
	rq      []*segment // in-order segments not yet fully read
	rOff    int        // bytes of rq[0] already read
	rNext   uint64     // index of the next in-order segment
	ooo     []*segment // arrived ahead of a lost or delayed one
	eof     bool
	readers sim.WaitQueue
	rdl     time.Time

	// send side
	sNext    uint64
	sOffset  int64
	inflight int
	win      int // the window, fixed once the peer is known
	writers  sim.WaitQueue
	wdl      time.Time
	// credits is window on its way back from the receiver, in the order it
	// arrives: it is counted out of inflight once its time has come, when a
	// writer next looks (settle), so that an acknowledgement costs an event
	// only when a writer waits for it. wblocked is set while a writer waits
	// for window with no credit on its way (it waits for a read).
	credits  []credit
	wblocked bool

	// the connection's queues on its host's uplink (sending) and downlink
	// (receiving)
	upQ, downQ linkQueue

	closed  bool
	broken  error // reset or timed out: every later Read and Write fails
	rstSent bool
}

var _ net.Conn = (*Conn)(nil)

// newConn returns one end of a connection.
func (n *Network) newConn(h *Host, f *Flow, dir Dir, local, remote netip.AddrPort) *Conn {
	c := &Conn{n: n, h: h, flow: f, dir: dir, local: local, remote: remote}
	c.upQ.deliver = func(s *segment, extra int64) { n.transmit(c, s, 0, extra) }
	c.downQ.deliver = func(s *segment, delay int64) {
		if delay == 0 {
			c.receive(s)
		} else {
			n.s.After(time.Duration(delay), func() { c.receive(s) })
		}
	}
	return c
}

// window is how many bytes this end may have unacknowledged, like a TCP
// window after autotuning: twice the path's bandwidth-delay product (enough
// for one flow to fill the path), at least MinWindow, at most the network's
// Window. Sizing it by the path keeps the bytes queued in the simulated
// network — which the simulator holds in memory — to what the links can use.
func (c *Conn) window() int {
	if c.win > 0 {
		return c.win
	}
	maxw := c.n.Window
	if maxw <= 0 {
		maxw = DefaultWindow
	}
	w := maxw
	if c.peer != nil {
		rate := c.h.cfg.Up
		if d := c.peer.h.cfg.Down; d > 0 && (rate == 0 || d < rate) {
			rate = d
		}
		rtt := 2 * c.n.latency(c.h, c.peer.h)
		if rate > 0 && rtt > 0 {
			w = int(min(int64(maxw), max(int64(MinWindow), 2*rate*int64(rtt)/int64(time.Second)+MSS)))
		}
		c.win = w
	}
	return w
}

// Read reads stream bytes, parking the task until some arrive, the stream
// ends, the connection breaks or the read deadline passes.
func (c *Conn) Read(p []byte) (int, error) {
	s := c.n.s
	for {
		if c.closed {
			return 0, opError("read", c, errClosed)
		}
		if c.broken != nil {
			return 0, opError("read", c, c.broken)
		}
		if len(c.rq) > 0 {
			if len(p) == 0 {
				return 0, nil
			}
			return c.consume(p), nil
		}
		if c.eof {
			return 0, io.EOF
		}
		if !c.rdl.IsZero() && !s.Time().Before(c.rdl) {
			return 0, opError("read", c, errTimeout)
		}
		s.Wait(&c.readers, c.rdl, "read from "+c.remote.String())
	}
}

func (c *Conn) consume(p []byte) int {
	n := 0
	for n < len(p) && len(c.rq) > 0 {
		seg := c.rq[0]
		k := copy(p[n:], seg.data[c.rOff:])
		n += k
		c.rOff += k
		if c.rOff == len(seg.data) {
			c.rq[0] = nil
			c.rq = c.rq[1:]
			c.rOff = 0
			c.returnCredit(seg.credit)
			c.n.release(seg.data)
		}
	}
	if len(c.rq) == 0 {
		c.rq = nil // release the backing array
	}
	return n
}

// returnCredit opens the sender's window once the acknowledgement of read
// bytes reaches it, one latency from now. A writer waiting for window with
// no credit on its way is woken then; otherwise the writer counts the credit
// when it next looks.
func (c *Conn) returnCredit(k int) {
	if k == 0 {
		return
	}
	n := c.n
	at := int64(n.s.Now() + n.latency(c.h, c.peer.h))
	sender := c.peer
	if l := len(sender.credits); l > 0 && sender.credits[l-1].at >= at {
		// Due with (or, were latencies to change, before) the last one.
		sender.credits[l-1].amount += k
	} else {
		sender.credits = append(sender.credits, credit{at: at, amount: k})
	}
	if sender.wblocked {
		sender.wblocked = false
		n.s.At(time.Duration(at), func() { n.s.WakeAll(&sender.writers) })
	}
}

// credit is window returned to the sender at a virtual instant.
type credit struct {
	at     int64
	amount int
}

// settle counts the credits due by now out of inflight.
func (c *Conn) settle() {
	now := int64(c.n.s.Now())
	i := 0
	for i < len(c.credits) && c.credits[i].at <= now {
		c.inflight -= c.credits[i].amount
		i++
	}
	if i == len(c.credits) {
		c.credits = c.credits[:0]
	} else if i > 0 {
		c.credits = append(c.credits[:0], c.credits[i:]...)
	}
}

// Write sends p, parking the task while the window is full. Like a blocking
// TCP write it returns once every byte is queued for sending.
func (c *Conn) Write(p []byte) (int, error) {
	s := c.n.s
	w := c.window()
	n := 0
	for n < len(p) {
		if c.closed {
			return n, opError("write", c, errClosed)
		}
		if c.broken != nil {
			return n, opError("write", c, c.broken)
		}
		if !c.wdl.IsZero() && !s.Time().Before(c.wdl) {
			return n, opError("write", c, errTimeout)
		}
		c.settle()
		avail := w - c.inflight
		if avail <= 0 {
			// Wait for the next credit, or for a read to send one.
			dl := c.wdl
			if len(c.credits) > 0 {
				if at := sim.Epoch.Add(time.Duration(c.credits[0].at)); dl.IsZero() || at.Before(dl) {
					dl = at
				}
			} else {
				c.wblocked = true
			}
			s.Wait(&c.writers, dl, "write to "+c.remote.String())
			continue
		}
		k := min(avail, len(p)-n, MSS)
		data := c.n.buffer(k)
		copy(data, p[n:n+k])
		c.inflight += k
		c.sendSegment(Data, data, k)
		n += k
	}
	return n, nil
}

func (c *Conn) sendSegment(kind PacketKind, data []byte, credit int) {
	if kind == Data {
		// Like TCP, which cuts segments from its send buffer when it can
		// send, bytes written while earlier ones still wait for the uplink
		// join the last waiting segment, up to MSS: many small messages
		// (HAVEs, requests) on a busy link make few segments, not many.
		if q := c.upQ.segs; len(q) > 0 {
			if last := q[len(q)-1]; last.kind == Data && len(last.data)+len(data) <= MSS {
				last.data = append(last.data, data...)
				c.n.release(data)
				last.credit += credit
				c.sOffset += int64(len(data))
				c.h.Stats.BytesSent += int64(len(data))
				c.flow.Bytes[c.dir] += int64(len(data))
				return
			}
		}
	}
	seg := &segment{kind: kind, idx: c.sNext, offset: c.sOffset, data: data, credit: credit}
	c.sNext++
	c.sOffset += int64(len(data))
	c.h.Stats.BytesSent += int64(len(data))
	c.flow.Bytes[c.dir] += int64(len(data))
	c.n.send(c, seg)
}

// Close closes both directions. Unread data makes it a reset, as in TCP;
// otherwise the peer reads the end of the stream after the data in flight.
func (c *Conn) Close() error {
	if c.closed {
		return opError("close", c, errClosed)
	}
	c.closed = true
	s := c.n.s
	s.WakeAll(&c.readers)
	s.WakeAll(&c.writers)
	if c.broken == nil && c.peer != nil {
		if len(c.rq) > 0 || len(c.ooo) > 0 {
			c.sendReset()
		} else {
			c.sendSegment(FIN, nil, 0)
		}
	}
	c.rq, c.ooo = nil, nil
	return nil
}

// sendReset sends an RST to the peer (once).
func (c *Conn) sendReset() {
	if c.rstSent || c.peer == nil {
		return
	}
	c.rstSent = true
	peer := c.peer
	c.n.s.After(c.n.latency(c.h, peer.h), func() { peer.reset(errReset) })
}

// reset breaks the connection: pending data is discarded and every waiting
// or later Read and Write fails with err.
func (c *Conn) reset(err error) {
	if c.broken != nil || c.closed {
		return
	}
	c.broken = err
	c.rq, c.ooo = nil, nil
	c.n.s.WakeAll(&c.readers)
	c.n.s.WakeAll(&c.writers)
}

// receive takes a segment off the network, in whatever order it came.
func (c *Conn) receive(seg *segment) {
	if c.broken != nil {
		return
	}
	if c.closed {
		if seg.kind == Data && len(seg.data) > 0 {
			c.sendReset() // data for a closed socket: TCP answers RST
		}
		return
	}
	if seg.idx != c.rNext {
		// Ahead of a segment still in flight: hold it, sorted by index.
		i := len(c.ooo)
		for i > 0 && c.ooo[i-1].idx > seg.idx {
			i--
		}
		c.ooo = append(c.ooo, nil)
		copy(c.ooo[i+1:], c.ooo[i:])
		c.ooo[i] = seg
		return
	}
	c.accept(seg)
	for len(c.ooo) > 0 && c.ooo[0].idx == c.rNext {
		next := c.ooo[0]
		c.ooo = c.ooo[1:]
		c.accept(next)
	}
	c.n.s.WakeAll(&c.readers)
}

func (c *Conn) accept(seg *segment) {
	c.rNext++
	switch seg.kind {
	case FIN:
		c.eof = true
	case Data:
		if len(seg.data) == 0 {
			c.returnCredit(seg.credit)
			return
		}
		c.h.Stats.BytesReceived += int64(len(seg.data))
		c.rq = append(c.rq, seg)
	}
}

func (c *Conn) LocalAddr() net.Addr  { return tcpAddr(c.local) }
func (c *Conn) RemoteAddr() net.Addr { return tcpAddr(c.remote) }

// SetDeadline sets both deadlines; parked readers and writers re-check them.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rdl, c.wdl = t, t
	c.n.s.WakeAll(&c.readers)
	c.n.s.WakeAll(&c.writers)
	return nil
}

func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rdl = t
	c.n.s.WakeAll(&c.readers)
	return nil
}

func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wdl = t
	c.n.s.WakeAll(&c.writers)
	return nil
}

// Flow returns the connection's flow (what a middlebox sees).
func (c *Conn) Flow() *Flow { return c.flow }

func tcpAddr(ap netip.AddrPort) *net.TCPAddr { return net.TCPAddrFromAddrPort(ap) }
