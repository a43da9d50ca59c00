// Package scenario reads btsim scenario files: TOML that describes a swarm
// (peers, arrivals, bandwidth classes, the torrent, the mix of transports and
// policies, connection limits, duration). Load checks every key and value and
// names the key and line of anything wrong.
package scenario

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/bttls/bttls/netmodel/middlebox"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/peer"
)

// Scenario is a checked scenario.
type Scenario struct {
	Name     string
	Seed     uint64
	Duration time.Duration // virtual time limit

	Torrent Torrent
	Swarm   Swarm
	Arrival Arrival
	Tracker Tracker
	Issuer  Issuer
	Classes []Class
	Mix     []Mix
	// Middlebox is the [censor], [attacker] and [outage] tables.
	Middlebox middlebox.Config
}

// Torrent is the content the swarm shares (generated, never stored).
type Torrent struct {
	Size      int64
	PieceSize int64
	// Level is the torrent's bttls level: "basic" (any torrent), "strict"
	// (a secret in the .torrent, announces under a key derived from it) or
	// "fullstrict" (a swarm CA in the info dict; every peer needs a
	// certificate from the swarm's issuer). It belongs to the torrent, not
	// to the peers: a bttls peer ("tls" in a [[mix]]) speaks whatever level
	// the torrent has, and a Strict or Full Strict torrent has no legacy
	// fallback, so plain, mse and legacy peers cannot join it.
	Level string
}

// Levels a torrent may have.
var Levels = []string{"basic", "strict", "fullstrict"}

// Issuer is the certificate issuer of a Full Strict swarm (protocol/issuer).
// Other levels ignore it.
type Issuer struct {
	// Host is where it runs: "tracker" (the tracker serves /issue, as
	// `bttls tracker` does) or "issuer" (a host of its own, named
	// "issuer", that an [outage] can take down without the tracker).
	Host string
	// Validity of the certificates it grants; at least the run's duration,
	// since the swarm does not renew them (btsim pairs [join] measures
	// renewal).
	Validity time.Duration
	// Retry is how long a peer whose request failed waits before the next.
	Retry time.Duration
}

// Swarm describes the peers.
type Swarm struct {
	Peers    int // leechers
	Seeders  int // present from the start
	MaxConns int // per peer
	// AfterComplete is "leave" (stop at once) or "stay" (keep seeding).
	AfterComplete string
	// SeederClass names the bandwidth class of the initial seeders.
	SeederClass string
	// UploadSlots is the number of peers each peer unchokes (0: the peer's default).
	UploadSlots int
	// RecordSize is the most plaintext a peer writes at once, so its
	// largest TLS record (peer.Config.RecordSize; DefaultRecordSize).
	RecordSize int
	// SeederTransport and SeederPolicy are what the initial seeders speak
	// (default: a bttls peer, policy prefer, when any leecher speaks TLS or
	// the torrent is Strict or Full Strict; else plain).
	SeederTransport string
	SeederPolicy    string
}

// Arrival is when leechers join.
type Arrival struct {
	// Process is "flash" (all at time zero), "uniform" (spread evenly over
	// Window) or "poisson" (exponential gaps at Rate peers per second).
	Process string
	Window  time.Duration
	Rate    float64
}

// Tracker configures the swarm's tracker.
type Tracker struct {
	Interval time.Duration
	NumWant  int
}

// Class is a bandwidth class; leechers are assigned classes by Fraction.
type Class struct {
	Name     string
	Fraction float64
	Up, Down int64 // bytes per second, 0 unlimited
	Latency  time.Duration
	Loss     float64
}

// Mix is a share of leechers with one transport and policy.
type Mix struct {
	// Transport is what the peer speaks: "plain", "mse", "legacy" (a
	// libtorrent-like peer: plain and MSE, answers a ClientHello as MSE), or
	// "tls", a bttls peer at the torrent's level. "tls-basic", "tls-strict"
	// and "tls-fullstrict" are "tls" with the level spelt out; each must
	// match [torrent] level.
	Transport string
	// Policy is the TLS policy for Basic torrents: "off", "prefer",
	// "require". Strict and Full Strict torrents use TLS whatever it says.
	Policy   string
	Fraction float64
	// Pin makes a bttls peer pin the addresses it completed a bttls
	// handshake with (no fallback to them); false: pins expire at once.
	Pin bool
	// Hints is which capability hints a bttls peer plans its dials by.
	Hints Hints
}

