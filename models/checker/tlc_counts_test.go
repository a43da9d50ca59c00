package checker

import (
	"fmt"
	"strings"
	"testing"
)

// tlcSummaries are the summary lines TLC printed (TLC2 built from
// github.com/tlaplus/tlaplus at commit cc6b616, run with -workers 1) for
// these specs and configs. The checker must print the same numbers,
// whatever the number of workers, including when it stops at a violation.
var tlcSummaries = []struct {
	tla, cfg  string
	violation string // the invariant or property TLC reported, or ""
	summary   string
}{
	{"testdata/DieHard.tla", "testdata/DieHard.cfg", "NotSolved", "73 states generated, 14 distinct states found, 1 states left on queue.\nThe depth of the complete state graph search is 7."},
	{"testdata/DieHard.tla", "testdata/DieHardTypeOnly.cfg", "", "97 states generated, 16 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 8."},
	{"testdata/TCommit.tla", "testdata/TCommit.cfg", "", "94 states generated, 34 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 7."},
	{"testdata/TCommit.tla", "testdata/TCommitDeadlock.cfg", "deadlock", "85 states generated, 30 distinct states found, 3 states left on queue.\nThe depth of the complete state graph search is 5."},
	{"testdata/TwoPhase.tla", "testdata/TwoPhase.cfg", "", "1146 states generated, 288 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 11."},
	{"testdata/BoundedFIFO.tla", "testdata/BoundedFIFO.cfg", "", "85 states generated, 45 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 6."},
	{"testdata/BoundedFIFO.tla", "testdata/BoundedFIFOFull.cfg", "NeverFull", "10 states generated, 10 distinct states found, 5 states left on queue.\nThe depth of the complete state graph search is 4."},
	{"testdata/Peterson.tla", "testdata/Peterson.cfg", "", "35 states generated, 20 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 7."},
	{"testdata/Peterson.tla", "testdata/PetersonUnfair.cfg", "Liveness", "35 states generated, 20 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 7."},
	{"testdata/Peterson.tla", "testdata/PetersonEvAlways.cfg", "NeverCSForever", "35 states generated, 20 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 7."},
	{"testdata/ByName.tla", "testdata/ByName.cfg", "Bounded", "64 states generated, 39 distinct states found, 1 states left on queue.\nThe depth of the complete state graph search is 13."},
	{"testdata/SymTokens.tla", "testdata/SymTokens.cfg", "", "113 states generated, 26 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 7."},
	{"testdata/SymTokens.tla", "testdata/SymTokensNoSym.cfg", "", "909 states generated, 225 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 7."},
	// The Negotiation rows are TLC's summaries for the current spec (with
	// the busy alert: TLSBusy, AttackBusy), run through TestAgainstTLC.
	{"../tla/Negotiation.tla", "../tla/Negotiation.cfg", "", "15913 states generated, 7634 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 15."},
	{"../tla/Negotiation.tla", "../tla/NegotiationBad.cfg", "LegacyPeerReachable", "1972 states generated, 1305 distinct states found, 558 states left on queue.\nThe depth of the complete state graph search is 6."},
	{"../tla/Negotiation.tla", "../tla/NegotiationBadFallback.cfg", "NoDowngrade", "3317 states generated, 2165 distinct states found, 615 states left on queue.\nThe depth of the complete state graph search is 8."},
	{"../tla/Negotiation.tla", "../tla/NegotiationBadAfter.cfg", "NoFallbackAfterHandshake", "2188 states generated, 1562 distinct states found, 518 states left on queue.\nThe depth of the complete state graph search is 7."},
	{"../tla/Negotiation.tla", "../tla/NegotiationUnfair.cfg", "TLSLiveness", "15913 states generated, 7634 distinct states found, 0 states left on queue.\nThe depth of the complete state graph search is 15."},
}

func TestCountsEqualTLC(t *testing.T) {
	for _, c := range tlcSummaries {
		md, err := Load(c.tla, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{1, 2, 3} {
			r := md.Check(Options{Workers: w})
			got := fmt.Sprintf("%d states generated, %d distinct states found, %d states left on queue.\nThe depth of the complete state graph search is %d.",
				r.Generated, r.Distinct, r.Left, r.Depth)
			name := ""
			if r.Violation != nil {
				name = r.Violation.Name
				if r.Violation.Kind == "deadlock" {
					name = "deadlock"
				}
			}
			if got != c.summary || name != c.violation {
				t.Errorf("%s with %s, %d workers:\n got: %s (violation %q)\nTLC: %s (violation %q)",
					c.tla, c.cfg, w, got, name, c.summary, c.violation)
			}
		}
	}
}

// TestTraceMatchesTLC compares a counterexample with TLC's, line for line
// (TLC lists the variables of a state in another order; the lines are the same).
func TestTraceMatchesTLC(t *testing.T) {
	md, err := Load("testdata/DieHard.tla", "")
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	md.WriteReport(&sb, md.Check(Options{Workers: 2}))
	tlc := `Error: Invariant NotSolved is violated.
Error: The behavior up to this point is:
State 1: <Initial predicate>
/\ big = 0
/\ small = 0

State 2: <FillBigJug line 16, col 18 to line 17, col 34 of module DieHard>
/\ big = 5
/\ small = 0

State 3: <BigToSmall line 27, col 15 to line 28, col 48 of module DieHard>
/\ big = 2
/\ small = 3

State 4: <EmptySmallJug line 18, col 18 to line 19, col 30 of module DieHard>
/\ big = 2
/\ small = 0

State 5: <BigToSmall line 27, col 15 to line 28, col 48 of module DieHard>
/\ big = 0
/\ small = 2

State 6: <FillBigJug line 16, col 18 to line 17, col 34 of module DieHard>
/\ big = 5
/\ small = 2

State 7: <BigToSmall line 27, col 15 to line 28, col 48 of module DieHard>
/\ big = 4
/\ small = 3

73 states generated, 14 distinct states found, 1 states left on queue.
The depth of the complete state graph search is 7.
`
	if normalizeStates(sb.String()) != normalizeStates(tlc) {
		t.Fatalf("report differs from TLC's:\n%s", sb.String())
	}
}

// normalizeStates sorts the "/\ var = value" lines within each state.
func normalizeStates(s string) string {
	lines := strings.Split(s, "\n")
	var out, block []string
	flush := func() {
		for i := 1; i < len(block); i++ {
			for j := i; j > 0 && block[j] < block[j-1]; j-- {
				block[j], block[j-1] = block[j-1], block[j]
			}
		}
		out = append(out, block...)
		block = nil
	}
	for _, l := range lines {
		if strings.HasPrefix(l, `/\ `) {
			block = append(block, l)
			continue
		}
		flush()
		out = append(out, l)
	}
	flush()
	return strings.Join(out, "\n")
}
