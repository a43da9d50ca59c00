// Package session is the state machine of one peer wire connection, after
// the BEP 3 handshake: choke and interest state, the peer's pieces, our
// pipelined requests and the peer's requests to us, BEP 6 and BEP 10.
//
// It does no I/O and keeps no clock (in the style of etcd-io/raft's
// RawNode): the caller feeds decoded messages with Step and the passage of
// time with Tick, changes our side with the input methods (SetChoked,
// OurHave, ...), and then drains Ready, whose fields say what to send and
// what happened. Steps that return an error mean "drop this peer".
//
// The torrent's Picker is shared by all sessions of a torrent; the caller
// serialises calls to sessions of one torrent.
package session

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/bttls/bttls/protocol/bitfield"
	"github.com/bttls/bttls/protocol/picker"
	"github.com/bttls/bttls/protocol/wire"
)

// Config is one session's settings. Zero values pick the defaults.
type Config struct {
	// Fast is set when both handshakes carry the BEP 6 bit.
	Fast bool
	// Extensions is set when both handshakes carry the BEP 10 bit.
	Extensions bool
	// LocalExt is the extension handshake we send (our "m" ids, "v", "p",
	// "metadata_size").
	LocalExt wire.ExtHandshake
	// MaxRequests is the pipeline depth until the peer's rate is measured
	// (default 32 blocks of 16 KiB = 512 KiB in flight).
	MaxRequests int
	// MinRequests and MaxRequestsCeil bound the pipeline once it follows
	// the peer's rate (defaults 4, one 64 KiB piece, and 250, the reqq we
	// announce).
	MinRequests     int
	MaxRequestsCeil int
	// QueueTime is how much transfer time the pipeline covers beyond the
	// round trip (default 200 ms): the pipeline holds the bandwidth-delay
	// product, rate × (round trip + QueueTime), and no more. A deeper one
	// keeps the link no busier, but parks blocks behind a slow or busy
	// peer that an idle one could have sent: in a flash crowd, requests
	// queued for seconds at a few uploaders while others had nothing asked
	// of them (a pipeline of 1 s, at least 32 blocks, left a third of the
	// swarm's upload unused; sim/swarm's Kumar–Ross test).
	QueueTime time.Duration
	// MaxPeerRequests bounds the peer's queued requests to us (default 256).
	MaxPeerRequests int
	// RequestTimeout: with requests outstanding and no block for this long,
	// the peer is snubbed and its requests go back to the picker (default 60 s).
	RequestTimeout time.Duration
	// KeepAlive: send a keep-alive after this long without sending (default 90 s).
	KeepAlive time.Duration
	// IdleTimeout: drop the peer after this long without receiving (default 180 s).
	IdleTimeout time.Duration
}

func (c *Config) defaults() {
	if c.MaxRequests <= 0 {
		c.MaxRequests = 32
	}
	if c.MinRequests <= 0 {
		c.MinRequests = min(4, c.MaxRequests)
	}
	if c.MaxRequestsCeil < max(c.MaxRequests, c.MinRequests) {
		c.MaxRequestsCeil = max(c.MaxRequests, c.MinRequests, 250)
	}
	if c.QueueTime <= 0 {
		c.QueueTime = 200 * time.Millisecond
	}
	if c.MaxPeerRequests <= 0 {
		c.MaxPeerRequests = 256
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 90 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 180 * time.Second
	}
}

// endgameRequests bounds the duplicate requests an idle peer makes in endgame.
const endgameRequests = 2

// maxWasted is how many unwanted bytes a peer may send before the share
// of them counts against it.
const maxWasted = 8 << 20

// EventKind says what an Event reports.
type EventKind uint8

const (
	// BlockReceived: a wanted block arrived. The caller stages Data and, when
	// Full is set, finishes (verifies) the piece.
	BlockReceived EventKind = iota + 1
	// ExtHandshake: the peer's BEP 10 handshake arrived (see PeerExt).
	ExtHandshake
	// ExtMessage: a BEP 10 message for one of our extensions (Name).
	ExtMessage
	// InterestChanged: the peer became interested or not (see
	// PeerInterested); an upload slot may be free for it now.
	InterestChanged
)

