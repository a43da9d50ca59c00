package scenario

import (
	"strings"
	"testing"
)

func TestMiddleboxTables(t *testing.T) {
	base := "[torrent]\nsize = \"1MiB\"\n[swarm]\npeers = 3\n[[class]]\nfraction = 1.0\n"
	sc, err := Parse("m.toml", []byte(base+"[censor]\nkind = \"signature\"\naction = \"reset\"\n[outage]\nhost = \"tracker\"\nstart_s = 10\nlength_s = 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !sc.Middlebox.Enabled() || sc.Middlebox.Censor.Kind != "signature" || sc.Middlebox.Outage.LengthS != 5 {
		t.Fatalf("middlebox tables not read: %+v", sc.Middlebox)
	}
	_, err = Parse("m.toml", []byte(base+"[censor]\nkind = \"weird\"\n"))
	if err == nil || !strings.Contains(err.Error(), "m.toml:7: [censor]") {
		t.Fatalf("bad censor kind: %v", err)
	}
}
