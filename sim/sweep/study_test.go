package sweep

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

const study = `
name = "adoption"
[swarm]
peers = 20

[[mix]]
transport = "tls-basic"
fraction = 0.5

[[mix]]
transport = "legacy"
fraction = 0.5

[sweep]
params = ["adoption=0:1:0.5", "mix.0.policy=prefer,require"]
seeds = 3
[sweep.alias]
adoption = { "mix.0.fraction" = "x", "mix.1.fraction" = "1 - x" }
[[sweep.plot]]
file = "completion"
y = "completion_p90_s"
x = "adoption"
where = { "mix.0.policy" = "prefer" }
`

func TestParseStudy(t *testing.T) {
	st, scn, err := ParseStudy("adoption.toml", []byte(study))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Params) != 2 || st.Seeds != 3 || len(st.Plots) != 1 || st.Plots[0].Where["mix.0.policy"] != "prefer" {
		t.Fatalf("study %+v", st)
	}
	if strings.Contains(string(scn), "sweep") {
		t.Fatalf("the [sweep] table reached the scenario:\n%s", scn)
	}
	out, err := Override(scn, st.Params, Point{st.Params[0].Values[2], st.Params[1].Values[1]}, st.Alias)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if lookup(doc, "mix.0.fraction") != 1.0 || lookup(doc, "mix.1.fraction") != 0.0 ||
		lookup(doc, "mix.0.policy") != "require" || lookup(doc, "swarm.peers") != int64(20) {
		t.Fatalf("override through the alias:\n%s", out)
	}
	// 1-x of 0.7 must be 0.3 exactly as written, so fractions sum to 1.
	v, _ := evalAlias("1-x", Value{0.7})
	if v.V != 0.3 {
		t.Errorf("1-0.7 = %v", v.V)
	}
}

func TestParseStudyErrors(t *testing.T) {
	for _, tt := range []struct {
		body, err string
	}{
		{"[sweep]\nseed = 3", "unknown key sweep.seed"},
		{"[sweep]\nseeds = -1", "want at least 1"},
		{"[sweep]\nparams = [\"x=1:0:1\"]", "stop is below start"},
		{"[sweep.alias]\na = { \"b\" = \"2*x\" }", "want \"x\" or \"1-x\""},
		{"[sweep.alias]\na = {}", "sets no keys"},
		{"[[sweep.plot]]\nfile = \"f\"\ny = \"m\"", "file, x and y are required"},
		{"[[sweep.plot]]\nfile = \"../f\"\ny = \"m\"\nx = \"a\"", "base name"},
		{"[sweep\n", "adoption.toml"},
		{"[sweep.alias.a]\nb = 3", "want an expression"},
		{"[sweep.alias.a]\nb = {}", "an empty table"},
		{"[sweep.alias.a]\nb = { x = [1] }", "want a number"},
	} {
		if _, _, err := ParseStudy("adoption.toml", []byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseStudy(%q) = %v, want %q", tt.body, err, tt.err)
		}
	}
	st, scn, err := ParseStudy("plain.toml", []byte("a = 1\n"))
	if err != nil || st.Seeds != 1 || len(st.Params) != 0 || string(scn) != "a = 1\n" {
		t.Errorf("a file without [sweep]: %+v %q %v", st, scn, err)
	}
	// An alias on a text value with 1-x, and an alias colliding with a parameter.
	a, _ := ParseParam("a=x,y")
	if _, err := Override([]byte(""), []Param{a}, Point{a.Values[0]}, Aliases{"a": {"k": "1-x"}}); err == nil {
		t.Error("1-x of a string was accepted")
	}
	b, _ := ParseParam("k=1")
	if _, err := Override([]byte(""), []Param{a, b}, Point{a.Values[0], b.Values[0]}, Aliases{"a": {"k": "x"}}); err == nil || !strings.Contains(err.Error(), "set twice") {
		t.Errorf("a key set by an alias and a parameter: %v", err)
	}
}

func TestAliasTable(t *testing.T) {
	body := `
[[mix]]
transport = "legacy"
policy = "off"
[sweep]
params = ["client=legacy,tls-require"]
[sweep.alias.client]
"mix.0.transport" = { legacy = "legacy", tls-require = "tls-basic" }
"mix.0.policy" = { legacy = "off", tls-require = "require" }
`
	st, scn, err := ParseStudy("c.toml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckAliases(st.Params, st.Alias); err != nil {
		t.Fatal(err)
	}
	out, err := Override(scn, st.Params, Point{st.Params[0].Values[1]}, st.Alias)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	toml.Unmarshal(out, &doc)
	if lookup(doc, "mix.0.transport") != "tls-basic" || lookup(doc, "mix.0.policy") != "require" {
		t.Fatalf("alias table:\n%s", out)
	}
	p, _ := ParseParam("client=legacy,tls-prefer")
	if err := CheckAliases([]Param{p}, st.Alias); err == nil || !strings.Contains(err.Error(), `no entry for "tls-prefer"`) {
		t.Errorf("a value missing from the alias table: %v", err)
	}
}

func FuzzParseStudy(f *testing.F) {
	f.Add(study)
	f.Add("[sweep]\nparams = [\"a=1,2\"]\n[sweep.alias]\na = { \"b.c\" = \"x\" }")
	f.Fuzz(func(t *testing.T, body string) {
		st, scn, err := ParseStudy("f.toml", []byte(body))
		if err != nil {
			return
		}
		var doc map[string]any
		if err := toml.Unmarshal(scn, &doc); err != nil {
			t.Fatalf("the scenario left after [sweep] does not parse: %v", err)
		}
		if _, ok := doc["sweep"]; ok && len(st.Params)+len(st.Plots)+len(st.Alias) > 0 {
			t.Fatal("[sweep] left in the scenario")
		}
	})
}
