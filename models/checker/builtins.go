package checker

import (
	"fmt"
	"os"
)

// builtin compiles a use of an operator of the standard modules Naturals,
// Integers, Sequences, FiniteSets and TLC.
func (cp *compiler) builtin(e *Expr, s *scope, md mode) (evalFn, bool, bool) {
	pos := e.Pos
	nargs := map[string]int{
		"Nat": 0, "Int": 0, "BOOLEAN": 0, "STRING": 0,
		"Len": 1, "Head": 1, "Tail": 1, "Append": 2, "SubSeq": 3, "SelectSeq": 2, "Seq": 1,
		"Cardinality": 1, "IsFiniteSet": 1, "Print": 2, "PrintT": 1, "Assert": 2,
		"ToString": 1, "Permutations": 1, "TLCEval": 1, "Any": 0,
	}
	n, ok := nargs[e.Name]
	if !ok {
		return nil, false, false
	}
	if len(e.Args) != n {
		cerr(pos, "%s takes %d arguments, given %d", e.Name, n, len(e.Args))
	}
	switch e.Name {
	case "Nat":
		return constFn(&LazySetV{kind: lzNat}), false, true
	case "Int":
		return constFn(&LazySetV{kind: lzInt}), false, true
	case "STRING":
		return constFn(&LazySetV{kind: lzString}), false, true
	case "BOOLEAN":
		return constFn(&SetV{elems: []Value{false, true}}), false, true
	case "Any":
		cerr(pos, "Any is not supported")
	case "SelectSeq":
		sq, d1 := cp.expr(e.Args[0], s, md)
		testf := cp.opArg(e.Args[1], 1, s, md)
		return func(x *ctx) Value {
			q := seqAt(pos, sq(x), "SelectSeq")
			test := testf(x).(*OpV)
			var out []Value
			for _, el := range q.elems {
				if boolAt(pos, test.call(x, []Value{el}), "SelectSeq test") {
					out = append(out, el)
				}
			}
			return &SeqV{elems: out}
		}, true || d1, true
	}
	args, dyn := cp.list(e.Args, s, md)
	switch e.Name {
	case "Len":
		return func(x *ctx) Value { return int64(len(seqAt(pos, args[0](x), "Len").elems)) }, dyn, true
	case "Head":
		return func(x *ctx) Value {
			q := seqAt(pos, args[0](x), "Head")
			if len(q.elems) == 0 {
				panic(posErr{errAt(pos, "Head of the empty sequence")})
			}
			return q.elems[0]
		}, dyn, true
	case "Tail":
		return func(x *ctx) Value {
			q := seqAt(pos, args[0](x), "Tail")
			if len(q.elems) == 0 {
				panic(posErr{errAt(pos, "Tail of the empty sequence")})
			}
			return &SeqV{elems: q.elems[1:]}
		}, dyn, true
	case "Append":
		return func(x *ctx) Value {
			q := seqAt(pos, args[0](x), "Append")
			el := make([]Value, len(q.elems)+1)
			copy(el, q.elems)
			el[len(q.elems)] = args[1](x)
			return &SeqV{elems: el}
		}, dyn, true
	case "SubSeq":
		return func(x *ctx) Value {
			q := seqAt(pos, args[0](x), "SubSeq")
			m, n := intAt(pos, args[1](x)), intAt(pos, args[2](x))
			if m > n {
				return emptySeq
			}
			if m < 1 || n > int64(len(q.elems)) {
				panic(posErr{errAt(pos, "SubSeq(s, %d, %d) outside 1..%d", m, n, len(q.elems))})
			}
			return &SeqV{elems: q.elems[m-1 : n]}
		}, dyn, true
	case "Seq":
		return func(x *ctx) Value { return &LazySetV{kind: lzSeq, sets: []Value{args[0](x)}} }, dyn, true
	case "Cardinality":
		return func(x *ctx) Value { defer atPos(pos); return cardinality(args[0](x)) }, dyn, true
	case "IsFiniteSet":
		return func(x *ctx) Value {
			switch t := args[0](x).(type) {
			case *SetV, *IntervalV:
				return true
			case *LazySetV:
				return t.kind != lzNat && t.kind != lzInt && t.kind != lzString && t.kind != lzSeq
			}
			panic(posErr{errAt(pos, "IsFiniteSet of a non-set")})
		}, dyn, true
	case "ToString":
		return func(x *ctx) Value { return Format(args[0](x)) }, dyn, true
	case "TLCEval":
		return args[0], dyn, true
	case "Print":
		return func(x *ctx) Value {
			printOut(x, Format(args[0](x)))
			return args[1](x)
		}, true, true
	case "PrintT":
		return func(x *ctx) Value {
			printOut(x, Format(args[0](x)))
			return true
		}, true, true
	case "Assert":
		return func(x *ctx) Value {
			if !boolAt(pos, args[0](x), "Assert condition") {
				msg := args[1](x)
				if s, ok := msg.(string); ok {
					panic(posErr{errAt(pos, "assertion failed: %s", s)})
				}
				panic(posErr{errAt(pos, "assertion failed: %s", Format(msg))})
			}
			return true
		}, true, true
	case "Permutations":
		return func(x *ctx) Value {
			el := enumAt(pos, args[0](x))
			var out []Value
			perm := make([]int, len(el))
			used := make([]bool, len(el))
			var rec func(i int)
			rec = func(i int) {
				if i == len(el) {
					keys := append([]Value(nil), el...)
					vals := make([]Value, len(el))
					for k, j := range perm {
						vals[k] = el[j]
					}
					out = append(out, mkFn(keys, vals))
					return
				}
				for j := range el {
					if !used[j] {
						used[j] = true
						perm[i] = j
						rec(i + 1)
						used[j] = false
					}
				}
			}
			rec(0)
			return mkSet(out)
		}, dyn, true
	}
	return nil, false, false
}

func seqAt(pos Pos, v Value, what string) *SeqV {
	q, ok := v.(*SeqV)
	if !ok {
		panic(posErr{errAt(pos, "%s expects a sequence, found %s", what, Format(v))})
	}
	return q
}

func printOut(x *ctx, s string) {
	if x.out != nil {
		x.out(s)
		return
	}
	fmt.Fprintln(os.Stderr, s)
}
