package checker

import (
	"fmt"
)

// evalFn is a compiled expression.
type evalFn func(c *ctx) Value

// ctx is the evaluation state of one worker: the current and next state and
// a stack of local slots. Compiled closures index locals by base+slot, so a
// call costs a few stores and no maps.
type ctx struct {
	cur, nxt []Value
	locals   []Value
	base, sp int
	depth    int          // nested operator calls, bounded so runaway recursion is an error
	out      func(string) // Print output
	fnCache  map[*compiledOp]fnCacheEntry
}

// fnCacheEntry is a recursive function's value for one current state.
type fnCacheEntry struct {
	state *Value
	val   Value
}

// maxCallDepth bounds recursion: a RECURSIVE definition without a base case
// must be an error at its place, not a crash of the Go stack.
const maxCallDepth = 20000

func (c *ctx) enter(pos Pos) {
	c.depth++
	if c.depth > maxCallDepth {
		c.depth = 0
		panic(posErr{errAt(pos, "more than %d nested operator calls (a recursion without a base case?)", maxCallDepth)})
	}
}

func newCtx(nvars int) *ctx {
	return &ctx{nxt: make([]Value, nvars), locals: make([]Value, 1024)}
}

// grow makes room for n slots above sp and returns the new frame's base.
func (c *ctx) push(n int) int {
	b := c.sp
	if b+n > len(c.locals) {
		nl := make([]Value, 2*(b+n))
		copy(nl, c.locals)
		c.locals = nl
	}
	c.sp = b + n
	return b
}

type mode uint8

const (
	mNormal mode = iota // x is this state, x' the next
	mPrimed             // inside e': x means the next state
	mInit               // Init: x is the state being built
)

// frame counts the local slots one activation needs.
type frame struct{ size int }

func (f *frame) alloc() int { f.size++; return f.size - 1 }

type bindKind int

const (
	bLocal     bindKind = iota
	bOpParam            // an operator passed as an argument
	bLetOp              // LET definition
	bAlias              // a parameter bound by name to x' (TLC substitutes such arguments)
	bActionArg          // a parameter bound by name to an action argument of the caller
)

type binding struct {
	kind  bindKind
	slot  int
	arity int
	let   *letDef
	alias *Expr // bAlias: the argument expression, which reads no locals
	aenv  *env  // bAlias: the environment it is resolved in
	// bActionArg: the argument is compiled in the caller's scope and run
	// in the caller's frame, whose base the callee keeps in slot
	ascope *scope
}

// scope maps names to local bindings; env holds the module-level names.
type scope struct {
	parent *scope
	names  map[string]binding
	fr     *frame
	env    *env
}

func (s *scope) lookup(n string) (binding, bool) {
	for t := s; t != nil; t = t.parent {
		if b, ok := t.names[n]; ok {
			return b, true
		}
	}
	return binding{}, false
}

func (s *scope) child() *scope {
	return &scope{parent: s, names: map[string]binding{}, fr: s.fr, env: s.env}
}

func (s *scope) bind(n string) int {
	slot := s.fr.alloc()
	s.names[n] = binding{kind: bLocal, slot: slot}
	return slot
}

// letDef is a LET definition; its body is compiled per frame and mode.
type letDef struct {
	def     *Def
	sc      *scope // where it was defined
	visible int    // slots of the defining frame it may read
	// zero-parameter definitions evaluate in the caller's frame
	byFrame map[frameMode]evalFn
	// definitions with parameters get their own frame
	op map[mode]*compiledOp
	// f[x \in S] == e used as an action (f[v] in Next)
	fnAct map[mode]*fnAction
}

type frameMode struct {
	fr *frame
	m  mode
}

// compiledOp is an operator body compiled for one mode.
type compiledOp struct {
	fn     evalFn
	act    *action
	fr     *frame
	dyn    bool
	done   bool
	konst  Value // the value, when the body is constant
	hasKon bool
}

// compiler turns expressions into closures for one model.
type compiler struct {
	m *Model
	// reads logs every local slot a compiled closure reads, so expr can
	// tell whether a subexpression depends on names bound outside it.
	reads []slotRead
	// positionals caches the definitions made for Op!n
	positionals map[string]*defInfo
}

type slotRead struct {
	fr   *frame
	slot int
}

func (cp *compiler) readSlot(s *scope, slot int) {
	cp.reads = append(cp.reads, slotRead{s.fr, slot})
}

// cerr raises a compile error at pos.
func cerr(pos Pos, format string, a ...any) {
	panic(bailout{errAt(pos, format, a...)})
}

// posErr is an evaluation error with the place it happened.
type posErr struct{ err *Error }

