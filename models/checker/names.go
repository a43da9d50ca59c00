package checker

import (
	"fmt"
	"strconv"
)

// env is the module-level naming environment: the root module (with what
// it EXTENDS) or an INSTANCE of another module, whose declared constants and
// variables are substituted by expressions of the instantiating module.
type env struct {
	module   string // the instanced module's name ("" for the root)
	defs     map[string]*defInfo
	outer    *env
	subst    map[string]*Expr
	declared map[string]bool
	m        *Model
}

// defInfo is one top-level definition and its compiled forms.
type defInfo struct {
	def  *Def
	env  *env
	ops  map[mode]*compiledOp
	acts map[mode]*compiledOp
	inst *env // N == INSTANCE M: the instance's environment
}

func (e *env) lookupDef(n string) *defInfo {
	for ev := e; ev != nil; {
		if d, ok := ev.defs[n]; ok {
			return d
		}
		if ev.declared[n] && ev.subst[n] == nil {
			ev = ev.outer
			continue
		}
		return nil
	}
	return nil
}

func (cp *compiler) name(e *Expr, s *scope, md mode) (evalFn, bool) {
	if b, ok := s.lookup(e.Name); ok {
		switch b.kind {
		case bLocal:
			if len(e.Args) > 0 {
				cerr(e.Pos, "%s is a value, not an operator; it takes no arguments", e.Name)
			}
			slot := b.slot
			cp.readSlot(s, slot)
			return func(x *ctx) Value { return x.locals[x.base+slot] }, false
		case bOpParam:
			slot := b.slot
			cp.readSlot(s, slot)
			if len(e.Args) == 0 {
				return func(x *ctx) Value { return x.locals[x.base+slot] }, false
			}
			if len(e.Args) != b.arity {
				cerr(e.Pos, "operator parameter %s takes %d arguments, given %d", e.Name, b.arity, len(e.Args))
			}
			args, _ := cp.list(e.Args, s, md)
			pos := e.Pos
			return func(x *ctx) Value {
				op, ok := x.locals[x.base+slot].(*OpV)
				if !ok {
					panic(posErr{errAt(pos, "%s was not given an operator", e.Name)})
				}
				vals := make([]Value, len(args))
				for i, a := range args {
					vals[i] = a(x)
				}
				return op.call(x, vals)
			}, true
		case bLetOp:
			return cp.letCall(b.let, e, s, md)
		case bAlias:
			return cp.expr(b.alias, &scope{names: map[string]binding{}, fr: s.fr, env: b.aenv}, md)
		case bActionArg:
			f, _ := cp.expr(b.alias, b.ascope, md)
			slot := b.slot
			cp.readSlot(s, slot)
			return func(x *ctx) Value {
				cb := x.base
				x.base = int(x.locals[cb+slot].(int64))
				v := f(x)
				x.base = cb
				return v
			}, true
		}
	}
	if e.Other != nil {
		return cp.instanceName(e, s, md)
	}
	return cp.envName(e, s, s.env, md)
}

// envName resolves a name through the module environments.
func (cp *compiler) envName(e *Expr, s *scope, ev *env, md mode) (evalFn, bool) {
	for ev != nil {
		if ev.outer == nil {
			break
		}
		// NAME <- [Module] Def in the config replaces a definition of Module
		if alias, ok := cp.m.Cfg.ModAliases[ev.module][e.Name]; ok {
			if d := cp.m.root.defs[alias]; d != nil {
				return cp.useDef(d, e, s, md)
			}
		}
		if d, ok := ev.defs[e.Name]; ok {
			return cp.useDef(d, e, s, md)
		}
		if sub, ok := ev.subst[e.Name]; ok {
			ns := &scope{names: map[string]binding{}, fr: s.fr, env: ev.outer}
			return cp.expr(sub, ns, md)
		}
		if ev.declared[e.Name] {
			ev = ev.outer
			continue
		}
		// a standard-module operator; the config may override it (Seq <- BoundedSeq)
		if alias, ok := cp.m.constAlias[e.Name]; ok {
			if d := cp.m.root.defs[alias]; d != nil {
				return cp.useDef(d, e, s, md)
			}
		}
		return cp.builtinOrFail(e, s, md)
	}
	m := cp.m
	if v, ok := m.constVals[e.Name]; ok {
		if len(e.Args) > 0 {
			cerr(e.Pos, "constant %s takes no arguments", e.Name)
		}
		return constFn(v), false
	}
	if alias, ok := m.constAlias[e.Name]; ok {
		d := m.root.defs[alias]
		if d == nil {
			cerr(e.Pos, "%s is overridden by %s in the config, which is not defined", e.Name, alias)
		}
		return cp.useDef(d, e, s, md)
	}
	if d, ok := ev.defs[e.Name]; ok {
		return cp.useDef(d, e, s, md)
	}
	if i, ok := m.varIdx[e.Name]; ok {
		if len(e.Args) > 0 {
			cerr(e.Pos, "variable %s takes no arguments", e.Name)
		}
		name := e.Name
		pos := e.Pos
		switch md {
		case mNormal:
			return func(x *ctx) Value { return x.cur[i] }, true
		default:
			return func(x *ctx) Value {
				v := x.nxt[i]
				if v == nil {
					if md == mInit {
						panic(posErr{errAt(pos, "variable %s is read before Init assigns it", name)})
					}
					panic(posErr{errAt(pos, "%s' is read before the action assigns it", name)})
				}
				return v
			}, true
		}
	}
	if m.declaredConst[e.Name] {
		cerr(e.Pos, "constant %s has no value: assign it in the .cfg (CONSTANT %s = ...)", e.Name, e.Name)
	}
	return cp.builtinOrFail(e, s, md)
}

