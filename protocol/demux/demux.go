// Package demux classifies an inbound stream on the shared BitTorrent port
// by its first bytes: a TLS ClientHello, a plaintext BEP 3 handshake, or
// else MSE/PE. An MSE opening is a random DH value, so it starts with 0x16
// or 0x13 in 2 of 256 cases; the classifier therefore looks further — a TLS
// record header 16 03 0x whose first handshake byte is 1 (ClientHello),
// and the full 20-byte "\x13BitTorrent protocol" — and calls everything
// else MSE. A random opening is mistaken for TLS with probability about
// 2^-30 and for plaintext with 2^-160.
package demux

import (
	"errors"
	"fmt"
	"net"
)

// Class is what an inbound stream speaks.
type Class uint8

const (
	Undecided Class = iota // more bytes are needed
	TLS                    // a TLS ClientHello: one of the bttls levels
	Plain                  // BEP 3 plaintext handshake
	MSE                    // anything else: MSE/PE
)

func (c Class) String() string {
	switch c {
	case Undecided:
		return "undecided"
	case TLS:
		return "tls"
	case Plain:
		return "plain"
	case MSE:
		return "mse"
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Protocol is the BEP 3 handshake's opening: pstrlen 19 and the pstr.
const Protocol = "\x13BitTorrent protocol"

// MaxPeek is the most bytes Classify ever needs.
const MaxPeek = len(Protocol)

// tlsHeaderLen covers the record header (type, version, length) and the
// handshake type byte.
const tlsHeaderLen = 6

// Classify decides from the first bytes of a stream, or returns Undecided
// when b is too short to tell.
func Classify(b []byte) Class {
	if len(b) == 0 {
		return Undecided
	}
	switch b[0] {
	case 0x16: // TLS handshake record
		for i, want := range []byte{0x16, 0x03} {
			if i < len(b) && b[i] != want {
				return MSE
			}
		}
		if len(b) > 2 && b[2] > 0x04 {
			return MSE
		}
		if len(b) < tlsHeaderLen {
			return Undecided
		}
		recLen := int(b[3])<<8 | int(b[4])
		// A ClientHello is at least ~40 bytes and a record at most 2^14.
		if recLen < 38 || recLen > 1<<14 || b[5] != 0x01 {
			return MSE
		}
		return TLS
	case Protocol[0]:
		n := min(len(b), len(Protocol))
		if string(b[:n]) != Protocol[:n] {
			return MSE
		}
		if n < len(Protocol) {
			return Undecided
		}
		return Plain
	}
	return MSE
}

// ErrStalled is wrapped when the stream ends (or its deadline passes)
// before its first bytes decide its class.
var ErrStalled = errors.New("bttls: inbound stream ended or stalled before its protocol could be told")

// Peek reads from c until Classify decides, and returns the class with a
// conn that replays the bytes read before continuing with c. The caller
// bounds it with c's read deadline.
func Peek(c net.Conn) (Class, net.Conn, error) {
	buf := make([]byte, 0, MaxPeek)
	for {
		n, err := c.Read(buf[len(buf):MaxPeek])
		buf = buf[:len(buf)+n]
		if cl := Classify(buf); cl != Undecided {
			return cl, &Replay{Conn: c, prefix: buf}, nil
		}
		if err != nil {
			return Undecided, nil, fmt.Errorf("%w after %d bytes: %w", ErrStalled, len(buf), err)
		}
	}
}

// Replay is a conn whose first reads return bytes already read from it.
type Replay struct {
	net.Conn
	prefix []byte
}

// NewReplay returns c with prefix put back in front of its stream.
func NewReplay(c net.Conn, prefix []byte) *Replay { return &Replay{Conn: c, prefix: prefix} }

func (r *Replay) Read(p []byte) (int, error) {
	if len(r.prefix) > 0 {
		n := copy(p, r.prefix)
		r.prefix = r.prefix[n:]
		return n, nil
	}
	return r.Conn.Read(p)
}
