package tracker

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/anacrolix/torrent/bencode"
)

// announceWire is the bencoded announce response (BEP 3, 7, 23 and the
// bttls peers_tls / peers6_tls keys of docs/tracker.md).
type announceWire struct {
	Interval    int64  `bencode:"interval"`
	MinInterval int64  `bencode:"min interval,omitempty"`
	Complete    int    `bencode:"complete"`
	Incomplete  int    `bencode:"incomplete"`
	Warning     string `bencode:"warning message,omitempty"`
	// ExternalIP is the requester's source address (BEP 24), 4 or 16 bytes.
	ExternalIP []byte `bencode:"external ip,omitempty"`
	// Peers is a compact string (BEP 23) or a list of peerDict (BEP 3).
	Peers     any    `bencode:"peers"`
	Peers6    []byte `bencode:"peers6,omitempty"`
	PeersTLS  []byte `bencode:"peers_tls,omitempty"`
	Peers6TLS []byte `bencode:"peers6_tls,omitempty"`
}

// peerDict is one entry of a non-compact peer list. TLS is the bttls flag
// byte, always sent so that 0 says "did not announce supporttls=1".
type peerDict struct {
	IP     string `bencode:"ip"`
	PeerID []byte `bencode:"peer id,omitempty"`
	Port   uint16 `bencode:"port"`
	TLS    int    `bencode:"tls"`
}

type failureWire struct {
	FailureReason string `bencode:"failure reason"`
}

// ServeAnnounce handles GET /announce.
func (t *Tracker) ServeAnnounce(w http.ResponseWriter, r *http.Request) {
	q, err := parseAnnounce(r.URL.RawQuery)
	if err != nil {
		t.logf("announce from %s: %v", r.RemoteAddr, err)
		writeFailure(w, err)
		return
	}
	remote, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		writeFailure(w, fmt.Errorf("tracker: cannot parse source address %q", r.RemoteAddr))
		return
	}
	res, err := t.announce(q, remote.Addr())
	if err != nil {
		t.logf("announce %x from %s: %v", q.infoHash[:4], r.RemoteAddr, err)
		writeFailure(w, err)
		return
	}
	out := announceWire{
		Interval:    int64(t.cfg.Interval.Seconds()),
		MinInterval: int64(t.cfg.MinInterval.Seconds()),
		Complete:    res.complete,
		Incomplete:  res.incomplete,
		Warning:     res.warning,
		ExternalIP:  remote.Addr().Unmap().AsSlice(),
	}
	if q.compact {
		var peers, flags, peers6, flags6 []byte
		for _, p := range res.peers {
			if p.addr4.IsValid() {
				port, flag := p.listing(p.addr4, q.tls)
				peers = append(peers, p.addr4.Addr().AsSlice()...)
				peers = binary.BigEndian.AppendUint16(peers, port)
				flags = append(flags, flag)
			}
			if p.addr6.IsValid() {
				port, flag := p.listing(p.addr6, q.tls)
				peers6 = append(peers6, p.addr6.Addr().AsSlice()...)
				peers6 = binary.BigEndian.AppendUint16(peers6, port)
				flags6 = append(flags6, flag)
			}
		}
		out.Peers = peers
		if peers == nil {
			out.Peers = ""
		}
		out.Peers6, out.PeersTLS, out.Peers6TLS = peers6, flags, flags6
	} else {
		list := []peerDict{}
		for _, p := range res.peers {
			for _, ap := range []netip.AddrPort{p.addr4, p.addr6} {
				if !ap.IsValid() {
					continue
				}
				port, flag := p.listing(ap, q.tls)
				d := peerDict{IP: ap.Addr().String(), Port: port, TLS: int(flag & FlagTLS)}
				if !q.noPeerID {
					d.PeerID = p.id[:]
				}
				list = append(list, d)
			}
		}
		out.Peers = list
	}
	// The first 8 bytes of a peer id name the client (BEP 20), e.g. -TR3000-.
	t.logf("announce %x from %s client %q event=%q left=%d tls=%v: %d seeds, %d leechers, sent %d peers",
		q.infoHash[:4], r.RemoteAddr, q.peerID[:8], q.event, q.left, q.tls, res.complete, res.incomplete, len(res.peers))
	writeBencode(w, out)
}

// listing returns the port and flag byte to list p's address ap with, for a
// requester. A peer that named a separate tlsport is listed there, flagged,
// only to requesters that said supporttls=1; everyone else gets its plain
// port, unflagged, since nothing there speaks TLS (docs/tracker.md).
func (p *peerEntry) listing(ap netip.AddrPort, requesterTLS bool) (uint16, byte) {
	switch {
	case p.tls && p.tlsPort != 0 && requesterTLS:
		return p.tlsPort, FlagTLS
	case p.tls && p.tlsPort == 0:
		return ap.Port(), FlagTLS
	}
	return ap.Port(), 0
}

// ServeScrape handles GET /scrape (BEP 48).
func (t *Tracker) ServeScrape(w http.ResponseWriter, r *http.Request) {
	hashes, err := parseScrape(r.URL.RawQuery)
	if err != nil {
		t.logf("scrape from %s: %v", r.RemoteAddr, err)
		writeFailure(w, err)
		return
	}
	files := t.scrape(hashes)
	t.logf("scrape from %s: %d torrents", r.RemoteAddr, len(files))
	writeBencode(w, struct {
		Files map[string]scrapeEntry `bencode:"files"`
	}{files})
}

// writeFailure sends a BEP 3 failure: HTTP 200 with a "failure reason",
// which is what clients show their users (most ignore the body of a 4xx).
func writeFailure(w http.ResponseWriter, err error) {
	writeBencode(w, failureWire{FailureReason: err.Error()})
}

func writeBencode(w http.ResponseWriter, v any) {
	b, err := bencode.Marshal(v)
	if err != nil { // our own types always encode
		http.Error(w, "tracker: encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (t *Tracker) logf(format string, args ...any) {
	if t.cfg.Logf != nil {
		t.cfg.Logf(format, args...)
	}
}
