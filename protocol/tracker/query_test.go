package tracker

import (
	"net/url"
	"strings"
	"testing"
)

var (
	testHash = [20]byte{0x01, 0x02, 0xff, '+', ' ', '%', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20}
	testID   = [20]byte{'-', 'B', 'T', '0', '0', '0', '1', '-', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
)

// goodQuery is a valid announce query; tests break one parameter at a time.
func goodQuery() string {
	return "info_hash=" + escapeBytes(testHash[:]) + "&peer_id=" + escapeBytes(testID[:]) +
		"&port=6881&uploaded=0&downloaded=10&left=100&event=started&compact=1"
}

func TestParseAnnounceGood(t *testing.T) {
	q, err := parseAnnounce(goodQuery() + "&numwant=7&key=abc&supporttls=1&ipv6=%5B%3A%3A1%5D%3A7000")
	if err != nil {
		t.Fatal(err)
	}
	if q.infoHash != testHash || q.peerID != testID {
		t.Errorf("hash/id = %x/%x", q.infoHash, q.peerID)
	}
	if q.port != 6881 || q.downloaded != 10 || q.left != 100 || q.event != EventStarted {
		t.Errorf("parsed %+v", q)
	}
	if q.numWant != 7 || q.key != "abc" || !q.tls || !q.compact || q.tlsPort != 0 {
		t.Errorf("parsed %+v", q)
	}
	if q.ipv6.String() != "::1" || q.ipv6Port != 7000 {
		t.Errorf("ipv6 = %s port %d", q.ipv6, q.ipv6Port)
	}
	q, err = parseAnnounce("info_hash=" + escapeBytes(testHash[:]) + "&peer_id=" + escapeBytes(testID[:]) + "&port=1&compact=0&event=empty&numwant=-1")
	if err != nil {
		t.Fatal(err)
	}
	if q.compact || q.left != -1 || q.event != EventNone || q.numWant != -1 {
		t.Errorf("defaults: %+v", q)
	}
}

func TestParseAnnounceBad(t *testing.T) {
	replace := func(key, val string) string {
		v, _ := url.ParseQuery(goodQuery())
		if val == "\x00delete" {
			v.Del(key)
		} else {
			v.Set(key, val)
		}
		return v.Encode()
	}
	tests := []struct {
		name, query, want string
	}{
		{"empty", "", "missing info_hash"},
		{"bad escape", goodQuery() + "&x=%zz", "bad query"},
		{"no info_hash", replace("info_hash", "\x00delete"), "missing info_hash"},
		{"short info_hash", replace("info_hash", "abc"), "info_hash is 3 bytes, want 20"},
		{"hex info_hash", replace("info_hash", strings.Repeat("ab", 20)), "info_hash is 40 bytes"},
		{"double info_hash", goodQuery() + "&info_hash=" + escapeBytes(testHash[:]), "info_hash given 2 times"},
		{"no peer_id", replace("peer_id", "\x00delete"), "missing peer_id"},
		{"long peer_id", replace("peer_id", strings.Repeat("x", 21)), "peer_id is 21 bytes"},
		{"no port", replace("port", "\x00delete"), "missing port"},
		{"port text", replace("port", "http"), `port="http" is not a port number`},
		{"port big", replace("port", "65536"), "not a port number"},
		{"port zero", replace("port", "0"), "port=0"},
		{"negative left", replace("left", "-1"), `left="-1" is not a non-negative integer`},
		{"float uploaded", replace("uploaded", "1.5"), "uploaded="},
		{"bad event", replace("event", "finished"), `event="finished"`},
		{"bad numwant", replace("numwant", "lots"), `numwant="lots" is not an integer`},
		{"bad no_peer_id", replace("no_peer_id", "yes"), "no_peer_id="},
		{"long key", replace("key", strings.Repeat("k", 65)), "key is 65 bytes"},
		{"hostname ip", replace("ip", "example.com"), `ip="example.com" is not an IP address`},
		{"ipv4 is v6", replace("ipv4", "::1"), "is not an IPv4 address"},
		{"ipv6 is v4", replace("ipv6", "10.0.0.1"), "is not an IPv6 address"},
		{"bad supporttls", replace("supporttls", "true"), `supporttls="true", want 0 or 1`},
		{"tlsport zero", replace("tlsport", "0"), "tlsport=0"},
		{"tlsport big", replace("tlsport", "70000"), "tlsport="},
		{"huge query", goodQuery() + "&pad=" + strings.Repeat("a", maxQueryLen), "query is"},
		{"echo truncated", replace("event", strings.Repeat("z", 500)), `zzz..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAnnounce(tt.query)
			if err == nil {
				t.Fatalf("parseAnnounce accepted %q", tt.query)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tracker: ") {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if len(err.Error()) > 200 {
				t.Errorf("error is %d bytes: client input not truncated", len(err.Error()))
			}
		})
	}
}

func TestParseScrape(t *testing.T) {
	h, err := parseScrape("info_hash=" + escapeBytes(testHash[:]) + "&info_hash=" + escapeBytes(testID[:]))
	if err != nil || len(h) != 2 || h[0] != testHash || h[1] != testID {
		t.Fatalf("parseScrape = %x, %v", h, err)
	}
	if _, err := parseScrape("info_hash=short"); err == nil || !strings.Contains(err.Error(), "info_hash is 5 bytes") {
		t.Errorf("short hash: %v", err)
	}
}

func TestEscapeBytesRoundTrip(t *testing.T) {
	var all [256]byte
	for i := range all {
		all[i] = byte(i)
	}
	got, err := url.QueryUnescape(escapeBytes(all[:]))
	if err != nil || got != string(all[:]) {
		t.Fatalf("escapeBytes does not round-trip: %v", err)
	}
	if s := escapeBytes([]byte("a+ b")); s != "a%2B%20b" {
		t.Errorf("escapeBytes(%q) = %q", "a+ b", s)
	}
}

func FuzzParseAnnounce(f *testing.F) {
	f.Add(goodQuery())
	f.Add(goodQuery() + "&ipv6=%5B%3A%3A1%5D%3A7000&supporttls=1&tlsport=9")
	f.Add("info_hash=%zz")
	f.Add("")
	f.Fuzz(func(t *testing.T, q string) {
		a, err := parseAnnounce(q)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tracker: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		// What parses must be something the tracker can act on.
		if a.port == 0 && a.event != EventStopped {
			t.Fatalf("accepted port 0 on event %q", a.event)
		}
		if a.uploaded < 0 || a.downloaded < 0 || a.left < -1 || len(a.key) > maxKeyLen {
			t.Fatalf("accepted out-of-range values: %+v", a)
		}
		// Our own client's encoding of the same request parses identically.
		req := AnnounceRequest{InfoHash: a.infoHash, PeerID: a.peerID, Port: a.port, Left: max(a.left, 0), Event: a.event}
		b, err := parseAnnounce(announceQueryString("", req))
		if err != nil || b.infoHash != a.infoHash || b.peerID != a.peerID || b.port != a.port {
			t.Fatalf("client encoding does not round-trip: %v", err)
		}
	})
}
