package peer

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/transport"
)

// makeTorrent writes size random bytes and returns their torrent.
func makeTorrent(t testing.TB, size int, pieceLength int64) (*meta.Torrent, []byte) {
	t.Helper()
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), 99))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), "payload.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := meta.Create(p, meta.CreateOptions{PieceLength: pieceLength})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := meta.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tor, data
}

// fastConfig makes the periodic work quick enough for a test.
func fastConfig() Config {
	return Config{
		Env:           env.OS{},
		ListenAddr:    "127.0.0.1:0",
		Tick:          50 * time.Millisecond,
		PEXInterval:   200 * time.Millisecond,
		ChokeInterval: time.Second,
	}
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitComplete waits for every torrent to complete or the deadline to pass.
func waitComplete(t *testing.T, timeout time.Duration, ts ...*Torrent) {
	t.Helper()
	sig := env.OS{}.NewSignal()
	for _, tr := range ts {
		tr.Subscribe(sig)
	}
	deadline := time.Now().Add(timeout)
	for {
		done := true
		for _, tr := range ts {
			done = done && tr.Complete()
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			for i, tr := range ts {
				s := tr.Stats()
				t.Logf("torrent %d: %d/%d pieces, %d conns", i, s.Have, s.NumPieces, s.Conns)
			}
			t.Fatal("download did not complete in time")
		}
		sig.Wait(100 * time.Millisecond)
	}
}

// TestSwarm runs a seed and three leechers over loopback TCP. The seed's
// upload is throttled and the leechers know only the seed, so they must
// find each other by PEX and trade pieces among themselves.
func TestSwarm(t *testing.T) {
	tor, data := makeTorrent(t, 4<<20, 32<<10)
	seedCfg := fastConfig()
	seedCfg.UploadRate = 3 << 20
	seed := newClient(t, seedCfg)
	addSeed(t, seed, tor, data)
	var leechers []*Torrent
	var stores []*storage.Memory
	var ids [][20]byte
	for range 3 {
		c := newClient(t, fastConfig())
		st, _ := storage.NewMemory(tor, nil)
		lt, err := c.AddTorrent(tor, st)
		if err != nil {
			t.Fatal(err)
		}
		lt.AddPeers(seed.Addr().String())
		leechers = append(leechers, lt)
		stores = append(stores, st)
		ids = append(ids, c.PeerID())
	}
	waitComplete(t, 30*time.Second, leechers...)
	fromLeechers := int64(0)
	for i, lt := range leechers {
		if !bytes.Equal(stores[i].Bytes(), data) {
			t.Errorf("leecher %d: content differs", i)
		}
		s := lt.Stats()
		for j, id := range ids {
			if j != i {
				fromLeechers += s.ByPeer[id].Down
			}
		}
		if s.ByKind[transport.Plain].Down < tor.Length {
			t.Errorf("leecher %d: %d plain bytes down, want >= %d", i, s.ByKind[transport.Plain].Down, tor.Length)
		}
		if s.HashFailures != 0 {
			t.Errorf("leecher %d: %d hash failures", i, s.HashFailures)
		}
		t.Logf("leecher %d: downloaded %d, wasted %d", i, s.Downloaded, s.Wasted)
		if s.Wasted > tor.Length/4 {
			t.Errorf("leecher %d: %d of %d bytes fetched twice", i, s.Wasted, tor.Length)
		}
	}
	if fromLeechers == 0 {
		t.Error("no leecher downloaded from another leecher")
	}
	t.Logf("bytes exchanged between leechers: %d of %d", fromLeechers, 3*tor.Length)
}

func makeTorrentB(b *testing.B, size int) (*meta.Torrent, []byte) { return makeTorrent(b, size, 0) }

// addSeed adds tor to c with all of data in memory storage: c seeds it.
func addSeed(t testing.TB, c *Client, tor *meta.Torrent, data []byte) *Torrent {
	t.Helper()
	ss, err := storage.NewMemory(tor, data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.AddTorrent(tor, ss)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestMagnet(t *testing.T) {
	tor, data := makeTorrent(t, 1<<20, 0)
	seed := newClient(t, fastConfig())
	ss, _ := storage.NewMemory(tor, data)
	if _, err := seed.AddTorrent(tor, ss); err != nil {
		t.Fatal(err)
	}
	m, err := meta.ParseMagnet(tor.MagnetLink() + "&x.pe=" + seed.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, fastConfig())
	// The link's peers are added once the torrent is known to lack its
	// metadata: over loopback the fetch can finish before AddMagnet
	// returns.
	peers := m.Peers
	m.Peers = nil
	var st *storage.Memory // written under the torrent's lock, read after completion
	lt, err := c.AddMagnet(m, func(got *meta.Torrent) (storage.Storage, error) {
		var serr error
		st, serr = storage.NewMemory(got, nil)
		return st, serr
	})
	if err != nil {
		t.Fatal(err)
	}
	if lt.Meta() != nil {
		t.Fatal("metadata known before it was fetched")
	}
	if len(peers) != 1 {
		t.Fatalf("magnet link peers %v, want the seed's address", peers)
	}
	lt.AddPeers(peers...)
	waitComplete(t, 20*time.Second, lt)
	if !bytes.Equal(lt.Meta().InfoBytes, tor.InfoBytes) {
		t.Error("fetched info dict differs")
	}
	if !bytes.Equal(st.Bytes(), data) {
		t.Error("content differs")
	}
}

func TestUnknownTorrentInboundIsRefused(t *testing.T) {
	tor, data := makeTorrent(t, 64<<10, 0)
	seed := newClient(t, fastConfig())
	ss, _ := storage.NewMemory(tor, data)
	seed.AddTorrent(tor, ss)
	other, _ := makeTorrent(t, 65<<10, 0)
	c := newClient(t, fastConfig())
	st, _ := storage.NewMemory(other, nil)
	lt, _ := c.AddTorrent(other, st)
	lt.AddPeers(seed.Addr().String())
	time.Sleep(300 * time.Millisecond)
	if s := lt.Stats(); s.Conns != 0 {
		t.Fatalf("%d connections for a torrent the seed does not have", s.Conns)
	}
}

func TestSeedsDisconnect(t *testing.T) {
	tor, data := makeTorrent(t, 64<<10, 0)
	a := newClient(t, fastConfig())
	b := newClient(t, fastConfig())
	sa, _ := storage.NewMemory(tor, data)
	sb, _ := storage.NewMemory(tor, data)
	ta, _ := a.AddTorrent(tor, sa)
	b.AddTorrent(tor, sb)
	// Seeds do not dial; a leecher connects to both and, once complete,
	// must drop them both (and they it).
	c := newClient(t, fastConfig())
	sc, _ := storage.NewMemory(tor, nil)
	tc, _ := c.AddTorrent(tor, sc)
	tc.AddPeers(a.Addr().String(), b.Addr().String())
	waitComplete(t, 10*time.Second, tc)
	waitFor(t, "the new seed to drop its seed peers", 5*time.Second, func() bool { return tc.Stats().Conns == 0 })
	if ta.Stats().Conns != 0 {
		t.Errorf("seed a still has %d connections", ta.Stats().Conns)
	}
}

// TestSeedDialsGivenPeer: a seed told about a leecher (bttls seed --peer)
// connects to it and uploads.
func TestSeedDialsGivenPeer(t *testing.T) {
	tor, data := makeTorrent(t, 256<<10, 0)
	leech := newClient(t, fastConfig())
	st, _ := storage.NewMemory(tor, nil)
	lt, _ := leech.AddTorrent(tor, st)
	seed := newClient(t, fastConfig())
	ss, _ := storage.NewMemory(tor, data)
	stt, _ := seed.AddTorrent(tor, ss)
	stt.AddPeers(leech.Addr().String())
	waitComplete(t, 10*time.Second, lt)
	if !bytes.Equal(st.Bytes(), data) {
		t.Fatal("content differs")
	}
}
