package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needLibtorrent skips unless /usr/bin/python3 can import libtorrent; under
// CI=true a missing libtorrent fails instead.
func needLibtorrent(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import libtorrent").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-libtorrent is required under CI: %v", err)
		}
		t.Skipf("python3-libtorrent not available: %v", err)
	}
}

// dhParams writes the DH parameters file libtorrent's set_ssl_certificate
// insists on (TLS 1.3 never uses it; OpenSSL 3 refuses one under 2048 bits).
func dhParams(t *testing.T, path string) {
	p, err := rand.Prime(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := asn1.Marshal(struct{ P, G *big.Int }{p, big.NewInt(2)})
	os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: der}), 0o600)
}

// startLibtorrent runs testdata/tls_lt_ssl.py and returns a channel that
// is closed when it prints "complete".
func startLibtorrent(t *testing.T, dir, torrent, save string, port int, peer string) <-chan struct{} {
	t.Helper()
	args := []string{"testdata/tls_lt_ssl.py", "--torrent", torrent, "--save", save,
		"--port", itoa(port), "--cert", filepath.Join(dir, "lt.pem"), "--key", filepath.Join(dir, "lt.key"),
		"--dh", filepath.Join(dir, "dh.pem")}
	if peer != "" {
		args = append(args, "--peer", peer)
	}
	return runPythonUntilComplete(t, args)
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestFullStrictMode1WithLibtorrent moves a file between bttls and
// python3-libtorrent over an SSL torrent made by 'bttls ca', both ways:
// Full Strict mode 1 is libtorrent's SSL-torrent handshake (SNI = hex
// infohash, mutual TLS against the torrent's ssl-cert), on bttls's shared
// port.
func TestFullStrictMode1WithLibtorrent(t *testing.T) {
	needLibtorrent(t)
	bin := bttlsBin
	dir := t.TempDir()
	seedDir, ltGet := filepath.Join(dir, "seed"), filepath.Join(dir, "ltget")
	os.MkdirAll(seedDir, 0o700)
	os.MkdirAll(ltGet, 0o700)
	data := filepath.Join(seedDir, "payload.bin")
	payload := make([]byte, 1<<20+777)
	rand.Read(payload)
	os.WriteFile(data, payload, 0o600)
	plain, fsTor := filepath.Join(dir, "plain.torrent"), filepath.Join(dir, "fs.torrent")
	for _, args := range [][]string{
		{"create", data, "-o", plain},
		{"ca", "init", filepath.Join(dir, "ca")},
		{"ca", "torrent", plain, "-o", fsTor, "--ca", filepath.Join(dir, "ca", "ca.pem"), "--modes", "1,2"},
		{"ca", "issue", filepath.Join(dir, "ca"), "--out", filepath.Join(dir, "bt")},
		{"ca", "issue", filepath.Join(dir, "ca"), "--out", filepath.Join(dir, "lt")},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("bttls %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	dhParams(t, filepath.Join(dir, "dh.pem"))
	certFlags := []string{"--tls-cert", filepath.Join(dir, "bt.pem"), "--tls-key", filepath.Join(dir, "bt.key"), "--tls-state", ""}

	t.Run("libtorrent seeds, bttls gets", func(t *testing.T) {
		port := freePort(t)
		ready := startLibtorrent(t, dir, fsTor, seedDir, port, "")
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			t.Fatal("libtorrent did not finish checking the seed data")
		}
		out := filepath.Join(t.TempDir(), "got.bin")
		args := append([]string{"get", fsTor, "-o", out, "--peer", "127.0.0.1:" + itoa(port), "--no-tracker", "-q", "-v", "--timeout", "30s"}, certFlags...)
		log, err := exec.Command(bin, args...).CombinedOutput()
		got, _ := os.ReadFile(out)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("bttls get: %v\n%s", err, log)
		}
		if !strings.Contains(string(log), "tls-fullstrict1") {
			t.Fatalf("not carried over Full Strict mode 1:\n%s", log)
		}
	})
	t.Run("bttls seeds, libtorrent gets", func(t *testing.T) {
		addr := freeTLSAddr(t)
		seedLog := startTLSSeed(t, bin, fsTor, data, addr, certFlags...)
		done := startLibtorrent(t, dir, fsTor, ltGet, freePort(t), addr)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("libtorrent did not complete; bttls seed log:\n%s", seedLog.String())
		}
		got, _ := os.ReadFile(filepath.Join(ltGet, "payload.bin"))
		if !bytes.Equal(got, payload) {
			t.Fatal("libtorrent's copy differs")
		}
		time.Sleep(100 * time.Millisecond)
		if !strings.Contains(seedLog.String(), "tls-fullstrict1, inbound") {
			t.Fatalf("seed did not log a mode 1 connection:\n%s", seedLog.String())
		}
	})
}

// runPythonUntilComplete runs a libtorrent script with /usr/bin/python3 (the
// interpreter that sees python3-libtorrent) and returns a channel closed
// when it prints "complete". The process is killed when the test ends; its
// stderr is logged if the test failed.
func runPythonUntilComplete(t *testing.T, args []string) <-chan struct{} {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("libtorrent stderr (tail):\n%s", tail(stderr.String(), 4000))
		}
	})
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "complete" {
				close(done)
				return
			}
		}
	}()
	return done
}
