package tracker

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// Defaults for Config fields left zero.
const (
	// DefaultInterval is short because bttls swarms are small and local
	// (tests, demos, the simulator): a newcomer learns of later peers after
	// one interval. Public trackers use 30 minutes.
	DefaultInterval           = 2 * time.Minute
	DefaultMaxTorrents        = 10000
	DefaultMaxPeersPerTorrent = 2000
	DefaultNumWant            = 50
	DefaultMaxNumWant         = 200
	// MinPeerTimeout is the shortest default PeerTimeout. libtorrent-rasterbar
	// re-announces no more often than its min_announce_interval (300 s by
	// default) whatever interval the tracker sends, so with a shorter timeout
	// live libtorrent peers would drop out between announces (seen in the
	// interop tests).
	MinPeerTimeout = 2 * 300 * time.Second
)

// Config sets a Tracker's policy and limits.
type Config struct {
	// Interval is the announce interval sent to peers.
	Interval time.Duration
	// PeerTimeout drops a peer not heard from for this long. The default is
	// 2×Interval but at least MinPeerTimeout.
	PeerTimeout time.Duration
	// MinInterval, if set, is sent as "min interval".
	MinInterval time.Duration
	// MaxTorrents and MaxPeersPerTorrent bound memory: an announce that
	// would exceed them gets a failure reason instead.
	MaxTorrents        int
	MaxPeersPerTorrent int
	// DefaultNumWant is how many peers to return when a peer does not ask;
	// MaxNumWant caps what a peer may ask for.
	DefaultNumWant int
	MaxNumWant     int
	// TrustIPParam honours the ip/ipv4/ipv6 parameters from any client.
	// Otherwise they are honoured only from loopback and private addresses
	// (a tracker on the Internet that believed them would point swarms at
	// arbitrary hosts).
	TrustIPParam bool
	// Logf, if set, receives one line per announce.
	Logf func(format string, args ...any)
}

func (c *Config) setDefaults() {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.PeerTimeout <= 0 {
		c.PeerTimeout = max(2*c.Interval, MinPeerTimeout)
	}
	if c.MaxTorrents <= 0 {
		c.MaxTorrents = DefaultMaxTorrents
	}
	if c.MaxPeersPerTorrent <= 0 {
		c.MaxPeersPerTorrent = DefaultMaxPeersPerTorrent
	}
	if c.DefaultNumWant <= 0 {
		c.DefaultNumWant = DefaultNumWant
	}
	if c.MaxNumWant <= 0 {
		c.MaxNumWant = DefaultMaxNumWant
	}
	if c.DefaultNumWant > c.MaxNumWant {
		c.DefaultNumWant = c.MaxNumWant
	}
}

// Tracker is the swarm state behind the announce and scrape handlers. Its
// mutex is only held for in-memory work, never across I/O (env contract).
type Tracker struct {
	e   env.Env
	cfg Config

	mu        sync.Mutex
	torrents  map[[20]byte]*swarm
	rand      *rand.Rand
	lastSweep time.Time
}

// swarm is one torrent's peers. list holds the same entries as byID so a
// random subset can be drawn without iterating a map (whose order is random
// and would break the simulator's determinism).
type swarm struct {
	byID       map[[20]byte]*peerEntry
	list       []*peerEntry
	downloaded int64 // completed events seen (scrape "downloaded")
}

type peerEntry struct {
	id           [20]byte
	addr4, addr6 netip.AddrPort // either may be invalid, not both
	tls          bool
	tlsPort      uint16
	seed         bool
	key          string
	lastSeen     time.Time
	index        int // position in swarm.list
}

// NewTracker returns an empty tracker.
func NewTracker(e env.Env, cfg Config) *Tracker {
	cfg.setDefaults()
	return &Tracker{
		e:         e,
		cfg:       cfg,
		torrents:  make(map[[20]byte]*swarm),
		rand:      e.NewRand(),
		lastSweep: e.Now(),
	}
}

