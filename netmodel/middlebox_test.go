package netmodel

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// exchange makes one client→server transfer of msg under mb and returns
// what the server read and the errors both sides saw.
func exchange(t *testing.T, mb Middlebox, msg []byte) (got []byte, readErr, writeErr error, at time.Duration) {
	t.Helper()
	w := newWorld(t, 1, HostConfig{Latency: 10 * time.Millisecond}, HostConfig{Latency: 10 * time.Millisecond})
	w.n.Middlebox = mb
	l, _ := w.envs[1].Listen("tcp", ":1")
	w.envs[1].Go("server", func() {
		c, err := l.Accept()
		if err != nil {
			readErr = err
			return
		}
		c.SetReadDeadline(w.envs[1].Now().Add(5 * time.Minute))
		first := make([]byte, 1)
		if _, readErr = io.ReadFull(c, first); readErr != nil {
			return
		}
		at = w.s.Now() // when the first byte arrived
		rest, err := io.ReadAll(c)
		got, readErr = append(first, rest...), err
		c.Close()
	})
	w.envs[0].Go("client", func() {
		c, err := w.envs[0].Dial("tcp", w.hosts[1].Addr().String()+":1", 2*time.Second)
		if err != nil {
			writeErr = err
			l.Close()
			return
		}
		if _, err := c.Write(msg); err != nil {
			writeErr = err
		}
		// Give a reset or a retransmission timeout time to reach us, then
		// look without waiting.
		w.envs[0].Sleep(time.Minute)
		c.SetReadDeadline(w.envs[0].Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); writeErr == nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			writeErr = err
		}
		c.Close()
	})
	w.run(t)
	return
}

func TestMiddlebox(t *testing.T) {
	msg := []byte("\x13BitTorrent protocol and then some")
	isBT := func(p *Packet) bool { return p.Kind == Data && bytes.HasPrefix(p.Data, []byte("\x13BitTorrent")) }

	t.Run("forward", func(t *testing.T) {
		seen := 0
		got, rerr, werr, _ := exchange(t, MiddleboxFunc(func(p *Packet) Verdict { seen++; return Verdict{} }), msg)
		if !bytes.Equal(got, msg) || rerr != nil || werr != nil {
			t.Fatalf("got %q %v %v", got, rerr, werr)
		}
		if seen < 4 { // SYN, data, two FINs
			t.Fatalf("middlebox saw %d packets", seen)
		}
	})
	t.Run("reset", func(t *testing.T) {
		_, rerr, werr, _ := exchange(t, MiddleboxFunc(func(p *Packet) Verdict { return Verdict{Reset: isBT(p)} }), msg)
		if !errors.Is(rerr, syscall.ECONNRESET) || !errors.Is(werr, syscall.ECONNRESET) {
			t.Fatalf("reset: server %v, client %v; want ECONNRESET on both", rerr, werr)
		}
	})
	t.Run("rewrite", func(t *testing.T) {
		got, _, _, _ := exchange(t, MiddleboxFunc(func(p *Packet) Verdict {
			if isBT(p) {
				return Verdict{Rewrite: []byte("censored")}
			}
			return Verdict{}
		}), msg)
		if string(got) != "censored" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("delay", func(t *testing.T) {
		_, _, _, plain := exchange(t, nil, msg)
		_, _, _, delayed := exchange(t, MiddleboxFunc(func(p *Packet) Verdict {
			if isBT(p) {
				return Verdict{Delay: time.Second}
			}
			return Verdict{}
		}), msg)
		if delayed-plain != time.Second || plain == 0 {
			t.Fatalf("delay added %v, want 1s", delayed-plain)
		}
	})
	t.Run("drop once", func(t *testing.T) {
		got, rerr, _, _ := exchange(t, MiddleboxFunc(func(p *Packet) Verdict { return Verdict{Drop: isBT(p) && p.Attempt == 0} }), msg)
		if !bytes.Equal(got, msg) || rerr != nil {
			t.Fatalf("after one drop: got %q %v, want the retransmitted stream", got, rerr)
		}
	})
	t.Run("blackhole", func(t *testing.T) {
		_, _, werr, _ := exchange(t, MiddleboxFunc(func(p *Packet) Verdict { return Verdict{Drop: isBT(p)} }), msg)
		if !errors.Is(werr, syscall.ETIMEDOUT) {
			t.Fatalf("blackholed flow: client %v, want ETIMEDOUT", werr)
		}
	})
	t.Run("syn drop", func(t *testing.T) {
		_, _, werr, _ := exchange(t, MiddleboxFunc(func(p *Packet) Verdict { return Verdict{Drop: p.Kind == SYN} }), msg)
		var te interface{ Timeout() bool }
		if !errors.As(werr, &te) || !te.Timeout() {
			t.Fatalf("dropped SYNs: %v, want a dial timeout", werr)
		}
	})
}
