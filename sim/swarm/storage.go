package swarm

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"

	"github.com/bttls/bttls/protocol/storage"
)

// Store is a storage.Storage over generated Content: verified pieces are a
// bit each (their bytes are generated again when read), and so are pieces
// in flight while every block written matches the content — only a piece
// that received a differing block holds its bytes. Its SHA-1 checks are
// real, so a peer pays for hashing as it would on disk.
type Store struct {
	c      *Content
	have   []bool
	nhave  int
	staged map[int]*stagedPiece
	closed bool
	// OnComplete runs once, when the last piece passes its check.
	OnComplete func()
	// OnFirstPiece runs once, when the first piece passes its check.
	OnFirstPiece func()
}

var _ storage.Storage = (*Store)(nil)

// NewStore returns a store holding every piece (seed) or none.
func NewStore(c *Content, seed bool) *Store {
	s := &Store{c: c, have: make([]bool, c.Torrent.NumPieces()), staged: map[int]*stagedPiece{}}
	if seed {
		for i := range s.have {
			s.have[i] = true
		}
		s.nhave = len(s.have)
	}
	return s
}

var errClosed = errors.New("swarm: storage closed")

// Have is the number of verified pieces.
func (s *Store) Have() int { return s.nhave }

func (s *Store) Completed() []bool { return append([]bool(nil), s.have...) }

func (s *Store) check(index, begin, n int) error {
	if s.closed {
		return errClosed
	}
	t := s.c.Torrent
	if index < 0 || index >= len(s.have) {
		return fmt.Errorf("swarm: piece %d out of range (torrent has %d)", index, len(s.have))
	}
	if begin < 0 || n < 0 || begin+n > t.PieceSize(index) {
		return fmt.Errorf("swarm: piece %d: block %d+%d past the piece's %d bytes", index, begin, n, t.PieceSize(index))
	}
	return nil
}

func (s *Store) ReadBlock(index, begin int, p []byte) error {
	if err := s.check(index, begin, len(p)); err != nil {
		return err
	}
	if !s.have[index] {
		return fmt.Errorf("swarm: piece %d not verified yet", index)
	}
	s.c.ReadAt(p, int64(index)*s.c.Torrent.PieceLength+int64(begin))
	return nil
}

// stagedPiece is a piece in flight: the ranges written, as long as they
// all hold the content's bytes, else the piece's bytes themselves. The
// piece that results is the same either way; holding bytes only for a
// piece that went wrong keeps a peer's memory flat however many pieces it
// has in flight.
type stagedPiece struct {
	ranges [][2]int
	buf    []byte
}

func (s *Store) WriteBlock(index, begin int, p []byte) error {
	if err := s.check(index, begin, len(p)); err != nil {
		return err
	}
	st := s.staged[index]
	if st == nil {
		st = &stagedPiece{}
		s.staged[index] = st
	}
	off := int64(index)*s.c.Torrent.PieceLength + int64(begin)
	if st.buf == nil {
		if s.c.Equal(p, off) {
			st.ranges = append(st.ranges, [2]int{begin, begin + len(p)})
			return nil
		}
		st.buf = s.materialize(index, st)
	}
	copy(st.buf[begin:], p)
	return nil
}

// materialize returns the bytes of a piece whose written ranges hold the
// content (zeros where nothing was written).
func (s *Store) materialize(index int, st *stagedPiece) []byte {
	buf := make([]byte, s.c.Torrent.PieceSize(index))
	base := int64(index) * s.c.Torrent.PieceLength
	for _, r := range st.ranges {
		s.c.ReadAt(buf[r[0]:r[1]], base+int64(r[0]))
	}
	st.ranges = nil
	return buf
}

// covered reports whether ranges cover [0, n).
func covered(ranges [][2]int, n int) bool {
	slices.SortFunc(ranges, func(a, b [2]int) int { return a[0] - b[0] })
	end := 0
	for _, r := range ranges {
		if r[0] > end {
			return false
		}
		end = max(end, r[1])
	}
	return end >= n
}

func (s *Store) FinishPiece(index int) error {
	if err := s.check(index, 0, 0); err != nil {
		return err
	}
	st := s.staged[index]
	delete(s.staged, index)
	if s.have[index] {
		return nil
	}
	if st == nil {
		return fmt.Errorf("swarm: piece %d: %w", index, storage.ErrHashMismatch)
	}
	var sum [20]byte
	switch {
	case st.buf != nil:
		sum = sha1.Sum(st.buf)
	case covered(st.ranges, s.c.Torrent.PieceSize(index)):
		// Every byte is the content's: hash it as generated (the check
		// costs what it would on the received bytes).
		sum = s.c.PieceSum(index)
	default:
		sum = sha1.Sum(s.materialize(index, st))
	}
	if sum != s.c.Torrent.Pieces[index] {
		return fmt.Errorf("swarm: piece %d: %w", index, storage.ErrHashMismatch)
	}
	s.have[index] = true
	s.nhave++
	if s.nhave == 1 && s.OnFirstPiece != nil {
		s.OnFirstPiece()
	}
	if s.nhave == len(s.have) && s.OnComplete != nil {
		s.OnComplete()
	}
	return nil
}

func (s *Store) DiscardPiece(index int) { delete(s.staged, index) }

func (s *Store) Close() error {
	s.closed = true
	s.staged = nil
	return nil
}
