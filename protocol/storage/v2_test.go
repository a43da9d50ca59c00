package storage

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/bttls/bttls/protocol/meta"
)

// TestVerifyPieceV2: a pure v2 torrent's pieces verify against the piece
// layer (or the pieces root for a one-piece file), and a flipped byte or a
// short piece fails; FinishPiece refuses the bad piece.
func TestVerifyPieceV2(t *testing.T) {
	for _, n := range []int{5, 20000, 32768, 3*32768 + 999} {
		data := make([]byte, n)
		r := rand.New(rand.NewPCG(9, uint64(n)))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		p := filepath.Join(t.TempDir(), "src")
		os.WriteFile(p, data, 0o644)
		for _, version := range []string{"v2", "hybrid"} {
			raw, err := meta.Create(p, meta.CreateOptions{Version: version, PieceLength: 32768})
			if err != nil {
				t.Fatal(err)
			}
			tor, err := meta.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			m, err := NewMemory(tor, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tor.NumPieces() {
				piece := data[i*32768 : i*32768+tor.PieceSize(i)]
				if !VerifyPiece(tor, i, piece) {
					t.Fatalf("%s %d: piece %d does not verify", version, n, i)
				}
				bad := append([]byte(nil), piece...)
				bad[len(bad)-1] ^= 1
				if VerifyPiece(tor, i, bad) || VerifyPiece(tor, i, piece[:len(piece)-1]) {
					t.Fatalf("%s %d: a corrupt piece %d verifies", version, n, i)
				}
				if err := m.WriteBlock(i, 0, bad); err != nil {
					t.Fatal(err)
				}
				if err := m.FinishPiece(i); !errors.Is(err, ErrHashMismatch) {
					t.Fatalf("%s %d: FinishPiece of a corrupt piece: %v", version, n, err)
				}
			}
		}
	}
}

// TestFileStorageHybridPadFiles: a multi-file hybrid's pad files are not
// created on disk, read as zeros, and the real files come out whole.
func TestFileStorageHybridPadFiles(t *testing.T) {
	src := filepath.Join(t.TempDir(), "set")
	os.MkdirAll(src, 0o755)
	contents := map[string][]byte{"a": make([]byte, 40000), "b": make([]byte, 5)}
	for name, b := range contents {
		for i := range b {
			b[i] = byte(i*7 + len(name))
		}
		os.WriteFile(filepath.Join(src, name), b, 0o644)
	}
	raw, err := meta.Create(src, meta.CreateOptions{Version: "hybrid", PieceLength: 16384})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := meta.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := OpenFile(tor, src, true)
	if err != nil {
		t.Fatal(err)
	}
	defer seed.Close()
	for i, c := range seed.Completed() {
		if !c {
			t.Fatalf("seed: piece %d of its own files does not verify", i)
		}
	}
	if _, err := os.Stat(filepath.Join(src, ".pad")); err == nil {
		t.Fatal("opening the seed created a pad file on disk")
	}
	out := filepath.Join(t.TempDir(), "set")
	dl, err := OpenFile(tor, out, false)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16384)
	for i := range tor.NumPieces() {
		n := tor.PieceSize(i)
		if err := seed.ReadBlock(i, 0, buf[:n]); err != nil {
			t.Fatal(err)
		}
		if err := dl.WriteBlock(i, 0, buf[:n]); err != nil {
			t.Fatal(err)
		}
		if err := dl.FinishPiece(i); err != nil {
			t.Fatalf("piece %d: %v", i, err)
		}
	}
	if err := dl.Close(); err != nil {
		t.Fatal(err)
	}
	for name, want := range contents {
		if got, _ := os.ReadFile(filepath.Join(out, name)); string(got) != string(want) {
			t.Errorf("%s: %d bytes, not the source's", name, len(got))
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".pad")); err == nil {
		t.Fatal("the download wrote a pad file to disk")
	}
}
