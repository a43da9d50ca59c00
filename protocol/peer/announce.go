package peer

import (
	"net/netip"
	"net/url"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/transport"
)

// AnnounceRequest is what a tracker announce sends (BEP 3).
type AnnounceRequest struct {
	InfoHash   [20]byte
	PeerID     [20]byte
	Port       int
	Uploaded   int64
	Downloaded int64
	Left       int64
	// Event is "started", "completed", "stopped" or empty.
	Event   string
	NumWant int
	// Extra carries further query keys (Config.AnnounceExtra, e.g. the TLS
	// capability signal).
	Extra url.Values
}

// AnnouncePeer is one peer a tracker returned.
type AnnouncePeer struct {
	Addr netip.AddrPort
	// TLS is the tracker's hint that the peer speaks bttls.
	TLS bool
	// Legacy is true when the tracker reports TLS capability per peer and
	// said this one lacks it: a prefer policy then dials legacy first.
	Legacy bool
}

// AnnounceResponse is what a tracker answered.
type AnnounceResponse struct {
	Interval time.Duration
	Peers    []AnnouncePeer
}

// AnnounceFunc announces to the tracker at url. The tracker client in
// protocol/tracker provides one; tests pass their own.
type AnnounceFunc func(e env.Env, url string, req AnnounceRequest) (AnnounceResponse, error)

const (
	minAnnounceInterval     = 10 * time.Second
	defaultAnnounceInterval = 2 * time.Minute
	maxAnnounceInterval     = 30 * time.Minute
)

// announceLoop announces "started", then as often as the tracker asks,
// "completed" when the download finishes, until the torrent closes.
func (t *Torrent) announceLoop() {
	event := "started"
	completedSent := false
	for {
		t.mu.Lock()
		closed := t.closed
		if !completedSent && t.completeLocked() && event == "" {
			if t.downloadedAny {
				event = "completed"
			}
			completedSent = true
		}
		t.mu.Unlock()
		if closed {
			return
		}
		interval := defaultAnnounceInterval
		resp, err := t.announce(event)
		if err != nil {
			t.c.logf("peer: %s: announce: %v", t.name(), err)
			interval = minAnnounceInterval * 3
		} else {
			event = ""
			interval = min(max(resp.Interval, minAnnounceInterval), maxAnnounceInterval)
			t.mu.Lock()
			for _, p := range resp.Peers {
				if p.Addr.IsValid() && p.Addr.Port() != 0 {
					t.addCandidateLocked(p.Addr.String(), "tracker", transport.Hint{TLS: p.TLS, Legacy: p.Legacy && !p.TLS})
				}
			}
			t.mu.Unlock()
			t.tickSig.Notify()
		}
		// Wake early when the download completes, to announce it, and,
		// no sooner than minAnnounceInterval after this announce, when the
		// torrent runs short of peers (see tickLoop).
		last := t.c.e.Now()
		deadline := last.Add(interval)
		for t.c.e.Now().Before(deadline) {
			if t.announceSig.Wait(deadline.Sub(t.c.e.Now())) {
				t.mu.Lock()
				done := t.closed || (!completedSent && t.completeLocked())
				if t.needPeers {
					deadline = minTime(deadline, last.Add(minAnnounceInterval))
				}
				t.mu.Unlock()
				if done {
					break
				}
			}
		}
		t.mu.Lock()
		t.needPeers = false
		t.mu.Unlock()
	}
}

// announce sends one announce to every tracker in turn until one answers.
func (t *Torrent) announce(event string) (AnnounceResponse, error) {
	t.mu.Lock()
	req := AnnounceRequest{
		InfoHash:   t.infoHash,
		PeerID:     t.c.cfg.PeerID,
		Port:       t.c.listenPort(),
		Uploaded:   t.stats.Uploaded,
		Downloaded: t.stats.Downloaded,
		Left:       t.left(),
		Event:      event,
		NumWant:    50,
		Extra:      t.c.cfg.AnnounceExtra,
	}
	trackers := t.trackers
	t.mu.Unlock()
	var lastErr error
	for _, u := range trackers {
		resp, err := t.c.cfg.Announce(t.c.e, u, req)
		if err == nil {
			return resp, nil
		}
		lastErr = err
	}
	return AnnounceResponse{}, lastErr
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
