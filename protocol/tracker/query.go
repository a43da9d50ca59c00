package tracker

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Limits on announce parameters.
const (
	// maxKeyLen bounds the "key" we store per peer.
	maxKeyLen = 64
	// maxQueryLen bounds the raw query string we parse.
	maxQueryLen = 4096
)

// announceQuery is a parsed, validated announce request (server side).
type announceQuery struct {
	infoHash   [20]byte
	peerID     [20]byte
	port       uint16
	uploaded   int64
	downloaded int64
	left       int64 // -1 when the client did not say
	event      string
	numWant    int // -1 when the client did not say
	compact    bool
	noPeerID   bool
	key        string
	// ip, ipv4, ipv6 are addresses the client claims (BEP 3 "ip", BEP 7);
	// the handler decides whether to believe them.
	ip, ipv4, ipv6 netip.Addr
	// ipv6Port is the port of an ipv6=[addr]:port parameter, else 0.
	ipv6Port uint16
	tls      bool
	tlsPort  uint16 // 0 when absent
}

// parseAnnounce parses the query string of an announce. Every error names the
// parameter that was wrong; it becomes the response's failure reason.
func parseAnnounce(rawQuery string) (announceQuery, error) {
	var q announceQuery
	if len(rawQuery) > maxQueryLen {
		return q, fmt.Errorf("tracker: query is %d bytes, limit %d", len(rawQuery), maxQueryLen)
	}
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return q, fmt.Errorf("tracker: bad query: %v", err)
	}
	one := func(key string) (string, bool, error) {
		vals, ok := v[key]
		if !ok {
			return "", false, nil
		}
		if len(vals) != 1 {
			return "", true, fmt.Errorf("tracker: %s given %d times", key, len(vals))
		}
		return vals[0], true, nil
	}
	hash20 := func(key string, dst *[20]byte) error {
		s, ok, err := one(key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("tracker: missing %s", key)
		}
		if len(s) != 20 {
			return fmt.Errorf("tracker: %s is %d bytes, want 20 (percent-encode the raw bytes)", key, len(s))
		}
		copy(dst[:], s)
		return nil
	}
	count := func(key string, dst *int64, def int64) error {
		s, ok, err := one(key)
		if err != nil {
			return err
		}
		if !ok {
			*dst = def
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("tracker: %s=%q is not a non-negative integer", key, truncate(s))
		}
		*dst = n
		return nil
	}
	portParam := func(key string) (uint16, bool, error) {
		s, ok, err := one(key)
		if err != nil || !ok {
			return 0, ok, err
		}
		n, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return 0, true, fmt.Errorf("tracker: %s=%q is not a port number (0-65535)", key, truncate(s))
		}
		return uint16(n), true, nil
	}
	flag := func(key string) (bool, error) {
		s, ok, err := one(key)
		if err != nil || !ok {
			return false, err
		}
		switch s {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return false, fmt.Errorf("tracker: %s=%q, want 0 or 1", key, truncate(s))
	}
	addr := func(key string, dst *netip.Addr, port *uint16) error {
		s, ok, err := one(key)
		if err != nil || !ok {
			return err
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			*dst = a.Unmap()
			return nil
		}
		if ap, err := netip.ParseAddrPort(s); err == nil && port != nil && ap.Addr().Zone() == "" {
			*dst = ap.Addr().Unmap()
			*port = ap.Port()
			return nil
		}
		// BEP 3 allows a DNS name in "ip"; resolving it would let any client
		// make the tracker do lookups, so we refuse it.
		return fmt.Errorf("tracker: %s=%q is not an IP address", key, truncate(s))
	}

	if err := hash20(ParamInfoHash, &q.infoHash); err != nil {
		return q, err
	}
	if err := hash20(ParamPeerID, &q.peerID); err != nil {
		return q, err
	}
	port, ok, err := portParam(ParamPort)
	if err != nil {
		return q, err
	}
	if !ok {
		return q, errors.New("tracker: missing port")
	}
	q.port = port
	if err := count(ParamUploaded, &q.uploaded, 0); err != nil {
		return q, err
	}
	if err := count(ParamDownloaded, &q.downloaded, 0); err != nil {
		return q, err
	}
	if err := count(ParamLeft, &q.left, -1); err != nil {
		return q, err
	}
	ev, _, err := one(ParamEvent)
	if err != nil {
		return q, err
	}
	switch ev {
	case EventNone, EventStarted, EventCompleted, EventStopped, EventPaused:
		q.event = ev
	case "empty": // sent by some old clients for a regular announce
		q.event = EventNone
	default:
		return q, fmt.Errorf("tracker: event=%q, want started, completed, stopped, paused or none", truncate(ev))
	}
	if q.port == 0 && q.event != EventStopped {
		return q, errors.New("tracker: port=0; announce the port you listen on")
	}
	q.numWant = -1
	if s, ok, err := one(ParamNumWant); err != nil {
		return q, err
	} else if ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, fmt.Errorf("tracker: numwant=%q is not an integer", truncate(s))
		}
		if n >= 0 { // some clients send -1 for "tracker's choice"
			q.numWant = n
		}
	}
	// BEP 23: compact is the default; compact=0 asks for dictionaries.
	q.compact = true
	if s, ok, err := one(ParamCompact); err != nil {
		return q, err
	} else if ok && s == "0" {
		q.compact = false
	}
	if q.noPeerID, err = flag(ParamNoPeerID); err != nil {
		return q, err
	}
	if s, _, err := one(ParamKey); err != nil {
		return q, err
	} else if len(s) > maxKeyLen {
		return q, fmt.Errorf("tracker: key is %d bytes, limit %d", len(s), maxKeyLen)
	} else {
		q.key = s
	}
	if err := addr(ParamIP, &q.ip, nil); err != nil {
		return q, err
	}
	if err := addr(ParamIPv4, &q.ipv4, nil); err != nil {
		return q, err
	}
	if q.ipv4.IsValid() && !q.ipv4.Is4() {
		return q, fmt.Errorf("tracker: ipv4=%s is not an IPv4 address", q.ipv4)
	}
	if err := addr(ParamIPv6, &q.ipv6, &q.ipv6Port); err != nil {
		return q, err
	}
	if q.ipv6.IsValid() && !q.ipv6.Is6() {
		return q, fmt.Errorf("tracker: ipv6=%s is not an IPv6 address", q.ipv6)
	}
	if q.tls, err = flag(ParamSupportTLS); err != nil {
		return q, err
	}
	if p, ok, err := portParam(ParamTLSPort); err != nil {
		return q, err
	} else if ok {
		if p == 0 {
			return q, errors.New("tracker: tlsport=0; omit tlsport when TLS is on port")
		}
		q.tlsPort = p
	}
	return q, nil
}

// truncate shortens a client-supplied value before it is echoed in an error.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// parseScrape returns the infohashes a scrape asks for (none means all).
func parseScrape(rawQuery string) ([][20]byte, error) {
	if len(rawQuery) > maxQueryLen*4 {
		return nil, fmt.Errorf("tracker: query is %d bytes, limit %d", len(rawQuery), maxQueryLen*4)
	}
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("tracker: bad query: %v", err)
	}
	var hashes [][20]byte
	for _, s := range v[ParamInfoHash] {
		if len(s) != 20 {
			return nil, fmt.Errorf("tracker: info_hash is %d bytes, want 20 (percent-encode the raw bytes)", len(s))
		}
		hashes = append(hashes, [20]byte([]byte(s)))
	}
	return hashes, nil
}

// escapeBytes percent-encodes every byte outside RFC 3986's unreserved set,
// as trackers expect for info_hash and peer_id ('+' is not a space there).
func escapeBytes(b []byte) string {
	var sb strings.Builder
	const hex = "0123456789ABCDEF"
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteByte('%')
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
	}
	return sb.String()
}
