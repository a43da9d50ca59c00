package tlslevel

import (
	"errors"
	"fmt"
	"io"
)

// ErrNotLevel is wrapped by ReadOpening when the first application data on
// a responder's connection cannot be an initiator's level message. The
// responder then hands the connection, with the bytes read, to whatever it
// imitates (the decoy web server), so the bytes are returned too.
var ErrNotLevel = errors.New("bttls: first application data is not a level message")

// maxOpening is one TLS record's plaintext: the most a read may return.
const maxOpening = 1 << 14

// ReadOpening reads the initiator's level message as a responder that
// hides behind a web server must: it decides as early as the bytes allow
// whether they can be a level message, so that anything else reaches the
// decoy at once, as it would reach the web server. r must return whole TLS
// records per read (a *tls.Conn). It returns every byte it read.
//
// What can be a level message: version 1, a known type, a body length the
// type allows (Basic 32, Strict 34, Full Strict mode 2 at most MaxBody),
// and nothing after the message — an initiator sends nothing more before
// the responder's answer. A Basic or Strict message (36 or 38 bytes) is
// written at once, so it arrives in one record; only a Full Strict mode 2
// message, whose certificates may span records, is read on.
func ReadOpening(r io.Reader) (Message, []byte, error) {
	buf := make([]byte, 0, maxOpening)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		done, why := openingState(buf)
		switch {
		case why != "":
			return Message{}, buf, fmt.Errorf("%w: %s", ErrNotLevel, why)
		case done:
			m, err := ParseMessage(buf)
			return m, buf, err
		case n > 0 && len(buf) >= 2 && Type(buf[1]) != TypeFullStrict2:
			return Message{}, buf, fmt.Errorf("%w: a %d-byte record holds a partial %v message", ErrNotLevel, len(buf), Type(buf[1]))
		case len(buf) == cap(buf):
			return Message{}, buf, fmt.Errorf("%w: %d bytes without a complete message", ErrNotLevel, len(buf))
		}
		if err != nil {
			return Message{}, buf, fmt.Errorf("bttls: reading level message (%d bytes so far): %w", len(buf), err)
		}
	}
}

// openingState reports whether b is exactly one level message (done), or
// why b cannot be the start of one (why != ""); neither means "read on".
func openingState(b []byte) (done bool, why string) {
	if len(b) >= 1 && b[0] != Version {
		return false, fmt.Sprintf("version byte %#02x", b[0])
	}
	if len(b) < 2 {
		return false, ""
	}
	ty := Type(b[1])
	if ty != TypeBasic && ty != TypeStrict && ty != TypeFullStrict2 {
		return false, fmt.Sprintf("message type %d", b[1])
	}
	if len(b) < headerLen {
		return false, ""
	}
	n := int(b[2])<<8 | int(b[3])
	want := map[Type]int{TypeBasic: 32, TypeStrict: 34}[ty]
	switch {
	case n > MaxBody:
		return false, fmt.Sprintf("body length %d exceeds %d", n, MaxBody)
	case want != 0 && n != want:
		return false, fmt.Sprintf("%v body length %d, want %d", ty, n, want)
	case len(b) > headerLen+n:
		return false, fmt.Sprintf("%d bytes follow the %v message", len(b)-headerLen-n, ty)
	}
	return len(b) == headerLen+n, ""
}
