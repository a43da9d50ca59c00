package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/tracker"
)

// TestStrictAnnouncesSwarmKey: the members of a Strict swarm find each
// other through a tracker that never sees the torrent's infohash, only the
// swarm key that create printed (BEP "Strict", trackers).
func TestStrictAnnouncesSwarmKey(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	var mu sync.Mutex
	var announces []string
	e := env.OS{}
	srv := tracker.NewServer(e, tracker.NewTracker(e, tracker.Config{
		Interval: 2 * time.Second,
		Logf: func(format string, args ...any) {
			mu.Lock()
			announces = append(announces, fmt.Sprintf(format, args...))
			mu.Unlock()
		},
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	url := "http://" + ln.Addr().String() + "/announce"

	dir := t.TempDir()
	file, data := randomFile(t, dir, 1<<20)
	tf := filepath.Join(dir, "s.torrent")
	code, out := run(t, "create", file, "-o", tf, "--tracker", url, "--strict")
	if code != 0 {
		t.Fatalf("create --strict: %s", out)
	}
	infoHash := field(t, out, "infohash:")
	swarmKey := field(t, out, "announces under")

	_, sl := startProcess(t, "seed", tf, file, "--listen", "127.0.0.1:0")
	waitLine(t, sl, "seeding", 10*time.Second)
	copyPath := filepath.Join(dir, "copy")
	if code, out := run(t, "get", tf, "-o", copyPath, "--timeout", "30s"); code != 0 {
		t.Fatalf("get through the tracker: %s", out)
	}
	if got, _ := os.ReadFile(copyPath); !bytes.Equal(got, data) {
		t.Fatal("the copy differs from the original")
	}

	mu.Lock()
	defer mu.Unlock()
	if len(announces) == 0 {
		t.Fatal("the tracker logged no announce")
	}
	// The tracker logs the first 4 bytes of each info_hash it is sent.
	for _, a := range announces {
		if strings.Contains(a, infoHash[:8]) {
			t.Errorf("the tracker saw the infohash: %s", a)
		}
		if !strings.Contains(a, swarmKey[:8]) {
			t.Errorf("an announce is not under the swarm key %s: %s", swarmKey, a)
		}
	}
}

// field returns the 40-hex word that follows marker in create's output.
func field(t *testing.T, out, marker string) string {
	t.Helper()
	i := strings.Index(out, marker)
	if i < 0 {
		t.Fatalf("no %q in:\n%s", marker, out)
	}
	for _, w := range strings.Fields(out[i+len(marker):]) {
		w = strings.TrimRight(w, ",")
		if b, err := hex.DecodeString(w); err == nil && len(b) == 20 {
			return w
		}
	}
	t.Fatalf("no 40-hex value after %q in:\n%s", marker, out)
	return ""
}
