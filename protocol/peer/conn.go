package peer

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/picker"
	"github.com/bttls/bttls/protocol/session"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/protocol/wire"
)

const (
	// maxInbox bounds decoded-but-unprocessed bytes per connection; the
	// reader stops reading (and TCP pushes back) beyond it.
	maxInbox = 256 << 10
	// uploadChunk is how many uploads the driver stages for the writer
	// ahead of the network.
	uploadChunk = 4
	readBufSize = 4 << 10
	// tlsReadBufSize replaces it over TLS, which holds a whole decrypted
	// record already: our buffer only saves calls into it for small
	// messages, and large reads (blocks) bypass it. Thousands of simulated
	// connections each save the difference.
	tlsReadBufSize = 512
	// fastReadBufSize replaces it once a connection has carried
	// fastReadAfter bytes: fewer, larger reads for the busy ones only.
	fastReadBufSize = 64 << 10
	fastReadAfter   = 4 << 20
	// maxKeptWriteBuf bounds a message buffer kept for reuse, and the
	// messages merged into one queued buffer.
	maxKeptWriteBuf = (uploadChunk + 1) * (16<<10 + 13)
	// maxWriteAhead bounds the piece data handed to the writer task and not
	// yet written: the driver pulls uploads from the session only below
	// it, so a peer that does not read costs this much, and the rest of
	// its requests wait in the session (bounded by MaxPeerRequests).
	maxWriteAhead = uploadChunk * (16<<10 + 13)
	// maxWriteBacklog bounds everything queued for the writer. Beyond it
	// the driver stops taking from the inbox too, so the peer's own
	// messages (requests we reject, say) cannot grow our queue without
	// limit when it does not read; only messages push it past
	// maxWriteAhead, so honest peers never get there.
	maxWriteBacklog = 1 << 20
	// blockSize is the usual request size, for turning maxWriteAhead into
	// a number of uploads.
	blockSize = 16 << 10
)

// conn is one peer connection after the handshakes.
type conn struct {
	t        *Torrent
	id       uint64
	tc       *transport.Conn
	addr     string
	outbound bool
	peerID   [20]byte
	// listenAddr is where the peer accepts connections (dialled address, or
	// remote IP plus the BEP 10 "p" port), for PEX; invalid if unknown.
	listenAddr netip.AddrPort
	// opening is the responder's BEP 3 handshake, held back so that it
	// leaves in one write (one TLS record) with the session's first
	// messages (extension handshake, bitfield): a burst of small equal-size
	// records is a shape DPI can match. Guarded by t.mu, like started,
	// which says the driver has queued that first write: only then may
	// others (a verified piece's HAVE) queue messages behind it.
	opening []byte
	started bool

	// Guarded by t.mu.
	sess     *session.Session
	nextPEX  time.Time
	pexSent  addrSet
	lastDown int64
	lastUp   int64
	rate     float64 // bytes/s over the last choke round (down or up, see runChoker)
	strikes  int

	wake  env.Signal // the driver waits on it
	space env.Signal // the reader waits on it when the inbox is full
	// driving is held for each pass over the inbox and the session (by
	// the driver, or by the reader doing the pass itself, see readLoop);
	// lastTick, guarded by it, is when the session last ticked.
	driving  sync.Mutex
	lastTick time.Time
	wsig     env.Signal // the writer waits on it for output
	wdone    env.Signal // the driver waits on it for the writer to exit

	mu    sync.Mutex // guards the fields below
	inbox []wire.Message
	// inboxBufs are the pooled buffers behind inbox's piece messages, to
	// recycle once the driver has staged their blocks.
	inboxBufs  [][]byte
	inboxBytes int
	// wq is output handed to the writer task, in order; wqBytes counts it
	// until written (what the writer took and is writing included).
	// Written message buffers go back to writeBufs, shared by every
	// connection.
	wq      []outItem
	wqBytes int
	// held is set by the driver when the writer's backlog held back its
	// work (uploads the session may have ready beyond the write-ahead, or
	// the inbox itself): only then does a completed write wake it. writes
	// counts completed writes, so that the driver sees one it could not
	// have been woken for (finished before held was set).
	held       bool
	writes     uint64
	writerGone bool
	closed     bool
	err        error
}

func reserved() wire.Reserved {
	var r wire.Reserved
	r.SetExtension()
	r.SetFast()
	return r
}

