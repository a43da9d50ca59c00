//go:debug cryptocustomrand=1
package netmodel

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/bttls/bttls/sim"
)

// world is a Sim with a network and hosts made from configs.
type world struct {
	s     *sim.Sim
	n     *Network
	hosts []*Host
	envs  []*sim.Env
}

func newWorld(t testing.TB, seed uint64, cfgs ...HostConfig) *world {
	t.Helper()
	s := sim.New(sim.Config{Seed: seed})
	t.Cleanup(s.Close)
	w := &world{s: s, n: New(s)}
	for _, c := range cfgs {
		h, err := w.n.AddHost(c)
		if err != nil {
			t.Fatal(err)
		}
		w.hosts = append(w.hosts, h)
		w.envs = append(w.envs, s.NewEnv(h))
	}
	return w
}

func (w *world) run(t testing.TB) {
	t.Helper()
	if err := w.s.Run(); err != nil {
		t.Fatal(err)
	}
}

// sendFrom starts a task on host from that dials port 1 of host to, runs
// send on the connection and closes it.
func (w *world) sendFrom(t testing.TB, from, to int, send func(c net.Conn)) {
	addr := w.hosts[to].Addr().String() + ":1"
	w.envs[from].Go("send", func() {
		c, err := w.envs[from].Dial("tcp", addr, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		send(c)
	})
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}

func TestTransferTimeFollowsCapacityAndLatency(t *testing.T) {
	const size = 1 << 20
	tests := []struct {
		name     string
		a, b     HostConfig
		min, max time.Duration
	}{
		// 1 MiB at 1 MB/s: about 1.05 s of serialisation plus latency.
		{"uplink bound", HostConfig{Up: 1e6, Latency: 10 * time.Millisecond}, HostConfig{Latency: 10 * time.Millisecond}, 1040 * time.Millisecond, 1200 * time.Millisecond},
		{"downlink bound", HostConfig{Latency: 5 * time.Millisecond}, HostConfig{Down: 500e3, Latency: 5 * time.Millisecond}, 2090 * time.Millisecond, 2300 * time.Millisecond},
		// Unlimited links: a 256 KiB window per 40 ms round trip, 4 rounds.
		{"window bound", HostConfig{Latency: 10 * time.Millisecond}, HostConfig{Latency: 10 * time.Millisecond}, 80 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 1, tc.a, tc.b)
			data := pattern(size)
			var got []byte
			var doneAt time.Duration
			l, err := w.envs[1].Listen("tcp", ":6881")
			if err != nil {
				t.Fatal(err)
			}
			w.envs[1].Go("server", func() {
				c, err := l.Accept()
				if err != nil {
					t.Error(err)
					return
				}
				got, err = io.ReadAll(c)
				if err != nil {
					t.Error(err)
				}
				doneAt = w.s.Now()
				c.Close()
				l.Close()
			})
			w.envs[0].Go("client", func() {
				c, err := w.envs[0].Dial("tcp", w.hosts[1].Addr().String()+":6881", 0)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Write(data); err != nil {
					t.Error(err)
				}
				c.Close()
			})
			w.run(t)
			if !bytes.Equal(got, data) {
				t.Fatalf("received %d bytes, not the %d sent", len(got), len(data))
			}
			if doneAt < tc.min || doneAt > tc.max {
				t.Fatalf("transfer ended at %v, want within [%v, %v]", doneAt, tc.min, tc.max)
			}
		})
	}
}

func TestFairShareOfUplink(t *testing.T) {
	// One uploader at 1 MB/s feeds three receivers at once: each should take
	// about three times as long as alone, and all finish together.
	w := newWorld(t, 1, HostConfig{Up: 1e6, Latency: 10 * time.Millisecond},
		HostConfig{Latency: 10 * time.Millisecond}, HostConfig{Latency: 20 * time.Millisecond}, HostConfig{Latency: 5 * time.Millisecond})
	const size = 512 << 10
	var done []time.Duration
	for i := 1; i <= 3; i++ {
		l, _ := w.envs[i].Listen("tcp", ":1")
		w.envs[i].Go("recv", func() {
			c, _ := l.Accept()
			b, _ := io.ReadAll(c)
			if len(b) != size {
				t.Errorf("got %d bytes", len(b))
			}
			done = append(done, w.s.Now())
		})
		w.sendFrom(t, 0, i, func(c net.Conn) { c.Write(pattern(size)) })
	}
	w.run(t)
	if len(done) != 3 {
		t.Fatalf("%d transfers ended", len(done))
	}
	first, last := done[0], done[2]
	if ideal := time.Duration(3 * size * int64(time.Second) / 1e6); last < ideal || last > ideal*115/100 {
		t.Fatalf("last transfer ended at %v, want about %v", last, ideal)
	}
	if first < last*80/100 {
		t.Fatalf("unfair share: first ended at %v, last at %v", first, last)
	}
}