// Hints says which capability hints a bttls peer plans its dials by.
type Hints uint8

const (
	// HintsTLS (hints not set) uses the flags saying a peer speaks bttls
	// (tracker, PEX), which under prefer order nothing differently, but not
	// the tracker's report that a peer does not: runs of scenarios written
	// before the key stay as they were.
	HintsTLS Hints = iota
	// HintsAll (hints = true) uses every hint, as the real peer does: a
	// peer the tracker reports without TLS is dialled with MSE first.
	HintsAll
	// HintsNone (hints = false): every peer is dialled as if nothing were
	// known, TLS first under prefer.
	HintsNone
)

// DefaultRecordSize is a simulated peer's largest write, so its largest
// TLS record, unless [swarm] record_size says otherwise: 16 KiB, the real
// peer's default. Smaller records save memory in large runs — every
// simulated connection's receiver keeps a TLS input buffer as large as
// the largest record it got, and its writer a record's plaintext while
// the network holds it up: at 4 KiB a 1,000-peer flash crowd needs a
// fifth less memory per peer — and cost a little more per byte on the
// links (docs/simulator.md).
const DefaultRecordSize = peer.MaxRecordSize

// IsTLS reports whether a transport names a bttls peer.
func IsTLS(transport string) bool { return strings.HasPrefix(transport, "tls") }

// Transports and policies a Mix may name.
var (
	Transports = []string{"plain", "mse", "legacy", "tls", "tls-basic", "tls-strict", "tls-fullstrict"}
	Policies   = []string{"off", "prefer", "require"}
)

// file mirrors the TOML layout; units are strings until checked.
type file struct {
	Name     string `toml:"name"`
	Seed     uint64 `toml:"seed"`
	Duration string `toml:"duration"`
	Torrent  struct {
		Size      string `toml:"size"`
		PieceSize string `toml:"piece_size"`
		Level     string `toml:"level"`
	} `toml:"torrent"`
	Swarm struct {
		Peers           int    `toml:"peers"`
		Seeders         *int   `toml:"seeders"`
		MaxConns        int    `toml:"max_conns"`
		AfterComplete   string `toml:"after_complete"`
		SeederClass     string `toml:"seeder_class"`
		UploadSlots     int    `toml:"upload_slots"`
		RecordSize      string `toml:"record_size"`
		SeederTransport string `toml:"seeder_transport"`
		SeederPolicy    string `toml:"seeder_policy"`
	} `toml:"swarm"`
	Arrival struct {
		Process string  `toml:"process"`
		Window  string  `toml:"window"`
		Rate    float64 `toml:"rate"`
	} `toml:"arrival"`
	Tracker struct {
		Interval string `toml:"interval"`
		NumWant  int    `toml:"numwant"`
	} `toml:"tracker"`
	Issuer struct {
		Host     string `toml:"host"`
		Validity string `toml:"validity"`
		Retry    string `toml:"retry"`
	} `toml:"issuer"`
	Class []struct {
		Name     string  `toml:"name"`
		Fraction float64 `toml:"fraction"`
		Up       string  `toml:"up"`
		Down     string  `toml:"down"`
		Latency  string  `toml:"latency"`
		Loss     float64 `toml:"loss"`
	} `toml:"class"`
	Mix []struct {
		Transport string  `toml:"transport"`
		Policy    string  `toml:"policy"`
		Fraction  float64 `toml:"fraction"`
		Pin       *bool   `toml:"pin"`
		Hints     *bool   `toml:"hints"`
	} `toml:"mix"`
	Censor   middlebox.CensorConfig   `toml:"censor"`
	Attacker middlebox.AttackerConfig `toml:"attacker"`
	Outage   middlebox.OutageConfig   `toml:"outage"`
}

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse checks a scenario; name (a file name) prefixes its errors.
func Parse(name string, data []byte) (*Scenario, error) {
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("scenario: %s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("scenario: %s: %v", name, err)
	}
	p := &parser{name: name, lines: strings.Split(string(data), "\n")}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, p.errorf(k, "unknown key %q (known keys: see scenarios/default.toml)", k.String())
	}
	return p.check(&f)
}

