package tlslevel

import (
	"bufio"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// readVectors parses the ```vectors blocks of docs/test-vectors.md into
// field maps, one per block.
func readVectors(t *testing.T) []map[string]string {
	t.Helper()
	f, err := os.Open("../../docs/test-vectors.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	var cur map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```vectors":
			cur = map[string]string{}
		case line == "```" && cur != nil:
			out = append(out, cur)
			cur = nil
		case cur != nil && line != "":
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				t.Fatalf("test-vectors.md: line %q is not 'field: value'", line)
			}
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if len(out) == 0 {
		t.Fatal("test-vectors.md has no vectors blocks")
	}
	return out
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
