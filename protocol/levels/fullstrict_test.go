package levels

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
)

type swarmPKI struct {
	ca, issuing *x509.Certificate
	issuingKey  crypto.Signer
}

func newSwarmPKI(t testing.TB) *swarmPKI {
	t.Helper()
	now := time.Now()
	ca, caKey, err := fullstrict.NewCA(rand.Reader, now, "test swarm", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	iss, issKey, err := fullstrict.NewIssuing(rand.Reader, now, ca, caKey, "test issuer", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &swarmPKI{ca: ca, issuing: iss, issuingKey: issKey}
}

func (p *swarmPKI) identity(t testing.TB) *fullstrict.Identity {
	t.Helper()
	key, _ := fullstrict.NewKey(rand.Reader)
	csr, _ := fullstrict.NewCSR(rand.Reader, key)
	leaf, err := fullstrict.IssueLeaf(rand.Reader, time.Now(), csr, p.issuing, p.issuingKey, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := fullstrict.NewIdentity([][]byte{leaf, p.issuing.Raw}, key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func fullStrictTorrent(t testing.TB, p *swarmPKI, modes []int) *meta.Torrent {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fs-data")
	data := make([]byte, 40<<10)
	rand.Read(data)
	os.WriteFile(path, data, 0o600)
	plain, err := meta.Create(path, meta.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := fullstrict.MakeTorrent(plain, fullstrict.PEMChain([][]byte{p.ca.Raw}), modes)
	if err != nil {
		t.Fatal(err)
	}
	m, err := meta.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFullStrictModes(t *testing.T) {
	p := newSwarmPKI(t)
	for _, tt := range []struct {
		name  string
		modes []int
		hint  transport.Hint
		want  transport.Kind
	}{
		{"mode 1 only", []int{1}, transport.Hint{}, transport.TLSFullStrict1},
		{"mode 2 only", []int{2}, transport.Hint{}, transport.TLSFullStrict2},
		{"both, bttls hint", []int{1, 2}, transport.Hint{TLS: true}, transport.TLSFullStrict2},
		{"both, no hint", []int{1, 2}, transport.Hint{}, transport.TLSFullStrict1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := fullStrictTorrent(t, p, tt.modes)
			srvSec, err := SecurityFor(m, p.identity(t))
			if err != nil {
				t.Fatal(err)
			}
			served := &transport.Torrent{InfoHash: m.InfoHash, Name: m.Name, Security: srvSec}
			acc := make(chan *transport.Conn, 1)
			addr := echoPeer(t, newTransport(t, negotiate.Off, nil), registry{torrent("other"), served}, acc)

			cliSec, err := SecurityFor(m, p.identity(t))
			if err != nil {
				t.Fatal(err)
			}
			c, err := newTransport(t, negotiate.Off, nil).Connect(env.OS{}, addr, &transport.Torrent{InfoHash: m.InfoHash, Name: m.Name, Security: cliSec}, tt.hint, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Kind != tt.want {
				t.Fatalf("kind %v, want %v", c.Kind, tt.want)
			}
			roundTrip(t, c)
			if in := <-acc; in == nil || in.Torrent != served || in.Kind != tt.want {
				t.Fatalf("acceptor: %+v", in)
			}

			// An outsider: same torrent, a certificate from another CA.
			outsider := newSwarmPKI(t).identity(t)
			if _, err := SecurityFor(m, outsider); err == nil {
				t.Fatal("loaded a full strict torrent with a foreign certificate")
			}
			forged := *cliSec
			fsm := *cliSec.FullStrict
			fsm.Identity = outsider
			forged.FullStrict = &fsm
			if c, err := newTransport(t, negotiate.Off, nil).Connect(env.OS{}, addr, &transport.Torrent{InfoHash: m.InfoHash, Security: &forged}, tt.hint, 3*time.Second); err == nil {
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Read(make([]byte, 1)); err == nil {
					t.Fatal("outsider served")
				}
				c.Close()
			}
			<-acc
			// A peer that knows only the infohash (Basic, any policy).
			if c, err := newTransport(t, negotiate.Prefer, nil).Connect(env.OS{}, addr, &transport.Torrent{InfoHash: m.InfoHash}, transport.Hint{}, 3*time.Second); err == nil {
				c.Close()
				t.Fatalf("infohash-only peer connected over %v", c.Kind)
			}
		})
	}
}
