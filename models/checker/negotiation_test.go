package checker

import (
	"bytes"
	"strings"
	"testing"
)

func runNegotiation(t *testing.T, cfg string, workers int) (*Model, *Result, string) {
	t.Helper()
	md, err := Load("../tla/Negotiation.tla", "../tla/"+cfg+".cfg")
	if err != nil {
		t.Fatal(err)
	}
	r := md.Check(Options{Workers: workers})
	var buf bytes.Buffer
	md.WriteReport(&buf, r)
	return md, r, buf.String()
}

// The BEP's rules satisfy every invariant and both liveness properties,
// with the same counts whatever the number of workers.
func TestNegotiationHolds(t *testing.T) {
	_, r1, out1 := runNegotiation(t, "Negotiation", 1)
	if r1.Violation != nil {
		t.Fatalf("Negotiation.cfg must hold:\n%s", out1)
	}
	if r1.Distinct < 1000 {
		t.Fatalf("suspiciously small state space: %d distinct states", r1.Distinct)
	}
	_, r2, out2 := runNegotiation(t, "Negotiation", 2)
	if out1 != out2 {
		t.Fatalf("counts depend on workers:\n%s\nvs\n%s", out1, out2)
	}
	t.Logf("Negotiation.cfg: %d generated, %d distinct, depth %d", r2.Generated, r2.Distinct, r2.Depth)
}

// Each known-bad rule is refuted with the expected counterexample.
func TestNegotiationBadRules(t *testing.T) {
	cases := []struct {
		cfg, invariant string
		check          func(last []Value, md *Model) bool
	}{
		// pin on a hint: an honest legacy peer is given up on
		{"NegotiationBad", "LegacyPeerReachable", func(last []Value, md *Model) bool {
			return val(md, last, "remoteTLS") == "FALSE" && val(md, last, "attacker") == "FALSE" &&
				val(md, last, "conn") == `"closed"` && val(md, last, "pin") == "TRUE"
		}},
		// fallback without looking at the pin: a pinned peer downgraded
		{"NegotiationBadFallback", "NoDowngrade", func(last []Value, md *Model) bool {
			return val(md, last, "pin") == "TRUE" && strings.Contains(val(md, last, "conn"), "legacy")
		}},
		// fallback after the handshake completed
		{"NegotiationBadAfter", "NoFallbackAfterHandshake", func(last []Value, md *Model) bool {
			return val(md, last, "failedAfter") == "TRUE" && val(md, last, "ev") == `"fallback"`
		}},
	}
	for _, c := range cases {
		md, r, out := runNegotiation(t, c.cfg, 2)
		v := r.Violation
		if v == nil || v.Kind != "invariant" || v.Name != c.invariant {
			t.Errorf("%s: want %s violated:\n%s", c.cfg, c.invariant, out)
			continue
		}
		if !c.check(v.Trace[len(v.Trace)-1].State, md) {
			t.Errorf("%s: counterexample does not end where expected:\n%s", c.cfg, out)
		}
		_, _, out1 := runNegotiation(t, c.cfg, 1)
		if out1 != out {
			t.Errorf("%s: report depends on workers", c.cfg)
		}
	}
}

func TestNegotiationLivenessNeedsFairness(t *testing.T) {
	_, r, out := runNegotiation(t, "NegotiationUnfair", 2)
	if r.Violation == nil || r.Violation.Kind != "property" || r.Violation.Name != "TLSLiveness" {
		t.Fatalf("TLSLiveness must fail without fairness:\n%s", out)
	}
}

func val(md *Model, st []Value, name string) string {
	return Format(st[md.varIdx[name]])
}
