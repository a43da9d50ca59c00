package storage

import (
	"fmt"
	"sync"

	"github.com/bttls/bttls/protocol/meta"
)

// Memory keeps a torrent in memory, one slice per piece: for tests,
// benchmarks and small demos. A verified piece's staging buffer becomes
// its final copy, so a download costs no extra copy.
type Memory struct {
	t *meta.Torrent

	mu        sync.Mutex
	pieces    [][]byte // nil until verified
	completed []bool
	staged    map[int][]byte
}

var _ Storage = (*Memory)(nil)

// NewMemory returns an empty store for t, or a complete one when data (the
// torrent's whole content) is given; data is checked piece by piece.
func NewMemory(t *meta.Torrent, data []byte) (*Memory, error) {
	m := &Memory{t: t, pieces: make([][]byte, t.NumPieces()), completed: make([]bool, t.NumPieces()), staged: map[int][]byte{}}
	if data != nil {
		if int64(len(data)) != t.Length {
			return nil, fmt.Errorf("storage: %d bytes of data for a torrent of %d", len(data), t.Length)
		}
		for i := range m.completed {
			off := int64(i) * t.PieceLength
			p := data[off : off+int64(t.PieceSize(i))]
			if VerifyPiece(t, i, p) {
				m.pieces[i], m.completed[i] = append([]byte(nil), p...), true
			}
		}
	}
	return m, nil
}

// Bytes returns the store's content (zero where pieces are missing).
func (m *Memory) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]byte, m.t.Length)
	for i, p := range m.pieces {
		copy(out[int64(i)*m.t.PieceLength:], p)
	}
	return out
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
	copy(p, m.pieces[index][begin:])
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
	buf := m.staged[index]
	delete(m.staged, index)
	done := m.completed[index]
	m.mu.Unlock()
	if done {
		return nil
	}
	if buf == nil {
		return fmt.Errorf("storage: piece %d has no staged data", index)
	}
	// Hash without the lock: blocks of other pieces keep arriving.
	if !VerifyPiece(m.t, index, buf) {
		return fmt.Errorf("%w: piece %d", ErrHashMismatch, index)
	}
	m.mu.Lock()
	m.pieces[index], m.completed[index] = buf, true
	m.mu.Unlock()
	return nil
}

func (m *Memory) Close() error { return nil }
