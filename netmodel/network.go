// Package netmodel is an in-memory TCP/IP network for the simulator: hosts
// with addresses, access links with latency, capacity and loss, and
// net.Conn / net.Listener implementations that the protocol code uses
// unchanged.
//
// Every operation runs under a sim.Sim: timing is computed, never waited for
// in wall time, and a task that must wait (for data, for window, for an
// accept) parks through the scheduler, never on a Go primitive.
//
// The model, per host: an uplink and a downlink, each with a capacity in
// bytes per second and served round-robin among the connections using it, a
// segment each, so they share it fairly; a one-way access latency (the
// latency between two hosts is the sum of theirs); a loss rate. A segment
// written by a sender crosses its uplink, travels for the latency, then
// crosses the receiver's downlink. Each connection direction has a window
// (like TCP's after autotuning: twice the path's bandwidth-delay product):
// bytes written but not yet read by the receiver, plus the time their
// acknowledgement takes to come back, are bounded, and a write beyond it
// parks the writer. Loss delays a segment by a retransmission timeout, and
// the stream stays in order.
//
// A Middlebox, if set, sees every packet (SYN, data, FIN) of every flow and
// may delay, drop, reset or rewrite it: fault injection wraps the perfect
// network instead of branching inside it.
package netmodel

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/bttls/bttls/sim"
)

// Defaults of a Network.
const (
	// DefaultWindow is the largest window of a connection direction (its
	// bytes sent but not yet read by the receiver).
	DefaultWindow = 256 << 10
	// MinWindow is the smallest: TCP's initial windows are about this large.
	MinWindow = 64 << 10
	// MSS is the largest segment: one TLS record (16 KiB + overhead) fits.
	MSS = 17 << 10
	// headerBytes is the IP+TCP overhead charged to the links per segment.
	headerBytes = 52
	// DefaultBacklog is how many unaccepted connections a listener holds:
	// a Go listener's, which is net.core.somaxconn (4096 since Linux 5.4).
	// Beyond it, SYNs are dropped and their clients resend them after 1 s,
	// 2 s, 4 s... (Linux's default; a refusal would tell a flash crowd's
	// late announcers that the tracker is down).
	DefaultBacklog = 4096
	// minRTO is TCP's minimum retransmission timeout (Linux: 200 ms).
	minRTO = 200 * time.Millisecond
	// maxRetransmits is how many times a dropped data segment is resent
	// before the sender gives up with a timeout (Linux tcp_retries2 is 15;
	// fewer keeps blackholed flows from lingering for many virtual minutes).
	maxRetransmits = 8
)

// Network is a set of hosts under one Sim.
type Network struct {
	s    *sim.Sim
	rand *rand.Rand

	hosts []*Host
	byIP  map[netip.Addr]*Host
	names map[string]*Host

	// Window is the largest window per connection direction (set before
	// connections are made; 0 means DefaultWindow). Each connection's own is
	// twice its path's bandwidth-delay product, within [MinWindow, Window].
	Window int
	// Middlebox, if set, sees every packet and decides its fate. Set it
	// before connections are made.
	Middlebox Middlebox
	// Latency, if set, overrides the one-way latency between two hosts
	// (default: the sum of their access latencies).
	Latency func(a, b *Host) time.Duration

	nextFlow uint64
	// free holds segment buffers (capacity MSS) read to the end, for reuse:
	// a swarm moves gigabytes through short-lived segments.
	free [][]byte
	// freeSmall holds short writes' buffers (capacity smallBuffer).
	freeSmall [][]byte
}

// maxFree and maxFreeSmall bound the buffers kept for reuse (17 MiB and
// 4 MiB).
const (
	maxFree      = 1024
	maxFreeSmall = 4096
)

// smallBuffer is the capacity of a short write's segment buffer: room for
// the few messages that may join it while it waits for the uplink.
const smallBuffer = 1 << 10

// buffer returns a segment buffer of length k. Buffers are reused only
// without a middlebox, which may keep the packets it sees. A short write
// (a HAVE, a request) gets a small buffer of its own: segments in flight
// are held in memory, and one of MSS capacity per short message would cost
// a busy swarm more than its bulk data does.
func (n *Network) buffer(k int) []byte {
	if n.Middlebox != nil {
		return make([]byte, k)
	}
	if k <= smallBuffer {
		if l := len(n.freeSmall); l > 0 {
			b := n.freeSmall[l-1]
			n.freeSmall = n.freeSmall[:l-1]
			return b[:k]
		}
		return make([]byte, k, smallBuffer)
	}
	if l := len(n.free); l > 0 {
		b := n.free[l-1]
		n.free = n.free[:l-1]
		return b[:k]
	}
	return make([]byte, k, MSS)
}

// release takes back a buffer from buffer once nothing refers to it.
func (n *Network) release(b []byte) {
	if n.Middlebox != nil {
		return
	}
	switch {
	case cap(b) == MSS && len(n.free) < maxFree:
		n.free = append(n.free, b)
	case cap(b) == smallBuffer && len(n.freeSmall) < maxFreeSmall:
		n.freeSmall = append(n.freeSmall, b)
	}
}