// handshakeOut runs the BEP 3 handshake on an outbound transport conn.
func (c *Client) handshakeOut(t *Torrent, tc *transport.Conn, addr string) (*conn, error) {
	if tc.Torrent != nil && tc.Torrent.InfoHash != t.infoHash {
		return nil, fmt.Errorf("peer: transport set up for torrent %x, want %x", tc.Torrent.InfoHash, t.infoHash)
	}
	tc.SetDeadline(c.e.Now().Add(c.cfg.HandshakeTimeout))
	ours := wire.Handshake{Reserved: reserved(), InfoHash: t.infoHash, PeerID: c.cfg.PeerID}
	if _, err := tc.Write(ours.Append(nil)); err != nil {
		return nil, fmt.Errorf("peer: sending handshake: %w", err)
	}
	theirs, err := wire.ReadHandshake(tc)
	if err != nil {
		return nil, err
	}
	if theirs.InfoHash != t.infoHash {
		return nil, fmt.Errorf("peer: handshake names torrent %x, want %x", theirs.InfoHash, t.infoHash)
	}
	tc.SetDeadline(time.Time{})
	return t.addConn(tc, addr, true, ours, theirs)
}

// handleInbound sets up the transport and the BEP 3 handshake of an
// accepted connection, then runs it. full says no torrent had room when it
// was accepted (see refuseEarly).
func (c *Client) handleInbound(nc net.Conn, full bool) {
	if full {
		refuse, rc, err := c.refuseEarly(nc)
		if refuse {
			c.endInbound()
			if err != nil {
				c.logf("peer: refusing %s: at the connection limit: %v", nc.RemoteAddr(), err)
			} else {
				c.logf("peer: refusing %s: at the connection limit", nc.RemoteAddr())
			}
			nc.Close()
			return
		}
		nc = rc
	}
	cn, err := c.setupInbound(nc)
	c.endInbound()
	if err != nil {
		c.logf("peer: inbound %s: %v", nc.RemoteAddr(), err)
		return
	}
	cn.run()
}

// endInbound counts an accepted connection's handshakes as over, which
// lets the listener accept another if it was at maxInboundHandshakes.
func (c *Client) endInbound() {
	c.mu.Lock()
	c.inbound--
	c.mu.Unlock()
	c.handshakeEnded.Notify()
}

// setupInbound runs the transport and BEP 3 handshakes of an accepted
// connection; on failure the connection is closed.
func (c *Client) setupInbound(nc net.Conn) (*conn, error) {
	nc.SetDeadline(c.e.Now().Add(c.cfg.HandshakeTimeout))
	tc, err := c.cfg.Acceptor.Accept(c.e, nc, c, c.cfg.HandshakeTimeout)
	if err != nil {
		nc.Close()
		return nil, err
	}
	cn, err := c.handshakeIn(tc)
	if err != nil {
		tc.Close()
		return nil, err
	}
	return cn, nil
}

func (c *Client) handshakeIn(tc *transport.Conn) (*conn, error) {
	tc.SetDeadline(c.e.Now().Add(c.cfg.HandshakeTimeout))
	theirs, err := wire.ReadHandshake(tc)
	if err != nil {
		return nil, err
	}
	if tc.Torrent != nil && tc.Torrent.InfoHash != theirs.InfoHash {
		return nil, fmt.Errorf("peer: handshake names torrent %x but the transport was set up for %x", theirs.InfoHash, tc.Torrent.InfoHash)
	}
	t := c.torrent(theirs.InfoHash)
	if t == nil {
		return nil, fmt.Errorf("peer: handshake names torrent %x, which we do not serve", theirs.InfoHash)
	}
	ours := wire.Handshake{Reserved: reserved(), InfoHash: t.infoHash, PeerID: c.cfg.PeerID}
	tc.SetDeadline(time.Time{})
	cn, err := t.addConn(tc, tc.RemoteAddr().String(), false, ours, theirs)
	if err != nil {
		return nil, err
	}
	// Sent by the driver's first write, together with what Start queued.
	t.mu.Lock()
	cn.opening = ours.Append(nil)
	t.mu.Unlock()
	return cn, nil
}

