package fullstrict

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/tlslevel"
)

type pki struct {
	root, issuing       *x509.Certificate
	rootKey, issuingKey crypto.Signer
	swarm               *Swarm
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	now := time.Now()
	root, rootKey, err := NewCA(rand.Reader, now, "swarm root", 365*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	iss, issKey, err := NewIssuing(rand.Reader, now, root, rootKey, "swarm issuer", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{root: root, issuing: iss, rootKey: rootKey, issuingKey: issKey}
	p.swarm = &Swarm{CA: root, Name: "data.bin", Modes: []int{1, 2}, BasicKey: tlslevel.BasicKey([]byte("01234567890123456789")), InfoHash: [20]byte{1, 2, 3}}
	return p
}

// peer issues an identity through a CSR, as a peer and an issuer would.
func (p *pki) peer(t testing.TB, now time.Time, validity time.Duration) *Identity {
	t.Helper()
	key, err := NewKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := NewCSR(rand.Reader, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := IssueLeaf(rand.Reader, now, csr, p.issuing, p.issuingKey, validity)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity([][]byte{leaf, p.issuing.Raw}, key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func opts() tlslevel.Options { return tlslevel.Options{Rand: rand.Reader, Time: time.Now} }

type side struct {
	err  error
	leaf *x509.Certificate
}

// mode2 runs Initiate2 and Respond2 over loopback TCP.
func mode2(t *testing.T, client, server *Material) (side, side) {
	t.Helper()
	a, b := tcpPair(t)
	cert, _ := tlslevel.ThrowawayCert(rand.Reader, time.Now())
	ch := make(chan side, 1)
	go func() {
		tc := tls.Server(b, tlslevel.ServerConfig(opts(), cert))
		var s side
		if s.err = tc.Handshake(); s.err == nil {
			var msg tlslevel.Message
			if msg, s.err = tlslevel.ReadMessage(tc); s.err == nil {
				_, s.leaf, s.err = Respond2(tc, msg, []Candidate{{Material: server}}, rand.Reader, time.Now)
			}
		}
		b.Close()
		ch <- s
	}()
	var c side
	c.leaf, c.err = Initiate2(tls.Client(a, tlslevel.ClientConfig(opts())), client, rand.Reader, time.Now)
	a.Close()
	return c, <-ch
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); ch <- c }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	a.SetDeadline(time.Now().Add(5 * time.Second))
	b.SetDeadline(time.Now().Add(5 * time.Second))
	return a, b
}

func TestMode2(t *testing.T) {
	p := newPKI(t)
	other := newPKI(t)
	now := time.Now()
	good := &Material{Swarm: p.swarm, Identity: p.peer(t, now, DefaultPeerValidity)}
	good2 := &Material{Swarm: p.swarm, Identity: p.peer(t, now, DefaultPeerValidity)}
	foreign := &Material{Swarm: p.swarm, Identity: other.peer(t, now, DefaultPeerValidity)}
	expired := &Material{Swarm: p.swarm, Identity: p.peer(t, now.Add(-3*24*time.Hour), 24*time.Hour)}
	stolen := &Material{Swarm: p.swarm, Identity: &Identity{Chain: good.Identity.Chain, Leaf: good.Identity.Leaf, Key: good2.Identity.Key}}
	named := func(name string) *Material {
		key, _ := NewKey(rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), DNSNames: []string{name}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, p.issuing, key.Public(), p.issuingKey)
		if err != nil {
			t.Fatal(err)
		}
		id, err := NewIdentity([][]byte{der, p.issuing.Raw}, key)
		if err != nil {
			t.Fatal(err)
		}
		return &Material{Swarm: p.swarm, Identity: id}
	}
	wrongTorrent := &Material{Swarm: &Swarm{CA: p.root, Name: "x", BasicKey: tlslevel.BasicKey([]byte("another infohash....")), Modes: []int{2}}, Identity: good2.Identity}

	// A certificate naming the torrent (not "*") is as good as "*".
	if c, s := mode2(t, named("data.bin"), good2); c.err != nil || s.err != nil {
		t.Fatalf("leaf naming the torrent: initiator %v, responder %v", c.err, s.err)
	}
	c, s := mode2(t, good, good2)
	if c.err != nil || s.err != nil {
		t.Fatalf("initiator %v, responder %v", c.err, s.err)
	}
	if !bytes.Equal(c.leaf.Raw, good2.Identity.Chain[0]) || !bytes.Equal(s.leaf.Raw, good.Identity.Chain[0]) {
		t.Fatal("each side should see the other's leaf")
	}
	for _, tt := range []struct {
		name   string
		client *Material
		want   error
		text   string
	}{
		{"certificate from another CA", foreign, ErrUntrusted, ""},
		{"expired certificate", expired, ErrUntrusted, "expired"},
		{"someone else's certificate", stolen, nil, "signature does not verify"},
		{"another torrent", wrongTorrent, tlslevel.ErrBadProof, ""},
		{"certificate for another torrent name", named("other.iso"), ErrWrongName, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, s := mode2(t, tt.client, good2)
			if s.err == nil || (tt.want != nil && !errors.Is(s.err, tt.want)) || !strings.Contains(s.err.Error(), tt.text) {
				t.Fatalf("responder: %v, want %v %q", s.err, tt.want, tt.text)
			}
			if c.err == nil {
				t.Fatal("initiator succeeded against a refusing responder")
			}
		})
	}
}

func TestMode1(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	srv := &Material{Swarm: p.swarm, Identity: p.peer(t, now, DefaultPeerValidity)}
	for _, tt := range []struct {
		name string
		cli  *Material
		ok   bool
	}{
		{"member", &Material{Swarm: p.swarm, Identity: p.peer(t, now, DefaultPeerValidity)}, true},
		{"outsider", &Material{Swarm: p.swarm, Identity: newPKI(t).peer(t, now, DefaultPeerValidity)}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := tcpPair(t)
			var sni string
			ch := make(chan error, 1)
			go func() {
				cfg := ServerConfig1(opts(), srv)
				cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) { sni = h.ServerName; return nil, nil }
				err := tls.Server(b, cfg).Handshake()
				b.Close()
				ch <- err
			}()
			cerr := tls.Client(a, ClientConfig1(opts(), tt.cli)).Handshake()
			if cerr == nil {
				a.Read(make([]byte, 1)) // let a TLS 1.3 server's rejection of our certificate arrive
			}
			serr := <-ch
			a.Close()
			if (serr == nil) != tt.ok {
				t.Fatalf("server: %v (client %v)", serr, cerr)
			}
			if sni != p.swarm.SNI() || len(sni) != 40 {
				t.Fatalf("SNI %q, want the hex infohash", sni)
			}
		})
	}
}

