package meta

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
)

// TestMerkleKnownValues pins the BEP 52 tree shape on small cases worked
// out by hand: one block is its own root; two blocks hash as a pair; three
// blocks pad with a zero leaf.
func TestMerkleKnownValues(t *testing.T) {
	a, b, c := bytes.Repeat([]byte{1}, BlockSize), bytes.Repeat([]byte{2}, BlockSize), []byte("tail")
	ha, hb, hc := sha256.Sum256(a), sha256.Sum256(b), sha256.Sum256(c)
	pair := func(x, y [32]byte) [32]byte { return sha256.Sum256(append(x[:], y[:]...)) }
	var zero [32]byte
	cat := func(p ...[]byte) []byte { return bytes.Join(p, nil) }
	for _, tc := range []struct {
		name  string
		data  []byte
		pl    int64
		whole bool
		want  [32]byte
	}{
		{"one block, whole file", a, 1 << 20, true, ha},
		{"short block, whole file", c, 1 << 20, true, hc},
		{"two blocks", cat(a, b), 1 << 20, true, pair(ha, hb)},
		{"three blocks pad to four", cat(a, b, c), 1 << 20, true, pair(pair(ha, hb), pair(hc, zero))},
		{"last piece pads to the piece", c, 64 << 10, false, pair(pair(hc, zero), pair(zero, zero))},
	} {
		if got := PieceRootV2(tc.data, tc.pl, tc.whole); got != tc.want {
			t.Errorf("%s: root %x, want %x", tc.name, got, tc.want)
		}
	}
	// A file of two 32 KiB pieces, the second one short: the root is the
	// pair of the piece-layer entries.
	p0, p1 := PieceRootV2(cat(a, b), 32<<10, false), PieceRootV2(c, 32<<10, false)
	if got := fileRootV2([][32]byte{p0, p1}, 2*BlockSize+4, 32<<10); got != pair(p0, p1) {
		t.Errorf("file root %x, want %x", got, pair(p0, p1))
	}
	// Three pieces pad the layer with the root of an all-zero piece.
	zp := pair(zero, zero)
	if got := fileRootV2([][32]byte{p0, p1, p1}, 5*BlockSize, 32<<10); got != pair(pair(p0, p1), pair(p1, zp)) {
		t.Errorf("padded file root %x", got)
	}
}

func TestCreateParseV2Hybrid(t *testing.T) {
	for _, n := range []int{1, BlockSize, 3*BlockSize + 7, 64 << 10, 64<<10 + 1, 5*(64<<10) + 12345} {
		p, data := writeRandom(t, n)
		for _, version := range []string{"hybrid", "v2"} {
			raw, err := Create(p, CreateOptions{Version: version, PieceLength: 64 << 10, Trackers: []string{"http://127.0.0.1:1/a"}})
			if err != nil {
				t.Fatalf("%s %d: %v", version, n, err)
			}
			tor, err := Parse(raw)
			if err != nil {
				t.Fatalf("%s %d: parse: %v", version, n, err)
			}
			v2 := sha256.Sum256(tor.InfoBytes)
			if tor.MetaVersion != 2 || tor.InfoHashV2 != v2 || tor.Length != int64(n) || tor.Name != "data.bin" || tor.MultiFile {
				t.Fatalf("%s %d: %+v", version, n, tor)
			}
			want := (n + 64<<10 - 1) / (64 << 10)
			if tor.NumPieces() != want {
				t.Fatalf("%s %d: %d pieces, want %d", version, n, tor.NumPieces(), want)
			}
			if version == "hybrid" {
				if tor.PureV2() || tor.InfoHash != sha1.Sum(tor.InfoBytes) || len(tor.PiecesV2) != 0 {
					t.Fatalf("hybrid %d: %+v", n, tor)
				}
				continue
			}
			if !tor.PureV2() || !bytes.Equal(tor.InfoHash[:], v2[:20]) || len(tor.Pieces) != 0 {
				t.Fatalf("v2 %d: %+v", n, tor)
			}
			for i := range tor.NumPieces() {
				piece := data[i*(64<<10) : i*(64<<10)+tor.PieceSize(i)]
				if PieceRootV2(piece, tor.PieceLength, tor.NumPieces() == 1) != tor.PiecesV2[i] {
					t.Fatalf("v2 %d: piece %d does not match its layer entry", n, i)
				}
			}
		}
	}
}

