package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/bttls/bttls/protocol/meta"
)

// File stores a torrent in its files on disk. Pieces being downloaded are
// staged in memory (the picker bounds how many are in flight) and written to
// the files only after they pass their hash check.
type File struct {
	t     *meta.Torrent
	files []*os.File

	mu        sync.Mutex
	completed []bool
	staged    map[int][]byte
	closed    bool
}

var _ Storage = (*File)(nil)

// OpenFile opens the torrent's data at path: for a single-file torrent, path
// is the file; for a multi-file torrent, the directory holding its files.
// Missing files are created. When verify is set, existing data is hashed
// and the pieces that match count as completed (resuming a download, or a
// seed checking its file); otherwise no piece is completed.
func OpenFile(t *meta.Torrent, path string, verify bool) (*File, error) {
	s := &File{t: t, completed: make([]bool, t.NumPieces()), staged: map[int][]byte{}}
	for _, f := range t.Files {
		if f.Pad {
			s.files = append(s.files, nil) // zeros, never on disk (BEP 47)
			continue
		}
		p := path
		if t.MultiFile {
			p = filepath.Join(append([]string{path}, f.Path...)...)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				s.Close()
				return nil, fmt.Errorf("storage: %w", err)
			}
		}
		fh, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("storage: %w", err)
		}
		s.files = append(s.files, fh)
		if fi, err := fh.Stat(); err == nil && fi.Size() > f.Length {
			// Left over from something else; the torrent defines the size.
			if err := fh.Truncate(f.Length); err != nil {
				s.Close()
				return nil, fmt.Errorf("storage: %w", err)
			}
		}
	}
	if verify {
		buf := make([]byte, t.PieceLength)
		for i := range s.completed {
			n := t.PieceSize(i)
			if err := s.readAt(buf[:n], int64(i)*t.PieceLength); err != nil {
				continue // short file: the piece is simply missing
			}
			s.completed[i] = VerifyPiece(t, i, buf[:n])
		}
	}
	return s, nil
}

// Completed implements Storage.
func (s *File) Completed() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.completed...)
}

// ReadBlock implements Storage.
func (s *File) ReadBlock(index, begin int, p []byte) error {
	if err := checkBlock(s.t, index, begin, len(p)); err != nil {
		return err
	}
	s.mu.Lock()
	ok, closed := s.completed[index], s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("storage: closed")
	}
	if !ok {
		return fmt.Errorf("storage: piece %d is not complete", index)
	}
	return s.readAt(p, int64(index)*s.t.PieceLength+int64(begin))
}

// WriteBlock implements Storage.
func (s *File) WriteBlock(index, begin int, p []byte) error {
	if err := checkBlock(s.t, index, begin, len(p)); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("storage: closed")
	}
	if s.completed[index] {
		return nil // a duplicate from endgame
	}
	buf := s.staged[index]
	if buf == nil {
		buf = make([]byte, s.t.PieceSize(index))
		s.staged[index] = buf
	}
	copy(buf[begin:], p)
	return nil
}

// FinishPiece implements Storage.
func (s *File) FinishPiece(index int) error {
	if err := checkBlock(s.t, index, 0, 0); err != nil {
		return err
	}
	s.mu.Lock()
	buf := s.staged[index]
	delete(s.staged, index)
	done := s.completed[index]
	s.mu.Unlock()
	if done {
		return nil
	}
	if buf == nil {
		return fmt.Errorf("storage: piece %d has no staged data", index)
	}
	if !VerifyPiece(s.t, index, buf) {
		return fmt.Errorf("%w: piece %d", ErrHashMismatch, index)
	}
	if err := s.writeAt(buf, int64(index)*s.t.PieceLength); err != nil {
		return err
	}
	s.mu.Lock()
	s.completed[index] = true
	s.mu.Unlock()
	return nil
}

// Close implements Storage.
func (s *File) Close() error {
	s.mu.Lock()
	s.closed = true
	s.staged = map[int][]byte{}
	s.mu.Unlock()
	var first error
	for _, f := range s.files {
		if f == nil {
			continue // a pad file
		}
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("storage: %w", err)
		}
	}
	s.files = nil
	return first
}

// span calls f for each file region that torrent offset off..off+n covers.
func (s *File) span(off int64, p []byte, read bool, f func(fh *os.File, fileOff int64, p []byte) error) error {
	for i, tf := range s.t.Files {
		if len(p) == 0 {
			break
		}
		end := tf.Offset + tf.Length
		if off >= end || tf.Length == 0 {
			continue
		}
		n := min(int64(len(p)), end-off)
		if s.files[i] == nil {
			// A pad file reads as zeros; what a peer sends for it was
			// checked with the piece and needs no place on disk.
			if read {
				clear(p[:n])
			}
		} else if err := f(s.files[i], off-tf.Offset, p[:n]); err != nil {
			return err
		}
		p, off = p[n:], off+n
	}
	return nil
}

func (s *File) readAt(p []byte, off int64) error {
	return s.span(off, p, true, func(fh *os.File, o int64, p []byte) error {
		if _, err := fh.ReadAt(p, o); err != nil {
			if err == io.EOF {
				return fmt.Errorf("storage: %s is short", fh.Name())
			}
			return fmt.Errorf("storage: %w", err)
		}
		return nil
	})
}

func (s *File) writeAt(p []byte, off int64) error {
	return s.span(off, p, false, func(fh *os.File, o int64, p []byte) error {
		if _, err := fh.WriteAt(p, o); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		return nil
	})
}
