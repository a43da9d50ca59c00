package peer

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bttls/bttls/netmodel"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/sim"
)

// TestStarvedTorrentAnnouncesEarly: a leeching torrent with no peer to
// dial asks its tracker again every minAnnounceInterval instead of
// waiting for the tracker's 30-minute interval; a complete one does not.
// Run in virtual time.
func TestStarvedTorrentAnnouncesEarly(t *testing.T) {
	data := make([]byte, 64<<10)
	p := filepath.Join(t.TempDir(), "payload.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := meta.Create(p, meta.CreateOptions{Trackers: []string{"http://tracker.example/announce"}})
	if err != nil {
		t.Fatal(err)
	}
	tor, err := meta.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, complete := range []bool{false, true} {
		s := sim.New(sim.Config{Seed: 1})
		h, err := netmodel.New(s).AddHost(netmodel.HostConfig{})
		if err != nil {
			t.Fatal(err)
		}
		var calls []time.Duration
		c, err := New(Config{Env: s.NewEnv(h), ListenAddr: ":6881",
			Announce: func(env.Env, string, AnnounceRequest) (AnnounceResponse, error) {
				calls = append(calls, s.Now())
				return AnnounceResponse{Interval: 30 * time.Minute}, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		var st storage.Storage
		if complete {
			st, err = storage.NewMemory(tor, data)
		} else {
			st, err = storage.NewMemory(tor, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddTorrent(tor, st); err != nil {
			t.Fatal(err)
		}
		if err := s.RunUntil(65 * time.Second); err != nil {
			t.Fatal(err)
		}
		s.Close()
		switch {
		case !complete && (len(calls) < 5 || calls[1]-calls[0] < minAnnounceInterval):
			t.Errorf("starved leecher announced at %v, want every %v from the start", calls, minAnnounceInterval)
		case complete && len(calls) != 1:
			t.Errorf("complete torrent announced at %v, want once", calls)
		}
	}
}
