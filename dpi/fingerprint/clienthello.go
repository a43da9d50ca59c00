// Package fingerprint parses a TLS ClientHello from the first bytes a client
// sends and computes the fingerprints DPI engines key on: JA3 (Salesforce,
// 2017) and JA4 (FoxIO, 2023). Debian's tshark 4.0 computes JA3 but not
// JA4, so the DPI harness computes both here and checks JA3 against tshark.
package fingerprint

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// TLS constants used by the parser (RFC 8446).
const (
	recordHandshake   = 22 // RFC 8446, Section 5.1: ContentType handshake
	typeClientHello   = 1  // RFC 8446, Section 4: HandshakeType client_hello
	recordHeaderLen   = 5
	maxRecordLen      = 1<<14 + 256
	maxClientHelloLen = 1 << 16 // far above any real ClientHello
)

// Extension types the fingerprints read (IANA TLS ExtensionType values).
const (
	ExtServerName          uint16 = 0  // RFC 6066
	ExtSupportedGroups     uint16 = 10 // RFC 8422, RFC 7919
	ExtECPointFormats      uint16 = 11 // RFC 8422
	ExtSignatureAlgorithms uint16 = 13 // RFC 8446
	ExtALPN                uint16 = 16 // RFC 7301
	ExtSupportedVersions   uint16 = 43 // RFC 8446
)

// ErrNotTLS is returned when the bytes do not start with a TLS handshake
// record, i.e. the flow is not TLS at all.
var ErrNotTLS = errors.New("fingerprint: not a TLS handshake record")

// ErrShort is returned when the bytes end before the ClientHello does; the
// caller may retry with more of the stream.
var ErrShort = errors.New("fingerprint: ClientHello truncated")

// Extension is one ClientHello extension, in wire order.
type Extension struct {
	Type uint16
	Data []byte
}

// ClientHello is the part of a ClientHello the fingerprints and the DPI
// table need. Lists are in wire order and include GREASE values.
type ClientHello struct {
	// Version is legacy_version (0x0303 for TLS 1.2 and 1.3).
	Version   uint16
	Random    []byte
	SessionID []byte
	Ciphers   []uint16
	// Compression is legacy_compression_methods.
	Compression []byte
	Extensions  []Extension

	// Decoded from the extensions (nil or empty when absent).
	ServerName        string
	ALPN              []string
	SupportedVersions []uint16
	SupportedGroups   []uint16
	PointFormats      []uint8
	SignatureAlgs     []uint16
}

// HasExtension reports whether the ClientHello carries an extension of type t.
func (h *ClientHello) HasExtension(t uint16) bool {
	for _, e := range h.Extensions {
		if e.Type == t {
			return true
		}
	}
	return false
}

// ParseStream parses the ClientHello at the start of a client's TCP byte
// stream, reassembling it from as many handshake records as it spans.
func ParseStream(stream []byte) (*ClientHello, error) {
	var msg []byte
	for {
		if len(stream) < recordHeaderLen {
			if len(msg) == 0 && len(stream) > 0 && stream[0] != recordHandshake {
				return nil, ErrNotTLS
			}
			return nil, ErrShort
		}
		if stream[0] != recordHandshake || stream[1] != 3 {
			if len(msg) == 0 {
				return nil, ErrNotTLS
			}
			return nil, fmt.Errorf("fingerprint: record of type %d version %#x inside a ClientHello", stream[0], stream[1:3])
		}
		n := int(binary.BigEndian.Uint16(stream[3:5]))
		if n == 0 || n > maxRecordLen {
			return nil, fmt.Errorf("fingerprint: handshake record length %d out of range", n)
		}
		if len(stream) < recordHeaderLen+n {
			return nil, ErrShort
		}
		msg = append(msg, stream[recordHeaderLen:recordHeaderLen+n]...)
		stream = stream[recordHeaderLen+n:]
		if len(msg) >= 4 {
			if msg[0] != typeClientHello {
				return nil, fmt.Errorf("fingerprint: first handshake message has type %d, want ClientHello (1)", msg[0])
			}
			body := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
			if body > maxClientHelloLen {
				return nil, fmt.Errorf("fingerprint: ClientHello length %d too large", body)
			}
			if len(msg) >= 4+body {
				return ParseClientHello(msg[4 : 4+body])
			}
		}
	}
}

