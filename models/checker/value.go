package checker

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Value is a TLA+ value. The concrete types are: bool, int64, string,
// ModelValue, *SetV (a finite set, elements sorted by Compare and unique),
// *SeqV (a tuple or sequence, i.e. a function with domain 1..n), *FnV (any
// other function, including records), *IntervalV (a..b), *LazySetV (sets
// used for membership: Nat, SUBSET S, [S -> T], Seq(S), ...) and *OpV (an
// operator passed as an argument). Every finite value has one canonical
// form, so Compare and Hash agree with TLA+ equality.
type Value any

// ModelValue is a TLC model value: equal only to itself.
type ModelValue string

// SetV is a finite set in canonical order.
type SetV struct{ elems []Value }

// SeqV is a function with domain 1..len(elems); <<>> is the empty function.
type SeqV struct{ elems []Value }

// FnV is a function whose domain is not of the form 1..n; keys sorted.
type FnV struct {
	keys []Value
	vals []Value
}

// IntervalV is lo..hi, kept lazy so that x \in 0..1000000 costs nothing.
type IntervalV struct{ lo, hi int64 }

// OpV is an operator passed to a higher-order operator parameter.
type OpV struct {
	arity int
	call  func(c *ctx, args []Value) Value
}

var emptySet = &SetV{}
var emptySeq = &SeqV{}

// typeRank orders values of different kinds; only needed for a total order.
func typeRank(v Value) int {
	switch v.(type) {
	case bool:
		return 0
	case int64:
		return 1
	case string:
		return 2
	case ModelValue:
		return 3
	case *SeqV:
		return 4
	case *FnV:
		return 5
	case *SetV, *IntervalV, *LazySetV:
		return 6
	}
	return 7
}

// Compare is a total order on finite values consistent with equality.
func Compare(a, b Value) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case ModelValue:
		if y, ok := b.(ModelValue); ok {
			return strings.Compare(string(x), string(y))
		}
	case *SeqV:
		if y, ok := b.(*SeqV); ok {
			if len(x.elems) != len(y.elems) {
				return cmpInt(len(x.elems), len(y.elems))
			}
			for i := range x.elems {
				if c := Compare(x.elems[i], y.elems[i]); c != 0 {
					return c
				}
			}
			return 0
		}
	case *FnV:
		if y, ok := b.(*FnV); ok {
			if len(x.keys) != len(y.keys) {
				return cmpInt(len(x.keys), len(y.keys))
			}
			for i := range x.keys {
				if c := Compare(x.keys[i], y.keys[i]); c != 0 {
					return c
				}
			}
			for i := range x.vals {
				if c := Compare(x.vals[i], y.vals[i]); c != 0 {
					return c
				}
			}
			return 0
		}
	}
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	if ra == 6 {
		x, y := mustEnum(a), mustEnum(b)
		if len(x.elems) != len(y.elems) {
			return cmpInt(len(x.elems), len(y.elems))
		}
		for i := range x.elems {
			if c := Compare(x.elems[i], y.elems[i]); c != 0 {
				return c
			}
		}
		return 0
	}
	panic(evalErr{fmt.Sprintf("cannot compare %s with %s", Format(a), Format(b))})
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Equal is TLA+ equality on values.
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case ModelValue:
		y, ok := b.(ModelValue)
		return ok && x == y
	}
	if typeRank(a) != typeRank(b) {
		return false
	}
	return Compare(a, b) == 0
}

// evalErr is raised (as a panic) inside compiled closures and turned into an
// *Error with a position by the nearest enclosing construct that knows one.
type evalErr struct{ msg string }

func throw(format string, a ...any) { panic(evalErr{fmt.Sprintf(format, a...)}) }

// canon turns an interval into an explicit set when it is stored inside
// another value or in a state, so that comparing and hashing it later does
// not enumerate it again each time.
func canon(v Value) Value {
	if iv, ok := v.(*IntervalV); ok {
		return mustEnum(iv)
	}
	return v
}

// mkSet builds a canonical set from elements in any order (it sorts in place).
func mkSet(elems []Value) *SetV {
	if len(elems) == 0 {
		return emptySet
	}
	for i, e := range elems {
		if _, ok := e.(*IntervalV); ok {
			elems[i] = canon(e)
		}
	}
	slices.SortFunc(elems, Compare)
	out := elems[:1]
	for _, e := range elems[1:] {
		if Compare(out[len(out)-1], e) != 0 {
			out = append(out, e)
		}
	}
	return &SetV{elems: out}
}

