package session

import (
	"testing"

	"github.com/bttls/bttls/protocol/picker"
	"github.com/bttls/bttls/protocol/wire"
)

// TestReadyAtMostKeepsTheRestQueued checks that uploads left in the session
// by ReadyAtMost come out later in order, still count against
// MaxPeerRequests, can be cancelled, and are rejected by a choke.
func TestReadyAtMostKeepsTheRestQueued(t *testing.T) {
	content := make([]byte, 4*pieceLen)
	seed := newSide(t, content, true, Config{Fast: true, MaxPeerRequests: 4})
	seed.s.SetChoked(false)
	seed.s.Ready()
	req := func(piece, begin int) wire.Message {
		return wire.Message{Type: wire.Request, Index: uint32(piece), Begin: uint32(begin), Length: picker.BlockSize}
	}
	for i := range 4 {
		if err := seed.s.Step(req(i, 0), t0); err != nil {
			t.Fatal(err)
		}
	}
	r := seed.s.ReadyAtMost(1)
	if len(r.Uploads) != 1 || r.Uploads[0].Piece != 0 {
		t.Fatalf("ReadyAtMost(1) gave uploads %v", r.Uploads)
	}
	if n := seed.s.QueuedUploads(); n != 3 {
		t.Fatalf("%d uploads queued after handing out one of 4, want 3", n)
	}
	// Nothing handed out, nothing lost: messages still come.
	seed.s.Step(req(1, picker.BlockSize), t0) // 4 queued: accepted
	seed.s.Step(req(2, picker.BlockSize), t0) // 5th: rejected
	r = seed.s.ReadyAtMost(0)
	if len(r.Uploads) != 0 || len(r.Messages) != 1 || r.Messages[0].Type != wire.Reject || r.Messages[0].Index != 2 {
		t.Fatalf("ReadyAtMost(0) with a queue at its bound gave %+v", r)
	}
	cancel := req(2, 0)
	cancel.Type = wire.Cancel
	seed.s.Step(cancel, t0)
	r = seed.s.ReadyAtMost(2)
	if len(r.Uploads) != 2 || r.Uploads[0].Piece != 1 || r.Uploads[1].Piece != 3 {
		t.Fatalf("after cancelling piece 2, ReadyAtMost(2) gave %v, want pieces 1 and 3", r.Uploads)
	}
	seed.s.SetChoked(true)
	r = seed.s.Ready()
	if len(r.Uploads) != 0 || len(r.Messages) != 2 || r.Messages[0].Type != wire.Choke || r.Messages[1].Type != wire.Reject {
		t.Fatalf("choking with one upload queued gave %+v", r)
	}
	if seed.s.HasReady() {
		t.Fatal("session still has something ready after a full Ready")
	}
}
