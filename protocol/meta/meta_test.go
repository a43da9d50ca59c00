package meta

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeRandom(t *testing.T, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(1, uint64(n)))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestCreateParse(t *testing.T) {
	p, data := writeRandom(t, 100000)
	raw, err := Create(p, CreateOptions{Trackers: []string{"http://127.0.0.1:1/announce"}})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if tor.Name != "data.bin" || tor.Length != 100000 || tor.PieceLength != 16384 || tor.NumPieces() != 7 {
		t.Fatalf("unexpected torrent %+v", tor)
	}
	if tor.InfoHash != sha1.Sum(tor.InfoBytes) || !bytes.Contains(raw, tor.InfoBytes) {
		t.Error("infohash is not the SHA-1 of the raw info dict")
	}
	if got := tor.PieceSize(6); got != 100000-6*16384 {
		t.Errorf("last piece size %d", got)
	}
	for i := range tor.NumPieces() {
		end := min(int64(i+1)*tor.PieceLength, tor.Length)
		if sha1.Sum(data[int64(i)*tor.PieceLength:end]) != tor.Pieces[i] {
			t.Errorf("piece %d hash mismatch", i)
		}
	}
	if len(tor.Trackers) != 1 || tor.Trackers[0] != "http://127.0.0.1:1/announce" {
		t.Errorf("trackers %v", tor.Trackers)
	}
	m, err := ParseMagnet(tor.MagnetLink())
	if err != nil || m.InfoHash != tor.InfoHash || m.Name != "data.bin" || len(m.Trackers) != 1 {
		t.Errorf("magnet round trip: %+v, %v", m, err)
	}
}

func TestChoosePieceLength(t *testing.T) {
	for _, tc := range []struct{ total, want int64 }{
		{1, 16 << 10},
		{8 << 20, 16 << 10},
		{64 << 20, 64 << 10},
		{1 << 30, 1 << 20},
		{1 << 40, 16 << 20},
	} {
		got := ChoosePieceLength(tc.total)
		if got != tc.want {
			t.Errorf("ChoosePieceLength(%d) = %d, want %d", tc.total, got, tc.want)
		}
		if n := (tc.total + got - 1) / got; got < 16<<20 && got > 16<<10 && (n < 1000 || n > 2000) {
			t.Errorf("ChoosePieceLength(%d) gives %d pieces", tc.total, n)
		}
	}
}

