//go:debug cryptocustomrand=1
package pairs

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func run(t *testing.T, body string, seed uint64) *Result {
	t.Helper()
	c, err := Parse("t.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const base = `
[pairs]
clients = 10
servers = 10
per_client = 2
rounds = 2
measure_from = 1
`

func TestNoAdversaryAllTLS(t *testing.T) {
	r := run(t, base, 1)
	if r.Conns != 20 || r.TLS != 20 || r.Failed != 0 || r.DialsPerConn != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestPinningTurnsDowngradesIntoFailures(t *testing.T) {
	attack := "[attacker]\nfraction = 1.0\naction = \"fake-legacy\"\nstart_s = 10\n"
	pinned := run(t, base+attack, 1)
	unpinned := run(t, strings.Replace(base, "[pairs]", "[pairs]\npinning = false", 1)+attack, 1)
	if pinned.Downgraded != 0 || pinned.Failed != 20 {
		t.Errorf("with pins: %+v, want every attacked reconnect to fail, none downgraded", pinned)
	}
	if unpinned.Downgraded != 20 || unpinned.Failed != 0 || unpinned.DialsPerConn != 2 {
		t.Errorf("without pins: %+v, want every reconnect downgraded after a failed TLS dial", unpinned)
	}
}

func TestHintsSaveTheFailedTLSAttempt(t *testing.T) {
	legacy := strings.Replace(base, "[pairs]", "[pairs]\nlegacy_fraction = 0.5\nmeasure_from = 0\nrounds = 1", 1)
	legacy = strings.Replace(legacy, "rounds = 2\nmeasure_from = 1\n", "", 1)
	with := run(t, legacy, 2)
	without := run(t, strings.Replace(legacy, "[pairs]", "[pairs]\nhints = false", 1), 2)
	if with.Failed != 0 || without.Failed != 0 || with.LegacyOK == 0 || with.LegacyOK != without.LegacyOK {
		t.Fatalf("with %+v without %+v", with, without)
	}
	// Without hints every legacy server costs a TLS attempt first.
	wantDials := float64(with.Conns+with.LegacyOK) / float64(with.Conns)
	if with.DialsPerConn != 1 || math.Abs(without.DialsPerConn-wantDials) > 1e-9 || without.SetupMeanS <= with.SetupMeanS {
		t.Errorf("dials/conn %v vs %v (want 1 and %v), setup %v vs %v s", with.DialsPerConn, without.DialsPerConn, wantDials, with.SetupMeanS, without.SetupMeanS)
	}
}

func TestDeterministic(t *testing.T) {
	body := base + "[attacker]\nfraction = 0.5\n"
	a, b := run(t, body, 5), run(t, body, 5)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different results:\n%+v\n%+v", a, b)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ body, err string }{
		{"[pairs]\nclients = 0\nservers = 1", "pairs.clients"},
		{"[pairs]\nclients = 1\nservers = 1\nper_client = 2", "per_client"},
		{"[pairs]\nclients = 1\nservers = 1\nrounds = 2\nmeasure_from = 2", "measure_from"},
		{"[pairs]\nclients = 1\nservers = 1\npolicy = \"maybe\"", "pairs.policy"},
		{"[pairs]\nclients = 1\nservers = 1\nlegacy_fraction = 2.0", "legacy_fraction"},
		{"[pairs]\nclients = 1\nservers = 1\nbogus = 1", "unknown key pairs.bogus"},
		{"[pairs]\nclients = 1\nservers = 1\n[attacker]\nfraction = 2.0", "attacker.fraction"},
		{"[pairs\n", "t.toml"},
		{"name = \"x\"", "exactly one of"},
		{"[pairs]\nclients = 1\nservers = 1\n[join]\nmembers = 1", "exactly one of"},
		{"[join]\nmembers = 0", "join.members"},
		{"[join]\nmembers = 1\nrenew_at = 1.0", "join.renew_at"},
		{"[join]\nmembers = 1\nvalidity_s = 10.0", "join.validity_s"},
	} {
		if _, err := Parse("t.toml", []byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Parse(%q) = %v, want %q", tt.body, err, tt.err)
		}
	}
}

const joinBase = `
[join]
members = 6
window_s = 30
validity_s = 600
renew_at = 0.5
retry_s = 10
deadline_s = 60
duration_s = 900
`

func runJoin(t *testing.T, body string, seed uint64) *JoinResult {
	t.Helper()
	c, err := Parse("j.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r, err := RunJoin(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestJoinWithoutOutage(t *testing.T) {
	r := runJoin(t, joinBase, 1)
	// Each member joins at once, then renews every 300 s until 900 s.
	if r.Joined != 6 || r.JoinFailed != 0 || r.Lost != 0 || r.FailedRequests != 0 || r.Requests < 6*2 {
		t.Fatalf("%+v", r)
	}
	if r.JoinTimeMeanS <= 0 || r.JoinTimeMeanS > 1 {
		t.Errorf("join took %v s on a 20 ms network", r.JoinTimeMeanS)
	}
}

func TestJoinUnderOutage(t *testing.T) {
	// The issuer is down from 10 s to 130 s: members arriving in that
	// window wait for it past their 60 s deadline; and from 200 s for 500 s
	// — longer than the rest of a 600 s certificate renewed at 300 s —
	// every member's certificate expires before it can renew.
	join := runJoin(t, joinBase+"[outage]\nhost = \"tracker\"\nstart_s = 10.0\nlength_s = 120.0\n", 1)
	if join.JoinFailed == 0 || join.Joined == 0 || join.FailedRequests == 0 {
		t.Errorf("join outage: %+v, want some members late", join)
	}
	renew := runJoin(t, joinBase+"[outage]\nhost = \"tracker\"\nstart_s = 200.0\nlength_s = 500.0\n", 1)
	if renew.Lost == 0 || renew.UncertifiedMeanS <= 0 {
		t.Errorf("renewal outage: %+v, want certificates lost", renew)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(base)
	f.Add("[pairs]\nclients = 1\nservers = 1\n[censor]\nkind = \"fet\"\naction = \"block\"")
	f.Fuzz(func(t *testing.T, body string) {
		c, err := Parse("f.toml", []byte(body))
		if err != nil {
			return
		}
		if c.Join != nil {
			if c.Join.Members < 1 || c.Join.RenewAt <= 0 || c.Join.RenewAt >= 1 {
				t.Fatalf("Parse accepted %+v", c.Join)
			}
			return
		}
		if c.Pairs.Clients < 1 || c.Pairs.PerClient > c.Pairs.Servers || c.Pairs.MeasureFrom >= c.Pairs.Rounds {
			t.Fatalf("Parse accepted %+v", c.Pairs)
		}
	})
}