func TestRefusedUnreachableAndDeadlines(t *testing.T) {
	w := newWorld(t, 1, HostConfig{Latency: 10 * time.Millisecond}, HostConfig{Latency: 15 * time.Millisecond})
	e := w.envs[0]
	var refusedAt, unreachAt time.Duration
	var errRefusedGot, errUnreach, errRead error
	e.Go("refused", func() {
		_, errRefusedGot = e.Dial("tcp", w.hosts[1].Addr().String()+":9", 0)
		refusedAt = w.s.Now()
	})
	e.Go("unreachable", func() {
		start := w.s.Now()
		_, errUnreach = e.Dial("tcp", "10.9.9.9:9", 3*time.Second)
		unreachAt = w.s.Now() - start
	})
	l, _ := w.envs[1].Listen("tcp", ":7")
	w.envs[1].Go("silent server", func() {
		c, _ := l.Accept()
		var b [1]byte
		c.Read(b[:]) // returns when the client closes
		c.Close()
	})
	var readAt time.Duration
	e.Go("reader", func() {
		c, err := e.Dial("tcp", w.hosts[1].Addr().String()+":7", 0)
		if err != nil {
			t.Error(err)
			return
		}
		start := w.s.Now()
		c.SetReadDeadline(e.Now().Add(2 * time.Second))
		_, errRead = c.Read(make([]byte, 10))
		readAt = w.s.Now() - start
		c.Close()
	})
	w.run(t)
	if !errors.Is(errRefusedGot, syscall.ECONNREFUSED) || refusedAt != 50*time.Millisecond {
		t.Errorf("dial to a closed port: %v at %v, want ECONNREFUSED after one round trip (50ms)", errRefusedGot, refusedAt)
	}
	var ne net.Error
	if !errors.As(errUnreach, &ne) || !ne.Timeout() || unreachAt != 3*time.Second {
		t.Errorf("dial to an unknown address: %v after %v, want a timeout after 3s", errUnreach, unreachAt)
	}
	if !errors.Is(errRead, os.ErrDeadlineExceeded) || readAt != 2*time.Second {
		t.Errorf("read past deadline: %v after %v, want a deadline error after 2s", errRead, readAt)
	}
}

func TestCloseGivesEOFAndResetOnUnreadData(t *testing.T) {
	w := newWorld(t, 1, HostConfig{Latency: time.Millisecond}, HostConfig{Latency: time.Millisecond})
	e0, e1 := w.envs[0], w.envs[1]
	l, _ := e1.Listen("tcp", ":1")
	var eofData []byte
	var eofErr, resetErr, writeAfterReset error
	e1.Go("server", func() {
		c, _ := l.Accept()
		eofData, eofErr = io.ReadAll(c) // client writes "hello" and closes
		c.Close()
		c2, _ := l.Accept()
		e1.Sleep(10 * time.Millisecond) // let data arrive, then close unread
		c2.Close()
	})
	e0.Go("client", func() {
		c, _ := e0.Dial("tcp", w.hosts[1].Addr().String()+":1", 0)
		c.Write([]byte("hello"))
		c.Close()
		c2, _ := e0.Dial("tcp", w.hosts[1].Addr().String()+":1", 0)
		c2.Write([]byte("unread"))
		_, resetErr = c2.Read(make([]byte, 1))
		_, writeAfterReset = c2.Write([]byte("more"))
		c2.Close()
	})
	w.run(t)
	if string(eofData) != "hello" || eofErr != nil {
		t.Errorf("ReadAll = %q, %v; want hello, nil", eofData, eofErr)
	}
	if !errors.Is(resetErr, syscall.ECONNRESET) || !errors.Is(writeAfterReset, syscall.ECONNRESET) {
		t.Errorf("after the peer closed with unread data: read %v, write %v; want ECONNRESET", resetErr, writeAfterReset)
	}
}

