package netmodel

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/sim"
)

func TestStallNamesParkedReaders(t *testing.T) {
	w := newWorld(t, 1, HostConfig{Latency: time.Millisecond}, HostConfig{Latency: time.Millisecond})
	l, _ := w.envs[1].Listen("tcp", ":1")
	w.envs[1].Go("server reads forever", func() {
		c, _ := l.Accept()
		c.Read(make([]byte, 1))
	})
	w.envs[0].Go("client reads forever", func() {
		c, err := w.envs[0].Dial("tcp", w.hosts[1].Addr().String()+":1", 0)
		if err != nil {
			t.Error(err)
			return
		}
		c.Read(make([]byte, 1))
	})
	err := w.s.Run()
	var se *sim.StallError
	if !errors.As(err, &se) || len(se.Tasks) != 2 {
		t.Fatalf("Run = %v, want a stall naming two tasks", err)
	}
	for _, want := range []string{"server reads forever", "client reads forever", "read from 10.0.0.2:1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("stall report lacks %q:\n%v", want, err)
		}
	}
}

func FuzzResolve(f *testing.F) {
	for _, s := range []string{"10.0.0.1:80", "tracker:6969", ":0", "[::1]:1", "a:b:c", "10.0.0.1:99999", "x"} {
		f.Add(s)
	}
	n := New(sim.New(sim.Config{}))
	h, _ := n.AddHost(HostConfig{Name: "tracker"})
	f.Fuzz(func(t *testing.T, addr string) {
		ap, err := n.resolve(addr)
		if err == nil && !ap.Addr().IsValid() {
			t.Fatalf("resolve(%q) = invalid address without error", addr)
		}
		l, err := h.Listen("tcp", addr)
		if err == nil {
			l.Close()
		}
	})
}
