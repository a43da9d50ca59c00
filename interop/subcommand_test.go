package interop

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/tracker"
)

// TestTrackerSubcommand drives `bttls tracker` as a user would: --help,
// a bad flag, announces from the Go client (good and bad), then SIGTERM.
func TestTrackerSubcommand(t *testing.T) {
	bin := Bttls(t)
	out, err := exec.Command(bin, "tracker", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--interval") || !strings.Contains(string(out), "supporttls=1") {
		t.Errorf("bttls tracker --help: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "tracker", "--interval", "1ms").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "--interval 1ms is too short") {
		t.Errorf("bttls tracker --interval 1ms: %v\n%s", err, out)
	}

	tr := StartBttlsTracker(t, 30*time.Second)
	req := tracker.AnnounceRequest{Port: 6881, Left: 10, Event: tracker.EventStarted}
	copy(req.InfoHash[:], "interop-subcommand-1")
	copy(req.PeerID[:], "-XX0001-abcdefghijkl")
	resp, err := tracker.Announce(env.OS{}, tr.URL, req)
	if err != nil || resp.Interval != 30*time.Second || resp.Incomplete != 1 {
		t.Fatalf("announce: %+v, %v", resp, err)
	}
	req.Port = 0
	_, err = tracker.Announce(env.OS{}, tr.URL, req)
	var fe *tracker.FailureError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "port=0") {
		t.Errorf("announce with port 0: %v, want a failure reason", err)
	}
	if _, err := tr.WaitAnnounce(5*time.Second, `client "-XX0001-"`, `event="started"`, "left=10"); err != nil {
		t.Error(err)
	}

	if err := syscall.Kill(tr.cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(5 * time.Second); err != nil {
		t.Fatalf("bttls tracker after SIGTERM: %v (want exit status 0)", err)
	}
	if !strings.Contains(tr.Output(), "shutting down") {
		t.Errorf("no shutdown line in:\n%s", tr.Output())
	}
}
