package tlslevel

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func testOptions() Options { return Options{Rand: rand.Reader, Time: time.Now} }

func testCert(t testing.TB) tls.Certificate {
	t.Helper()
	c, err := ThrowawayCert(rand.Reader, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recordingConn keeps every byte read and written, to check what an
// on-path observer sees.
type recordingConn struct {
	net.Conn
	seen *bytes.Buffer
}

func (r recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.seen.Write(p[:n])
	return n, err
}

func (r recordingConn) Write(p []byte) (int, error) { r.seen.Write(p); return r.Conn.Write(p) }

type result struct {
	c   *Candidate
	err error
}

// pair runs Initiate(cred) against Respond(cands) over a TCP loopback pair
// and returns both outcomes, the SNI the server saw and the wire bytes.
func pair(t *testing.T, cred Credential, cands []Candidate) (initErr error, resp result, sni string, wire []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan result, 1)
	var seenSNI = "(no hello)"
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		cfg := ServerConfig(testOptions(), testCert(t))
		cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			seenSNI = h.ServerName
			return nil, nil
		}
		found, err := Respond(tls.Server(c, cfg), func(ty Type) []Candidate {
			var out []Candidate
			for _, c := range cands {
				if c.Type == ty {
					out = append(out, c)
				}
			}
			return out
		})
		ch <- result{found, err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	var buf bytes.Buffer
	initErr = Initiate(tls.Client(recordingConn{c, &buf}, ClientConfig(testOptions())), cred)
	c.Close()
	resp = <-ch
	return initErr, resp, seenSNI, buf.Bytes()
}

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	ihV1     = h("0123456789abcdef0123456789abcdef01234567")
	ihOther  = h("fedcba9876543210fedcba9876543210fedcba98")
	ihV2     = h("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	secret32 = h("5ec4e75ec4e75ec4e75ec4e75ec4e75ec4e75ec4e75ec4e75ec4e75ec4e75ec4")
)

func basic(ih []byte) Credential { return Credential{Type: TypeBasic, Key: BasicKey(ih)} }

func TestLevels(t *testing.T) {
	served := []Candidate{
		{Credential: basic(ihOther), Torrent: "other"},
		{Credential: basic(ihV1), Torrent: "v1 or hybrid"},
		{Credential: basic(ihV2), Torrent: "v2"},
		{Credential: Credential{Type: TypeStrict, Epoch: 3, Key: StrictKey(secret32)}, Torrent: "strict"},
	}
	tests := []struct {
		name      string
		cred      Credential
		want      any // torrent the responder must pick; nil: refused
		initFails bool
	}{
		{"basic v1/hybrid", basic(ihV1), "v1 or hybrid", false},
		{"basic pure v2 keys on the 32-byte hash", basic(ihV2), "v2", false},
		{"basic with truncated v2 hash is refused", basic(ihV2[:20]), nil, true},
		{"basic unknown infohash", basic(h("00000000000000000000000000000000000000aa")), nil, true},
		{"strict", Credential{Type: TypeStrict, Epoch: 3, Key: StrictKey(secret32)}, "strict", false},
		{"strict stale epoch", Credential{Type: TypeStrict, Epoch: 2, Key: StrictKey(secret32)}, nil, true},
		{"strict key sent as basic", Credential{Type: TypeBasic, Key: StrictKey(secret32)}, nil, true},
		{"basic key sent as strict", Credential{Type: TypeStrict, Epoch: 3, Key: BasicKey(ihV1)}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			initErr, resp, sni, wire := pair(t, tt.cred, served)
			if tt.want == nil {
				if !errors.Is(resp.err, ErrBadProof) {
					t.Fatalf("responder: got %v, want ErrBadProof", resp.err)
				}
			} else if resp.err != nil || resp.c.Torrent != tt.want {
				t.Fatalf("responder: got %v, %v; want torrent %q", resp.c, resp.err, tt.want)
			}
			if (initErr != nil) != tt.initFails {
				t.Fatalf("initiator error %v, want failure %v", initErr, tt.initFails)
			}
			if sni != "" {
				t.Fatalf("client sent SNI %q", sni)
			}
			for _, leak := range [][]byte{ihV1, ihV2, ihV2[:20], []byte(hex.EncodeToString(ihV1)), []byte("BitTorrent protocol"), secret32} {
				if bytes.Contains(wire, leak) {
					t.Fatalf("wire bytes contain %q", leak)
				}
			}
		})
	}
}

