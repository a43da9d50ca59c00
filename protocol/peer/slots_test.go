package peer

import (
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/storage"
)

// TestFreeSlotsFilledBetweenRounds has a seed with one upload slot and a
// choker round too long to come again during the test: the leechers that
// connect after the first round are served only if a free slot is filled
// at once: the first to show interest takes the slot, and the others only
// get it if the slot it frees on completing (it loses interest, then
// disconnects) passes on without waiting for a round.
func TestFreeSlotsFilledBetweenRounds(t *testing.T) {
	tor, data := makeTorrent(t, 1<<20, 32<<10)
	seedCfg := fastConfig()
	seedCfg.UploadSlots = 1
	seedCfg.ChokeInterval = time.Hour
	seed := newClient(t, seedCfg)
	ss, _ := storage.NewMemory(tor, data)
	if _, err := seed.AddTorrent(tor, ss); err != nil {
		t.Fatal(err)
	}
	// Let the seed run its one round while it has no peers.
	time.Sleep(4 * seedCfg.Tick)
	var leechers []*Torrent
	for range 3 {
		cfg := fastConfig()
		cfg.ListenAddr = "" // they only dial the seed, never each other
		cfg.ChokeInterval = time.Hour
		c := newClient(t, cfg)
		ls, _ := storage.NewMemory(tor, nil)
		lt, err := c.AddTorrent(tor, ls)
		if err != nil {
			t.Fatal(err)
		}
		lt.AddPeers(seed.Addr().String())
		leechers = append(leechers, lt)
	}
	waitComplete(t, 10*time.Second, leechers...)
}
