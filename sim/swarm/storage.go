package swarm

import (
	"crypto/sha1"
	"errors"
	"fmt"

	"github.com/bttls/bttls/protocol/storage"
)

// Store is a storage.Storage over generated Content: verified pieces are a
// bit each (their bytes are generated again when read), and only pieces in
// flight hold bytes. Its SHA-1 checks are real, so a peer pays for hashing
// as it would on disk.
type Store struct {
	c      *Content
	have   []bool
	nhave  int
	staged map[int][]byte
	closed bool
	// OnComplete runs once, when the last piece passes its check.
	OnComplete func()
}

var _ storage.Storage = (*Store)(nil)

// NewStore returns a store holding every piece (seed) or none.
func NewStore(c *Content, seed bool) *Store {
	s := &Store{c: c, have: make([]bool, c.Torrent.NumPieces()), staged: map[int][]byte{}}
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

func (s *Store) WriteBlock(index, begin int, p []byte) error {
	if err := s.check(index, begin, len(p)); err != nil {
		return err
	}
	buf := s.staged[index]
	if buf == nil {
		buf = make([]byte, s.c.Torrent.PieceSize(index))
		s.staged[index] = buf
	}
	copy(buf[begin:], p)
	return nil
}

func (s *Store) FinishPiece(index int) error {
	if err := s.check(index, 0, 0); err != nil {
		return err
	}
	buf := s.staged[index]
	delete(s.staged, index)
	if s.have[index] {
		return nil
	}
	if buf == nil || sha1.Sum(buf) != s.c.Torrent.Pieces[index] {
		return fmt.Errorf("swarm: piece %d: %w", index, storage.ErrHashMismatch)
	}
	s.have[index] = true
	s.nhave++
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
