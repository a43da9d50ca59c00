package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bttls/bttls/protocol/levels"
	"github.com/bttls/bttls/protocol/meta"
)

// ltCheckV2 is run by python3-libtorrent: for each .torrent it prints both
// infohashes, then checks the data in save_path against the torrent (v2
// merkle roots and piece layers for v2, SHA-1 for the v1 side of a hybrid)
// and prints how many pieces passed. With a "make" argument it first
// writes a v2-only and a hybrid torrent of its own for the file.
const ltCheckV2 = `
import libtorrent as lt, sys, time
save, paths = sys.argv[1], sys.argv[2:]
if paths[0] == 'make':
    data, out = paths[1], paths[2]
    for name, flags in (('v2', lt.create_torrent.v2_only), ('hybrid', 0)):
        fs = lt.file_storage(); lt.add_files(fs, data)
        ct = lt.create_torrent(fs, 32768, flags=flags)
        lt.set_piece_hashes(ct, save)
        open(out + '/lt-' + name + '.torrent', 'wb').write(lt.bencode(ct.generate()))
    sys.exit(0)
s = lt.session({'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
                'enable_upnp': False, 'enable_natpmp': False})
for p in paths:
    ti = lt.torrent_info(p)
    h = s.add_torrent({'ti': ti, 'save_path': save})
    h.force_recheck()
    for _ in range(400):
        time.sleep(0.05)
        st = h.status()
        if st.state not in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data):
            break
    hs = ti.info_hashes()
    print(p, hs.v1, hs.v2, h.status().num_pieces, ti.num_pieces())
    s.remove_torrent(h)
`

