package wire

import (
	"bytes"
	"fmt"
	"io"
)

// ProtocolString is the BEP 3 handshake's opening: a length byte (19) and
// the protocol name.
const ProtocolString = "\x13BitTorrent protocol"

// HandshakeLength is the length of a BEP 3 handshake.
const HandshakeLength = 68

// Reserved is the handshake's 8 reserved bytes (BEP 4 assigns the bits).
type Reserved [8]byte

// Reserved bits this peer understands.
const (
	reservedExtensionByte, reservedExtensionBit = 5, 0x10 // BEP 10
	reservedFastByte, reservedFastBit           = 7, 0x04 // BEP 6
)

// Extension reports the BEP 10 extension protocol bit.
func (r Reserved) Extension() bool { return r[reservedExtensionByte]&reservedExtensionBit != 0 }

// Fast reports the BEP 6 fast extension bit.
func (r Reserved) Fast() bool { return r[reservedFastByte]&reservedFastBit != 0 }

// SetExtension sets the BEP 10 bit.
func (r *Reserved) SetExtension() { r[reservedExtensionByte] |= reservedExtensionBit }

// SetFast sets the BEP 6 bit.
func (r *Reserved) SetFast() { r[reservedFastByte] |= reservedFastBit }

// Handshake is the BEP 3 handshake each side sends first.
type Handshake struct {
	Reserved Reserved
	InfoHash [20]byte
	PeerID   [20]byte
}

// Append appends h's 68-byte wire form to b.
func (h Handshake) Append(b []byte) []byte {
	b = append(b, ProtocolString...)
	b = append(b, h.Reserved[:]...)
	b = append(b, h.InfoHash[:]...)
	return append(b, h.PeerID[:]...)
}

// ParseHandshake parses a 68-byte handshake.
func ParseHandshake(b []byte) (Handshake, error) {
	var h Handshake
	if len(b) != HandshakeLength {
		return h, fmt.Errorf("wire: handshake is %d bytes, want %d", len(b), HandshakeLength)
	}
	if !bytes.Equal(b[:20], []byte(ProtocolString)) {
		return h, fmt.Errorf("wire: handshake does not start with the BitTorrent protocol string (got %q)", b[:20])
	}
	copy(h.Reserved[:], b[20:28])
	copy(h.InfoHash[:], b[28:48])
	copy(h.PeerID[:], b[48:68])
	return h, nil
}

// ReadHandshake reads and parses a handshake from r.
func ReadHandshake(r io.Reader) (Handshake, error) {
	var b [HandshakeLength]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return Handshake{}, fmt.Errorf("wire: reading handshake: %w", err)
	}
	return ParseHandshake(b[:])
}
