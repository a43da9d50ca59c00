package tracker_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/netmodel"
	"github.com/bttls/bttls/protocol/tracker"
	"github.com/bttls/bttls/sim"
)

// runSimSwarm runs the tracker server and three announcing peers on the
// simulator's network in virtual time: peer 1 goes silent, and after the
// peer timeout the others no longer hear of it. It returns what each
// announce saw and the run's event digest.
func runSimSwarm(t *testing.T, seed uint64) ([]string, string) {
	s := sim.New(sim.Config{Seed: seed})
	defer s.Close()
	n := netmodel.New(s)
	th, err := n.AddHost(netmodel.HostConfig{Name: "tracker", Latency: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	te := s.NewEnv(th)
	srv := tracker.NewServer(te, tracker.NewTracker(te, tracker.Config{Interval: time.Minute, PeerTimeout: 2 * time.Minute}))
	l, err := te.Listen("tcp", ":6969")
	if err != nil {
		t.Fatal(err)
	}
	te.Go("tracker", func() {
		if err := srv.Serve(l); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	url := fmt.Sprintf("http://%s:6969/announce", th.Addr())

	var log []string
	announce := func(e *sim.Env, id byte, left int64) {
		req := tracker.AnnounceRequest{Port: 6881, Left: left}
		req.InfoHash[0], req.PeerID[0] = 0xbb, id
		r, err := tracker.Announce(e, url, req)
		if err != nil {
			t.Errorf("peer %d at %v: %v", id, s.Now(), err)
			return
		}
		var addrs []netip.AddrPort
		for _, p := range r.Peers {
			addrs = append(addrs, p.Addr)
		}
		log = append(log, fmt.Sprintf("%v peer%d: %d seeds, %d leechers, peers %v", s.Now(), id, r.Complete, r.Incomplete, addrs))
	}
	for id := byte(1); id <= 3; id++ {
		h, err := n.AddHost(netmodel.HostConfig{Latency: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		e := s.NewEnv(h)
		e.Go(fmt.Sprintf("peer%d", id), func() {
			e.Sleep(time.Duration(id) * time.Second)
			announce(e, id, int64(id-1)) // peer 1 is the seed
			if id == 1 {
				return // and then goes silent
			}
			e.Sleep(150 * time.Second) // past the 2-minute peer timeout
			announce(e, id, int64(id-1))
		})
	}
	te.Go("stop", func() {
		te.Sleep(10 * time.Minute)
		srv.Close()
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	return log, s.Digest()
}

// TestInSimulator: the same tracker code runs under the simulator's
// scheduler and network (no goroutine, timer or socket of its own), with
// expiry in virtual time, and the run is deterministic.
func TestInSimulator(t *testing.T) {
	start := time.Now()
	log1, d1 := runSimSwarm(t, 7)
	log2, d2 := runSimSwarm(t, 7)
	for _, l := range log1 {
		t.Log(l)
	}
	if len(log1) != 5 {
		t.Fatalf("%d announces answered, want 5", len(log1))
	}
	if want := "1 seeds, 2 leechers"; !strings.Contains(log1[2], want) {
		t.Errorf("third announce %q, want %q", log1[2], want)
	}
	// 149 s after their last announces, the seed and peer 3 have timed out
	// for peer 2; peer 3, back a second later, finds only peer 2.
	if want := "0 seeds, 1 leechers, peers []"; !strings.Contains(log1[3], want) {
		t.Errorf("fourth announce %q, want %q", log1[3], want)
	}
	if want := "0 seeds, 2 leechers, peers [10.0.0.3:6881]"; !strings.Contains(log1[4], want) {
		t.Errorf("fifth announce %q, want %q", log1[4], want)
	}
	if d1 != d2 || fmt.Sprint(log1) != fmt.Sprint(log2) {
		t.Errorf("two runs with seed 7 differ: digests %s / %s", d1, d2)
	}
	if wall := time.Since(start); wall > 5*time.Second {
		t.Errorf("two runs of 10 virtual minutes took %v of wall time", wall)
	}
}
