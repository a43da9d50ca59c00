package fullstrict

import (
	"crypto/ed25519"
	"encoding/hex"
	"testing"

	"github.com/bttls/bttls/internal/vectors"
	"github.com/bttls/bttls/protocol/tlslevel"
)

// TestVectors checks the fullstrict2-signature vectors of
// docs/test-vectors.md: the signed content and the Ed25519 signature.
func TestVectors(t *testing.T) {
	all, err := vectors.Read("../../docs/test-vectors.md")
	if err != nil {
		t.Fatal(err)
	}
	vs := vectors.Level(all, "fullstrict2-signature")
	if len(vs) == 0 {
		t.Fatal("no fullstrict2-signature vectors")
	}
	for _, v := range vs {
		checkSignatureVector(t, v)
	}
}

func checkSignatureVector(t *testing.T, v map[string]string) {
	seed, _ := hex.DecodeString(v["input"])
	ex, _ := hex.DecodeString(v["exporter"])
	role := tlslevel.Initiator
	if v["role"] == "responder" {
		role = tlslevel.Responder
	}
	key := ed25519.NewKeyFromSeed(seed)
	content := SignedContent(role, ex)
	for field, got := range map[string][]byte{
		"public_key":     key.Public().(ed25519.PublicKey),
		"signed_content": content,
		"signature":      ed25519.Sign(key, content),
	} {
		if hex.EncodeToString(got) != v[field] {
			t.Errorf("%s = %x, want %s", field, got, v[field])
		}
	}
}
