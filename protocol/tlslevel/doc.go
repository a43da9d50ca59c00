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
// The initiator (TLS client) sends its message first, alone, in the same
// flight as its TLS Finished; the responder (TLS server) reads it from the
// first record (ReadOpening), finds the torrent whose key verifies it, then
// answers with its own (Answer), which the caller may send in one record
// with its first BEP 3 bytes. The initiator sends nothing else until it
// has verified the responder's. On any failure the side that detects it
// sends nothing of its own: the initiator closes; the responder closes or
// hands the connection to a decoy web server (protocol/levels).
package tlslevel
