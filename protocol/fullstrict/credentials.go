package fullstrict

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/bttls/bttls/protocol/tlslevel"
)

// SignatureScheme values (TLS 1.3 SignatureScheme registry).
const (
	ECDSAP256SHA256 uint16 = 0x0403
	Ed25519         uint16 = 0x0807
)

// Credentials is the body of a Full Strict mode 2 level message:
//
//	mac[32]             HMAC-SHA256(K_basic, E("fullstrict2", role))
//	uint8  count        1..4
//	{ uint16 len; der[len] } chain[count]     leaf first
//	uint16 signature_scheme
//	uint16 signature_length
//	signature[signature_length]
type Credentials struct {
	MAC    [32]byte
	Chain  [][]byte
	Scheme uint16
	Sig    []byte
}

// Append encodes c, failing if it would exceed the level message's limit.
func (c *Credentials) Append(b []byte) ([]byte, error) {
	if len(c.Chain) == 0 || len(c.Chain) > MaxChain {
		return nil, fmt.Errorf("bttls: %d certificates in a chain, want 1..%d", len(c.Chain), MaxChain)
	}
	start := len(b)
	b = append(b, c.MAC[:]...)
	b = append(b, byte(len(c.Chain)))
	for _, der := range c.Chain {
		if len(der) > 0xffff {
			return nil, errors.New("bttls: certificate too large")
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(der)))
		b = append(b, der...)
	}
	b = binary.BigEndian.AppendUint16(b, c.Scheme)
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.Sig)))
	b = append(b, c.Sig...)
	if len(b)-start > tlslevel.MaxBody {
		return nil, fmt.Errorf("bttls: credentials of %d bytes exceed %d; use a shorter chain", len(b)-start, tlslevel.MaxBody)
	}
	return b, nil
}

// ParseCredentials decodes a mode 2 body; leftover bytes are an error.
func ParseCredentials(body []byte) (*Credentials, error) {
	bad := func(what string) (*Credentials, error) {
		return nil, fmt.Errorf("bttls: full strict credentials: %s", what)
	}
	if len(body) < 33 {
		return bad("shorter than mac and count")
	}
	c := &Credentials{}
	copy(c.MAC[:], body)
	n := int(body[32])
	if n == 0 || n > MaxChain {
		return bad(fmt.Sprintf("%d certificates, want 1..%d", n, MaxChain))
	}
	rest := body[33:]
	for i := 0; i < n; i++ {
		if len(rest) < 2 {
			return bad("truncated certificate length")
		}
		l := int(binary.BigEndian.Uint16(rest))
		if l == 0 || len(rest) < 2+l {
			return bad("truncated or empty certificate")
		}
		c.Chain = append(c.Chain, rest[2:2+l:2+l])
		rest = rest[2+l:]
	}
	if len(rest) < 4 {
		return bad("truncated signature header")
	}
	c.Scheme = binary.BigEndian.Uint16(rest)
	l := int(binary.BigEndian.Uint16(rest[2:]))
	if len(rest) != 4+l {
		return bad(fmt.Sprintf("signature announces %d bytes, %d remain", l, len(rest)-4))
	}
	c.Sig = rest[4:]
	return c, nil
}

// SignedContent is what a mode 2 signature covers, shaped like TLS 1.3's
// CertificateVerify (RFC 8446, Section 4.4.3) so that a signature made for
// TLS can never be mistaken for one: 64 spaces, a context string with the
// role, a zero byte, then the role's exporter value.
func SignedContent(role tlslevel.Role, exporter []byte) []byte {
	b := make([]byte, 0, 64+40+len(exporter))
	for i := 0; i < 64; i++ {
		b = append(b, 0x20)
	}
	b = append(b, "bttls v1 fullstrict2 "+role.String()...)
	b = append(b, 0)
	return append(b, exporter...)
}

// Sign signs content with key, choosing the scheme from the key type.
func Sign(key crypto.Signer, rnd io.Reader, content []byte) (uint16, []byte, error) {
	switch k := key.Public().(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return 0, nil, errors.New("bttls: ECDSA peer keys must be P-256")
		}
		h := sha256.Sum256(content)
		sig, err := key.Sign(rnd, h[:], crypto.SHA256)
		return ECDSAP256SHA256, sig, err
	case ed25519.PublicKey:
		sig, err := key.Sign(rnd, content, crypto.Hash(0))
		return Ed25519, sig, err
	}
	return 0, nil, fmt.Errorf("bttls: peer key type %T is not ECDSA P-256 or Ed25519", key.Public())
}

// VerifySignature checks sig over content with the leaf's key.
func VerifySignature(leaf *x509.Certificate, scheme uint16, content, sig []byte) error {
	switch scheme {
	case ECDSAP256SHA256:
		k, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return errors.New("bttls: signature scheme ecdsa_secp256r1_sha256 does not match the certificate's key")
		}
		h := sha256.Sum256(content)
		if !ecdsa.VerifyASN1(k, h[:], sig) {
			return errors.New("bttls: peer's full strict signature does not verify")
		}
		return nil
	case Ed25519:
		k, ok := leaf.PublicKey.(ed25519.PublicKey)
		if !ok {
			return errors.New("bttls: signature scheme ed25519 does not match the certificate's key")
		}
		if !ed25519.Verify(k, content, sig) {
			return errors.New("bttls: peer's full strict signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("bttls: unsupported signature scheme %#04x", scheme)
}