// parser turns the raw file into a Scenario, remembering the text to name
// the line of a bad value.
type parser struct {
	name  string
	lines []string
	err   error
}

// errorf reports a problem with key, at the line that sets it.
func (p *parser) errorf(key toml.Key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	name := key.String()
	if len(key) > 0 && key[len(key)-1] == "" { // a whole table
		name = "[" + strings.Join(key[:len(key)-1], ".") + "]"
	}
	if line := p.lineOf(key); line > 0 {
		return fmt.Errorf("scenario: %s:%d: %s: %s", p.name, line, name, msg)
	}
	return fmt.Errorf("scenario: %s: %s: %s", p.name, name, msg)
}

// lineOf finds the line that sets key (the first, for arrays of tables).
func (p *parser) lineOf(key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	table := strings.Join(key[:len(key)-1], ".")
	last := key[len(key)-1]
	cur := ""
	for i, raw := range p.lines {
		l := strings.TrimSpace(raw)
		if strings.HasPrefix(l, "[") {
			cur = strings.Trim(strings.SplitN(l, "#", 2)[0], "[] \t")
			if cur == table && last == "" {
				return i + 1
			}
			continue
		}
		if k, _, ok := strings.Cut(l, "="); ok && cur == table && strings.Trim(strings.TrimSpace(k), `"'`) == last {
			return i + 1
		}
	}
	return 0
}

func (p *parser) set(err error) {
	if p.err == nil && err != nil {
		p.err = err
	}
}

func (p *parser) duration(key toml.Key, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		p.set(p.errorf(key, "%v", err))
	}
	return d
}

func (p *parser) size(key toml.Key, s string) int64 {
	v, err := ParseSize(s)
	if err != nil {
		p.set(p.errorf(key, "%v", err))
	}
	return int64(v)
}

func (p *parser) rate(key toml.Key, s string) int64 {
	if s == "" {
		return 0
	}
	v, err := ParseRate(s)
	if err != nil {
		p.set(p.errorf(key, "%v", err))
	}
	return int64(v)
}

