package tlslevel

import (
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/bttls/bttls/internal/vectors"
)

// readVectors returns the blocks of docs/test-vectors.md.
func readVectors(t *testing.T) []map[string]string {
	t.Helper()
	all, err := vectors.Read("../../docs/test-vectors.md")
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestVectors(t *testing.T) {
	n := 0
	for _, v := range readVectors(t) {
		if v["level"] != "basic" && v["level"] != "strict" {
			continue
		}
		n++
		in, _ := hex.DecodeString(v["input"])
		ty, key := TypeBasic, BasicKey(in)
		var epoch uint64
		if v["level"] == "strict" {
			ty, key = TypeStrict, StrictKey(in)
			epoch, _ = strconv.ParseUint(v["epoch"], 10, 16)
		}
		check := func(field string, got []byte) {
			if want := v[field]; hex.EncodeToString(got) != want {
				t.Errorf("%s %s: %s = %x, want %s", v["level"], v["input"], field, got, want)
			}
		}
		check("key", key[:])
		ei, _ := hex.DecodeString(v["exporter_initiator"])
		er, _ := hex.DecodeString(v["exporter_responder"])
		pi, pr := MAC(key, ei), MAC(key, er)
		check("proof_initiator", pi[:])
		check("proof_responder", pr[:])
		msg := Message{Type: ty, Body: Proof{Epoch: uint16(epoch), MAC: pi}.AppendBody(nil, ty)}.Append(nil)
		check("message_initiator", msg)
	}
	if n < 3 {
		t.Fatalf("only %d basic/strict vectors checked", n)
	}
}
