package session

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/bitfield"
	"github.com/bttls/bttls/protocol/picker"
	"github.com/bttls/bttls/protocol/wire"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// side is one end of a simulated connection: a session plus the torrent
// data it has.
type side struct {
	s      *Session
	p      *picker.Picker
	data   []byte // the torrent's bytes; only pieces the picker has are valid
	staged map[int][]byte
	sent   []wire.Message
}

const pieceLen = 2 * picker.BlockSize

func newSide(t *testing.T, content []byte, seed bool, cfg Config) *side {
	n := (len(content) + pieceLen - 1) / pieceLen
	p := picker.New(n, pieceLen, int64(len(content)), rand.New(rand.NewPCG(1, 1)))
	sd := &side{p: p, data: make([]byte, len(content)), staged: map[int][]byte{}}
	if seed {
		copy(sd.data, content)
		for i := range n {
			p.PieceVerified(i)
		}
	}
	sd.s = New(cfg, p, t0)
	return sd
}

// drain applies one side's Ready: messages go to the other side; uploads
// are read from data; received blocks are staged and pieces finished.
func (sd *side) drain(t *testing.T, content []byte, other *side, now time.Time) {
	r := sd.s.Ready()
	var out []wire.Message
	out = append(out, r.Messages...)
	for _, b := range r.Uploads {
		off := b.Piece*pieceLen + b.Begin
		out = append(out, wire.Message{Type: wire.Piece, Index: uint32(b.Piece), Begin: uint32(b.Begin), Block: sd.data[off : off+b.Length]})
		sd.s.Uploaded(b.Length)
	}
	for _, ev := range r.Events {
		switch ev.Kind {
		case BlockReceived:
			buf := sd.staged[ev.Block.Piece]
			if buf == nil {
				buf = make([]byte, sd.p.PieceSize(ev.Block.Piece))
				sd.staged[ev.Block.Piece] = buf
			}
			copy(buf[ev.Block.Begin:], ev.Data)
			if ev.Full {
				i := ev.Block.Piece
				if bytes.Equal(buf, content[i*pieceLen:i*pieceLen+len(buf)]) {
					copy(sd.data[i*pieceLen:], buf)
					sd.p.PieceVerified(i)
					sd.s.OurHave(i)
				} else {
					sd.p.PieceFailed(i)
					sd.s.Refill()
				}
				delete(sd.staged, i)
			}
		case InterestChanged:
			sd.s.SetChoked(!sd.s.PeerInterested())
		}
	}
	for _, m := range out {
		// Round-trip through the wire encoding, as a real connection does.
		dec, err := wire.Decode(m.Append(nil)[4:])
		if err != nil {
			t.Fatalf("encoding %v: %v", m.Type, err)
		}
		sd.sent = append(sd.sent, dec)
		if err := other.s.Step(dec, now); err != nil {
			t.Fatalf("step %v: %v", m.Type, err)
		}
	}
}

func transfer(t *testing.T, cfg Config, size int) (*side, *side) {
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(i * 7)
	}
	seed := newSide(t, content, true, cfg)
	leech := newSide(t, content, false, cfg)
	seed.s.Start()
	leech.s.Start()
	now := t0
	for i := 0; i < 1000 && !leech.p.Done(); i++ {
		now = now.Add(time.Millisecond)
		seed.drain(t, content, leech, now)
		leech.drain(t, content, seed, now)
	}
	if !leech.p.Done() || !bytes.Equal(leech.data, content) {
		t.Fatalf("transfer incomplete: %d of %d pieces", leech.p.NumHave(), leech.p.NumPieces())
	}
	return seed, leech
}

func TestTransferPlain(t *testing.T) {
	seed, leech := transfer(t, Config{}, 5*pieceLen+123)
	if seed.sent[0].Type != wire.Bitfield {
		t.Errorf("seed's first message %v, want bitfield", seed.sent[0].Type)
	}
	if leech.s.Downloaded() != int64(len(leech.data)) || seed.s.UploadedBytes() != int64(len(leech.data)) {
		t.Errorf("counted %d down, %d up", leech.s.Downloaded(), seed.s.UploadedBytes())
	}
	if leech.s.AmInterested() {
		t.Error("leecher still interested after completing")
	}
}