// atPos converts an evalErr raised below into an error at pos.
func atPos(pos Pos) {
	if r := recover(); r != nil {
		if e, ok := r.(evalErr); ok {
			panic(posErr{errAt(pos, "%s", e.msg)})
		}
		panic(r)
	}
}

func guarded(pos Pos, f evalFn) evalFn {
	return func(c *ctx) Value {
		defer atPos(pos)
		return f(c)
	}
}

// expr compiles e; dyn reports whether its value can change between
// evaluations (it reads state, locals, or has effects). Constant
// subexpressions are folded once.
func (cp *compiler) expr(e *Expr, s *scope, md mode) (evalFn, bool) {
	mark, start := len(cp.reads), s.fr.size
	f, dyn := cp.expr1(e, s, md)
	outer := false
	for _, r := range cp.reads[mark:] {
		if r.fr != s.fr || r.slot < start {
			outer = true
			break
		}
	}
	if !dyn && !outer {
		if v, ok := cp.tryConst(f); ok {
			return func(*ctx) Value { return v }, false
		}
	}
	return f, dyn
}

func (cp *compiler) tryConst(f evalFn) (v Value, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			switch r.(type) {
			case evalErr, posErr:
				ok = false
			default:
				panic(r)
			}
		}
	}()
	c := newCtx(len(cp.m.Vars))
	return f(c), true
}

func constFn(v Value) evalFn { return func(*ctx) Value { return v } }