// Event is something the caller must act on.
type Event struct {
	Kind  EventKind
	Block picker.Block // BlockReceived
	Data  []byte       // BlockReceived
	Full  bool         // BlockReceived: the piece has all its blocks
	// Others is set on BlockReceived when the block is also requested from
	// other peers (endgame): the caller tells their sessions (BlockDone).
	Others  bool
	Name    string // ExtMessage: our extension's name
	Payload []byte // ExtMessage
}

// Ready is what the caller must do, in this order: send Messages, then read
// each of Uploads from storage and send it as a piece message, then handle
// Events.
type Ready struct {
	Messages []wire.Message
	Uploads  []picker.Block
	Events   []Event
}

// Session is one connection's state.
type Session struct {
	cfg    Config
	picker *picker.Picker // nil until the torrent's metadata is known

	amChoking, amInterested     bool
	peerChoking, peerInterested bool
	snubbed                     bool

	peerHas bitfield.Bitfield
	// Before the metadata is known the peer's pieces are kept raw.
	rawBitfield []byte
	rawHaveAll  bool
	rawHaves    []uint32
	gotPieces   bool // a bitfield, have_all or have_none arrived

	peerExt *wire.ExtHandshake
	// allowed is the peer's BEP 6 allowed-fast set: pieces we may request
	// while it chokes us (empty until it sends allowed-fast messages).
	allowed bitfield.Bitfield

	outstanding []picker.Block
	uploads     []picker.Block
	ready       Ready

	now, lastRecv, lastSent, lastBlock time.Time

	downloaded, uploaded, wasted int64

	// The download rate from the peer and the round trip set the pipeline
	// depth. The round trip is the least time from a request sent on an
	// empty pipeline (the probe) to its block: with nothing queued ahead
	// of it, that is the path's delay plus one block's transfer.
	rateSince time.Time
	rateBytes int64
	depth     int
	rtt       time.Duration // 0 until measured
	probe     picker.Block
	probeAt   time.Time // zero when no probe is in flight
}

// New returns a session whose handshakes just completed at now. p may be
// nil when the torrent's metadata is not yet known (a magnet link).
func New(cfg Config, p *picker.Picker, now time.Time) *Session {
	cfg.defaults()
	s := &Session{cfg: cfg, picker: p, amChoking: true, peerChoking: true, now: now, lastRecv: now, lastSent: now, lastBlock: now,
		rateSince: now, depth: cfg.MaxRequests}
	if p != nil {
		s.peerHas = bitfield.New(p.NumPieces())
	}
	return s
}

// Start queues our first messages: what we have (a bitfield, or BEP 6
// have_all/have_none), then the extension handshake.
func (s *Session) Start() {
	switch {
	case s.picker == nil || s.picker.NumHave() == 0:
		if s.cfg.Fast {
			s.send(wire.Message{Type: wire.HaveNone})
		}
	case s.cfg.Fast && s.picker.Done():
		s.send(wire.Message{Type: wire.HaveAll})
	default:
		s.send(wire.Message{Type: wire.Bitfield, Bitfield: s.picker.Bitfield().Wire()})
	}
	if s.cfg.Extensions {
		b, err := s.cfg.LocalExt.Marshal()
		if err == nil {
			s.send(wire.Message{Type: wire.Extended, ExtendedID: 0, Payload: b})
		}
	}
}

func (s *Session) send(m wire.Message) { s.ready.Messages = append(s.ready.Messages, m) }

// HasReady reports whether Ready has anything.
func (s *Session) HasReady() bool {
	return len(s.ready.Messages) > 0 || len(s.uploads) > 0 || len(s.ready.Events) > 0
}

// QueuedUploads is the number of accepted requests not yet handed out.
func (s *Session) QueuedUploads() int { return len(s.uploads) }

// Ready returns what to do and clears it.
func (s *Session) Ready() Ready { return s.ReadyAtMost(-1) }

// ReadyAtMost is Ready handing out at most maxUploads of the queued uploads
// (all of them when maxUploads < 0). The rest stay queued: a cancel still
// removes them, a choke rejects them, and they keep counting against
// MaxPeerRequests, so a caller whose writes are behind can stop pulling
// uploads without blocking, losing requests or accepting unbounded ones.
func (s *Session) ReadyAtMost(maxUploads int) Ready {
	r := s.ready
	n := len(s.uploads)
	if maxUploads >= 0 {
		n = min(n, maxUploads)
	}
	if n == len(s.uploads) {
		r.Uploads, s.uploads = s.uploads, nil
	} else if n > 0 {
		r.Uploads = slices.Clone(s.uploads[:n])
		s.uploads = slices.Delete(s.uploads, 0, n)
	}
	s.ready = Ready{}
	if len(r.Messages) > 0 || len(r.Uploads) > 0 {
		s.lastSent = s.now
	}
	return r
}

