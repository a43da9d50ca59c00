package tlslevel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version is the only level-message version defined.
const Version = 1

// Type says which level a message belongs to.
type Type uint8

const (
	TypeBasic       Type = 1 // body: MAC(32)
	TypeStrict      Type = 2 // body: epoch(u16) MAC(32)
	TypeFullStrict2 Type = 3 // body: credentials, see fullstrict.go
)

func (t Type) String() string {
	switch t {
	case TypeBasic:
		return "basic"
	case TypeStrict:
		return "strict"
	case TypeFullStrict2:
		return "fullstrict2"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// MaxBody bounds a message body: a certificate chain of a few short
// certificates fits, and a hostile peer cannot make us buffer more.
const MaxBody = 8192

const headerLen = 4

// Message is one level message.
type Message struct {
	Type Type
	Body []byte
}

// Errors a decoder returns; each names what was wrong.
var (
	ErrVersion = errors.New("bttls: level message has an unknown version")
	ErrTooLong = fmt.Errorf("bttls: level message body exceeds %d bytes", MaxBody)
)

// Append appends m's encoding to b.
func (m Message) Append(b []byte) []byte {
	b = append(b, Version, byte(m.Type))
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Body)))
	return append(b, m.Body...)
}

// ReadMessage reads one message from r, reading no byte past it.
func ReadMessage(r io.Reader) (Message, error) {
	var h [headerLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Message{}, fmt.Errorf("bttls: reading level message header: %w", err)
	}
	if h[0] != Version {
		return Message{}, fmt.Errorf("%w (%d)", ErrVersion, h[0])
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	if n > MaxBody {
		return Message{}, ErrTooLong
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return Message{}, fmt.Errorf("bttls: reading %d-byte level message body: %w", n, err)
	}
	return Message{Type: Type(h[1]), Body: body}, nil
}

// ParseMessage decodes exactly one message from b; leftover bytes are an error.
func ParseMessage(b []byte) (Message, error) {
	if len(b) < headerLen {
		return Message{}, errors.New("bttls: level message shorter than its 4-byte header")
	}
	n := int(binary.BigEndian.Uint16(b[2:]))
	if len(b) != headerLen+n {
		return Message{}, fmt.Errorf("bttls: level message announces %d body bytes, has %d", n, len(b)-headerLen)
	}
	return ReadMessage(bytesReader(b))
}

// Proof is the body of a Basic or Strict message.
type Proof struct {
	Epoch uint16 // Strict only: the secret's rotation epoch
	MAC   [32]byte
}

// AppendBody encodes p as the body of a message of type t.
func (p Proof) AppendBody(b []byte, t Type) []byte {
	if t == TypeStrict {
		b = binary.BigEndian.AppendUint16(b, p.Epoch)
	}
	return append(b, p.MAC[:]...)
}

// ParseProof decodes a Basic or Strict body.
func ParseProof(t Type, body []byte) (Proof, error) {
	var p Proof
	switch t {
	case TypeBasic:
		if len(body) != 32 {
			return p, fmt.Errorf("bttls: basic proof is %d bytes, want 32", len(body))
		}
	case TypeStrict:
		if len(body) != 34 {
			return p, fmt.Errorf("bttls: strict proof is %d bytes, want 34", len(body))
		}
		p.Epoch = binary.BigEndian.Uint16(body)
		body = body[2:]
	default:
		return p, fmt.Errorf("bttls: %v message carries no MAC proof", t)
	}
	copy(p.MAC[:], body)
	return p, nil
}

type sliceReader struct{ b []byte }

func bytesReader(b []byte) *sliceReader { return &sliceReader{b} }

func (s *sliceReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}
