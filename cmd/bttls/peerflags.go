package main

import (
	"fmt"
	"log"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/tracker"
	"github.com/bttls/bttls/protocol/transport"
)

// peerFlags are the flags seed and get share.
type peerFlags struct {
	listen      string
	peers       []string
	uploadLimit string
	maxConns    int
	recordSize  string
	noTracker   bool
	verbose     int
	tls         *tlsOptions
}

func addPeerFlags(fs *pflag.FlagSet, defaultListen string) *peerFlags {
	f := &peerFlags{}
	fs.StringVar(&f.listen, "listen", defaultListen, "address to accept peers on (host:port; port 0 picks a free one)")
	fs.StringArrayVar(&f.peers, "peer", nil, "address (host:port) of a peer to connect to (repeatable)")
	fs.StringVar(&f.uploadLimit, "upload-limit", "", "cap on upload, bytes per second (e.g. 500KiB, 2MiB); default: none")
	fs.IntVar(&f.maxConns, "max-conns", 50, "most connections per torrent")
	fs.StringVar(&f.recordSize, "record-size", "16KiB", "largest write per connection, so largest TLS record: 512B to 16KiB; smaller costs less memory per connection and delays messages less on slow links, larger costs less CPU on fast ones")
	fs.BoolVar(&f.noTracker, "no-tracker", false, "do not announce to the torrent's trackers")
	fs.CountVarP(&f.verbose, "verbose", "v", "log connections and pieces (-v)")
	f.tls = addTLSFlags(fs)
	return f
}

// config builds the peer configuration from the flags.
func (f *peerFlags) config(e env.Env, name string) (peer.Config, error) {
	cfg := peer.Config{Env: e, ListenAddr: f.listen, MaxConns: f.maxConns, ClientName: "bttls"}
	if f.uploadLimit != "" {
		n, err := parseSize(f.uploadLimit)
		if err != nil {
			return cfg, fmt.Errorf("--upload-limit: %v", err)
		}
		cfg.UploadRate = n
	}
	n, err := parseSize(f.recordSize)
	if err != nil || n < peer.MinRecordSize || n > peer.MaxRecordSize {
		return cfg, fmt.Errorf("--record-size %q: want a size from 512B to 16KiB", f.recordSize)
	}
	cfg.RecordSize = int(n)
	for _, p := range f.peers {
		if _, err := netip.ParseAddrPort(p); err != nil {
			return cfg, fmt.Errorf("--peer %q: want IP:PORT (e.g. 127.0.0.1:6881)", p)
		}
	}
	d, a, sec, err := f.tls.transport(e)
	if err != nil {
		return cfg, err
	}
	cfg.Dialer, cfg.Acceptor, cfg.TorrentSecurity = d, a, sec
	// Tell legacy-connected peers (BEP 10 "tls") that TLS works with us.
	cfg.AdvertiseTLS = f.tls.mode != "off"
	if !f.noTracker {
		// A Strict torrent announces under its swarm key, never its infohash.
		tlsOpts := f.tls
		cfg.Announce = func(e env.Env, url string, r peer.AnnounceRequest) (peer.AnnounceResponse, error) {
			r.InfoHash = tlsOpts.announceKey(r.InfoHash)
			return trackerAnnounce(e, url, r)
		}
		if f.tls.mode != "off" {
			// Tell the tracker we accept bttls, so that peers running
			// --tls=prefer try TLS with us first (docs/tracker.md).
			cfg.AnnounceExtra = url.Values{tracker.ParamSupportTLS: {"1"}}
		}
	}
	if f.verbose > 0 {
		l := log.New(os.Stderr, "bttls "+name+": ", log.Ltime|log.Lmicroseconds)
		cfg.Logf = l.Printf
	}
	return cfg, nil
}

// trackerAnnounce adapts protocol/tracker's client to the peer's announce hook.
func trackerAnnounce(e env.Env, url string, r peer.AnnounceRequest) (peer.AnnounceResponse, error) {
	resp, err := tracker.Announce(e, url, tracker.AnnounceRequest{
		InfoHash: r.InfoHash, PeerID: r.PeerID, Port: uint16(r.Port),
		Uploaded: r.Uploaded, Downloaded: r.Downloaded, Left: r.Left,
		Event: r.Event, NumWant: r.NumWant, Extra: r.Extra,
	})
	if err != nil {
		return peer.AnnounceResponse{}, err
	}
	out := peer.AnnounceResponse{Interval: resp.Interval}
	for _, p := range resp.Peers {
		out.Peers = append(out.Peers, peer.AnnouncePeer{Addr: p.Addr, TLS: p.TLS, Legacy: p.TLSReported && !p.TLS})
	}
	return out, nil
}

// byKind renders traffic per transport kind, e.g. "tls-basic 8.0 MiB".
func byKind(s peer.Stats, up bool) string {
	var parts []string
	for k := transport.Plain; k <= transport.TLSFullStrict2; k++ {
		tr := s.ByKind[k]
		n := tr.Down
		if up {
			n = tr.Up
		}
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", k, formatSize(n)))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// isTerminal reports whether f is a terminal (for progress lines).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// rate formats bytes over a duration.
func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return formatSize(int64(float64(n)/d.Seconds())) + "/s"
}
