package checker

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// counts is what an independent enumeration reports: TLC's definitions of
// states generated (initial states plus every successor computed,
// duplicates included), distinct states, and depth (BFS levels).
type counts struct {
	generated, distinct int64
	depth               int
}

// enumerate is a breadth-first search written directly in Go, used to
// cross-check the checker's counts without going through TLA+ at all.
func enumerate[S comparable](inits []S, next func(S) []S) counts {
	seen := map[S]bool{}
	var c counts
	var frontier []S
	for _, s := range inits {
		c.generated++
		if !seen[s] {
			seen[s] = true
			frontier = append(frontier, s)
		}
	}
	for len(frontier) > 0 {
		c.depth++
		var nf []S
		for _, s := range frontier {
			for _, t := range next(s) {
				c.generated++
				if !seen[t] {
					seen[t] = true
					nf = append(nf, t)
				}
			}
		}
		frontier = nf
	}
	c.distinct = int64(len(seen))
	return c
}

func dieHardCounts() counts {
	type st struct{ small, big int }
	return enumerate([]st{{0, 0}}, func(s st) []st {
		pour := min(s.big+s.small, 5)
		pour2 := min(s.big+s.small, 3)
		return []st{
			{3, s.big}, {s.small, 5}, {0, s.big}, {s.small, 0},
			{s.small - (pour - s.big), pour},
			{pour2, s.big - (pour2 - s.small)},
		}
	})
}

// tcommitCounts enumerates TCommit for n resource managers.
func tcommitCounts(n int) counts {
	const (
		working = iota
		prepared
		committed
		aborted
	)
	type st [3]int8
	var init st
	return enumerate([]st{init}, func(s st) []st {
		var out []st
		canCommit, notCommitted := true, true
		for r := 0; r < n; r++ {
			if s[r] != prepared && s[r] != committed {
				canCommit = false
			}
			if s[r] == committed {
				notCommitted = false
			}
		}
		for r := 0; r < n; r++ {
			if s[r] == working {
				t := s
				t[r] = prepared
				out = append(out, t)
			}
			if s[r] == prepared && canCommit {
				t := s
				t[r] = committed
				out = append(out, t)
			}
			if (s[r] == working || s[r] == prepared) && notCommitted {
				t := s
				t[r] = aborted
				out = append(out, t)
			}
		}
		return out
	})
}

// twoPhaseCounts enumerates TwoPhase for 3 resource managers.
func twoPhaseCounts() counts {
	const n = 3
	type st struct {
		rm       [n]int8 // working, prepared, committed, aborted
		tm       int8    // init, committed, aborted
		prepared [n]bool
		msgPrep  [n]bool
		commit   bool
		abort    bool
	}
	return enumerate([]st{{}}, func(s st) []st {
		var out []st
		if s.tm == 0 {
			all := true
			for r := 0; r < n; r++ {
				all = all && s.prepared[r]
			}
			if all {
				t := s
				t.tm, t.commit = 1, true
				out = append(out, t)
			}
			t := s
			t.tm, t.abort = 2, true
			out = append(out, t)
		}
		for r := 0; r < n; r++ {
			if s.tm == 0 && s.msgPrep[r] {
				t := s
				t.prepared[r] = true
				out = append(out, t)
			}
			if s.rm[r] == 0 {
				t := s
				t.rm[r], t.msgPrep[r] = 1, true
				out = append(out, t)
				t = s
				t.rm[r] = 3
				out = append(out, t)
			}
			if s.commit {
				t := s
				t.rm[r] = 2
				out = append(out, t)
			}
			if s.abort {
				t := s
				t.rm[r] = 3
				out = append(out, t)
			}
		}
		return out
	})
}

func petersonCounts() counts {
	const (
		ncs = iota
		turnS
		wait
		cs
	)
	type st struct {
		flag [2]bool
		turn int
		pc   [2]int
	}
	return enumerate([]st{{}}, func(s st) []st {
		var out []st
		for p := 0; p < 2; p++ {
			o := 1 - p
			switch s.pc[p] {
			case ncs:
				t := s
				t.flag[p], t.pc[p] = true, turnS
				out = append(out, t)
			case turnS:
				t := s
				t.turn, t.pc[p] = o, wait
				out = append(out, t)
			case wait:
				if !s.flag[o] || s.turn == p {
					t := s
					t.pc[p] = cs
					out = append(out, t)
				}
			case cs:
				t := s
				t.flag[p], t.pc[p] = false, ncs
				out = append(out, t)
			}
		}
		return out
	})
}

func fifoCounts(msgs []string, n int) counts {
	type st struct {
		q    string // one byte per message
		last string
	}
	return enumerate([]st{{"", "none"}}, func(s st) []st {
		var out []st
		if len(s.q) < n {
			for _, m := range msgs {
				out = append(out, st{s.q + m, s.last})
			}
		}
		if len(s.q) > 0 {
			out = append(out, st{s.q[1:], s.q[:1]})
		}
		return out
	})
}

