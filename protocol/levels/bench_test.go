package levels

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
)

// benchMode is one transport under test: a torrent the server serves and
// the client's view of it.
type benchMode struct {
	name        string
	served, cli *transport.Torrent
	plain       bool // legacy = plaintext BEP 3
	policy      negotiate.Policy
}

func benchModes(b *testing.B) []benchMode {
	basic := torrent("bench-basic")
	m, _ := strictTorrent(b)
	ssec, err := SecurityFor(m, nil)
	if err != nil {
		b.Fatal(err)
	}
	strictT := &transport.Torrent{InfoHash: m.InfoHash, Name: m.Name, Security: ssec}
	p := newSwarmPKI(b)
	fs := fullStrictTorrent(b, p, []int{1, 2})
	fsSrv, err := SecurityFor(fs, p.identity(b))
	if err != nil {
		b.Fatal(err)
	}
	fsCli, _ := SecurityFor(fs, p.identity(b))
	fsServed := &transport.Torrent{InfoHash: fs.InfoHash, Name: fs.Name, Security: fsSrv}
	fsC := &transport.Torrent{InfoHash: fs.InfoHash, Name: fs.Name, Security: fsCli}
	return []benchMode{
		{name: "plain", served: basic, cli: basic, plain: true, policy: negotiate.Off},
		{name: "mse", served: basic, cli: basic, policy: negotiate.Off},
		{name: "basic", served: basic, cli: basic, policy: negotiate.Require},
		{name: "strict", served: strictT, cli: strictT, policy: negotiate.Require},
		{name: "fullstrict1", served: fsServed, cli: fsC, policy: negotiate.Require},
		{name: "fullstrict2", served: fsServed, cli: &transport.Torrent{InfoHash: fs.InfoHash, Name: fs.Name, Security: fsCli}, policy: negotiate.Require},
	}
}

// countingEnv is the OS whose dialled conns count round trips: a read that
// returns data after we wrote is one round trip (plus one for TCP connect).
type countingEnv struct {
	env.OS
	rtts atomic.Int64
}

type countingConn struct {
	net.Conn
	e     *countingEnv
	wrote bool
}

func (c *countingConn) Write(p []byte) (int, error) { c.wrote = true; return c.Conn.Write(p) }
func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.wrote {
		c.e.rtts.Add(1)
		c.wrote = false
	}
	return n, err
}

func (e *countingEnv) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	c, err := e.OS.Dial(network, addr, timeout)
	if err != nil {
		return nil, err
	}
	e.rtts.Add(1) // the TCP handshake
	return &countingConn{Conn: c, e: e}, nil
}

// pairFor connects a client and a server transport over loopback for mode.
func pairFor(b *testing.B, m benchMode, e env.Env, hint transport.Hint, curves []tls.CurveID) (*transport.Conn, *transport.Conn) {
	srv, _ := New(env.OS{}, Config{Policy: negotiate.Prefer, Curves: curves})
	cli, _ := New(env.OS{}, Config{Policy: m.policy, LegacyPlain: m.plain, Curves: curves})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   *transport.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- res{nil, err}
			return
		}
		tc, err := srv.Accept(env.OS{}, c, registry{m.served}, 5*time.Second)
		ch <- res{tc, err}
	}()
	c, err := cli.Connect(e, ln.Addr().String(), m.cli, hint, 5*time.Second)
	if err != nil {
		b.Fatalf("%s: %v", m.name, err)
	}
	if m.plain {
		// The acceptor reads the plaintext handshake up to the infohash.
		hs := append([]byte("\x13BitTorrent protocol"), make([]byte, 8)...)
		c.Write(append(hs, m.served.InfoHash[:]...))
	}
	r := <-ch
	if r.err != nil {
		b.Fatalf("%s: accept: %v", m.name, r.err)
	}
	if m.plain {
		io.ReadFull(r.c, make([]byte, 48))
	}
	return c, r.c
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// transfer sends size bytes from w to r in 64 KiB writes, optionally paced
// by a limiter at each end.
func transfer(w, r net.Conn, size int64, limit *pacer) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 64<<10)
		for left := size; left > 0; {
			n := min(int64(len(buf)), left)
			limit.take(int(n))
			w.Write(buf[:n])
			left -= n
		}
	}()
	buf := make([]byte, 64<<10)
	for got := int64(0); got < size; {
		n, err := r.Read(buf)
		if err != nil {
			panic(err)
		}
		limit.take2(n)
		got += int64(n)
	}
	wg.Wait()
}

// pacer is a token bucket per direction end (sender and receiver), so both
// ends are limited, as a rate-limited client's upload and download.
type pacer struct {
	rate        float64 // bytes per second; 0: unlimited
	start       time.Time
	sent, recvd int64
}

func (p *pacer) take(n int) {
	if p == nil || p.rate == 0 {
		return
	}
	p.sent += int64(n)
	p.wait(p.sent)
}

func (p *pacer) take2(n int) {
	if p == nil || p.rate == 0 {
		return
	}
	p.recvd += int64(n)
	p.wait(p.recvd)
}

