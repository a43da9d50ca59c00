package middlebox

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/bttls/bttls/netmodel"
)

// Config is the middlebox part of a scenario. The zero Config (and any
// table left out) means no middlebox of that kind.
type Config struct {
	Censor   CensorConfig   `toml:"censor"`
	Attacker AttackerConfig `toml:"attacker"`
	Outage   OutageConfig   `toml:"outage"`
}

// CensorConfig is the [censor] table.
type CensorConfig struct {
	// Kind is what the censor flags: "none" (or empty), "signature" (the
	// plain BitTorrent handshake, as nDPI), "fet" (fully encrypted first
	// payload, as the Great Firewall), or "both".
	Kind string `toml:"kind"`
	// Action is what it does to a flagged flow: "block" (drop every later
	// packet: the flow times out), "reset" (inject RSTs) or "throttle".
	Action string `toml:"action"`
	// ThrottleBps caps a throttled flow, per direction, in bytes per second.
	ThrottleBps int64 `toml:"throttle_bps"`
	// Rate is the fraction of flagged flows acted on (0 means 1: all). The
	// Great Firewall was measured blocking about 26 % (fet.BlockRate).
	Rate float64 `toml:"rate"`
}

// AttackerConfig is the [attacker] table.
type AttackerConfig struct {
	// Fraction of paths (unordered host pairs) the attacker sits on, 0..1.
	Fraction float64 `toml:"fraction"`
	// Action on a TLS attempt over such a path: "reset", "blackhole" or
	// "fake-legacy" (the default).
	Action string `toml:"action"`
	// StartS is when the attacker appears, in virtual seconds: flows opened
	// before it pass, so peers can meet over TLS (and pin each other) first.
	StartS float64 `toml:"start_s"`
}

// OutageConfig is the [outage] table.
type OutageConfig struct {
	// Host is the host that goes down, by name or IP ("tracker").
	Host string `toml:"host"`
	// StartS and LengthS place the window in virtual seconds from the start.
	StartS  float64 `toml:"start_s"`
	LengthS float64 `toml:"length_s"`
	// Mode is "refuse" (RST, as a host whose process is down; the default)
	// or "blackhole" (no answer, as a host that is unreachable).
	Mode string `toml:"mode"`
}

// Clock gives virtual time since the start of the run; *sim.Sim is one.
type Clock interface{ Now() time.Duration }

// Env is what building the middleboxes needs from the run.
type Env struct {
	Clock Clock
	// Seed is the run's seed; every random choice is a hash of it.
	Seed uint64
	// Resolve maps an outage host name to its address (nil: IPs only).
	Resolve func(name string) (netip.Addr, bool)
}

// Enabled reports whether any middlebox is configured.
func (c Config) Enabled() bool {
	return c.Censor.on() || c.Attacker.Fraction > 0 || c.Outage.LengthS > 0
}

func (c CensorConfig) on() bool { return c.Kind != "" && c.Kind != "none" }

// Validate checks the values and says which one is wrong.
func (c Config) Validate() error {
	cc := c.Censor
	switch cc.Kind {
	case "", "none", "signature", "fet", "both":
	default:
		return fmt.Errorf("middlebox: censor.kind %q: want none, signature, fet or both", cc.Kind)
	}
	if cc.on() {
		switch cc.Action {
		case "block", "reset":
		case "throttle":
			if cc.ThrottleBps <= 0 {
				return fmt.Errorf("middlebox: censor.action throttle needs censor.throttle_bps > 0")
			}
		default:
			return fmt.Errorf("middlebox: censor.action %q: want block, reset or throttle", cc.Action)
		}
	}
	if cc.Rate < 0 || cc.Rate > 1 {
		return fmt.Errorf("middlebox: censor.rate %v: want 0..1", cc.Rate)
	}
	a := c.Attacker
	if a.Fraction < 0 || a.Fraction > 1 {
		return fmt.Errorf("middlebox: attacker.fraction %v: want 0..1", a.Fraction)
	}
	if a.StartS < 0 {
		return fmt.Errorf("middlebox: attacker.start_s must be >= 0")
	}
	switch a.Action {
	case "", "fake-legacy", "reset", "blackhole":
	default:
		return fmt.Errorf("middlebox: attacker.action %q: want fake-legacy, reset or blackhole", a.Action)
	}
	o := c.Outage
	if o.StartS < 0 || o.LengthS < 0 {
		return fmt.Errorf("middlebox: outage.start_s and outage.length_s must be >= 0")
	}
	if o.LengthS > 0 && o.Host == "" {
		return fmt.Errorf("middlebox: outage.length_s is set but outage.host is not")
	}
	switch o.Mode {
	case "", "refuse", "blackhole":
	default:
		return fmt.Errorf("middlebox: outage.mode %q: want refuse or blackhole", o.Mode)
	}
	return nil
}

// New builds the configured middleboxes as one netmodel.Middlebox (nil when
// none is configured) and the Stats it keeps.
func New(c Config, e Env) (netmodel.Middlebox, *Stats, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	st := &Stats{}
	if !c.Enabled() {
		return nil, st, nil
	}
	if e.Clock == nil {
		return nil, nil, fmt.Errorf("middlebox: no clock")
	}
	var ch chain
	if c.Outage.LengthS > 0 {
		o, err := newOutage(c.Outage, e, st)
		if err != nil {
			return nil, nil, err
		}
		ch = append(ch, o)
	}
	if c.Censor.on() {
		ch = append(ch, newCensor(c.Censor, e, st))
	}
	if c.Attacker.Fraction > 0 {
		ch = append(ch, newAttacker(c.Attacker, e, st))
	}
	return ch, st, nil
}

// seconds converts a scenario's float seconds to a Duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