func (cp *compiler) builtinOrFail(e *Expr, s *scope, md mode) (evalFn, bool) {
	if f, dyn, ok := cp.builtin(e, s, md); ok {
		return f, dyn
	}
	cerr(e.Pos, "unknown name %s", e.Name)
	return nil, false
}

func (cp *compiler) instanceName(e *Expr, s *scope, md mode) (evalFn, bool) {
	inst := e.Other
	if n, err := strconv.Atoi(e.Name[len(inst.Name)+1:]); err == nil {
		return cp.positional(e, inst, n, s, md)
	}
	d := s.env.lookupDef(inst.Name)
	if d == nil || d.inst == nil {
		cerr(e.Pos, "%s is not a named INSTANCE", inst.Name)
	}
	if len(inst.Args) > 0 {
		cerr(e.Pos, "parameterised INSTANCE is not supported")
	}
	name := e.Name[len(inst.Name)+1:]
	od, ok := d.inst.defs[name]
	if !ok {
		cerr(e.Pos, "module instance %s has no definition %s", inst.Name, name)
	}
	ne := *e
	ne.Name = name
	ne.Other = nil
	return cp.useDef(od, &ne, s, md)
}

// compileDef compiles a top-level definition's body in its own frame.
func (cp *compiler) compileDef(d *defInfo, md mode) *compiledOp {
	if co, ok := d.ops[md]; ok {
		return co
	}
	co := &compiledOp{fr: &frame{}}
	d.ops[md] = co
	sc := &scope{names: map[string]binding{}, fr: co.fr, env: d.env}
	cp.bindParams(d.def, sc)
	mark := len(cp.reads)
	co.fn, co.dyn = cp.expr(d.def.Body, sc, md)
	cp.reads = cp.reads[:mark]
	co.done = true
	return co
}

func (cp *compiler) bindParams(d *Def, sc *scope) {
	for _, p := range d.Params {
		slot := sc.fr.alloc()
		if p.Arity > 0 {
			sc.names[p.Name] = binding{kind: bOpParam, slot: slot, arity: p.Arity}
		} else {
			sc.names[p.Name] = binding{kind: bLocal, slot: slot}
		}
	}
	if len(d.FnBounds) > 0 {
		// f[x \in S] == e: compiled as an operator of one argument, the key.
		sc.fr.alloc() // slot 0 holds the key
		for _, b := range d.FnBounds {
			for _, n := range b.Names {
				sc.names[n] = binding{kind: bLocal, slot: sc.fr.alloc()}
			}
		}
	}
}

// useDef compiles a reference to a top-level definition.
func (cp *compiler) useDef(d *defInfo, e *Expr, s *scope, md mode) (evalFn, bool) {
	if d.inst != nil {
		cerr(e.Pos, "%s is a module instance; use %s!Name", e.Name, e.Name)
	}
	if len(d.def.FnBounds) > 0 && len(e.Args) == 0 {
		return cp.wholeFn(d, s, md, e.Pos)
	}
	return cp.callDef(d, e.Args, s, md, e.Pos)
}

