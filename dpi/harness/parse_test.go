package harness

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// Flow lines as ndpiReader 4.2 -v 2 printed them for the captures here.
const ndpiSample = `
Detected protocols:
	BitTorrent           packets: 37            bytes: 200321        flows: 1

	1	TCP 127.0.0.1:56775 <-> 127.0.0.1:46881 [proto: 37/BitTorrent][ClearText][Confidence: DPI (cache)][cat: Download/7][18 pkts/1899 bytes <-> 19 pkts/198422 bytes][Risk: ** Known Protocol on Non Standard Port **][Risk Score: 50][BT Hash: 7689cf897671d0469ecb9b410e43358681b744f9][PLAIN TEXT (BitTorrent protocol)][Plen Bins: 29,12,8]
	2	TCP 127.0.0.1:57129 <-> 127.0.0.1:46882 [proto: 91/TLS][Encrypted][Confidence: DPI][cat: Web/5][Hostname/SNI: 59e01d8eedc08c2a10d5ecc7128967b25182d2fa][Risk: ** Known Protocol on Non Standard Port **** TLS (probably) Not Carrying HTTPS **][Risk Score: 60][TLSv1.3][JA3C: d39e1be3241d516b1f714bd47c2bc968][JA3S: 15af977ce25de452b96affa2addb1036][Firefox][Cipher: TLS_AES_256_GCM_SHA384][Plen Bins: 23,21]
	3	TCP 127.0.0.1:40000 <-> 127.0.0.1:443 [proto: 91.126/TLS.Google][ALPN: h2,http/1.1][Hostname/SNI: example.com]
	4	TCP 127.0.0.1:40001 <-> 127.0.0.1:6881 [proto: Guessed 37/BitTorrent][cat: Download/7]
`

func TestDPIParseNDPI(t *testing.T) {
	flows, err := ParseNDPI(ndpiSample)
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != 4 {
		t.Fatalf("%d flows, want 4", len(flows))
	}
	bt, tls, g, guess := flows[0], flows[1], flows[2], flows[3]
	if bt.Protocol != "BitTorrent" || bt.BTHash != "7689cf897671d0469ecb9b410e43358681b744f9" ||
		!reflect.DeepEqual(bt.Risks, []string{"Known Protocol on Non Standard Port"}) || bt.Client != "127.0.0.1:56775" {
		t.Errorf("BitTorrent flow: %+v", bt)
	}
	if tls.Protocol != "TLS" || tls.SNI != "59e01d8eedc08c2a10d5ecc7128967b25182d2fa" || tls.TLSVersion != "TLSv1.3" ||
		tls.JA3C != "d39e1be3241d516b1f714bd47c2bc968" || tls.ClientApp != "Firefox" ||
		tls.Cipher != "TLS_AES_256_GCM_SHA384" || len(tls.Risks) != 2 {
		t.Errorf("TLS flow: %+v", tls)
	}
	if g.Protocol != "Google" || g.Master != "TLS" || g.ALPN != "h2,http/1.1" {
		t.Errorf("TLS.Google flow: %+v", g)
	}
	if !guess.Guessed || guess.Protocol != "BitTorrent" {
		t.Errorf("guessed flow: %+v", guess)
	}
	if _, err := ParseNDPI("Welcome to nDPI 4.2.0\n"); err == nil {
		t.Error("output with no flow lines: no error")
	}
}

func TestDPIParseTshark(t *testing.T) {
	out := "0\t57129\t1\td39e\t771,4865\t59e0\th2,http/1.1\t\t0x1302,0x1303\t0x0304,0x0303\n" +
		"0\t46882\t2\t\t\t\t\t15af\t0x1302\t0x0304\n" +
		"1\t46883\t2,11,15\t\t\t\t\tabcd\t0x1301\t0x0304\n"
	c, s := ParseTshark(out)
	if len(c) != 1 || c[0].JA3 != "d39e" || c[0].SNI != "59e0" || c[0].ALPN != "h2,http/1.1" || c[0].SrcPort != "57129" {
		t.Errorf("clients %+v", c)
	}
	if len(s) != 2 || s[0].JA3S != "15af" || s[0].Cipher != "0x1302" || s[0].Version != "0x0304" || s[1].Stream != "1" {
		t.Errorf("servers %+v", s)
	}
}

func TestDPIInfohashNeedles(t *testing.T) {
	v1, _ := hex.DecodeString("7689cf897671d0469ecb9b410e43358681b744f9")
	v2 := bytes.Repeat([]byte{0xab}, 32)
	ns := InfohashNeedles(v1, v2)
	if len(ns) != 9 {
		t.Fatalf("%d needles, want 9", len(ns))
	}
	capture := []byte("xx 7689CF897671D0469ECB9B410E43358681B744F9 yy")
	capture = append(capture, v2[:20]...)
	got := FindNeedles(ns, []byte("nothing"), capture)
	if want := []string{"v1 HEX", "v2 truncated raw"}; !reflect.DeepEqual(got, want) {
		t.Errorf("found %v, want %v", got, want)
	}
	if n := InfohashNeedles(v1, nil); len(n) != 3 {
		t.Errorf("v1-only torrent: %d needles, want 3", len(n))
	}
}

func FuzzParseNDPI(f *testing.F) {
	f.Add(ndpiSample)
	f.Add("\t1\tTCP a <-> b [proto: [[]]")
	f.Fuzz(func(t *testing.T, s string) {
		flows, err := ParseNDPI(s)
		if err == nil && len(flows) == 0 {
			t.Fatal("no error and no flows")
		}
		for _, fl := range flows {
			if !strings.Contains(s, fl.Client) {
				t.Fatalf("client %q not in input", fl.Client)
			}
		}
	})
}
