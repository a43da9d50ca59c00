package levels

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/anacrolix/torrent/bencode"

	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/strict"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// SecurityFor reads a loaded torrent's level from its info dict and the
// .torrent around it: Full Strict when the info dict has "ssl-cert" (id is
// then this peer's certificate from the swarm), Strict when the info dict has a Strict section (the
// secret must then be in the .torrent), else Basic — keyed on the v1
// infohash for v1 and hybrid torrents, on the 32-byte v2 infohash for pure
// v2 ones. policy, when not nil, overrides the transport's default for a
// Basic torrent.
func SecurityFor(m *meta.Torrent, id *fullstrict.Identity) (*Security, error) {
	basic := BasicSecurity(m.InfoHash[:])
	if pureV2(m.InfoBytes) {
		h := sha256.Sum256(m.InfoBytes)
		basic = BasicSecurity(h[:])
	}
	swarm, err := fullstrict.FromInfo(m.InfoBytes, m.Name, m.InfoHash, basic.Credential.Key)
	switch {
	case err == nil:
		if id == nil {
			return nil, fmt.Errorf("bttls: %s is a full strict torrent: give this peer a certificate from its swarm (--tls-cert, --tls-key; 'bttls ca cert' gets one)", m.Name)
		}
		for _, der := range id.Chain[1:] {
			if c, err := x509.ParseCertificate(der); err == nil && c.IsCA {
				swarm.Intermediates = append(swarm.Intermediates, c)
			}
		}
		if _, err := swarm.Verify(id.Chain, id.Leaf.NotBefore.Add(time.Second)); err != nil {
			return nil, fmt.Errorf("bttls: %s: our certificate is not from this torrent's swarm CA: %w", m.Name, err)
		}
		return &Security{Level: transport.TLSFullStrict2, FullStrict: &fullstrict.Material{Swarm: swarm, Identity: id}, Credential: basic.Credential}, nil
	case !errors.Is(err, fullstrict.ErrNotFullStrict):
		return nil, fmt.Errorf("bttls: %s: %w", m.Name, err)
	}
	_, err = strict.Commit(m.InfoBytes)
	switch {
	case err == nil:
		if m.Raw == nil {
			return nil, fmt.Errorf("bttls: %s is a strict torrent: its secret comes with the .torrent or the magnet's %s parameter", m.Name, strict.MagnetParam)
		}
		mat, err := strict.Load(m.InfoBytes, m.Raw)
		if err != nil {
			return nil, fmt.Errorf("bttls: %s: %w", m.Name, err)
		}
		return StrictSecurity(mat), nil
	case !errors.Is(err, strict.ErrNotStrict):
		return nil, fmt.Errorf("bttls: %s: %w", m.Name, err)
	}
	return basic, nil
}

// StrictSecurity is the Security of a Strict torrent whose material has
// been checked.
func StrictSecurity(m *strict.Material) *Security {
	return &Security{
		Level: transport.TLSStrict,
		Credential: tlslevel.Credential{
			Type:  tlslevel.TypeStrict,
			Epoch: uint16(m.Epoch),
			Key:   tlslevel.StrictKey(m.Secret[:]),
		},
		AnnounceHash: m.AnnounceHash(),
	}
}

// pureV2 reports whether an info dict is BEP 52 v2 without v1 pieces (a
// hybrid has both, and keys Basic on its v1 infohash like v1 peers do).
func pureV2(info []byte) bool {
	var d struct {
		MetaVersion int            `bencode:"meta version"`
		Pieces      bencode.Bytes  `bencode:"pieces"`
		FileTree    map[string]any `bencode:"file tree"`
	}
	if err := bencode.Unmarshal(info, &d); err != nil {
		return false
	}
	return d.MetaVersion == 2 && len(d.Pieces) == 0
}

// AnnounceHash returns the key to announce a torrent under: the Strict
// derived key, or its infohash.
func AnnounceHash(t *transport.Torrent) [20]byte {
	if s, ok := t.Security.(*Security); ok && s != nil && s.AnnounceHash != ([20]byte{}) {
		return s.AnnounceHash
	}
	return t.InfoHash
}
