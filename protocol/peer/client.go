// Package peer is the BitTorrent client: it listens and dials through a
// transport (plaintext, MSE or TLS), runs the BEP 3 handshake, and drives one
// session state machine per connection, with a picker and a choker per
// torrent, tracker announces and PEX.
//
// Everything it does goes through an env.Env: its clock, tasks, randomness
// and network. Each connection has two tasks — a reader that decodes
// messages into a bounded inbox, and a driver that steps the session and
// writes — and each torrent one ticker task. Locks are held only around
// in-memory state, never across a network call.
package peer

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/bttls/bttls/protocol/demux"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// Config configures a Client. Zero values pick the defaults noted.
type Config struct {
	// Env is the world the client runs in (required).
	Env env.Env
	// PeerID is our BEP 3 peer id; zero picks "-BT0001-" and 12 random bytes.
	PeerID [20]byte
	// ListenAddr is where to accept connections ("127.0.0.1:0" picks a
	// port); empty means no listener (a leecher that only dials).
	ListenAddr string
	// Dialer and Acceptor carry connections (default PlainTransport).
	Dialer   transport.Dialer
	Acceptor transport.Acceptor
	// TorrentSecurity, when set, is called for each torrent whose metadata
	// is known; its result becomes transport.Torrent.Security (the TLS
	// layer reads the torrent's level and secrets from the raw dict).
	TorrentSecurity SecurityFunc
	// MagnetSecurity, when set, gives the transport.Torrent.Security of a
	// magnet link's torrent until its metadata arrives (a Strict secret
	// travels in the link); TorrentSecurity takes over then.
	MagnetSecurity func(meta.Magnet) (any, error)
	// Announce contacts a tracker; nil disables trackers.
	Announce AnnounceFunc
	// AnnounceExtra adds query keys to every announce (the TLS layer's
	// capability signal, e.g. supporttls=1).
	AnnounceExtra url.Values
	// AdvertiseTLS says in every BEP 10 handshake that we accept bttls
	// connections (key "tls", the BEP's version 1), so that a peer met over
	// a legacy transport tries TLS first next time.
	AdvertiseTLS bool

	// MaxConns bounds connections per torrent (default 50).
	MaxConns int
	// MaxRequests bounds our outstanding block requests per connection
	// (default 32 blocks of 16 KiB).
	MaxRequests int
	// UploadSlots is the number of peers unchoked at once per torrent,
	// optimistic slot included (default 4).
	UploadSlots int
	// UploadRate limits the client's total piece upload in bytes per second
	// (0: unlimited).
	UploadRate int64
	// RecordSize is the most a connection writes at once, so the largest
	// TLS record's plaintext: from MinRecordSize to MaxRecordSize (default,
	// 16 KiB, the largest TLS allows: fewest records and system calls on
	// fast links). Smaller records cost less memory per connection at
	// both ends — the receiver's TLS input buffer grows to the largest
	// record it gets — and deliver the messages behind a block sooner on
	// a slow link.
	RecordSize int

	// HandshakeTimeout bounds transport setup plus the BEP 3 handshake (default 15 s).
	HandshakeTimeout time.Duration
	// ReadTimeout drops a connection silent for this long (default 3 min;
	// keep-alives come every 90 s).
	ReadTimeout time.Duration
	// WriteTimeout drops a connection that does not take our bytes (default 60 s).
	WriteTimeout time.Duration
	// Tick is how often each torrent and connection does its periodic work
	// (default 1 s).
	Tick time.Duration
	// PEXInterval is how often peers hear our peer list (default 60 s, BEP 11).
	PEXInterval time.Duration
	// ChokeInterval is the choker's round (default 10 s).
	ChokeInterval time.Duration

	// ClientName is the BEP 10 "v" value (default "bttls").
	ClientName string
	// Logf, when set, receives one line per notable event.
	Logf func(format string, args ...any)
}