func TestTransferFastAndExtensions(t *testing.T) {
	cfg := Config{Fast: true, Extensions: true, LocalExt: wire.ExtHandshake{M: map[string]int{wire.ExtPEX: 1}, Reqq: 4}}
	seed, leech := transfer(t, cfg, 3*pieceLen)
	if seed.sent[0].Type != wire.HaveAll || leech.sent[0].Type != wire.HaveNone {
		t.Errorf("first messages %v / %v, want have-all / have-none", seed.sent[0].Type, leech.sent[0].Type)
	}
	if leech.s.PeerExt() == nil || leech.s.PeerExt().Reqq != 4 {
		t.Fatal("extension handshake not seen")
	}
	if !seed.s.SendExtended(wire.ExtPEX, []byte("de")) {
		t.Error("SendExtended to a peer that offered ut_pex failed")
	}
	if seed.s.SendExtended(wire.ExtMetadata, []byte("de")) {
		t.Error("SendExtended to a peer that did not offer ut_metadata succeeded")
	}
}

func TestRequestsWhileChokedAreRejected(t *testing.T) {
	content := make([]byte, pieceLen)
	seed := newSide(t, content, true, Config{Fast: true})
	req := wire.Message{Type: wire.Request, Index: 0, Begin: 0, Length: picker.BlockSize}
	if err := seed.s.Step(req, t0); err != nil {
		t.Fatal(err)
	}
	r := seed.s.Ready()
	if len(r.Uploads) != 0 || len(r.Messages) != 1 || r.Messages[0].Type != wire.Reject {
		t.Fatalf("choked request gave %+v", r)
	}
	// Out-of-range requests are rejected even when unchoked.
	seed.s.SetChoked(false)
	seed.s.Ready()
	bad := wire.Message{Type: wire.Request, Index: 0, Begin: pieceLen - 10, Length: picker.BlockSize}
	seed.s.Step(bad, t0)
	if r := seed.s.Ready(); len(r.Uploads) != 0 || r.Messages[0].Type != wire.Reject {
		t.Fatalf("request past the piece gave %+v", r)
	}
}

