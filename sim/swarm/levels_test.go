package swarm

import (
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/sim/scenario"
)

// levelSwarm is a small swarm of a torrent at level, with extra TOML
// after the [[class]] table.
func levelSwarm(t *testing.T, level string, peers int, extra string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("level.toml", []byte(`
duration = "3m"
[torrent]
size = "256KiB"
piece_size = "32KiB"
level = "`+level+`"
[swarm]
peers = `+itoa(peers)+`
max_conns = 20
[[class]]
fraction = 1.0
up = "10Mbit"
down = "50Mbit"
latency = "15ms"
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func runLevel(t *testing.T, sc *scenario.Scenario) *Result {
	t.Helper()
	res, err := Run(sc, Options{Watchdog: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res.WriteSummary(testWriter{t})
	return res
}

const allTLS = "[[mix]]\ntransport = \"tls\"\nfraction = 1.0\n"

// TestStrictAndFullStrictSwarmsComplete runs real TLS at each level: every
// connection is carried by the torrent's level, and nothing else.
func TestStrictAndFullStrictSwarmsComplete(t *testing.T) {
	for _, tc := range []struct{ level, kind string }{
		{"basic", "tls-basic"},
		{"strict", "tls-strict"},
		{"fullstrict", "tls-fullstrict2"},
	} {
		t.Run(tc.level, func(t *testing.T) {
			res := runLevel(t, levelSwarm(t, tc.level, 8, allTLS))
			if res.Completed != 8 {
				t.Fatalf("%d of 8 leechers completed", res.Completed)
			}
			for k, n := range res.BytesByKind {
				if k != tc.kind && n > 0 {
					t.Errorf("%d piece bytes carried by %s in a %s swarm", n, k, tc.level)
				}
			}
			if res.Handshakes["out_"+tc.kind] == 0 || res.BytesByKind[tc.kind] == 0 || res.TLSSetupsPerLeecher == 0 {
				t.Errorf("no %s connections: handshakes %v, bytes %v", tc.kind, res.Handshakes, res.BytesByKind)
			}
			if tc.level == "fullstrict" {
				is := res.Issuer
				if is == nil || is.Certified != 9 || is.Uncertified != 0 || is.Requests != 9 || is.FailedRequests != 0 || is.WaitMean <= 0 {
					t.Errorf("issuance: %+v, want 9 peers certified at the first request", is)
				}
			} else if res.Issuer != nil {
				t.Errorf("a %s swarm reports an issuer: %+v", tc.level, res.Issuer)
			}
		})
	}
}

// TestLegacyPeersCannotJoin: a Strict torrent announces under its secret's
// key and a Full Strict one accepts only certified TLS, so a legacy peer
// holding either torrent never gets a piece, while the bttls peers do.
func TestLegacyPeersCannotJoin(t *testing.T) {
	mix := "[[mix]]\ntransport = \"tls\"\nfraction = 0.75\n[[mix]]\ntransport = \"legacy\"\nfraction = 0.25\n"
	for _, level := range []string{"strict", "fullstrict"} {
		t.Run(level, func(t *testing.T) {
			res := runLevel(t, levelSwarm(t, level, 8, mix))
			if res.NoTLS != 2 {
				t.Fatalf("NoTLS = %d, want the 2 legacy leechers", res.NoTLS)
			}
			for _, p := range res.PeerList {
				switch {
				case p.Seeder:
				case p.Transport == "legacy" && (p.Completed >= 0 || p.Downloaded > 0):
					t.Errorf("legacy peer %d joined the %s swarm: completed %v, %d bytes", p.ID, level, p.Completed, p.Downloaded)
				case p.Transport == "tls" && p.Completed < 0:
					t.Errorf("bttls peer %d did not complete", p.ID)
				}
			}
			if res.BytesByKind["mse"]+res.BytesByKind["plain"] > 0 {
				t.Errorf("piece bytes over a legacy transport: %v", res.BytesByKind)
			}
			var sum strings.Builder
			res.WriteSummary(&sum)
			if !strings.Contains(sum.String(), "2 leechers speak no TLS and cannot join") {
				t.Errorf("the summary does not say the legacy leechers cannot join:\n%s", sum.String())
			}
		})
	}
}

// TestFullStrictIssuerDown: with its issuer down for the whole run, no Full
// Strict peer gets a certificate and nothing completes; a Basic swarm under
// the same outage (the issuer host serves it nothing) completes.
func TestFullStrictIssuerDown(t *testing.T) {
	down := allTLS + "[issuer]\nhost = \"issuer\"\nretry = \"20s\"\n[outage]\nhost = \"issuer\"\nstart_s = 0.0\nlength_s = 3600.0\n"
	res := runLevel(t, levelSwarm(t, "fullstrict", 6, down))
	is := res.Issuer
	if res.Completed != 0 || is == nil || is.Certified != 0 || is.Uncertified != 7 || is.FailedRequests != is.Requests || is.Requests < 7*(180/20) {
		t.Fatalf("issuer down: %d completed, issuance %+v; want none completed, 7 peers without a certificate retrying every 20 s", res.Completed, is)
	}
	if res.Middlebox["outage_hits"] == 0 {
		t.Fatalf("the outage refused nothing: %v", res.Middlebox)
	}
	if basic := runLevel(t, levelSwarm(t, "basic", 6, down)); basic.Completed != 6 {
		t.Fatalf("a Basic swarm with the issuer host down: %d of 6 completed", basic.Completed)
	}
	// Down for the first minute only: everyone gets in after it.
	late := strings.Replace(down, "length_s = 3600.0", "length_s = 60.0", 1)
	res = runLevel(t, levelSwarm(t, "fullstrict", 6, late))
	if res.Completed != 6 || res.Issuer.Certified != 7 || res.Issuer.WaitMean < 60*time.Second {
		t.Fatalf("issuer down for 60 s: %d completed, issuance %+v", res.Completed, res.Issuer)
	}
}

func TestFullStrictDeterminism(t *testing.T) {
	a := runLevel(t, levelSwarm(t, "fullstrict", 5, allTLS))
	b := runLevel(t, levelSwarm(t, "fullstrict", 5, allTLS))
	if a.Digest != b.Digest {
		t.Fatalf("same seed, digests %s and %s", a.Digest, b.Digest)
	}
}

// TestSeederTransport: leechers that require TLS get nothing from a legacy
// seeder, and everything from the default (bttls) one.
func TestSeederTransport(t *testing.T) {
	require := "[[mix]]\ntransport = \"tls\"\npolicy = \"require\"\nfraction = 1.0\n"
	if res := runLevel(t, levelSwarm(t, "basic", 5, require)); res.Completed != 5 || res.PeerList[0].Transport != "tls-basic" {
		t.Fatalf("default seeder (%s): %d of 5 completed", res.PeerList[0].Transport, res.Completed)
	}
	sc := levelSwarm(t, "basic", 5, require)
	sc.Swarm.SeederTransport, sc.Swarm.SeederPolicy = "legacy", "off"
	if res := runLevel(t, sc); res.Completed != 0 || res.PeerList[0].Transport != "legacy" {
		t.Fatalf("legacy seeder: %d of 5 require leechers completed", res.Completed)
	}
}

// TestPerMixHints: bttls peers with policy prefer that ignore the
// tracker's capability hints pay a failed TLS attempt for every legacy peer
// they dial (which the legacy peer counts as a failed inbound setup); the
// same peers using them dial legacy peers with MSE first.
func TestPerMixHints(t *testing.T) {
	mix := func(hints bool) string {
		h := "true"
		if !hints {
			h = "false"
		}
		return "[[mix]]\ntransport = \"tls\"\nhints = " + h + "\nfraction = 0.5\n[[mix]]\ntransport = \"legacy\"\nfraction = 0.5\n"
	}
	with := runLevel(t, levelSwarm(t, "basic", 12, mix(true)))
	without := runLevel(t, levelSwarm(t, "basic", 12, mix(false)))
	if with.Completed != 12 || without.Completed != 12 {
		t.Fatalf("completed %d with hints, %d without", with.Completed, without.Completed)
	}
	if 2*with.Handshakes["in_failed"] >= without.Handshakes["in_failed"] {
		t.Fatalf("failed setups: %d with hints, %d without; want hints to save most of them", with.Handshakes["in_failed"], without.Handshakes["in_failed"])
	}
}

func TestModeledCryptoIsBasicOnly(t *testing.T) {
	_, err := Run(levelSwarm(t, "strict", 3, allTLS), Options{Crypto: "modeled"})
	if err == nil || !strings.Contains(err.Error(), "strict torrent needs crypto mode real") {
		t.Fatalf("modeled crypto in a strict swarm: %v", err)
	}
}