func (cp *compiler) callDef(d *defInfo, argExprs []*Expr, s *scope, md mode, pos Pos) (evalFn, bool) {
	def := d.def
	nparams := len(def.Params)
	if len(def.FnBounds) > 0 {
		nparams = 1
	}
	if len(argExprs) != nparams {
		cerr(pos, "%s takes %d arguments, given %d", def.Name, nparams, len(argExprs))
	}
	co := cp.compileDef(d, md)
	args := make([]evalFn, len(argExprs))
	dyn := !co.done || co.dyn
	for i, a := range argExprs {
		if i < len(def.Params) && def.Params[i].Arity > 0 {
			args[i] = cp.opArg(a, def.Params[i].Arity, s, md)
			continue
		}
		f, d := cp.expr(a, s, md)
		args[i], dyn = f, dyn || d
	}
	if nparams == 0 {
		if co.done && !co.dyn {
			if !co.hasKon {
				if v, ok := cp.tryConst(func(x *ctx) Value { return invoke0(x, co) }); ok {
					co.konst, co.hasKon = v, true
				}
			}
			if co.hasKon {
				v := co.konst
				return constFn(v), false
			}
		}
		return func(x *ctx) Value { return invoke0(x, co) }, dyn
	}
	if len(def.FnBounds) > 0 {
		b := def.FnBounds
		arg := args[0]
		return func(x *ctx) Value {
			key := arg(x)
			nb := x.push(co.fr.size)
			saved := x.base
			x.base = nb
			bindFnKey(x, b, key, pos)
			x.enter(pos)
			v := co.fn(x)
			x.depth--
			x.base = saved
			x.sp = nb
			return v
		}, dyn
	}
	return func(x *ctx) Value {
		nb := x.push(co.fr.size)
		for i, a := range args {
			x.locals[nb+i] = a(x)
		}
		saved := x.base
		x.base = nb
		x.enter(pos)
		v := co.fn(x)
		x.depth--
		x.base = saved
		x.sp = nb
		return v
	}, dyn
}

func invoke0(x *ctx, co *compiledOp) Value {
	nb := x.push(co.fr.size)
	saved := x.base
	x.base = nb
	v := co.fn(x)
	x.base = saved
	x.sp = nb
	return v
}

// fnComponents is how many components the key of f[bounds] has: one per
// name, except that a tuple bound <<a, b>> \in S is one component.
func fnComponents(bounds []Bound) int {
	n := 0
	for _, b := range bounds {
		if b.Tuple {
			n++
		} else {
			n += len(b.Names)
		}
	}
	return n
}

// bindFnKey binds the names of f[x \in S, <<y, z>> \in T] to a key: slot 0
// holds the key, the names follow in order.
func bindFnKey(x *ctx, bounds []Bound, key Value, pos Pos) { bindFnKeyAt(x, 0, bounds, key, pos) }

// bindFnKeyAt is bindFnKey with the key slot at off.
func bindFnKeyAt(x *ctx, off int, bounds []Bound, key Value, pos Pos) {
	x.locals[x.base+off] = key
	n := fnComponents(bounds)
	comps := []Value{key}
	if n > 1 {
		q, ok := key.(*SeqV)
		if !ok || len(q.elems) != n {
			panic(posErr{errAt(pos, "function argument %s does not match its %d bound components", Format(key), n)})
		}
		comps = q.elems
	}
	slot, c := off+1, 0
	for _, b := range bounds {
		if !b.Tuple {
			for range b.Names {
				x.locals[x.base+slot] = comps[c]
				slot++
				c++
			}
			continue
		}
		q, ok := comps[c].(*SeqV)
		if !ok || len(q.elems) != len(b.Names) {
			panic(posErr{errAt(pos, "cannot bind %s to a tuple of %d names", Format(comps[c]), len(b.Names))})
		}
		for _, v := range q.elems {
			x.locals[x.base+slot] = v
			slot++
		}
		c++
	}
}

