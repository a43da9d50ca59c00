package tracker

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

func TestDecodeAnnounce(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name    string
		body    string
		want    []Peer
		wantErr string
	}{
		{"compact", "d8:intervali60e5:peers12:\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x50e",
			[]Peer{{Addr: ap("127.0.0.1:6881")}, {Addr: ap("10.0.0.2:80")}}, ""},
		{"compact with tls flags", "d8:intervali60e5:peers12:\x7f\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x509:peers_tls2:\x01\x00e",
			[]Peer{{Addr: ap("127.0.0.1:6881"), TLS: true, TLSReported: true}, {Addr: ap("10.0.0.2:80"), TLSReported: true}}, ""},
		{"peers6", "d8:intervali60e5:peers0:6:peers618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe110:peers6_tls1:\x01e",
			[]Peer{{Addr: ap("[::1]:6881"), TLS: true, TLSReported: true}}, ""},
		{"dict list", "d8:intervali60e5:peersld2:ip9:127.0.0.17:peer id20:AAAAAAAAAAAAAAAAAAAA4:porti6881e3:tlsi1eed2:ip11:example.com4:porti1eeee",
			[]Peer{{Addr: ap("127.0.0.1:6881"), ID: []byte("AAAAAAAAAAAAAAAAAAAA"), TLS: true, TLSReported: true}}, ""},
		{"dict list with and without tls", "d8:intervali60e5:peersld2:ip8:10.0.0.14:porti1e3:tlsi0eed2:ip8:10.0.0.24:porti2eeee",
			[]Peer{{Addr: ap("10.0.0.1:1"), TLSReported: true}, {Addr: ap("10.0.0.2:2")}}, ""},
		{"no peers", "d8:intervali60ee", nil, ""},
		{"failure", "d14:failure reason11:bad requeste", nil, `tracker refused: "bad request"`},
		{"not bencode", "<html>nope</html>", nil, "not a bencoded announce"},
		{"trailing bytes", "d8:intervali60eeXX", nil, "not a bencoded announce"},
		{"no interval", "d5:peers0:e", nil, "interval 0 is missing"},
		{"negative interval", "d8:intervali-5ee", nil, "interval -5"},
		{"huge interval", "d8:intervali99999999999ee", nil, "out of range"},
		{"bad compact length", "d8:intervali60e5:peers5:12345e", nil, "peers is 5 bytes, not a multiple of 6"},
		{"bad peers6 length", "d8:intervali60e6:peers67:1234567e", nil, "peers6 is 7 bytes"},
		{"flag count mismatch ignores flags", "d8:intervali60e5:peers6:\x7f\x00\x00\x01\x1a\xe19:peers_tls2:\x01\x01e",
			[]Peer{{Addr: ap("127.0.0.1:6881")}}, ""},
		{"peers int", "d8:intervali60e5:peersi3ee", nil, "neither a string nor a list"},
		{"dict port range", "d8:intervali60e5:peersld2:ip9:127.0.0.14:porti70000eeee", nil, "port 70000 out of range"},
		{"negative count", "d8:intervali60e8:completei-1ee", nil, "counts"},
		{"truncated", "d8:intervali60e5:peers12:\x7f", nil, "not a bencoded announce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := decodeAnnounce([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Interval != time.Minute {
				t.Errorf("interval %v", r.Interval)
			}
			if len(r.Peers) != len(tt.want) {
				t.Fatalf("peers %v, want %v", r.Peers, tt.want)
			}
			for i := range tt.want {
				if r.Peers[i].Addr != tt.want[i].Addr || r.Peers[i].TLS != tt.want[i].TLS || r.Peers[i].TLSReported != tt.want[i].TLSReported || string(r.Peers[i].ID) != string(tt.want[i].ID) {
					t.Errorf("peer %d = %+v, want %+v", i, r.Peers[i], tt.want[i])
				}
			}
		})
	}
}

func TestDecodeFailureIsTyped(t *testing.T) {
	_, err := decodeAnnounce([]byte("d14:failure reason4:nopee"))
	var fe *FailureError
	if !errors.As(err, &fe) || fe.Reason != "nope" {
		t.Fatalf("err = %v, want *FailureError{nope}", err)
	}
}

func FuzzDecodeAnnounce(f *testing.F) {
	f.Add([]byte("d8:intervali60e5:peers6:\x7f\x00\x00\x01\x1a\xe19:peers_tls1:\x01e"))
	f.Add([]byte("d8:intervali60e5:peersld2:ip3:::14:porti1eeee"))
	f.Add([]byte("d14:failure reason1:xe"))
	f.Add(bencode.MustMarshal(announceWire{Interval: 1, Peers: "", Peers6: make([]byte, 18), Peers6TLS: []byte{1}}))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeAnnounce(body)
		if err != nil {
			return
		}
		if r.Interval <= 0 || r.Complete < 0 || r.Incomplete < 0 {
			t.Fatalf("accepted out-of-range response %+v", r)
		}
		for _, p := range r.Peers {
			if !p.Addr.IsValid() {
				t.Fatalf("invalid peer address in %+v", r)
			}
		}
	})
}
