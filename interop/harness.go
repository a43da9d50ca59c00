package interop

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// Require skips the test when program is not installed, or fails it when
// CI=true (CI installs every client, so a missing one is a broken setup).
func Require(t testing.TB, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("interop: %s not found (CI=true: install it, see scripts/install-deps.sh)", program)
		}
		t.Skipf("interop: %s not installed", program)
	}
	return path
}

// RequireLibtorrent checks that /usr/bin/python3 can import libtorrent.
func RequireLibtorrent(t testing.TB) {
	t.Helper()
	Require(t, "/usr/bin/python3")
	if out, err := exec.Command("/usr/bin/python3", "-c", "import libtorrent").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("interop: python3-libtorrent missing (CI=true): %v: %s", err, out)
		}
		t.Skipf("interop: python3-libtorrent not installed: %s", bytes.TrimSpace(out))
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// MakeFile writes size pseudo-random bytes (from seed) to dir/name and
// returns the path and the SHA-1 of the contents.
func MakeFile(t testing.TB, dir, name string, size int, seed uint64) (string, [20]byte) {
	t.Helper()
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, 0x6274746c73))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, sha1.Sum(b)
}

// MakeTorrent writes a v1 .torrent for file (announcing to announceURL if
// set) next to it and returns its path and infohash.
func MakeTorrent(t testing.TB, file, announceURL string, pieceLength int64) (string, [20]byte) {
	t.Helper()
	info := metainfo.Info{PieceLength: pieceLength}
	if err := info.BuildFromFilePath(file); err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{Announce: announceURL, CreatedBy: "bttls interop"}
	var err error
	if mi.InfoBytes, err = bencode.Marshal(info); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file)+".torrent")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := mi.Write(f); err != nil {
		t.Fatal(err)
	}
	return path, mi.HashInfoBytes()
}

// WaitFile waits until path holds exactly the bytes whose SHA-1 is want.
func WaitFile(path string, size int64, want [20]byte, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			last = err.Error()
		case fi.Size() != size:
			last = fmt.Sprintf("size %d, want %d", fi.Size(), size)
		default:
			b, err := os.ReadFile(path)
			if err == nil && sha1.Sum(b) == want {
				return nil
			}
			last = "contents differ (incomplete or corrupt)"
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("interop: %s not complete after %v: %s", path, timeout, last)
}

// Proc is a started client: one process group, output in a log file.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	err  error
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs cmd in its own process group. When the test ends the group
// gets SIGTERM, then SIGKILL after 3 s; if the test failed, the output is
// logged.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Name: name, cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("interop: start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("--- output of %s (%s):\n%s", name, strings.Join(cmd.Args, " "), tail(p.log.String(), 6000))
		}
	})
	return p
}

// Stop ends the process group: SIGTERM, then SIGKILL after 3 s.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// Output returns what the process printed so far.
func (p *Proc) Output() string { return p.log.String() }

// WaitOutput waits until the output contains s, or the process exits.
func (p *Proc) WaitOutput(s string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(p.log.String(), s) {
			return nil
		}
		select {
		case <-p.done:
			if strings.Contains(p.log.String(), s) {
				return nil
			}
			return fmt.Errorf("interop: %s exited (%v) before printing %q", p.Name, p.err, s)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("interop: %s did not print %q within %v", p.Name, s, timeout)
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}
