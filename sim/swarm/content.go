package swarm

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/bttls/bttls/protocol/meta"
)

// chunkSize is the unit in which content is generated: a block, so a
// block read generates exactly one chunk.
const chunkSize = 16 << 10

// Content is a torrent whose bytes are a pure function of (seed, offset):
// peers read them on demand instead of each storing a copy, so memory stays
// flat however many peers seed.
type Content struct {
	Torrent *meta.Torrent
	seed    uint64
	// cache holds recently generated chunks (direct-mapped by index): in a
	// swarm many peers read the same popular blocks at about the same time.
	cache [256]struct {
		index int64
		data  []byte
	}
	// scratch holds a piece or a block generated to compare or hash; the
	// simulator runs one task at a time, as for cache.
	scratch []byte
}

// NewContent generates the pieces of a size-byte torrent once to hash them,
// and builds its metainfo with tracker as announce URL.
func NewContent(size, pieceLen int64, seed uint64, tracker string) (*Content, error) {
	if size <= 0 || pieceLen < chunkSize || pieceLen%chunkSize != 0 {
		return nil, fmt.Errorf("swarm: content of %d bytes in pieces of %d: need a positive size and pieces a multiple of 16KiB", size, pieceLen)
	}
	c := &Content{seed: seed}
	for i := range c.cache {
		c.cache[i].index = -1
	}
	n := (size + pieceLen - 1) / pieceLen
	pieces := make([]byte, 0, 20*n)
	buf := make([]byte, pieceLen)
	for i := int64(0); i < n; i++ {
		l := min(pieceLen, size-i*pieceLen)
		c.ReadAt(buf[:l], i*pieceLen)
		h := sha1.Sum(buf[:l])
		pieces = append(pieces, h[:]...)
	}
	name := fmt.Sprintf("sim-%d-%d.bin", size, seed)
	// The info dict, bencoded with its keys in sorted order.
	info := []byte("d6:lengthi" + strconv.FormatInt(size, 10) + "e4:name" + strconv.Itoa(len(name)) + ":" + name +
		"12:piece lengthi" + strconv.FormatInt(pieceLen, 10) + "e6:pieces" + strconv.Itoa(len(pieces)) + ":")
	info = append(info, pieces...)
	info = append(info, 'e')
	t, err := meta.FromInfo(info, []string{tracker})
	if err != nil {
		return nil, fmt.Errorf("swarm: generated torrent: %w", err)
	}
	c.Torrent = t
	return c, nil
}

// ReadAt fills p with the content at offset off (within the torrent).
func (c *Content) ReadAt(p []byte, off int64) {
	for len(p) > 0 {
		k := off / chunkSize
		ch := c.chunk(k)
		n := copy(p, ch[off-k*chunkSize:])
		p, off = p[n:], off+int64(n)
	}
}

func (c *Content) chunk(k int64) []byte {
	slot := &c.cache[k%int64(len(c.cache))]
	if slot.index == k {
		return slot.data
	}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[0:], c.seed)
	binary.LittleEndian.PutUint64(seed[8:], uint64(k))
	copy(seed[16:], "bttls content")
	if slot.data == nil {
		slot.data = make([]byte, chunkSize)
	}
	rand.NewChaCha8(seed).Read(slot.data)
	slot.index = k
	return slot.data
}

// Equal reports whether p holds the content at offset off.
func (c *Content) Equal(p []byte, off int64) bool {
	for len(p) > 0 {
		k := off / chunkSize
		ch := c.chunk(k)[off-k*chunkSize:]
		n := min(len(p), len(ch))
		if !bytes.Equal(p[:n], ch[:n]) {
			return false
		}
		p, off = p[n:], off+int64(n)
	}
	return true
}

// PieceSum is the SHA-1 of piece index as generated now, computed in full
// each time (the cost of checking a piece a peer received).
func (c *Content) PieceSum(index int) [20]byte {
	n := c.Torrent.PieceSize(index)
	if cap(c.scratch) < n {
		c.scratch = make([]byte, n)
	}
	buf := c.scratch[:n]
	c.ReadAt(buf, int64(index)*c.Torrent.PieceLength)
	return sha1.Sum(buf)
}
