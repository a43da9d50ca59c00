package wire

import (
	"errors"
	"fmt"

	"github.com/anacrolix/torrent/bencode"
)

// BEP 9 message types.
const (
	MetadataRequest = 0
	MetadataData    = 1
	MetadataReject  = 2
)

const (
	// MetadataPieceSize is the size of every metadata piece but the last (BEP 9).
	MetadataPieceSize = 16 << 10
	// MaxMetadataSize bounds an info dict fetched by BEP 9: 16 MiB is ten
	// times the largest real torrents' info dicts.
	MaxMetadataSize = 16 << 20
)

// MetadataMsg is a BEP 9 ut_metadata message.
type MetadataMsg struct {
	Type      int // MetadataRequest, MetadataData or MetadataReject
	Piece     int
	TotalSize int    // MetadataData only
	Data      []byte // MetadataData only: the piece's bytes
}

type metadataHeader struct {
	Type      int64 `bencode:"msg_type"`
	Piece     int64 `bencode:"piece"`
	TotalSize int64 `bencode:"total_size,omitempty"`
}

// Marshal encodes m: a bencoded dict followed, for data, by the piece bytes.
func (m MetadataMsg) Marshal() []byte {
	h := metadataHeader{Type: int64(m.Type), Piece: int64(m.Piece)}
	if m.Type == MetadataData {
		h.TotalSize = int64(m.TotalSize)
	}
	b := bencode.MustMarshal(h)
	if m.Type == MetadataData {
		b = append(b, m.Data...)
	}
	return b
}

// ParseMetadataMsg decodes a ut_metadata payload. Data aliases b.
func ParseMetadataMsg(b []byte) (MetadataMsg, error) {
	var h metadataHeader
	err := bencode.Unmarshal(b, &h)
	var trailing bencode.ErrUnusedTrailingBytes
	rest := 0
	if errors.As(err, &trailing) {
		rest = trailing.NumUnusedBytes
	} else if err != nil {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata message header: %w", err)
	}
	m := MetadataMsg{Type: int(h.Type), Piece: int(h.Piece), TotalSize: int(h.TotalSize)}
	if h.Piece < 0 || h.Piece >= MaxMetadataSize/MetadataPieceSize {
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata message: piece %d out of range", h.Piece)
	}
	switch h.Type {
	case MetadataRequest, MetadataReject:
		if rest != 0 {
			return MetadataMsg{}, fmt.Errorf("wire: ut_metadata %d message: %d bytes after the header", h.Type, rest)
		}
	case MetadataData:
		if h.TotalSize <= 0 || h.TotalSize > MaxMetadataSize {
			return MetadataMsg{}, fmt.Errorf("wire: ut_metadata data message: total_size %d outside 1..%d", h.TotalSize, MaxMetadataSize)
		}
		if rest > MetadataPieceSize {
			return MetadataMsg{}, fmt.Errorf("wire: ut_metadata data message: piece of %d bytes, limit %d", rest, MetadataPieceSize)
		}
		m.Data = b[len(b)-rest:]
	default:
		return MetadataMsg{}, fmt.Errorf("wire: ut_metadata message: unknown msg_type %d", h.Type)
	}
	return m, nil
}
