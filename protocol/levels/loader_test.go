package levels

import (
	"testing"

	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/strict"
	"github.com/bttls/bttls/protocol/transport"
)

// TestMagnetStrict: a magnet link with x.bttls-s gives the Strict
// credential before the metadata, and the info dict that arrives later
// over BEP 9 (no secret in it) is checked against the magnet's secret.
func TestMagnetStrict(t *testing.T) {
	m, _ := strictTorrent(t)
	mat, err := strict.Load(m.InfoBytes, m.Raw)
	if err != nil {
		t.Fatal(err)
	}
	link := m.MagnetLink() + "&" + strict.MagnetParam + "=" + mat.MagnetValue()
	mg, err := meta.ParseMagnet(link)
	if err != nil {
		t.Fatal(err)
	}
	var l Loader
	pre, err := l.MagnetSecurity(mg)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := SecurityFor(m, nil)
	if ps := pre.(*Security); ps.Level != transport.TLSStrict || ps.Credential != full.Credential || ps.AnnounceHash != full.AnnounceHash {
		t.Fatal("the magnet's credential differs from the .torrent's")
	}
	if l.AnnounceKey(m.InfoHash) != full.AnnounceHash || (&Loader{}).AnnounceKey(m.InfoHash) != m.InfoHash {
		t.Fatal("AnnounceKey: want the swarm key for a known Strict torrent, else the infohash")
	}
	fromBEP9 := &meta.Torrent{InfoHash: m.InfoHash, Name: m.Name, InfoBytes: m.InfoBytes}
	got, err := l.Security(fromBEP9)
	if err != nil || got.(*Security).Credential != full.Credential {
		t.Fatalf("after BEP 9: %v", err)
	}

	bad := mat.MagnetValue()
	bad = bad[:len(bad)-1] + string("0123456789abcdef"[(int(bad[len(bad)-1])+1)%16])
	mg2, _ := meta.ParseMagnet(m.MagnetLink() + "&" + strict.MagnetParam + "=" + bad)
	var l2 Loader
	if _, err := l2.MagnetSecurity(mg2); err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Security(fromBEP9); err == nil {
		t.Fatal("a wrong magnet secret passed the commitment check")
	}
	if s, err := (&Loader{}).MagnetSecurity(meta.Magnet{InfoHash: m.InfoHash}); s != nil || err != nil {
		t.Fatalf("plain magnet: %v %v", s, err)
	}
}
