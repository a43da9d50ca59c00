//go:debug cryptocustomrand=1

package peer_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/bttls/bttls/sim/scenario"
	"github.com/bttls/bttls/sim/swarm"
)

// The tests below run small swarms of real peers (real TLS 1.3 and MSE)
// on the simulator's network in virtual time (sim/swarm), for behaviour
// that shows only among many peers.

// simSwarm runs a scenario given as TOML, with seed.
func simSwarm(t *testing.T, name, toml string, seed uint64) *swarm.Result {
	t.Helper()
	sc, err := scenario.Parse(name, []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	res, err := swarm.Run(sc, swarm.Options{Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A bttls seeder (prefer: TLS, then MSE) and leechers with encryption
// disabled, which close on a ClientHello or an MSE opening without a
// reply. All arrive at once, so most leechers announce before the seeder
// does and know of it only from their next announce, 30 s later; until
// then the seeder's dials are their only way to it.
const plainLeechers = `
duration = "2m"
[torrent]
size = "256KiB"
piece_size = "32KiB"
[swarm]
peers = 6
seeders = 1
[tracker]
interval = "30s"
[[class]]
name = "cable"
fraction = 1.0
up = "10Mbit"
down = "50Mbit"
latency = "15ms"
[[mix]]
transport = "plain"
fraction = 1.0
[[mix]]
transport = "tls-basic"   # no peers: makes the seeder speak bttls
policy = "prefer"
fraction = 0.0
`

// TestSimPlaintextLeechersReachBTTLSSeeder: the seeder's first dial to each
// leecher gets no reply to TLS nor to MSE and gives up (a busy bttls peer
// looks the same, and a plaintext handshake would show it the infohash);
// its redial, one backoff later, retries in plaintext and gets through,
// instead of the leechers waiting ~30 s for their next announce (before:
// every leecher finished after 31 s).
func TestSimPlaintextLeechersReachBTTLSSeeder(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		res := simSwarm(t, "plain-leechers", plainLeechers, seed)
		if res.Completed != res.Peers {
			t.Fatalf("seed %d: %d of %d completed", seed, res.Completed, res.Peers)
		}
		if res.Last > 12*time.Second {
			t.Errorf("seed %d: last leecher done after %v; the seeder did not reach them (handshakes %v)", seed, res.Last, res.Handshakes)
		}
		t.Logf("seed %d: last leecher done after %v", seed, res.Last)
	}
}

// A flash crowd of bttls peers (prefer) with few connection slots, so that
// peers keep dialling peers at their connection limit.
const crowdedBTTLS = `
duration = "2m"
[torrent]
size = "256KiB"
piece_size = "32KiB"
[swarm]
peers = 24
seeders = 1
max_conns = 5
after_complete = "stay"
[[class]]
name = "cable"
fraction = 0.6
up = "10Mbit"
down = "50Mbit"
latency = "15ms"
[[class]]
name = "dsl"
fraction = 0.4
up = "2Mbit"
down = "16Mbit"
latency = "25ms"
[[mix]]
transport = "tls-basic"
policy = "prefer"
fraction = 1.0
`

// TestSimFullPeersDoNotDowngradeBTTLS: with no attacker and every peer
// speaking bttls, every connection is TLS and no transport setup fails;
// a dial to a peer at its connection limit gets the busy alert, and no
// fallback. A peer at its connection limit used to close a new connection
// before the TLS handshake, which its prefer initiator took for a legacy
// peer's refusal: it fell back to MSE, which got through when a slot had
// freed meanwhile (about 1 % of the connections of the adoption study's
// all-bttls swarms were MSE, with 5 failed setups per leecher).
func TestSimFullPeersDoNotDowngradeBTTLS(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		res := simSwarm(t, "crowded-bttls", crowdedBTTLS, seed)
		if res.Completed != res.Peers {
			t.Fatalf("seed %d: %d of %d completed", seed, res.Completed, res.Peers)
		}
		keys := slices.Sorted(maps.Keys(res.Handshakes))
		if !slices.Equal(keys, []string{"in_tls-basic", "out_busy", "out_tls-basic"}) {
			t.Errorf("seed %d: transport setups %v, want TLS and busy refusals only, no failures", seed, res.Handshakes)
		}
		if res.Handshakes["in_tls-basic"] < int64(res.Peers) {
			t.Errorf("seed %d: only %d TLS connections", seed, res.Handshakes["in_tls-basic"])
		}
	}
}
