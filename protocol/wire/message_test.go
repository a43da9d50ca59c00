package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	msgs := []Message{
		{KeepAlive: true},
		{Type: Choke}, {Type: Unchoke}, {Type: Interested}, {Type: NotInterested},
		{Type: HaveAll}, {Type: HaveNone},
		{Type: Have, Index: 7},
		{Type: Suggest, Index: 1},
		{Type: AllowedFast, Index: 1 << 30},
		{Type: Request, Index: 3, Begin: 16384, Length: 16384},
		{Type: Cancel, Index: 3, Begin: 0, Length: 1},
		{Type: Reject, Index: 9, Begin: 32768, Length: 100},
		{Type: Port, Port: 6881},
		{Type: Bitfield, Bitfield: []byte{0xff, 0x80}},
		{Type: Piece, Index: 2, Begin: 4, Block: []byte("hello")},
		{Type: Extended, ExtendedID: 3, Payload: []byte("d1:md1:xi1eee")},
	}
	var stream []byte
	for _, m := range msgs {
		b := m.Append(nil)
		if len(b) != m.WireLength() {
			t.Errorf("%v: Append wrote %d bytes, WireLength says %d", m.Type, len(b), m.WireLength())
		}
		stream = append(stream, b...)
	}
	r := NewReader(bytes.NewReader(stream))
	for _, want := range msgs {
		got, err := r.ReadMessage()
		if err != nil {
			t.Fatalf("reading %v: %v", want.Type, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
	}
	if _, err := r.ReadMessage(); err != io.EOF {
		t.Errorf("after the last message: got %v, want io.EOF", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		want    string
	}{
		{"have too short", []byte{byte(Have), 0, 0, 1}, "have message: body is 3 bytes, want 4"},
		{"choke with body", []byte{byte(Choke), 1}, "choke message: body is 1 bytes, want 0"},
		{"request too long block", append([]byte{byte(Request)}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1), "block length 131073"},
		{"request zero length", append([]byte{byte(Request)}, make([]byte, 12)...), "block length 0"},
		{"request leftover", append([]byte{byte(Request)}, make([]byte, 13)...), "body is 13 bytes, want 12"},
		{"piece header cut", []byte{byte(Piece), 0, 0, 0, 1, 0}, "piece message: body is 5 bytes"},
		{"unknown type", []byte{99, 1, 2}, "unknown message type 99"},
		{"extended without id", []byte{byte(Extended)}, "missing extended id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.payload)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode(%x) = %v, want error containing %q", tc.payload, err, tc.want)
			}
		})
	}
}

func TestReaderLimits(t *testing.T) {
	// A length prefix over the limit is refused before any allocation.
	r := NewReader(bytes.NewReader([]byte{0x7f, 0xff, 0xff, 0xff}))
	if _, err := r.ReadMessage(); !errors.Is(err, ErrTooLong) {
		t.Errorf("huge prefix: got %v, want ErrTooLong", err)
	}
	// A stream that stops inside a message.
	r = NewReader(bytes.NewReader([]byte{0, 0, 0, 5, byte(Have), 0}))
	if _, err := r.ReadMessage(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: got %v, want io.ErrUnexpectedEOF", err)
	}
	// A custom, smaller limit.
	r = NewReader(bytes.NewReader(Message{Type: Bitfield, Bitfield: make([]byte, 100)}.Append(nil)))
	r.Max = 50
	if _, err := r.ReadMessage(); !errors.Is(err, ErrTooLong) {
		t.Errorf("over custom limit: got %v, want ErrTooLong", err)
	}
}

func TestHandshake(t *testing.T) {
	var h Handshake
	h.Reserved.SetExtension()
	h.Reserved.SetFast()
	copy(h.InfoHash[:], "0123456789abcdefghij")
	copy(h.PeerID[:], "-BT0001-xxxxxxxxxxxx")
	b := h.Append(nil)
	if len(b) != HandshakeLength {
		t.Fatalf("handshake is %d bytes", len(b))
	}
	got, err := ReadHandshake(bytes.NewReader(b))
	if err != nil || got != h || !got.Reserved.Extension() || !got.Reserved.Fast() {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	b[1] = 'b'
	if _, err := ParseHandshake(b); err == nil || !strings.Contains(err.Error(), "protocol string") {
		t.Errorf("bad protocol string: %v", err)
	}
	if _, err := ReadHandshake(bytes.NewReader(b[:30])); err == nil {
		t.Error("truncated handshake accepted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add(Message{Type: Piece, Index: 1, Begin: 2, Block: []byte("x")}.Append(nil)[4:])
	f.Add(Message{Type: Request, Index: 1, Begin: 2, Length: 3}.Append(nil)[4:])
	f.Add(Message{Type: Extended, ExtendedID: 1, Payload: []byte("de")}.Append(nil)[4:])
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := Decode(payload)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to the same bytes.
		b := m.Append(nil)
		if !bytes.Equal(b[4:], payload) {
			t.Fatalf("re-encoding %x gave %x", payload, b[4:])
		}
	})
}

func FuzzReadMessage(f *testing.F) {
	f.Add(Message{Type: Have, Index: 1}.Append(nil))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		r := NewReader(bytes.NewReader(stream))
		for i := 0; i < 100; i++ {
			if _, err := r.ReadMessage(); err != nil {
				return
			}
		}
	})
}

func FuzzHandshake(f *testing.F) {
	f.Add(Handshake{}.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHandshake(b)
		if err != nil {
			return
		}
		if !bytes.Equal(h.Append(nil), b) {
			t.Fatalf("re-encoding changed the handshake")
		}
	})
}