func TestFromInfo(t *testing.T) {
	p := newPKI(t)
	pemCA := string(PEMChain([][]byte{p.root.Raw}))
	enc := func(s string) string { return itoa(len(s)) + ":" + s }
	lt := "d4:name1:x8:ssl-cert" + enc(pemCA) + "e"
	s, err := FromInfo([]byte(lt), "x", [20]byte{}, [32]byte{})
	if err != nil || !s.HasMode(1) || s.HasMode(2) {
		t.Fatalf("libtorrent SSL torrent: %v %v", s, err)
	}
	bt := "d5:bttlsd5:level11:full-strict5:modesli2ee1:vi1ee4:name1:x8:ssl-cert" + enc(pemCA) + "e"
	s, err = FromInfo([]byte(bt), "x", [20]byte{}, [32]byte{})
	if err != nil || s.HasMode(1) || !s.HasMode(2) {
		t.Fatalf("bttls mode-2-only torrent: %v %v", s, err)
	}
	if _, err := FromInfo([]byte("d4:name1:xe"), "x", [20]byte{}, [32]byte{}); !errors.Is(err, ErrNotFullStrict) {
		t.Fatalf("plain torrent: %v", err)
	}
	leafOnly := "d4:name1:x8:ssl-cert" + enc(string(PEMChain([][]byte{p.peer(t, time.Now(), time.Hour).Chain[0]}))) + "e"
	if _, err := FromInfo([]byte(leafOnly), "x", [20]byte{}, [32]byte{}); err == nil {
		t.Fatal("accepted a non-CA ssl-cert")
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzParseCredentials(f *testing.F) {
	c := Credentials{Chain: [][]byte{[]byte("cert")}, Scheme: ECDSAP256SHA256, Sig: []byte("sig")}
	b, _ := c.Append(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseCredentials(in)
		if err != nil {
			return
		}
		out, err := c.Append(nil)
		if err != nil {
			return // over the size limit: only Append checks it
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip differs")
		}
	})
}