// mkFn builds a canonical function from parallel key/value slices; keys unique.
func mkFn(keys, vals []Value) Value {
	n := len(keys)
	for i, v := range vals {
		if _, ok := v.(*IntervalV); ok {
			vals[i] = canon(v)
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return Compare(keys[a], keys[b]) })
	isSeq := true
	for i, j := range idx {
		if k, ok := keys[j].(int64); !ok || k != int64(i+1) {
			isSeq = false
			break
		}
	}
	if isSeq {
		el := make([]Value, n)
		for i, j := range idx {
			el[i] = vals[j]
		}
		return &SeqV{elems: el}
	}
	fk := make([]Value, n)
	fv := make([]Value, n)
	for i, j := range idx {
		fk[i] = keys[j]
		fv[i] = vals[j]
	}
	return &FnV{keys: fk, vals: fv}
}

// mkRecord builds a record from field names (any order) and values.
func mkRecord(fields []string, vals []Value) Value {
	keys := make([]Value, len(fields))
	for i, f := range fields {
		keys[i] = f
	}
	return mkFn(keys, vals)
}

// Format prints a value in TLA+ syntax, the way TLC prints states.
func Format(v Value) string {
	var sb strings.Builder
	format(&sb, v)
	return sb.String()
}

func format(sb *strings.Builder, v Value) {
	switch x := v.(type) {
	case bool:
		if x {
			sb.WriteString("TRUE")
		} else {
			sb.WriteString("FALSE")
		}
	case int64:
		sb.WriteString(strconv.FormatInt(x, 10))
	case string:
		sb.WriteString(strconv.Quote(x))
	case ModelValue:
		sb.WriteString(string(x))
	case *SetV:
		sb.WriteString("{")
		for i, e := range x.elems {
			if i > 0 {
				sb.WriteString(", ")
			}
			format(sb, e)
		}
		sb.WriteString("}")
	case *SeqV:
		sb.WriteString("<<")
		for i, e := range x.elems {
			if i > 0 {
				sb.WriteString(", ")
			}
			format(sb, e)
		}
		sb.WriteString(">>")
	case *FnV:
		isRec := true
		for _, k := range x.keys {
			if _, ok := k.(string); !ok {
				isRec = false
			}
		}
		if isRec {
			sb.WriteString("[")
			for i, k := range x.keys {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(k.(string))
				sb.WriteString(" |-> ")
				format(sb, x.vals[i])
			}
			sb.WriteString("]")
			return
		}
		sb.WriteString("(")
		for i, k := range x.keys {
			if i > 0 {
				sb.WriteString(" @@ ")
			}
			format(sb, k)
			sb.WriteString(" :> ")
			format(sb, x.vals[i])
		}
		sb.WriteString(")")
	case *IntervalV:
		fmt.Fprintf(sb, "%d..%d", x.lo, x.hi)
	case *LazySetV:
		if e := tryEnum(x); e != nil {
			format(sb, e)
			return
		}
		sb.WriteString(x.String())
	case *OpV:
		sb.WriteString("<operator>")
	default:
		fmt.Fprintf(sb, "%v", v)
	}
}

// Hash folds v into a 64-bit fingerprint state h. Equal values hash equal
// because every finite value has one canonical form.
func Hash(h uint64, v Value) uint64 {
	switch x := v.(type) {
	case bool:
		if x {
			return mix(h, 0x9e3779b97f4a7c15)
		}
		return mix(h, 0x7f4a7c159e3779b9)
	case int64:
		return mix(mix(h, 1), uint64(x))
	case string:
		h = mix(h, 2)
		s := x
		for len(s) >= 8 {
			w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
				uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
			h = mix(h, w)
			s = s[8:]
		}
		var w uint64
		for i := 0; i < len(s); i++ {
			w |= uint64(s[i]) << (8 * i)
		}
		return mix(mix(h, w), uint64(len(x)))
	case ModelValue:
		return Hash(mix(h, 3), string(x))
	case *SeqV:
		h = mix(h, 4+uint64(len(x.elems))<<8)
		for _, e := range x.elems {
			h = Hash(h, e)
		}
		return h
	case *FnV:
		h = mix(h, 5+uint64(len(x.keys))<<8)
		for i, k := range x.keys {
			h = Hash(Hash(h, k), x.vals[i])
		}
		return h
	case *SetV:
		h = mix(h, 6+uint64(len(x.elems))<<8)
		for _, e := range x.elems {
			h = Hash(h, e)
		}
		return h
	case *IntervalV, *LazySetV:
		return Hash(h, mustEnum(v))
	}
	throw("cannot fingerprint %s", Format(v))
	return 0
}

// mix is one round of a multiply-xorshift hash (wyhash's mum).
func mix(h, x uint64) uint64 {
	hi, lo := bits.Mul64(h^0xa0761d6478bd642f, x^0xe7037ed1a0b428db)
	return hi ^ lo
}

// tryEnum enumerates a lazy set for printing, or returns nil if it is infinite.
func tryEnum(x *LazySetV) (out *SetV) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(evalErr); !ok {
				panic(r)
			}
			out = nil
		}
	}()
	return mustEnum(x)
}
