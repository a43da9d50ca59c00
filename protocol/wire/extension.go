package wire

import (
	"fmt"

	"github.com/anacrolix/torrent/bencode"
)

// Extension names this peer speaks over BEP 10.
const (
	ExtMetadata = "ut_metadata" // BEP 9
	ExtPEX      = "ut_pex"      // BEP 11
)

// MaxExtensionPayload bounds a BEP 10 payload (handshake, PEX, a metadata
// piece with its header).
const MaxExtensionPayload = 64 << 10

// ExtHandshake is the BEP 10 extension handshake (extended id 0).
type ExtHandshake struct {
	// M maps extension names to the ids the sender wants to receive them
	// under; id 0 means the sender disables that extension.
	M map[string]int
	// V is the client name and version.
	V string
	// Port is the sender's listen port ("p"), 0 if not given.
	Port int
	// Reqq is how many outstanding requests the sender queues, 0 if not given.
	Reqq int
	// MetadataSize is the info dict's length (BEP 9), 0 if not given.
	MetadataSize int
	// YourIP is the receiver's address as the sender sees it (4 or 16 bytes).
	YourIP []byte
	// Extra holds every other key, raw, so other layers (the TLS capability
	// signal) can add and read keys without changing this type.
	Extra map[string]bencode.Bytes
}

// known are the keys ExtHandshake decodes into fields.
var known = map[string]bool{"m": true, "v": true, "p": true, "reqq": true, "metadata_size": true, "yourip": true}

// Marshal encodes h as a bencoded dict.
func (h ExtHandshake) Marshal() ([]byte, error) {
	d := make(map[string]any, 6+len(h.Extra))
	for k, v := range h.Extra {
		if !known[k] {
			d[k] = v
		}
	}
	m := h.M
	if m == nil {
		m = map[string]int{}
	}
	d["m"] = m
	if h.V != "" {
		d["v"] = h.V
	}
	if h.Port != 0 {
		d["p"] = h.Port
	}
	if h.Reqq != 0 {
		d["reqq"] = h.Reqq
	}
	if h.MetadataSize != 0 {
		d["metadata_size"] = h.MetadataSize
	}
	if len(h.YourIP) != 0 {
		d["yourip"] = string(h.YourIP)
	}
	b, err := bencode.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("wire: encoding extension handshake: %w", err)
	}
	return b, nil
}

// ParseExtHandshake decodes a BEP 10 handshake payload. Keys of the wrong
// type are an error only for "m", "metadata_size" and "p", which the peer
// relies on; a junk "v" or "reqq" is ignored, as other clients do.
func ParseExtHandshake(b []byte) (ExtHandshake, error) {
	var h ExtHandshake
	if len(b) > MaxExtensionPayload {
		return h, fmt.Errorf("wire: extension handshake of %d bytes, limit %d", len(b), MaxExtensionPayload)
	}
	var d map[string]bencode.Bytes
	if err := bencode.Unmarshal(b, &d); err != nil {
		return h, fmt.Errorf("wire: extension handshake is not a bencoded dict: %w", err)
	}
	for k, v := range d {
		var err error
		switch k {
		case "m":
			var m map[string]bencode.Bytes
			if err = bencode.Unmarshal(v, &m); err == nil {
				h.M = make(map[string]int, len(m))
				for name, idb := range m {
					var id int64
					if bencode.Unmarshal(idb, &id) == nil && id >= 0 && id <= 255 {
						h.M[name] = int(id)
					}
				}
			}
		case "v":
			_ = bencode.Unmarshal(v, &h.V)
		case "p":
			var p int64
			if err = bencode.Unmarshal(v, &p); err == nil {
				if p < 0 || p > 65535 {
					err = fmt.Errorf("port %d out of range", p)
				}
				h.Port = int(p)
			}
		case "reqq":
			var q int64
			if bencode.Unmarshal(v, &q) == nil && q > 0 && q < 1<<20 {
				h.Reqq = int(q)
			}
		case "metadata_size":
			var n int64
			if err = bencode.Unmarshal(v, &n); err == nil {
				if n < 0 || n > MaxMetadataSize {
					err = fmt.Errorf("%d outside 0..%d", n, MaxMetadataSize)
				}
				h.MetadataSize = int(n)
			}
		case "yourip":
			var s string
			if bencode.Unmarshal(v, &s) == nil && (len(s) == 4 || len(s) == 16) {
				h.YourIP = []byte(s)
			}
		default:
			if h.Extra == nil {
				h.Extra = map[string]bencode.Bytes{}
			}
			h.Extra[k] = v
		}
		if err != nil {
			return ExtHandshake{}, fmt.Errorf("wire: extension handshake key %q: %w", k, err)
		}
	}
	return h, nil
}

// ExtKeyTLS is the BEP 10 handshake key by which a peer says it accepts
// bttls (TLS) connections; its integer value is the highest version of the
// bttls BEP it speaks.
const ExtKeyTLS = "tls"

// TLSVersion returns the bttls version the sender advertised under
// ExtKeyTLS, or 0 when the key is absent or not a non-negative integer.
func (h *ExtHandshake) TLSVersion() int {
	raw, ok := h.Extra[ExtKeyTLS]
	if !ok {
		return 0
	}
	var v int64
	if err := bencode.Unmarshal(raw, &v); err != nil || v < 0 || v > 1<<16 {
		return 0
	}
	return int(v)
}
