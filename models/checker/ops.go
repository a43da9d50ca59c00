package checker

func (cp *compiler) op(e *Expr, s *scope, md mode) (evalFn, bool) {
	pos := e.Pos
	// An operator symbol the module defines (a ++ b == ...).
	if b, ok := s.lookup(e.Name); ok && b.kind == bLetOp {
		return cp.letCall(b.let, e, s, md)
	}
	if d := s.env.lookupDef(e.Name); d != nil {
		return cp.callDef(d, e.Args, s, md, pos)
	}
	switch e.Name {
	case "'":
		if md != mNormal {
			cerr(pos, "a primed expression inside a primed expression or Init")
		}
		return cp.expr(e.Args[0], s, mPrimed)
	case "UNCHANGED":
		if md != mNormal {
			cerr(pos, "UNCHANGED inside a primed expression or Init")
		}
		a, _ := cp.expr(e.Args[0], s, mNormal)
		b, _ := cp.expr(e.Args[0], s, mPrimed)
		return func(x *ctx) Value { return Equal(a(x), b(x)) }, true
	case "ENABLED":
		if md != mNormal {
			cerr(pos, "ENABLED inside a primed expression or Init")
		}
		a := cp.action(e.Args[0], s, mNormal)
		run := a.run
		nv := len(cp.m.Vars)
		return func(x *ctx) Value {
			saved := x.nxt
			x.nxt = make([]Value, nv)
			found := false
			run(x, func() bool { found = true; return false })
			x.nxt = saved
			return found
		}, true
	case "[]", "<>", "~>", "-+->":
		cerr(pos, "temporal operator %s may appear only in a SPECIFICATION or PROPERTY", e.Name)
	case `/\`, `\/`:
		fs, dyn := cp.list(e.Args, s, md)
		and := e.Name == `/\`
		what := "operand of " + e.Name
		return func(x *ctx) Value {
			for _, f := range fs {
				if boolAt(pos, f(x), what) != and {
					return !and
				}
			}
			return and
		}, dyn
	case "~":
		a, dyn := cp.expr(e.Args[0], s, md)
		return func(x *ctx) Value { return !boolAt(pos, a(x), "operand of ~") }, dyn
	case "-.":
		a, dyn := cp.expr(e.Args[0], s, md)
		return func(x *ctx) Value { return -intAt(pos, a(x)) }, dyn
	case "SUBSET", "UNION", "DOMAIN":
		a, dyn := cp.expr(e.Args[0], s, md)
		switch e.Name {
		case "SUBSET":
			return func(x *ctx) Value {
				v := a(x)
				if !isSet(v) {
					panic(posErr{errAt(pos, "SUBSET of %s, which is not a set", Format(v))})
				}
				return &LazySetV{kind: lzSubset, sets: []Value{v}}
			}, dyn
		case "UNION":
			return func(x *ctx) Value {
				defer atPos(pos)
				var out Value = emptySet
				for _, el := range mustEnum(a(x)).elems {
					out = setUnion(out, el)
				}
				return out
			}, dyn
		default:
			return func(x *ctx) Value {
				defer atPos(pos)
				return domain(a(x))
			}, dyn
		}
	case `\X`:
		fs, dyn := cp.list(e.Args, s, md)
		return func(x *ctx) Value {
			sets := make([]Value, len(fs))
			for i, f := range fs {
				sets[i] = f(x)
			}
			return &LazySetV{kind: lzProduct, sets: sets}
		}, dyn
	}
	if len(e.Args) != 2 {
		cerr(pos, "operator %s is not supported here", e.Name)
	}
	a, d1 := cp.expr(e.Args[0], s, md)
	b, d2 := cp.expr(e.Args[1], s, md)
	dyn := d1 || d2
	switch e.Name {
	case "=>":
		return func(x *ctx) Value {
			if !boolAt(pos, a(x), "left of =>") {
				return true
			}
			return boolAt(pos, b(x), "right of =>")
		}, dyn
	case "<=>":
		return func(x *ctx) Value {
			return boolAt(pos, a(x), "left of <=>") == boolAt(pos, b(x), "right of <=>")
		}, dyn
	case "=":
		return func(x *ctx) Value { return eqAt(pos, a(x), b(x)) }, dyn
	case "#", "/=":
		return func(x *ctx) Value { return !eqAt(pos, a(x), b(x)) }, dyn
	case "<", ">", "<=", "=<", ">=":
		op := e.Name
		return func(x *ctx) Value {
			l, r := intAt(pos, a(x)), intAt(pos, b(x))
			switch op {
			case "<":
				return l < r
			case ">":
				return l > r
			case ">=":
				return l >= r
			}
			return l <= r
		}, dyn
	case "+":
		return func(x *ctx) Value { return intAt(pos, a(x)) + intAt(pos, b(x)) }, dyn
	case "-":
		return func(x *ctx) Value { return intAt(pos, a(x)) - intAt(pos, b(x)) }, dyn
	case "*":
		return func(x *ctx) Value { return intAt(pos, a(x)) * intAt(pos, b(x)) }, dyn
	case `\div`, "%":
		isMod := e.Name == "%"
		return func(x *ctx) Value {
			l, r := intAt(pos, a(x)), intAt(pos, b(x))
			if r == 0 {
				panic(posErr{errAt(pos, "division by zero")})
			}
			q, m := l/r, l%r
			// TLA+ \div and % round toward negative infinity (for r > 0).
			if m != 0 && (m < 0) != (r < 0) {
				q--
				m += r
			}
			if isMod {
				return m
			}
			return q
		}, dyn
	case "^":
		return func(x *ctx) Value {
			l, r := intAt(pos, a(x)), intAt(pos, b(x))
			if r < 0 {
				panic(posErr{errAt(pos, "negative exponent")})
			}
			p := int64(1)
			for i := int64(0); i < r; i++ {
				p *= l
			}
			return p
		}, dyn
	case "..":
		return func(x *ctx) Value { return &IntervalV{intAt(pos, a(x)), intAt(pos, b(x))} }, dyn
	case `\in`, `\notin`:
		neg := e.Name == `\notin`
		if test := cp.memberTest(e.Args[1], s, md, 0); test != nil {
			// x \in {y \in S : P}: test S and P on x, as TLC does, instead of
			// building the filtered set
			return func(x *ctx) Value { return test(x, a(x)) != neg }, dyn
		}
		return func(x *ctx) Value {
			defer atPos(pos)
			return member(a(x), b(x)) != neg
		}, dyn
	case `\subseteq`, `\subset`, `\supseteq`, `\supset`:
		op := e.Name
		return func(x *ctx) Value {
			defer atPos(pos)
			l, r := a(x), b(x)
			if op == `\supseteq` || op == `\supset` {
				l, r = r, l
			}
			if !subseteq(l, r) {
				return false
			}
			if op == `\subset` || op == `\supset` {
				return cardinality(l) != cardinality(r)
			}
			return true
		}, dyn
	case `\cup`:
		return func(x *ctx) Value { defer atPos(pos); return setUnion(a(x), b(x)) }, dyn
	case `\cap`:
		return func(x *ctx) Value { defer atPos(pos); return setInter(a(x), b(x)) }, dyn
	case `\`:
		return func(x *ctx) Value { defer atPos(pos); return setDiff(a(x), b(x)) }, dyn
	case `\o`:
		return func(x *ctx) Value {
			defer atPos(pos)
			l, r := seqOf(a(x), `\o`), seqOf(b(x), `\o`)
			el := make([]Value, 0, len(l.elems)+len(r.elems))
			return &SeqV{elems: append(append(el, l.elems...), r.elems...)}
		}, dyn
	case ":>":
		return func(x *ctx) Value { return mkFn([]Value{a(x)}, []Value{b(x)}) }, dyn
	case "@@":
		return func(x *ctx) Value {
			defer atPos(pos)
			lk, lv, ok1 := fnParts(a(x))
			rk, rv, ok2 := fnParts(b(x))
			if !ok1 || !ok2 {
				throw("@@ expects two functions")
			}
			keys := append([]Value(nil), lk...)
			vals := append([]Value(nil), lv...)
			for i, k := range rk {
				if searchSet(lk, k) < 0 {
					keys, vals = append(keys, k), append(vals, rv[i])
				}
			}
			return mkFn(keys, vals)
		}, dyn
	}
	cerr(pos, "operator %s is not supported", e.Name)
	return nil, false
}

func intAt(pos Pos, v Value) int64 {
	n, ok := v.(int64)
	if !ok {
		panic(posErr{errAt(pos, "expected an integer, found %s", Format(v))})
	}
	return n
}

func eqAt(pos Pos, a, b Value) bool {
	defer atPos(pos)
	return Equal(a, b)
}

// memberTest compiles "v \in set" for a set-filter expression (directly, or
// through parameterless definitions) into a test that never enumerates the
// set; nil when set is not such an expression.
func (cp *compiler) memberTest(set *Expr, s *scope, md mode, depth int) func(x *ctx, v Value) bool {
	if depth > 8 {
		return nil
	}
	switch set.Kind {
	case eSetFilter:
		b := set.Bounds[0]
		base, _ := cp.expr(b.Set, s, md)
		ns := s.child()
		slots := cp.bindNames(b, ns)
		pred, _ := cp.expr(set.Args[0], ns, md)
		pos, tuple := set.Pos, b.Tuple
		return func(x *ctx, v Value) bool {
			in := func() bool { defer atPos(pos); return member(v, base(x)) }()
			if !in {
				return false
			}
			bindVal(x, slots, tuple, v, pos)
			return boolAt(pos, pred(x), "set filter predicate")
		}
	case eName:
		if len(set.Args) > 0 || set.Other != nil {
			return nil
		}
		if _, local := s.lookup(set.Name); local {
			return nil
		}
		d := s.env.lookupDef(set.Name)
		if d == nil || d.inst != nil || d.def.Body == nil || len(d.def.Params) > 0 || len(d.def.FnBounds) > 0 {
			return nil
		}
		if _, over := cp.m.constVals[set.Name]; over {
			return nil
		}
		if _, over := cp.m.constAlias[set.Name]; over {
			return nil
		}
		fr := &frame{}
		sc := &scope{names: map[string]binding{}, fr: fr, env: d.env}
		inner := cp.memberTest(d.def.Body, sc, md, depth+1)
		if inner == nil {
			return nil
		}
		return func(x *ctx, v Value) bool {
			nb := x.push(fr.size)
			saved := x.base
			x.base = nb
			r := inner(x, v)
			x.base = saved
			x.sp = nb
			return r
		}
	}
	return nil
}
