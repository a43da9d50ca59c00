package middlebox

import (
	"bytes"
	"crypto/sha256"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/netmodel"
)

type clock struct{ t time.Duration }

func (c *clock) Now() time.Duration { return c.t }

func random(n int, salt byte) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		s := sha256.Sum256([]byte{salt, byte(i)})
		out = append(out, s[:]...)
	}
	return out[:n]
}

var (
	clientHello = append([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01}, random(250, 1)...)
	serverHello = append([]byte{0x16, 0x03, 0x03, 0x00, 0x7a, 0x02}, random(600, 2)...)
	mseYa       = random(96+37, 3)
	btHandshake = append(append([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x05"),
		random(20, 4)...), "-TR3000-a1b2c3d4e5f6"...)
)

func flow(id uint64, client, server string) *netmodel.Flow {
	return &netmodel.Flow{ID: id,
		Client: netip.MustParseAddrPort(client + ":50000"), Server: netip.MustParseAddrPort(server + ":6881")}
}

func data(f *netmodel.Flow, dir netmodel.Dir, off int64, b []byte) *netmodel.Packet {
	return &netmodel.Packet{Flow: f, Dir: dir, Kind: netmodel.Data, Offset: off, Data: b}
}

func build(t *testing.T, c Config, seed uint64, clk *clock) (netmodel.Middlebox, *Stats) {
	t.Helper()
	m, st, err := New(c, Env{Clock: clk, Seed: seed, Resolve: func(name string) (netip.Addr, bool) {
		if name == "tracker" {
			return netip.MustParseAddr("10.0.0.1"), true
		}
		return netip.Addr{}, false
	}})
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

func TestCensorRules(t *testing.T) {
	tests := []struct {
		kind  string
		first []byte
		flag  bool
	}{
		{"signature", btHandshake, true},
		{"signature", mseYa, false},
		{"signature", clientHello, false},
		{"fet", btHandshake, false}, // exempt: low popcount, half printable
		{"fet", mseYa, true},        // random: no exemption
		{"fet", clientHello, false}, // exempt: TLS fingerprint
		{"both", btHandshake, true},
		{"both", mseYa, true},
		{"both", clientHello, false},
		{"none", btHandshake, false},
	}
	for _, tt := range tests {
		if got := Flags(tt.kind, netmodel.ClientToServer, tt.first); got != tt.flag {
			t.Errorf("Flags(%s, %.8q) = %v, want %v", tt.kind, tt.first, got, tt.flag)
		}
	}
	// The fully-encrypted rule looks at the client's payload only.
	if Flags("fet", netmodel.ServerToClient, mseYa) {
		t.Error("fet flagged a server's first payload")
	}
}

func TestCensorActions(t *testing.T) {
	for _, action := range []string{"block", "reset", "throttle"} {
		clk := &clock{}
		m, st := build(t, Config{Censor: CensorConfig{Kind: "fet", Action: action, ThrottleBps: 1000}}, 1, clk)
		f := flow(1, "10.0.0.2", "10.0.0.3")
		if v := m.Inspect(&netmodel.Packet{Flow: f, Kind: netmodel.SYN}); !pass(v) {
			t.Errorf("%s: SYN got %+v before any payload", action, v)
		}
		v1 := m.Inspect(data(f, netmodel.ClientToServer, 0, mseYa))
		v2 := m.Inspect(data(f, netmodel.ServerToClient, 0, random(500, 9)))
		switch action {
		case "block":
			if !v1.Drop || !v2.Drop {
				t.Errorf("block: %+v %+v, want both dropped", v1, v2)
			}
		case "reset":
			if !v1.Reset || !v2.Reset {
				t.Errorf("reset: %+v %+v", v1, v2)
			}
		case "throttle":
			// 133 bytes at 1000 B/s: 133 ms; then the other direction has its own budget.
			if v1.Delay != 133*time.Millisecond || v2.Delay != 500*time.Millisecond || v1.Drop || v2.Drop {
				t.Errorf("throttle: %+v %+v", v1, v2)
			}
			clk.t = 100 * time.Millisecond
			if v := m.Inspect(data(f, netmodel.ClientToServer, 133, make([]byte, 100))); v.Delay != 133*time.Millisecond {
				t.Errorf("throttle: second packet delayed %v, want it to wait for the first (133ms)", v.Delay)
			}
		}
		if st.CensorFlagged != 1 || st.CensorActed != 1 {
			t.Errorf("%s: stats %+v", action, st)
		}
		// A TLS flow passes untouched.
		g := flow(2, "10.0.0.2", "10.0.0.3")
		if v := m.Inspect(data(g, netmodel.ClientToServer, 0, clientHello)); !pass(v) {
			t.Errorf("%s: TLS flow got %+v", action, v)
		}
	}
}

func TestCensorRate(t *testing.T) {
	clk := &clock{}
	m, st := build(t, Config{Censor: CensorConfig{Kind: "fet", Action: "block", Rate: 0.26}}, 7, clk)
	const n = 4000
	for id := range uint64(n) {
		m.Inspect(data(flow(id, "10.0.0.2", "10.0.0.3"), netmodel.ClientToServer, 0, mseYa))
	}
	got := float64(st.CensorActed) / n
	if st.CensorFlagged != n || math.Abs(got-0.26) > 0.03 {
		t.Errorf("flagged %d, acted on %.3f of them, want ≈ 0.26", st.CensorFlagged, got)
	}
}

func TestAttacker(t *testing.T) {
	const seed = 42
	for _, action := range []string{"fake-legacy", "reset", "blackhole"} {
		clk := &clock{}
		m, st := build(t, Config{Attacker: AttackerConfig{Fraction: 1, Action: action}}, seed, clk)
		f := flow(1, "10.0.0.2", "10.0.0.3")
		v1 := m.Inspect(data(f, netmodel.ClientToServer, 0, clientHello))
		v2 := m.Inspect(data(f, netmodel.ServerToClient, 0, serverHello))
		v3 := m.Inspect(data(f, netmodel.ServerToClient, int64(len(serverHello)), serverHello))
		switch action {
		case "fake-legacy":
			if !pass(v1) {
				t.Errorf("fake-legacy touched the ClientHello: %+v", v1)
			}
			if len(v2.Rewrite) != len(serverHello) || bytes.Equal(v2.Rewrite, serverHello) || v2.Rewrite[0] == 0x16 {
				t.Errorf("fake-legacy: the server's first flight was not replaced by non-TLS bytes: %x", v2.Rewrite[:8])
			}
			if !v3.Drop {
				t.Errorf("fake-legacy: later server bytes got %+v, want dropped", v3)
			}
		case "reset":
			if !v1.Reset || !v2.Reset {
				t.Errorf("reset: %+v %+v", v1, v2)
			}
		case "blackhole":
			if !v1.Drop || !v2.Drop || !v3.Drop {
				t.Errorf("blackhole: %+v %+v %+v", v1, v2, v3)
			}
		}
		// Legacy flows cross the same path untouched.
		for i, first := range [][]byte{mseYa, btHandshake} {
			g := flow(uint64(10+i), "10.0.0.3", "10.0.0.2")
			if v := m.Inspect(data(g, netmodel.ClientToServer, 0, first)); !pass(v) {
				t.Errorf("%s: legacy flow got %+v", action, v)
			}
			if v := m.Inspect(data(g, netmodel.ServerToClient, 0, mseYa)); !pass(v) {
				t.Errorf("%s: legacy reply got %+v", action, v)
			}
		}
		if st.AttackerPaths != 1 || st.AttackerFlows != 1 {
			t.Errorf("%s: stats %+v, want one path, one flow", action, st)
		}
	}
}

func TestAttackerPathsFromSeed(t *testing.T) {
	var hosts []netip.Addr
	for i := range 100 {
		hosts = append(hosts, netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}))
	}
	count := func(seed uint64, frac float64) (n int, picked []bool) {
		for i, a := range hosts {
			for _, b := range hosts[i+1:] {
				on := OnPath(seed, frac, a, b)
				if on != OnPath(seed, frac, b, a) {
					t.Fatalf("path %v–%v is attacked one way only", a, b)
				}
				picked = append(picked, on)
				if on {
					n++
				}
			}
		}
		return n, picked
	}
	pairs := 100 * 99 / 2
	n, p1 := count(1, 0.3)
	if math.Abs(float64(n)/float64(pairs)-0.3) > 0.03 {
		t.Errorf("fraction 0.3 picked %d of %d paths", n, pairs)
	}
	_, again := count(1, 0.3)
	_, other := count(2, 0.3)
	if !equalBools(p1, again) || equalBools(p1, other) {
		t.Error("path choice must be a function of the seed: same seed same paths, other seed other paths")
	}
	// A stronger attacker holds every path a weaker one holds (same seed),
	// so sweeping the fraction changes one thing only.
	_, p5 := count(1, 0.5)
	for i := range p1 {
		if p1[i] && !p5[i] {
			t.Fatal("fraction 0.5 misses a path fraction 0.3 attacks")
		}
	}
	if n, _ := count(1, 0); n != 0 {
		t.Error("fraction 0 attacked a path")
	}
}