func TestParseRejects(t *testing.T) {
	info := func(s string) string { return "d4:info" + s + "e" }
	for _, tc := range []struct{ name, in, want string }{
		{"not bencode", "hello world", "does not start with a bencoded dict"},
		{"truncated", "d8:announce", "not a valid torrent file"},
		{"no info", "d8:announce3:abce", "no info dict"},
		{"bad piece length", info("d6:lengthi5e4:name1:a12:piece lengthi5e6:pieces20:aaaaaaaaaaaaaaaaaaaae"), "piece length 5"},
		{"pieces not multiple", info("d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces3:abce"), "not a multiple of 20"},
		{"wrong piece count", info("d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces40:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaae"), "2 piece hashes"},
		{"dotdot name", info("d6:lengthi5e4:name2:..12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"), "not allowed"},
		{"escaping path", info("d5:filesld6:lengthi5e4:pathl2:..1:xeee4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"), "not allowed"},
		{"slash in path", info("d5:filesld6:lengthi5e4:pathl3:a/beee4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"), "path separator"},
		{"zero length", info("d6:lengthi0e4:name1:a12:piece lengthi16384e6:pieces0:e"), "length 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestMultiFileOffsets(t *testing.T) {
	in := "d4:infod5:filesld6:lengthi10000e4:pathl1:aeed6:lengthi20000e4:pathl3:dir1:beee4:name1:t12:piece lengthi16384e6:pieces40:" + strings.Repeat("x", 40) + "ee"
	tor, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if !tor.MultiFile || len(tor.Files) != 2 || tor.Files[1].Offset != 10000 || tor.Length != 30000 {
		t.Fatalf("files %+v", tor.Files)
	}
}

func TestParseMagnetRejects(t *testing.T) {
	for _, s := range []string{"magnet:?dn=x", "http://x", "magnet:?xt=urn:btih:zz", "magnet:?xt=urn:btih:0123"} {
		if _, err := ParseMagnet(s); err == nil {
			t.Errorf("ParseMagnet(%q) accepted", s)
		}
	}
	m, err := ParseMagnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&x.pe=127.0.0.1:5&tr=http://t/a&bt.secret=zz")
	if err != nil || len(m.Peers) != 1 || m.Params["bt.secret"][0] != "zz" {
		t.Errorf("got %+v, %v", m, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("d4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Add([]byte("d8:announce3:abce"))
	// Hybrid and v2 seeds: one piece, and several pieces with a piece layer.
	for _, n := range []int{100, 40000} {
		for _, v := range []string{"hybrid", "v2"} {
			p := filepath.Join(f.TempDir(), "d")
			os.WriteFile(p, bytes.Repeat([]byte{byte(n)}, n), 0o644)
			raw, err := Create(p, CreateOptions{Version: v, PieceLength: 16 << 10})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	// A multi-file hybrid with a pad file.
	d := filepath.Join(f.TempDir(), "set")
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(d, "a"), bytes.Repeat([]byte{1}, 20000), 0o644)
	os.WriteFile(filepath.Join(d, "b"), []byte("bb"), 0o644)
	if raw, err := Create(d, CreateOptions{Version: "hybrid", PieceLength: 16 << 10}); err == nil {
		f.Add(raw)
	} else {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tor, err := Parse(b)
		if err != nil {
			return
		}
		v1 := sha1.Sum(tor.InfoBytes)
		v2 := sha256.Sum256(tor.InfoBytes)
		switch {
		case tor.MetaVersion == 2 && tor.InfoHashV2 != v2,
			tor.PureV2() && (!bytes.Equal(tor.InfoHash[:], v2[:20]) || len(tor.PiecesV2) != tor.NumPieces()),
			!tor.PureV2() && (tor.InfoHash != v1 || len(tor.Pieces) != tor.NumPieces()):
			t.Fatalf("accepted a torrent with inconsistent hashes: %+v", tor)
		}
		if tor.NumPieces() == 0 || tor.Length <= 0 {
			t.Fatalf("accepted an inconsistent torrent: %+v", tor)
		}
	})
}

func FuzzParseMagnet(f *testing.F) {
	f.Add("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=x")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseMagnet(s)
	})
}

func TestCreateDirectory(t *testing.T) {
	root := filepath.Join(t.TempDir(), "album")
	os.MkdirAll(filepath.Join(root, "cd2"), 0o755)
	os.WriteFile(filepath.Join(root, "b.txt"), bytes.Repeat([]byte("b"), 20000), 0o644)
	os.WriteFile(filepath.Join(root, "a.txt"), bytes.Repeat([]byte("a"), 5000), 0o644)
	os.WriteFile(filepath.Join(root, "cd2", "c.txt"), bytes.Repeat([]byte("c"), 30000), 0o644)
	os.WriteFile(filepath.Join(root, "empty"), nil, 0o644)
	raw, err := Create(root, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range tor.Files {
		names = append(names, strings.Join(f.Path, "/"))
	}
	if !tor.MultiFile || tor.Name != "album" || strings.Join(names, ",") != "a.txt,b.txt,cd2/c.txt,empty" || tor.Length != 55000 {
		t.Fatalf("torrent %q files %v length %d", tor.Name, names, tor.Length)
	}
	all := append(append(bytes.Repeat([]byte("a"), 5000), bytes.Repeat([]byte("b"), 20000)...), bytes.Repeat([]byte("c"), 30000)...)
	for i := range tor.NumPieces() {
		end := min(int64(i+1)*tor.PieceLength, tor.Length)
		if sha1.Sum(all[int64(i)*tor.PieceLength:end]) != tor.Pieces[i] {
			t.Errorf("piece %d hash mismatch", i)
		}
	}
	if _, err := Create(t.TempDir(), CreateOptions{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty directory: %v", err)
	}
}