func (cp *compiler) expr1(e *Expr, s *scope, md mode) (evalFn, bool) {
	switch e.Kind {
	case eNum:
		return constFn(e.Num), false
	case eStr:
		return constFn(e.Str), false
	case eBool:
		return constFn(e.Num != 0), false
	case eName:
		return cp.name(e, s, md)
	case eOp:
		return cp.op(e, s, md)
	case eIf:
		c, d1 := cp.expr(e.Args[0], s, md)
		a, d2 := cp.expr(e.Args[1], s, md)
		b, d3 := cp.expr(e.Args[2], s, md)
		pos := e.Args[0].Pos
		return func(x *ctx) Value {
			if boolAt(pos, c(x), "IF condition") {
				return a(x)
			}
			return b(x)
		}, d1 || d2 || d3
	case eCase:
		var guards, vals []evalFn
		dyn := false
		for i := 0; i < len(e.Args); i += 2 {
			g, d1 := cp.expr(e.Args[i], s, md)
			v, d2 := cp.expr(e.Args[i+1], s, md)
			guards, vals = append(guards, g), append(vals, v)
			dyn = dyn || d1 || d2
		}
		var other evalFn
		if e.Other != nil {
			o, d := cp.expr(e.Other, s, md)
			other, dyn = o, dyn || d
		}
		pos := e.Pos
		return func(x *ctx) Value {
			for i, g := range guards {
				if boolAt(pos, g(x), "CASE guard") {
					return vals[i](x)
				}
			}
			if other == nil {
				panic(posErr{errAt(pos, "no CASE guard is true and there is no OTHER arm")})
			}
			return other(x)
		}, dyn
	case eLet:
		ns := cp.letScope(e, s)
		return cp.expr(e.Args[0], ns, md)
	case eChoose:
		b := e.Bounds[0]
		if b.Set == nil {
			cerr(e.Pos, "CHOOSE without a bound set (CHOOSE x : P) cannot be evaluated; bound it or override it in the .cfg")
		}
		set, d1 := cp.expr(b.Set, s, md)
		ns := s.child()
		slots := cp.bindNames(b, ns)
		pred, d2 := cp.expr(e.Args[0], ns, md)
		pos, tuple := e.Pos, b.Tuple
		return func(x *ctx) Value {
			for _, v := range enumAt(pos, set(x)) {
				bindVal(x, slots, tuple, v, pos)
				if boolAt(pos, pred(x), "CHOOSE predicate") {
					return v
				}
			}
			panic(posErr{errAt(pos, "CHOOSE found no element satisfying the predicate")})
		}, d1 || d2
	case eForall, eExists:
		return cp.quant(e, s, md)
	case eSetEnum:
		fs, dyn := cp.list(e.Args, s, md)
		return func(x *ctx) Value {
			el := make([]Value, len(fs))
			for i, f := range fs {
				el[i] = f(x)
			}
			return mkSet(el)
		}, dyn
	case eTuple:
		fs, dyn := cp.list(e.Args, s, md)
		return func(x *ctx) Value {
			el := make([]Value, len(fs))
			for i, f := range fs {
				el[i] = canon(f(x))
			}
			return &SeqV{elems: el}
		}, dyn
	case eSetFilter:
		b := e.Bounds[0]
		set, d1 := cp.expr(b.Set, s, md)
		ns := s.child()
		slots := cp.bindNames(b, ns)
		pred, d2 := cp.expr(e.Args[0], ns, md)
		pos, tuple := e.Pos, b.Tuple
		return func(x *ctx) Value {
			var out []Value
			for _, v := range enumAt(pos, set(x)) {
				bindVal(x, slots, tuple, v, pos)
				if boolAt(pos, pred(x), "set filter predicate") {
					out = append(out, v)
				}
			}
			if len(out) == 0 {
				return emptySet
			}
			return &SetV{elems: out}
		}, d1 || d2
	case eSetMap:
		ns := s.child()
		it, d1 := cp.iterator(e.Bounds, s, ns, md)
		body, d2 := cp.expr(e.Args[0], ns, md)
		return func(x *ctx) Value {
			var out []Value
			it(x, func() bool { out = append(out, body(x)); return true })
			return mkSet(out)
		}, d1 || d2
	case eFnCons:
		ns := s.child()
		it, d1 := cp.iterator(e.Bounds, s, ns, md)
		body, d2 := cp.expr(e.Args[0], ns, md)
		keyf := cp.boundKey(e.Bounds, ns)
		return func(x *ctx) Value {
			var keys, vals []Value
			it(x, func() bool {
				keys = append(keys, keyf(x))
				vals = append(vals, body(x))
				return true
			})
			return mkFn(keys, vals)
		}, d1 || d2
	case eFnSet:
		a, d1 := cp.expr(e.Args[0], s, md)
		b, d2 := cp.expr(e.Args[1], s, md)
		return func(x *ctx) Value {
			return &LazySetV{kind: lzFnSet, sets: []Value{a(x), b(x)}}
		}, d1 || d2
	case eRecord:
		fs, dyn := cp.list(e.Args, s, md)
		fields := e.Fields
		return func(x *ctx) Value {
			vals := make([]Value, len(fs))
			for i, f := range fs {
				vals[i] = f(x)
			}
			return mkRecord(fields, vals)
		}, dyn
	case eRecordSet:
		fs, dyn := cp.list(e.Args, s, md)
		fields := e.Fields
		return func(x *ctx) Value {
			vals := make([]Value, len(fs))
			for i, f := range fs {
				vals[i] = f(x)
			}
			// keep fields and sets in the record's canonical field order
			r := mkRecord(fields, vals).(*FnV)
			names := make([]string, len(r.keys))
			for i, k := range r.keys {
				names[i] = k.(string)
			}
			return &LazySetV{kind: lzRecSet, fields: names, sets: r.vals}
		}, dyn
	case eExcept:
		return cp.except(e, s, md)
	case eApply:
		return cp.applyExpr(e, s, md)
	case eDot:
		r, dyn := cp.expr(e.Args[0], s, md)
		field := e.Str
		pos := e.Pos
		return func(x *ctx) Value {
			v := r(x)
			if f, ok := v.(*FnV); ok {
				if fv, ok := recField(f, field); ok {
					return fv
				}
			}
			panic(posErr{errAt(pos, "record %s has no field %q", Format(v), field)})
		}, dyn
	case eAt:
		b, ok := s.lookup("@")
		if !ok {
			cerr(e.Pos, "@ used outside an EXCEPT clause")
		}
		slot := b.slot
		cp.readSlot(s, slot)
		return func(x *ctx) Value { return x.locals[x.base+slot] }, false
	case eBoxAction, eAngleAction:
		a := cp.action(e, s, md)
		return cp.actionAsValue(a), true
	case eLambda:
		cerr(e.Pos, "LAMBDA may appear only as the argument of an operator parameter")
	case eFair:
		cerr(e.Pos, "%s_ is a temporal formula; it may appear only in a SPECIFICATION or PROPERTY", e.Name)
	}
	cerr(e.Pos, "unsupported expression")
	return nil, false
}

func boolAt(pos Pos, v Value, what string) bool {
	b, ok := v.(bool)
	if !ok {
		panic(posErr{errAt(pos, "%s must be a Boolean, found %s", what, Format(v))})
	}
	return b
}

func enumAt(pos Pos, v Value) []Value {
	defer atPos(pos)
	return mustEnum(v).elems
}

func (cp *compiler) list(es []*Expr, s *scope, md mode) ([]evalFn, bool) {
	out := make([]evalFn, len(es))
	dyn := false
	for i, a := range es {
		f, d := cp.expr(a, s, md)
		out[i] = f
		dyn = dyn || d
	}
	return out, dyn
}

