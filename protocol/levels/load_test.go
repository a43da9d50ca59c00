package levels

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/strict"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// TestSecurityForVersions: v1 and hybrid torrents key Basic on the v1
// infohash, pure v2 on the full SHA-256 infohash.
func TestSecurityForVersions(t *testing.T) {
	tests := []struct {
		name string
		info string
		v2   bool
	}{
		{"v1", "d6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae", false},
		{"hybrid", "d9:file treed1:xd0:d6:lengthi1eeee12:meta versioni2e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae", false},
		{"pure v2", "d9:file treed1:xd0:d6:lengthi1eeee12:meta versioni2e4:name1:x12:piece lengthi16384ee", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ih := sha1.Sum([]byte(tt.info))
			s, err := SecurityFor(&meta.Torrent{InfoHash: ih, InfoBytes: []byte(tt.info), Name: "x"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := tlslevel.BasicKey(ih[:])
			if tt.v2 {
				h := sha256.Sum256([]byte(tt.info))
				want = tlslevel.BasicKey(h[:])
			}
			if s.Level != transport.TLSBasic || s.Credential.Key != want {
				t.Fatalf("level %v, key matches expected hash: %v", s.Level, s.Credential.Key == want)
			}
		})
	}
}

func strictTorrent(t testing.TB) (*meta.Torrent, []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret-data")
	data := make([]byte, 50<<10)
	rand.Read(data)
	os.WriteFile(p, data, 0o600)
	plain, err := meta.Create(p, meta.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, root, err := strict.Make(plain, rand.Reader, 8)
	if err != nil {
		t.Fatal(err)
	}
	m, err := meta.Parse(st)
	if err != nil {
		t.Fatal(err)
	}
	return m, root[:]
}

// TestStrictLevel: members connect over Strict; a peer that knows only the
// infohash (even the whole info dict) cannot, at any policy, and the
// transport never carries a Strict torrent without TLS.
func TestStrictLevel(t *testing.T) {
	m, _ := strictTorrent(t)
	sec, err := SecurityFor(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sec.Level != transport.TLSStrict || sec.AnnounceHash == m.InfoHash {
		t.Fatalf("level %v, announce hash equals infohash: %v", sec.Level, sec.AnnounceHash == m.InfoHash)
	}
	if _, err := SecurityFor(&meta.Torrent{InfoHash: m.InfoHash, InfoBytes: m.InfoBytes, Name: m.Name}, nil); err == nil {
		t.Fatal("a strict torrent without its secret (info dict via BEP 9) loaded")
	}
	served := &transport.Torrent{InfoHash: m.InfoHash, Name: m.Name, Security: sec}
	var logs logBuf
	server := newTransport(t, negotiate.Off, &logs) // the policy does not apply to Strict
	addr := echoPeer(t, server, registry{served}, nil)

	member := newTransport(t, negotiate.Off, nil)
	c, err := member.Connect(env.OS{}, addr, &transport.Torrent{InfoHash: m.InfoHash, Security: sec}, transport.Hint{Legacy: true}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != transport.TLSStrict {
		t.Fatalf("kind %v", c.Kind)
	}
	roundTrip(t, c)
	c.Close()

	outsider := &transport.Torrent{InfoHash: m.InfoHash, Name: m.Name}
	for _, p := range []negotiate.Policy{negotiate.Require, negotiate.Prefer, negotiate.Off} {
		for _, plain := range []bool{false, true} {
			tr, _ := New(env.OS{}, Config{Policy: p, LegacyPlain: plain})
			c, err := tr.Connect(env.OS{}, addr, outsider, transport.Hint{}, 3*time.Second)
			if err == nil {
				if plain { // the acceptor reads to the infohash before refusing
					c.Write(append([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x00\x00\x00"), m.InfoHash[:]...))
				}
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				if _, err := c.Read(make([]byte, 1)); err == nil {
					t.Fatalf("outsider with policy %v (plain %v) was served", p, plain)
				}
				c.Close()
			}
		}
	}
	time.Sleep(50 * time.Millisecond)
	if !strings.Contains(logs.String(), "does not verify") {
		t.Fatalf("no refusal logged: %q", logs.String())
	}
	var stale = *sec
	stale.Credential.Epoch--
	if _, err := member.Connect(env.OS{}, addr, &transport.Torrent{InfoHash: m.InfoHash, Security: &stale}, transport.Hint{}, 3*time.Second); err == nil {
		t.Fatal("a stale epoch connected")
	}
}
