package fullstrict

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// MaxPeerValidity is the longest a peer certificate may be valid (BEP:
// at most 7 days; issuers default to 24 hours).
const MaxPeerValidity = 7 * 24 * time.Hour

// DefaultPeerValidity is what an issuer grants unless told otherwise.
const DefaultPeerValidity = 24 * time.Hour

func serial(rnd io.Reader) (*big.Int, error) {
	var b [16]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, err
	}
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b[:]), nil
}

// NewKey makes an ECDSA P-256 key, the type every TLS stack (and
// libtorrent's OpenSSL) accepts.
func NewKey(rnd io.Reader) (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rnd)
}

// NewCA makes a self-signed swarm root CA valid for validity from now.
func NewCA(rnd io.Reader, now time.Time, name string, validity time.Duration) (*x509.Certificate, crypto.Signer, error) {
	key, err := NewKey(rnd)
	if err != nil {
		return nil, nil, err
	}
	sn, err := serial(rnd)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("bttls: creating CA: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}

// NewIssuing makes an issuing certificate signed by the root: a CA that
// may sign only leaves (pathLenConstraint 0), so the root key can stay
// offline while issuers hold this one.
func NewIssuing(rnd io.Reader, now time.Time, root *x509.Certificate, rootKey crypto.Signer, name string, validity time.Duration) (*x509.Certificate, crypto.Signer, error) {
	key, err := NewKey(rnd)
	if err != nil {
		return nil, nil, err
	}
	sn, err := serial(rnd)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, root, key.Public(), rootKey)
	if err != nil {
		return nil, nil, fmt.Errorf("bttls: creating issuing certificate: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	return c, key, err
}

// NewCSR makes a certificate request for key: the peer sends it to an
// issuer, and the key never leaves the peer.
func NewCSR(rnd io.Reader, key crypto.Signer) ([]byte, error) {
	return x509.CreateCertificateRequest(rnd, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "*"}}, key)
}

// IssueLeaf signs a peer certificate for the public key in csr (whose
// self-signature proves possession) with the issuer's certificate and key.
// The leaf's DNS SAN is "*" (libtorrent accepts the torrent's name or "*";
// one issuer may serve several torrents of one CA).
func IssueLeaf(rnd io.Reader, now time.Time, csrDER []byte, issuer *x509.Certificate, issuerKey crypto.Signer, validity time.Duration) ([]byte, error) {
	if validity <= 0 || validity > MaxPeerValidity {
		return nil, fmt.Errorf("bttls: peer certificate validity %v is outside (0, %v]", validity, MaxPeerValidity)
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, fmt.Errorf("bttls: certificate request: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("bttls: certificate request not signed by its key: %w", err)
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("bttls: certificate request key must be ECDSA P-256 or Ed25519")
		}
	case interface{ Equal(crypto.PublicKey) bool }: // ed25519.PublicKey
	default:
		return nil, fmt.Errorf("bttls: certificate request key type %T is not supported", k)
	}
	sn, err := serial(rnd)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: "*"},
		DNSNames:              []string{"*"},
		NotBefore:             now.Add(-5 * time.Minute), // tolerate clock skew
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, issuer, csr.PublicKey, issuerKey)
	if err != nil {
		return nil, fmt.Errorf("bttls: issuing peer certificate: %w", err)
	}
	return der, nil
}
