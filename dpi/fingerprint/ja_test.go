package fingerprint

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

func u16s(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

func vec16(b []byte) []byte { return append(u16s(uint16(len(b))), b...) }
func vec8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }

func sniExt(name string) Extension {
	entry := append([]byte{0}, vec16([]byte(name))...)
	return Extension{ExtServerName, vec16(entry)}
}

func alpnExt(protos ...string) Extension {
	var list []byte
	for _, p := range protos {
		list = append(list, vec8([]byte(p))...)
	}
	return Extension{ExtALPN, vec16(list)}
}

// TestDPIJA3Published checks the worked example of the JA3 README
// (salesforce/ja3): a TLS 1.0 ClientHello whose JA3 string is
// 769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0.
func TestDPIJA3Published(t *testing.T) {
	h := &ClientHello{
		Version: 769,
		Ciphers: []uint16{47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4},
		Extensions: []Extension{
			sniExt("example.com"),
			{ExtSupportedGroups, vec16(u16s(23, 24, 25))},
			{ExtECPointFormats, vec8([]byte{0})},
		},
	}
	got, err := ParseStream(h.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	const wantS = "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
	if s := got.JA3String(); s != wantS {
		t.Errorf("JA3String = %s, want %s", s, wantS)
	}
	if j := got.JA3(); j != "ada70206e40642a3e4461f35503241d5" {
		t.Errorf("JA3 = %s, want ada70206e40642a3e4461f35503241d5", j)
	}
}

// TestDPIJA4Published rebuilds the example of the JA4 technical details
// (FoxIO-LLC/ja4, technical_details/JA4.md): JA4_r
// t13d1516h2_002f,...,cca9_0005,...,ff01_0403,...,0601 hashes to
// t13d1516h2_8daaf6152771_e5627efa2ab1. The ClientHello here lists the
// ciphers and extensions out of order and adds GREASE, which JA4 must sort
// and drop.
func TestDPIJA4Published(t *testing.T) {
	sigs := u16s(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
	h := &ClientHello{
		Version: 0x0303,
		Ciphers: []uint16{0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
			0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		Compression: []byte{0},
		Extensions: []Extension{
			{0x2a2a, nil},
			sniExt("example.org"),
			{0x0017, nil}, {0xff01, []byte{0}},
			{ExtSupportedGroups, vec16(u16s(0x4a4a, 29, 23, 24))},
			{ExtECPointFormats, vec8([]byte{0})},
			{0x0023, nil},
			alpnExt("h2", "http/1.1"),
			{0x0005, []byte{1, 0, 0, 0, 0}},
			{ExtSignatureAlgorithms, vec16(sigs)},
			{0x0012, nil},
			{0x0033, vec16(nil)},
			{0x002d, vec8([]byte{1})},
			{ExtSupportedVersions, vec8(u16s(0x5a5a, 0x0304, 0x0303))},
			{0x001b, []byte{2, 0, 2}},
			{0x4469, []byte{0, 3, 2, 'h', '2'}},
			{0x0015, make([]byte, 8)},
			{0x1a1a, []byte{0}},
		},
	}
	got, err := ParseStream(h.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	const wantR = "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_" +
		"0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"
	if r := got.JA4R(); r != wantR {
		t.Errorf("JA4R =\n %s\nwant\n %s", r, wantR)
	}
	if j := got.JA4(); j != "t13d1516h2_8daaf6152771_e5627efa2ab1" {
		t.Errorf("JA4 = %s, want t13d1516h2_8daaf6152771_e5627efa2ab1", j)
	}
	if got.ServerName != "example.org" || len(got.ALPN) != 2 || got.ALPN[1] != "http/1.1" {
		t.Errorf("decoded SNI %q ALPN %q", got.ServerName, got.ALPN)
	}
}

func TestDPIJA4Edges(t *testing.T) {
	tests := []struct {
		name string
		h    ClientHello
		want string
	}{
		{"no extensions, TLS 1.2, no SNI", ClientHello{Version: 0x0303, Ciphers: []uint16{0x1301}},
			"t12i010000_" + hash12("1301") + "_000000000000"},
		{"no ciphers", ClientHello{Version: 0x0301, Extensions: []Extension{{0x0017, nil}}},
			"t10i000100_000000000000_" + hash12("0017")},
		{"ALPN with non-alphanumeric end", ClientHello{Version: 0x0303,
			Extensions: []Extension{alpnExt("h2\xff")}}, "t12i0001" + "6f" + "_000000000000_000000000000"},
		{"only SNI and ALPN: extension hash is empty", ClientHello{Version: 0x0303,
			Extensions: []Extension{sniExt("a"), alpnExt("http/1.1")}}, "t12d0002h1_000000000000_000000000000"},
	}
	for _, tt := range tests {
		got, err := ParseStream(tt.h.Marshal())
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if j := got.JA4(); j != tt.want {
			t.Errorf("%s: JA4 = %s (%s), want %s", tt.name, j, got.JA4R(), tt.want)
		}
	}
}

func TestDPIIsGREASE(t *testing.T) {
	for _, v := range []uint16{0x0a0a, 0x1a1a, 0xaaaa, 0xfafa} {
		if !IsGREASE(v) {
			t.Errorf("%#04x not GREASE", v)
		}
	}
	for _, v := range []uint16{0x0a1a, 0x1301, 0x0000, 0xabab + 1} {
		if IsGREASE(v) {
			t.Errorf("%#04x taken for GREASE", v)
		}
	}
}

// recordConn captures what a TLS client writes and fails its reads, so the
// handshake stops right after the ClientHello.
type recordConn struct {
	net.Conn
	buf bytes.Buffer
}

func (c *recordConn) Write(b []byte) (int, error) { return c.buf.Write(b) }
func (c *recordConn) Read([]byte) (int, error)    { return 0, net.ErrClosed }
func (c *recordConn) Close() error                { return nil }
func (c *recordConn) SetDeadline(time.Time) error { return nil }

// CaptureClientHello returns the bytes a crypto/tls client with cfg sends first.
func captureClientHello(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	c := &recordConn{}
	_ = tls.Client(c, cfg).Handshake()
	if c.buf.Len() == 0 {
		t.Fatal("client wrote nothing")
	}
	return c.buf.Bytes()
}

func TestDPIParseGoClientHello(t *testing.T) {
	raw := captureClientHello(t, &tls.Config{ServerName: "example.net", NextProtos: []string{"h2", "http/1.1"}})
	h, err := ParseStream(raw)
	if err != nil {
		t.Fatal(err)
	}
	if h.ServerName != "example.net" || len(h.ALPN) != 2 || h.ALPN[0] != "h2" {
		t.Errorf("SNI %q ALPN %q", h.ServerName, h.ALPN)
	}
	if !bytes.Equal(h.Marshal()[5:], raw[5:]) {
		t.Errorf("Marshal does not reproduce Go's ClientHello body")
	}
	// A Go client over TCP, TLS 1.3 capable, SNI, h2.
	if a := h.JA4()[:4]; a != "t13d" {
		t.Errorf("JA4 prefix %s, want t13d", a)
	}
	// Split the record at every byte across two records: the parser must
	// reassemble.
	body := raw[5:]
	for cut := 1; cut < len(body); cut += 97 {
		split := append(append([]byte{22, 3, 1, byte(cut >> 8), byte(cut)}, body[:cut]...),
			22, 3, 1, byte((len(body)-cut)>>8), byte(len(body)-cut))
		split = append(split, body[cut:]...)
		h2, err := ParseStream(split)
		if err != nil || h2.JA4() != h.JA4() {
			t.Fatalf("split at %d: %v", cut, err)
		}
	}
}

func TestDPIParseErrors(t *testing.T) {
	good := (&ClientHello{Version: 0x0303, Ciphers: []uint16{0x1301}}).Marshal()
	tests := []struct {
		name string
		in   []byte
	}{
		{"BitTorrent handshake", []byte("\x13BitTorrent protocol")},
		{"HTTP", []byte("GET / HTTP/1.1\r\n")},
		{"truncated record", good[:len(good)-1]},
		{"header only", good[:5]},
		{"ServerHello type", append(append([]byte{}, good[:5]...), append([]byte{2}, good[6:]...)...)},
		{"trailing bytes in body", func() []byte {
			b := append([]byte{}, good...)
			b = append(b, 0)
			b[4]++
			b[8]++
			return b
		}()},
	}
	for _, tt := range tests {
		if _, err := ParseStream(tt.in); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// FuzzParseStream: no panic on any input, and whatever parses re-encodes to
// a ClientHello with the same fingerprints.
func FuzzParseStream(f *testing.F) {
	f.Add(captureClientHello(f, &tls.Config{ServerName: "a.example", NextProtos: []string{"h2"}}))
	f.Add((&ClientHello{Version: 0x0303, Ciphers: []uint16{0x1301}}).Marshal())
	f.Add([]byte("\x13BitTorrent protocol"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseStream(b)
		if err != nil {
			return
		}
		h2, err := ParseStream(h.Marshal())
		if err != nil {
			t.Fatalf("re-encoded ClientHello does not parse: %v", err)
		}
		if h.JA3String() != h2.JA3String() || h.JA4R() != h2.JA4R() || h.ServerName != h2.ServerName {
			t.Fatalf("round trip changed fingerprints: %s / %s", h.JA4R(), h2.JA4R())
		}
	})
}