// wholeFn builds the value of f when f[x \in S] == e is used without [ ].
func (cp *compiler) wholeFn(d *defInfo, s *scope, md mode, pos Pos) (evalFn, bool) {
	co := cp.compileDef(d, md)
	var sets []evalFn
	dyn := !co.done || co.dyn
	tupleKey := fnComponents(d.def.FnBounds) > 1
	for _, b := range d.def.FnBounds {
		f, dd := cp.expr(b.Set, &scope{names: map[string]binding{}, fr: s.fr, env: d.env}, md)
		dyn = dyn || dd
		if b.Tuple {
			sets = append(sets, f)
			continue
		}
		for range b.Names {
			sets = append(sets, f)
		}
	}
	b := d.def.FnBounds
	var build func(x *ctx) Value
	cached := func() {
		if md != mNormal {
			return
		}
		// Within one state the function is the same: build it once per
		// state (Sum(f, S) style specs pass it around many times).
		inner := build
		build = func(x *ctx) Value {
			if len(x.cur) == 0 {
				return inner(x)
			}
			key := &x.cur[0]
			if c, ok := x.fnCache[co]; ok && c.state == key {
				return c.val
			}
			v := inner(x)
			if x.fnCache == nil {
				x.fnCache = map[*compiledOp]fnCacheEntry{}
			}
			x.fnCache[co] = fnCacheEntry{key, v}
			return v
		}
	}
	build = func(x *ctx) Value {
		var keys, vals []Value
		domains := make([][]Value, len(sets))
		for i, f := range sets {
			domains[i] = enumAt(pos, f(x))
		}
		idx := make([]int, len(sets))
		for _, dm := range domains {
			if len(dm) == 0 {
				return mkFn(nil, nil)
			}
		}
		for {
			var key Value
			if tupleKey {
				el := make([]Value, len(idx))
				for i, j := range idx {
					el[i] = domains[i][j]
				}
				key = &SeqV{elems: el}
			} else {
				key = domains[0][idx[0]]
			}
			nb := x.push(co.fr.size)
			saved := x.base
			x.base = nb
			bindFnKey(x, b, key, pos)
			v := co.fn(x)
			x.base = saved
			x.sp = nb
			keys, vals = append(keys, key), append(vals, v)
			k := len(idx) - 1
			for k >= 0 {
				idx[k]++
				if idx[k] < len(domains[k]) {
					break
				}
				idx[k] = 0
				k--
			}
			if k < 0 {
				break
			}
		}
		return mkFn(keys, vals)
	}
	cached()
	return build, dyn
}

// opValue turns an argument naming an operator into an OpV.
func (cp *compiler) opValue(a *Expr, arity int, s *scope, md mode) Value {
	if a.Kind != eName || len(a.Args) > 0 {
		cerr(a.Pos, "expected the name of an operator of %d arguments", arity)
	}
	params := make([]*Expr, arity)
	for i := range params {
		params[i] = &Expr{Kind: eName, Pos: a.Pos, Name: "\x00arg" + string(rune('0'+i))}
	}
	// Compile a call of the named operator on fresh parameter slots.
	fr := &frame{}
	sc := &scope{names: map[string]binding{}, fr: fr, env: s.env}
	if b, ok := s.lookup(a.Name); ok && b.kind == bLetOp {
		cerr(a.Pos, "passing a LET operator as an argument is not supported")
	}
	for _, p := range params {
		sc.bind(p.Name)
	}
	call := &Expr{Kind: eName, Pos: a.Pos, Name: a.Name, Args: params}
	f, _ := cp.expr(call, sc, md)
	return &OpV{arity: arity, call: func(x *ctx, args []Value) Value {
		nb := x.push(fr.size)
		copy(x.locals[nb:], args)
		saved := x.base
		x.base = nb
		v := f(x)
		x.base = saved
		x.sp = nb
		return v
	}}
}