// bindNames allocates slots for the names of one bound.
func (cp *compiler) bindNames(b Bound, s *scope) []int {
	slots := make([]int, len(b.Names))
	for i, n := range b.Names {
		slots[i] = s.bind(n)
	}
	return slots
}

// bindVal stores v into slots (one name, or the components of a tuple).
func bindVal(c *ctx, slots []int, tuple bool, v Value, pos Pos) {
	if !tuple {
		c.locals[c.base+slots[0]] = v
		return
	}
	q, ok := v.(*SeqV)
	if !ok || len(q.elems) != len(slots) {
		panic(posErr{errAt(pos, "cannot bind %s to a tuple of %d names", Format(v), len(slots))})
	}
	for i, sl := range slots {
		c.locals[c.base+sl] = q.elems[i]
	}
}

// iterator compiles the bounds "x \in S, y, z \in T" into a function that
// binds every combination in order and calls body; body returns false to stop.
func (cp *compiler) iterator(bounds []Bound, outer, ns *scope, md mode) (func(c *ctx, body func() bool) bool, bool) {
	type one struct {
		set   evalFn
		slot  int
		tuple []int
		pos   Pos
	}
	var ones []one
	dyn := false
	for _, b := range bounds {
		// the sets of a bound list are evaluated outside the new names (TLA+ scoping)
		set, d := cp.expr(b.Set, outer, md)
		dyn = dyn || d
		if b.Tuple {
			slots := cp.bindNames(b, ns)
			ones = append(ones, one{set: set, tuple: slots, pos: b.Pos})
			continue
		}
		for _, n := range b.Names {
			ones = append(ones, one{set: set, slot: ns.bind(n), pos: b.Pos})
		}
	}
	var rec func(c *ctx, i int, body func() bool) bool
	rec = func(c *ctx, i int, body func() bool) bool {
		if i == len(ones) {
			return body()
		}
		o := ones[i]
		for _, v := range enumAt(o.pos, o.set(c)) {
			if o.tuple != nil {
				bindVal(c, o.tuple, true, v, o.pos)
			} else {
				c.locals[c.base+o.slot] = v
			}
			if !rec(c, i+1, body) {
				return false
			}
		}
		return true
	}
	return func(c *ctx, body func() bool) bool { return rec(c, 0, body) }, dyn
}

// boundKey returns the domain element for the current binding of bounds:
// the value itself for one name, a tuple for several.
func (cp *compiler) boundKey(bounds []Bound, ns *scope) evalFn {
	var slots []int
	for _, b := range bounds {
		for _, n := range b.Names {
			bd, _ := ns.lookup(n)
			slots = append(slots, bd.slot)
		}
	}
	if len(slots) == 1 && !bounds[0].Tuple {
		sl := slots[0]
		return func(c *ctx) Value { return c.locals[c.base+sl] }
	}
	return func(c *ctx) Value {
		el := make([]Value, len(slots))
		for i, sl := range slots {
			el[i] = c.locals[c.base+sl]
		}
		return &SeqV{elems: el}
	}
}

func (cp *compiler) quant(e *Expr, s *scope, md mode) (evalFn, bool) {
	ns := s.child()
	it, d1 := cp.iterator(e.Bounds, s, ns, md)
	body, d2 := cp.expr(e.Args[0], ns, md)
	pos := e.Pos
	dyn := d1 || d2
	if e.Kind == eForall {
		return func(x *ctx) Value {
			ok := true
			it(x, func() bool {
				if !boolAt(pos, body(x), "\\A body") {
					ok = false
				}
				return ok
			})
			return ok
		}, dyn
	}
	return func(x *ctx) Value {
		found := false
		it(x, func() bool {
			if boolAt(pos, body(x), "\\E body") {
				found = true
			}
			return !found
		})
		return found
	}, dyn
}

// letScope registers LET definitions in a new scope.
func (cp *compiler) letScope(e *Expr, s *scope) *scope {
	ns := s.child()
	for _, d := range e.Defs {
		if d.Inst != nil {
			cerr(d.Pos, "INSTANCE inside LET is not supported")
		}
		ld := &letDef{def: d, sc: ns, visible: s.fr.size, byFrame: map[frameMode]evalFn{}, op: map[mode]*compiledOp{}, fnAct: map[mode]*fnAction{}}
		ns.names[d.Name] = binding{kind: bLetOp, let: ld, arity: len(d.Params)}
	}
	return ns
}

