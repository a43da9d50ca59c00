package meta

import "crypto/sha256"

// BlockSize is the BEP 52 merkle leaf size: each leaf is the SHA-256 of
// 16 KiB of a file (the last one shorter).
const BlockSize = 16 << 10

// blockHashes returns the SHA-256 of each 16 KiB block of p.
func blockHashes(p []byte) [][32]byte {
	out := make([][32]byte, 0, (len(p)+BlockSize-1)/BlockSize)
	for len(p) > 0 {
		n := min(len(p), BlockSize)
		out = append(out, sha256.Sum256(p[:n]))
		p = p[n:]
	}
	return out
}

// merkleRoot is the root of a tree over hashes padded with pad up to width
// leaves (a power of two ≥ len(hashes)). pad is the hash of an absent
// subtree at the leaves' level: zero for 16 KiB leaves, the root of an
// all-zero piece subtree for piece-layer leaves (BEP 52).
func merkleRoot(hashes [][32]byte, width int, pad [32]byte) [32]byte {
	layer := make([][32]byte, width)
	copy(layer, hashes)
	for i := len(hashes); i < width; i++ {
		layer[i] = pad
	}
	var buf [64]byte
	for len(layer) > 1 {
		for i := 0; i < len(layer)/2; i++ {
			copy(buf[:32], layer[2*i][:])
			copy(buf[32:], layer[2*i+1][:])
			layer[i] = sha256.Sum256(buf[:])
		}
		layer = layer[:len(layer)/2]
	}
	return layer[0]
}

// padHash is the root of an all-zero subtree of leaves 16 KiB leaves.
func padHash(leaves int) [32]byte {
	var h [32]byte
	var buf [64]byte
	for ; leaves > 1; leaves /= 2 {
		copy(buf[:32], h[:])
		copy(buf[32:], h[:])
		h = sha256.Sum256(buf[:])
	}
	return h
}

// pow2 is the smallest power of two ≥ n (1 for n ≤ 1).
func pow2(n int) int {
	w := 1
	for w < n {
		w <<= 1
	}
	return w
}

// PieceRootV2 is the BEP 52 hash of one piece of a file: the merkle root of
// its 16 KiB blocks. A piece that is the whole file (file ≤ piece length)
// is padded to a power of two of blocks — its root is the file's pieces
// root; any other piece, the file's last included, is padded to a full
// piece's blocks, as its piece-layer entry is.
func PieceRootV2(data []byte, pieceLength int64, wholeFile bool) [32]byte {
	leaves := blockHashes(data)
	width := int(pieceLength / BlockSize)
	if wholeFile {
		width = pow2(len(leaves))
	}
	return merkleRoot(leaves, width, [32]byte{})
}

// fileRootV2 returns a file's pieces root and its piece layer (nil when the
// file fits in one piece, as BEP 52 leaves it out then) from the hashes of
// its pieces, each computed by PieceRootV2.
func fileRootV2(pieces [][32]byte, length, pieceLength int64) [32]byte {
	if length <= pieceLength {
		return pieces[0]
	}
	return merkleRoot(pieces, pow2(len(pieces)), padHash(int(pieceLength/BlockSize)))
}