// attacker runs a TLS handshake in role r and then sends msg (a proof taken
// from elsewhere), returning what the honest side concluded.
func TestReplayAndReflection(t *testing.T) {
	cred := basic(ihV1)
	cands := func(Type) []Candidate { return []Candidate{{Credential: cred, Torrent: "t"}} }

	// Capture the initiator's proof message from an honest connection.
	a, b := net.Pipe()
	var captured []byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		tc := tls.Server(b, ServerConfig(testOptions(), testCert(t)))
		if err := tc.Handshake(); err != nil {
			t.Error(err)
			return
		}
		m, err := ReadMessage(tc)
		if err != nil {
			t.Error(err)
			return
		}
		captured = m.Append(nil)
		b.Close()
	}()
	_ = Initiate(tls.Client(a, ClientConfig(testOptions())), cred)
	<-done
	a.Close()

	t.Run("replayed initiator proof", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		ch := make(chan error, 1)
		go func() {
			_, err := Respond(tls.Server(b, ServerConfig(testOptions(), testCert(t))), cands)
			b.Close()
			ch <- err
		}()
		tc := tls.Client(a, ClientConfig(testOptions()))
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		tc.Write(captured)
		if err := <-ch; !errors.Is(err, ErrBadProof) {
			t.Fatalf("responder accepted a replayed proof: %v", err)
		}
	})
	t.Run("reflected proof", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		ch := make(chan error, 1)
		go func() { ch <- Initiate(tls.Client(a, ClientConfig(testOptions())), cred); a.Close() }()
		tc := tls.Server(b, ServerConfig(testOptions(), testCert(t)))
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		m, err := ReadMessage(tc)
		if err != nil {
			t.Fatal(err)
		}
		tc.Write(m.Append(nil)) // echo the initiator's own proof
		if err := <-ch; !errors.Is(err, ErrBadProof) {
			t.Fatalf("initiator accepted its reflected proof: %v", err)
		}
	})
}

func TestThrowawayCertsDiffer(t *testing.T) {
	a, b := testCert(t), testCert(t)
	ca, _ := parseLeaf(a)
	cb, _ := parseLeaf(b)
	if ca.SerialNumber.Cmp(cb.SerialNumber) == 0 || ca.Subject.CommonName == cb.Subject.CommonName || ca.NotBefore.Equal(cb.NotBefore) {
		t.Fatalf("two throwaway certificates share serial, subject or validity: %v %v", ca.Subject, cb.Subject)
	}
	if !ca.NotAfter.After(time.Now()) || ca.NotBefore.After(time.Now()) {
		t.Fatalf("throwaway certificate not valid now: %v–%v", ca.NotBefore, ca.NotAfter)
	}
}

// TestRequiresTLS13: the ClientHello offers TLS 1.2 too (to look like
// net/http's), so a server that answers with TLS 1.2 must be refused.
func TestRequiresTLS13(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		cfg := &tls.Config{Certificates: []tls.Certificate{testCert(t)}, MaxVersion: tls.VersionTLS12}
		tls.Server(b, cfg).Handshake()
		b.Close()
	}()
	err := Initiate(tls.Client(a, ClientConfig(testOptions())), basic(ihV1))
	if err == nil || !strings.Contains(err.Error(), "TLS 1.3 required") {
		t.Fatalf("got %v, want a TLS 1.3 refusal", err)
	}
}
