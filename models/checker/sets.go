package checker

import (
	"fmt"
	"strings"
	"sync/atomic"
)

type lazyKind int

const (
	lzNat lazyKind = iota
	lzInt
	lzString
	lzSubset  // SUBSET a
	lzFnSet   // [a -> b]
	lzRecSet  // [fields : sets]
	lzSeq     // Seq(a)
	lzProduct // sets[0] \X sets[1] \X ...
	lzDiff    // sets[0] \ sets[1], kept lazy when sets[0] is infinite (Nat \ {0})
)

// LazySetV is a set that is only enumerated when it must be (and is finite).
type LazySetV struct {
	kind   lazyKind
	sets   []Value
	fields []string
	enum   atomic.Pointer[SetV] // cached enumeration; workers share constant sets
}

func (l *LazySetV) String() string {
	switch l.kind {
	case lzNat:
		return "Nat"
	case lzInt:
		return "Int"
	case lzString:
		return "STRING"
	case lzSubset:
		return "SUBSET " + Format(l.sets[0])
	case lzFnSet:
		return "[" + Format(l.sets[0]) + " -> " + Format(l.sets[1]) + "]"
	case lzSeq:
		return "Seq(" + Format(l.sets[0]) + ")"
	case lzProduct:
		parts := make([]string, len(l.sets))
		for i, s := range l.sets {
			parts[i] = Format(s)
		}
		return strings.Join(parts, " \\X ")
	case lzDiff:
		return Format(l.sets[0]) + " \\ " + Format(l.sets[1])
	case lzRecSet:
		parts := make([]string, len(l.fields))
		for i, f := range l.fields {
			parts[i] = f + " : " + Format(l.sets[i])
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "<set>"
}

// isSet reports whether v is any kind of set.
func isSet(v Value) bool {
	switch v.(type) {
	case *SetV, *IntervalV, *LazySetV:
		return true
	}
	return false
}

// maxEnum bounds enumerations of lazy sets so a typo cannot exhaust memory.
const maxEnum = 1 << 22

// mustEnum returns the elements of a finite set, or raises an error.
func mustEnum(v Value) *SetV {
	switch s := v.(type) {
	case *SetV:
		return s
	case *IntervalV:
		if s.hi < s.lo {
			return emptySet
		}
		if s.hi-s.lo >= maxEnum {
			throw("interval %d..%d is too large to enumerate", s.lo, s.hi)
		}
		el := make([]Value, 0, s.hi-s.lo+1)
		for i := s.lo; i <= s.hi; i++ {
			el = append(el, i)
		}
		return &SetV{elems: el}
	case *LazySetV:
		if e := s.enum.Load(); e != nil {
			return e
		}
		e := enumLazy(s)
		s.enum.Store(e)
		return e
	}
	throw("expected a set, found %s", Format(v))
	return nil
}

func enumLazy(s *LazySetV) *SetV {
	switch s.kind {
	case lzSubset:
		base := mustEnum(s.sets[0]).elems
		if len(base) > 20 {
			throw("SUBSET of a set with %d elements is too large to enumerate", len(base))
		}
		out := make([]Value, 0, 1<<len(base))
		for m := 0; m < 1<<len(base); m++ {
			var el []Value
			for i := range base {
				if m&(1<<i) != 0 {
					el = append(el, base[i])
				}
			}
			out = append(out, &SetV{elems: el})
		}
		return mkSet(out)
	case lzFnSet:
		dom := mustEnum(s.sets[0]).elems
		rng := mustEnum(s.sets[1]).elems
		total := 1
		for range dom {
			total *= len(rng)
			if total > maxEnum {
				throw("function set %s is too large to enumerate", s)
			}
		}
		var out []Value
		idx := make([]int, len(dom))
		if len(rng) == 0 && len(dom) > 0 {
			return emptySet
		}
		for {
			vals := make([]Value, len(dom))
			for i, j := range idx {
				vals[i] = rng[j]
			}
			keys := append([]Value(nil), dom...)
			out = append(out, mkFn(keys, vals))
			k := len(idx) - 1
			for k >= 0 {
				idx[k]++
				if idx[k] < len(rng) {
					break
				}
				idx[k] = 0
				k--
			}
			if k < 0 {
				break
			}
		}
		// The odometer runs over sorted ranges with the domain fixed, so the
		// functions come out in canonical order already.
		return &SetV{elems: out}
	case lzDiff:
		var out []Value
		for _, e := range mustEnum(s.sets[0]).elems {
			if !member(e, s.sets[1]) {
				out = append(out, e)
			}
		}
		return &SetV{elems: out}
	case lzRecSet, lzProduct:
		sets := make([][]Value, len(s.sets))
		total := 1
		for i, x := range s.sets {
			sets[i] = mustEnum(x).elems
			total *= len(sets[i])
			if total > maxEnum {
				throw("set %s is too large to enumerate", s)
			}
		}
		if total == 0 {
			return emptySet
		}
		var out []Value
		idx := make([]int, len(sets))
		for {
			vals := make([]Value, len(sets))
			for i, j := range idx {
				vals[i] = sets[i][j]
			}
			if s.kind == lzRecSet {
				out = append(out, mkRecord(s.fields, vals))
			} else {
				out = append(out, &SeqV{elems: vals})
			}
			k := len(idx) - 1
			for k >= 0 {
				idx[k]++
				if idx[k] < len(sets[k]) {
					break
				}
				idx[k] = 0
				k--
			}
			if k < 0 {
				break
			}
		}
		// records (fields in canonical order) and tuples also come out of the
		// odometer in canonical order
		return &SetV{elems: out}
	}
	throw("cannot enumerate the infinite set %s", s)
	return nil
}

// member is x \in s.
func member(x Value, s Value) bool {
	switch t := s.(type) {
	case *SetV:
		return searchSet(t.elems, x) >= 0
	case *IntervalV:
		n, ok := x.(int64)
		return ok && n >= t.lo && n <= t.hi
	case *LazySetV:
		switch t.kind {
		case lzNat:
			n, ok := x.(int64)
			return ok && n >= 0
		case lzInt:
			_, ok := x.(int64)
			return ok
		case lzString:
			_, ok := x.(string)
			return ok
		case lzSubset:
			xs, ok := x.(*SetV)
			if !ok {
				if !isSet(x) {
					return false
				}
				xs = mustEnum(x)
			}
			for _, e := range xs.elems {
				if !member(e, t.sets[0]) {
					return false
				}
			}
			return true
		case lzSeq:
			q, ok := x.(*SeqV)
			if !ok {
				return false
			}
			for _, e := range q.elems {
				if !member(e, t.sets[0]) {
					return false
				}
			}
			return true
		case lzFnSet:
			keys, vals, ok := fnParts(x)
			if !ok {
				return false
			}
			dom := mustEnum(t.sets[0])
			if len(keys) != len(dom.elems) {
				return false
			}
			for i, k := range keys {
				if !Equal(k, dom.elems[i]) || !member(vals[i], t.sets[1]) {
					return false
				}
			}
			return true
		case lzRecSet:
			f, ok := x.(*FnV)
			if !ok || len(f.keys) != len(t.fields) {
				return false
			}
			for i, name := range t.fields {
				v, ok := recField(f, name)
				if !ok || !member(v, t.sets[i]) {
					return false
				}
			}
			return true
		case lzDiff:
			return member(x, t.sets[0]) && !member(x, t.sets[1])
		case lzProduct:
			q, ok := x.(*SeqV)
			if !ok || len(q.elems) != len(t.sets) {
				return false
			}
			for i, e := range q.elems {
				if !member(e, t.sets[i]) {
					return false
				}
			}
			return true
		}
	}
	throw("expected a set on the right of \\in, found %s", Format(s))
	return false
}

func searchSet(el []Value, x Value) int {
	lo, hi := 0, len(el)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := Compare(el[m], x)
		if c == 0 {
			return m
		}
		if c < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return -1
}

// fnParts returns the sorted domain and values of any function value.
func fnParts(v Value) (keys, vals []Value, ok bool) {
	switch f := v.(type) {
	case *FnV:
		return f.keys, f.vals, true
	case *SeqV:
		keys = make([]Value, len(f.elems))
		for i := range keys {
			keys[i] = int64(i + 1)
		}
		return keys, f.elems, true
	}
	return nil, nil, false
}

func recField(f *FnV, name string) (Value, bool) {
	for i, k := range f.keys {
		if s, ok := k.(string); ok && s == name {
			return f.vals[i], true
		}
	}
	return nil, false
}

// apply is f[x].
func apply(f Value, x Value) Value {
	switch t := f.(type) {
	case *SeqV:
		if n, ok := x.(int64); ok && n >= 1 && n <= int64(len(t.elems)) {
			return t.elems[n-1]
		}
	case *FnV:
		if s, ok := x.(string); ok {
			for i, k := range t.keys {
				if ks, ok := k.(string); ok && ks == s {
					return t.vals[i]
				}
			}
		} else if i := searchSet(t.keys, x); i >= 0 {
			return t.vals[i]
		}
	default:
		throw("cannot apply %s: it is not a function", Format(f))
	}
	throw("%s is not in the domain of %s", Format(x), Format(f))
	return nil
}

// except returns f with f[x] replaced by v.
func except(f Value, x Value, v Value) Value {
	switch t := f.(type) {
	case *SeqV:
		if n, ok := x.(int64); ok && n >= 1 && n <= int64(len(t.elems)) {
			el := make([]Value, len(t.elems))
			copy(el, t.elems)
			el[n-1] = v
			return &SeqV{elems: el}
		}
		return f // TLC: EXCEPT outside the domain leaves the function unchanged
	case *FnV:
		i := searchSet(t.keys, x)
		if i < 0 {
			return f
		}
		vals := make([]Value, len(t.vals))
		copy(vals, t.vals)
		vals[i] = v
		return &FnV{keys: t.keys, vals: vals}
	}
	throw("EXCEPT on %s, which is not a function", Format(f))
	return nil
}

func domain(f Value) Value {
	switch t := f.(type) {
	case *SeqV:
		return &IntervalV{1, int64(len(t.elems))}
	case *FnV:
		return &SetV{elems: t.keys}
	}
	throw("DOMAIN of %s, which is not a function", Format(f))
	return nil
}

func setUnion(a, b Value) Value {
	x, y := mustEnum(a).elems, mustEnum(b).elems
	if len(x) == 0 {
		return mustEnum(b)
	}
	if len(y) == 0 {
		return mustEnum(a)
	}
	out := make([]Value, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		c := Compare(x[i], y[j])
		switch {
		case c < 0:
			out = append(out, x[i])
			i++
		case c > 0:
			out = append(out, y[j])
			j++
		default:
			out = append(out, x[i])
			i++
			j++
		}
	}
	out = append(out, x[i:]...)
	out = append(out, y[j:]...)
	return &SetV{elems: out}
}

// infinite reports whether s is a set that cannot be enumerated.
func infinite(s Value) bool {
	l, ok := s.(*LazySetV)
	if !ok {
		return false
	}
	switch l.kind {
	case lzNat, lzInt, lzString, lzSeq:
		return true
	case lzDiff:
		return infinite(l.sets[0])
	}
	return false
}

func setInter(a, b Value) Value {
	if infinite(a) && !infinite(b) {
		a, b = b, a
	}
	x := mustEnum(a).elems
	var out []Value
	for _, e := range x {
		if member(e, b) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return emptySet
	}
	return &SetV{elems: out}
}

func setDiff(a, b Value) Value {
	if infinite(a) {
		return &LazySetV{kind: lzDiff, sets: []Value{a, b}}
	}
	x := mustEnum(a).elems
	var out []Value
	for _, e := range x {
		if !member(e, b) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return emptySet
	}
	return &SetV{elems: out}
}

func subseteq(a, b Value) bool {
	for _, e := range mustEnum(a).elems {
		if !member(e, b) {
			return false
		}
	}
	return true
}

func cardinality(s Value) int64 {
	if iv, ok := s.(*IntervalV); ok {
		if iv.hi < iv.lo {
			return 0
		}
		return iv.hi - iv.lo + 1
	}
	return int64(len(mustEnum(s).elems))
}

func seqOf(v Value, what string) *SeqV {
	q, ok := v.(*SeqV)
	if !ok {
		throw("%s expects a sequence, found %s", what, Format(v))
	}
	return q
}

func fmtInt(v Value, what string) int64 {
	n, ok := v.(int64)
	if !ok {
		throw("%s expects an integer, found %s", what, Format(v))
	}
	return n
}

func asBool(v Value, what string) bool {
	b, ok := v.(bool)
	if !ok {
		throw("%s must be a Boolean, found %s", what, Format(v))
	}
	return b
}

var _ = fmt.Sprint