func runSpec(t *testing.T, tla, cfg string, workers int) (*Model, *Result, string) {
	t.Helper()
	if cfg != "" {
		cfg = "testdata/" + cfg + ".cfg"
	}
	md, err := Load("testdata/"+tla+".tla", cfg)
	if err != nil {
		t.Fatalf("%s: %v", tla, err)
	}
	r := md.Check(Options{Workers: workers})
	var buf bytes.Buffer
	md.WriteReport(&buf, r)
	return md, r, buf.String()
}

func TestClassicSpecCounts(t *testing.T) {
	cases := []struct {
		tla, cfg string
		want     counts
	}{
		{"DieHard", "DieHardTypeOnly", dieHardCounts()},
		{"TCommit", "", tcommitCounts(3)},
		{"TwoPhase", "", twoPhaseCounts()},
		{"Peterson", "", petersonCounts()},
		{"BoundedFIFO", "", fifoCounts([]string{"a", "b"}, 3)},
	}
	for _, c := range cases {
		for _, w := range []int{1, 2, 4} {
			_, r, out := runSpec(t, c.tla, c.cfg, w)
			if r.Violation != nil {
				t.Errorf("%s (%d workers): unexpected violation:\n%s", c.tla, w, out)
				continue
			}
			got := counts{r.Generated, r.Distinct, r.Depth}
			if got != c.want {
				t.Errorf("%s (%d workers): checker %+v, independent enumeration %+v", c.tla, w, got, c.want)
			}
			wantLine := fmt.Sprintf("%d states generated, %d distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is %d.\n",
				c.want.generated, c.want.distinct, c.want.depth)
			if !strings.HasSuffix(out, wantLine) {
				t.Errorf("%s: report does not end with TLC's summary lines:\n%s", c.tla, out)
			}
		}
	}
}

func TestDieHardViolation(t *testing.T) {
	var first string
	for _, w := range []int{1, 2, 3} {
		_, r, out := runSpec(t, "DieHard", "", w)
		v := r.Violation
		if v == nil || v.Kind != "invariant" || v.Name != "NotSolved" {
			t.Fatalf("want NotSolved violated, got:\n%s", out)
		}
		// The shortest solution takes 6 pours: 7 states, ending with big = 4.
		if len(v.Trace) != 7 || Format(v.Trace[6].State[1]) != "4" {
			t.Fatalf("want a 7-state trace ending in big = 4:\n%s", out)
		}
		if !strings.Contains(out, "Error: Invariant NotSolved is violated.\nError: The behavior up to this point is:\nState 1: <Initial predicate>\n/\\ small = 0\n/\\ big = 0\n\nState 2: <FillBigJug line 16, col 18 to line 17, col 34 of module DieHard>") {
			t.Fatalf("trace not printed like TLC's:\n%s", out)
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Fatalf("output depends on the number of workers:\n%s\nvs\n%s", first, out)
		}
	}
}

func TestFIFOFullViolation(t *testing.T) {
	_, r, out := runSpec(t, "BoundedFIFO", "BoundedFIFOFull", 2)
	if r.Violation == nil || r.Violation.Name != "NeverFull" || len(r.Violation.Trace) != 4 {
		t.Fatalf("want NeverFull violated after 3 sends:\n%s", out)
	}
}

func TestPetersonLiveness(t *testing.T) {
	_, r, out := runSpec(t, "Peterson", "", 2)
	if r.Violation != nil {
		t.Fatalf("Peterson with weak fairness must satisfy its properties:\n%s", out)
	}
	_, r, out = runSpec(t, "Peterson", "PetersonUnfair", 2)
	v := r.Violation
	if v == nil || v.Kind != "property" || v.Name != "Liveness" || !v.Stutter {
		t.Fatalf("without fairness a process may stop while waiting:\n%s", out)
	}
	last := v.Trace[len(v.Trace)-1].State
	if !strings.Contains(Format(last[2]), `"wait"`) {
		t.Fatalf("the counterexample must stutter in a waiting state:\n%s", out)
	}
	_, r, out = runSpec(t, "Peterson", "PetersonEvAlways", 2)
	v = r.Violation
	if v == nil || v.Kind != "property" || v.Stutter || !strings.Contains(out, "Back to state") {
		t.Fatalf("<>[](pc[0] # \"cs\") must fail with a cycle through the critical section:\n%s", out)
	}
	_, r, out = runSpec(t, "Peterson", "PetersonStable", 2)
	if v := r.Violation; v == nil || v.Name != "StaysInCS" || Format(v.Trace[len(v.Trace)-1].State[2]) == Format(v.Trace[len(v.Trace)-2].State[2]) {
		t.Fatalf("[](pc[0] = \"cs\" => [](pc[0] = \"cs\")) must fail when process 0 leaves:\n%s", out)
	}
	_, r, out = runSpec(t, "Peterson", "PetersonEvAlways", 2)
	v = r.Violation
	inCS := false
	for _, s := range v.Trace[v.LoopTo:] {
		if strings.Contains(Format(s.State[2]), `0 :> "cs"`) {
			inCS = true
		}
	}
	if !inCS {
		t.Fatalf("the cycle must pass through pc[0] = \"cs\":\n%s", out)
	}
}
