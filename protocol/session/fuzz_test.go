package session

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/picker"
	"github.com/bttls/bttls/protocol/wire"
)

// FuzzSession feeds a session arbitrary message sequences (length-prefixed
// payloads, as on the wire): it must never panic, and what it asks for must
// stay valid and bounded whatever the peer sends.
func FuzzSession(f *testing.F) {
	var seed []byte
	for _, m := range []wire.Message{
		{Type: wire.HaveAll}, {Type: wire.Unchoke}, {Type: wire.Interested},
		{Type: wire.Request, Index: 0, Begin: 0, Length: 16384},
		{Type: wire.Piece, Index: 1, Begin: 0, Block: make([]byte, 16)},
		{Type: wire.AllowedFast, Index: 2}, {Type: wire.Choke}, {Type: wire.Reject, Index: 0, Begin: 0, Length: 16384},
	} {
		seed = m.Append(seed)
	}
	f.Add(seed, true)
	f.Add(wire.Message{Type: wire.Bitfield, Bitfield: []byte{0xf0}}.Append(nil), false)
	f.Fuzz(func(t *testing.T, stream []byte, fast bool) {
		p := picker.New(4, 2*picker.BlockSize, 4*2*picker.BlockSize-100, rand.New(rand.NewPCG(1, 2)))
		p.PieceVerified(3)
		s := New(Config{Fast: fast, Extensions: true, MaxRequests: 4, MaxRequestsCeil: 8,
			LocalExt: wire.ExtHandshake{M: map[string]int{wire.ExtPEX: 1}}}, p, t0)
		s.Start()
		now := t0
		for len(stream) >= 4 {
			n := int(binary.BigEndian.Uint32(stream))
			stream = stream[4:]
			if n > len(stream) {
				return
			}
			m, err := wire.Decode(stream[:n])
			stream = stream[n:]
			if err != nil {
				return
			}
			now = now.Add(50 * time.Millisecond)
			if s.Step(m, now) != nil {
				return
			}
			if s.Tick(now) != nil {
				return
			}
			if len(s.Outstanding()) > 8 {
				t.Fatalf("%d requests outstanding, ceiling 8", len(s.Outstanding()))
			}
			for _, b := range s.Outstanding() {
				if !p.Valid(b) || p.Have(b.Piece) && !p.Endgame() {
					t.Fatalf("outstanding request %+v is not a block we need", b)
				}
			}
			r := s.Ready()
			for _, b := range r.Uploads {
				if b.Piece != 3 || b.Begin+b.Length > p.PieceSize(3) {
					t.Fatalf("upload %+v of a piece we do not have or past its end", b)
				}
			}
			for _, ev := range r.Events {
				if ev.Kind == BlockReceived && ev.Full {
					p.PieceVerified(ev.Block.Piece)
					s.OurHave(ev.Block.Piece)
				}
			}
		}
	})
}