func (cp *compiler) except(e *Expr, s *scope, md mode) (evalFn, bool) {
	base, dyn := cp.expr(e.Args[0], s, md)
	type clause struct {
		path   []evalFn // nil entry: field
		fields []string
		val    evalFn
		atSlot int
	}
	var cls []clause
	for _, ex := range e.Excepts {
		var cl clause
		for _, pe := range ex.Path {
			if pe.Index != nil {
				f, d := cp.expr(pe.Index, s, md)
				dyn = dyn || d
				cl.path = append(cl.path, f)
				cl.fields = append(cl.fields, "")
			} else {
				cl.path = append(cl.path, nil)
				cl.fields = append(cl.fields, pe.Field)
			}
		}
		ns := s.child()
		cl.atSlot = ns.bind("@")
		var d bool
		cl.val, d = cp.expr(ex.Val, ns, md)
		dyn = dyn || d
		cls = append(cls, cl)
	}
	pos := e.Pos
	var upd func(x *ctx, f Value, cl *clause, keys []Value, i int) Value
	upd = func(x *ctx, f Value, cl *clause, keys []Value, i int) Value {
		if i == len(keys) {
			x.locals[x.base+cl.atSlot] = f
			return cl.val(x)
		}
		old := apply(f, keys[i])
		return except(f, keys[i], upd(x, old, cl, keys, i+1))
	}
	return func(x *ctx) Value {
		defer atPos(pos)
		f := base(x)
		for ci := range cls {
			cl := &cls[ci]
			keys := make([]Value, len(cl.path))
			for i, p := range cl.path {
				if p == nil {
					keys[i] = cl.fields[i]
				} else {
					keys[i] = p(x)
				}
			}
			// A path outside the domain leaves the function unchanged (TLC).
			if !inDomainPath(f, keys) {
				continue
			}
			f = upd(x, f, cl, keys, 0)
		}
		return f
	}, dyn
}

func inDomainPath(f Value, keys []Value) bool {
	for _, k := range keys {
		switch t := f.(type) {
		case *SeqV:
			n, ok := k.(int64)
			if !ok || n < 1 || n > int64(len(t.elems)) {
				return false
			}
			f = t.elems[n-1]
		case *FnV:
			i := -1
			if ks, ok := k.(string); ok {
				for j, kk := range t.keys {
					if s2, ok := kk.(string); ok && s2 == ks {
						i = j
						break
					}
				}
			} else {
				i = searchSet(t.keys, k)
			}
			if i < 0 {
				return false
			}
			f = t.vals[i]
		default:
			return false
		}
	}
	return true
}

func (cp *compiler) applyExpr(e *Expr, s *scope, md mode) (evalFn, bool) {
	// f[x] where f is a LET function definition f[x \in S] == ...
	if n := e.Args[0]; n.Kind == eName && len(n.Args) == 0 {
		if b, ok := s.lookup(n.Name); ok && b.kind == bLetOp && len(b.let.def.FnBounds) > 0 {
			argE := e.Args[1]
			if len(e.Args) > 2 {
				argE = &Expr{Kind: eTuple, Pos: e.Pos, Args: e.Args[1:]}
			}
			arg, _ := cp.expr(argE, s, md)
			cp.readSlot(s, 0)
			return cp.letFnCall(b.let, arg, md, e.Pos), true
		}
	}
	// f[x] where f is a recursive function definition f[x \in S] == ...
	if n := e.Args[0]; n.Kind == eName && len(n.Args) == 0 {
		if _, local := s.lookup(n.Name); !local {
			if d := s.env.lookupDef(n.Name); d != nil && len(d.def.FnBounds) > 0 {
				args := e.Args[1:]
				if len(args) > 1 {
					args = []*Expr{{Kind: eTuple, Pos: e.Pos, Args: args}}
				}
				return cp.callDef(d, args, s, md, e.Pos)
			}
		}
	}
	f, d1 := cp.expr(e.Args[0], s, md)
	var arg evalFn
	d2 := false
	if len(e.Args) == 2 {
		arg, d2 = cp.expr(e.Args[1], s, md)
	} else {
		arg, d2 = cp.expr(&Expr{Kind: eTuple, Pos: e.Pos, Args: e.Args[1:]}, s, md)
	}
	pos := e.Pos
	return func(x *ctx) Value {
		defer atPos(pos)
		return apply(f(x), arg(x))
	}, d1 || d2
}

// actionAsValue evaluates an action as a Boolean: does some assignment of
// the unassigned primed variables satisfy it?
func (cp *compiler) actionAsValue(a *action) evalFn {
	if a.guard != nil {
		return a.guard
	}
	run := a.run
	return func(x *ctx) Value {
		found := false
		run(x, func() bool { found = true; return false })
		return found
	}
}

var _ = fmt.Sprintf