// New returns an empty network under s. Its loss decisions draw from a
// source derived from the seed.
func New(s *sim.Sim) *Network {
	return &Network{s: s, rand: s.NewRand(), byIP: map[netip.Addr]*Host{}, names: map[string]*Host{}}
}

// Sim returns the simulator the network runs under.
func (n *Network) Sim() *sim.Sim { return n.s }

// HostConfig describes a host's access link.
type HostConfig struct {
	// Name is optional; Dial resolves it like a DNS name.
	Name string
	// Addr is the host's IPv4 address; zero picks the next of 10.0.0.1,
	// 10.0.0.2, ...
	Addr netip.Addr
	// Up and Down are the access capacities in bytes per second (0: unlimited).
	Up, Down int64
	// Latency is the one-way latency from the host to the core.
	Latency time.Duration
	// Loss is the probability that a segment crossing this host's access
	// link is lost (and retransmitted after a timeout).
	Loss float64
}

// Host is one machine on the network; it is a sim.Stack.
type Host struct {
	n   *Network
	cfg HostConfig
	ip  netip.Addr

	up, down  link
	listeners map[uint16]*Listener
	nextPort  uint16

	// Stats counts the payload bytes this host sent and received.
	Stats HostStats
}

// HostStats is what a host moved, in payload bytes (not headers).
type HostStats struct {
	BytesSent, BytesReceived   int64
	ConnsOpened, ConnsAccepted int64
	// SYNsDropped counts connection attempts dropped because the listener's
	// backlog was full (each is resent by its client).
	SYNsDropped int64
}

var _ sim.Stack = (*Host)(nil)

// AddHost adds a host. It fails on a duplicate name or address or a bad value.
func (n *Network) AddHost(cfg HostConfig) (*Host, error) {
	if cfg.Up < 0 || cfg.Down < 0 || cfg.Latency < 0 || cfg.Loss < 0 || cfg.Loss >= 1 {
		return nil, fmt.Errorf("netmodel: host %q: capacities and latency must be >= 0 and loss in [0, 1)", cfg.Name)
	}
	ip := cfg.Addr
	if !ip.IsValid() {
		i := len(n.hosts)
		ip = netip.AddrFrom4([4]byte{10, byte(i / (254 * 256)), byte(i / 254 % 256), byte(i%254 + 1)})
	}
	if !ip.Is4() {
		return nil, fmt.Errorf("netmodel: host %q: address %v is not IPv4", cfg.Name, ip)
	}
	if _, dup := n.byIP[ip]; dup {
		return nil, fmt.Errorf("netmodel: host %q: address %v already in use", cfg.Name, ip)
	}
	if cfg.Name != "" {
		if _, dup := n.names[cfg.Name]; dup {
			return nil, fmt.Errorf("netmodel: host name %q already in use", cfg.Name)
		}
	}
	h := &Host{n: n, cfg: cfg, ip: ip, listeners: map[uint16]*Listener{}, nextPort: 49152,
		up: link{rate: cfg.Up}, down: link{rate: cfg.Down}}
	n.hosts = append(n.hosts, h)
	n.byIP[ip] = h
	if cfg.Name != "" {
		n.names[cfg.Name] = h
	}
	return h, nil
}

// Hosts returns the hosts in the order they were added.
func (n *Network) Hosts() []*Host { return n.hosts }

// Addr returns the host's IP address.
func (h *Host) Addr() netip.Addr { return h.ip }

// Name returns the host's name ("" if none).
func (h *Host) Name() string { return h.cfg.Name }

// Config returns the host's link configuration.
func (h *Host) Config() HostConfig { return h.cfg }

func (n *Network) latency(a, b *Host) time.Duration {
	if a == b {
		return 0
	}
	if n.Latency != nil {
		return n.Latency(a, b)
	}
	return a.cfg.Latency + b.cfg.Latency
}

// resolve parses "host:port" where host is an IP literal or a host name.
func (n *Network) resolve(addr string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("invalid port %q", port)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		h, ok := n.names[host]
		if !ok {
			return netip.AddrPort{}, fmt.Errorf("no such host %q", host)
		}
		ip = h.ip
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)), nil
}

// ephemeralPort picks the next local port, skipping ports with a listener.
func (h *Host) ephemeralPort() uint16 {
	for {
		p := h.nextPort
		h.nextPort++
		if h.nextPort == 0 {
			h.nextPort = 49152
		}
		if _, used := h.listeners[p]; !used {
			return p
		}
	}
}

// transmitTime is how long size bytes take at rate bytes per second.
func transmitTime(size int, rate int64) int64 {
	if rate <= 0 {
		return 0
	}
	return int64(size) * int64(time.Second) / rate
}

// LookupName returns the address of the host with this name.
func (n *Network) LookupName(name string) (netip.Addr, bool) {
	h, ok := n.names[name]
	if !ok {
		return netip.Addr{}, false
	}
	return h.ip, true
}
