package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MessageType is the one-byte id that follows a message's length prefix.
type MessageType uint8

const (
	Choke         MessageType = 0 // BEP 3
	Unchoke       MessageType = 1 // BEP 3
	Interested    MessageType = 2 // BEP 3
	NotInterested MessageType = 3 // BEP 3
	Have          MessageType = 4 // BEP 3
	Bitfield      MessageType = 5 // BEP 3
	Request       MessageType = 6 // BEP 3
	Piece         MessageType = 7 // BEP 3
	Cancel        MessageType = 8 // BEP 3
	Port          MessageType = 9 // BEP 5 (DHT port)

	Suggest     MessageType = 0x0d // BEP 6
	HaveAll     MessageType = 0x0e // BEP 6
	HaveNone    MessageType = 0x0f // BEP 6
	Reject      MessageType = 0x10 // BEP 6
	AllowedFast MessageType = 0x11 // BEP 6

	Extended MessageType = 20 // BEP 10
)

func (t MessageType) String() string {
	switch t {
	case Choke:
		return "choke"
	case Unchoke:
		return "unchoke"
	case Interested:
		return "interested"
	case NotInterested:
		return "not-interested"
	case Have:
		return "have"
	case Bitfield:
		return "bitfield"
	case Request:
		return "request"
	case Piece:
		return "piece"
	case Cancel:
		return "cancel"
	case Port:
		return "port"
	case Suggest:
		return "suggest"
	case HaveAll:
		return "have-all"
	case HaveNone:
		return "have-none"
	case Reject:
		return "reject"
	case AllowedFast:
		return "allowed-fast"
	case Extended:
		return "extended"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

const (
	// BlockSize is the request size every client uses (BEP 3 suggests 2^14;
	// larger requests are refused by most clients).
	BlockSize = 16 << 10
	// MaxBlockLength is the largest request or piece payload accepted. Some
	// old clients ask for 128 KiB; anything larger is hostile.
	MaxBlockLength = 128 << 10
	// MaxMessageLength bounds a message's length prefix (type byte included).
	// 1 MiB covers a bitfield of 8 million pieces and any sane extension
	// message; a larger prefix is refused before anything is allocated.
	MaxMessageLength = 1<<20 + 13
)

// ErrTooLong is returned (wrapped) when a length prefix exceeds the limit.
var ErrTooLong = errors.New("wire: message too long")

// Message is one peer wire message. Which fields are meaningful depends on
// Type; a keep-alive (length prefix 0) has KeepAlive set and nothing else.
type Message struct {
	Type      MessageType
	KeepAlive bool

	Index  uint32 // Have, Request, Piece, Cancel, Suggest, Reject, AllowedFast
	Begin  uint32 // Request, Piece, Cancel, Reject
	Length uint32 // Request, Cancel, Reject

	Bitfield []byte // Bitfield
	Block    []byte // Piece
	Port     uint16 // Port

	ExtendedID uint8  // Extended: 0 is the BEP 10 handshake, others as the peer's "m" says
	Payload    []byte // Extended: the bytes after the extended id
}

// fixedBody is the body length (after the type byte) of the fixed-size types.
func fixedBody(t MessageType) (int, bool) {
	switch t {
	case Choke, Unchoke, Interested, NotInterested, HaveAll, HaveNone:
		return 0, true
	case Have, Suggest, AllowedFast:
		return 4, true
	case Request, Cancel, Reject:
		return 12, true
	case Port:
		return 2, true
	}
	return 0, false
}

// Decode parses one message from its payload: the bytes after the 4-byte
// length prefix (type byte first). An empty payload is a keep-alive. Byte
// slices in the result alias payload.
func Decode(payload []byte) (Message, error) {
	if len(payload) == 0 {
		return Message{KeepAlive: true}, nil
	}
	if len(payload) > MaxMessageLength {
		return Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLong, len(payload), MaxMessageLength)
	}
	m := Message{Type: MessageType(payload[0])}
	body := payload[1:]
	if n, ok := fixedBody(m.Type); ok {
		if len(body) != n {
			return Message{}, fmt.Errorf("wire: %s message: body is %d bytes, want %d", m.Type, len(body), n)
		}
	}
	be := binary.BigEndian
	switch m.Type {
	case Choke, Unchoke, Interested, NotInterested, HaveAll, HaveNone:
	case Have, Suggest, AllowedFast:
		m.Index = be.Uint32(body)
	case Request, Cancel, Reject:
		m.Index, m.Begin, m.Length = be.Uint32(body), be.Uint32(body[4:]), be.Uint32(body[8:])
		if m.Length == 0 || m.Length > MaxBlockLength {
			return Message{}, fmt.Errorf("wire: %s message: block length %d outside 1..%d", m.Type, m.Length, MaxBlockLength)
		}
	case Port:
		m.Port = be.Uint16(body)
	case Bitfield:
		m.Bitfield = body
	case Piece:
		if len(body) < 8 {
			return Message{}, fmt.Errorf("wire: piece message: body is %d bytes, want at least 8", len(body))
		}
		m.Index, m.Begin = be.Uint32(body), be.Uint32(body[4:])
		m.Block = body[8:]
		if len(m.Block) > MaxBlockLength {
			return Message{}, fmt.Errorf("wire: piece message: block of %d bytes, limit %d", len(m.Block), MaxBlockLength)
		}
	case Extended:
		if len(body) < 1 {
			return Message{}, errors.New("wire: extended message: missing extended id")
		}
		m.ExtendedID = body[0]
		m.Payload = body[1:]
	default:
		return Message{}, fmt.Errorf("wire: unknown message type %d (%d-byte body)", uint8(m.Type), len(body))
	}
	return m, nil
}

// Append appends m's wire form (length prefix included) to b.
func (m Message) Append(b []byte) []byte {
	be := binary.BigEndian
	if m.KeepAlive {
		return be.AppendUint32(b, 0)
	}
	switch m.Type {
	case Have, Suggest, AllowedFast:
		b = be.AppendUint32(b, 5)
		b = append(b, byte(m.Type))
		return be.AppendUint32(b, m.Index)
	case Request, Cancel, Reject:
		b = be.AppendUint32(b, 13)
		b = append(b, byte(m.Type))
		b = be.AppendUint32(b, m.Index)
		b = be.AppendUint32(b, m.Begin)
		return be.AppendUint32(b, m.Length)
	case Port:
		b = be.AppendUint32(b, 3)
		b = append(b, byte(m.Type))
		return be.AppendUint16(b, m.Port)
	case Bitfield:
		b = be.AppendUint32(b, uint32(1+len(m.Bitfield)))
		b = append(b, byte(m.Type))
		return append(b, m.Bitfield...)
	case Piece:
		b = be.AppendUint32(b, uint32(9+len(m.Block)))
		b = append(b, byte(m.Type))
		b = be.AppendUint32(b, m.Index)
		b = be.AppendUint32(b, m.Begin)
		return append(b, m.Block...)
	case Extended:
		b = be.AppendUint32(b, uint32(2+len(m.Payload)))
		b = append(b, byte(m.Type), m.ExtendedID)
		return append(b, m.Payload...)
	}
	// Choke, Unchoke, Interested, NotInterested, HaveAll, HaveNone.
	b = be.AppendUint32(b, 1)
	return append(b, byte(m.Type))
}

// WireLength is the number of bytes Append writes for m.
func (m Message) WireLength() int {
	if m.KeepAlive {
		return 4
	}
	switch m.Type {
	case Have, Suggest, AllowedFast:
		return 9
	case Request, Cancel, Reject:
		return 17
	case Port:
		return 7
	case Bitfield:
		return 5 + len(m.Bitfield)
	case Piece:
		return 13 + len(m.Block)
	case Extended:
		return 6 + len(m.Payload)
	}
	return 5
}

// Reader reads length-prefixed messages from a stream.
type Reader struct {
	r io.Reader
	// Max bounds a message's length prefix; 0 means MaxMessageLength.
	Max int
	// Alloc, when set, provides the buffer for each message larger than a
	// few bytes (a caller recycling piece buffers); it must return a slice
	// of length n. Nil means make.
	Alloc func(n int) []byte
	hdr   [4]byte
	// small holds bodies of the fixed-size messages so they cost no allocation.
	small [16]byte
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// ReadMessage reads one message. Byte slices in the result (Bitfield, Block,
// Payload) are freshly allocated and owned by the caller. A stream that ends
// inside a message gives io.ErrUnexpectedEOF; one that ends between messages
// gives io.EOF.
func (r *Reader) ReadMessage() (Message, error) {
	if _, err := io.ReadFull(r.r, r.hdr[:]); err != nil {
		return Message{}, err
	}
	n := binary.BigEndian.Uint32(r.hdr[:])
	limit := r.Max
	if limit <= 0 {
		limit = MaxMessageLength
	}
	if n == 0 {
		return Message{KeepAlive: true}, nil
	}
	if uint64(n) > uint64(limit) {
		return Message{}, fmt.Errorf("%w: length prefix %d, limit %d", ErrTooLong, n, limit)
	}
	var buf []byte
	if int(n) <= len(r.small) {
		buf = r.small[:n]
	} else if r.Alloc != nil {
		buf = r.Alloc(int(n))
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(r.r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, fmt.Errorf("wire: reading %d-byte message: %w", n, err)
	}
	m, err := Decode(buf)
	if err != nil {
		return Message{}, err
	}
	if int(n) <= len(r.small) {
		// Do not hand out slices of the reusable buffer.
		m.Bitfield = clone(m.Bitfield)
		m.Block = clone(m.Block)
		m.Payload = clone(m.Payload)
	}
	return m, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
