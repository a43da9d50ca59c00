package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Bttls returns the path of a bttls binary built from this checkout (once
// per test process).
func Bttls(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "bttls-interop-")
		if buildErr != nil {
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Dir(filepath.Dir(file))
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, "bttls"), "./cmd/bttls")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/bttls: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("interop: %v", buildErr)
	}
	return filepath.Join(buildDir, "bttls")
}

// CleanupBuild removes the binary built by Bttls; TestMain calls it.
func CleanupBuild() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// BttlsTracker is a `bttls tracker` process.
type BttlsTracker struct {
	*Proc
	URL string
}

// StartBttlsTracker runs `bttls tracker -v` on a free loopback port.
func StartBttlsTracker(t testing.TB, interval time.Duration) *BttlsTracker {
	t.Helper()
	p := Start(t, "bttls tracker", exec.Command(Bttls(t), "tracker", "--listen", "127.0.0.1:0",
		"--interval", interval.String(), "-v"))
	if err := p.WaitOutput("announce URL: ", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`announce URL: (\S+)`).FindStringSubmatch(p.Output())
	return &BttlsTracker{Proc: p, URL: m[1]}
}

// WaitAnnounce waits for a logged announce line containing every one of parts.
func (tr *BttlsTracker) WaitAnnounce(timeout time.Duration, parts ...string) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		for _, l := range strings.Split(tr.Output(), "\n") {
			if strings.Contains(l, " announce ") && containsAll(l, parts) {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("interop: no announce with %q within %v", parts, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Announces returns the tracker's announce lines.
func (tr *BttlsTracker) Announces() string {
	var out []string
	for _, l := range strings.Split(tr.Output(), "\n") {
		if strings.Contains(l, " announce ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// BttlsCreate runs `bttls create` and returns the .torrent path and the
// infohash in hex.
func BttlsCreate(t testing.TB, file, trackerURL string) (string, string) {
	t.Helper()
	torrent, infohash, _ := BttlsCreateMagnet(t, file, trackerURL)
	return torrent, infohash
}

// BttlsCreateMagnet is BttlsCreate that also returns the magnet link it printed.
func BttlsCreateMagnet(t testing.TB, file, trackerURL string) (torrent, infohash, magnet string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(file)+".torrent")
	args := []string{"create", file, "-o", out}
	if trackerURL != "" {
		args = append(args, "--tracker", trackerURL)
	}
	b, err := exec.Command(Bttls(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("interop: bttls create: %v\n%s", err, b)
	}
	m := regexp.MustCompile(`infohash: ([0-9a-f]{40})`).FindSubmatch(b)
	mag := regexp.MustCompile(`(magnet:\?\S+)`).FindSubmatch(b)
	if m == nil || mag == nil {
		t.Fatalf("interop: bttls create printed no infohash or magnet:\n%s", b)
	}
	return out, string(m[1]), string(mag[1])
}

// Transports returns the transports of the connections a bttls process
// logged with -v, e.g. "mse inbound", in order.
func Transports(p *Proc) []string {
	var out []string
	for _, m := range regexp.MustCompile(`connected to \S+ \(([a-z0-9-]+), (inbound|outbound)\)`).FindAllStringSubmatch(p.Output(), -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

// BttlsSeed starts `bttls seed` on a free port; extra flags are appended
// (e.g. --tls=off, --peer ADDR). It returns once the seed has checked the
// file and listens.
func BttlsSeed(t testing.TB, torrent, file string, extra ...string) (*Proc, int) {
	t.Helper()
	port := FreePort(t)
	args := append([]string{"seed", torrent, file, "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--tls-state", "", "-v"}, extra...)
	p := Start(t, "bttls seed", exec.Command(Bttls(t), args...))
	if err := p.WaitOutput("seeding ", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return p, port
}

// BttlsGet starts `bttls get` into out; extra flags are appended.
func BttlsGet(t testing.TB, torrent, out string, extra ...string) *Proc {
	t.Helper()
	args := append([]string{"get", torrent, "-o", out, "--tls-state", "", "-q", "-v", "--timeout", "90s"}, extra...)
	return Start(t, "bttls get", exec.Command(Bttls(t), args...))
}

// Wait waits for the process to exit and returns its error (nil for status 0).
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("interop: %s still running after %v", p.Name, timeout)
	}
}
