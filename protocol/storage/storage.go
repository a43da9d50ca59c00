// Package storage holds a torrent's pieces. The peer stages the blocks of a
// piece as they arrive and asks the storage to finish the piece: only a
// piece whose SHA-1 matches the torrent reaches its final place, so a
// corrupt byte is never written where a user would read it.
//
// The interface is small so that the simulator can implement it without
// keeping any bytes: it generates a piece from (torrent, index) on demand.
package storage

import (
	"crypto/sha1"
	"errors"
	"fmt"

	"github.com/bttls/bttls/protocol/meta"
)

// ErrHashMismatch is returned by FinishPiece when the staged piece does not
// hash to the torrent's SHA-1 for it; the staged bytes are discarded.
var ErrHashMismatch = errors.New("storage: piece failed its SHA-1 check")

// Storage is where one torrent's pieces live. Its methods may be called from
// several tasks at once and never block on the network.
type Storage interface {
	// Completed reports which pieces are verified and readable (a seed: all).
	Completed() []bool
	// ReadBlock fills p with the bytes of verified piece index from offset begin.
	ReadBlock(index, begin int, p []byte) error
	// WriteBlock stages p at offset begin of piece index, which is not yet
	// verified. Staged bytes are invisible to ReadBlock.
	WriteBlock(index, begin int, p []byte) error
	// FinishPiece checks the staged piece (VerifyPiece: its SHA-1, or for a
	// pure v2 torrent its merkle root). On a match it becomes
	// readable and it is stored at its final place; otherwise the staged
	// bytes are dropped and ErrHashMismatch returned (wrapped).
	FinishPiece(index int) error
	// Close releases files; later calls fail.
	Close() error
}

// checkBlock validates a block's coordinates against the torrent.
func checkBlock(t *meta.Torrent, index, begin, n int) error {
	if index < 0 || index >= t.NumPieces() {
		return fmt.Errorf("storage: piece %d out of range (torrent has %d)", index, t.NumPieces())
	}
	if begin < 0 || n < 0 || begin+n > t.PieceSize(index) {
		return fmt.Errorf("storage: piece %d: block %d+%d past the piece's %d bytes", index, begin, n, t.PieceSize(index))
	}
	return nil
}

// VerifyPiece reports whether data is piece index of t.
// v1 and hybrid torrents check the v1 SHA-1; pure v2 ones the merkle root
// of the piece's 16 KiB blocks against the piece layer (BEP 52).
func VerifyPiece(t *meta.Torrent, index int, data []byte) bool {
	if len(data) != t.PieceSize(index) {
		return false
	}
	if t.PureV2() {
		return meta.PieceRootV2(data, t.PieceLength, t.NumPieces() == 1) == t.PiecesV2[index]
	}
	return sha1.Sum(data) == t.Pieces[index]
}
