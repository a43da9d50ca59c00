package sweep

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseParam(t *testing.T) {
	tests := []struct {
		in   string
		name string
		want string // values joined by space
		err  string // substring of the error, "" for none
	}{
		{"adoption=0:1:0.1", "adoption", "0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1", ""},
		{"adoption=0:1:0.25", "adoption", "0 0.25 0.5 0.75 1", ""},
		{"x=0:1:0.3", "x", "0 0.3 0.6 0.9", ""},
		{"x=5:5:1", "x", "5", ""},
		{"policy=off,prefer,require", "policy", "off prefer require", ""},
		{"censor.kind=none", "censor.kind", "none", ""},
		{"hints=true,false", "hints", "true false", ""},
		{"max_conns= 20, 40", "max_conns", "20 40", ""},
		{"adoption", "", "", "want NAME="},
		{"=1,2", "", "", "want NAME="},
		{"a..b=1", "", "", "empty part"},
		{"a b=1", "", "", "only letters"},
		{"x=0:1", "", "", "want START:STOP:STEP"},
		{"x=0:1:0", "", "", "step must be positive"},
		{"x=0:1:-1", "", "", "step must be positive"},
		{"x=1:0:0.1", "", "", "stop is below start"},
		{"x=a:1:0.1", "", "", "start \"a\" is not a finite number"},
		{"x=0:NaN:0.1", "", "", "stop \"NaN\" is not a finite number"},
		{"x=0:1:0.0001", "", "", "more than the limit"},
		{"x=1,,2", "", "", "empty value"},
		{"x=1,1", "", "", "appears twice"},
		{"x=a\x9f", "", "", "only printable"},
		{"x=a\nb", "", "", "only printable"},
	}
	for _, tt := range tests {
		p, err := ParseParam(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseParam(%q) error = %v, want one containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseParam(%q): %v", tt.in, err)
			continue
		}
		var got []string
		for _, v := range p.Values {
			got = append(got, v.String())
		}
		if p.Name != tt.name || strings.Join(got, " ") != tt.want {
			t.Errorf("ParseParam(%q) = %s %v, want %s %s", tt.in, p.Name, got, tt.name, tt.want)
		}
	}
}

func TestParseParamTypes(t *testing.T) {
	p, err := ParseParam("x=1,2.5,true,basic")
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), 2.5, true, "basic"}
	for i, v := range p.Values {
		if v.V != want[i] {
			t.Errorf("value %d = %#v, want %#v", i, v.V, want[i])
		}
	}
}

func TestGridOrder(t *testing.T) {
	a, _ := ParseParam("a=1,2")
	b, _ := ParseParam("b=x,y,z")
	var got []string
	for _, pt := range Grid([]Param{a, b}) {
		got = append(got, pt[0].String()+pt[1].String())
	}
	if s := strings.Join(got, " "); s != "1x 1y 1z 2x 2y 2z" {
		t.Errorf("grid order %s: the first parameter must vary slowest", s)
	}
	if n := len(Grid(nil)); n != 1 {
		t.Errorf("no parameters gives %d points, want 1", n)
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in  string
		ok  bool
		out Shard
	}{
		{"0/1", true, Whole}, {"3/4", true, Shard{3, 4}}, {" 1 / 2 ", true, Shard{1, 2}},
		{"4/4", false, Shard{}}, {"-1/4", false, Shard{}}, {"1/0", false, Shard{}},
		{"1", false, Shard{}}, {"a/b", false, Shard{}}, {"", false, Shard{}},
	} {
		sh, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || sh != tt.out {
			t.Errorf("ParseShard(%q) = %v, %v; want %v ok=%v", tt.in, sh, err, tt.out, tt.ok)
		}
	}
}

func TestShardsPartitionTheRuns(t *testing.T) {
	a, _ := ParseParam("a=0:1:0.1")
	p, err := NewPlan("s.toml", []byte("x"), []Param{a}, SeedRange(7, 3))
	if err != nil {
		t.Fatal(err)
	}
	runs := p.Runs()
	if len(runs) != 33 || runs[32].Seed != 9 || runs[3].Point != 1 {
		t.Fatalf("runs: %d, last seed %d, run 3 point %d", len(runs), runs[32].Seed, runs[3].Point)
	}
	for _, r := range runs {
		if got := p.Run(r.Index); got.Point != r.Point || got.Seed != r.Seed || fmt.Sprint(got.Values) != fmt.Sprint(r.Values) {
			t.Fatalf("Run(%d) = %+v, want %+v", r.Index, got, r)
		}
	}
	for _, n := range []int{1, 2, 5, 33, 40} {
		count := make([]int, len(runs))
		for i := range n {
			for _, r := range (Shard{i, n}).Select(runs) {
				count[r.Index]++
			}
		}
		for idx, c := range count {
			if c != 1 {
				t.Errorf("%d shards: run %d is in %d shards, want exactly 1", n, idx, c)
			}
		}
	}
}

func TestNewPlanErrors(t *testing.T) {
	a, _ := ParseParam("censor=1,2")
	b, _ := ParseParam("censor.kind=x")
	for _, tt := range []struct {
		params []Param
		seeds  []uint64
		err    string
	}{
		{nil, nil, "no seeds"},
		{[]Param{a, a}, []uint64{1}, "given twice"},
		{[]Param{a, b}, []uint64{1}, "overlap"},
		{nil, []uint64{1, 1}, "seed 1 given twice"},
	} {
		_, err := NewPlan("s", nil, tt.params, tt.seeds)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("NewPlan error %v, want %q", err, tt.err)
		}
	}
}

func FuzzParseParam(f *testing.F) {
	for _, s := range []string{"adoption=0:1:0.1", "a.b=x,y", "x=1e308:1e308:1e-308", "=", "a=::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseParam(s)
		if err != nil {
			return
		}
		if len(p.Values) == 0 || len(p.Values) > maxPointsPerParam {
			t.Fatalf("ParseParam(%q) gave %d values", s, len(p.Values))
		}
		// The spec is kept for the manifest and must parse back the same.
		q, err := ParseParam(p.Spec)
		if err != nil || len(q.Values) != len(p.Values) {
			t.Fatalf("spec %q does not parse back: %v", p.Spec, err)
		}
	})
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "9/2", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			return
		}
		if sh.I < 0 || sh.I >= sh.N {
			t.Fatalf("ParseShard(%q) = %v", s, sh)
		}
		if back, err := ParseShard(sh.String()); err != nil || back != sh {
			t.Fatalf("%v does not round-trip", sh)
		}
	})
}
