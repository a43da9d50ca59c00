package tlslevel

import (
	"errors"
	"fmt"
	"io"
	"net"
)

// BusyAlert is what a responder at its connection limit sends in reply to
// a ClientHello instead of running the TLS handshake (docs/bep_tls.rst,
// "Busy responders"): a fatal internal_error alert in a plaintext record.
// It tells the initiator that the remote speaks TLS, so that it neither
// falls back to a legacy transport nor pins the address (the alert is
// unauthenticated), and it spares both ends the handshake's public-key
// operations for a connection that would be refused right after them.
var BusyAlert = []byte{
	0x15,       // content type: alert
	0x03, 0x03, // legacy record version (TLS 1.2, as TLS 1.3 records say)
	0x00, 0x02, // length
	0x02, // level: fatal
	80,   // description: internal_error
}

// ErrBusy is the error of a TLS attempt answered with BusyAlert.
var ErrBusy = errors.New("bttls: the remote is at its connection limit (busy alert)")

// IsBusyReply reports whether head, the first bytes a remote sent in reply
// to a ClientHello, is BusyAlert. Any TLS record version 3.x is accepted.
func IsBusyReply(head []byte) bool {
	return len(head) >= len(BusyAlert) && head[0] == BusyAlert[0] && head[1] == 0x03 &&
		head[3] == 0 && head[4] == 2 && head[5] == BusyAlert[5] && head[6] == BusyAlert[6]
}

// maxClientHelloRecord bounds the record RefuseBusy reads: a TLS record's
// plaintext is at most 2^14 bytes.
const maxClientHelloRecord = 1 << 14

// RefuseBusy answers the ClientHello that c starts with (it must not have
// been consumed: a demux.Replay of the peeked bytes, say) with BusyAlert.
// It reads the whole first record first: closing a connection with unread
// input resets it, and the reset would discard the alert on its way.
// The caller closes c.
func RefuseBusy(c net.Conn) error {
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return fmt.Errorf("bttls: reading the ClientHello record: %w", err)
	}
	if hdr[0] != 0x16 {
		return fmt.Errorf("bttls: refusing busy: record type %d is not a handshake", hdr[0])
	}
	n := int(hdr[3])<<8 | int(hdr[4])
	if n > maxClientHelloRecord {
		return fmt.Errorf("bttls: refusing busy: record of %d bytes exceeds %d", n, maxClientHelloRecord)
	}
	if _, err := io.CopyN(io.Discard, c, int64(n)); err != nil {
		return fmt.Errorf("bttls: reading the ClientHello record: %w", err)
	}
	if _, err := c.Write(BusyAlert); err != nil {
		return fmt.Errorf("bttls: sending the busy alert: %w", err)
	}
	return nil
}
