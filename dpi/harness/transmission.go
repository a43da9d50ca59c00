package harness

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

//go:embed ltget.py
var ltgetPy []byte

// HaveTransmission reports whether transmission-cli and transmission-create
// are installed.
func HaveTransmission() error {
	for _, t := range []string{"transmission-cli", "transmission-create"} {
		if _, err := LookTool(t); err != nil {
			return err
		}
	}
	return HaveLibtorrent()
}

// TransmissionSeed is a running transmission-cli seeding one file.
type TransmissionSeed struct {
	Torrent string
	V1      []byte
	cmd     *exec.Cmd
	done    chan struct{}
	log     *lockedBuffer
}

// StartTransmissionSeed makes a v1 torrent of a random file with
// transmission-create and seeds it with transmission-cli on 127.0.0.1:port
// (encryption required for mode "mse", tolerated for "plain"). It returns
// once the port accepts connections; start the capture after it.
func StartTransmissionSeed(dir, mode string, port, size int) (*TransmissionSeed, error) {
	if err := HaveTransmission(); err != nil {
		return nil, err
	}
	seedDir := filepath.Join(dir, "tr-seed")
	if err := os.MkdirAll(seedDir, 0o700); err != nil {
		return nil, err
	}
	data := filepath.Join(seedDir, "payload.bin")
	payload := make([]byte, size)
	rand.Read(payload)
	if err := os.WriteFile(data, payload, 0o600); err != nil {
		return nil, err
	}
	tor := filepath.Join(dir, "tr.torrent")
	if out, err := exec.Command("transmission-create", "-o", tor, "-s", "16", data).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("harness: transmission-create: %v\n%s", err, out)
	}
	mi, err := metainfo.LoadFromFile(tor)
	if err != nil {
		return nil, fmt.Errorf("harness: %s: %w", tor, err)
	}
	v1 := sha1.Sum(mi.InfoBytes)
	enc := map[string]string{"mse": "-er", "plain": "-et"}[mode]
	if enc == "" {
		return nil, fmt.Errorf("harness: transmission mode %q: want mse or plain", mode)
	}
	s := &TransmissionSeed{Torrent: tor, V1: v1[:], done: make(chan struct{}), log: &lockedBuffer{}}
	s.cmd = exec.Command("transmission-cli", enc, "-p", fmt.Sprint(port), "-w", seedDir,
		"-g", filepath.Join(dir, "tr-config"), "-M", "-B", "-U", tor)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 200; i++ {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			// transmission verifies the data before it serves it.
			time.Sleep(500 * time.Millisecond)
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("harness: transmission-cli exited:\n%s", s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	s.Stop()
	return nil, fmt.Errorf("harness: transmission-cli did not listen on %s:\n%s", addr, s.log.String())
}

// Stop kills transmission-cli.
func (s *TransmissionSeed) Stop() {
	s.cmd.Process.Kill()
	<-s.done
}

// GetFromPeer downloads torrent from 127.0.0.1:port with python3-libtorrent
// (listening on getPort), in mode plain or mse.
func GetFromPeer(dir, torrent, mode string, port, getPort int) error {
	script := filepath.Join(dir, "ltget.py")
	if err := os.WriteFile(script, ltgetPy, 0o755); err != nil {
		return err
	}
	out, err := runTimeout(60*time.Second, Python, script, "--torrent", torrent, "--save", filepath.Join(dir, "lt-get"),
		"--peer", fmt.Sprintf("127.0.0.1:%d", port), "--listen-port", fmt.Sprint(getPort), "--mode", mode)
	if err != nil {
		return fmt.Errorf("harness: libtorrent download from transmission (%s): %v\n%s", mode, err, out)
	}
	return nil
}

// lockedBuffer collects a child process's output; exec copies stdout and
// stderr from two goroutines when they are different writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
