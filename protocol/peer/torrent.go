package peer

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/bttls/bttls/protocol/choker"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/picker"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/protocol/wire"
)

// SecurityFunc reads a torrent's TLS settings (see Config.TorrentSecurity).
type SecurityFunc func(*meta.Torrent) (any, error)

// OpenStorageFunc opens the storage for a torrent whose metadata just
// arrived by BEP 9.
type OpenStorageFunc func(*meta.Torrent) (storage.Storage, error)

// maxCandidates bounds the addresses a torrent remembers to dial.
const maxCandidates = 500

type candidate struct {
	addr     string
	source   string // "user", "tracker", "pex"
	next     time.Time
	failures int
	hint     transport.Hint
	// seed is set when the address is known to be a seed (PEX flag, or a
	// connection dropped because both sides were seeds): seeds skip it.
	seed bool
}

// Torrent is one torrent in a Client.
type Torrent struct {
	c        *Client
	infoHash [20]byte

	mu          sync.Mutex
	tt          transport.Torrent
	meta        *meta.Torrent // nil until the metadata is known
	store       storage.Storage
	picker      *picker.Picker
	openStorage OpenStorageFunc
	md          *metadataFetch
	trackers    []string

	conns      []*conn // in connection order, for deterministic iteration
	nextConnID uint64
	dialing    map[string]bool
	cands      []*candidate
	choker     *choker.Choker
	lastChoke  time.Time
	// contributors lists, per piece in flight, the connections that sent
	// blocks of it, to blame when it fails its hash check.
	contributors map[int][]uint64
	banned       map[[20]byte]bool

	stats         Stats
	downloadedAny bool
	subs          []env.Signal
	closed        bool

	tickSig     env.Signal
	announceSig env.Signal
	// needPeers asks the announcer for an early announce (guarded by mu).
	needPeers bool
	// verifyQ lists pieces with all blocks in, for the verifier task.
	verifyQ   []int
	verifySig env.Signal
	// pexScratch is sendPEXLocked's set of current addresses, reused.
	pexScratch addrSet
}

// AddTorrent adds a torrent whose metadata is known, with its storage.
// Pieces the storage already has count as complete.
func (c *Client) AddTorrent(m *meta.Torrent, s storage.Storage) (*Torrent, error) {
	t, err := c.newTorrent(m.InfoHash, m.Name, m.Trackers, nil)
	if err != nil {
		return nil, err
	}
	if err := t.setMeta(m, s); err != nil {
		return nil, err
	}
	c.start(t)
	return t, nil
}

// AddMagnet adds a torrent known only by a magnet link: its metadata is
// fetched from peers with BEP 9 and checked against the infohash, then
// open is called for the storage and the download starts.
func (c *Client) AddMagnet(m meta.Magnet, open OpenStorageFunc) (*Torrent, error) {
	var sec any
	if c.cfg.MagnetSecurity != nil {
		var err error
		if sec, err = c.cfg.MagnetSecurity(m); err != nil {
			return nil, fmt.Errorf("peer: magnet link: %w", err)
		}
	}
	t, err := c.newTorrent(m.InfoHash, m.Name, m.Trackers, open)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.tt.Security = sec
	t.mu.Unlock()
	c.start(t)
	t.AddPeers(m.Peers...)
	return t, nil
}

func (c *Client) newTorrent(ih [20]byte, name string, trackers []string, open OpenStorageFunc) (*Torrent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("peer: client is closed")
	}
	for _, t := range c.torrents {
		if t.infoHash == ih {
			return nil, fmt.Errorf("peer: torrent %x already added", ih)
		}
	}
	t := &Torrent{
		c:            c,
		infoHash:     ih,
		tt:           transport.Torrent{InfoHash: ih, Name: name},
		openStorage:  open,
		trackers:     trackers,
		dialing:      map[string]bool{},
		choker:       choker.New(c.cfg.UploadSlots, c.e.NewRand()),
		contributors: map[int][]uint64{},
		banned:       map[[20]byte]bool{},
		tickSig:      c.e.NewSignal(),
		announceSig:  c.e.NewSignal(),
		verifySig:    c.e.NewSignal(),
	}
	t.stats.ByKind = map[transport.Kind]Traffic{}
	t.stats.ByPeer = map[[20]byte]Traffic{}
	c.torrents = append(c.torrents, t)
	return t, nil
}

