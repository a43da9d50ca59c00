package checker

import (
	"strings"
	"testing"
)

// evalString evaluates a constant TLA+ expression inside a tiny module.
func evalString(t *testing.T, defs, expr string) (string, error) {
	t.Helper()
	src := "---- MODULE T ----\nEXTENDS Naturals, Integers, Sequences, FiniteSets, TLC\nVARIABLE v\n" +
		defs + "\nInit == v = 0\nNext == v' = v\nE == " + expr + "\n====\n"
	m, err := ParseModule("T.tla", src)
	if err != nil {
		return "", err
	}
	cfg, err := ParseConfig("T.cfg", "INIT Init NEXT Next")
	if err != nil {
		t.Fatal(err)
	}
	md, err := NewModel(m, nil, cfg)
	if err != nil {
		return "", err
	}
	var out Value
	err = evalGuard(func() {
		f, _ := md.cp.expr(&Expr{Kind: eName, Name: "E"}, md.rootScope(), mNormal)
		out = f(md.newCtx())
	})
	if err != nil {
		return "", err
	}
	return Format(out), nil
}

func TestEvalExpressions(t *testing.T) {
	defs := `
RECURSIVE Fact(_)
Fact(n) == IF n = 0 THEN 1 ELSE n * Fact(n - 1)
fib[n \in 0..10] == IF n < 2 THEN n ELSE fib[n-1] + fib[n-2]
Twice(F(_), x) == F(F(x))
Inc(x) == x + 1
r == [a |-> 1, b |-> <<2, 3>>]
g[<<a, b>> \in {1, 2} \X {3}] == a + b
h[a \in {1}, <<b, c>> \in {<<2, 3>>}] == a + b + c
Parts == /\ 1 = 1
         /\ 2 + 2
         /\ "three"
a ++ b == a + 2 * b
a \oplus b == <<a, b>>
Apply(F(_, _), x, y) == F(x, y)
`
	cases := []struct{ expr, want string }{
		{"1 + 2 * 3", "7"},
		{"(-7) \\div 2", "-4"}, {"-7 \\div 2", "-3"},
		{"-7 % 2", "1"},
		{"2^10", "1024"},
		{"{3, 1, 2, 1}", "{1, 2, 3}"},
		{"{1, 2} \\cup {2, 3}", "{1, 2, 3}"},
		{"{1, 2} \\union {2, 3} \\ {1}", "{2, 3}"},
		{"{1, 2, 3} \\cap {2, 3, 4}", "{2, 3}"},
		{"{1, 2} \\intersect {2}", "{2}"},
		{"{x \\in 1..5 : x % 2 = 0}", "{2, 4}"},
		{"{x * x : x \\in 1..3}", "{1, 4, 9}"},
		{"{<<x, y>> : x \\in 1..2, y \\in {\"a\"}}", `{<<1, "a">>, <<2, "a">>}`},
		{"SUBSET {1, 2}", "{{}, {1}, {2}, {1, 2}}"},
		{"UNION {{1}, {2, 3}}", "{1, 2, 3}"},
		{"Cardinality(SUBSET (1..4))", "16"},
		{"\\A x \\in 1..3 : x > 0", "TRUE"},
		{"\\E x, y \\in 1..3 : x + y = 6", "TRUE"},
		{"\\E <<x, y>> \\in {<<1, 2>>} : x < y", "TRUE"},
		{"CHOOSE x \\in 1..10 : x * x > 20", "5"},
		{"[x \\in 1..3 |-> x * 2]", "<<2, 4, 6>>"},
		{"[x \\in {\"a\", \"b\"} |-> 0]", "[a |-> 0, b |-> 0]"},
		{"[r EXCEPT !.a = @ + 10, !.b[2] = 9]", "[a |-> 11, b |-> <<2, 9>>]"},
		{"[[x \\in 1..2 |-> [y \\in 1..2 |-> 0]] EXCEPT ![1][2] = 5]", "<<<<0, 5>>, <<0, 0>>>>"},
		{"DOMAIN r", `{"a", "b"}`},
		{"r.b[2]", "3"},
		{"[a : {1, 2}, b : {TRUE}]", "{[a |-> 1, b |-> TRUE], [a |-> 2, b |-> TRUE]}"},
		{"[{1, 2} -> {0, 1}]", "{<<0, 0>>, <<0, 1>>, <<1, 0>>, <<1, 1>>}"},
		{"<<1, 2>> \\o <<3>>", "<<1, 2, 3>>"},
		{"Len(<<1, 2, 3>>)", "3"},
		{"Head(<<7, 8>>)", "7"},
		{"Tail(<<7, 8>>)", "<<8>>"},
		{"Append(<<>>, 1)", "<<1>>"},
		{"SubSeq(<<1, 2, 3, 4>>, 2, 3)", "<<2, 3>>"},
		{"<<1, 2>> \\in Seq({1, 2})", "TRUE"},
		{"<<1, 3>> \\in Seq({1, 2})", "FALSE"},
		{"[a |-> 1] \\in [a : Nat]", "TRUE"},
		{"<<1, 2>> \\in {1, 2} \\X {2}", "TRUE"},
		{"Fact(5)", "120"},
		{"fib[10]", "55"},
		{"fib[3] + Cardinality(DOMAIN fib)", "13"},
		{"Twice(Inc, 3)", "5"},
		{"LET a == 2\n       f(x) == x + a\n   IN f(3)", "5"},
		{"CASE 1 > 2 -> \"a\" [] 2 > 1 -> \"b\" [] OTHER -> \"c\"", `"b"`},
		{"IF 1 \\in Nat THEN 1 ELSE 2", "1"},
		{"{1, 2} \\subseteq 1..3", "TRUE"},
		{"(1 :> 2) @@ (3 :> 4)", "(1 :> 2 @@ 3 :> 4)"},
		{"ToString(<<1>>)", `"<<1>>"`},
		{"<<1, 2>> = [i \\in 1..2 |-> i]", "TRUE"},
		{"[i \\in {} |-> i] = <<>>", "TRUE"},
		{"{} = {x \\in {1} : FALSE}", "TRUE"},
		{"1..3 = {1, 2, 3}", "TRUE"},
		{"/\\ TRUE\n   /\\ \\/ FALSE\n      \\/ TRUE\n   /\\ 1 = 1", "TRUE"},
		{"/\\ TRUE\n   /\\ \\/ FALSE\n      \\/ FALSE", "FALSE"},
		{"Permutations({1, 2})", "{<<1, 2>>, <<2, 1>>}"},
		{"1 ++ 2 ++ 3", "11"},
		{"1 \\oplus 2", "<<1, 2>>"},
		{"LET k == 10 IN Apply(LAMBDA a, b : a * b + k, 3, 4)", "22"},
		{"SelectSeq(<<1, 2, 3, 4>>, LAMBDA v : v % 2 = 0)", "<<2, 4>>"},
		{"LET a -- b == a - b - 1 IN 5 -- 2", "2"},
		{"[m, n \\in {1, 2} |-> m * n][<<2, 2>>]", "4"},
		{"lbl :: 1 + 1", "2"},
		{"<<Parts!2, Parts!3>>", `<<4, "three">>`},
		{"{1, 2} \\in {S \\in SUBSET SUBSET SUBSET (1..3) : Cardinality(S) = 2} /\\ 7 \\notin {n \\in Nat : n < 5}", "FALSE"},
		{"{{1}, {2}} \\in {S \\in SUBSET SUBSET (1..3) : Cardinality(S) = 2} /\\ 3 \\in {n \\in Nat : n < 5}", "TRUE"},
		{"LET k == 3\n       Add(a, b) == a + b + k IN Apply(Add, 1, 2)", "6"},
		{"LET f[n \\in 0..5] == IF n = 0 THEN 1 ELSE n * f[n - 1] IN f[5]", "120"},
		{"LET k == 2\n       f[n \\in 0..3] == IF n = 0 THEN 0 ELSE k + f[n - 1] IN f", "(0 :> 0 @@ 1 :> 2 @@ 2 :> 4 @@ 3 :> 6)"},
		{"\\A m \\in 1..3 : LET sq[n \\in 1..m] == n * n IN sq[m] = m * m", "TRUE"},
		{"3 \\in Nat \\ {0} /\\ 0 \\notin Nat \\ {0}", "TRUE"},
		{"Nat \\cap {-1, 2}", "{2}"},
		{"g[<<2, 3>>] + g[<<1, 3>>]", "9"},
		{"g", "(<<1, 3>> :> 4 @@ <<2, 3>> :> 5)"},
		{"h[1, <<2, 3>>]", "6"},
		{"h", "(<<1, <<2, 3>>>> :> 6)"},
	}
	for _, c := range cases {
		if c.want == "" {
			continue
		}
		got, err := evalString(t, defs, c.expr)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s = %s, want %s", c.expr, got, c.want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	cases := []struct{ expr, want string }{
		{"<<1>>[2]", "T.tla:7:"},
		{"1 + TRUE", "expected an integer"},
		{"CHOOSE x \\in {} : TRUE", "CHOOSE found no element"},
		{"Head(<<>>)", "Head of the empty sequence"},
		{"Undefined + 1", "unknown name Undefined"},
		{"[a |-> 1].b", "no field"},
		{"Assert(FALSE, \"boom\")", "assertion failed: boom"},
	}
	for _, c := range cases {
		_, err := evalString(t, "", c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.expr, err, c.want)
		}
	}
}

