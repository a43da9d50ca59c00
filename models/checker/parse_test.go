package checker

import (
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"no header", "VARIABLE x", "M.tla:1:1"},
		{"unclosed", "---- MODULE M ----\nVARIABLE x\nInit == x = 0\n", "not closed"},
		{"bad token", "---- MODULE M ----\nInit == x = ` \n====", "M.tla:2:13: unexpected character"},
		{"unterminated string", "---- MODULE M ----\nA == \"abc\n====", "M.tla:2:6: unterminated string"},
		{"unterminated comment", "---- MODULE M ----\n(* abc\n====", "M.tla:2:1: unterminated comment"},
		{"missing THEN", "---- MODULE M ----\nA == IF 1 ELSE 2\n====", "M.tla:2:11: expected \"THEN\""},
		{"missing bracket", "---- MODULE M ----\nA == [x \\in S |-> 1\n====", "M.tla:3:1: expected \"]\""},
		{"unbounded quantifier", "---- MODULE M ----\nA == \\A x : x\n====", "M.tla:2:11: expected \"\\\\in\""},
		{"postfix definition", "---- MODULE M ----\nx ^+ == x\n====", "M.tla:2:3"},
		{"nested module", "---- MODULE M ----\n---- MODULE N ----\n====\n====", "nested modules"},
		{"unknown backslash op", "---- MODULE M ----\nA == 1 \\foo 2\n====", "M.tla:2:8: unknown operator \\foo"},
		{"temporal quantifier", "---- MODULE M ----\nA == \\EE x : x\n====", "not supported"},
		{"keyword as name", "---- MODULE M ----\nTHEN == 1\n====", "M.tla:2:1"},
		{"empty EXCEPT index", "---- MODULE M ----\nA == [f EXCEPT ![ ] = 1]\n====", "M.tla:2:19: an EXCEPT path ![...] needs an index"},
		{"empty application", "---- MODULE M ----\nA == f[ ]\n====", "M.tla:2:9: a function application f[...] needs an argument"},
	}
	for _, c := range cases {
		_, err := ParseModule("M.tla", c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestJunctionLists(t *testing.T) {
	// The indentation decides the grouping: here the \/ list is an item of
	// the outer /\ list, and the last /\ belongs to the outer list.
	src := "---- MODULE M ----\nA == /\\ 1 = 1\n     /\\ \\/ 1 = 2\n        \\/ 2 = 2\n     /\\ 3 = 3\n====\n"
	m, err := ParseModule("M.tla", src)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Defs[0].Body
	if b.Kind != eOp || b.Name != `/\` || len(b.Args) != 3 {
		t.Fatalf("outer list: %+v", b)
	}
	if in := b.Args[1]; in.Kind != eOp || in.Name != `\/` || len(in.Args) != 2 {
		t.Fatalf("inner list: %+v", in)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"INIT 3", "M.cfg:1:6: expected a name"},
		{"FOO Bar", "M.cfg:1:1: expected a section keyword"},
		{"CONSTANT N = ", "M.cfg:1:14: expected a value"},
		{"CHECK_DEADLOCK maybe", "M.cfg:1:16: CHECK_DEADLOCK takes TRUE or FALSE"},
		{"CONSTANT N == 1", "M.cfg:1:12: expected \"=\""},
	}
	for _, c := range cases {
		_, err := ParseConfig("M.cfg", c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
	cfg, err := ParseConfig("M.cfg", "CONSTANTS N = 3 Procs = {p1, p2} Name = \"x\" Op <- Other\nSPECIFICATION Spec\nINVARIANT A B\nPROPERTIES P\nCHECK_DEADLOCK FALSE\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Consts["N"] != int64(3) || Format(cfg.Consts["Procs"]) != "{p1, p2}" || cfg.Aliases["Op"] != "Other" ||
		cfg.Spec != "Spec" || len(cfg.Invariants) != 2 || cfg.CheckDeadlock {
		t.Fatalf("config parsed wrong: %+v", cfg)
	}
}

func FuzzParseModule(f *testing.F) {
	f.Add("---- MODULE M ----\nEXTENDS Naturals\nVARIABLE x\nInit == x = 0\nNext == /\\ x < 3\n        /\\ x' = x + 1\n====\n")
	f.Add("---- MODULE M ----\nA == [f EXCEPT ![1].a = @ + 1]\nB == {x \\in S : x > 1}\nC == <<1, 2>>\n====")
	f.Add("---- MODULE M ----\nA == CASE x -> 1 [] OTHER -> 2\nB == LET y == 1 IN y\nSpec == Init /\\ [][Next]_x /\\ WF_x(Next)\n====")
	f.Fuzz(func(t *testing.T, src string) {
		m, err := ParseModule("F.tla", src)
		if err == nil && m == nil {
			t.Fatal("nil module without error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "F.tla:") {
			t.Fatalf("error without position: %v", err)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add("CONSTANTS N = 3 P = {a, b}\nINIT Init\nNEXT Next\nINVARIANT Inv\n")
	f.Add("SPECIFICATION Spec PROPERTY Live CHECK_DEADLOCK FALSE")
	f.Fuzz(func(t *testing.T, src string) {
		c, err := ParseConfig("F.cfg", src)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}

// FuzzCheck compiles and explores whatever parses, with a state limit: the
// checker must report errors, never panic or hang.
func FuzzCheck(f *testing.F) {
	f.Add("---- MODULE M ----\nEXTENDS Naturals\nVARIABLE x\nInit == x = 0\nNext == x' = x + 1\nInv == x < 5\n====\n")
	f.Add("---- MODULE M ----\nEXTENDS Naturals, Sequences\nVARIABLE q\nInit == q = <<>>\nNext == \\/ Len(q) < 2 /\\ \\E m \\in {1, 2} : q' = Append(q, m)\n        \\/ q # <<>> /\\ q' = Tail(q)\nInv == TRUE\n====\n")
	f.Add("---- MODULE M ----\nVARIABLE f\nRECURSIVE R(_)\nR(n) == R(n)\nInit == f = [i \\in {1, 2} |-> R(i)]\nNext == UNCHANGED f\nInv == TRUE\n====\n")
	f.Add("---- MODULE M ----\nVARIABLE r\nInit == r = [a |-> 1]\nNext == r' = [r EXCEPT !.a = @ + 1, !.b = 2]\nInv == r.a \\in 1..3\n====\n")
	f.Fuzz(func(t *testing.T, src string) {
		m, err := ParseModule("F.tla", src)
		if err != nil {
			return
		}
		cfg, _ := ParseConfig("F.cfg", "INIT Init NEXT Next INVARIANT Inv")
		md, err := NewModel(m, nil, cfg)
		if err != nil {
			return
		}
		md.Check(Options{Workers: 1, MaxStates: 200})
	})
}