func (c *Client) start(t *Torrent) {
	c.e.Go(fmt.Sprintf("torrent %x", t.infoHash[:4]), t.tickLoop)
	c.e.Go(fmt.Sprintf("verify %x", t.infoHash[:4]), t.verifyLoop)
	if c.cfg.Announce != nil && len(t.trackers) > 0 {
		c.e.Go(fmt.Sprintf("announce %x", t.infoHash[:4]), t.announceLoop)
	}
}

// setMeta installs the metadata and storage.
func (t *Torrent) setMeta(m *meta.Torrent, s storage.Storage) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.setMetaLocked(m, s)
}

// setMetaLocked installs the metadata and storage. The hooks it calls
// (TorrentSecurity, reading the storage's state) must not block on the network.
func (t *Torrent) setMetaLocked(m *meta.Torrent, s storage.Storage) error {
	var sec any
	if t.c.cfg.TorrentSecurity != nil {
		var err error
		if sec, err = t.c.cfg.TorrentSecurity(m); err != nil {
			return fmt.Errorf("peer: %s: %w", m.Name, err)
		}
	}
	p := picker.New(m.NumPieces(), m.PieceLength, m.Length, t.c.e.NewRand())
	for i, ok := range s.Completed() {
		if ok {
			p.PieceVerified(i)
		}
	}
	t.meta, t.store, t.picker = m, s, p
	t.tt = transport.Torrent{InfoHash: m.InfoHash, Name: m.Name, Security: sec}
	if len(t.trackers) == 0 {
		t.trackers = m.Trackers
	}
	t.stats.NumPieces = m.NumPieces()
	t.stats.Have = p.NumHave()
	t.stats.Length = m.Length
	for _, cn := range t.conns {
		if err := cn.sess.SetPicker(p); err != nil {
			cn.failLocked(err)
		}
		cn.wake.Notify()
	}
	t.notifyLocked()
	return nil
}

// Meta returns the torrent's metadata, nil while a magnet link's metadata
// is still being fetched.
func (t *Torrent) Meta() *meta.Torrent {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.meta
}

// InfoHash is the torrent's v1 infohash.
func (t *Torrent) InfoHash() [20]byte { return t.infoHash }

func (t *Torrent) name() string {
	if t.tt.Name != "" {
		return t.tt.Name
	}
	return fmt.Sprintf("%x", t.infoHash)
}

func (t *Torrent) transportTorrent() *transport.Torrent {
	t.mu.Lock()
	defer t.mu.Unlock()
	tt := t.tt
	return &tt
}

// Complete reports whether every piece is verified.
func (t *Torrent) Complete() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.completeLocked()
}

// completeLocked is Complete for callers holding t.mu: the metadata is
// known and every piece verified, so we seed.
func (t *Torrent) completeLocked() bool { return t.picker != nil && t.picker.Done() }

// Subscribe makes the torrent notify s whenever its progress changes (a
// piece verified, metadata arrived, a peer came or went) and when it closes.
func (t *Torrent) Subscribe(s env.Signal) {
	t.mu.Lock()
	t.subs = append(t.subs, s)
	t.mu.Unlock()
	s.Notify()
}

func (t *Torrent) notifyLocked() {
	for _, s := range t.subs {
		s.Notify()
	}
}

func (t *Torrent) left() int64 {
	if t.meta == nil {
		return 1 // unknown, but not zero: we are not a seed
	}
	left := t.meta.Length
	for i := range t.meta.NumPieces() {
		if t.picker.Have(i) {
			left -= int64(t.meta.PieceSize(i))
		}
	}
	return left
}

// AddPeers adds addresses ("host:port") to dial.
func (t *Torrent) AddPeers(addrs ...string) {
	t.mu.Lock()
	for _, a := range addrs {
		t.addCandidateLocked(a, "user", transport.Hint{})
	}
	t.mu.Unlock()
	t.tickSig.Notify()
}

func (t *Torrent) addCandidateLocked(addr, source string, h transport.Hint) *candidate {
	if t.c.ln != nil && addr == t.c.ln.Addr().String() {
		return nil // ourselves
	}
	for _, cd := range t.cands {
		if cd.addr == addr {
			// Evidence of TLS from any source outweighs a legacy report.
			switch {
			case h.TLS:
				cd.hint.TLS, cd.hint.Legacy = true, false
			case h.Legacy && !cd.hint.TLS:
				cd.hint.Legacy = true
			}
			return cd
		}
	}
	if len(t.cands) >= maxCandidates {
		return nil
	}
	cd := &candidate{addr: addr, source: source, hint: h}
	t.cands = append(t.cands, cd)
	return cd
}

