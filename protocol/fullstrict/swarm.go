// Package fullstrict is the bttls Full Strict level: a swarm CA named by the
// torrent (info dict "ssl-cert", as libtorrent's SSL torrents), short-lived
// peer certificates chaining to it, and mutual verification — in mode 1
// through TLS itself with SNI = hex infohash (wire compatible with
// libtorrent), in mode 2 inside a tunnel opened with throwaway certificates,
// so that nothing identifying appears in the clear.
package fullstrict

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/anacrolix/torrent/bencode"
)

// Swarm is a Full Strict torrent's trust material.
type Swarm struct {
	CA *x509.Certificate
	// Name is the torrent's name: a peer certificate's DNS SAN must be it or "*".
	Name string
	// Modes the torrent allows (1, 2); a libtorrent SSL torrent has [1].
	Modes []int
	// BasicKey is the torrent's Basic key, which keys the mode 2 MAC that
	// lets a responder find the torrent without anyone naming it.
	BasicKey [32]byte
	// InfoHash is the 20-byte handshake infohash (mode 1 SNI).
	InfoHash [20]byte
	// Intermediates are issuing certificates known locally (those of our
	// own chain). libtorrent sends only its leaf (OpenSSL's
	// use_certificate_file), so a leaf signed by an issuing certificate
	// verifies only if we already have that certificate. They are
	// untrusted: each must still chain to CA.
	Intermediates []*x509.Certificate
}

// HasMode reports whether the torrent allows mode m.
func (s *Swarm) HasMode(m int) bool { return slices.Contains(s.Modes, m) }

// ErrNotFullStrict: the info dict has no "ssl-cert".
var ErrNotFullStrict = errors.New("bttls: not a full strict torrent")

// infoKeys are the info-dict keys Full Strict reads.
type infoKeys struct {
	SSLCert *string `bencode:"ssl-cert"`
	Bttls   *struct {
		V     int    `bencode:"v"`
		Level string `bencode:"level"`
		Modes []int  `bencode:"modes"`
	} `bencode:"bttls"`
}

// FromInfo reads the swarm CA and modes of an info dict. A torrent with
// "ssl-cert" and no bttls section is a libtorrent SSL torrent: modes [1].
func FromInfo(info []byte, name string, infoHash [20]byte, basicKey [32]byte) (*Swarm, error) {
	var k infoKeys
	if err := bencode.Unmarshal(info, &k); err != nil {
		return nil, fmt.Errorf("bttls: info dict: %w", err)
	}
	if k.SSLCert == nil {
		return nil, ErrNotFullStrict
	}
	ca, err := ParseCertPEM([]byte(*k.SSLCert))
	if err != nil {
		return nil, fmt.Errorf("bttls: info ssl-cert: %w", err)
	}
	if !ca.IsCA {
		return nil, errors.New("bttls: info ssl-cert is not a CA certificate")
	}
	s := &Swarm{CA: ca, Name: name, Modes: []int{1}, BasicKey: basicKey, InfoHash: infoHash}
	if k.Bttls != nil && k.Bttls.Level == "full-strict" {
		if k.Bttls.V != 1 {
			return nil, fmt.Errorf("bttls: info[\"bttls\"] has version %d; this client speaks 1", k.Bttls.V)
		}
		s.Modes = nil
		for _, m := range k.Bttls.Modes {
			if m == 1 || m == 2 {
				s.Modes = append(s.Modes, m)
			}
		}
		if len(s.Modes) == 0 {
			return nil, errors.New("bttls: info[\"bttls\"] modes names neither mode 1 nor mode 2")
		}
	}
	return s, nil
}

// ParseCertPEM parses the first CERTIFICATE block of b.
func ParseCertPEM(b []byte) (*x509.Certificate, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if blk.Type == "CERTIFICATE" {
			return x509.ParseCertificate(blk.Bytes)
		}
	}
}

// Errors Verify wraps.
var (
	ErrUntrusted = errors.New("bttls: peer certificate does not chain to the swarm CA")
	ErrWrongName = errors.New("bttls: peer certificate names neither the torrent nor *")
)

// MaxChain bounds the certificates a peer may send (leaf + issuing certs).
const MaxChain = 4

// Verify checks a peer's chain (leaf first, DER) against the swarm CA at
// now: signatures, validity periods, the CA constraints on the way, the
// leaf's key usage, and its DNS SAN (else its CN) = the torrent's name or "*".
func (s *Swarm) Verify(chain [][]byte, now time.Time) (*x509.Certificate, error) {
	if len(chain) == 0 || len(chain) > MaxChain {
		return nil, fmt.Errorf("bttls: peer sent %d certificates, want 1..%d", len(chain), MaxChain)
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("bttls: peer certificate %d: %w", i, err)
		}
		certs[i] = c
	}
	roots := x509.NewCertPool()
	roots.AddCert(s.CA)
	inter := x509.NewCertPool()
	for _, c := range s.Intermediates {
		inter.AddCert(c)
	}
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	leaf := certs[0]
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, errors.New("bttls: peer certificate's key usage lacks digitalSignature")
	}
	names := leaf.DNSNames
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = []string{leaf.Subject.CommonName}
	}
	if !slices.Contains(names, s.Name) && !slices.Contains(names, "*") {
		return nil, fmt.Errorf("%w (%q; torrent %q)", ErrWrongName, names, s.Name)
	}
	return leaf, nil
}
