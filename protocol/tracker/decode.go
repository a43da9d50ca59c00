package tracker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

// FailureError is returned when the tracker refused an announce with a
// BEP 3 "failure reason".
type FailureError struct {
	Reason string
}

func (e *FailureError) Error() string { return fmt.Sprintf("tracker refused: %q", e.Reason) }

// announceDecode is the client's view of an announce response.
type announceDecode struct {
	FailureReason *string `bencode:"failure reason"`
	Warning       string  `bencode:"warning message"`
	ExternalIP    []byte  `bencode:"external ip"`
	Interval      int64   `bencode:"interval"`
	MinInterval   int64   `bencode:"min interval"`
	Complete      int64   `bencode:"complete"`
	Incomplete    int64   `bencode:"incomplete"`
	// Peers is a compact string or a list of dicts: decoded by hand.
	Peers     bencode.Bytes `bencode:"peers"`
	Peers6    []byte        `bencode:"peers6"`
	PeersTLS  []byte        `bencode:"peers_tls"`
	Peers6TLS []byte        `bencode:"peers6_tls"`
}

type peerDecode struct {
	IP     string `bencode:"ip"`
	PeerID []byte `bencode:"peer id"`
	Port   int64  `bencode:"port"`
	TLS    *int64 `bencode:"tls"`
}

// maxInterval caps intervals so a hostile tracker cannot overflow Duration.
const maxInterval = 7 * 24 * time.Hour

// decodeAnnounce parses an announce response body.
func decodeAnnounce(body []byte) (AnnounceResponse, error) {
	var d announceDecode
	if err := bencode.Unmarshal(body, &d); err != nil {
		return AnnounceResponse{}, fmt.Errorf("response is not a bencoded announce: %v (body %s)", err, snippet(body))
	}
	if d.FailureReason != nil {
		return AnnounceResponse{}, &FailureError{Reason: *d.FailureReason}
	}
	var r AnnounceResponse
	if d.Interval <= 0 || d.Interval > int64(maxInterval/time.Second) {
		return r, fmt.Errorf("response interval %d is missing or out of range", d.Interval)
	}
	if d.MinInterval < 0 || d.MinInterval > int64(maxInterval/time.Second) {
		return r, fmt.Errorf("response min interval %d is out of range", d.MinInterval)
	}
	if d.Complete < 0 || d.Incomplete < 0 || d.Complete > 1<<31 || d.Incomplete > 1<<31 {
		return r, fmt.Errorf("response counts complete=%d incomplete=%d are out of range", d.Complete, d.Incomplete)
	}
	r.Interval = time.Duration(d.Interval) * time.Second
	r.MinInterval = time.Duration(d.MinInterval) * time.Second
	r.Complete, r.Incomplete = int(d.Complete), int(d.Incomplete)
	r.Warning = d.Warning
	if ip, ok := netip.AddrFromSlice(d.ExternalIP); ok {
		r.ExternalIP = ip.Unmap() // anything but 4 or 16 bytes is ignored: it is only informative
	}

	var err error
	switch {
	case len(d.Peers) == 0:
	case d.Peers[0] >= '0' && d.Peers[0] <= '9':
		var compact []byte
		if err := bencode.Unmarshal(d.Peers, &compact); err != nil {
			return r, fmt.Errorf("response peers: %v", err)
		}
		if r.Peers, err = decodeCompact(compact, d.PeersTLS, 4, "peers"); err != nil {
			return r, err
		}
	case d.Peers[0] == 'l':
		var list []peerDecode
		if err := bencode.Unmarshal(d.Peers, &list); err != nil {
			return r, fmt.Errorf("response peers: %v", err)
		}
		for i, p := range list {
			addr, err := netip.ParseAddr(p.IP)
			if err != nil {
				continue // BEP 3 allows a DNS name here; we only dial addresses
			}
			if p.Port <= 0 || p.Port > 65535 {
				return r, fmt.Errorf("response peers[%d]: port %d out of range", i, p.Port)
			}
			r.Peers = append(r.Peers, Peer{
				Addr:        netip.AddrPortFrom(addr.Unmap(), uint16(p.Port)),
				ID:          p.PeerID,
				TLS:         p.TLS != nil && *p.TLS&int64(FlagTLS) != 0,
				TLSReported: p.TLS != nil,
			})
		}
	default:
		return r, errors.New("response peers is neither a string nor a list")
	}
	peers6, err := decodeCompact(d.Peers6, d.Peers6TLS, 16, "peers6")
	if err != nil {
		return r, err
	}
	r.Peers = append(r.Peers, peers6...)
	return r, nil
}

// decodeCompact parses a BEP 23 / BEP 7 compact list of addrLen-byte
// addresses plus 2-byte ports, with the optional flag bytes of docs/tracker.md.
func decodeCompact(b, flags []byte, addrLen int, key string) ([]Peer, error) {
	entry := addrLen + 2
	if len(b)%entry != 0 {
		return nil, fmt.Errorf("response %s is %d bytes, not a multiple of %d", key, len(b), entry)
	}
	n := len(b) / entry
	if flags != nil && len(flags) != n {
		// The flags are only a hint (docs/tracker.md): drop them, keep the peers.
		flags = nil
	}
	peers := make([]Peer, 0, n)
	for i := 0; i < n; i++ {
		e := b[i*entry : (i+1)*entry]
		addr, _ := netip.AddrFromSlice(e[:addrLen]) // addrLen is 4 or 16: always ok
		p := Peer{Addr: netip.AddrPortFrom(addr.Unmap(), binary.BigEndian.Uint16(e[addrLen:]))}
		if flags != nil {
			p.TLS = flags[i]&FlagTLS != 0
			p.TLSReported = true
		}
		peers = append(peers, p)
	}
	return peers, nil
}