func (s *Session) numPieces() int {
	if s.picker == nil {
		return -1
	}
	return s.picker.NumPieces()
}

// Step handles one message from the peer. An error means the peer broke
// the protocol: close the connection.
func (s *Session) Step(m wire.Message, now time.Time) error {
	s.now, s.lastRecv = now, now
	if m.KeepAlive {
		return nil
	}
	switch m.Type {
	case wire.Choke:
		s.peerChoking = true
		// Requests die with a choke (BEP 3). With BEP 6 the peer rejects
		// the ones it drops and keeps serving allowed-fast pieces, so only
		// the others are returned now; a late block is still accepted.
		s.dropOutstandingExcept(s.allowed)
	case wire.Unchoke:
		s.peerChoking = false
	case wire.Interested, wire.NotInterested:
		v := m.Type == wire.Interested
		if v != s.peerInterested {
			s.peerInterested = v
			s.ready.Events = append(s.ready.Events, Event{Kind: InterestChanged})
		}
	case wire.Have:
		if err := s.stepHave(m.Index); err != nil {
			return err
		}
	case wire.Bitfield:
		if err := s.stepBitfield(m.Bitfield); err != nil {
			return err
		}
	case wire.HaveAll, wire.HaveNone:
		if !s.cfg.Fast {
			return fmt.Errorf("session: %s without the fast extension", m.Type)
		}
		if s.gotPieces {
			return fmt.Errorf("session: %s after the peer's pieces were already sent", m.Type)
		}
		s.gotPieces = true
		if m.Type == wire.HaveAll {
			if s.picker == nil {
				s.rawHaveAll = true
			} else {
				s.setAll(bitfield.Full(s.picker.NumPieces()))
			}
		}
	case wire.Request:
		s.stepRequest(m)
	case wire.Cancel:
		b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)}
		if k := slices.Index(s.uploads, b); k >= 0 {
			s.uploads = slices.Delete(s.uploads, k, k+1)
		}
	case wire.Reject:
		if !s.cfg.Fast {
			return fmt.Errorf("session: reject without the fast extension")
		}
		b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)}
		if k := slices.Index(s.outstanding, b); k >= 0 {
			s.outstanding = slices.Delete(s.outstanding, k, k+1)
			s.picker.Cancelled(b)
		}
	case wire.Piece:
		s.stepPiece(m)
	case wire.Extended:
		if err := s.stepExtended(m); err != nil {
			return err
		}
	case wire.AllowedFast:
		// BEP 6: these pieces may be requested even while choked, which
		// gets a new peer its first pieces before the peer's next rechoke.
		if s.cfg.Fast && s.picker != nil && int64(m.Index) < int64(s.picker.NumPieces()) {
			if s.allowed.Len() == 0 {
				s.allowed = bitfield.New(s.picker.NumPieces())
			}
			s.allowed.Set(int(m.Index))
		}
	case wire.Port, wire.Suggest:
		// DHT is not spoken; suggestions are optional.
	default:
		return fmt.Errorf("session: unexpected %s message", m.Type)
	}
	s.fill()
	return nil
}

func (s *Session) stepHave(i uint32) error {
	if s.picker == nil {
		if len(s.rawHaves) < 1<<16 {
			s.rawHaves = append(s.rawHaves, i)
		}
		return nil
	}
	if int64(i) >= int64(s.picker.NumPieces()) {
		return fmt.Errorf("session: have for piece %d, torrent has %d", i, s.picker.NumPieces())
	}
	if s.peerHas.Set(int(i)) {
		s.picker.PeerHas(int(i))
		if !s.amInterested && s.picker.WantsPiece(int(i)) {
			s.setInterested(true)
		}
	}
	return nil
}

func (s *Session) stepBitfield(p []byte) error {
	if s.gotPieces {
		return fmt.Errorf("session: bitfield after the peer's pieces were already sent")
	}
	s.gotPieces = true
	if s.picker == nil {
		s.rawBitfield = p
		return nil
	}
	b, err := bitfield.FromWire(p, s.picker.NumPieces())
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	s.setAll(b)
	return nil
}

