package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// WriteSSLTorrentCerts writes what a libtorrent SSL torrent needs into dir:
// ca.pem / ca.key (the swarm root the torrent embeds), a leaf per role
// (seed.pem/.key, get.pem/.key) whose DNS SAN is "*" so it matches any
// torrent name, and dh.pem, the DH parameters libtorrent's legacy
// set_ssl_certificate insists on loading (TLS 1.3 never uses them, so a
// random prime with g=2 is enough).
func WriteSSLTorrentCerts(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: randSerial(), Subject: pkix.Name{CommonName: "swarm root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writePEM(dir, "ca.pem", "CERTIFICATE", caDER); err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	for _, role := range []string{"seed", "get"} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		leaf := &x509.Certificate{
			SerialNumber: randSerial(), Subject: pkix.Name{CommonName: role},
			DNSNames:  []string{"*"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &k.PublicKey, caKey)
		if err != nil {
			return err
		}
		kder, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return err
		}
		if err := writePEM(dir, role+".pem", "CERTIFICATE", der); err != nil {
			return err
		}
		if err := writePEM(dir, role+".key", "EC PRIVATE KEY", kder); err != nil {
			return err
		}
	}
	p, err := rand.Prime(rand.Reader, 1024)
	if err != nil {
		return err
	}
	dh, err := asn1.Marshal(struct{ P, G *big.Int }{p, big.NewInt(2)})
	if err != nil {
		return err
	}
	return writePEM(dir, "dh.pem", "DH PARAMETERS", dh)
}

func randSerial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func writePEM(dir, name, typ string, der []byte) error {
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		return fmt.Errorf("harness: writing %s: %w", name, err)
	}
	return nil
}