// pass reports whether v forwards the packet untouched.
func pass(v netmodel.Verdict) bool {
	return !v.Drop && !v.Reset && v.Delay == 0 && v.Rewrite == nil
}

func equalBools(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestOutage(t *testing.T) {
	for _, mode := range []string{"refuse", "blackhole"} {
		clk := &clock{}
		m, st := build(t, Config{Outage: OutageConfig{Host: "tracker", StartS: 10, LengthS: 5, Mode: mode}}, 1, clk)
		toTracker := flow(1, "10.0.0.2", "10.0.0.1")
		elsewhere := flow(2, "10.0.0.2", "10.0.0.3")
		syn := func(f *netmodel.Flow) netmodel.Verdict {
			return m.Inspect(&netmodel.Packet{Flow: f, Kind: netmodel.SYN})
		}
		for _, at := range []time.Duration{0, 9999 * time.Millisecond, 15 * time.Second} {
			clk.t = at
			if v := syn(toTracker); !pass(v) {
				t.Errorf("%s at %v (up): %+v", mode, at, v)
			}
		}
		for _, at := range []time.Duration{10 * time.Second, 14999 * time.Millisecond} {
			clk.t = at
			v := syn(toTracker)
			if mode == "refuse" && !v.Reset || mode == "blackhole" && !v.Drop {
				t.Errorf("%s at %v (down): %+v", mode, at, v)
			}
			if v := syn(elsewhere); !pass(v) {
				t.Errorf("%s: another host was hit: %+v", mode, v)
			}
		}
		if st.OutageHits != 2 {
			t.Errorf("%s: %d hits, want 2", mode, st.OutageHits)
		}
	}
}

func TestChain(t *testing.T) {
	clk := &clock{}
	// Censor (fet, block) and attacker together: the censor lets TLS
	// through, the attacker then rewrites the server's reply; MSE is blocked.
	m, _ := build(t, Config{
		Censor:   CensorConfig{Kind: "fet", Action: "block"},
		Attacker: AttackerConfig{Fraction: 1},
	}, 3, clk)
	f := flow(1, "10.0.0.2", "10.0.0.3")
	if v := m.Inspect(data(f, netmodel.ClientToServer, 0, clientHello)); !pass(v) {
		t.Errorf("ClientHello: %+v", v)
	}
	if v := m.Inspect(data(f, netmodel.ServerToClient, 0, serverHello)); v.Rewrite == nil {
		t.Errorf("server flight: %+v, want rewritten", v)
	}
	g := flow(2, "10.0.0.2", "10.0.0.3")
	if v := m.Inspect(data(g, netmodel.ClientToServer, 0, mseYa)); !v.Drop {
		t.Errorf("MSE under a fet censor: %+v, want dropped", v)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		c   Config
		err string
	}{
		{Config{Censor: CensorConfig{Kind: "ndpi"}}, "censor.kind"},
		{Config{Censor: CensorConfig{Kind: "fet"}}, "censor.action"},
		{Config{Censor: CensorConfig{Kind: "fet", Action: "throttle"}}, "throttle_bps"},
		{Config{Censor: CensorConfig{Kind: "fet", Action: "block", Rate: 2}}, "censor.rate"},
		{Config{Attacker: AttackerConfig{Fraction: -0.1}}, "attacker.fraction"},
		{Config{Attacker: AttackerConfig{Fraction: 0.1, Action: "mitm"}}, "attacker.action"},
		{Config{Attacker: AttackerConfig{Fraction: 0.1, StartS: -1}}, "attacker.start_s"},
		{Config{Outage: OutageConfig{LengthS: 5}}, "outage.host"},
		{Config{Outage: OutageConfig{Host: "x", LengthS: -1}}, ">= 0"},
		{Config{Outage: OutageConfig{Host: "x", LengthS: 1, Mode: "flap"}}, "outage.mode"},
		{Config{Outage: OutageConfig{Host: "nowhere", LengthS: 1}}, "no such host"},
	} {
		_, _, err := New(tt.c, Env{Clock: &clock{}, Seed: 1})
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("New(%+v) = %v, want an error about %s", tt.c, err, tt.err)
		}
	}
	if m, _, err := New(Config{}, Env{}); m != nil || err != nil {
		t.Errorf("empty config: %v %v, want no middlebox", m, err)
	}
}
