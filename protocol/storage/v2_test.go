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