// close stops the torrent: its connections close, its tasks end.
func (t *Torrent) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	conns := slices.Clone(t.conns)
	t.notifyLocked()
	t.mu.Unlock()
	for _, cn := range conns {
		cn.fail(errClosed)
	}
	t.tickSig.Notify()
	t.announceSig.Notify()
	t.verifySig.Notify()
	if t.c.cfg.Announce != nil && len(t.trackers) > 0 {
		if _, err := t.announce("stopped"); err != nil {
			t.c.logf("peer: %s: announce stopped: %v", t.name(), err)
		}
	}
	t.mu.Lock()
	s := t.store
	t.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

var errClosed = errors.New("peer: closed")

// tickLoop does the torrent's periodic work: dial candidates, run the
// choker, send PEX, retry metadata requests, tick idle connections.
func (t *Torrent) tickLoop() {
	for {
		t.tickSig.Wait(t.c.cfg.Tick)
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return
		}
		now := t.c.e.Now()
		if now.Sub(t.lastChoke) >= t.chokeIntervalLocked() {
			t.runChokerLocked(now)
		} else {
			t.fillSlotsLocked()
		}
		t.sendPEXLocked(now)
		t.retryMetadataLocked(now)
		t.dropSeedsLocked()
		dials := t.pickDialsLocked(now)
		// Short of peers with none left to dial (every known one full or
		// backing off): ask the tracker again without waiting for its
		// interval, as a flash crowd's late joiners otherwise sit idle
		// until then.
		if !t.needPeers && len(dials) == 0 && len(t.dialing) == 0 && len(t.conns) < t.c.cfg.MaxConns/4 &&
			!t.completeLocked() {
			t.needPeers = true
			t.announceSig.Notify()
		}
		t.mu.Unlock()
		for _, cd := range dials {
			t.c.e.Go("peer-out "+cd.addr, func() { t.dial(cd) })
		}
	}
}

// chokeIntervalLocked is the time between choker rounds: ChokeInterval
// while we leech, as tit-for-tat needs rates measured over a while; every
// tick while we seed, since a seed ranks peers by what they lack (see
// rankLocked), which changes as fast as it sends. A seed that kept its
// first four peers for a whole round sent them the whole torrent, several
// times over between them, while the rest of a flash crowd waited for
// those four to pass pieces on (300 leechers, 1 MiB: the seeder's first
// peers happened to be slow ones, and the swarm moved almost nothing for
// a second and a half).
func (t *Torrent) chokeIntervalLocked() time.Duration {
	if t.completeLocked() {
		return t.c.cfg.Tick
	}
	return t.c.cfg.ChokeInterval
}

// dropSeedsLocked closes connections between two seeds: neither can
// give the other anything, and the slot is better used for a leecher.
func (t *Torrent) dropSeedsLocked() {
	if !t.completeLocked() {
		return
	}
	for _, cn := range t.conns {
		if cn.sess.PeerIsSeed() {
			for _, cd := range t.cands {
				if cd.addr == cn.addr || (cn.listenAddr.IsValid() && cd.addr == cn.listenAddr.String()) {
					cd.seed = true
				}
			}
			cn.failLocked(errBothSeeds)
		}
	}
}

var errBothSeeds = errors.New("peer: both sides are seeds")

// maxConnsLocked is the most connections the torrent keeps: MaxConns,
// which dials fill, plus a fifth more that only inbound connections take,
// so that peers that cannot be dialled can still reach a torrent full of
// outbound ones.
func (t *Torrent) maxConnsLocked() int { return t.c.cfg.MaxConns + t.c.cfg.MaxConns/5 }

// inboundRoomLocked reports whether an inbound connection would be taken
// with extra more handshakes in progress. Dials in progress do not count:
// reserving room for them turned away so many inbound connections during
// a flash crowd's first dials that the swarm came out sparser and slower
// (sim/swarm's Kumar-Ross test), so a dial can still find the torrent
// filled by inbound connections when it completes.
func (t *Torrent) inboundRoomLocked(extra int) bool {
	return !t.closed && len(t.conns)+extra < t.maxConnsLocked()
}

