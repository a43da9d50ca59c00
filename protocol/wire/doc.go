// Package wire encodes and decodes the BitTorrent peer wire: the BEP 3
// handshake and messages, the BEP 6 fast extension messages, the BEP 10
// extension handshake, BEP 9 ut_metadata and BEP 11 ut_pex payloads.
//
// Decoders take untrusted bytes: every length is checked against a limit
// before anything is allocated, leftover bytes are an error, and errors name
// the message and what was wrong with it. Nothing here does I/O beyond the
// io.Reader/io.Writer a caller hands in, and nothing keeps state between
// calls, so the real peer and the simulator share it.
package wire
