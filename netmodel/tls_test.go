package netmodel

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"runtime"
	"testing"
	"time"

	"github.com/bttls/bttls/sim"
)

// testCert is a fixed Ed25519 certificate (Ed25519 signing needs no
// randomness, so it is the same on every run).
func testCert(t testing.TB) tls.Certificate {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: sim.Epoch, NotAfter: sim.Epoch.Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsSwarm runs pairs of hosts where each server sends size bytes over TLS
// 1.3 to its client, and returns the run's digest and a hash of every byte
// that crossed the network.
func tlsSwarm(t testing.TB, seed uint64, pairs, size int) (digest, wire string, events uint64) {
	if err := sim.CheckCryptoRand(); err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Config{Seed: seed})
	defer s.Close()
	n := New(s)
	n.Window = 128 << 10
	wireHash := sha256.New()
	n.Middlebox = MiddleboxFunc(func(p *Packet) Verdict {
		fmt.Fprintf(wireHash, "%d %d %d %d|", p.Flow.ID, p.Dir, p.Kind, p.Offset)
		wireHash.Write(p.Data)
		return Verdict{}
	})
	cert := testCert(t)
	r := s.NewRand()
	payload := pattern(size)
	ok := 0
	for i := 0; i < pairs; i++ {
		srv, _ := n.AddHost(HostConfig{Up: 5e6 + r.Int64N(5e6), Down: 20e6, Latency: time.Duration(1+r.IntN(40)) * time.Millisecond})
		cli, _ := n.AddHost(HostConfig{Up: 1e6, Down: 10e6 + r.Int64N(10e6), Latency: time.Duration(1+r.IntN(40)) * time.Millisecond})
		se, ce := s.NewEnv(srv), s.NewEnv(cli)
		l, err := se.Listen("tcp", ":443")
		if err != nil {
			t.Fatal(err)
		}
		scfg := &tls.Config{Certificates: []tls.Certificate{cert}, Rand: se.CryptoRand(), Time: se.Now,
			MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}
		ccfg := &tls.Config{InsecureSkipVerify: true, Rand: ce.CryptoRand(), Time: ce.Now,
			MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}
		se.Go("server", func() {
			c, err := l.Accept()
			if err != nil {
				t.Error(err)
				return
			}
			tc := tls.Server(c, scfg)
			if _, err := tc.Write(payload); err != nil {
				t.Error(err)
			}
			// Wait for the client's close, then close the raw conn (a tls.Conn
			// Close would wait for close_notify to be written).
			io.Copy(io.Discard, tc)
			c.Close()
		})
		addr := srv.Addr().String() + ":443"
		ce.Go("client", func() {
			ce.Sleep(time.Duration(r.IntN(1000)) * time.Millisecond)
			c, err := ce.Dial("tcp", addr, 0)
			if err != nil {
				t.Error(err)
				return
			}
			tc := tls.Client(c, ccfg)
			got := make([]byte, size)
			if _, err := io.ReadFull(tc, got); err != nil {
				t.Error(err)
				return
			}
			if string(got) != string(payload) {
				t.Error("payload corrupted")
			}
			ok++
			c.Close()
		})
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if ok != pairs {
		t.Fatalf("%d of %d transfers completed", ok, pairs)
	}
	return s.Digest(), fmt.Sprintf("%x", wireHash.Sum(nil)), s.Events()
}

func TestTLSDeterminism(t *testing.T) {
	pairs := 200
	if testing.Short() {
		pairs = 40
	}
	const size = 1 << 20
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	start := time.Now()
	d1, w1, ev := tlsSwarm(t, 1, pairs, size)
	t.Logf("%d TLS pairs moving %d bytes each: %d events in %v", pairs, size, ev, time.Since(start))
	runtime.GOMAXPROCS(2)
	d2, w2, _ := tlsSwarm(t, 1, pairs, size)
	if d1 != d2 || w1 != w2 {
		t.Fatalf("same seed, GOMAXPROCS 1 vs 2: digests %s/%s, wire %s/%s", d1, d2, w1, w2)
	}
	d3, w3, _ := tlsSwarm(t, 1, pairs, size)
	if d1 != d3 || w1 != w3 {
		t.Fatalf("same seed, rerun: digests %s/%s, wire %s/%s", d1, d3, w1, w3)
	}
	d4, w4, _ := tlsSwarm(t, 2, pairs, size)
	if d1 == d4 || w1 == w4 {
		t.Fatalf("seeds 1 and 2 gave the same digest %s / wire %s", d1, w1)
	}
}

func BenchmarkTLSPairs(b *testing.B) {
	for i := 0; i < b.N; i++ {
		tlsSwarm(b, uint64(i), 1000, 1<<20)
	}
}