func (p *parser) require(key toml.Key, ok bool, format string, args ...any) {
	if !ok {
		p.set(p.errorf(key, format, args...))
	}
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func (p *parser) check(f *file) (*Scenario, error) {
	sc := &Scenario{Name: f.Name, Seed: f.Seed}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(p.name[strings.LastIndex(p.name, "/")+1:], ".toml")
	}
	sc.Duration = p.duration(toml.Key{"duration"}, f.Duration, time.Hour)
	p.require(toml.Key{"duration"}, sc.Duration > 0, "must be positive")

	if f.Torrent.Size == "" {
		p.set(p.errorf(toml.Key{"torrent", "size"}, "missing (the torrent's total size, e.g. \"4MiB\")"))
	} else {
		sc.Torrent.Size = p.size(toml.Key{"torrent", "size"}, f.Torrent.Size)
		p.require(toml.Key{"torrent", "size"}, sc.Torrent.Size > 0 && sc.Torrent.Size <= 64<<30, "must be between 1 byte and 64GiB")
	}
	sc.Torrent.PieceSize = 256 << 10
	if f.Torrent.PieceSize != "" {
		sc.Torrent.PieceSize = p.size(toml.Key{"torrent", "piece_size"}, f.Torrent.PieceSize)
	}
	ps := sc.Torrent.PieceSize
	p.require(toml.Key{"torrent", "piece_size"}, ps >= 16<<10 && ps <= 16<<20 && ps&(ps-1) == 0, "must be a power of two from 16KiB to 16MiB")
	sc.Torrent.Level = f.Torrent.Level
	if sc.Torrent.Level == "" {
		sc.Torrent.Level = "basic"
	}
	p.require(toml.Key{"torrent", "level"}, oneOf(sc.Torrent.Level, Levels), "must be one of %s, not %q", strings.Join(Levels, ", "), f.Torrent.Level)

	sw := f.Swarm
	sc.Swarm = Swarm{Peers: sw.Peers, Seeders: 1, MaxConns: sw.MaxConns, AfterComplete: sw.AfterComplete, SeederClass: sw.SeederClass, UploadSlots: sw.UploadSlots}
	if sw.Seeders != nil {
		sc.Swarm.Seeders = *sw.Seeders
	}
	p.require(toml.Key{"swarm", "peers"}, sw.Peers >= 1 && sw.Peers <= 1_000_000, "must be between 1 and 1000000")
	p.require(toml.Key{"swarm", "seeders"}, sc.Swarm.Seeders >= 1 && sc.Swarm.Seeders <= 10000, "must be between 1 and 10000")
	if sc.Swarm.MaxConns == 0 {
		sc.Swarm.MaxConns = 30
	}
	p.require(toml.Key{"swarm", "max_conns"}, sc.Swarm.MaxConns >= 1 && sc.Swarm.MaxConns <= 1000, "must be between 1 and 1000")
	p.require(toml.Key{"swarm", "upload_slots"}, sw.UploadSlots >= 0 && sw.UploadSlots <= 100, "must be between 0 (the peer's default) and 100")
	sc.Swarm.RecordSize = DefaultRecordSize
	if sw.RecordSize != "" {
		sc.Swarm.RecordSize = int(p.size(toml.Key{"swarm", "record_size"}, sw.RecordSize))
		p.require(toml.Key{"swarm", "record_size"}, sc.Swarm.RecordSize >= peer.MinRecordSize && sc.Swarm.RecordSize <= peer.MaxRecordSize, "must be from 512B to 16KiB (a TLS record's largest plaintext)")
	}
	if sc.Swarm.AfterComplete == "" {
		sc.Swarm.AfterComplete = "stay"
	}
	p.require(toml.Key{"swarm", "after_complete"}, oneOf(sc.Swarm.AfterComplete, []string{"leave", "stay"}), "must be \"leave\" or \"stay\", not %q", sc.Swarm.AfterComplete)

	a := f.Arrival
	sc.Arrival = Arrival{Process: a.Process, Rate: a.Rate}
	if sc.Arrival.Process == "" {
		sc.Arrival.Process = "flash"
	}
	switch sc.Arrival.Process {
	case "flash":
	case "uniform":
		sc.Arrival.Window = p.duration(toml.Key{"arrival", "window"}, a.Window, 0)
		p.require(toml.Key{"arrival", "window"}, sc.Arrival.Window > 0, "uniform arrivals need a positive window")
	case "poisson":
		p.require(toml.Key{"arrival", "rate"}, a.Rate > 0 && !math.IsInf(a.Rate, 0), "poisson arrivals need a positive rate (peers per second)")
	default:
		p.set(p.errorf(toml.Key{"arrival", "process"}, "must be \"flash\", \"uniform\" or \"poisson\", not %q", a.Process))
	}

	sc.Tracker.Interval = p.duration(toml.Key{"tracker", "interval"}, f.Tracker.Interval, 30*time.Second)
	p.require(toml.Key{"tracker", "interval"}, sc.Tracker.Interval >= time.Second, "must be at least 1s")
	sc.Tracker.NumWant = f.Tracker.NumWant
	if sc.Tracker.NumWant == 0 {
		sc.Tracker.NumWant = 50
	}
	p.require(toml.Key{"tracker", "numwant"}, sc.Tracker.NumWant >= 1 && sc.Tracker.NumWant <= 200, "must be between 1 and 200")
	p.checkIssuer(f, sc)

	if len(f.Class) == 0 {
		p.set(p.errorf(toml.Key{"class"}, "at least one [[class]] (bandwidth class) is needed"))
	}
	names := map[string]bool{}
	sum := 0.0
	for i, c := range f.Class {
		key := func(k string) toml.Key { return toml.Key{"class", k} }
		cl := Class{Name: c.Name, Fraction: c.Fraction, Loss: c.Loss}
		if cl.Name == "" {
			cl.Name = fmt.Sprintf("class%d", i+1)
		}
		p.require(key("name"), !names[cl.Name], "class %q defined twice", cl.Name)
		names[cl.Name] = true
		p.require(key("fraction"), c.Fraction >= 0 && c.Fraction <= 1, "class %q: fraction must be in [0, 1]", cl.Name)
		cl.Up = p.rate(key("up"), c.Up)
		cl.Down = p.rate(key("down"), c.Down)
		cl.Latency = p.duration(key("latency"), c.Latency, 20*time.Millisecond)
		p.require(key("loss"), c.Loss >= 0 && c.Loss < 0.5, "class %q: loss must be in [0, 0.5)", cl.Name)
		sum += c.Fraction
		sc.Classes = append(sc.Classes, cl)
	}
	if len(f.Class) > 0 {
		p.require(toml.Key{"class", "fraction"}, math.Abs(sum-1) < 1e-6, "class fractions sum to %g, not 1", sum)
	}
	if sc.Swarm.SeederClass == "" && len(sc.Classes) > 0 {
		sc.Swarm.SeederClass = sc.Classes[0].Name
	}
	p.require(toml.Key{"swarm", "seeder_class"}, names[sc.Swarm.SeederClass], "no [[class]] named %q", sc.Swarm.SeederClass)

	sum = 0
	for _, m := range f.Mix {
		key := func(k string) toml.Key { return toml.Key{"mix", k} }
		mx := Mix{Transport: m.Transport, Policy: m.Policy, Fraction: m.Fraction, Pin: true}
		if mx.Policy == "" {
			mx.Policy = "prefer"
		}
		if m.Pin != nil {
			mx.Pin = *m.Pin
		}
		switch {
		case m.Hints == nil:
		case *m.Hints:
			mx.Hints = HintsAll
		default:
			mx.Hints = HintsNone
		}
		p.checkTransport(key("transport"), mx.Transport, sc.Torrent.Level)
		p.require(key("policy"), oneOf(mx.Policy, Policies), "must be one of %s, not %q", strings.Join(Policies, ", "), m.Policy)
		p.require(key("fraction"), m.Fraction >= 0 && m.Fraction <= 1, "fraction must be in [0, 1]")
		sum += m.Fraction
		sc.Mix = append(sc.Mix, mx)
	}
	if len(f.Mix) == 0 {
		sc.Mix = []Mix{{Transport: "plain", Policy: "off", Fraction: 1, Pin: true}}
	} else {
		p.require(toml.Key{"mix", "fraction"}, math.Abs(sum-1) < 1e-6, "mix fractions sum to %g, not 1", sum)
	}
	p.checkSeeders(f, sc)
	sc.Middlebox = middlebox.Config{Censor: f.Censor, Attacker: f.Attacker, Outage: f.Outage}
	if err := sc.Middlebox.Validate(); err != nil {
		table := "censor"
		for _, t := range []string{"attacker", "outage"} {
			if strings.Contains(err.Error(), t) {
				table = t
			}
		}
		p.set(p.errorf(toml.Key{table, ""}, "%v", err))
	}
	if p.err != nil {
		return nil, p.err
	}
	return sc, nil
}

