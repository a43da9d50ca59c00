package harness

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// BttlsModes are the transports bttls speaks, as the harness runs them:
// legacy plaintext and MSE (--tls=off), Basic (--tls=require), Strict, and
// Full Strict in its two wire modes.
var BttlsModes = []string{"plain", "mse", "basic", "strict", "fullstrict1", "fullstrict2"}

// BuildBttls builds cmd/bttls into dir (the module is found from the
// current directory, which is inside it under go test).
func BuildBttls(dir string) (string, error) {
	bin := filepath.Join(dir, "bttls")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/bttls/bttls/cmd/bttls").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("harness: building bttls: %v\n%s", err, out)
	}
	return bin, nil
}

// BttlsSetup is a torrent prepared for one mode: the files and the flags
// each side needs.
type BttlsSetup struct {
	Mode      string
	Data      string
	Torrent   string
	SeedFlags []string
	GetFlags  []string
	// Torrents lists every .torrent made on the way (the original and the
	// Strict or Full Strict one): all their infohashes are searched for.
	Torrents []string
}

func (b *Bttls) run(args ...string) error {
	out, err := exec.Command(b.Bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("harness: bttls %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Bttls runs the bttls binary.
type Bttls struct{ Bin string }

// Prepare makes a random file, its torrent and whatever the mode needs
// (Strict secret, swarm CA and peer certificates) in dir.
func (b *Bttls) Prepare(dir, mode string, size int) (*BttlsSetup, error) {
	s := &BttlsSetup{Mode: mode, Data: filepath.Join(dir, "data.bin")}
	payload := make([]byte, size)
	rand.Read(payload)
	if err := os.WriteFile(s.Data, payload, 0o600); err != nil {
		return nil, err
	}
	orig := filepath.Join(dir, "orig.torrent")
	if err := b.run("create", s.Data, "-o", orig); err != nil {
		return nil, err
	}
	s.Torrent, s.Torrents = orig, []string{orig}
	common := []string{"--no-tracker", "--tls-state", ""}
	switch mode {
	case "plain":
		common = append(common, "--tls=off", "--tls-legacy=plain")
	case "mse":
		common = append(common, "--tls=off", "--tls-legacy=mse")
	case "basic":
		common = append(common, "--tls=require")
	case "strict":
		s.Torrent = filepath.Join(dir, "strict.torrent")
		if err := b.run("strict", orig, "-o", s.Torrent); err != nil {
			return nil, err
		}
	case "fullstrict1", "fullstrict2":
		ca := filepath.Join(dir, "ca")
		s.Torrent = filepath.Join(dir, mode+".torrent")
		if err := b.run("ca", "init", ca); err != nil {
			return nil, err
		}
		if err := b.run("ca", "torrent", orig, "-o", s.Torrent, "--ca", filepath.Join(ca, "ca.pem"),
			"--modes", mode[len(mode)-1:]); err != nil {
			return nil, err
		}
		for _, who := range []string{"seed", "get"} {
			if err := b.run("ca", "issue", ca, "--out", filepath.Join(dir, who)); err != nil {
				return nil, err
			}
		}
		s.SeedFlags = []string{"--tls-cert", filepath.Join(dir, "seed.pem"), "--tls-key", filepath.Join(dir, "seed.key")}
		s.GetFlags = []string{"--tls-cert", filepath.Join(dir, "get.pem"), "--tls-key", filepath.Join(dir, "get.key")}
	default:
		return nil, fmt.Errorf("harness: unknown bttls mode %q (want one of %s)", mode, strings.Join(BttlsModes, ", "))
	}
	if s.Torrent != orig {
		s.Torrents = append(s.Torrents, s.Torrent)
	}
	s.SeedFlags = append(s.SeedFlags, common...)
	s.GetFlags = append(s.GetFlags, common...)
	return s, nil
}

// Needles returns the infohash needles of every torrent of the setup.
func (s *BttlsSetup) Needles() ([]Needle, error) {
	var ns []Needle
	for i, path := range s.Torrents {
		mi, err := metainfo.LoadFromFile(path)
		if err != nil {
			return nil, fmt.Errorf("harness: %s: %w", path, err)
		}
		v1 := sha1.Sum(mi.InfoBytes)
		v2 := sha256.Sum256(mi.InfoBytes) // the v2 infohash, were the torrent v2 or hybrid
		for _, n := range InfohashNeedles(v1[:], v2[:]) {
			if i > 0 {
				n.Name = filepath.Base(path) + " " + n.Name
			}
			ns = append(ns, n)
		}
	}
	return ns, nil
}

// Seed is a running `bttls seed`.
type Seed struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  strings.Builder
	done chan struct{}
}

func (s *Seed) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

// Log is what the seeder printed so far.
func (s *Seed) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Stop kills the seeder and waits for it.
func (s *Seed) Stop() {
	s.cmd.Process.Kill()
	<-s.done
}

// StartSeed runs `bttls seed` on 127.0.0.1:port and returns once the port
// accepts connections. Call it before starting the capture: the readiness
// probe is a connection of its own.
func (b *Bttls) StartSeed(s *BttlsSetup, port int) (*Seed, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := append([]string{"seed", s.Torrent, s.Data, "--listen", addr, "--tls-log", "-v"}, s.SeedFlags...)
	sd := &Seed{cmd: exec.Command(b.Bin, args...), done: make(chan struct{})}
	sd.cmd.Stdout, sd.cmd.Stderr = sd, sd
	if err := sd.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { sd.cmd.Wait(); close(sd.done) }()
	for i := 0; i < 200; i++ {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return sd, nil
		}
		select {
		case <-sd.done:
			return nil, fmt.Errorf("harness: bttls seed exited:\n%s", sd.Log())
		case <-time.After(50 * time.Millisecond):
		}
	}
	sd.Stop()
	return nil, fmt.Errorf("harness: bttls seed did not listen on %s:\n%s", addr, sd.Log())
}

// Get runs `bttls get` against the seeder, listening on getPort.
func (b *Bttls) Get(s *BttlsSetup, port, getPort int, out string) error {
	args := append([]string{"get", s.Torrent, "-o", out, "--peer", fmt.Sprintf("127.0.0.1:%d", port),
		"--listen", fmt.Sprintf("127.0.0.1:%d", getPort), "-q", "--timeout", "30s"}, s.GetFlags...)
	log, err := runTimeout(45*time.Second, b.Bin, args...)
	if err != nil {
		return fmt.Errorf("harness: bttls get (%s): %v\n%s", s.Mode, err, log)
	}
	return nil
}
