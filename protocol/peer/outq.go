package peer

import (
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/wire"
)

// outItem is one item of a connection's output queue: messages ready to
// send, or an upload, a piece message whose block the writer reads from
// storage only when it writes it. Staged uploads thus cost a few words
// each until then, not their bytes.
type outItem struct {
	data []byte // messages; nil for an upload

	store                storage.Storage
	piece, begin, length int
}

// pieceHeader is the size of a piece message before its block.
const pieceHeader = 13

// size is the item's length on the wire.
func (it *outItem) size() int {
	if it.data != nil {
		return len(it.data)
	}
	return pieceHeader + it.length
}

// fillChunk appends to dst, up to its capacity, the bytes of items from
// offset off into items[0] on. It returns dst, how many items it used up
// and the offset into the first one it did not. An upload's block is
// read from storage as far as it fits; the rest of it on the next call.
func fillChunk(dst []byte, items []outItem, off int) ([]byte, int, int, error) {
	done := 0
	for done < len(items) && len(dst) < cap(dst) {
		it := &items[done]
		if it.data != nil {
			k := copy(dst[len(dst):cap(dst)], it.data[off:])
			dst = dst[:len(dst)+k]
			off += k
		} else {
			if off < pieceHeader {
				m := wire.Message{Type: wire.Piece, Index: uint32(it.piece), Begin: uint32(it.begin), Block: make([]byte, 0)}
				var hdr [pieceHeader]byte
				h := m.Append(hdr[:0])
				putUint32(h, uint32(9+it.length))
				k := copy(dst[len(dst):cap(dst)], h[off:])
				dst = dst[:len(dst)+k]
				off += k
			}
			if off >= pieceHeader {
				from := off - pieceHeader
				k := min(cap(dst)-len(dst), it.length-from)
				if k > 0 {
					if err := it.store.ReadBlock(it.piece, it.begin+from, dst[len(dst):len(dst)+k]); err != nil {
						return dst, done, off, err
					}
					dst = dst[:len(dst)+k]
					off += k
				}
			}
		}
		if off < it.size() {
			break
		}
		done++
		off = 0
	}
	return dst, done, off, nil
}