func TestRunawayRecursionIsAnError(t *testing.T) {
	_, err := evalString(t, "RECURSIVE R(_)\nR(n) == R(n + 1)", "R(0)")
	if err == nil || !strings.Contains(err.Error(), "T.tla:5:") || !strings.Contains(err.Error(), "nested operator calls") {
		t.Fatalf("want a positioned recursion error, got %v", err)
	}
}

func TestStateLimitAndPrint(t *testing.T) {
	src := "---- MODULE M ----\nEXTENDS Naturals, TLC\nVARIABLE x\nInit == x = 0 /\\ PrintT(\"start\")\nNext == x' = x + 1\n====\n"
	m, err := ParseModule("M.tla", src)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := ParseConfig("M.cfg", "INIT Init NEXT Next")
	md, err := NewModel(m, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var printed []string
	r := md.Check(Options{Workers: 2, MaxStates: 100, Print: func(s string) { printed = append(printed, s) }})
	if r.Violation == nil || r.Violation.Kind != "limit" || r.Distinct != 100 {
		t.Fatalf("want the state limit to stop an unbounded spec at 100 states: %+v", r)
	}
	if len(printed) == 0 || printed[0] != `"start"` {
		t.Fatalf("PrintT output: %q", printed)
	}
}

// Enumerations of function, record and product sets skip sorting; check
// that they are nevertheless canonical (sorted and equal to a sorted copy).
func TestLazyEnumerationsAreCanonical(t *testing.T) {
	for _, expr := range []string{
		`[{1, 2, 3} -> {"a", "b"}]`, `[{"x", "y"} -> 1..3]`, `[1..3 -> {TRUE, FALSE}]`,
		`[b : {1, 2}, a : {"p", "q"}]`, `{1, 2} \X {"a", "b"} \X {TRUE}`,
	} {
		got, err := evalString(t, "", expr+" = {x : x \\in "+expr+"}")
		if err != nil || got != "TRUE" {
			t.Errorf("%s: %s %v", expr, got, err)
		}
		v, err := evalString(t, "", expr)
		if err != nil {
			t.Fatal(err)
		}
		_ = v
	}
	m, _ := ParseModule("T.tla", "---- MODULE T ----\nVARIABLE v\n====")
	_ = m
	s := mustEnum(&LazySetV{kind: lzFnSet, sets: []Value{mkSet([]Value{int64(1), int64(2)}), mkSet([]Value{"b", "a"})}})
	for i := 1; i < len(s.elems); i++ {
		if Compare(s.elems[i-1], s.elems[i]) >= 0 {
			t.Fatalf("function set not in canonical order: %s", Format(s))
		}
	}
	r := mustEnum(&LazySetV{kind: lzRecSet, fields: []string{"a", "b"}, sets: []Value{mkSet([]Value{int64(2), int64(1)}), mkSet([]Value{"y", "x"})}})
	for i := 1; i < len(r.elems); i++ {
		if Compare(r.elems[i-1], r.elems[i]) >= 0 {
			t.Fatalf("record set not in canonical order: %s", Format(r))
		}
	}
}