func (p *pacer) wait(total int64) {
	due := p.start.Add(time.Duration(float64(total) / p.rate * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}

// BenchmarkThroughput moves 256 MiB per iteration through each transport
// over loopback, CPU-bound, both ends in this process, and reports for each
// MB/s and CPU seconds per GiB (both ends' CPU), and the basic/mse ratio
// (target ≥ 2).
func BenchmarkThroughput(b *testing.B) {
	const size = 256 << 20
	modes := benchModes(b)
	type result struct {
		mbps, cpuPerGiB float64
	}
	res := map[string]result{}
	b.SetBytes(size * int64(len(modes)))
	b.ResetTimer()
	for range b.N {
		for _, m := range modes {
			c, s := pairFor(b, m, env.OS{}, transport.Hint{TLS: true}, nil)
			cpu0, t0 := cpuTime(), time.Now()
			transfer(c, s, size, nil)
			wall, cpu := time.Since(t0), cpuTime()-cpu0
			c.Close()
			s.Close()
			r := res[m.name]
			r.mbps += float64(size) / wall.Seconds() / 1e6 / float64(b.N)
			r.cpuPerGiB += cpu.Seconds() / (float64(size) / (1 << 30)) / float64(b.N)
			res[m.name] = r
		}
	}
	b.StopTimer()
	for _, m := range modes {
		b.ReportMetric(res[m.name].mbps, m.name+"-MB/s")
		b.ReportMetric(res[m.name].cpuPerGiB, m.name+"-cpu-s/GiB")
	}
	b.ReportMetric(res["basic"].mbps/res["mse"].mbps, "basic/mse")
	b.ReportMetric(res["basic"].mbps/res["plain"].mbps, "basic/plain")
}

// BenchmarkRateLimited limits both ends to 20 MB/s and moves 40 MB over
// plaintext and Basic; basic/plain is the throughput ratio (target ≥ 0.98).
func BenchmarkRateLimited(b *testing.B) {
	const size = 40e6
	modes := benchModes(b)
	var plainT, basicT time.Duration
	b.ResetTimer()
	for range b.N {
		for _, m := range []benchMode{modes[0], modes[2]} {
			c, s := pairFor(b, m, env.OS{}, transport.Hint{TLS: true}, nil)
			t0 := time.Now()
			transfer(c, s, size, &pacer{rate: 20e6, start: t0})
			d := time.Since(t0)
			c.Close()
			s.Close()
			if m.name == "plain" {
				plainT += d
			} else {
				basicT += d
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(size*float64(b.N)/plainT.Seconds()/1e6, "plain-MB/s")
	b.ReportMetric(size*float64(b.N)/basicT.Seconds()/1e6, "basic-MB/s")
	b.ReportMetric(plainT.Seconds()/basicT.Seconds(), "basic/plain")
}

// BenchmarkSetup measures, per transport, the time from TCP connect until
// both ends are ready for the BEP 3 handshake over loopback, and the round
// trips the initiator waited for (TCP connect included). Key exchange:
// X25519MLKEM768 (hybrid, the real peer's default) and X25519 alone.
func BenchmarkSetup(b *testing.B) {
	for _, kex := range []struct {
		name   string
		curves []tls.CurveID
	}{{"hybrid", nil}, {"x25519", []tls.CurveID{tls.X25519}}} {
		b.Run(kex.name, func(b *testing.B) {
			modes := benchModes(b)
			times := map[string]time.Duration{}
			rtts := map[string]int64{}
			b.ResetTimer()
			for range b.N {
				for _, m := range modes {
					e := &countingEnv{}
					t0 := time.Now()
					c, s := pairFor(b, m, e, transport.Hint{TLS: true}, kex.curves)
					times[m.name] += time.Since(t0)
					rtts[m.name] += e.rtts.Load()
					c.Close()
					s.Close()
				}
			}
			b.StopTimer()
			for _, m := range modes {
				b.ReportMetric(float64(times[m.name].Microseconds())/float64(b.N), m.name+"-µs")
				b.ReportMetric(float64(rtts[m.name])/float64(b.N), m.name+"-rtts")
			}
			b.ReportMetric(times["basic"].Seconds()/times["mse"].Seconds(), "basic/mse-time")
		})
	}
}

// BenchmarkPreferCost measures what policy prefer costs against a legacy
// (MSE-only) peer that answers a ClientHello with MSE Yb, as libtorrent and
// transmission do: connect time with no hint (an optimistic TLS attempt,
// then a reconnect) against a legacy hint (MSE at once).
func BenchmarkPreferCost(b *testing.B) {
	tor := torrent("legacy-bench")
	var attempts atomic.Int32
	addr := legacyPeer(b, tor.InfoHash, &attempts)
	cli, _ := New(env.OS{}, Config{Policy: negotiate.Prefer})
	var noHint, hinted time.Duration
	b.ResetTimer()
	for range b.N {
		for _, h := range []transport.Hint{{}, {Legacy: true}} {
			t0 := time.Now()
			c, err := cli.Connect(env.OS{}, addr, tor, h, 5*time.Second)
			if err != nil || c.Kind != transport.MSE {
				b.Fatalf("prefer against legacy: %v", err)
			}
			d := time.Since(t0)
			c.Close()
			if h.Legacy {
				hinted += d
			} else {
				noHint += d
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(hinted.Microseconds())/float64(b.N), "hinted-µs")
	b.ReportMetric(float64(noHint.Microseconds())/float64(b.N), "nohint-µs")
	b.ReportMetric(float64((noHint-hinted).Microseconds())/float64(b.N), "extra-µs")
}
