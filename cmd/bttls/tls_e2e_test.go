package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func freeTLSAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func runTLS(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// lockedBuffer is a process's output, readable while the process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSeed runs `bttls seed` until the test ends and waits for its port.
func startTLSSeed(t *testing.T, bin, torrent, data, addr string, extra ...string) *lockedBuffer {
	t.Helper()
	var log lockedBuffer
	cmd := exec.Command(bin, append([]string{"seed", torrent, data, "--listen", addr, "--no-tracker", "--tls-log", "-v"}, extra...)...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return &log
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("seed did not listen on %s:\n%s", addr, log.String())
	return nil
}

// TestTLSTransferBetweenProcesses: two bttls processes move a file over
// Basic with --tls=require and over Strict with --tls=off (Strict ignores
// the policy); a get with a stale Strict epoch and a --tls=require get
// against a --tls=off seeder both fail, with the reason.
func TestTLSTransferBetweenProcesses(t *testing.T) {
	bin := bttlsBin // built by TestMain
	dir := t.TempDir()
	data := filepath.Join(dir, "data.bin")
	payload := make([]byte, 1<<20+12345)
	rand.Read(payload)
	os.WriteFile(data, payload, 0o600)
	tor := filepath.Join(dir, "d.torrent")
	if out, err := runTLS(t, bin, "create", data, "-o", tor); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	st0, st1 := filepath.Join(dir, "s0.torrent"), filepath.Join(dir, "s1.torrent")
	if out, err := runTLS(t, bin, "strict", tor, "-o", st0, "--strict-epochs", "4"); err != nil || !strings.Contains(out, "x.bttls-s=0:") {
		t.Fatalf("strict: %v\n%s", err, out)
	}
	if out, err := runTLS(t, bin, "strict", "--rotate", st0, "-o", st1, "--epoch", "1"); err != nil {
		t.Fatalf("strict --rotate: %v\n%s", err, out)
	}

	get := func(torrent, peer string, extra ...string) (string, []byte, error) {
		out := filepath.Join(t.TempDir(), "out.bin")
		args := append([]string{"get", torrent, "-o", out, "--peer", peer, "--no-tracker", "-q", "-v", "--timeout", "4s"}, extra...)
		log, err := runTLS(t, bin, args...)
		got, _ := os.ReadFile(out)
		return log, got, err
	}

	t.Run("basic, require", func(t *testing.T) {
		addr := freeTLSAddr(t)
		state := filepath.Join(t.TempDir(), "pins.json")
		startTLSSeed(t, bin, tor, data, addr, "--tls=require", "--tls-state", "")
		log, got, err := get(tor, addr, "--tls=require", "--tls-state", state)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("get: %v\n%s", err, log)
		}
		if !strings.Contains(log, "tls-basic") {
			t.Fatalf("not carried over Basic:\n%s", log)
		}
		pins, _ := os.ReadFile(state)
		if !strings.Contains(string(pins), addr) {
			t.Fatalf("pin for %s not persisted: %s", addr, pins)
		}
	})
	t.Run("require against a legacy-only seeder fails", func(t *testing.T) {
		addr := freeTLSAddr(t)
		// Without the decoy the seeder hangs up on the refused proof at
		// once, so the getter's reason shows within its 2 s.
		startTLSSeed(t, bin, tor, data, addr, "--tls=off", "--tls-state", "", "--tls-decoy=false")
		log, _, err := get(tor, addr, "--tls=require", "--tls-state", "", "--timeout", "2s")
		// The seeder speaks TLS but refuses the proof for a torrent it
		// carries legacy-only; that failure comes after the TLS handshake.
		if err == nil || !strings.Contains(log, "no fallback") {
			t.Fatalf("want a refusal saying there is no fallback, got %v\n%s", err, log)
		}
	})
	t.Run("a refused proof is answered as a web server", func(t *testing.T) {
		addr := freeTLSAddr(t)
		seedLog := startTLSSeed(t, bin, tor, data, addr, "--tls=off", "--tls-state", "")
		log, _, err := get(tor, addr, "--tls=require", "--tls-state", "", "--timeout", "2s")
		if err == nil {
			t.Fatalf("a legacy-only seeder served a TLS peer:\n%s", log)
		}
		// The seeder logs the reason when it hands over (its log buffer is
		// written by the process; give it a moment).
		time.Sleep(100 * time.Millisecond)
		if l := seedLog.String(); !strings.Contains(l, "does not verify") || !strings.Contains(l, "answered as a web server") {
			t.Fatalf("seeder did not log the refusal and the decoy:\n%s", l)
		}
	})
	t.Run("strict ignores --tls=off", func(t *testing.T) {
		addr := freeTLSAddr(t)
		startTLSSeed(t, bin, st1, data, addr, "--tls=off", "--tls-state", "", "--tls-decoy=false")
		log, got, err := get(st1, addr, "--tls=off", "--tls-state", "")
		if err != nil || !bytes.Equal(got, payload) || !strings.Contains(log, "tls-strict") {
			t.Fatalf("get: %v\n%s", err, log)
		}
		log, _, err = get(st0, addr, "--tls-state", "", "--timeout", "2s")
		if err == nil || !strings.Contains(log, "after the TLS handshake") {
			t.Fatalf("a stale epoch was served or failed without reason: %v\n%s", err, log)
		}
		log, _, err = get(tor, addr, "--tls-state", "", "--timeout", "2s")
		if err == nil {
			t.Fatalf("the plain torrent (same pieces) was served by the Strict seeder:\n%s", log)
		}
	})
}

// TestTLSDecoyServesFiles: a seeder's port answers an HTTPS client with
// the files of --tls-decoy-root, and a bad --tls-decoy-root is refused.
func TestTLSDecoyServesFiles(t *testing.T) {
	bin := bttlsBin
	dir := t.TempDir()
	data := filepath.Join(dir, "data.bin")
	os.WriteFile(data, make([]byte, 40<<10), 0o600)
	tor := filepath.Join(dir, "d.torrent")
	if out, err := runTLS(t, bin, "create", data, "-o", tor); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	root := filepath.Join(dir, "www")
	os.Mkdir(root, 0o700)
	os.WriteFile(filepath.Join(root, "index.html"), []byte("<p>hello from the decoy</p>\n"), 0o600)
	addr := freeTLSAddr(t)
	startTLSSeed(t, bin, tor, data, addr, "--tls=require", "--tls-state", "", "--tls-decoy-root", root)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "<p>hello from the decoy</p>\n" || resp.Proto != "HTTP/1.1" {
		t.Fatalf("GET /: %s %s %q", resp.Proto, resp.Status, body)
	}
	if out, err := runTLS(t, bin, "seed", tor, data, "--listen", freeTLSAddr(t), "--no-tracker", "--tls-decoy-root", filepath.Join(dir, "missing")); err == nil || !strings.Contains(out, "--tls-decoy-root") {
		t.Fatalf("a missing --tls-decoy-root was accepted: %v\n%s", err, out)
	}
}