// ParseClientHello parses a ClientHello body (RFC 8446, Section 4.1.2),
// without the 4-byte handshake header. Leftover bytes are an error.
func ParseClientHello(b []byte) (*ClientHello, error) {
	r := reader{b: b}
	h := &ClientHello{}
	h.Version = r.u16()
	h.Random = r.bytes(32)
	h.SessionID = r.vec8()
	for ciphers := (reader{b: r.vec16()}); !ciphers.empty(); {
		h.Ciphers = append(h.Ciphers, ciphers.u16())
		if ciphers.err != nil {
			return nil, fmt.Errorf("fingerprint: cipher_suites has odd length")
		}
	}
	h.Compression = r.vec8()
	if r.err != nil {
		return nil, fmt.Errorf("fingerprint: ClientHello truncated before extensions")
	}
	if r.empty() { // extensions are optional before TLS 1.3
		return h, nil
	}
	exts := reader{b: r.vec16()}
	if r.err != nil {
		return nil, fmt.Errorf("fingerprint: extensions block truncated")
	}
	if !r.empty() {
		return nil, fmt.Errorf("fingerprint: %d bytes after the ClientHello extensions", len(r.b))
	}
	for !exts.empty() {
		e := Extension{Type: exts.u16(), Data: exts.vec16()}
		if exts.err != nil {
			return nil, fmt.Errorf("fingerprint: extension list truncated")
		}
		h.Extensions = append(h.Extensions, e)
		if err := h.decodeExtension(e); err != nil {
			return nil, fmt.Errorf("fingerprint: extension %d: %w", e.Type, err)
		}
	}
	return h, nil
}

func (h *ClientHello) decodeExtension(e Extension) error {
	r := reader{b: e.Data}
	switch e.Type {
	case ExtServerName:
		list := reader{b: r.vec16()}
		for !list.empty() {
			kind, name := list.u8(), list.vec16()
			if kind == 0 && h.ServerName == "" { // host_name
				h.ServerName = string(name)
			}
		}
		if list.err != nil {
			return errors.New("server_name list malformed")
		}
	case ExtALPN:
		list := reader{b: r.vec16()}
		for !list.empty() {
			h.ALPN = append(h.ALPN, string(list.vec8()))
		}
		if list.err != nil {
			return errors.New("ALPN list malformed")
		}
	case ExtSupportedVersions:
		h.SupportedVersions = r.u16list(r.vec8())
	case ExtSupportedGroups:
		h.SupportedGroups = r.u16list(r.vec16())
	case ExtSignatureAlgorithms:
		h.SignatureAlgs = r.u16list(r.vec16())
	case ExtECPointFormats:
		h.PointFormats = append([]byte(nil), r.vec8()...)
	default:
		return nil
	}
	if r.err != nil || !r.empty() {
		return errors.New("malformed body")
	}
	return nil
}

// reader is a cursor over a byte slice that records the first short read
// instead of panicking; every getter returns zero values after an error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) empty() bool { return len(r.b) == 0 || r.err != nil }

func (r *reader) bytes(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.err = ErrShort
		r.b = nil
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) vec8() []byte  { return r.bytes(int(r.u8())) }
func (r *reader) vec16() []byte { return r.bytes(int(r.u16())) }

// u16list decodes a vector of uint16; an odd length sets r.err.
func (r *reader) u16list(b []byte) []uint16 {
	if len(b)%2 != 0 {
		r.err = errors.New("odd-length uint16 list")
		return nil
	}
	out := make([]uint16, 0, len(b)/2)
	for i := 0; i < len(b); i += 2 {
		out = append(out, binary.BigEndian.Uint16(b[i:]))
	}
	return out
}
