package swarm

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/models/checker"
	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/sim/scenario"
)

// mixedScenario has bttls peers under prefer and require, legacy (MSE)
// peers, and an attacker on a third of the paths that answers every TLS
// ClientHello with a fake legacy reply from the start.
func mixedScenario(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("mixed-trace.toml", []byte(`
duration = "2m"
[torrent]
size = "256KiB"
piece_size = "32KiB"
[swarm]
peers = 16
max_conns = 20
[[class]]
fraction = 1.0
up = "10Mbit"
down = "50Mbit"
latency = "15ms"
[[mix]]
transport = "tls-basic"
policy = "prefer"
fraction = 0.4
[[mix]]
transport = "tls-basic"
policy = "require"
fraction = 0.3
[[mix]]
transport = "legacy"
fraction = 0.3
[attacker]
fraction = 0.3
action = "fake-legacy"
start_s = 0.0
`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// recordTrace runs the mixed scenario with the negotiation trace on and
// returns the trace's lines; the run must be the same as without it.
func recordTrace(t *testing.T) []string {
	t.Helper()
	var buf bytes.Buffer
	w := trace.NewWriter(&buf)
	res, err := Run(mixedScenario(t), Options{Trace: w, Watchdog: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	off, err := Run(mixedScenario(t), Options{Watchdog: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != off.Digest {
		t.Fatalf("tracing changed the run: digest %s with, %s without", res.Digest, off.Digest)
	}
	if res.Middlebox["attacker_flows"] == 0 {
		t.Fatalf("the attacker never acted: %v", res.Middlebox)
	}
	return strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
}

func validate(t *testing.T, lines []string) (int, []*checker.TraceError) {
	t.Helper()
	evs, err := trace.Read(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	md, err := checker.Load("../../models/tla/Negotiation.tla", "")
	if err != nil {
		t.Fatal(err)
	}
	n, errs, err := md.ValidateTrace(evs)
	if err != nil {
		t.Fatal(err)
	}
	return n, errs
}

func TestNegotiationTraceIsABehaviourOfTheSpec(t *testing.T) {
	lines := recordTrace(t)
	n, errs := validate(t, lines)
	for _, e := range errs {
		t.Errorf("%v (possible: %v)", e, e.Possible)
	}
	t.Logf("%d events, %d connections", len(lines), n)

	// The run must exercise what the spec constrains, or the check says
	// little: both policies of bttls peers, legacy peers, the attacker's
	// failures before the handshake, fallbacks and give-ups.
	evs, err := trace.Read(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range evs {
		seen[string(e.Kind)]++
		seen["policy "+e.Policy]++
		if e.Policy == "require" && (e.Kind == trace.Fallback || e.Kind == trace.LegacyAttempt || e.Kind == trace.LegacyOk) {
			t.Errorf("line %d: legacy step %s under require", e.Line, e.Kind)
		}
	}
	for _, k := range []string{"dial", "tls-attempt", "tls-ok", "tls-fail-before", "fallback", "legacy-attempt", "legacy-ok", "give-up", "hint",
		"policy prefer", "policy require", "policy off"} {
		if seen[k] == 0 {
			t.Errorf("no %q event in the trace: %v", k, seen)
		}
	}
	if n < 50 {
		t.Errorf("only %d connections traced", n)
	}
}

func TestCorruptedNegotiationTraceIsRejected(t *testing.T) {
	lines := recordTrace(t)
	evs, err := trace.Read(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	// find returns the index (in lines) of the first event matching ok,
	// and its 1-based position within its connection.
	find := func(ok func(trace.Event) bool) (int, int) {
		pos := map[string]int{}
		for i, e := range evs {
			pos[e.Conn]++
			if ok(e) {
				return i, pos[e.Conn]
			}
		}
		t.Fatal("no such event in the trace")
		return 0, 0
	}

	cases := []struct {
		name string
		// corrupt returns the corrupted lines and the line number (1-based)
		// and in-connection index of the first offending event.
		corrupt func() ([]string, int, int, string)
	}{
		{"fallback after tls-ok under prefer", func() ([]string, int, int, string) {
			i, pos := find(func(e trace.Event) bool { return e.Policy == "prefer" && e.Kind == trace.TLSOk })
			bad := strings.Replace(lines[i], `"kind":"tls-ok"`, `"kind":"fallback"`, 1)
			out := append(append(append([]string(nil), lines[:i+1]...), bad), lines[i+1:]...)
			return out, i + 2, pos + 1, evs[i].Conn
		}},
		{"legacy-ok under require", func() ([]string, int, int, string) {
			i, pos := find(func(e trace.Event) bool { return e.Policy == "require" && e.Kind == trace.TLSOk })
			out := append([]string(nil), lines...)
			out[i] = strings.Replace(out[i], `"kind":"tls-ok"`, `"kind":"legacy-ok"`, 1)
			return out, i + 1, pos, evs[i].Conn
		}},
		{"give-up instead of fallback under prefer", func() ([]string, int, int, string) {
			i, pos := find(func(e trace.Event) bool { return e.Kind == trace.Fallback })
			out := append([]string(nil), lines...)
			out[i] = strings.Replace(out[i], `"kind":"fallback"`, `"kind":"give-up"`, 1)
			return out, i + 1, pos, evs[i].Conn
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad, line, index, conn := c.corrupt()
			_, errs := validate(t, bad)
			if len(errs) != 1 {
				t.Fatalf("want exactly one rejected connection, got %d: %v", len(errs), errs)
			}
			e := errs[0]
			if e.Conn != conn || e.Line != line || e.Index != index {
				t.Fatalf("rejected at %v; want connection %s, line %d, event %d", e, conn, line, index)
			}
			t.Log(e)
		})
	}
}
