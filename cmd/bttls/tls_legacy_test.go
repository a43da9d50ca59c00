package main

import (
	"bytes"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startLegacyLibtorrent runs interop/lt_client.py (plain torrent, MSE
// policy enc) and returns a channel closed at "complete".
func startLegacyLibtorrent(t *testing.T, torrent, save string, port int, enc, peer string) <-chan struct{} {
	t.Helper()
	args := []string{"../../interop/lt_client.py", "--torrent", torrent, "--save", save, "--port", itoa(port), "--enc", enc}
	if peer != "" {
		args = append(args, "--peer", peer)
	}
	return runPythonUntilComplete(t, args)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestPreferWithLegacyLibtorrent: with --tls=prefer and no hint, bttls
// tries TLS on a libtorrent peer that requires MSE, recognises libtorrent's
// MSE reply, redials with MSE and downloads; libtorrent downloading from a
// bttls seed is served over MSE (forced) and plaintext (MSE disabled) on
// the same port that speaks TLS.
func TestPreferWithLegacyLibtorrent(t *testing.T) {
	needLibtorrent(t)
	if _, err := os.Stat("../../interop/lt_client.py"); err != nil {
		t.Skipf("interop/lt_client.py missing: %v", err)
	}
	bin := bttlsBin
	dir := t.TempDir()
	seedDir := filepath.Join(dir, "seed")
	os.MkdirAll(seedDir, 0o700)
	data := filepath.Join(seedDir, "legacy.bin")
	payload := make([]byte, 900<<10)
	rand.Read(payload)
	os.WriteFile(data, payload, 0o600)
	tor := filepath.Join(dir, "legacy.torrent")
	if out, err := exec.Command(bin, "create", data, "-o", tor).CombinedOutput(); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}

	t.Run("bttls gets from libtorrent (MSE forced)", func(t *testing.T) {
		port := freePort(t)
		ready := startLegacyLibtorrent(t, tor, seedDir, port, "forced", "")
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			t.Fatal("libtorrent did not finish checking")
		}
		out := filepath.Join(t.TempDir(), "got.bin")
		log, err := exec.Command(bin, "get", tor, "-o", out, "--peer", "127.0.0.1:"+itoa(port), "--no-tracker",
			"-q", "-v", "--tls-log", "--tls=prefer", "--tls-state", "", "--timeout", "30s").CombinedOutput()
		got, _ := os.ReadFile(out)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("get: %v\n%s", err, log)
		}
		if !strings.Contains(string(log), "falling back to mse") || !strings.Contains(string(log), "(mse, outbound)") {
			t.Fatalf("want an optimistic TLS attempt then MSE:\n%s", log)
		}
	})
	for _, enc := range []string{"forced", "disabled"} {
		t.Run("libtorrent gets from bttls, enc "+enc, func(t *testing.T) {
			addr := freeTLSAddr(t)
			seedLog := startTLSSeed(t, bin, tor, data, addr, "--tls=prefer", "--tls-state", "")
			save := t.TempDir()
			done := startLegacyLibtorrent(t, tor, save, freePort(t), enc, addr)
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("libtorrent did not complete; seed log:\n%s", seedLog.String())
			}
			got, _ := os.ReadFile(filepath.Join(save, "legacy.bin"))
			if !bytes.Equal(got, payload) {
				t.Fatal("libtorrent's copy differs")
			}
			want := map[string]string{"forced": "(mse, inbound)", "disabled": "(plain, inbound)"}[enc]
			time.Sleep(100 * time.Millisecond)
			if !strings.Contains(seedLog.String(), want) {
				t.Fatalf("seed log lacks %q:\n%s", want, seedLog.String())
			}
		})
	}
}
