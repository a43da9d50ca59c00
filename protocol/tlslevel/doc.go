// Package tlslevel is the bttls handshake that runs inside a TLS 1.3
// connection right after the TLS handshake: each side proves it belongs to
// the torrent's swarm with a MAC (Basic, Strict) or a certificate chain and
// signature (Full Strict mode 2) over a TLS exporter value, with a distinct
// exporter label per role and level so that a proof can be neither replayed
// on another connection nor reflected back. The BEP 3 handshake follows,
// inside the tunnel. docs/levels.md is the normative description.
//
// Message (bttls level message, all integers big-endian):
//
//	uint8  version  = 1
//	uint8  type       (Type: 1 Basic proof, 2 Strict proof, 3 Full Strict mode 2 credentials)
//	uint16 length     of body, at most MaxBody
//	body[length]
//
// The initiator (TLS client) sends its message first, in the same flight as
// its TLS Finished; the responder (TLS server) finds the torrent whose key
// verifies it, then answers with its own; nothing else is sent until both
// are verified. On any failure the side that detects it closes the
// connection without sending anything further.
package tlslevel
