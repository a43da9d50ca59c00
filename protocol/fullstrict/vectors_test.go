package fullstrict

import (
	"bufio"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/bttls/bttls/protocol/tlslevel"
)

// TestVectors checks the fullstrict2-signature vectors of
// docs/test-vectors.md: the signed content and the Ed25519 signature.
func TestVectors(t *testing.T) {
	f, err := os.Open("../../docs/test-vectors.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	var cur map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```vectors":
			cur = map[string]string{}
		case line == "```" && cur != nil:
			if cur["level"] == "fullstrict2-signature" {
				n++
				checkSignatureVector(t, cur)
			}
			cur = nil
		case cur != nil && line != "":
			k, v, _ := strings.Cut(line, ":")
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if n == 0 {
		t.Fatal("no fullstrict2-signature vectors")
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