func TestListenErrors(t *testing.T) {
	w := newWorld(t, 1, HostConfig{})
	h := w.hosts[0]
	if _, err := h.Listen("tcp", ":80"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ network, addr string }{
		{"tcp", ":80"}, {"udp", ":81"}, {"tcp", "10.1.2.3:82"}, {"tcp", "nocolon"}, {"tcp", ":99999"},
	} {
		if _, err := h.Listen(tc.network, tc.addr); err == nil {
			t.Errorf("Listen(%q, %q) succeeded", tc.network, tc.addr)
		}
	}
	l, err := h.Listen("tcp", "0.0.0.0:0")
	if err != nil || l.Addr().(*net.TCPAddr).Port == 0 {
		t.Fatalf("Listen on port 0: %v %v", l, err)
	}
}

func TestBadHostConfig(t *testing.T) {
	n := New(sim.New(sim.Config{}))
	for _, c := range []HostConfig{{Up: -1}, {Loss: 1}, {Latency: -time.Second}} {
		if _, err := n.AddHost(c); err == nil {
			t.Errorf("AddHost(%+v) succeeded", c)
		}
	}
	if _, err := n.AddHost(HostConfig{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddHost(HostConfig{Name: "x"}); err == nil {
		t.Error("duplicate name accepted")
	}
}

func TestLossKeepsStreamIntact(t *testing.T) {
	w := newWorld(t, 9, HostConfig{Up: 2e6, Latency: 10 * time.Millisecond, Loss: 0.05}, HostConfig{Latency: 10 * time.Millisecond, Loss: 0.05})
	data := pattern(2 << 20)
	var got []byte
	l, _ := w.envs[1].Listen("tcp", ":1")
	w.envs[1].Go("recv", func() { c, _ := l.Accept(); got, _ = io.ReadAll(c) })
	w.envs[0].Go("send", func() {
		c, err := w.envs[0].Dial("tcp", w.hosts[1].Addr().String()+":1", 0)
		if err != nil {
			t.Error(err)
			return
		}
		c.Write(data)
		c.Close()
	})
	w.run(t)
	if !bytes.Equal(got, data) {
		t.Fatalf("lossy stream corrupted: %d of %d bytes", len(got), len(data))
	}
}

func TestWindowBoundsBytesInFlight(t *testing.T) {
	tests := []struct {
		name      string
		up, down  int64
		latency   time.Duration
		maxWindow int
		want      int
	}{
		{"slow path gets the minimum", 250e3, 0, 10 * time.Millisecond, 0, MinWindow},
		{"fast path gets twice its BDP", 1e6, 50e6, 25 * time.Millisecond, 0, 2*1e6*100/1000 + MSS}, // rtt 100ms
		{"capped by the network", 100e6, 0, 50 * time.Millisecond, 0, DefaultWindow},
		{"unlimited links", 0, 0, time.Millisecond, 96 << 10, 96 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 1, HostConfig{Up: tc.up, Latency: tc.latency}, HostConfig{Down: tc.down, Latency: tc.latency})
			w.n.Window = tc.maxWindow
			l, _ := w.envs[1].Listen("tcp", ":1")
			w.envs[1].Go("never reads", func() {
				c, _ := l.Accept()
				w.envs[1].Sleep(time.Minute)
				c.Close()
			})
			var sentBeforeBlock int64
			w.envs[0].Go("writer", func() {
				c, err := w.envs[0].Dial("tcp", w.hosts[1].Addr().String()+":1", 0)
				if err != nil {
					t.Error(err)
					return
				}
				c.SetWriteDeadline(w.envs[0].Now().Add(30 * time.Second))
				c.Write(make([]byte, 10<<20)) // blocks on the window, then times out
				sentBeforeBlock = w.hosts[0].Stats.BytesSent
				c.Close()
			})
			w.run(t)
			if sentBeforeBlock != int64(tc.want) {
				t.Fatalf("sent %d bytes to a receiver that does not read, want the window %d", sentBeforeBlock, tc.want)
			}
		})
	}
}

