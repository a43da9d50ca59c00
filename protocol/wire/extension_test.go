package wire

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/bencode"
)

func TestExtHandshakeRoundTrip(t *testing.T) {
	h := ExtHandshake{
		M:            map[string]int{ExtMetadata: 1, ExtPEX: 2},
		V:            "bttls 0.1",
		Port:         6881,
		Reqq:         250,
		MetadataSize: 12345,
		YourIP:       []byte{127, 0, 0, 1},
		Extra:        map[string]bencode.Bytes{"tls": bencode.Bytes("i1e")},
	}
	b, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseExtHandshake(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h) {
		t.Errorf("round trip: got %+v, want %+v", got, h)
	}
}

func TestExtHandshakeRejects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"le", "not a bencoded dict"},
		{"d1:pi70000ee", `key "p"`},
		{"d13:metadata_sizei-1ee", `key "metadata_size"`},
		{"d1:mi3ee", `key "m"`},
		{"d1:m", "not a bencoded dict"},
	} {
		if _, err := ParseExtHandshake([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseExtHandshake(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
	// Junk in keys nobody relies on is tolerated, as real clients send it.
	h, err := ParseExtHandshake([]byte("d1:vi5e4:reqq3:abce"))
	if err != nil || h.V != "" || h.Reqq != 0 {
		t.Errorf("lenient keys: %+v, %v", h, err)
	}
}

func TestMetadataMsgRoundTrip(t *testing.T) {
	for _, m := range []MetadataMsg{
		{Type: MetadataRequest, Piece: 2},
		{Type: MetadataReject, Piece: 0},
		{Type: MetadataData, Piece: 1, TotalSize: 20000, Data: []byte("some info dict bytes")},
	} {
		got, err := ParseMetadataMsg(m.Marshal())
		if err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("got %+v, want %+v", got, m)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"d8:msg_typei0e5:piecei0eexx", "bytes after the header"},
		{"d8:msg_typei7e5:piecei0ee", "unknown msg_type 7"},
		{"d8:msg_typei1e5:piecei0ee", "total_size 0"},
		{"d8:msg_typei0e5:piecei-1ee", "piece -1 out of range"},
		{"junk", "header"},
	} {
		if _, err := ParseMetadataMsg([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMetadataMsg(%q) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestPEXRoundTrip(t *testing.T) {
	p := PEX{
		Added:      []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:6881"), netip.MustParseAddrPort("[::1]:7000")},
		AddedFlags: []byte{PEXSeedOnly, PEXPrefersEncryption},
		Dropped:    []netip.AddrPort{netip.MustParseAddrPort("10.0.0.2:1")},
	}
	got, err := ParsePEX(p.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("got %+v, want %+v", got, p)
	}
	if _, err := ParsePEX([]byte("d5:added5:abcdee")); err == nil || !strings.Contains(err.Error(), "not a multiple of 6") {
		t.Errorf("odd compact list: %v", err)
	}
}

func FuzzExtHandshake(f *testing.F) {
	f.Add([]byte("d1:md11:ut_metadatai1ee13:metadata_sizei100ee"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseExtHandshake(b)
		if err != nil {
			return
		}
		out, err := h.Marshal()
		if err != nil {
			t.Fatalf("re-encoding a decoded handshake: %v", err)
		}
		if _, err := ParseExtHandshake(out); err != nil {
			t.Fatalf("re-decoding %q: %v", out, err)
		}
	})
}

func FuzzMetadataMsg(f *testing.F) {
	f.Add(MetadataMsg{Type: MetadataData, Piece: 0, TotalSize: 3, Data: []byte("abc")}.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMetadataMsg(b)
		if err != nil {
			return
		}
		if _, err := ParseMetadataMsg(m.Marshal()); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
	})
}

func FuzzPEX(f *testing.F) {
	f.Add(PEX{Added: []netip.AddrPort{netip.MustParseAddrPort("1.2.3.4:5")}}.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePEX(b)
		if err != nil {
			return
		}
		q, err := ParsePEX(p.Marshal())
		if err != nil || len(q.Added) != len(p.Added) || len(q.Dropped) != len(p.Dropped) {
			t.Fatalf("re-decoding: %+v, %v", q, err)
		}
	})
}

func TestTLSVersion(t *testing.T) {
	for _, tc := range []struct {
		raw  string // "" means the key is absent
		want int
	}{
		{"", 0}, {"i1e", 1}, {"i2e", 2}, {"i0e", 0}, {"i-1e", 0}, {"3:yes", 0}, {"i99999999e", 0}, {"le", 0},
	} {
		h := ExtHandshake{}
		if tc.raw != "" {
			h.Extra = map[string]bencode.Bytes{ExtKeyTLS: bencode.Bytes(tc.raw)}
		}
		if got := h.TLSVersion(); got != tc.want {
			t.Errorf("tls=%q: TLSVersion() = %d, want %d", tc.raw, got, tc.want)
		}
	}
	// Round trip through the wire form.
	h := ExtHandshake{Extra: map[string]bencode.Bytes{ExtKeyTLS: bencode.Bytes("i1e")}}
	b, err := h.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseExtHandshake(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.TLSVersion() != 1 {
		t.Fatalf("after a round trip TLSVersion() = %d, want 1", back.TLSVersion())
	}
}