// TestV2HybridTransfer: bttls makes a hybrid and a v2-only torrent of a
// file of several pieces; libtorrent agrees on both infohashes and finds
// every piece of the file valid against them (so the file tree, merkle
// roots and piece layers are right); Basic keys on the v1 infohash for the
// hybrid and on the full v2 infohash for v2; two bttls processes move the
// file over Basic with --tls=require. libtorrent's own v2 and hybrid
// torrents of the file are moved the same way.
func TestV2HybridTransfer(t *testing.T) {
	needLibtorrent(t)
	bin := bttlsBin
	dir := t.TempDir()
	data := filepath.Join(dir, "data.bin")
	payload := make([]byte, 300000+12345) // 10 pieces of 32 KiB, the last short
	rand.Read(payload)
	os.WriteFile(data, payload, 0o600)

	torrents := map[string]string{}
	for _, v := range []string{"hybrid", "v2"} {
		tor := filepath.Join(dir, v+".torrent")
		out, err := runTLS(t, bin, "create", data, "-o", tor, "--"+v, "--piece-length", "32KiB")
		if err != nil || !strings.Contains(out, "infohash v2:") {
			t.Fatalf("create --%s: %v\n%s", v, err, out)
		}
		torrents[v] = tor
	}
	ltOut, err := exec.Command("/usr/bin/python3", "-c", ltCheckV2, dir, "make", data, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("libtorrent create: %v\n%s", err, ltOut)
	}
	torrents["lt-v2"], torrents["lt-hybrid"] = filepath.Join(dir, "lt-v2.torrent"), filepath.Join(dir, "lt-hybrid.torrent")

	paths := []string{torrents["hybrid"], torrents["v2"], torrents["lt-v2"], torrents["lt-hybrid"]}
	ltOut, err = exec.Command("/usr/bin/python3", append([]string{"-c", ltCheckV2, dir}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("libtorrent: %v\n%s", err, ltOut)
	}
	for _, v := range []string{"hybrid", "v2", "lt-v2", "lt-hybrid"} {
		m, err := meta.Load(torrents[v])
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		v1 := fmt.Sprintf("%x", sha1.Sum(m.InfoBytes))
		wantKey := levels.BasicSecurity(m.InfoHash[:]).Credential.Key
		if m.PureV2() {
			v1 = strings.Repeat("0", 40)
			wantKey = levels.BasicSecurity(m.InfoHashV2[:]).Credential.Key
		}
		if m.MetaVersion != 2 || m.InfoHashV2 != sha256.Sum256(m.InfoBytes) || m.NumPieces() != 10 {
			t.Fatalf("%s: loaded as version %d with %d pieces", v, m.MetaVersion, m.NumPieces())
		}
		want := fmt.Sprintf("%s %s %x 10 10\n", torrents[v], v1, m.InfoHashV2)
		if !strings.Contains(string(ltOut), want) {
			t.Fatalf("%s: libtorrent disagrees; want the line\n%s\ngot\n%s", v, want, ltOut)
		}
		sec, err := levels.SecurityFor(m, nil)
		if err != nil || sec.Credential.Key != wantKey {
			t.Fatalf("%s: Basic is not keyed on the %s infohash: %v", v, map[bool]string{true: "32-byte v2", false: "v1"}[m.PureV2()], err)
		}
	}

	for _, v := range []string{"hybrid", "v2", "lt-v2", "lt-hybrid"} {
		t.Run(v, func(t *testing.T) {
			addr := freeTLSAddr(t)
			seedLog := startTLSSeed(t, bin, torrents[v], data, addr, "--tls=require", "--tls-state", "")
			got := filepath.Join(t.TempDir(), "out.bin")
			log, err := runTLS(t, bin, "get", torrents[v], "-o", got, "--peer", addr, "--no-tracker", "-q", "-v", "--timeout", "10s", "--tls=require", "--tls-state", "")
			b, _ := os.ReadFile(got)
			if err != nil || !bytes.Equal(b, payload) {
				t.Fatalf("get: %v (%d of %d bytes)\n%s\nseeder:\n%s", err, len(b), len(payload), log, seedLog.String())
			}
			if !strings.Contains(log, "tls-basic") {
				t.Fatalf("not carried over Basic:\n%s", log)
			}
		})
	}
}

// ltMakeDir has python3-libtorrent write a hybrid torrent of a directory
// (its BEP 47 pad files and all) and print both infohashes of a torrent.
const ltMakeDir = `
import libtorrent as lt, os, sys
cmd, a, b = sys.argv[1:4]
if cmd == 'make':
    fs = lt.file_storage(); lt.add_files(fs, a)
    ct = lt.create_torrent(fs, 16384)
    lt.set_piece_hashes(ct, os.path.dirname(a))
    open(b, 'wb').write(lt.bencode(ct.generate()))
else:
    hs = lt.torrent_info(a).info_hashes()
    print(hs.v1, hs.v2)
`

// TestHybridDirTransfer: a multi-file hybrid made by bttls (checked by
// libtorrent, pieces and all) and one made by libtorrent move between two
// bttls processes over Basic; the files arrive whole and no pad file is
// written to disk on either side.
func TestHybridDirTransfer(t *testing.T) {
	needLibtorrent(t)
	bin := bttlsBin
	dir := t.TempDir()
	src := filepath.Join(dir, "set")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	files := map[string][]byte{"a": make([]byte, 70000), "sub/c": make([]byte, 5), "empty": nil, "z": make([]byte, 100000)}
	for name, b := range files {
		rand.Read(b)
		os.WriteFile(filepath.Join(src, name), b, 0o644)
	}
	ours, theirs := filepath.Join(dir, "ours.torrent"), filepath.Join(dir, "theirs.torrent")
	if out, err := runTLS(t, bin, "create", src, "-o", ours, "--hybrid", "--piece-length", "16KiB"); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	if out, err := exec.Command("/usr/bin/python3", "-c", ltMakeDir, "make", src, theirs).CombinedOutput(); err != nil {
		t.Fatalf("libtorrent create: %v\n%s", err, out)
	}
	// libtorrent checks our data against our torrent (v1 and v2 hashes).
	out, err := exec.Command("/usr/bin/python3", "-c", ltCheckV2, dir, ours).CombinedOutput()
	if err != nil {
		t.Fatalf("libtorrent check: %v\n%s", err, out)
	}
	m, err := meta.Load(ours)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s %x %x %d %d\n", ours, m.InfoHash, m.InfoHashV2, m.NumPieces(), m.NumPieces())
	if !strings.Contains(string(out), want) {
		t.Fatalf("libtorrent disagrees; want\n%s\ngot\n%s", want, out)
	}
	for _, tor := range []string{ours, theirs} {
		m, err := meta.Load(tor)
		if err != nil {
			t.Fatalf("%s: %v", tor, err)
		}
		out, err := exec.Command("/usr/bin/python3", "-c", ltMakeDir, "hashes", tor, "").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("%x %x", m.InfoHash, m.InfoHashV2) {
			t.Fatalf("%s: libtorrent says %s, bttls %x %x", tor, out, m.InfoHash, m.InfoHashV2)
		}
		t.Run(filepath.Base(tor), func(t *testing.T) {
			addr := freeTLSAddr(t)
			seedLog := startTLSSeed(t, bin, tor, src, addr, "--tls=require", "--tls-state", "")
			got := filepath.Join(t.TempDir(), "set")
			log, err := runTLS(t, bin, "get", tor, "-o", got, "--peer", addr, "--no-tracker", "-q", "-v", "--timeout", "10s", "--tls=require", "--tls-state", "")
			if err != nil || !strings.Contains(log, "tls-basic") {
				t.Fatalf("get: %v\n%s\nseeder:\n%s", err, log, seedLog.String())
			}
			for name, b := range files {
				if g, err := os.ReadFile(filepath.Join(got, name)); err != nil || !bytes.Equal(g, b) {
					t.Errorf("%s: %v, %d bytes, want %d", name, err, len(g), len(b))
				}
			}
			for _, d := range []string{src, got} {
				if _, err := os.Stat(filepath.Join(d, ".pad")); err == nil {
					t.Errorf("a pad file was written in %s", d)
				}
			}
		})
	}
}