// setAll replaces the peer's (so far empty) piece set.
func (s *Session) setAll(b bitfield.Bitfield) {
	s.picker.PeerGone(s.peerHas)
	s.peerHas = b
	s.picker.PeerHasAll(b)
	s.setInterested(s.picker.Wants(b))
}

func (s *Session) setInterested(v bool) {
	if v == s.amInterested {
		return
	}
	s.amInterested = v
	if v {
		s.send(wire.Message{Type: wire.Interested})
	} else {
		s.send(wire.Message{Type: wire.NotInterested})
	}
}

func (s *Session) stepRequest(m wire.Message) {
	b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: int(m.Length)}
	ok := s.picker != nil && int64(m.Index) < int64(s.picker.NumPieces()) && s.picker.Have(b.Piece) &&
		int64(m.Begin)+int64(m.Length) <= int64(s.picker.PieceSize(b.Piece))
	if !ok || s.amChoking || len(s.uploads) >= s.cfg.MaxPeerRequests {
		// BEP 6: a request we will not serve is rejected; without it, ignored.
		if s.cfg.Fast {
			s.send(wire.Message{Type: wire.Reject, Index: m.Index, Begin: m.Begin, Length: m.Length})
		}
		return
	}
	if !slices.Contains(s.uploads, b) {
		s.uploads = append(s.uploads, b)
	}
}

func (s *Session) stepPiece(m wire.Message) {
	b := picker.Block{Piece: int(m.Index), Begin: int(m.Begin), Length: len(m.Block)}
	n := int64(len(m.Block))
	s.downloaded += n
	k := slices.Index(s.outstanding, b)
	if k >= 0 {
		s.outstanding = slices.Delete(s.outstanding, k, k+1)
		s.lastBlock = s.now
		s.snubbed = false
		if !s.probeAt.IsZero() && b == s.probe {
			if d := s.now.Sub(s.probeAt); d > 0 && (s.rtt == 0 || d < s.rtt) {
				s.rtt = d
			}
			s.probeAt = time.Time{}
		}
	}
	if s.picker == nil {
		s.wasted += n
		return
	}
	wanted, full := s.picker.Received(b)
	if !wanted {
		s.wasted += n
		return
	}
	// The piece's state lives until it is verified, so this counts the
	// other peers still asked for this block.
	others := s.picker.Requests(b) > 0
	s.ready.Events = append(s.ready.Events, Event{Kind: BlockReceived, Block: b, Data: m.Block, Full: full, Others: others})
}

func (s *Session) stepExtended(m wire.Message) error {
	if !s.cfg.Extensions {
		return fmt.Errorf("session: extended message without the extension protocol")
	}
	if m.ExtendedID == 0 {
		h, err := wire.ParseExtHandshake(m.Payload)
		if err != nil {
			return fmt.Errorf("session: %w", err)
		}
		s.peerExt = &h
		s.ready.Events = append(s.ready.Events, Event{Kind: ExtHandshake})
		return nil
	}
	// Messages to us carry the ids from our handshake.
	for name, id := range s.cfg.LocalExt.M {
		if id == int(m.ExtendedID) {
			s.ready.Events = append(s.ready.Events, Event{Kind: ExtMessage, Name: name, Payload: m.Payload})
			return nil
		}
	}
	return nil // an extension we did not offer: ignore, as BEP 10 says
}

// measureRate updates the download rate, and with it the pipeline depth,
// every rateWindow: short enough that a fast transfer deepens its pipeline
// within its first fraction of a second.
func (s *Session) measureRate() {
	el := s.now.Sub(s.rateSince)
	// A fast peer is measured as soon as a few blocks are in; a slow one
	// once per window.
	if el < rateWindow && (el <= 0 || s.downloaded-s.rateBytes < rateBytesEarly) {
		return
	}
	rate := float64(s.downloaded-s.rateBytes) / el.Seconds()
	s.rateSince, s.rateBytes = s.now, s.downloaded
	want := int(math.Ceil(rate * (s.rtt + s.cfg.QueueTime).Seconds() / picker.BlockSize))
	s.depth = min(max(want, s.cfg.MinRequests), s.cfg.MaxRequestsCeil)
}