// levelOf is the level a transport name spells out ("" for "tls" and the
// legacy transports).
func levelOf(transport string) string {
	l, _ := strings.CutPrefix(transport, "tls-")
	if l == transport {
		return ""
	}
	return l
}

// checkTransport checks a transport name against the torrent's level.
func (p *parser) checkTransport(key toml.Key, transport, level string) {
	if !oneOf(transport, Transports) {
		p.set(p.errorf(key, "must be one of %s, not %q", strings.Join(Transports, ", "), transport))
		return
	}
	if l := levelOf(transport); l != "" && l != level {
		p.set(p.errorf(key, "%q names level %s, but the torrent's level is %s ([torrent] level): a level belongs to the torrent, not to a peer; write \"tls\" for a bttls peer at the torrent's level", transport, l, level))
	}
}

// checkSeeders fills in and checks the seeders' transport and policy.
func (p *parser) checkSeeders(f *file, sc *Scenario) {
	sw := &sc.Swarm
	sw.SeederTransport, sw.SeederPolicy = f.Swarm.SeederTransport, f.Swarm.SeederPolicy
	if sw.SeederTransport == "" {
		// A bttls seeder serves every leecher of a Basic torrent under
		// prefer, and is the only kind that can seed a Strict or Full
		// Strict one.
		sw.SeederTransport = "plain"
		switch {
		case sc.Torrent.Level != "basic":
			sw.SeederTransport = "tls-" + sc.Torrent.Level
		case anyTLS(sc.Mix):
			sw.SeederTransport = "tls-basic"
		}
	}
	p.checkTransport(toml.Key{"swarm", "seeder_transport"}, sw.SeederTransport, sc.Torrent.Level)
	if sw.SeederPolicy == "" {
		sw.SeederPolicy = "prefer"
	}
	p.require(toml.Key{"swarm", "seeder_policy"}, oneOf(sw.SeederPolicy, Policies), "must be one of %s, not %q", strings.Join(Policies, ", "), f.Swarm.SeederPolicy)
}

