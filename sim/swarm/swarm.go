// Package swarm runs a scenario: real protocol/peer clients and a real
// protocol/tracker on netmodel hosts, under one sim.Sim, and measures them.
package swarm

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/netmodel"
	"github.com/bttls/bttls/netmodel/middlebox"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/tracker"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/sim"
	"github.com/bttls/bttls/sim/scenario"
)

// Options adjust a run beyond its scenario.
type Options struct {
	// Seed, if non-nil, replaces the scenario's seed.
	Seed *uint64
	// Progress, if set, is called about once per virtual second with the
	// number of leechers that completed, of total.
	Progress func(completed, total int, now time.Duration)
	// Step is the virtual time between Progress calls (default 1s).
	Step time.Duration
	// Watchdog overrides the scheduler's stall watchdog (wall time).
	Watchdog time.Duration
	// Crypto is "real" (the default: real TLS and MSE) or "modeled"
	// (handshakes and records of the measured shapes, no crypto; see Shapes).
	Crypto string
	// MLKEM adds X25519MLKEM768 to TLS. Its ML-KEM randomness cannot be
	// seeded, so a run is then deterministic in sizes and timing (digest,
	// results) but not in the encrypted bytes.
	MLKEM bool
	// EventLog, if set, receives every observation of the run's digest as
	// NDJSON: {"t": virtual ns, "k": kind, "a": ..., "b": ...}, where kind
	// "r" is a task resumed (a: task id) and "tx" a segment sent (a: flow
	// id×2 + direction, b: bytes).
	EventLog io.Writer
	// Trace, if set, receives the negotiation events of every outbound
	// connection of every bttls, MSE and legacy peer (models/trace), for
	// btsim check --trace. Needs Crypto "real": modeled transports do not
	// negotiate. Recording does not change the run (its digest included).
	Trace trace.Recorder
}

// Peer is one peer's record.
type Peer struct {
	ID        int
	Addr      string
	Seeder    bool
	Class     string
	Transport string
	Policy    string
	Arrival   time.Duration
	// Completed is the virtual time the last piece was verified, or -1.
	Completed time.Duration
	// FirstPiece is the virtual time the first piece was verified, or -1
	// (0 for a seeder).
	FirstPiece time.Duration
	Downloaded int64
	Uploaded   int64
}

// Sample is the swarm's state at the end of one step of the run.
type Sample struct {
	At        time.Duration
	Completed int
	// Sent is the payload bytes (all connections, all hosts) sent during the step.
	Sent int64
}

// DownloadTime is how long the peer took from arrival to completion, or -1.
func (p *Peer) DownloadTime() time.Duration {
	if p.Completed < 0 {
		return -1
	}
	return p.Completed - p.Arrival
}

type runPeer struct {
	Peer
	pin   bool
	hints scenario.Hints
	// certified is when a Full Strict peer got its certificate (-1: not yet).
	certified time.Duration
	host      *netmodel.Host
	env       *sim.Env
	store     *Store
	client    *peer.Client
	torrent   *peer.Torrent
	left      bool
}