func TestSmallWritesCoalesceOnABusyLink(t *testing.T) {
	w := newWorld(t, 1, HostConfig{Up: 100e3, Latency: 5 * time.Millisecond}, HostConfig{Latency: 5 * time.Millisecond})
	segments := 0
	w.n.Middlebox = MiddleboxFunc(func(p *Packet) Verdict {
		if p.Kind == Data {
			segments++
		}
		return Verdict{}
	})
	l, _ := w.envs[1].Listen("tcp", ":1")
	var got []byte
	w.envs[1].Go("recv", func() { c, _ := l.Accept(); got, _ = io.ReadAll(c) })
	var want []byte
	w.envs[0].Go("send", func() {
		c, err := w.envs[0].Dial("tcp", w.hosts[1].Addr().String()+":1", 0)
		if err != nil {
			t.Error(err)
			return
		}
		for i := 0; i < 1000; i++ { // 1000 messages of 17 bytes, like HAVEs
			msg := []byte(fmt.Sprintf("have %011d\n", i))
			want = append(want, msg...)
			c.Write(msg)
		}
		c.Close()
	})
	w.run(t)
	if !bytes.Equal(got, want) {
		t.Fatalf("stream corrupted: %d of %d bytes", len(got), len(want))
	}
	if segments > 10 {
		t.Fatalf("1000 small writes on a busy 100 kB/s link made %d segments, want them joined", segments)
	}
}

// TestSparseFlowCrossesABusyLink: a short message (a request) on a
// connection with nothing queued crosses an uplink busy with four bulk
// uploads at once, as under per-flow fair queueing, instead of waiting for
// a round of their 17 KiB segments (four of them take 280 ms at 2 Mbit/s);
// and the link still carries no more than its rate.
func TestSparseFlowCrossesABusyLink(t *testing.T) {
	const rate = 250e3 // 2 Mbit/s
	cfgs := []HostConfig{{Up: rate, Latency: 10 * time.Millisecond}}
	for range 5 {
		cfgs = append(cfgs, HostConfig{Latency: 10 * time.Millisecond})
	}
	w := newWorld(t, 1, cfgs...)
	const size = 256 << 10
	const msg = "request 17 bytes."
	var bulkDone []time.Duration
	var sentAt, gotAt time.Duration
	for i := 1; i <= 5; i++ {
		l, _ := w.envs[i].Listen("tcp", ":1")
		w.envs[i].Go("recv", func() {
			c, _ := l.Accept()
			if i == 5 {
				b := make([]byte, len(msg))
				if _, err := io.ReadFull(c, b); err != nil || string(b) != msg {
					t.Errorf("short message: got %q, %v", b, err)
				}
				gotAt = w.s.Now()
				return
			}
			b, _ := io.ReadAll(c)
			if !bytes.Equal(b, pattern(size)) {
				t.Errorf("bulk %d: got %d bytes, not the ones sent", i, len(b))
			}
			bulkDone = append(bulkDone, w.s.Now())
		})
		w.sendFrom(t, 0, i, func(c net.Conn) {
			if i == 5 {
				w.envs[0].Sleep(time.Second) // the bulk uploads are under way
				sentAt = w.s.Now()
				c.Write([]byte(msg))
				return
			}
			c.Write(pattern(size))
		})
	}
	w.run(t)
	if len(bulkDone) != 4 || gotAt == 0 {
		t.Fatalf("%d bulk transfers ended; short message received at %v", len(bulkDone), gotAt)
	}
	// One-way latency 20 ms, plus its own 69 bytes on the wire.
	if d := gotAt - sentAt; d > 25*time.Millisecond {
		t.Errorf("short message took %v to cross a busy uplink, want about 20 ms", d)
	}
	ideal := time.Duration(4 * (size + size/(17<<10)*headerBytes) * int64(time.Second) / rate)
	if last := bulkDone[3]; last < ideal || last > ideal*110/100 {
		t.Errorf("bulk uploads ended at %v, want about %v (the link's rate, the short message's time included)", last, ideal)
	}
}

