package peer

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/bttls/bttls/protocol/wire"
)

// TestWholeMessageBuffered: the reader runs the driver's pass itself only
// when its buffer holds no whole message, so that it never leaves one
// unread while it waits; a partial length prefix or body is not whole.
func TestWholeMessageBuffered(t *testing.T) {
	have := wire.Message{Type: wire.Have, Index: 7}.Append(nil) // 4 + 5 bytes
	keepAlive := []byte{0, 0, 0, 0}
	cases := []struct {
		name string
		in   []byte
		want bool
	}{
		{"empty", nil, false},
		{"part of a length prefix", have[:3], false},
		{"a length prefix alone", have[:4], false},
		{"part of a body", have[:8], false},
		{"a whole message", have, true},
		{"a keep-alive", keepAlive, true},
		{"a whole message and part of the next", append(append([]byte{}, have...), have[:2]...), true},
	}
	for _, c := range cases {
		br := bufio.NewReaderSize(bytes.NewReader(c.in), 64)
		if len(c.in) > 0 {
			br.Peek(len(c.in)) // fill the buffer as a read would
		}
		if got := wholeMessageBuffered(br); got != c.want {
			t.Errorf("%s (%d bytes buffered): %v, want %v", c.name, br.Buffered(), got, c.want)
		}
	}
	// After the message is read, what is left is judged alone.
	br := bufio.NewReaderSize(bytes.NewReader(append(append([]byte{}, have...), have[:2]...)), 64)
	br.Peek(len(have) + 2)
	if _, err := wire.NewReader(br).ReadMessage(); err != nil {
		t.Fatal(err)
	}
	if wholeMessageBuffered(br) {
		t.Error("two bytes of the next message count as whole")
	}
}