// Run simulates the scenario and returns its results.
func Run(sc *scenario.Scenario, opt Options) (*Result, error) {
	if err := sim.CheckCryptoRand(); err != nil {
		return nil, err
	}
	seed := sc.Seed
	if opt.Seed != nil {
		seed = *opt.Seed
	}
	wallStart, cpuStart := time.Now(), processCPU()
	kex := "X25519"
	if opt.MLKEM {
		kex = "X25519MLKEM768, ML-KEM unseeded: sizes-only determinism"
	}
	cryptoMode := "real (TLS 1.3, " + kex + ")"
	var shapes *Shapes
	switch opt.Crypto {
	case "", "real":
	case "modeled":
		if opt.Trace != nil {
			return nil, fmt.Errorf("swarm: the negotiation trace needs crypto mode real (modeled transports replay handshake shapes and do not negotiate)")
		}
		sh, err := MeasureShapes(opt.MLKEM)
		if err != nil {
			return nil, err
		}
		shapes = &sh
		cryptoMode = fmt.Sprintf("modeled (TLS setup %s with %s, MSE setup %s, 22 bytes per record)", shapeString(sh.TLS), strings.SplitN(kex, ",", 2)[0], shapeString(sh.MSE))
	default:
		return nil, fmt.Errorf("swarm: crypto mode %q: want real or modeled", opt.Crypto)
	}
	if shapes != nil && sc.Torrent.Level != "basic" {
		return nil, fmt.Errorf("swarm: a %s torrent needs crypto mode real (modeled crypto replays Basic handshakes only)", sc.Torrent.Level)
	}
	s := sim.New(sim.Config{Seed: seed, Watchdog: opt.Watchdog})
	defer s.Close()
	n := netmodel.New(s)
	r := s.NewRand()
	if opt.EventLog != nil {
		log := bufio.NewWriterSize(opt.EventLog, 64<<10)
		s.Observer = func(at time.Duration, kind string, a, b uint64) {
			fmt.Fprintf(log, "{\"t\":%d,\"k\":%q,\"a\":%d,\"b\":%d}\n", int64(at), kind, a, b)
		}
		defer log.Flush()
	}

	classes := map[string]scenario.Class{}
	for _, c := range sc.Classes {
		classes[c.Name] = c
	}
	hostFor := func(c scenario.Class) (*netmodel.Host, error) {
		return n.AddHost(netmodel.HostConfig{Up: c.Up, Down: c.Down, Latency: c.Latency, Loss: c.Loss})
	}

	// The tracker, on a well-connected host of its own.
	th, err := n.AddHost(netmodel.HostConfig{Name: "tracker", Latency: 5 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	te := s.NewEnv(th)
	tr := tracker.NewTracker(te, tracker.Config{Interval: sc.Tracker.Interval, DefaultNumWant: sc.Tracker.NumWant,
		MaxPeersPerTorrent: max(tracker.DefaultMaxPeersPerTorrent, sc.Swarm.Peers+sc.Swarm.Seeders), TrustIPParam: true})
	srv := tracker.NewServer(te, tr)
	srv.MaxConns = 4096
	tl, err := te.Listen("tcp", ":6969")
	if err != nil {
		return nil, err
	}
	te.Go("tracker", func() { srv.Serve(tl) })
	announceURL := fmt.Sprintf("http://%s:6969/announce", th.Addr())
	// A Full Strict swarm's issuer: the tracker's, or on a host of its own,
	// which exists whatever the level so that an [outage] can name it in
	// every run of a sweep over the level.
	ie, issuerHost := te, (*netmodel.Host)(nil)
	if sc.Issuer.Host == "issuer" {
		if issuerHost, err = n.AddHost(netmodel.HostConfig{Name: "issuer", Latency: 5 * time.Millisecond}); err != nil {
			return nil, err
		}
		ie = s.NewEnv(issuerHost)
	}

	var mbStats *middlebox.Stats
	if sc.Middlebox.Enabled() {
		mb, st, err := middlebox.New(sc.Middlebox, middlebox.Env{Clock: s, Seed: seed, Resolve: n.LookupName})
		if err != nil {
			return nil, fmt.Errorf("swarm: %w", err)
		}
		n.Middlebox, mbStats = mb, st
	}

	content, err := NewContent(sc.Torrent.Size, sc.Torrent.PieceSize, seed, announceURL)
	if err != nil {
		return nil, err
	}
	var iss *issuance
	switch sc.Torrent.Level {
	case "strict":
		if err := makeStrict(content, te.CryptoRand()); err != nil {
			return nil, err
		}
	case "fullstrict":
		tokens := make([]string, sc.Swarm.Seeders+sc.Swarm.Peers)
		for i := range tokens {
			tokens[i] = token(i)
		}
		h, root, err := makeFullStrict(content, ie, tokens, sc.Issuer.Validity)
		if err != nil {
			return nil, err
		}
		iss = &issuance{root: root, retry: sc.Issuer.Retry, stats: &IssuerStats{}}
		if issuerHost == nil {
			srv.Handle("POST /issue", h)
			iss.url = fmt.Sprintf("http://%s:6969/issue", th.Addr())
		} else if iss.url, err = serveIssuer(ie, issuerHost.Addr().String(), h); err != nil {
			return nil, err
		}
	}

	hs := Handshakes{}
	var peers []*runPeer
	completed := 0

	// Seeders, then leechers: hosts and Envs are made in this fixed order.
	for i := 0; i < sc.Swarm.Seeders; i++ {
		h, err := hostFor(classes[sc.Swarm.SeederClass])
		if err != nil {
			return nil, err
		}
		peers = append(peers, &runPeer{Peer: Peer{ID: len(peers), Seeder: true, Class: sc.Swarm.SeederClass, Transport: sc.Swarm.SeederTransport, Policy: sc.Swarm.SeederPolicy, Completed: 0},
			pin: true, certified: -1, host: h, env: s.NewEnv(h), store: NewStore(content, true)})
	}
	classOf := spread(r, sc.Swarm.Peers, len(sc.Classes), func(i int) float64 { return sc.Classes[i].Fraction })
	mixOf := spread(r, sc.Swarm.Peers, len(sc.Mix), func(i int) float64 { return sc.Mix[i].Fraction })
	arrivals := arrivalTimes(r, sc.Arrival, sc.Swarm.Peers)
	for i := 0; i < sc.Swarm.Peers; i++ {
		c := sc.Classes[classOf[i]]
		m := sc.Mix[mixOf[i]]
		h, err := hostFor(c)
		if err != nil {
			return nil, err
		}
		peers = append(peers, &runPeer{Peer: Peer{ID: len(peers), Class: c.Name, Transport: m.Transport, Policy: m.Policy, Arrival: arrivals[i], Completed: -1, FirstPiece: -1},
			pin: m.Pin, hints: m.Hints, certified: -1, host: h, env: s.NewEnv(h), store: NewStore(content, false)})
	}

	var startErr error
	for _, p := range peers {
		p := p
		p.Addr = p.host.Addr().String()
		if !p.Seeder {
			p.store.OnFirstPiece = func() { p.FirstPiece = s.Now() }
			p.store.OnComplete = func() {
				p.Completed = s.Now()
				completed++
				if sc.Swarm.AfterComplete == "leave" {
					p.env.Go("leave", func() { p.leave() })
				}
			}
		}
		s.At(p.Arrival, func() {
			p.env.Go(fmt.Sprintf("start peer %d", p.ID), func() {
				if err := p.start(sc, hs, content, shapes, iss, opt.MLKEM, opt.Trace); err != nil && startErr == nil {
					startErr = fmt.Errorf("swarm: peer %d (%s): %w", p.ID, p.Transport, err)
					s.Stop()
				}
			})
		})
	}

	step := opt.Step
	if step <= 0 {
		step = time.Second
	}
	var runErr error
	var series []Sample
	var lastSent int64
	for now := time.Duration(0); now < sc.Duration; {
		now = min(now+step, sc.Duration)
		if runErr = s.RunUntil(now); runErr != nil || startErr != nil {
			break
		}
		var sent int64
		for _, p := range peers {
			sent += p.host.Stats.BytesSent
		}
		series = append(series, Sample{At: s.Now(), Completed: completed, Sent: sent - lastSent})
		lastSent = sent
		if opt.Progress != nil {
			opt.Progress(completed, sc.Swarm.Peers, s.Now())
		}
		if completed == sc.Swarm.Peers {
			break
		}
	}
	if startErr != nil {
		return nil, startErr
	}
	if runErr != nil {
		return nil, fmt.Errorf("swarm: seed %d: %w", seed, runErr)
	}
	res := &Result{Scenario: sc.Name, Seed: seed, Peers: sc.Swarm.Peers, Seeders: sc.Swarm.Seeders,
		Virtual: s.Now(), Wall: time.Since(wallStart), CPU: processCPU() - cpuStart, Events: s.Events(), Digest: s.Digest(),
		Crypto: cryptoMode, Level: sc.Torrent.Level, Handshakes: hs, BytesByKind: map[string]int64{}, Series: series}
	var capacity float64 // total upload capacity of the peers, B/s
	for _, p := range peers {
		capacity += float64(p.host.Config().Up)
	}
	for _, p := range peers {
		if p.torrent != nil {
			st := p.torrent.Stats()
			p.Downloaded, p.Uploaded = st.Downloaded, st.Uploaded
			kinds := make([]transport.Kind, 0, len(st.ByKind))
			for k := range st.ByKind {
				kinds = append(kinds, k)
			}
			sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
			for _, k := range kinds {
				res.BytesByKind[k.String()] += st.ByKind[k].Down
			}
		}
		res.PeerList = append(res.PeerList, p.Peer)
		if !p.Seeder && !scenario.IsTLS(p.Transport) {
			res.NoTLS++
		}
	}
	if iss != nil {
		var wait time.Duration
		for _, p := range peers {
			switch {
			case !scenario.IsTLS(p.Transport):
			case p.certified >= 0:
				iss.stats.Certified++
				wait += p.certified - p.Arrival
			default:
				iss.stats.Uncertified++
			}
		}
		if iss.stats.Certified > 0 {
			iss.stats.WaitMean = wait / time.Duration(iss.stats.Certified)
		}
		res.Issuer = iss.stats
	}
	if mbStats != nil {
		res.Middlebox = map[string]float64{}
		for _, m := range mbStats.Metrics() {
			res.Middlebox[m.Name] = m.Value
		}
	}
	res.summarise()
	if end := res.Last.Seconds(); end > 0 && capacity > 0 {
		var up float64
		for _, p := range peers {
			up += float64(p.Uploaded)
		}
		res.UploadUtilisation = up / (capacity * end)
	}
	var arrived time.Duration
	if res.KumarRoss, arrived = kumarRossOf(sc.Torrent.Size, peers); res.KumarRoss > 0 && res.Completed == res.Peers {
		res.KumarRossFactor = (res.Last - arrived).Seconds() / res.KumarRoss.Seconds()
	}
	return res, nil
}

// token is the issuer credential of peer id.
func token(id int) string { return fmt.Sprintf("peer-%d", id) }

// start creates the peer's client and adds the torrent (inside a task). A
// bttls peer of a Full Strict swarm first gets its certificate from the
// issuer; one that gets none before the run ends never joins.
func (p *runPeer) start(sc *scenario.Scenario, hs Handshakes, c *Content, shapes *Shapes, iss *issuance, mlkem bool, rec trace.Recorder) error {
	tls := scenario.IsTLS(p.Transport)
	spec := peerSpec{Kind: p.Transport, Policy: p.Policy, Pin: p.pin, Hints: p.hints, Level: sc.Torrent.Level,
		MLKEM: mlkem, Trace: rec, Local: net.JoinHostPort(p.Addr, "6881")}
	if iss != nil && tls {
		id, err := certify(p.env, iss, c.Torrent.InfoHash, token(p.ID))
		if err != nil {
			return err
		}
		p.certified = p.env.Sim().Now()
		spec.Identity = id
	}
	var w wiring
	var err error
	if shapes != nil {
		w, err = modeledTransports(spec, shapes)
	} else {
		w, err = transports(p.env, spec)
	}
	if err != nil {
		return err
	}
	cl, err := peer.New(peer.Config{
		Env:             p.env,
		ListenAddr:      ":6881",
		Dialer:          countingDialer{w.dialer, hs},
		Acceptor:        countingAcceptor{w.acceptor, hs},
		TorrentSecurity: w.security,
		Announce:        announcer(tls, p.hints == scenario.HintsAll, w.announceKey),
		MaxConns:        sc.Swarm.MaxConns,
		UploadSlots:     sc.Swarm.UploadSlots,
		RecordSize:      sc.Swarm.RecordSize, // 0 (a scenario built without parsing): the peer's default
	})
	if err != nil {
		return err
	}
	p.client = cl
	t, err := cl.AddTorrent(c.Torrent, p.store)
	if err != nil {
		return err
	}
	p.torrent = t
	return nil
}

func (p *runPeer) leave() {
	if p.client != nil && !p.left {
		p.left = true
		p.client.Close()
	}
}

// announcer adapts the tracker client to the peer's AnnounceFunc; TLS peers
// announce supporttls=1, and under key(infohash) when key is set (a Strict
// torrent's swarm key, so that the tracker never sees its infohash).
// legacyHint passes on the tracker's report that a peer lacks TLS, as the
// real peer does (scenario.HintsAll).
func announcer(tls, legacyHint bool, key func([20]byte) [20]byte) peer.AnnounceFunc {
	return func(e env.Env, u string, req peer.AnnounceRequest) (peer.AnnounceResponse, error) {
		if key != nil {
			req.InfoHash = key(req.InfoHash)
		}
		treq := tracker.AnnounceRequest{InfoHash: req.InfoHash, PeerID: req.PeerID, Port: uint16(req.Port),
			Uploaded: req.Uploaded, Downloaded: req.Downloaded, Left: req.Left, Event: req.Event, NumWant: req.NumWant, Extra: req.Extra}
		if tls && treq.Extra.Get(tracker.ParamSupportTLS) == "" {
			treq.Extra = url.Values{tracker.ParamSupportTLS: {"1"}}
			for k, v := range req.Extra {
				treq.Extra[k] = v
			}
		}
		resp, err := tracker.Announce(e, u, treq)
		if err != nil {
			return peer.AnnounceResponse{}, err
		}
		out := peer.AnnounceResponse{Interval: resp.Interval}
		for _, tp := range resp.Peers {
			out.Peers = append(out.Peers, peer.AnnouncePeer{Addr: tp.Addr, TLS: tp.TLS, Legacy: legacyHint && tp.TLSReported && !tp.TLS})
		}
		return out, nil
	}
}

// spread assigns n items to k groups in exact proportions (largest
// remainder), in a seeded random order.
func spread(r interface{ Shuffle(int, func(int, int)) }, n, k int, frac func(int) float64) []int {
	fs := make([]float64, k)
	for i := range fs {
		fs[i] = frac(i)
	}
	counts := scenario.Assign(n, fs)
	out := make([]int, 0, n)
	for g, c := range counts {
		for j := 0; j < c; j++ {
			out = append(out, g)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// arrivalTimes draws leecher arrival times for the arrival process.
func arrivalTimes(r interface{ ExpFloat64() float64 }, a scenario.Arrival, n int) []time.Duration {
	out := make([]time.Duration, n)
	switch a.Process {
	case "uniform":
		for i := range out {
			out[i] = time.Duration(int64(a.Window) * int64(i) / int64(n))
		}
	case "poisson":
		t := 0.0
		for i := range out {
			t += r.ExpFloat64() / a.Rate
			out[i] = time.Duration(math.Round(t * float64(time.Second)))
		}
	}
	return out
}

func shapeString(fl []flight) string {
	out := ""
	for i, f := range fl {
		if i > 0 {
			out += ","
		}
		dir := "c"
		if !f.fromClient {
			dir = "s"
		}
		out += fmt.Sprintf("%s%d", dir, f.size)
	}
	return out
}