// TestShortMessageTiming: on idle links a short message arrives after
// exactly its time on the sender's uplink, the path's latency and its time
// on the receiver's downlink, and costs one event (its arrival), not one
// per link crossed; a message right behind it on the same connection is no
// longer sparse and queues behind it, in order.
func TestShortMessageTiming(t *testing.T) {
	const up, down = 250e3, 2e6 // 2 and 16 Mbit/s
	w := newWorld(t, 1, HostConfig{Up: up, Latency: 10 * time.Millisecond}, HostConfig{Down: down, Latency: 5 * time.Millisecond})
	const msg = "request 17 bytes."
	l, _ := w.envs[1].Listen("tcp", ":1")
	var got []time.Duration
	var events []uint64
	w.envs[1].Go("recv", func() {
		c, _ := l.Accept()
		b := make([]byte, len(msg))
		for range 3 {
			if _, err := io.ReadFull(c, b); err != nil || string(b) != msg {
				t.Errorf("got %q, %v", b, err)
				return
			}
			got = append(got, w.s.Now())
			events = append(events, w.s.Events())
		}
	})
	var sentAt time.Duration
	var sentEvents uint64
	w.sendFrom(t, 0, 1, func(c net.Conn) {
		w.envs[0].Sleep(time.Second)
		sentAt, sentEvents = w.s.Now(), w.s.Events()
		c.Write([]byte(msg))
		w.envs[0].Sleep(time.Second)
		c.Write([]byte(msg)) // two at once: the second queues
		c.Write([]byte(msg))
	})
	w.run(t)
	if len(got) != 3 {
		t.Fatalf("received %d messages", len(got))
	}
	tx := func(rate float64) time.Duration {
		return time.Duration(float64(len(msg)+headerBytes) / rate * float64(time.Second))
	}
	want := tx(up) + 15*time.Millisecond + tx(down)
	if d := got[0] - sentAt; d < want-time.Microsecond || d > want+time.Microsecond {
		t.Errorf("a short message on idle links took %v, want %v", d, want)
	}
	// Its arrival, and the receiver's resume.
	if n := events[0] - sentEvents; n > 3 {
		t.Errorf("a short message cost %d events, want at most 3", n)
	}
	second := got[1] - sentAt - time.Second
	if second < want || got[2] <= got[1] {
		t.Errorf("messages sent back to back arrived after %v and %v, want the first after %v and the second later", second, got[2]-sentAt-time.Second, want)
	}
}

// TestFullBacklogDropsSYN: a listener whose backlog is full drops new SYNs,
// as Linux does, instead of refusing them; the client resends after 1 s,
// then 2 s more, and connects once the server has accepted from the queue.
func TestFullBacklogDropsSYN(t *testing.T) {
	w := newWorld(t, 1, HostConfig{Latency: 10 * time.Millisecond}, HostConfig{Latency: 15 * time.Millisecond})
	e := w.envs[0]
	l, err := w.envs[1].Listen("tcp", ":7")
	if err != nil {
		t.Fatal(err)
	}
	addr := w.hosts[1].Addr().String() + ":7"
	var failed int
	for range DefaultBacklog {
		e.Go("filler", func() {
			if _, err := e.Dial("tcp", addr, 0); err != nil {
				failed++
			}
		})
	}
	var lastErr error
	var lastAt time.Duration
	e.Go("one too many", func() {
		_, lastErr = e.Dial("tcp", addr, 10*time.Second)
		lastAt = w.s.Now()
	})
	w.envs[1].Go("slow server", func() {
		w.envs[1].Sleep(2 * time.Second)
		for range DefaultBacklog + 1 {
			if _, err := l.Accept(); err != nil {
				t.Error(err)
				return
			}
		}
		l.Close()
	})
	w.run(t)
	if failed != 0 {
		t.Fatalf("%d of the first %d dials failed", failed, DefaultBacklog)
	}
	// Sent at 0 and 1 s (dropped: the queue is full until 2 s), then at 3 s.
	if lastErr != nil || lastAt != 3*time.Second+50*time.Millisecond {
		t.Errorf("dial beyond the backlog: %v at %v, want a connection at 3.05s", lastErr, lastAt)
	}
	if n := w.hosts[1].Stats.SYNsDropped; n != 2 {
		t.Errorf("%d SYNs dropped, want 2", n)
	}
}
