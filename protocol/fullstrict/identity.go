package fullstrict

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Identity is this peer's certificate chain (leaf first) and private key.
type Identity struct {
	Chain [][]byte
	Key   crypto.Signer
	Leaf  *x509.Certificate
}

// TLSCertificate is the identity as crypto/tls wants it (mode 1).
func (id *Identity) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: id.Chain, PrivateKey: id.Key, Leaf: id.Leaf}
}

// NewIdentity checks that key belongs to the leaf of chain.
func NewIdentity(chain [][]byte, key crypto.Signer) (*Identity, error) {
	if len(chain) == 0 {
		return nil, errors.New("bttls: empty certificate chain")
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("bttls: peer certificate: %w", err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pk, ok := key.Public().(equaler); !ok || !pk.Equal(leaf.PublicKey) {
		return nil, errors.New("bttls: the private key does not belong to the certificate")
	}
	return &Identity{Chain: chain, Key: key, Leaf: leaf}, nil
}

// LoadIdentity reads a PEM chain (leaf first) and a PEM private key.
func LoadIdentity(certFile, keyFile string) (*Identity, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("bttls: %w", err)
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("bttls: %w", err)
	}
	pair, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		return nil, fmt.Errorf("bttls: %s and %s: %w", certFile, keyFile, err)
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("bttls: %s: key type %T cannot sign", keyFile, pair.PrivateKey)
	}
	return NewIdentity(pair.Certificate, signer)
}

// PEMChain encodes a chain as PEM.
func PEMChain(chain [][]byte) []byte {
	var out []byte
	for _, der := range chain {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return out
}

// PEMKey encodes a private key as PKCS #8 PEM.
func PEMKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
