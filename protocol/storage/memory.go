package storage

import (
	"fmt"
	"sync"

	"github.com/bttls/bttls/protocol/meta"
)

// Memory keeps a torrent in one byte slice: for tests and small demos.
type Memory struct {
	t *meta.Torrent

	mu        sync.Mutex
	data      []byte
	completed []bool
	staged    map[int][]byte
}

var _ Storage = (*Memory)(nil)

// NewMemory returns an empty store for t, or a complete one when data (the
// torrent's whole content) is given; data is checked piece by piece.
func NewMemory(t *meta.Torrent, data []byte) (*Memory, error) {
	m := &Memory{t: t, data: make([]byte, t.Length), completed: make([]bool, t.NumPieces()), staged: map[int][]byte{}}
	if data != nil {
		if int64(len(data)) != t.Length {
			return nil, fmt.Errorf("storage: %d bytes of data for a torrent of %d", len(data), t.Length)
		}
		copy(m.data, data)
		for i := range m.completed {
			off := int64(i) * t.PieceLength
			m.completed[i] = VerifyPiece(t, i, data[off:off+int64(t.PieceSize(i))])
		}
	}
	return m, nil
}

// Bytes returns the store's content (zero where pieces are missing).
func (m *Memory) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data...)
}

func (m *Memory) Completed() []bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]bool(nil), m.completed...)
}

func (m *Memory) ReadBlock(index, begin int, p []byte) error {
	if err := checkBlock(m.t, index, begin, len(p)); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.completed[index] {
		return fmt.Errorf("storage: piece %d is not complete", index)
	}
	copy(p, m.data[int64(index)*m.t.PieceLength+int64(begin):])
	return nil
}

func (m *Memory) WriteBlock(index, begin int, p []byte) error {
	if err := checkBlock(m.t, index, begin, len(p)); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.completed[index] {
		return nil
	}
	buf := m.staged[index]
	if buf == nil {
		buf = make([]byte, m.t.PieceSize(index))
		m.staged[index] = buf
	}
	copy(buf[begin:], p)
	return nil
}

func (m *Memory) FinishPiece(index int) error {
	if err := checkBlock(m.t, index, 0, 0); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	buf := m.staged[index]
	delete(m.staged, index)
	if m.completed[index] {
		return nil
	}
	if buf == nil {
		return fmt.Errorf("storage: piece %d has no staged data", index)
	}
	if !VerifyPiece(m.t, index, buf) {
		return fmt.Errorf("%w: piece %d", ErrHashMismatch, index)
	}
	copy(m.data[int64(index)*m.t.PieceLength:], buf)
	m.completed[index] = true
	return nil
}

func (m *Memory) DiscardPiece(index int) {
	m.mu.Lock()
	delete(m.staged, index)
	m.mu.Unlock()
}

func (m *Memory) Close() error { return nil }