// rateWindow is the period over which the download rate is measured, or
// less when rateBytesEarly arrive sooner.
const (
	rateWindow     = 200 * time.Millisecond
	rateBytesEarly = 32 * picker.BlockSize
)

// fill tops up our pipeline of requests: from any piece the peer has
// while it unchokes us, from its allowed-fast pieces while it chokes us.
func (s *Session) fill() {
	s.measureRate()
	if s.picker == nil || !s.amInterested || (s.peerChoking && s.allowed.Count() == 0) {
		return
	}
	from := s.peerHas
	if s.peerChoking {
		from = bitfield.New(s.peerHas.Len())
		for i := range s.peerHas.Len() {
			if s.allowed.Has(i) && s.peerHas.Has(i) {
				from.Set(i)
			}
		}
	}
	max := s.depth
	if s.peerExt != nil && s.peerExt.Reqq > 0 {
		max = min(max, s.peerExt.Reqq)
	}
	if s.picker.Endgame() {
		// Every missing block is already asked of someone. Deep pipelines
		// make that true long before the end, so only a peer with nothing
		// left in flight asks for a few duplicates (covering a stalled
		// peer); more would mostly fetch bytes twice.
		if len(s.outstanding) > 0 {
			return
		}
		max = min(max, endgameRequests)
	}
	n := max - len(s.outstanding)
	// Refill in batches of a quarter pipeline so a fast peer costs one
	// picker call per few blocks, not one per block.
	if n <= 0 || (len(s.outstanding) > 0 && n < max/4) {
		return
	}
	empty := len(s.outstanding) == 0
	if empty {
		s.lastBlock = s.now // the request timeout starts now
	}
	blocks := s.picker.Pick(from, n, func(b picker.Block) bool { return slices.Contains(s.outstanding, b) })
	if empty && len(blocks) > 0 {
		s.probe, s.probeAt = blocks[0], s.now
	}
	for _, b := range blocks {
		s.outstanding = append(s.outstanding, b)
		s.send(wire.Message{Type: wire.Request, Index: uint32(b.Piece), Begin: uint32(b.Begin), Length: uint32(b.Length)})
	}
	if len(blocks) == 0 && len(s.outstanding) == 0 && !s.peerChoking && !s.picker.Wants(s.peerHas) {
		s.setInterested(false)
	}
}

// dropOutstandingExcept returns our requests for pieces outside keep to
// the picker.
func (s *Session) dropOutstandingExcept(keep bitfield.Bitfield) {
	if !keep.Has(s.probe.Piece) {
		s.probeAt = time.Time{}
	}
	kept := s.outstanding[:0]
	for _, b := range s.outstanding {
		if keep.Has(b.Piece) {
			kept = append(kept, b)
		} else {
			s.picker.Cancelled(b)
		}
	}
	s.outstanding = kept
}

// dropOutstanding returns our requests to the picker, sending cancels when
// the peer may still answer them.
func (s *Session) dropOutstanding(cancel bool) {
	s.probeAt = time.Time{}
	for _, b := range s.outstanding {
		s.picker.Cancelled(b)
		if cancel {
			s.send(wire.Message{Type: wire.Cancel, Index: uint32(b.Piece), Begin: uint32(b.Begin), Length: uint32(b.Length)})
		}
	}
	s.outstanding = s.outstanding[:0]
}

// Tick advances time: request timeouts, keep-alives, idle peers. An error
// means drop the peer.
func (s *Session) Tick(now time.Time) error {
	s.now = now
	if now.Sub(s.lastRecv) > s.cfg.IdleTimeout {
		return fmt.Errorf("session: nothing received for %v", now.Sub(s.lastRecv).Round(time.Second))
	}
	// Endgame duplicates and blocks cancelled in flight are wasted too, but
	// a peer that mostly sends what nobody asked for is hostile.
	if s.wasted > maxWasted && s.wasted > s.downloaded/2 {
		return fmt.Errorf("session: %d of %d bytes received were not requested", s.wasted, s.downloaded)
	}
	if len(s.outstanding) > 0 && now.Sub(s.lastBlock) > s.cfg.RequestTimeout {
		s.snubbed = true
		s.dropOutstanding(true)
	}
	if now.Sub(s.lastSent) > s.cfg.KeepAlive && len(s.ready.Messages) == 0 {
		s.send(wire.Message{KeepAlive: true})
	}
	s.fill()
	return nil
}