// Config returns the tracker's configuration with defaults filled in.
func (t *Tracker) Config() Config { return t.cfg }

// announceResult is what the handler encodes.
type announceResult struct {
	complete, incomplete int
	peers                []*peerEntry
	warning              string
}

// announce applies one announce from a peer whose TCP source address is
// remote, and picks the peers to return.
func (t *Tracker) announce(q announceQuery, remote netip.Addr) (announceResult, error) {
	var res announceResult
	addr4, addr6, warning := t.endpoints(q, remote)
	res.warning = warning
	if !addr4.IsValid() && !addr6.IsValid() && q.event != EventStopped {
		return res, fmt.Errorf("tracker: no usable address for this peer (source %s)", remote)
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.e.Now()
	if now.Sub(t.lastSweep) >= t.cfg.Interval {
		t.sweepAll(now)
	}
	s := t.torrents[q.infoHash]
	if s == nil {
		if q.event == EventStopped {
			return res, nil
		}
		if len(t.torrents) >= t.cfg.MaxTorrents {
			t.sweepAll(now)
		}
		if len(t.torrents) >= t.cfg.MaxTorrents {
			return res, fmt.Errorf("tracker: tracking %d torrents, the limit; try again later", len(t.torrents))
		}
		s = &swarm{byID: make(map[[20]byte]*peerEntry)}
		t.torrents[q.infoHash] = s
	}
	s.sweep(now.Add(-t.cfg.PeerTimeout))

	p := s.byID[q.peerID]
	if p != nil && p.key != "" && p.key != q.key && !sameHost(p, addr4, addr6) {
		return res, fmt.Errorf("tracker: peer_id %x is announced from another address with another key", q.peerID[:])
	}
	if q.event == EventStopped {
		if p != nil {
			s.remove(p)
		}
		if len(s.list) == 0 && s.downloaded == 0 {
			delete(t.torrents, q.infoHash)
		}
		res.complete, res.incomplete = s.counts()
		return res, nil
	}
	if p == nil {
		if len(s.list) >= t.cfg.MaxPeersPerTorrent {
			return res, fmt.Errorf("tracker: torrent has %d peers, the limit; try again later", len(s.list))
		}
		p = &peerEntry{id: q.peerID, index: len(s.list)}
		s.byID[q.peerID] = p
		s.list = append(s.list, p)
	}
	wasSeed := p.seed
	p.addr4, p.addr6 = addr4, addr6
	p.tls, p.tlsPort = q.tls, q.tlsPort
	p.seed = q.left == 0
	p.key = q.key
	p.lastSeen = now
	if q.event == EventCompleted && !wasSeed {
		s.downloaded++
	}

	numWant := q.numWant
	if numWant < 0 {
		numWant = t.cfg.DefaultNumWant
	}
	numWant = min(numWant, t.cfg.MaxNumWant)
	res.peers = s.pick(p, numWant, t.rand)
	res.complete, res.incomplete = s.counts()
	return res, nil
}

// endpoints decides the addresses to list this peer under: its TCP source
// address, replaced by the ip/ipv4/ipv6 parameters when those are trusted.
func (t *Tracker) endpoints(q announceQuery, remote netip.Addr) (addr4, addr6 netip.AddrPort, warning string) {
	remote = remote.Unmap()
	var v4, v6 netip.Addr
	if remote.Is4() {
		v4 = remote
	} else if remote.Is6() {
		v6 = remote
	}
	claimed := q.ip.IsValid() || q.ipv4.IsValid() || q.ipv6.IsValid()
	trusted := t.cfg.TrustIPParam || remote.IsLoopback() || remote.IsPrivate()
	switch {
	case claimed && trusted:
		for _, a := range []netip.Addr{q.ip, q.ipv4, q.ipv6} {
			if a.Is4() {
				v4 = a
			} else if a.Is6() {
				v6 = a
			}
		}
	case claimed:
		warning = "ip parameters ignored: this tracker lists peers at their source address"
	}
	if v4.IsValid() {
		addr4 = netip.AddrPortFrom(v4, q.port)
	}
	if v6.IsValid() {
		port := q.port
		if q.ipv6Port != 0 && trusted {
			port = q.ipv6Port
		}
		addr6 = netip.AddrPortFrom(v6, port)
	}
	return addr4, addr6, warning
}

func sameHost(p *peerEntry, addr4, addr6 netip.AddrPort) bool {
	return (addr4.IsValid() && p.addr4.Addr() == addr4.Addr()) ||
		(addr6.IsValid() && p.addr6.Addr() == addr6.Addr())
}

// pick returns up to n peers other than self, chosen and ordered at
// random. A seed gets no seeds: it has nothing to download from them.
// The order is random even when every peer fits: clients dial a response
// from its start, so a swarm no larger than numwant, answered in the order
// its peers joined, had every newcomer dial the same first peers, which
// refused most of them while the rest of the swarm waited to be dialled
// (the simulator's 50-leecher flash crowds, all bttls: 90th percentile
// download 4.7 s in join order, 4.3 s in random order).
func (s *swarm) pick(self *peerEntry, n int, r *rand.Rand) []*peerEntry {
	cands := make([]*peerEntry, 0, len(s.list))
	for _, p := range s.list {
		if p != self && !(self.seed && p.seed) {
			cands = append(cands, p)
		}
	}
	n = min(n, len(cands))
	for i := 0; i < n; i++ { // partial Fisher-Yates
		j := i + r.IntN(len(cands)-i)
		cands[i], cands[j] = cands[j], cands[i]
	}
	return cands[:n]
}

func (s *swarm) counts() (complete, incomplete int) {
	for _, p := range s.list {
		if p.seed {
			complete++
		} else {
			incomplete++
		}
	}
	return complete, incomplete
}

func (s *swarm) remove(p *peerEntry) {
	last := s.list[len(s.list)-1]
	s.list[p.index] = last
	last.index = p.index
	s.list = s.list[:len(s.list)-1]
	delete(s.byID, p.id)
}

// sweep drops peers last heard from before cutoff.
func (s *swarm) sweep(cutoff time.Time) {
	for i := 0; i < len(s.list); {
		if p := s.list[i]; p.lastSeen.Before(cutoff) {
			s.remove(p) // moves the last entry to i: look at i again
			continue
		}
		i++
	}
}

// sweepAll expires peers in every torrent and forgets empty torrents.
func (t *Tracker) sweepAll(now time.Time) {
	cutoff := now.Add(-t.cfg.PeerTimeout)
	for ih, s := range t.torrents {
		s.sweep(cutoff)
		if len(s.list) == 0 {
			delete(t.torrents, ih)
		}
	}
	t.lastSweep = now
}

// scrapeEntry is one torrent's BEP 48 counts.
type scrapeEntry struct {
	Complete   int   `bencode:"complete"`
	Downloaded int64 `bencode:"downloaded"`
	Incomplete int   `bencode:"incomplete"`
}

// scrape returns counts for the given torrents, or for all when none is given.
func (t *Tracker) scrape(hashes [][20]byte) map[string]scrapeEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	cutoff := t.e.Now().Add(-t.cfg.PeerTimeout)
	out := make(map[string]scrapeEntry)
	add := func(ih [20]byte, s *swarm) {
		s.sweep(cutoff)
		c, i := s.counts()
		out[string(ih[:])] = scrapeEntry{Complete: c, Downloaded: s.downloaded, Incomplete: i}
	}
	if len(hashes) == 0 {
		for ih, s := range t.torrents { // bencode sorts keys: order does not leak
			add(ih, s)
		}
		return out
	}
	for _, ih := range hashes {
		if s := t.torrents[ih]; s != nil {
			add(ih, s)
		} else {
			out[string(ih[:])] = scrapeEntry{}
		}
	}
	return out
}