// letCall compiles a use of a LET definition.
func (cp *compiler) letCall(ld *letDef, e *Expr, s *scope, md mode) (evalFn, bool) {
	d := ld.def
	if len(d.Params) == 0 && len(d.FnBounds) == 0 {
		if len(e.Args) > 0 {
			cerr(e.Pos, "%s takes no arguments", d.Name)
		}
		key := frameMode{s.fr, md}
		if f, ok := ld.byFrame[key]; ok {
			return f, true
		}
		// compile in the caller's frame: the names it sees are a prefix of it
		sc := &scope{parent: ld.sc, names: map[string]binding{}, fr: s.fr, env: s.env}
		ld.byFrame[key] = func(x *ctx) Value { panic(posErr{errAt(e.Pos, "definition %s refers to itself", d.Name)}) }
		f, dyn := cp.expr(d.Body, sc, md)
		ld.byFrame[key] = f
		// the body may read outer locals: treat it as dynamic for folding
		return f, true || dyn
	}
	if len(d.FnBounds) > 0 {
		if len(e.Args) > 0 {
			cerr(e.Pos, "%s is a function: apply it with %s[...]", d.Name, d.Name)
		}
		return cp.letWholeFn(ld, e, s, md)
	}
	if len(e.Args) != len(d.Params) {
		cerr(e.Pos, "%s takes %d arguments, given %d", d.Name, len(d.Params), len(e.Args))
	}
	co, ok := ld.op[md]
	if !ok {
		co = &compiledOp{fr: &frame{size: ld.visible}}
		ld.op[md] = co
		sc := &scope{parent: ld.sc, names: map[string]binding{}, fr: co.fr, env: s.env}
		// names bound outside the LET must be read from the copied prefix
		cp.bindParams(d, sc)
		mark := len(cp.reads)
		co.fn, co.dyn = cp.expr(d.Body, sc, md)
		cp.reads = cp.reads[:mark]
		co.done = true
	}
	args := make([]evalFn, len(e.Args))
	for i, a := range e.Args {
		if d.Params[i].Arity > 0 {
			args[i] = cp.opArg(a, d.Params[i].Arity, s, md)
			continue
		}
		args[i], _ = cp.expr(a, s, md)
	}
	vis := ld.visible
	cp.readSlot(s, 0) // reads the caller's locals: never fold
	return func(x *ctx) Value {
		nb := x.push(co.fr.size)
		copy(x.locals[nb:nb+vis], x.locals[x.base:x.base+vis])
		for i, a := range args {
			x.locals[nb+vis+i] = a(x)
		}
		saved := x.base
		x.base = nb
		x.enter(e.Pos)
		v := co.fn(x)
		x.depth--
		x.base = saved
		x.sp = nb
		return v
	}, true
}

// opArg compiles an argument passed for an operator parameter F(_, ...):
// the name of an operator, or a LAMBDA (which may read the names around it,
// so it captures them when the argument is evaluated).
func (cp *compiler) opArg(a *Expr, arity int, s *scope, md mode) evalFn {
	if a.Kind == eName && len(a.Args) == 0 {
		if b, ok := s.lookup(a.Name); ok && b.kind == bLetOp {
			// a LET operator: pass LAMBDA p1, ... : F(p1, ...), which
			// captures the names the LET definition sees
			lam := &Expr{Kind: eLambda, Pos: a.Pos}
			call := &Expr{Kind: eName, Pos: a.Pos, Name: a.Name}
			for i := 0; i < arity; i++ {
				n := fmt.Sprintf("\x00p%d", i)
				lam.Fields = append(lam.Fields, n)
				call.Args = append(call.Args, &Expr{Kind: eName, Pos: a.Pos, Name: n})
			}
			lam.Args = []*Expr{call}
			a = lam
		}
	}
	if a.Kind != eLambda {
		return constFn(cp.opValue(a, arity, s, md))
	}
	if len(a.Fields) != arity {
		cerr(a.Pos, "LAMBDA takes %d parameters here, has %d", arity, len(a.Fields))
	}
	vis := s.fr.size
	fr := &frame{size: vis}
	sc := &scope{parent: s, names: map[string]binding{}, fr: fr, env: s.env}
	for _, n := range a.Fields {
		sc.names[n] = binding{kind: bLocal, slot: fr.alloc()}
	}
	mark := len(cp.reads)
	body, _ := cp.expr(a.Args[0], sc, md)
	cp.reads = cp.reads[:mark]
	cp.readSlot(s, 0) // captures the caller's locals: never fold
	return func(x *ctx) Value {
		captured := append([]Value(nil), x.locals[x.base:x.base+vis]...)
		return &OpV{arity: arity, call: func(y *ctx, args []Value) Value {
			nb := y.push(fr.size)
			copy(y.locals[nb:], captured)
			copy(y.locals[nb+vis:], args)
			saved := y.base
			y.base = nb
			v := body(y)
			y.base = saved
			y.sp = nb
			return v
		}}
	}
}

// letFnOp compiles the body of a LET function definition f[x \in S] == e as
// an operator of one argument, the key, in a frame that copies the names
// visible where f was defined (slots 0..visible-1); the key goes at slot
// visible and the bound names after it.
func (cp *compiler) letFnOp(ld *letDef, md mode) *compiledOp {
	if co, ok := ld.op[md]; ok {
		return co
	}
	co := &compiledOp{fr: &frame{size: ld.visible}}
	ld.op[md] = co
	sc := &scope{parent: ld.sc, names: map[string]binding{}, fr: co.fr, env: ld.sc.env}
	sc.fr.alloc() // the key
	for _, b := range ld.def.FnBounds {
		for _, n := range b.Names {
			sc.names[n] = binding{kind: bLocal, slot: sc.fr.alloc()}
		}
	}
	mark := len(cp.reads)
	co.fn, co.dyn = cp.expr(ld.def.Body, sc, md)
	cp.reads = cp.reads[:mark]
	co.done = true
	return co
}