func TestProtocolViolations(t *testing.T) {
	content := make([]byte, 3*pieceLen)
	for _, tc := range []struct {
		name string
		cfg  Config
		msgs []wire.Message
		want string
	}{
		{"have out of range", Config{}, []wire.Message{{Type: wire.Have, Index: 3}}, "have for piece 3"},
		{"bitfield wrong size", Config{}, []wire.Message{{Type: wire.Bitfield, Bitfield: []byte{0, 0}}}, "bitfield"},
		{"two bitfields", Config{}, []wire.Message{{Type: wire.Bitfield, Bitfield: []byte{0}}, {Type: wire.Bitfield, Bitfield: []byte{0}}}, "already sent"},
		{"have-all without fast", Config{}, []wire.Message{{Type: wire.HaveAll}}, "without the fast extension"},
		{"extended without BEP 10", Config{}, []wire.Message{{Type: wire.Extended, Payload: []byte("de")}}, "without the extension protocol"},
		{"bad ext handshake", Config{Extensions: true}, []wire.Message{{Type: wire.Extended, Payload: []byte("x")}}, "extension handshake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd := newSide(t, content, false, tc.cfg)
			var err error
			for _, m := range tc.msgs {
				if err = sd.s.Step(m, t0); err != nil {
					break
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestSnubAndIdle(t *testing.T) {
	content := make([]byte, 2*pieceLen)
	sd := newSide(t, content, false, Config{})
	sd.s.Step(wire.Message{Type: wire.Bitfield, Bitfield: bitfield.Full(2).Wire()}, t0)
	sd.s.Step(wire.Message{Type: wire.Unchoke}, t0)
	if n := len(sd.s.Outstanding()); n != 4 {
		t.Fatalf("%d requests outstanding, want all 4 blocks", n)
	}
	sd.s.Ready()
	// A minute without blocks: requests are cancelled and return to the picker.
	if err := sd.s.Tick(t0.Add(61 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if !sd.s.Snubbed() {
		t.Error("peer not snubbed")
	}
	r := sd.s.Ready()
	cancels := 0
	for _, m := range r.Messages {
		if m.Type == wire.Cancel {
			cancels++
		}
	}
	if cancels != 4 {
		t.Errorf("%d cancels sent, want 4", cancels)
	}
	if err := sd.s.Tick(t0.Add(181 * time.Second)); err == nil {
		t.Error("idle peer not dropped")
	}
}

func TestMetadataLater(t *testing.T) {
	content := make([]byte, 3*pieceLen)
	sd := newSide(t, content, false, Config{Fast: true})
	s := New(Config{Fast: true}, nil, t0)
	if err := s.Step(wire.Message{Type: wire.HaveAll}, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPicker(sd.p); err != nil {
		t.Fatal(err)
	}
	if !s.PeerIsSeed() || !s.AmInterested() {
		t.Error("have-all before metadata was lost")
	}
}

func TestPipelineBoundedByReqq(t *testing.T) {
	content := make([]byte, 4*pieceLen)
	sd := newSide(t, content, false, Config{Extensions: true, MaxRequests: 16})
	ext, _ := wire.ExtHandshake{Reqq: 3}.Marshal()
	sd.s.Step(wire.Message{Type: wire.Extended, Payload: ext}, t0)
	sd.s.Step(wire.Message{Type: wire.Bitfield, Bitfield: bitfield.Full(4).Wire()}, t0)
	sd.s.Step(wire.Message{Type: wire.Unchoke}, t0)
	if n := len(sd.s.Outstanding()); n != 3 {
		t.Fatalf("%d requests outstanding, want the peer's reqq of 3", n)
	}
}

// deliver answers the oldest outstanding request at each of times.
func (sd *side) deliver(t *testing.T, times ...time.Time) {
	t.Helper()
	for _, now := range times {
		out := sd.s.Outstanding()
		if len(out) == 0 {
			t.Fatalf("nothing outstanding at %v", now.Sub(t0))
		}
		b := out[0]
		if err := sd.s.Step(wire.Message{Type: wire.Piece, Index: uint32(b.Piece), Begin: uint32(b.Begin), Block: make([]byte, b.Length)}, now); err != nil {
			t.Fatal(err)
		}
	}
}

// every returns n times, step apart, the first step after t0.
func every(step time.Duration, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = t0.Add(time.Duration(i+1) * step)
	}
	return out
}

func TestPipelineGrowsWithRate(t *testing.T) {
	content := make([]byte, 64*pieceLen)
	sd := newSide(t, content, false, Config{MaxRequests: 8, QueueTime: 480 * time.Millisecond})
	sd.s.Step(wire.Message{Type: wire.Bitfield, Bitfield: bitfield.Full(64).Wire()}, t0)
	sd.s.Step(wire.Message{Type: wire.Unchoke}, t0)
	if n := len(sd.s.Outstanding()); n != 8 {
		t.Fatalf("%d outstanding, want the initial 8", n)
	}
	// A block every 20 ms: 50 blocks/s, and the first request's block
	// takes 20 ms (the round trip), so the pipeline wants 50 × (20 ms +
	// 480 ms) = 25 blocks from the first 200 ms window on.
	sd.deliver(t, every(20*time.Millisecond, 12)...)
	// Refills come in batches of a quarter pipeline, so up to 6 short.
	if n := len(sd.s.Outstanding()); n < 25-25/4 || n > 25 {
		t.Fatalf("%d outstanding at 50 blocks/s, want 19..25", n)
	}
}

func TestPipelineCoversRoundTrip(t *testing.T) {
	content := make([]byte, 64*pieceLen)
	sd := newSide(t, content, false, Config{MaxRequests: 8, QueueTime: 100 * time.Millisecond})
	sd.s.Step(wire.Message{Type: wire.Bitfield, Bitfield: bitfield.Full(64).Wire()}, t0)
	sd.s.Step(wire.Message{Type: wire.Unchoke}, t0)
	// The first block takes 300 ms (a long path), then blocks stream in at
	// 50/s: the pipeline covers the round trip, 50 × (300 ms + 100 ms).
	times := []time.Time{t0.Add(300 * time.Millisecond)}
	for i := range 15 {
		times = append(times, times[0].Add(time.Duration(i+1)*20*time.Millisecond))
	}
	sd.deliver(t, times...)
	if n := len(sd.s.Outstanding()); n < 20-20/4 || n > 20 {
		t.Fatalf("%d outstanding at 50 blocks/s over a 300 ms round trip, want 15..20", n)
	}
}

func TestPipelineShrinksForSlowPeer(t *testing.T) {
	content := make([]byte, 64*pieceLen)
	sd := newSide(t, content, false, Config{MaxRequests: 32, MinRequests: 4})
	sd.s.Step(wire.Message{Type: wire.Bitfield, Bitfield: bitfield.Full(64).Wire()}, t0)
	sd.s.Step(wire.Message{Type: wire.Unchoke}, t0)
	if n := len(sd.s.Outstanding()); n != 32 {
		t.Fatalf("%d outstanding, want the initial 32", n)
	}
	// 10 blocks/s over a 100 ms round trip wants 10 × (100 ms + 200 ms) =
	// 3 blocks: the floor of 4. The 32 asked at first drain (30 of them
	// here), and the pipeline is topped up to 4, not 32.
	sd.deliver(t, every(100*time.Millisecond, 30)...)
	if n := len(sd.s.Outstanding()); n != 4 {
		t.Fatalf("%d outstanding at 10 blocks/s, want the floor of 4", n)
	}
}

func TestUnrequestedDataDropsPeer(t *testing.T) {
	content := make([]byte, 2*pieceLen)
	sd := newSide(t, content, false, Config{})
	block := make([]byte, picker.BlockSize)
	for i := 0; i*len(block) <= maxWasted; i++ {
		sd.s.Step(wire.Message{Type: wire.Piece, Index: 0, Begin: 0, Block: block}, t0)
	}
	if err := sd.s.Tick(t0.Add(time.Second)); err == nil || !strings.Contains(err.Error(), "not requested") {
		t.Fatalf("got %v, want an error about unrequested data", err)
	}
}

func TestAllowedFastWhileChoked(t *testing.T) {
	content := make([]byte, 4*pieceLen)
	sd := newSide(t, content, false, Config{Fast: true})
	sd.s.Step(wire.Message{Type: wire.HaveAll}, t0)
	if n := len(sd.s.Outstanding()); n != 0 {
		t.Fatalf("%d requests while choked without allowed-fast", n)
	}
	sd.s.Step(wire.Message{Type: wire.AllowedFast, Index: 2}, t0)
	out := sd.s.Outstanding()
	if len(out) != 2 {
		t.Fatalf("requests %v, want piece 2's two blocks", out)
	}
	for _, b := range out {
		if b.Piece != 2 {
			t.Fatalf("requested piece %d while choked; only 2 is allowed", b.Piece)
		}
	}
	// Unchoked, then choked again: requests for allowed pieces survive.
	sd.s.Step(wire.Message{Type: wire.Unchoke}, t0)
	sd.s.Step(wire.Message{Type: wire.Choke}, t0)
	for _, b := range sd.s.Outstanding() {
		if b.Piece != 2 {
			t.Fatalf("request for piece %d kept through a choke", b.Piece)
		}
	}
	if len(sd.s.Outstanding()) == 0 {
		t.Fatal("allowed-fast requests dropped by a choke")
	}
}
