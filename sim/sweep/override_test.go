package sweep

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

const baseScenario = `
# a comment the override drops
adoption = 0.5
peers = 100
policy = "prefer"
hints = true

[censor]
kind = "none"

[[classes]]
share = 0.5
up_kbps = 1000

[[classes]]
share = 0.5
up_kbps = 5000
`

func TestOverride(t *testing.T) {
	tests := []struct {
		param string
		key   string // dotted path to check, with array indices
		want  any
		err   string
	}{
		{"adoption=0.3", "adoption", 0.3, ""},
		{"adoption=1", "adoption", 1.0, ""},
		{"peers=0:100:50", "peers", int64(0), ""},
		{"peers=250", "peers", int64(250), ""},
		{"peers=2.5", "", nil, "is an integer"},
		{"policy=require", "policy", "require", ""},
		{"hints=false", "hints", false, ""},
		{"hints=1", "", nil, "is a bool"},
		{"censor.kind=fet", "censor.kind", "fet", ""},
		{"censor.action=reset", "censor.action", "reset", ""},
		{"attacker.fraction=0.2", "attacker.fraction", 0.2, ""},
		{"classes.1.up_kbps=8000", "classes.1.up_kbps", int64(8000), ""},
		{"classes.2.up_kbps=8000", "", nil, "array of 2 tables"},
		{"classes.up_kbps=1", "", nil, "follow it with an index"},
		{"classes.0=1", "", nil, "names a table in an array"},
		{"censor=1", "", nil, "has a table there"},
		{"adoption.x=1", "", nil, "is a value, not a table"},
	}
	for _, tt := range tests {
		p, err := ParseParam(tt.param)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Override([]byte(baseScenario), []Param{p}, Point{p.Values[0]}, nil)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.param, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.param, err)
			continue
		}
		var doc map[string]any
		if err := toml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("%s: output is not TOML: %v\n%s", tt.param, err, out)
		}
		if got := lookup(doc, tt.key); got != tt.want {
			t.Errorf("%s: %s = %#v, want %#v", tt.param, tt.key, got, tt.want)
		}
		// Everything else is kept.
		if tt.key != "peers" && lookup(doc, "peers") != int64(100) || lookup(doc, "classes.0.up_kbps") != int64(1000) {
			t.Errorf("%s: other keys changed:\n%s", tt.param, out)
		}
	}
}

func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[part]
		case []map[string]any:
			i := int(part[0] - '0')
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

func TestOverrideIsDeterministic(t *testing.T) {
	a, _ := ParseParam("censor.kind=fet")
	b, _ := ParseParam("adoption=0.7")
	first, err := Override([]byte(baseScenario), []Param{a, b}, Point{a.Values[0], b.Values[0]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := Override([]byte(baseScenario), []Param{a, b}, Point{a.Values[0], b.Values[0]}, nil)
		if string(again) != string(first) {
			t.Fatal("Override output depends on map order")
		}
	}
	if _, err := Override([]byte("x = ["), nil, nil, nil); err == nil {
		t.Fatal("a broken scenario was accepted")
	}
}

func FuzzOverride(f *testing.F) {
	f.Add(baseScenario, "classes.1.share=0.1")
	f.Add("a = 1", "a.b.c=x")
	f.Fuzz(func(t *testing.T, scenario, param string) {
		p, err := ParseParam(param)
		if err != nil {
			return
		}
		out, err := Override([]byte(scenario), []Param{p}, Point{p.Values[0]}, nil)
		if err != nil {
			return
		}
		var doc map[string]any
		if err := toml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("Override wrote TOML that does not parse: %v\n%s", err, out)
		}
	})
}
