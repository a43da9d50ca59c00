package tlslevel

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"time"
)

// ThrowawayCert returns a fresh self-signed certificate for the levels that
// authenticate inside the tunnel (Basic, Strict, Full Strict mode 2). Nobody
// verifies it; it exists because TLS 1.3 in Go needs a server certificate
// (no external PSKs). It carries no constant that would fingerprint bttls
// to an active prober: an ECDSA P-256 key (the most common web key type), a
// random 16-byte serial, a random lowercase host name as CN and SAN, and a
// 90-day validity that started a random 0–30 days before now, as a
// certificate from a public ACME CA looks.
func ThrowawayCert(rnd io.Reader, now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rnd)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("bttls: throwaway key: %w", err)
	}
	var r [16 + 8 + 1 + 12 + 1]byte
	if _, err := io.ReadFull(rnd, r[:]); err != nil {
		return tls.Certificate{}, fmt.Errorf("bttls: throwaway certificate randomness: %w", err)
	}
	serial := new(big.Int).SetBytes(r[:16])
	serial.SetBit(serial, 127, 0) // positive and 16 bytes long in DER at most
	age := time.Duration(binary.BigEndian.Uint64(r[16:24])%(30*24*3600)) * time.Second
	host := randomHost(r[24:])
	notBefore := now.Add(-age).Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(90 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rnd, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("bttls: throwaway certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// randomHost makes a plausible host name from r: 8–12 letters, then
// .com, .net or .org.
func randomHost(r []byte) string {
	n := 8 + int(r[0])%5
	b := make([]byte, n, n+4)
	for i := range b {
		b[i] = 'a' + r[1+i]%26
	}
	return string(b) + [...]string{".com", ".net", ".org"}[int(r[13])%3]
}
