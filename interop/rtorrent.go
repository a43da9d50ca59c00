package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RtorrentOptions configures one rtorrent.
type RtorrentOptions struct {
	Torrent string // .torrent path; it must name a tracker (rtorrent refuses one without)
	Dir     string // download dir: holds the file to seed, or receives it
	Port    int    // listen port on 127.0.0.1 (0 picks one)
	// Encryption is rtorrent's protocol.encryption list; the default,
	// "allow_incoming,try_outgoing,enable_retry", speaks MSE and plaintext.
	Encryption string
}

// StartRtorrent runs rtorrent 0.9 headless (system.daemon.set = true) with a
// generated config: DHT, PEX and UDP trackers off, bound to 127.0.0.1, log
// at debug level into its output. It hash-checks Dir and seeds if the data
// is there, else downloads; peers come from the tracker.
func StartRtorrent(t testing.TB, o RtorrentOptions) (*Proc, int) {
	t.Helper()
	bin := Require(t, "rtorrent")
	if o.Port == 0 {
		o.Port = FreePort(t)
	}
	if o.Encryption == "" {
		o.Encryption = "allow_incoming,try_outgoing,enable_retry"
	}
	home := t.TempDir()
	session := filepath.Join(home, "session")
	if err := os.Mkdir(session, 0o755); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(home, "rtorrent.log")
	rc := strings.Join([]string{
		"directory.default.set = " + o.Dir,
		"session.path.set = " + session,
		fmt.Sprintf("network.port_range.set = %d-%d", o.Port, o.Port),
		"network.port_random.set = no",
		"network.bind_address.set = 127.0.0.1",
		"dht.mode.set = disable",
		"protocol.pex.set = no",
		"trackers.use_udp.set = no",
		"protocol.encryption.set = " + o.Encryption,
		"system.daemon.set = true",
		`log.open_file = "main", ` + logFile,
		`log.add_output = "debug", "main"`,
	}, "\n") + "\n"
	rcPath := filepath.Join(home, "rtorrent.rc")
	if err := os.WriteFile(rcPath, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	// -n skips ~/.rtorrent.rc; the log file is shown with the output on failure.
	cmd := exec.Command(bin, "-n", "-o", "import="+rcPath, o.Torrent)
	cmd.Env = append(os.Environ(), "HOME="+home, "TERM=dumb")
	p := Start(t, "rtorrent", cmd)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("--- rtorrent log:\n%s", tail(string(b), 6000))
		}
	})
	return p, o.Port
}
