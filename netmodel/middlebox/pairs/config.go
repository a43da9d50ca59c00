// Package pairs is a rig that measures connection setup, not downloads:
// client hosts dial server hosts with real bttls transports
// (protocol/levels) across the simulated network and its middleboxes, in
// rounds, and count what carried each connection, what failed and what it
// cost. It answers the questions a swarm run blurs: how many connections an
// attacker downgrades with and without pins, and what policy prefer costs
// against legacy peers with and without capability hints.
package pairs

import (
	"bytes"
	"fmt"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/bttls/bttls/netmodel/middlebox"
)

// Config is a pairs scenario (TOML).
type Config struct {
	Name  string `toml:"name"`
	Pairs struct {
		// Clients and Servers are host counts; each client dials PerClient
		// servers (client c dials servers c, c+1, ... modulo Servers).
		Clients   int `toml:"clients"`
		Servers   int `toml:"servers"`
		PerClient int `toml:"per_client"`
		// Rounds of dialling, RoundGapS virtual seconds apart; each round
		// every client dials its servers again (a reconnect).
		Rounds    int     `toml:"rounds"`
		RoundGapS float64 `toml:"round_gap_s"`
		// MeasureFrom is the first round counted in the results (0-based).
		MeasureFrom int `toml:"measure_from"`
		// Policy is the clients' policy for the (Basic) torrent.
		Policy string `toml:"policy"`
		// Pinning keeps pins across connections (false: pins expire at once).
		Pinning bool `toml:"pinning"`
		// Hints tells clients which servers speak bttls and which do not,
		// as a tracker answering supporttls=1 does.
		Hints bool `toml:"hints"`
		// LegacyFraction of the servers are legacy peers (plain and MSE;
		// they answer a ClientHello with an MSE reply).
		LegacyFraction float64 `toml:"legacy_fraction"`
		// LatencyMS is each host's one-way access latency.
		LatencyMS float64 `toml:"latency_ms"`
		// TimeoutS bounds one connection's setup, every attempt included.
		TimeoutS float64 `toml:"timeout_s"`
	} `toml:"pairs"`
	// Join, instead of [pairs], runs Full Strict members against the
	// issuer (RunJoin).
	Join     *JoinConfig              `toml:"join"`
	Censor   middlebox.CensorConfig   `toml:"censor"`
	Attacker middlebox.AttackerConfig `toml:"attacker"`
	Outage   middlebox.OutageConfig   `toml:"outage"`
}

// Parse reads and checks a pairs scenario; unknown keys are errors.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{}
	c.Pairs.PerClient, c.Pairs.Rounds, c.Pairs.RoundGapS = 1, 1, 30
	c.Pairs.Policy, c.Pairs.Pinning, c.Pairs.Hints = "prefer", true, true
	c.Pairs.LatencyMS, c.Pairs.TimeoutS = 20, 20
	c.Join = &JoinConfig{WindowS: 60, ValidityS: 3600, RenewAt: 0.5, RetryS: 10, DeadlineS: 60, DurationS: 600, LatencyMS: 20}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
	if err != nil {
		return nil, fmt.Errorf("pairs: %s: %w", name, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return nil, fmt.Errorf("pairs: %s: unknown key %s", name, u[0])
	}
	switch pairs, join := md.IsDefined("pairs"), md.IsDefined("join"); {
	case pairs == join:
		return nil, fmt.Errorf("pairs: %s: want exactly one of a [pairs] table (connections) and a [join] table (Full Strict issuance)", name)
	case join:
		if err := c.Join.check(); err != nil {
			return nil, fmt.Errorf("pairs: %s: %w", name, err)
		}
	default:
		c.Join = nil // a [pairs] scenario
		if err := c.checkPairs(); err != nil {
			return nil, fmt.Errorf("pairs: %s: %w", name, err)
		}
	}
	if err := c.middlebox().Validate(); err != nil {
		return nil, fmt.Errorf("pairs: %s: %w", name, err)
	}
	return c, nil
}

func (c *Config) checkPairs() error {
	p := c.Pairs
	switch {
	case p.Clients < 1 || p.Clients > 100000 || p.Servers < 1 || p.Servers > 100000:
		return fmt.Errorf("pairs.clients and pairs.servers must be 1..100000")
	case p.PerClient < 1 || p.PerClient > p.Servers:
		return fmt.Errorf("pairs.per_client must be 1..pairs.servers (%d)", p.Servers)
	case p.Rounds < 1 || p.Rounds > 100:
		return fmt.Errorf("pairs.rounds must be 1..100")
	case p.MeasureFrom < 0 || p.MeasureFrom >= p.Rounds:
		return fmt.Errorf("pairs.measure_from must be 0..rounds-1")
	case p.RoundGapS <= 0 || p.TimeoutS <= 0 || p.LatencyMS < 0:
		return fmt.Errorf("pairs.round_gap_s and timeout_s must be positive, latency_ms >= 0")
	case p.LegacyFraction < 0 || p.LegacyFraction > 1:
		return fmt.Errorf("pairs.legacy_fraction must be 0..1")
	case p.Policy != "off" && p.Policy != "prefer" && p.Policy != "require":
		return fmt.Errorf("pairs.policy %q: want off, prefer or require", p.Policy)
	}
	return nil
}

func (c *Config) middlebox() middlebox.Config {
	return middlebox.Config{Censor: c.Censor, Attacker: c.Attacker, Outage: c.Outage}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
