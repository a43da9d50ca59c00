// Package harness captures real transfers over loopback with tcpdump and
// classifies them the way a censor would: nDPI's ndpiReader (signature DPI),
// tshark (JA3/JA3S, SNI), the fully-encrypted-traffic rules (dpi/fet), JA4
// (dpi/fingerprint) and a search of every captured byte for the infohash.
package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ErrMissingTool is wrapped by errors about an external program that is not
// installed; tests skip on it (and fail under CI=true).
var ErrMissingTool = errors.New("not installed")

// LookTool finds an external program on PATH.
func LookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("harness: %s %w", name, ErrMissingTool)
	}
	return p, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Capture is a running tcpdump on the loopback interface.
type Capture struct {
	Path   string
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	// stderrDone is closed when tcpdump's stderr has been read to the end.
	stderrDone chan struct{}
}

// StartCapture starts `tcpdump -i lo -U -w DIR/NAME.pcap tcp port P1 or
// tcp port P2 ...` and returns once tcpdump says it is listening, so no packet of the
// transfer that follows is missed. Capturing needs root (or CAP_NET_RAW).
func StartCapture(dir, name string, ports ...int) (*Capture, error) {
	bin, err := LookTool("tcpdump")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".pcap")
	// --immediate-mode: without it, the packets still in the kernel's
	// TPACKET_V3 block when tcpdump is stopped are lost silently (measured:
	// 10–20 % of a 256 KiB loopback transfer, with "0 dropped by kernel").
	// -U writes each packet as it arrives; -s 0 keeps whole packets;
	// -Z root stops tcpdump dropping privileges before opening the file.
	// -B 65536: a 64 MiB kernel buffer, since loopback frames reach 64 KiB
	// and the default 2 MiB overflowed under load.
	args := []string{"-i", "lo", "--immediate-mode", "-B", "65536", "-U", "-s", "0", "-Z", "root", "-w", path}
	for i, p := range ports {
		if i > 0 {
			args = append(args, "or")
		}
		args = append(args, "tcp", "port", fmt.Sprint(p))
	}
	cmd := exec.Command(bin, args...)
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("harness: starting tcpdump: %w", err)
	}
	pw.Close()
	c := &Capture{Path: path, cmd: cmd, stderr: &bytes.Buffer{}, stderrDone: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		defer close(c.stderrDone)
		sc := bufio.NewScanner(pr)
		said := false
		for sc.Scan() {
			c.stderr.WriteString(sc.Text() + "\n")
			if !said && strings.Contains(sc.Text(), "listening on") {
				ready <- true
				said = true
			}
		}
		if !said {
			ready <- false
		}
		pr.Close()
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			<-c.stderrDone
			return nil, fmt.Errorf("harness: tcpdump did not start (needs root): %s", strings.TrimSpace(c.stderr.String()))
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("harness: tcpdump did not report listening within 10s")
	}
	return c, nil
}

// Stop lets the last packets reach tcpdump, stops it and waits for the
// file to be complete.
func (c *Capture) Stop() error {
	time.Sleep(200 * time.Millisecond)
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("harness: stopping tcpdump: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	<-c.stderrDone
	if st, err := os.Stat(c.Path); err != nil || st.Size() <= 24 {
		return fmt.Errorf("harness: capture %s is empty", c.Path)
	}
	if m := dropped.FindStringSubmatch(c.stderr.String()); m != nil && m[1] != "0" {
		return fmt.Errorf("harness: tcpdump dropped %s packets: the capture is incomplete", m[1])
	}
	return nil
}

var dropped = regexp.MustCompile(`(\d+) packets dropped by kernel`)