func (c *Config) defaults() error {
	if c.Env == nil {
		return errors.New("peer: Config.Env is required")
	}
	if c.Dialer == nil {
		c.Dialer = PlainTransport{}
	}
	if c.Acceptor == nil {
		c.Acceptor = PlainTransport{}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HandshakeTimeout, 15*time.Second)
	def(&c.ReadTimeout, 3*time.Minute)
	def(&c.WriteTimeout, time.Minute)
	def(&c.Tick, time.Second)
	def(&c.PEXInterval, time.Minute)
	def(&c.ChokeInterval, 10*time.Second)
	if c.MaxConns <= 0 {
		c.MaxConns = 50
	}
	if c.MaxRequests <= 0 {
		c.MaxRequests = 32
	}
	if c.RecordSize == 0 {
		c.RecordSize = MaxRecordSize
	}
	if c.RecordSize < MinRecordSize || c.RecordSize > MaxRecordSize {
		return fmt.Errorf("peer: Config.RecordSize %d is out of range: it must be from %d to %d bytes", c.RecordSize, MinRecordSize, MaxRecordSize)
	}
	if c.UploadSlots <= 0 {
		c.UploadSlots = 4
	}
	if c.ClientName == "" {
		c.ClientName = "bttls"
	}
	if c.PeerID == ([20]byte{}) {
		r := c.Env.NewRand()
		copy(c.PeerID[:], "-BT0001-")
		const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
		for i := 8; i < 20; i++ {
			c.PeerID[i] = alphabet[r.IntN(len(alphabet))]
		}
	}
	return nil
}

// Client is one BitTorrent peer: a listener and a set of torrents.
type Client struct {
	cfg     Config
	e       env.Env
	ln      net.Listener
	limiter *limiter

	// bufs recycles piece message buffers between the readers and drivers
	// of all connections; the garbage collector may empty it.
	bufs sync.Pool

	mu       sync.Mutex
	torrents []*Torrent // in the order added
	closed   bool
	// inbound counts accepted connections still in their handshakes;
	// handshakeEnded is notified each time one ends.
	inbound        int
	handshakeEnded env.Signal
}

// maxInboundHandshakes bounds accepted connections that have not finished
// their handshakes, so a flood of idle connections costs little. Beyond
// it the listener stops accepting and connections wait in its backlog:
// closing them instead would look, to a bttls initiator, like a legacy
// peer's refusal of its ClientHello, and under policy prefer it would fall
// back to MSE with a peer that speaks bttls (docs/bep_tls.rst, "Fallback").
const maxInboundHandshakes = 64

// New starts a client (and its listener, if Config.ListenAddr is set).
func New(cfg Config) (*Client, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, e: cfg.Env, limiter: newLimiter(cfg.Env, cfg.UploadRate), handshakeEnded: cfg.Env.NewSignal()}
	if cfg.ListenAddr != "" {
		ln, err := cfg.Env.Listen("tcp", cfg.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("peer: listening on %s: %w", cfg.ListenAddr, err)
		}
		c.ln = ln
		c.e.Go("peer-accept "+ln.Addr().String(), c.acceptLoop)
	}
	return c, nil
}

// PeerID is the client's BEP 3 peer id.
func (c *Client) PeerID() [20]byte { return c.cfg.PeerID }

// Addr is the listener's address, nil without a listener.
func (c *Client) Addr() net.Addr {
	if c.ln == nil {
		return nil
	}
	return c.ln.Addr()
}

func (c *Client) listenPort() int {
	if c.ln == nil {
		return 0
	}
	if ap, err := netip.ParseAddrPort(c.ln.Addr().String()); err == nil {
		return int(ap.Port())
	}
	return 0
}

func (c *Client) logf(format string, args ...any) {
	if c.cfg.Logf != nil {
		c.cfg.Logf(format, args...)
	}
}

