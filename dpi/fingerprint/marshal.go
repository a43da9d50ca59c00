package fingerprint

import "encoding/binary"

// Marshal encodes h as a ClientHello handshake message in one TLS record,
// from Version, Random, SessionID, Ciphers, Compression and Extensions (the
// decoded fields are ignored). The DPI tests build ClientHellos with it and
// the active prober replays them.
func (h *ClientHello) Marshal() []byte {
	var body []byte
	body = binary.BigEndian.AppendUint16(body, h.Version)
	random := h.Random
	if len(random) != 32 {
		random = make([]byte, 32)
	}
	body = append(body, random...)
	body = append(body, byte(len(h.SessionID)))
	body = append(body, h.SessionID...)
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(h.Ciphers)))
	for _, c := range h.Ciphers {
		body = binary.BigEndian.AppendUint16(body, c)
	}
	body = append(body, byte(len(h.Compression)))
	body = append(body, h.Compression...)
	if h.Extensions != nil {
		var exts []byte
		for _, e := range h.Extensions {
			exts = binary.BigEndian.AppendUint16(exts, e.Type)
			exts = binary.BigEndian.AppendUint16(exts, uint16(len(e.Data)))
			exts = append(exts, e.Data...)
		}
		body = binary.BigEndian.AppendUint16(body, uint16(len(exts)))
		body = append(body, exts...)
	}
	msg := []byte{typeClientHello, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	msg = append(msg, body...)
	rec := []byte{recordHandshake, 3, 1}
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(msg)))
	return append(rec, msg...)
}
