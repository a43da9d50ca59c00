package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run runs bttls to completion and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bttlsBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("bttls %v did not finish in 60s:\n%s", args, out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func randomFile(t *testing.T, dir string, n int) (string, []byte) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	p := filepath.Join(dir, "payload.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// TestProcesses runs create, seed and get as separate bttls processes over
// loopback TCP, with a .torrent and with a magnet link.
func TestProcesses(t *testing.T) {
	dir := t.TempDir()
	file, data := randomFile(t, dir, 3<<20+12345)
	tf := filepath.Join(dir, "x.torrent")
	code, out := run(t, "create", file, "-o", tf)
	if code != 0 {
		t.Fatalf("create: exit %d\n%s", code, out)
	}
	var magnet string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "magnet:") {
			magnet = strings.TrimSpace(strings.TrimPrefix(l, "magnet:"))
		}
	}
	if !strings.HasPrefix(magnet, "magnet:?xt=urn:btih:") {
		t.Fatalf("no magnet link in create's output:\n%s", out)
	}
	seedAddr := startSeed(t, tf, file)

	for _, src := range []string{tf, magnet} {
		dst := filepath.Join(dir, "copy.bin")
		os.Remove(dst)
		code, out := run(t, "get", src, "-o", dst, "--peer", seedAddr, "--tls=off", "--timeout", "30s")
		if code != 0 {
			t.Fatalf("get %s: exit %d\n%s", src, code, out)
		}
		if want := fmt.Sprintf("all %d pieces verified", (len(data)+16383)/16384); !strings.Contains(out, want) {
			t.Errorf("get's summary: %s", out)
		}
		got, _ := os.ReadFile(dst)
		if !bytes.Equal(got, data) {
			t.Fatalf("get %s: content differs", src)
		}
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	file, _ := randomFile(t, dir, 100000)
	notTorrent := filepath.Join(dir, "bad.torrent")
	os.WriteFile(notTorrent, []byte("this is not bencode"), 0o644)
	tf := filepath.Join(dir, "x.torrent")
	if code, out := run(t, "create", file, "-o", tf); code != 0 {
		t.Fatalf("create: %d %s", code, out)
	}
	other := filepath.Join(dir, "other.bin")
	os.WriteFile(other, make([]byte, 100000), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"create"}, 2, "want exactly one FILE or DIR"},
		{[]string{"create", file}, 2, "-o OUT.torrent is required"},
		{[]string{"create", filepath.Join(dir, "missing"), "-o", tf + "2"}, 1, "no such file"},
		{[]string{"create", file, "-o", tf + "3", "--piece-length", "1000"}, 1, "power of two"},
		{[]string{"get", notTorrent, "-o", "x", "--peer", "127.0.0.1:1", "--tls=off"}, 1, "does not start with a bencoded dict"},
		{[]string{"get", tf, "-o", filepath.Join(dir, "o")}, 2, "no way to find peers"},
		{[]string{"get", tf, "-o", filepath.Join(dir, "o"), "--peer", "nonsense", "--tls=off"}, 2, "want IP:PORT"},
		{[]string{"get", "magnet:?xt=urn:btih:zz", "-o", "x", "--peer", "127.0.0.1:1", "--tls=off"}, 2, "magnet link"},
		{[]string{"get", tf, "-o", filepath.Join(dir, "o"), "--peer", "127.0.0.1:1", "--tls=off", "--timeout", "1s"}, 1, "timed out"},
		{[]string{"seed", tf, other, "--tls=off", "--listen", "127.0.0.1:0"}, 1, "fail their SHA-1 check"},
		{[]string{"seed", tf, file, "--tls=bogus"}, 2, "bogus"},
		{[]string{"seed", tf, file, "--tls=off", "--record-size", "64KiB"}, 2, "--record-size \"64KiB\": want a size from 512B to 16KiB"},
		{[]string{"nosuchcommand"}, 2, "unknown command"},
	} {
		code, out := run(t, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("bttls %v: exit %d, output %q; want exit %d and %q", tc.args, code, out, tc.code, tc.want)
		}
	}
}

// TestSwarmWithTracker runs a tracker, a seed and two downloaders as
// processes; the downloaders know only the tracker.
func TestSwarmWithTracker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	dir := t.TempDir()
	file, data := randomFile(t, dir, 4<<20)
	_, tl := startProcess(t, "tracker", "--listen", "127.0.0.1:0", "--interval", "5s")
	url := strings.Fields(waitLine(t, tl, "announce URL:", 10*time.Second))[2]
	tf := filepath.Join(dir, "x.torrent")
	if code, out := run(t, "create", file, "-o", tf, "--tracker", url); code != 0 {
		t.Fatalf("create: %s", out)
	}
	_, sl := startProcess(t, "seed", tf, file, "--listen", "127.0.0.1:0", "--tls=off", "--upload-limit", "3MiB")
	waitLine(t, sl, "seeding", 10*time.Second)
	var lines []<-chan string
	for i := range 2 {
		_, l := startProcess(t, "get", tf, "-o", filepath.Join(dir, "copy"+string(rune('0'+i))), "--tls=off", "--seed-after", "--timeout", "40s")
		lines = append(lines, l)
	}
	fromTwo := 0
	for i, l := range lines {
		line := waitLine(t, l, "downloaded", 45*time.Second)
		t.Logf("get %d: %s", i, line)
		if strings.Contains(line, "from 2 peer(s)") {
			fromTwo++
		}
		got, _ := os.ReadFile(filepath.Join(dir, "copy"+string(rune('0'+i))))
		if !bytes.Equal(got, data) {
			t.Errorf("copy %d differs", i)
		}
	}
	// The seed is throttled: the downloaders must have traded with each other.
	if fromTwo == 0 {
		t.Error("no downloader received pieces from the other one")
	}
}

// TestDirectoryTorrent: a multi-file torrent made from a directory goes
// from one process to another, file by file.
func TestDirectoryTorrent(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "album")
	os.MkdirAll(filepath.Join(src, "disc2"), 0o755)
	want := map[string][]byte{}
	for i, name := range []string{"one.bin", "two.bin", "disc2/three.bin"} {
		b := make([]byte, 50000*(i+1)+7)
		rand.Read(b)
		want[name] = b
		if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tf := filepath.Join(dir, "album.torrent")
	if code, out := run(t, "create", src, "-o", tf); code != 0 {
		t.Fatalf("create: %s", out)
	}
	seedAddr := startSeed(t, tf, src)
	dst := filepath.Join(dir, "copy")
	if code, out := run(t, "get", tf, "-o", dst, "--peer", seedAddr, "--tls=off", "--timeout", "30s"); code != 0 {
		t.Fatalf("get: exit %d\n%s", code, out)
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: %v, content equal: %v", name, err, bytes.Equal(got, b))
		}
	}
}
