package strict

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bttls/bttls/internal/vectors"
	"github.com/bttls/bttls/protocol/meta"
)

func plainTorrent(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "data.bin")
	data := make([]byte, 100<<10)
	rand.Read(data)
	os.WriteFile(p, data, 0o600)
	b, err := meta.Create(p, meta.CreateOptions{Trackers: []string{"http://127.0.0.1:1/announce"}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMakeLoadRotate(t *testing.T) {
	orig := plainTorrent(t)
	st, root, err := Make(orig, rand.Reader, 16)
	if err != nil {
		t.Fatal(err)
	}
	mt, err := meta.Parse(st)
	if err != nil {
		t.Fatalf("strict torrent does not parse as a torrent: %v", err)
	}
	ot, _ := meta.Parse(orig)
	if mt.InfoHash == ot.InfoHash || !mt.Private {
		t.Fatalf("infohash unchanged or not private: %v", mt.Private)
	}
	if !bytes.Equal(pieces(mt), pieces(ot)) {
		t.Fatal("pieces changed")
	}
	m, err := Load(mt.InfoBytes, st)
	if err != nil {
		t.Fatal(err)
	}
	if m.Epoch != 0 {
		t.Fatalf("epoch %d", m.Epoch)
	}
	if bytes.Contains(mt.InfoBytes, m.Secret[:]) {
		t.Fatal("the info dict (what BEP 9 hands out) contains the secret")
	}
	if _, err := Load(mt.InfoBytes, mt.InfoBytes); err == nil {
		t.Fatal("loaded a strict torrent from its info dict alone")
	}

	r5, err := Rotate(st, root, 16, 5)
	if err != nil {
		t.Fatal(err)
	}
	m5, err := Load(mt.InfoBytes, r5)
	if err != nil || m5.Epoch != 5 {
		t.Fatalf("rotated: %v %v", m5, err)
	}
	if t5, _ := meta.Parse(r5); t5.InfoHash != mt.InfoHash {
		t.Fatal("rotation changed the infohash")
	}
	// Epoch 5's holder can derive epoch 4's secret, not epoch 6's.
	if chainStep(m5.Secret) != mustEpoch(t, root, 16, 4) {
		t.Fatal("H(secret_5) != secret_4")
	}
	if m5.AnnounceHash() == m.AnnounceHash() || m.AnnounceHash() == mt.InfoHash {
		t.Fatal("announce key does not change with the epoch or equals the infohash")
	}
	var other [32]byte
	other[0] = 1
	if _, err := Rotate(st, other, 16, 1); err == nil {
		t.Fatal("rotated with a foreign root seed")
	}
	bad := *m5
	bad.Secret[0] ^= 1
	if err := bad.Check(); !errors.Is(err, ErrSecretMismatch) {
		t.Fatalf("tampered secret: %v", err)
	}
	if _, _, err := Make(st, rand.Reader, 16); err == nil {
		t.Fatal("made a strict torrent strict twice")
	}
}

func pieces(t *meta.Torrent) []byte {
	var b []byte
	for _, p := range t.Pieces {
		b = append(b, p[:]...)
	}
	return b
}

func mustEpoch(t *testing.T, root [32]byte, n, k int) [32]byte {
	s, err := EpochSecret(root, n, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMagnetValue(t *testing.T) {
	m := Material{Epoch: 7}
	m.Secret[31] = 9
	e, s, err := ParseMagnetValue(m.MagnetValue())
	if err != nil || e != 7 || s != m.Secret {
		t.Fatalf("round trip: %d %x %v", e, s, err)
	}
	for _, bad := range []string{"", "1", "x:00", "-1:" + strings.Repeat("00", 32), "01:" + strings.Repeat("00", 32), "1:" + strings.Repeat("0", 63), "1:" + strings.Repeat("AB", 32)} {
		if _, _, err := ParseMagnetValue(bad); err == nil {
			t.Fatalf("accepted %q", bad)
		}
	}
}

// TestVectors checks the strict-chain vectors in docs/test-vectors.md.
func TestVectors(t *testing.T) {
	all, err := vectors.Read("../../docs/test-vectors.md")
	if err != nil {
		t.Fatal(err)
	}
	vs := vectors.Level(all, "strict-chain")
	if len(vs) == 0 {
		t.Fatal("no strict-chain vectors in docs/test-vectors.md")
	}
	for _, v := range vs {
		checkChain(t, v)
	}
}

func checkChain(t *testing.T, v map[string]string) {
	var root [32]byte
	b, _ := hex.DecodeString(v["root"])
	copy(root[:], b)
	epochs, _ := strconv.Atoi(v["epochs"])
	k, _ := strconv.Atoi(v["epoch"])
	c := Commitment(root, epochs)
	s, _ := EpochSecret(root, epochs, k)
	m := Material{Commit: c, Epoch: k, Secret: s}
	if err := m.Check(); err != nil {
		t.Error(err)
	}
	ah := m.AnnounceHash()
	for field, got := range map[string]string{
		"commit":       hex.EncodeToString(c[:]),
		"secret":       hex.EncodeToString(s[:]),
		"announce":     hex.EncodeToString(ah[:]),
		"magnet_value": m.MagnetValue(),
	} {
		if got != v[field] {
			t.Errorf("strict-chain %s: %s = %s, want %s", v["root"], field, got, v[field])
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("d5:bttlsd6:commit32:0123456789abcdef0123456789abcdef5:level6:strict1:vi1ee4:name1:xe"), []byte("d11:bttls-epochi0e12:bttls-secret32:0123456789abcdef0123456789abcdefe"))
	f.Fuzz(func(t *testing.T, info, torrent []byte) {
		m, err := Load(info, torrent)
		if err == nil && m.Check() != nil {
			t.Fatal("Load returned material that does not check")
		}
	})
}

func FuzzParseMagnetValue(f *testing.F) {
	f.Add("3:" + strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, v string) {
		e, s, err := ParseMagnetValue(v)
		if err != nil {
			return
		}
		m := Material{Epoch: e, Secret: s}
		if e2, s2, err := ParseMagnetValue(m.MagnetValue()); err != nil || e2 != e || s2 != s {
			t.Fatalf("round trip of %q failed", v)
		}
	})
}