// TestParseV2Rejects: a pure v2 torrent whose piece layer is missing,
// short, or does not hash to the pieces root is refused with the reason.
func TestParseV2Rejects(t *testing.T) {
	p, _ := writeRandom(t, 3*(16<<10)+5)
	raw, err := Create(p, CreateOptions{Version: "v2", PieceLength: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := bencode.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	layers := top["piece layers"].(map[string]any)
	var root string
	for k := range layers {
		root = k
	}
	layer := layers[root].(string)
	mutate := func(f func(map[string]any)) []byte {
		m := map[string]any{}
		for k, v := range top {
			m[k] = v
		}
		f(m)
		b, err := bencode.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	flipped := []byte(layer)
	flipped[0] ^= 1
	for _, tc := range []struct {
		name, want string
		raw        []byte
	}{
		{"no layers", "no piece layer", mutate(func(m map[string]any) { delete(m, "piece layers") })},
		{"short layer", "piece layer is", mutate(func(m map[string]any) { m["piece layers"] = map[string]any{root: layer[:32]} })},
		{"wrong layer", "does not hash", mutate(func(m map[string]any) { m["piece layers"] = map[string]any{root: string(flipped)} })},
	} {
		_, err := Parse(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if _, err := Parse(raw); err != nil {
		t.Fatalf("the unmodified torrent: %v", err)
	}
	for _, info := range []string{
		"d9:file treed1:ad0:d6:lengthi5e11:pieces root3:xxxeee12:meta versioni2e4:name1:a12:piece lengthi16384ee",
		"d9:file treed1:bd0:d6:lengthi5e11:pieces root32:" + strings.Repeat("x", 32) + "eee12:meta versioni2e4:name1:a12:piece lengthi16384ee",
		"d9:file treed1:ad0:d6:lengthi5e11:pieces root32:" + strings.Repeat("x", 32) + "eee12:meta versioni3e4:name1:a12:piece lengthi16384ee",
		"d9:file treed1:ad0:d6:lengthi5e11:pieces root32:" + strings.Repeat("x", 32) + "eee12:meta versioni2e4:name1:a12:piece lengthi24576ee",
		"d9:file treed2:..d0:d6:lengthi5e11:pieces root32:" + strings.Repeat("x", 32) + "eee12:meta versioni2e4:name2:..12:piece lengthi16384ee",
		"d9:file treed1:ad1:bd0:d6:lengthi5e11:pieces root32:" + strings.Repeat("x", 32) + "eeee12:meta versioni2e4:name1:a12:piece lengthi16384ee",
	} {
		if _, err := FromInfo([]byte(info), nil); err == nil {
			t.Errorf("accepted %q", info)
		}
	}
	ok := "d9:file treed1:ad0:d6:lengthi5e11:pieces root32:" + strings.Repeat("x", 32) + "eee12:meta versioni2e4:name1:a12:piece lengthi16384ee"
	if tor, err := FromInfo([]byte(ok), nil); err != nil || !tor.PureV2() || tor.Length != 5 {
		t.Errorf("a one-piece v2 info dict: %+v, %v", tor, err)
	}
}

func TestCreateVersionRejects(t *testing.T) {
	p, _ := writeRandom(t, 100)
	if _, err := Create(p, CreateOptions{Version: "v3"}); err == nil {
		t.Error("version v3 accepted")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	if _, err := Create(dir, CreateOptions{Version: "v2"}); err == nil || !strings.Contains(err.Error(), "single file") {
		t.Errorf("a v2-only directory: %v", err)
	}
}

// TestCreateParseHybridDir: a multi-file hybrid aligns each file to a
// piece with BEP 47 pad files on its v1 side, and loads back with the pad
// files marked and the v1 and v2 file lists agreeing.
func TestCreateParseHybridDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "set")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	sizes := map[string]int{"a": 40000, "b": 16384, "empty": 0, "sub/c": 5, "z": 70000}
	for name, n := range sizes {
		os.WriteFile(filepath.Join(dir, name), bytes.Repeat([]byte{byte(n)}, n), 0o644)
	}
	raw, err := Create(dir, CreateOptions{Version: "hybrid", PieceLength: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range tor.Files {
		if f.Offset%(16<<10) != 0 && !f.Pad && f.Length > 0 {
			t.Errorf("file %v at %d is not piece-aligned", f.Path, f.Offset)
		}
		got = append(got, fmt.Sprintf("%s:%d:%v", strings.Join(f.Path, "/"), f.Length, f.Pad))
	}
	want := "a:40000:false .pad/9152:9152:true b:16384:false empty:0:false sub/c:5:false .pad/16379:16379:true z:70000:false"
	if strings.Join(got, " ") != want {
		t.Fatalf("files\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	if tor.MetaVersion != 2 || tor.PureV2() || tor.NumPieces() != 3+1+1+5 {
		t.Fatalf("%d pieces, version %d", tor.NumPieces(), tor.MetaVersion)
	}
	// The same info dict with the pad file dropped from the v1 list no
	// longer aligns, and is refused.
	bad := bytes.Replace(tor.InfoBytes, []byte("d4:attr1:p6:lengthi9152e4:pathl4:.pad4:9152ee"), nil, 1)
	if len(bad) == len(tor.InfoBytes) {
		t.Fatal("pad file entry not found in the info dict")
	}
	if _, err := FromInfo(bad, nil); err == nil {
		t.Error("a hybrid without its pad file was accepted")
	}
}