func anyTLS(mix []Mix) bool {
	for _, m := range mix {
		// A share of none (a sweep's adoption 0) puts no TLS leecher in
		// the swarm.
		if IsTLS(m.Transport) && m.Fraction > 0 {
			return true
		}
	}
	return false
}

// checkIssuer fills in and checks the [issuer] table.
func (p *parser) checkIssuer(f *file, sc *Scenario) {
	in := f.Issuer
	sc.Issuer.Host = in.Host
	if sc.Issuer.Host == "" {
		sc.Issuer.Host = "tracker"
	}
	p.require(toml.Key{"issuer", "host"}, oneOf(sc.Issuer.Host, []string{"tracker", "issuer"}), "must be \"tracker\" (the tracker issues) or \"issuer\" (a host of its own), not %q", in.Host)
	sc.Issuer.Validity = p.duration(toml.Key{"issuer", "validity"}, in.Validity, fullstrict.DefaultPeerValidity)
	v := sc.Issuer.Validity
	p.require(toml.Key{"issuer", "validity"}, v >= 2*time.Minute && v <= fullstrict.MaxPeerValidity, "must be from 2m to %v (the longest a peer certificate may be valid)", fullstrict.MaxPeerValidity)
	if sc.Torrent.Level == "fullstrict" && v < sc.Duration {
		p.set(p.errorf(toml.Key{"issuer", "validity"}, "%v is shorter than the run (duration %v): the simulated swarm does not renew certificates (btsim pairs with a [join] table measures renewal)", v, sc.Duration))
	}
	sc.Issuer.Retry = p.duration(toml.Key{"issuer", "retry"}, in.Retry, 10*time.Second)
	p.require(toml.Key{"issuer", "retry"}, sc.Issuer.Retry >= time.Second, "must be at least 1s")
}

// Assign splits n items among shares (fractions summing to 1) by largest
// remainder, so counts are exact and deterministic.
func Assign(n int, fractions []float64) []int {
	counts := make([]int, len(fractions))
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(fractions))
	total := 0
	for i, f := range fractions {
		x := f * float64(n)
		counts[i] = int(x)
		total += counts[i]
		rems[i] = rem{i, x - float64(counts[i])}
	}
	for total < n {
		best := 0
		for j := range rems {
			if rems[j].r > rems[best].r {
				best = j
			}
		}
		if rems[best].r < 0 { // fractions summed to less than 1
			rems[best].r = 0
		}
		counts[rems[best].i]++
		rems[best].r = -1
		total++
	}
	return counts
}
