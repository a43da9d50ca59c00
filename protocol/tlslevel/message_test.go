package tlslevel

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"testing"
)

func parseLeaf(c tls.Certificate) (*x509.Certificate, error) {
	return x509.ParseCertificate(c.Certificate[0])
}

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"basic", append([]byte{1, 1, 0, 32}, make([]byte, 32)...), true},
		{"strict", append([]byte{1, 2, 0, 34}, make([]byte, 34)...), true},
		{"short header", []byte{1, 1, 0}, false},
		{"version 2", append([]byte{2, 1, 0, 32}, make([]byte, 32)...), false},
		{"leftover", append([]byte{1, 1, 0, 32}, make([]byte, 33)...), false},
		{"truncated", append([]byte{1, 1, 0, 32}, make([]byte, 31)...), false},
		{"too long", append([]byte{1, 3, 0x20, 0x01}, make([]byte, 8193)...), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if err == nil && !bytes.Equal(m.Append(nil), tt.in) {
				t.Fatal("re-encoding differs")
			}
		})
	}
}

func FuzzParseMessage(f *testing.F) {
	f.Add(append([]byte{1, 1, 0, 32}, make([]byte, 32)...))
	f.Add(append([]byte{1, 2, 0, 34}, make([]byte, 34)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ParseMessage(in)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Append(nil), in) {
			t.Fatalf("round trip: %x → %x", in, m.Append(nil))
		}
		p, err := ParseProof(m.Type, m.Body)
		if err != nil {
			return
		}
		if !bytes.Equal(p.AppendBody(nil, m.Type), m.Body) {
			t.Fatalf("proof round trip differs")
		}
	})
}
