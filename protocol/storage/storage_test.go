package storage

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/bttls/bttls/protocol/meta"
)

func testTorrent(t *testing.T, n int) (*meta.Torrent, []byte) {
	t.Helper()
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := meta.Create(p, meta.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := meta.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tor, data
}

func TestFileStorage(t *testing.T) {
	tor, data := testTorrent(t, 3*16384+100)
	out := filepath.Join(t.TempDir(), "out")
	s, err := OpenFile(tor, out, true)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Completed(); c[0] || c[3] {
		t.Fatal("empty file has completed pieces")
	}
	if err := s.ReadBlock(0, 0, make([]byte, 10)); err == nil {
		t.Error("read of an incomplete piece succeeded")
	}
	// A corrupt piece is refused and nothing reaches the file.
	bad := append([]byte(nil), data[:16384]...)
	bad[100] ^= 1
	if err := s.WriteBlock(0, 0, bad); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishPiece(0); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("corrupt piece: got %v, want ErrHashMismatch", err)
	}
	if fi, _ := os.Stat(out); fi.Size() != 0 {
		t.Fatalf("corrupt bytes reached the file (size %d)", fi.Size())
	}
	for i := range tor.NumPieces() {
		off := i * int(tor.PieceLength)
		piece := data[off : off+tor.PieceSize(i)]
		// Two blocks, out of order.
		half := len(piece) / 2
		if err := s.WriteBlock(i, half, piece[half:]); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteBlock(i, 0, piece[:half]); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishPiece(i); err != nil {
			t.Fatalf("piece %d: %v", i, err)
		}
	}
	got := make([]byte, 50)
	if err := s.ReadBlock(3, 50, got); err != nil || !bytes.Equal(got, data[3*16384+50:3*16384+100]) {
		t.Fatalf("ReadBlock: %v", err)
	}
	if err := s.ReadBlock(3, 60, got); err == nil {
		t.Error("read past the last piece succeeded")
	}
	s.Close()
	if b, _ := os.ReadFile(out); !bytes.Equal(b, data) {
		t.Fatal("file content differs")
	}
	// Reopening with verify finds every piece.
	s, err = OpenFile(tor, out, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, ok := range s.Completed() {
		if !ok {
			t.Errorf("piece %d not found complete on reopen", i)
		}
	}
}

func TestMemoryStorage(t *testing.T) {
	tor, data := testTorrent(t, 40000)
	m, err := NewMemory(tor, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range m.Completed() {
		if !ok {
			t.Fatal("seeded memory store incomplete")
		}
	}
	if _, err := NewMemory(tor, data[:10]); err == nil {
		t.Error("short data accepted")
	}
}

func TestFileStorageMultiFile(t *testing.T) {
	// Three files, the middle one empty, pieces spanning file boundaries.
	data := make([]byte, 40000)
	for i := range data {
		data[i] = byte(i * 13)
	}
	var pieces []byte
	for off := 0; off < len(data); off += 16384 {
		h := sha1.Sum(data[off:min(off+16384, len(data))])
		pieces = append(pieces, h[:]...)
	}
	info := fmt.Sprintf("d5:filesld6:lengthi10000e4:pathl1:aeed6:lengthi0e4:pathl1:beed6:lengthi30000e4:pathl3:sub1:ceee4:name3:dir12:piece lengthi16384e6:pieces%d:%se", len(pieces), pieces)
	tor, err := meta.Parse([]byte("d4:info" + info + "e"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "dir")
	s, err := OpenFile(tor, root, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tor.NumPieces() {
		off := i * 16384
		s.WriteBlock(i, 0, data[off:off+tor.PieceSize(i)])
		if err := s.FinishPiece(i); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	a, _ := os.ReadFile(filepath.Join(root, "a"))
	b, err := os.ReadFile(filepath.Join(root, "b"))
	c, _ := os.ReadFile(filepath.Join(root, "sub", "c"))
	if err != nil || len(b) != 0 || !bytes.Equal(a, data[:10000]) || !bytes.Equal(c, data[10000:]) {
		t.Fatalf("files: a %d bytes, b %d bytes (%v), c %d bytes", len(a), len(b), err, len(c))
	}
}