// anyRoom reports whether any of torrents would take one more inbound
// connection beside inbound others still in their handshakes.
func anyRoom(torrents []*Torrent, inbound int) bool {
	for _, t := range torrents {
		t.mu.Lock()
		ok := t.inboundRoomLocked(inbound)
		t.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}

// pickDialsLocked chooses candidates to dial now, within MaxConns and
// with at most maxDialingLocked dials in progress.
func (t *Torrent) pickDialsLocked(now time.Time) []*candidate {
	seeding := t.completeLocked()
	room := min(t.c.cfg.MaxConns-len(t.conns), t.maxDialingLocked()) - len(t.dialing)
	var out []*candidate
	for _, cd := range t.cands {
		if room <= 0 {
			break
		}
		if t.dialing[cd.addr] || now.Before(cd.next) || t.connectedToLocked(cd.addr) || (seeding && cd.seed) {
			continue
		}
		t.dialing[cd.addr] = true
		room--
		out = append(out, cd)
	}
	return out
}

// maxDialingLocked is how many dials may be in progress at once: half of
// MaxConns. Where every peer dials, each connection has one dialer, so
// half of a peer's connections come to it; a peer that dials its whole
// budget at once while as many others dial it overshoots its limit
// twofold, and both ends of each connection past the limit pay a TLS
// handshake for one of them to refuse. Measured in the simulator: a
// 300-peer flash crowd (30 connections each) paid 33.5 TLS setups per
// leecher, 4,300 of its 9,000 first dials refused, and 24.4 with half the
// budget; the 50-leecher adoption study's 90th percentile download fell
// by 10-30 % at nearly every adoption level (all bttls 4.25 -> 3.51 s),
// and sim/swarm's Kumar-Ross flash crowd came from 1.31 to 1.26 times the
// minimum. A peer that nobody dials still fills its slots, half of them
// per round of dials.
func (t *Torrent) maxDialingLocked() int { return max(1, t.c.cfg.MaxConns/2) }

func (t *Torrent) connectedToLocked(addr string) bool {
	for _, cn := range t.conns {
		if cn.addr == addr || (cn.listenAddr.IsValid() && cn.listenAddr.String() == addr) {
			return true
		}
	}
	return false
}

// dial connects to a candidate and runs the connection.
func (t *Torrent) dial(cd *candidate) {
	tc, err := t.c.cfg.Dialer.Connect(t.c.e, cd.addr, t.transportTorrent(), cd.hint, t.c.cfg.HandshakeTimeout)
	var cn *conn
	if err == nil {
		cn, err = t.c.handshakeOut(t, tc, cd.addr)
		if err != nil {
			tc.Close()
		}
	}
	t.mu.Lock()
	delete(t.dialing, cd.addr)
	// The next candidate need not wait for the tick.
	t.tickSig.Notify()
	if err != nil {
		cd.failures++
		// Back off: 5 s, 10 s, 20 s ... up to 5 min.
		cd.next = t.c.e.Now().Add(min(5*time.Second<<min(cd.failures-1, 6), 5*time.Minute))
	} else {
		cd.failures = 0
		cd.next = t.c.e.Now().Add(30 * time.Second)
	}
	t.mu.Unlock()
	if err != nil {
		t.c.logf("peer: %s: connecting to %s: %v", t.name(), cd.addr, err)
		return
	}
	cn.run()
}

// Peers returns the addresses of the connected peers.
func (t *Torrent) Peers() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.conns))
	for _, cn := range t.conns {
		out = append(out, cn.addr)
	}
	return out
}

// localExt is the extension handshake we send on t's connections.
func (t *Torrent) localExtLocked() wire.ExtHandshake {
	h := wire.ExtHandshake{
		M:    map[string]int{wire.ExtMetadata: extIDMetadata, wire.ExtPEX: extIDPEX},
		V:    t.c.cfg.ClientName,
		Port: t.c.listenPort(),
		Reqq: 250,
	}
	if t.meta != nil {
		h.MetadataSize = len(t.meta.InfoBytes)
	}
	if t.c.cfg.AdvertiseTLS {
		h.Extra = map[string]bencode.Bytes{wire.ExtKeyTLS: bencode.Bytes("i1e")}
	}
	return h
}

// Our BEP 10 ids for the extensions we speak.
const (
	extIDMetadata = 1
	extIDPEX      = 2
)