// letFnCall is f[arg] for a LET function definition.
func (cp *compiler) letFnCall(ld *letDef, arg evalFn, md mode, pos Pos) evalFn {
	at := cp.letFnAt(ld, md, pos)
	return func(x *ctx) Value { return at(x, arg(x)) }
}

// letFnAt returns a function computing f[key] for a LET function definition.
func (cp *compiler) letFnAt(ld *letDef, md mode, pos Pos) func(x *ctx, key Value) Value {
	co := cp.letFnOp(ld, md)
	vis, bounds := ld.visible, ld.def.FnBounds
	return func(x *ctx, key Value) Value {
		nb := x.push(co.fr.size)
		copy(x.locals[nb:nb+vis], x.locals[x.base:x.base+vis])
		saved := x.base
		x.base = nb
		bindFnKeyAt(x, vis, bounds, key, pos)
		x.enter(pos)
		v := co.fn(x)
		x.depth--
		x.base = saved
		x.sp = nb
		return v
	}
}

// letWholeFn is the value of a LET function definition used without [ ].
func (cp *compiler) letWholeFn(ld *letDef, e *Expr, s *scope, md mode) (evalFn, bool) {
	bounds := ld.def.FnBounds
	var sets []evalFn
	for _, b := range bounds {
		sc := &scope{parent: ld.sc, names: map[string]binding{}, fr: s.fr, env: s.env}
		f, _ := cp.expr(b.Set, sc, md)
		if b.Tuple {
			sets = append(sets, f)
			continue
		}
		for range b.Names {
			sets = append(sets, f)
		}
	}
	tupleKey := fnComponents(bounds) > 1
	pos := e.Pos
	at := cp.letFnAt(ld, md, pos)
	cp.readSlot(s, 0)
	return func(x *ctx) Value {
		domains := make([][]Value, len(sets))
		for i, f := range sets {
			domains[i] = enumAt(pos, f(x))
			if len(domains[i]) == 0 {
				return mkFn(nil, nil)
			}
		}
		var keys, vals []Value
		idx := make([]int, len(sets))
		for {
			var k Value
			if tupleKey {
				el := make([]Value, len(idx))
				for i, j := range idx {
					el[i] = domains[i][j]
				}
				k = &SeqV{elems: el}
			} else {
				k = domains[0][idx[0]]
			}
			keys, vals = append(keys, k), append(vals, at(x, k))
			i := len(idx) - 1
			for i >= 0 {
				idx[i]++
				if idx[i] < len(domains[i]) {
					break
				}
				idx[i] = 0
				i--
			}
			if i < 0 {
				break
			}
		}
		return mkFn(keys, vals)
	}, true
}

// positional compiles Op!n, the n-th item of the conjunction or
// disjunction list that is the body of the parameterless definition Op.
func (cp *compiler) positional(e, op *Expr, n int, s *scope, md mode) (evalFn, bool) {
	if len(op.Args) > 0 || op.Other != nil {
		cerr(e.Pos, "%s: only Op!n of a parameterless definition is supported", e.Name)
	}
	d := s.env.lookupDef(op.Name)
	if d == nil || d.def.Body == nil || len(d.def.Params) > 0 || d.inst != nil {
		cerr(e.Pos, "%s: %s is not a parameterless definition", e.Name, op.Name)
	}
	b := d.def.Body
	if b.Kind != eOp || (b.Name != `/\` && b.Name != `\/`) || n < 1 || n > len(b.Args) {
		cerr(e.Pos, "%s: the body of %s has no item %d", e.Name, op.Name, n)
	}
	if cp.positionals == nil {
		cp.positionals = map[string]*defInfo{}
	}
	key := fmt.Sprintf("%p!%d", d, n)
	sub, ok := cp.positionals[key]
	if !ok {
		sub = &defInfo{def: &Def{Name: e.Name, Pos: e.Pos, Body: b.Args[n-1]}, env: d.env,
			ops: map[mode]*compiledOp{}, acts: map[mode]*compiledOp{}}
		cp.positionals[key] = sub
	}
	return cp.callDef(sub, nil, s, md, e.Pos)
}
