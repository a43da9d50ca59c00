package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bttlsBin is the bttls binary built for the tests that run it as real processes.
var bttlsBin string

func TestMain(m *testing.M) {
	if spec := os.Getenv("BTTLS_RAW_SEND"); spec != "" {
		os.Exit(rawSend(spec))
	}
	dir, err := os.MkdirTemp("", "bttls-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bttlsBin = filepath.Join(dir, "bttls")
	// Processes keep their state (TLS pins) here, not in the user's home.
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	out, err := exec.Command("go", "build", "-o", bttlsBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building bttls: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startProcess starts bttls with args and returns it with its stdout lines.
// The process is killed when the test ends.
func startProcess(tb testing.TB, args ...string) (*exec.Cmd, <-chan string) {
	tb.Helper()
	cmd := exec.Command(bttlsBin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, lines
}

// waitLine returns the first line with prefix, or fails after timeout.
func waitLine(tb testing.TB, lines <-chan string, prefix string, timeout time.Duration) string {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				tb.Fatalf("process exited before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			tb.Fatalf("no %q line within %v", prefix, timeout)
		}
	}
}

// startSeed runs `bttls seed` and returns its listen address.
func startSeed(tb testing.TB, torrent, file string, extra ...string) string {
	tb.Helper()
	_, lines := startProcess(tb, append([]string{"seed", torrent, file, "--listen", "127.0.0.1:0", "--tls=off", "--no-tracker"}, extra...)...)
	l := waitLine(tb, lines, "seeding", 10*time.Second)
	f := strings.Fields(l)
	return f[len(f)-1]
}

// rawSend is the raw-copy side of BenchmarkPlainTransfer, run in its own
// process ("ADDR FILE" in BTTLS_RAW_SEND): it reads FILE into memory, then
// dials ADDR and writes the bytes, 256 KiB per write, once per line it
// reads on standard input.
func rawSend(spec string) int {
	addr, file, _ := strings.Cut(spec, " ")
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for off := 0; off < len(data); off += 256 << 10 {
			if _, err := c.Write(data[off:min(off+256<<10, len(data))]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		c.Close()
	}
	return 0
}
