package main

import (
	"bytes"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/tracker"
)

// TestFullStrictMode2WithIssuer: a tracker issues certificates to two
// bttls peers (each makes its key and sends a CSR with its token); the
// peers move a file over Full Strict mode 2 (nothing identifying in the
// clear); a peer without a swarm certificate is refused; a wrong token gets
// no certificate.
func TestFullStrictMode2WithIssuer(t *testing.T) {
	bin := bttlsBin
	dir := t.TempDir()
	data := filepath.Join(dir, "data.bin")
	payload := make([]byte, 700<<10)
	rand.Read(payload)
	os.WriteFile(data, payload, 0o600)
	plain, fsTor := filepath.Join(dir, "plain.torrent"), filepath.Join(dir, "fs2.torrent")
	for _, args := range [][]string{
		{"create", data, "-o", plain},
		{"ca", "init", filepath.Join(dir, "ca")},
		{"ca", "torrent", plain, "-o", fsTor, "--ca", filepath.Join(dir, "ca", "ca.pem"), "--modes", "2"},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("bttls %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	os.WriteFile(filepath.Join(dir, "tokens"), []byte("# members\nalice-token\nbob-token\n"), 0o600)

	// The tracker's HTTP server with the issuer mounted, as 'bttls tracker
	// --issue DIR --issue-tokens FILE' does.
	e := env.OS{}
	srv := tracker.NewServer(e, tracker.NewTracker(e, tracker.Config{}))
	io := &issuerOptions{dir: filepath.Join(dir, "ca"), tokens: filepath.Join(dir, "tokens"), valid: 3600e9}
	path, err := io.mount(e, srv, t.Logf)
	if err != nil || path != "/issue" {
		t.Fatalf("mount: %q %v", path, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	url := "http://" + ln.Addr().String() + path

	for _, who := range []string{"alice", "bob"} {
		out, err := exec.Command(bin, "ca", "cert", "--issuer", url, "--token", who+"-token", "--torrent", fsTor, "--out", filepath.Join(dir, who)).CombinedOutput()
		if err != nil {
			t.Fatalf("ca cert for %s: %v\n%s", who, err, out)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "bob.pem"))
	keyBefore, _ := os.ReadFile(filepath.Join(dir, "bob.key"))
	if out, err := exec.Command(bin, "ca", "cert", "--issuer", url, "--renew", "--torrent", fsTor, "--out", filepath.Join(dir, "bob")).CombinedOutput(); err != nil {
		t.Fatalf("renewal: %v\n%s", err, out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "bob.pem"))
	keyAfter, _ := os.ReadFile(filepath.Join(dir, "bob.key"))
	if bytes.Equal(before, after) || !bytes.Equal(keyBefore, keyAfter) {
		t.Fatal("renewal should replace the certificate and keep the key")
	}
	if out, err := exec.Command(bin, "ca", "cert", "--issuer", url, "--token", "mallory", "--torrent", fsTor, "--out", filepath.Join(dir, "mallory")).CombinedOutput(); err == nil || !strings.Contains(string(out), "unknown token") {
		t.Fatalf("a wrong token got a certificate: %v\n%s", err, out)
	}

	flags := func(who string) []string {
		return []string{"--tls-cert", filepath.Join(dir, who+".pem"), "--tls-key", filepath.Join(dir, who+".key"), "--tls-state", ""}
	}
	addr := freeTLSAddr(t)
	seedLog := startTLSSeed(t, bin, fsTor, data, addr, flags("alice")...)
	out := filepath.Join(t.TempDir(), "got.bin")
	args := append([]string{"get", fsTor, "-o", out, "--peer", addr, "--no-tracker", "-q", "-v", "--timeout", "20s"}, flags("bob")...)
	log, err := exec.Command(bin, args...).CombinedOutput()
	got, _ := os.ReadFile(out)
	if err != nil || !bytes.Equal(got, payload) || !strings.Contains(string(log), "tls-fullstrict2") {
		t.Fatalf("get over mode 2: %v\n%s\nseed:\n%s", err, log, seedLog.String())
	}

	// A peer whose certificate comes from another CA cannot even load the torrent.
	other := filepath.Join(dir, "other")
	exec.Command(bin, "ca", "init", other).Run()
	exec.Command(bin, "ca", "issue", other, "--out", filepath.Join(dir, "eve")).Run()
	args = append([]string{"get", fsTor, "-o", filepath.Join(t.TempDir(), "x"), "--peer", addr, "--no-tracker", "-q", "--timeout", "3s"}, flags("eve")...)
	if log, err := exec.Command(bin, args...).CombinedOutput(); err == nil || !strings.Contains(string(log), "not from this torrent's swarm CA") {
		t.Fatalf("a foreign certificate was accepted: %v\n%s", err, log)
	}
}