// SetChoked chokes or unchokes the peer. Choking drops its queued requests.
func (s *Session) SetChoked(choke bool) {
	if choke == s.amChoking {
		return
	}
	s.amChoking = choke
	if choke {
		s.send(wire.Message{Type: wire.Choke})
		for _, b := range s.uploads {
			if s.cfg.Fast {
				s.send(wire.Message{Type: wire.Reject, Index: uint32(b.Piece), Begin: uint32(b.Begin), Length: uint32(b.Length)})
			}
		}
		s.uploads = nil
	} else {
		s.send(wire.Message{Type: wire.Unchoke})
	}
}

// OurHave tells the session that we verified piece i: the peer hears of it,
// and we may lose interest.
func (s *Session) OurHave(i int) {
	if !s.peerHas.Has(i) {
		s.send(wire.Message{Type: wire.Have, Index: uint32(i)})
	}
	if s.amInterested && !s.picker.Wants(s.peerHas) {
		s.setInterested(false)
	}
	s.fill()
}

// BlockDone tells the session another connection delivered block b (in
// endgame): cancel our duplicate request.
func (s *Session) BlockDone(b picker.Block) {
	if k := slices.Index(s.outstanding, b); k >= 0 {
		s.outstanding = slices.Delete(s.outstanding, k, k+1)
		s.send(wire.Message{Type: wire.Cancel, Index: uint32(b.Piece), Begin: uint32(b.Begin), Length: uint32(b.Length)})
	}
}

// Refill asks the session to request more blocks (the picker freed some,
// e.g. after a piece failed its hash check).
func (s *Session) Refill() { s.fill() }

// Uploaded counts payload bytes the caller sent as piece messages.
func (s *Session) Uploaded(n int) { s.uploaded += int64(n) }

// SetPicker gives a session created without metadata the torrent's picker.
// The peer's pieces, kept raw until now, are checked against it.
func (s *Session) SetPicker(p *picker.Picker) error {
	s.picker = p
	s.peerHas = bitfield.New(p.NumPieces())
	switch {
	case s.rawHaveAll:
		s.setAll(bitfield.Full(p.NumPieces()))
	case s.rawBitfield != nil:
		b, err := bitfield.FromWire(s.rawBitfield, p.NumPieces())
		if err != nil {
			return fmt.Errorf("session: %w", err)
		}
		s.setAll(b)
	}
	for _, i := range s.rawHaves {
		if err := s.stepHave(i); err != nil {
			return err
		}
	}
	s.rawBitfield, s.rawHaves = nil, nil
	s.fill()
	return nil
}

// SendExtended queues a BEP 10 message for the peer's extension name and
// reports whether the peer supports it.
func (s *Session) SendExtended(name string, payload []byte) bool {
	if s.peerExt == nil {
		return false
	}
	id, ok := s.peerExt.M[name]
	if !ok || id <= 0 || id > 255 {
		return false
	}
	s.send(wire.Message{Type: wire.Extended, ExtendedID: uint8(id), Payload: payload})
	return true
}

// Close returns our requests to the picker and the peer's pieces from the
// availability counts. Call it once when the connection ends.
func (s *Session) Close() {
	if s.picker == nil {
		return
	}
	for _, b := range s.outstanding {
		s.picker.Cancelled(b)
	}
	s.outstanding = nil
	s.picker.PeerGone(s.peerHas)
	s.peerHas = bitfield.New(s.picker.NumPieces())
}

// Accessors.

func (s *Session) AmChoking() bool             { return s.amChoking }
func (s *Session) AmInterested() bool          { return s.amInterested }
func (s *Session) PeerChoking() bool           { return s.peerChoking }
func (s *Session) PeerInterested() bool        { return s.peerInterested }
func (s *Session) Snubbed() bool               { return s.snubbed }
func (s *Session) PeerHas() bitfield.Bitfield  { return s.peerHas }
func (s *Session) PeerExt() *wire.ExtHandshake { return s.peerExt }
func (s *Session) Outstanding() []picker.Block { return s.outstanding }
func (s *Session) Downloaded() int64           { return s.downloaded }
func (s *Session) UploadedBytes() int64        { return s.uploaded }
func (s *Session) Wasted() int64               { return s.wasted }
func (s *Session) PeerIsSeed() bool            { return s.peerHas.Complete() || s.rawHaveAll }
