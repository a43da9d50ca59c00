package harness

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

//go:embed ltpair.py
var ltpairPy []byte

// Python is the interpreter that sees Debian's python3-libtorrent (another
// python3 earlier on PATH may not).
const Python = "/usr/bin/python3"

// LibtorrentModes are the transports RunLibtorrent knows: plaintext BT, MSE
// with RC4 forced, and an SSL torrent (libtorrent's BitTorrent over TLS).
var LibtorrentModes = []string{"plain", "mse", "ssl"}

// Transfer is what a runner reports about the transfer it captured.
type Transfer struct {
	V1, V2 []byte // infohashes (V2 nil for a v1-only torrent)
}

// HaveLibtorrent reports whether python3-libtorrent can be imported.
func HaveLibtorrent() error {
	if err := exec.Command(Python, "-c", "import libtorrent").Run(); err != nil {
		return fmt.Errorf("harness: python3-libtorrent %w (%v)", ErrMissingTool, err)
	}
	return nil
}

// RunLibtorrent transfers a file between two libtorrent sessions, the
// seeder listening on 127.0.0.1:port and the leecher on 127.0.0.1:getPort
// (libtorrent may also connect back to it), in one of LibtorrentModes.
func RunLibtorrent(dir, mode string, port, getPort int) (*Transfer, error) {
	if err := HaveLibtorrent(); err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "ltpair.py")
	if err := os.WriteFile(script, ltpairPy, 0o755); err != nil {
		return nil, err
	}
	args := []string{script, "--mode", mode, "--port", fmt.Sprint(port), "--get-port", fmt.Sprint(getPort), "--dir", filepath.Join(dir, "lt-"+mode)}
	if mode == "ssl" {
		certs := filepath.Join(dir, "certs")
		if err := os.MkdirAll(certs, 0o700); err != nil {
			return nil, err
		}
		if err := WriteSSLTorrentCerts(certs); err != nil {
			return nil, err
		}
		args = append(args, "--certs", certs)
	}
	out, err := runTimeout(60*time.Second, Python, args...)
	var res struct {
		V1, V2   string
		Finished bool
		Errors   []string
	}
	if jerr := json.Unmarshal([]byte(lastLines(out, 1)), &res); jerr != nil {
		return nil, fmt.Errorf("harness: libtorrent %s: %v: %s", mode, err, lastLines(out, 5))
	}
	if err != nil || !res.Finished {
		return nil, fmt.Errorf("harness: libtorrent %s transfer did not finish: %v %s", mode, err, strings.Join(res.Errors, "; "))
	}
	v1, err1 := hex.DecodeString(res.V1)
	v2, err2 := hex.DecodeString(res.V2)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("harness: libtorrent printed bad infohashes %q %q", res.V1, res.V2)
	}
	return &Transfer{V1: v1, V2: v2}, nil
}

// runTimeout runs a program, killing it after d; it returns its combined output.
func runTimeout(d time.Duration, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return []byte(buf.String()), err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return []byte(buf.String()), fmt.Errorf("%s timed out after %v", filepath.Base(name), d)
	}
}