// addConn registers a connection whose handshakes are done.
func (t *Torrent) addConn(tc *transport.Conn, addr string, outbound bool, ours, theirs wire.Handshake) (*conn, error) {
	if theirs.PeerID == t.c.cfg.PeerID {
		return nil, errors.New("peer: connected to ourselves")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	if t.banned[theirs.PeerID] {
		return nil, fmt.Errorf("peer: %q is banned (sent corrupt pieces)", theirs.PeerID[:])
	}
	for _, o := range t.conns {
		if o.peerID == theirs.PeerID {
			return nil, fmt.Errorf("peer: already connected to %q", theirs.PeerID[:])
		}
	}
	if outbound && len(t.conns) >= t.maxConnsLocked() || !outbound && !t.inboundRoomLocked(0) {
		return nil, errors.New("peer: too many connections")
	}
	now := t.c.e.Now()
	cfg := session.Config{
		Fast:        ours.Reserved.Fast() && theirs.Reserved.Fast(),
		Extensions:  ours.Reserved.Extension() && theirs.Reserved.Extension(),
		LocalExt:    t.localExtLocked(),
		MaxRequests: t.c.cfg.MaxRequests,
	}
	t.nextConnID++
	cn := &conn{
		t: t, id: t.nextConnID, tc: tc, addr: addr, outbound: outbound, peerID: theirs.PeerID,
		sess:    session.New(cfg, t.picker, now),
		nextPEX: now.Add(2 * time.Second),
		wake:    t.c.e.NewSignal(),
		space:   t.c.e.NewSignal(),
		wsig:    t.c.e.NewSignal(),
		wdone:   t.c.e.NewSignal(),
	}
	if outbound {
		cn.listenAddr, _ = netip.ParseAddrPort(addr)
	}
	cn.sess.Start()
	t.conns = append(t.conns, cn)
	// A free slot is lent to the new peer before it has a reason to be
	// interested (see lendSlotsLocked).
	t.fillSlotsLocked()
	t.notifyLocked()
	t.c.logf("peer: %s: connected to %s (%s, %s)", t.name(), addr, tc.Kind, dirName(outbound))
	return cn, nil
}

func dirName(outbound bool) string {
	if outbound {
		return "outbound"
	}
	return "inbound"
}

// run drives the connection until it fails; the reader and the writer run
// beside it. The driver never blocks on the network: were it to wait in
// Write while the inbox is full, and the peer do the same, both readers
// would wait for their drivers and both drivers for the other's reader
// (two peers uploading to each other deadlock until the write timeout).
// Instead it hands output to the writer and, while the writer is behind,
// leaves the peer's requests queued in the session and keeps reading.
func (cn *conn) run() {
	e := cn.t.c.e
	cn.lastTick = e.Now()
	e.Go("peer-read "+cn.addr, cn.readLoop)
	e.Go("peer-write "+cn.addr, cn.writeLoop)
	cn.wake.Notify()
	for {
		cn.wake.Wait(cn.t.c.cfg.Tick)
		cn.driving.Lock()
		closed, cerr := cn.drive()
		cn.driving.Unlock()
		if closed {
			cn.finish(cerr)
			return
		}
	}
}

// drive is one pass of the driver: it steps the session through the
// inbox's messages, ticks it when due, and hands what it wants sent to
// the writer. It reports whether the connection is closed (and why), for
// the driver to clean up. The caller holds cn.driving.
func (cn *conn) drive() (bool, error) {
	e := cn.t.c.e
	cn.mu.Lock()
	var msgs []wire.Message
	var bufs [][]byte
	took := cn.wqBytes <= maxWriteBacklog
	if took {
		msgs, bufs = cn.inbox, cn.inboxBufs
		cn.inbox, cn.inboxBufs, cn.inboxBytes = nil, nil, 0
	}
	backlog, writes := cn.wqBytes, cn.writes
	closed, cerr := cn.closed, cn.err
	cn.mu.Unlock()
	if took {
		cn.space.Notify()
	}
	if closed {
		return true, cerr
	}
	now := e.Now()
	t := cn.t
	t.mu.Lock()
	err := cn.stepLocked(msgs, now)
	if err == nil && now.Sub(cn.lastTick) >= cn.t.c.cfg.Tick {
		cn.lastTick = now
		err = cn.sess.Tick(now)
	}
	var r session.Ready
	maxUploads := max(0, (maxWriteAhead-backlog+blockSize-1)/blockSize)
	if err == nil {
		r, err = cn.drainLocked(maxUploads)
	}
	if err == nil {
		// Under t.mu, so that messages leave in the order the session
		// made them, whoever drains it.
		cn.sendLocked(r.Messages)
	}
	t.mu.Unlock()
	cn.mu.Lock()
	cn.held = !took || len(r.Uploads) >= maxUploads
	missed := cn.held && cn.writes != writes
	cn.mu.Unlock()
	if missed {
		cn.wake.Notify()
	}
	// Blocks are staged (copied) by now: their buffers can be reused.
	for _, b := range bufs {
		t.c.putBuf(b)
	}
	if err == nil {
		err = cn.upload(r.Uploads)
	}
	if err != nil {
		cn.fail(err)
	}
	return false, nil
}

// sendLocked hands msgs to the writer, behind the held-back opening if it
// has not left yet.
func (cn *conn) sendLocked(msgs []wire.Message) {
	cn.started = true
	if len(msgs) == 0 && cn.opening == nil {
		return
	}
	buf := cn.newBuf()
	if cn.opening != nil {
		buf = append(buf, cn.opening...)
		cn.opening = nil
	}
	for _, m := range msgs {
		buf = m.Append(buf)
	}
	cn.enqueue(buf)
}

// flushLocked sends what the session has queued (messages: a HAVE, a
// change of interest, requests) for a caller holding t.mu that changed
// the session, without waking the driver: a verified piece then costs
// each connection one write, not a driver step too. Uploads stay for the
// driver. Before the driver's first write it is woken instead.
func (cn *conn) flushLocked() {
	if !cn.started {
		cn.wake.Notify()
		return
	}
	r, err := cn.drainLocked(0)
	if err != nil {
		cn.failLocked(err)
		return
	}
	if len(r.Messages) > 0 {
		cn.sendLocked(r.Messages)
	}
}

// stepLocked feeds received messages to the session.
func (cn *conn) stepLocked(msgs []wire.Message, now time.Time) error {
	wasted := cn.sess.Wasted()
	defer func() { cn.t.stats.Wasted += cn.sess.Wasted() - wasted }()
	for _, m := range msgs {
		kind := cn.tc.Kind
		if m.Type == wire.Piece && !m.KeepAlive {
			cn.t.countLocked(kind, cn.peerID, int64(len(m.Block)), 0)
		}
		if err := cn.sess.Step(m, now); err != nil {
			return err
		}
	}
	return nil
}

// drainLocked collects what the session wants sent, at most maxUploads
// uploads among it, handling its events (which may produce more to send)
// until nothing is left.
func (cn *conn) drainLocked(maxUploads int) (session.Ready, error) {
	var out session.Ready
	for {
		r := cn.sess.ReadyAtMost(maxUploads - len(out.Uploads))
		if len(r.Messages) == 0 && len(r.Uploads) == 0 && len(r.Events) == 0 {
			break
		}
		out.Messages = append(out.Messages, r.Messages...)
		out.Uploads = append(out.Uploads, r.Uploads...)
		for _, ev := range r.Events {
			if err := cn.t.handleEventLocked(cn, ev); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// upload hands uploads to the writer task, which reads each block from
// storage only when it writes it; it blocks only in the upload rate
// limiter.
func (cn *conn) upload(uploads []picker.Block) error {
	if len(uploads) == 0 {
		return nil
	}
	t := cn.t
	t.mu.Lock()
	store := t.store
	t.mu.Unlock()
	if store == nil {
		return nil
	}
	items := make([]outItem, 0, len(uploads))
	for _, b := range uploads {
		t.c.limiter.take(b.Length)
		t.mu.Lock()
		cn.sess.Uploaded(b.Length)
		t.countLocked(cn.tc.Kind, cn.peerID, 0, int64(b.Length))
		t.mu.Unlock()
		items = append(items, outItem{store: store, piece: b.Piece, begin: b.Begin, length: b.Length})
	}
	cn.mu.Lock()
	for _, it := range items {
		cn.wq = append(cn.wq, it)
		cn.wqBytes += it.size()
	}
	cn.mu.Unlock()
	cn.wsig.Notify()
	return nil
}

// newBuf returns an empty buffer, a written one when there is one.
func (cn *conn) newBuf() []byte { return getWriteBuf() }

// enqueue hands messages to the writer task. Messages that, with the last
// queued ones, stay within maxKeptWriteBuf join them, so that a writer
// held up by a slow peer keeps one or two buffers queued, not one per
// HAVE or request the driver produced meanwhile. The writer cuts its
// writes from the queued bytes whatever the buffers, so how they were
// merged never changes what it sends.
func (cn *conn) enqueue(buf []byte) {
	if len(buf) == 0 {
		putWriteBuf(buf)
		return
	}
	cn.mu.Lock()
	if n := len(cn.wq); n > 0 && cn.wq[n-1].data != nil && len(cn.wq[n-1].data)+len(buf) <= maxKeptWriteBuf {
		cn.wq[n-1].data = append(cn.wq[n-1].data, buf...)
		cn.wqBytes += len(buf)
		cn.mu.Unlock()
		putWriteBuf(buf)
		return
	}
	cn.wq = append(cn.wq, outItem{data: buf})
	cn.wqBytes += len(buf)
	cn.mu.Unlock()
	cn.wsig.Notify()
}

// writeLoop writes what the driver queues, in order, until the connection
// fails, at most Config.RecordSize bytes per write: so that each write
// is a full TLS record, and the plaintext held while a write waits for
// the network is one record's, not the driver's whole write-ahead. Once
// everything queued is written it wakes the driver if the backlog held
// it back, so that it pulls more uploads.
func (cn *conn) writeLoop() {
	e := cn.t.c.e
	size := cn.t.c.cfg.RecordSize
	pool := chunkPool(size)
	var local []outItem // taken from wq, not yet written
	off := 0            // bytes of local[0] already written
	defer func() {
		cn.mu.Lock()
		cn.writerGone = true
		cn.wq = nil
		cn.mu.Unlock()
		for _, it := range local {
			putWriteBuf(it.data)
		}
		cn.wdone.Notify()
	}()
	for {
		cn.mu.Lock()
		for len(local) == 0 && len(cn.wq) == 0 && !cn.closed {
			cn.mu.Unlock()
			cn.wsig.Wait(0)
			cn.mu.Lock()
		}
		if cn.closed {
			cn.mu.Unlock()
			return
		}
		local = append(local, cn.wq...)
		clear(cn.wq)
		cn.wq = cn.wq[:0]
		cn.mu.Unlock()
		buf := getChunkBuf(pool, size)
		var done int
		var err error
		buf, done, off, err = fillChunk(buf, local, off)
		for i := range done {
			putWriteBuf(local[i].data)
		}
		clear(local[:done])
		local = local[done:]
		if len(local) == 0 {
			local = nil
		}
		if err != nil {
			putChunkBuf(pool, buf)
			cn.fail(fmt.Errorf("peer: serving piece: %w", err))
			return
		}
		cn.tc.SetWriteDeadline(e.Now().Add(cn.t.c.cfg.WriteTimeout))
		// fail sets closed before it moves the deadline into the past: seen
		// open after our deadline is set, any later fail overrides it.
		cn.mu.Lock()
		closed := cn.closed
		cn.mu.Unlock()
		if closed {
			putChunkBuf(pool, buf)
			return
		}
		_, err = cn.tc.Write(buf)
		cn.mu.Lock()
		cn.wqBytes -= len(buf)
		cn.writes++
		wake := cn.held && cn.wqBytes == 0
		cn.mu.Unlock()
		putChunkBuf(pool, buf)
		if err != nil {
			cn.fail(fmt.Errorf("peer: writing: %w", err))
			return
		}
		if wake {
			cn.wake.Notify()
		}
	}
}

func putUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// readLoop decodes messages into the inbox, pausing while it is full.
func (cn *conn) readLoop() {
	e := cn.t.c.e
	size, total := readBufSize, 0
	if cn.tc.Kind.IsTLS() {
		size, total = tlsReadBufSize, fastReadAfter // no larger buffer either
	}
	br := bufio.NewReaderSize(cn.tc, size)
	cur := br // the buffer r reads from
	r := wire.NewReader(br)
	// Without an upload rate limit a pass of the driver never waits, so
	// the reader does it itself once it has read every whole message
	// buffered, rather than wake the driver: one task resumed fewer for
	// each batch of messages (in sim/swarm's flash crowds, a fifth of all
	// task switches). The driver still runs for ticks, for events from
	// the torrent and whenever the reader finds it mid-pass.
	inline := cn.t.c.limiter.rate <= 0
	var pooled []byte
	r.Alloc = func(n int) []byte {
		pooled = cn.t.c.getBuf(n)
		if pooled != nil {
			return pooled[:n]
		}
		return make([]byte, n)
	}
	for {
		pooled = nil
		cn.tc.SetReadDeadline(e.Now().Add(cn.t.c.cfg.ReadTimeout))
		m, err := r.ReadMessage()
		if err != nil {
			cn.fail(fmt.Errorf("peer: reading from %s: %w", cn.addr, err))
			return
		}
		n := len(m.Block) + len(m.Bitfield) + len(m.Payload) + 16
		if total < fastReadAfter {
			if total += n; total >= fastReadAfter {
				// The new buffer reads what the small one still holds first.
				alloc := r.Alloc
				cur = bufio.NewReaderSize(br, fastReadBufSize)
				r = wire.NewReader(cur)
				r.Alloc = alloc
			}
		}
		cn.mu.Lock()
		cn.inbox = append(cn.inbox, m)
		if pooled != nil {
			if m.Type == wire.Piece && !m.KeepAlive {
				cn.inboxBufs = append(cn.inboxBufs, pooled)
			}
			// Other messages' slices may be kept (a bitfield before the
			// metadata is known), so their buffers are not recycled.
		}
		cn.inboxBytes += n
		for cn.inboxBytes > maxInbox && !cn.closed {
			cn.mu.Unlock()
			cn.wake.Notify()
			cn.space.Wait(0)
			cn.mu.Lock()
		}
		closed := cn.closed
		cn.mu.Unlock()
		if closed {
			cn.wake.Notify()
			return
		}
		switch {
		case wholeMessageBuffered(cur):
			// The next read does not wait: take that message first.
		case inline && cn.driving.TryLock():
			closed, _ := cn.drive()
			cn.driving.Unlock()
			if closed {
				cn.wake.Notify()
				return
			}
		default:
			cn.wake.Notify()
		}
	}
}

// wholeMessageBuffered reports whether br holds a whole BEP 3 message, so
// that reading it cannot wait for the network.
func wholeMessageBuffered(br *bufio.Reader) bool {
	if br.Buffered() < 4 {
		return false
	}
	hdr, err := br.Peek(4)
	if err != nil {
		return false
	}
	return uint64(br.Buffered()) >= 4+uint64(binary.BigEndian.Uint32(hdr))
}

// fail closes the connection; the driver cleans up.
func (cn *conn) fail(err error) {
	cn.mu.Lock()
	if cn.closed {
		cn.mu.Unlock()
		return
	}
	cn.closed, cn.err = true, err
	cn.mu.Unlock()
	// A deadline in the past unblocks the reader and a writer at once;
	// Close, which for TLS may wait to send close_notify, is left to the
	// driver, which holds no lock then (see finish).
	cn.tc.SetDeadline(cn.t.c.e.Now().Add(-time.Second))
	cn.wake.Notify()
	cn.space.Notify()
	cn.wsig.Notify()
}

// failLocked is fail for callers holding t.mu: fail takes only cn.mu and
// sets a deadline, neither of which blocks.
func (cn *conn) failLocked(err error) { cn.fail(err) }

// finish removes a closed connection from its torrent.
func (cn *conn) finish(err error) {
	// The writer leaves at once (fail moved the deadline into the past);
	// closing under its Write could block on the transport's own lock.
	for {
		cn.mu.Lock()
		gone := cn.writerGone
		cn.mu.Unlock()
		if gone {
			break
		}
		cn.wdone.Wait(0)
	}
	cn.tc.Close()
	t := cn.t
	t.mu.Lock()
	cn.sess.Close()
	if k := slices.Index(t.conns, cn); k >= 0 {
		t.conns = slices.Delete(t.conns, k, k+1)
	}
	// Blocks it held are free again: let the others ask for them.
	for _, o := range t.conns {
		o.sess.Refill()
		o.wake.Notify()
	}
	t.notifyLocked()
	t.mu.Unlock()
	if err != nil && !errors.Is(err, errClosed) && !errors.Is(err, errBothSeeds) {
		t.c.logf("peer: %s: %s disconnected: %v", t.name(), cn.addr, err)
	}
}