// Close stops the listener and every torrent (announcing "stopped" to their
// trackers) and closes every connection. It does not wait for tasks to end.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ts := slices.Clone(c.torrents)
	c.mu.Unlock()
	var err error
	if c.ln != nil {
		err = c.ln.Close()
	}
	for _, t := range ts {
		t.close()
	}
	return err
}

// Lookup implements transport.Registry.
func (c *Client) Lookup(infoHash [20]byte) (*transport.Torrent, bool) {
	t := c.torrent(infoHash)
	if t == nil {
		return nil, false
	}
	return t.transportTorrent(), true
}

// Torrents implements transport.Registry.
func (c *Client) Torrents() []*transport.Torrent {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*transport.Torrent, 0, len(c.torrents))
	for _, t := range c.torrents {
		out = append(out, t.transportTorrent())
	}
	return out
}

func (c *Client) torrent(infoHash [20]byte) *Torrent {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.torrents {
		if t.infoHash == infoHash {
			return t
		}
	}
	return nil
}

func (c *Client) acceptLoop() {
	for {
		nc, err := c.ln.Accept()
		if err != nil {
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			if !closed {
				c.logf("peer: accept: %v", err)
			}
			return
		}
		c.mu.Lock()
		for c.inbound >= maxInboundHandshakes && !c.closed {
			c.mu.Unlock()
			c.handshakeEnded.Wait(time.Second)
			c.mu.Lock()
		}
		closed := c.closed
		torrents := slices.Clone(c.torrents)
		if !closed {
			c.inbound++
		}
		c.mu.Unlock()
		if closed {
			nc.Close()
			return
		}
		full := !anyRoom(torrents, 0)
		c.e.Go("peer-in "+nc.RemoteAddr().String(), func() { c.handleInbound(nc, full) })
	}
}

// refuseEarly decides, for a connection accepted while no torrent had
// room, whether to close it before its transport handshake, which is the
// costly part and comes before we learn which torrent the peer wants. It
// reads the opening to tell. A plaintext opening is closed at once. A TLS
// ClientHello is answered with the busy alert (tlslevel.RefuseBusy) and
// closed when the acceptor allows it (transport.BusyAnswerer; a port that
// poses as a web server does not): a bttls initiator cannot tell a
// connection closed before the TLS handshake from a legacy peer's refusal,
// and under prefer it would fall back to MSE or plaintext with a peer that
// speaks bttls (docs/bep_tls.rst, "Fallback"); the alert says that the peer
// speaks TLS and is busy, and spares both ends the handshake. An MSE opening is not
// refused early: an MSE initiator that gets no reply retries in plaintext
// (protocol/levels), which would show the infohash, and MSE has no way to
// say busy; it pays for its handshake and is refused after it if the
// torrent still has no room, a failure its initiator does not fall back
// from. rc replays what was read.
func (c *Client) refuseEarly(nc net.Conn) (refuse bool, rc net.Conn, err error) {
	nc.SetReadDeadline(c.e.Now().Add(c.cfg.HandshakeTimeout))
	class, rc, err := demux.Peek(nc)
	if err != nil {
		return true, nil, err
	}
	switch class {
	case demux.Plain:
		return true, rc, nil
	case demux.TLS:
		if ba, ok := c.cfg.Acceptor.(transport.BusyAnswerer); ok && ba.AnswersBusy(c) {
			return true, rc, tlslevel.RefuseBusy(rc)
		}
	}
	return false, rc, nil
}

// pooledBufSize is the buffer size recycled: a piece message body holding
// one standard block.
const pooledBufSize = 9 + 16<<10

// getBuf returns a recycled buffer for an n-byte message, or nil.
func (c *Client) getBuf(n int) []byte {
	if n > pooledBufSize || n < pooledBufSize/2 {
		return nil
	}
	if b, ok := c.bufs.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, pooledBufSize)
}

// putBuf recycles a buffer from getBuf.
func (c *Client) putBuf(b []byte) {
	if cap(b) != pooledBufSize {
		return
	}
	b = b[:pooledBufSize]
	c.bufs.Put(&b)
}
