package checker

// action is a compiled action (or Init predicate). run enumerates every way
// to complete the partial next state x.nxt that satisfies the action,
// calling k for each; k returns false to stop the enumeration, and run
// returns false when it was stopped. Enumeration order follows TLC: left
// to right through conjuncts, disjuncts in order, set elements in order.
type action struct {
	guard evalFn // non-nil when the action assigns nothing (a Boolean test)
	run   func(x *ctx, k func() bool) bool
}

func guardAction(g evalFn, pos Pos) *action {
	return &action{guard: g, run: func(x *ctx, k func() bool) bool {
		if boolAt(pos, g(x), "action conjunct") {
			return k()
		}
		return true
	}}
}

// target reports whether e is an assignable variable: x' in an action, x
// in Init.
func (cp *compiler) target(e *Expr, s *scope, md mode) (int, bool) {
	if e.Kind == eName && len(e.Args) == 0 {
		if b, ok := s.lookup(e.Name); ok && b.kind == bAlias {
			return cp.target(b.alias, &scope{names: map[string]binding{}, fr: s.fr, env: b.aenv}, md)
		}
	}
	var n *Expr
	switch {
	case md == mNormal && e.Kind == eOp && e.Name == "'":
		n = e.Args[0]
		if n.Kind == eName && len(n.Args) == 0 {
			// q' where q was passed the variable x by name: x'
			if b, ok := s.lookup(n.Name); ok && b.kind == bAlias {
				if b.alias.Kind != eName {
					return 0, false
				}
				n, s = b.alias, &scope{names: map[string]binding{}, fr: s.fr, env: b.aenv}
			}
		}
	case md == mInit:
		n = e
	default:
		return 0, false
	}
	if n.Kind != eName || len(n.Args) > 0 || n.Other != nil {
		return 0, false
	}
	if _, ok := s.lookup(n.Name); ok {
		return 0, false
	}
	return cp.varOf(n.Name, s.env)
}

// varOf resolves name to a state variable through INSTANCE substitutions:
// a variable of an instanced module is the same-named variable outside, or
// the variable its WITH substitution names.
func (cp *compiler) varOf(name string, ev *env) (int, bool) {
	for ev.outer != nil {
		if ev.defs[name] != nil {
			return 0, false
		}
		if sub, ok := ev.subst[name]; ok {
			if sub.Kind != eName || len(sub.Args) > 0 || sub.Other != nil {
				return 0, false
			}
			name = sub.Name
		} else if !ev.declared[name] {
			return 0, false
		}
		ev = ev.outer
	}
	if ev.defs[name] != nil {
		return 0, false
	}
	i, ok := cp.m.varIdx[name]
	return i, ok
}

func (cp *compiler) action(e *Expr, s *scope, md mode) *action {
	switch e.Kind {
	case eOp:
		switch e.Name {
		case `/\`:
			return cp.conj(e.Args, s, md)
		case `\/`:
			// Like TLC, every true disjunct is a separate way to take the
			// step, even when it assigns nothing: the duplicates it makes
			// count as generated states.
			alts := make([]*action, len(e.Args))
			for i, a := range e.Args {
				alts[i] = cp.action(a, s, md)
			}
			return &action{run: func(x *ctx, k func() bool) bool {
				for _, a := range alts {
					if !a.run(x, k) {
						return false
					}
				}
				return true
			}}
		case "=":
			if i, ok := cp.target(e.Args[0], s, md); ok {
				val, _ := cp.expr(e.Args[1], s, md)
				return &action{run: assign(i, val, func(x *ctx, k func() bool) bool { return k() })}
			}
		case `\in`:
			if i, ok := cp.target(e.Args[0], s, md); ok {
				set, _ := cp.expr(e.Args[1], s, md)
				pos := e.Pos
				return &action{run: func(x *ctx, k func() bool) bool {
					el := enumAt(pos, set(x))
					if old := x.nxt[i]; old != nil {
						if searchSet(el, old) >= 0 {
							return k()
						}
						return true
					}
					for _, v := range el {
						x.nxt[i] = v
						if !k() {
							x.nxt[i] = nil
							return false
						}
					}
					x.nxt[i] = nil
					return true
				}}
			}
		case "UNCHANGED":
			if md == mNormal {
				return cp.unchanged(e.Args[0], s)
			}
		case "=>":
			// TLC: when P holds, P => Q is taken as the action Q
			q := cp.action(e.Args[1], s, md)
			if q.guard != nil {
				break
			}
			p, _ := cp.expr(e.Args[0], s, md)
			pos := e.Args[0].Pos
			return &action{run: func(x *ctx, k func() bool) bool {
				if boolAt(pos, p(x), "left of =>") {
					return q.run(x, k)
				}
				return k()
			}}
		case `\subseteq`:
			// x' \subseteq S enumerates the subsets of S (TLC)
			if i, ok := cp.target(e.Args[0], s, md); ok {
				set, _ := cp.expr(e.Args[1], s, md)
				pos := e.Pos
				return &action{run: func(x *ctx, k func() bool) bool {
					defer atPos(pos)
					base := set(x)
					if old := x.nxt[i]; old != nil {
						if subseteq(old, base) {
							return k()
						}
						return true
					}
					for _, v := range mustEnum(&LazySetV{kind: lzSubset, sets: []Value{base}}).elems {
						x.nxt[i] = v
						if !k() {
							x.nxt[i] = nil
							return false
						}
					}
					x.nxt[i] = nil
					return true
				}}
			}
		}
	case eBoxAction:
		a := cp.action(e.Args[0], s, md)
		u := cp.unchanged(e.Args[1], s)
		return &action{run: func(x *ctx, k func() bool) bool {
			return a.run(x, k) && u.run(x, k)
		}}
	case eAngleAction:
		a := cp.action(e.Args[0], s, md)
		v0, _ := cp.expr(e.Args[1], s, mNormal)
		v1, _ := cp.expr(e.Args[1], s, mPrimed)
		return &action{run: func(x *ctx, k func() bool) bool {
			return a.run(x, func() bool {
				if Equal(v0(x), v1(x)) {
					return true
				}
				return k()
			})
		}}
	case eExists:
		ns := s.child()
		it, _ := cp.iterator(e.Bounds, s, ns, md)
		// Each witness is a separate way to take the step (as in TLC).
		body := cp.action(e.Args[0], ns, md)
		return &action{run: func(x *ctx, k func() bool) bool {
			return it(x, func() bool { return body.run(x, k) })
		}}
	case eForall:
		// TLC takes \A x \in S : A as the conjunction A[x1] /\ A[x2] /\ ...,
		// so a body that branches multiplies the ways to take the step.
		ns := s.child()
		it, _ := cp.iterator(e.Bounds, s, ns, md)
		body := cp.action(e.Args[0], ns, md)
		if body.guard != nil {
			break
		}
		var slots []int
		for _, b := range e.Bounds {
			for _, n := range b.Names {
				bd, _ := ns.lookup(n)
				slots = append(slots, bd.slot)
			}
		}
		return &action{run: func(x *ctx, k func() bool) bool {
			var combos [][]Value
			it(x, func() bool {
				c := make([]Value, len(slots))
				for i, sl := range slots {
					c[i] = x.locals[x.base+sl]
				}
				combos = append(combos, c)
				return true
			})
			bind := func(i int) {
				for j, sl := range slots {
					x.locals[x.base+sl] = combos[i][j]
				}
			}
			var step func(i int) bool
			step = func(i int) bool {
				if i == len(combos) {
					return k()
				}
				bind(i)
				return body.run(x, func() bool {
					r := step(i + 1)
					bind(i)
					return r
				})
			}
			return step(0)
		}}
	case eIf:
		a := cp.action(e.Args[1], s, md)
		b := cp.action(e.Args[2], s, md)
		if a.guard != nil && b.guard != nil {
			break
		}
		c, _ := cp.expr(e.Args[0], s, md)
		pos := e.Args[0].Pos
		return &action{run: func(x *ctx, k func() bool) bool {
			if boolAt(pos, c(x), "IF condition") {
				return a.run(x, k)
			}
			return b.run(x, k)
		}}
	case eCase:
		var guards []evalFn
		var arms []*action
		all := true
		for i := 0; i < len(e.Args); i += 2 {
			g, _ := cp.expr(e.Args[i], s, md)
			a := cp.action(e.Args[i+1], s, md)
			guards, arms = append(guards, g), append(arms, a)
			all = all && a.guard != nil
		}
		var other *action
		if e.Other != nil {
			other = cp.action(e.Other, s, md)
			all = all && other.guard != nil
		}
		if all {
			break
		}
		pos := e.Pos
		return &action{run: func(x *ctx, k func() bool) bool {
			for i, g := range guards {
				if boolAt(pos, g(x), "CASE guard") {
					return arms[i].run(x, k)
				}
			}
			if other == nil {
				panic(posErr{errAt(pos, "no CASE guard is true and there is no OTHER arm")})
			}
			return other.run(x, k)
		}}
	case eLet:
		ns := cp.letScope(e, s)
		return cp.action(e.Args[0], ns, md)
	case eName:
		if a := cp.nameAction(e, s, md); a != nil {
			return a
		}
	case eApply:
		if a := cp.applyAction(e, s, md); a != nil {
			return a
		}
	}
	g, _ := cp.expr(e, s, md)
	return guardAction(g, e.Pos)
}

// applyAction compiles f[x] used as an action when f is a function
// definition f[y \in S] == body. TLC keeps such functions lazy and takes
// f[x] in an action as body with y = x, so its disjunctions and \E branch
// (and count as generated states) like any other action.
func (cp *compiler) applyAction(e *Expr, s *scope, md mode) *action {
	n := e.Args[0]
	if n.Kind != eName || len(n.Args) > 0 || n.Other != nil {
		return nil
	}
	argE := e.Args[1]
	if len(e.Args) > 2 {
		argE = &Expr{Kind: eTuple, Pos: e.Pos, Args: e.Args[1:]}
	}
	pos := e.Pos
	if b, ok := s.lookup(n.Name); ok {
		if b.kind != bLetOp || len(b.let.def.FnBounds) == 0 {
			return nil
		}
		ld := b.let
		body := ld.fnAct[md]
		if body == nil {
			fr := &frame{size: ld.visible}
			sc := &scope{parent: ld.sc, names: map[string]binding{}, fr: fr, env: ld.sc.env}
			sc.fr.alloc()
			for _, bd := range ld.def.FnBounds {
				for _, nm := range bd.Names {
					sc.names[nm] = binding{kind: bLocal, slot: sc.fr.alloc()}
				}
			}
			body = &fnAction{fr: fr}
			ld.fnAct[md] = body
			body.act = cp.action(ld.def.Body, sc, md)
		}
		if body.act != nil && body.act.guard != nil {
			return nil
		}
		arg, _ := cp.expr(argE, s, md)
		vis, bounds := ld.visible, ld.def.FnBounds
		cp.readSlot(s, 0)
		return &action{run: func(x *ctx, k func() bool) bool {
			kv := arg(x)
			nb := x.push(body.fr.size)
			copy(x.locals[nb:nb+vis], x.locals[x.base:x.base+vis])
			saved := x.base
			x.base = nb
			bindFnKeyAt(x, vis, bounds, kv, pos)
			x.base = saved
			return callAction(x, nb, body.act, k)
		}}
	}
	if s.env.outer != nil {
		return nil
	}
	d := s.env.lookupDef(n.Name)
	if d == nil || d.inst != nil || len(d.def.FnBounds) == 0 {
		return nil
	}
	// a constant function is a value to TLC (evaluated once): no branching
	if vco := cp.compileDef(d, md); vco.done && !vco.dyn {
		return nil
	}
	co, ok := d.acts[md]
	if !ok {
		co = &compiledOp{fr: &frame{}}
		d.acts[md] = co
		sc := &scope{names: map[string]binding{}, fr: co.fr, env: d.env}
		cp.bindParams(d.def, sc)
		co.act = cp.action(d.def.Body, sc, md)
		co.done = true
	}
	if co.done && co.act.guard != nil {
		return nil
	}
	arg, _ := cp.expr(argE, s, md)
	bounds := d.def.FnBounds
	return &action{run: func(x *ctx, k func() bool) bool {
		kv := arg(x)
		nb := x.push(co.fr.size)
		saved := x.base
		x.base = nb
		bindFnKey(x, bounds, kv, pos)
		x.base = saved
		return callAction(x, nb, co.act, k)
	}}
}

// fnAction is a LET function body compiled as an action.
type fnAction struct {
	fr  *frame
	act *action
}

// assign is "x' = val" followed by next: it assigns when x' is free and
// tests equality when an earlier conjunct already assigned it.
func assign(i int, val evalFn, next func(x *ctx, k func() bool) bool) func(x *ctx, k func() bool) bool {
	return func(x *ctx, k func() bool) bool {
		v := canon(val(x))
		if old := x.nxt[i]; old != nil {
			if Equal(old, v) {
				return next(x, k)
			}
			return true
		}
		x.nxt[i] = v
		r := next(x, k)
		x.nxt[i] = nil
		return r
	}
}

// flattenConj splits nested conjunctions and UNCHANGED <<x, y>> into single
// conjuncts, so that each variable's "x' = x" takes the assignment fast path.
func flattenConj(parts []*Expr, md mode) []*Expr {
	var out []*Expr
	for _, p := range parts {
		switch {
		case p.Kind == eOp && p.Name == `/\`:
			out = append(out, flattenConj(p.Args, md)...)
		case md == mNormal && p.Kind == eOp && p.Name == "UNCHANGED" && p.Args[0].Kind == eTuple && len(p.Args[0].Args) > 0:
			for _, a := range p.Args[0].Args {
				out = append(out, &Expr{Kind: eOp, Name: "UNCHANGED", Pos: a.Pos, Args: []*Expr{a}})
			}
		default:
			out = append(out, p)
		}
	}
	return out
}

func (cp *compiler) conj(parts []*Expr, s *scope, md mode) *action {
	parts = flattenConj(parts, md)
	acts := make([]*action, len(parts))
	all := true
	for i, p := range parts {
		acts[i] = cp.action(p, s, md)
		all = all && acts[i].guard != nil
	}
	if all {
		g, _ := cp.expr(&Expr{Kind: eOp, Name: `/\`, Pos: parts[0].Pos, Args: parts}, s, md)
		return guardAction(g, parts[0].Pos)
	}
	rest := func(x *ctx, k func() bool) bool { return k() }
	for i := len(parts) - 1; i >= 0; i-- {
		next := rest
		p := parts[i]
		a := acts[i]
		if a.guard != nil {
			g, pos := a.guard, p.Pos
			rest = func(x *ctx, k func() bool) bool {
				if boolAt(pos, g(x), "action conjunct") {
					return next(x, k)
				}
				return true
			}
			continue
		}
		if p.Kind == eOp && p.Name == "=" {
			if vi, ok := cp.target(p.Args[0], s, md); ok {
				val, _ := cp.expr(p.Args[1], s, md)
				rest = assign(vi, val, next)
				continue
			}
		}
		if p.Kind == eOp && p.Name == "UNCHANGED" && md == mNormal && p.Args[0].Kind == eName {
			prime := &Expr{Kind: eOp, Name: "'", Pos: p.Pos, Args: []*Expr{p.Args[0]}}
			if vi, ok := cp.target(prime, s, md); ok {
				rest = assign(vi, func(x *ctx) Value { return x.cur[vi] }, next)
				continue
			}
		}
		run := a.run
		rest = func(x *ctx, k func() bool) bool {
			return run(x, func() bool { return next(x, k) })
		}
	}
	return &action{run: rest}
}

// unchanged is UNCHANGED e: every variable in e keeps its value.
func (cp *compiler) unchanged(e *Expr, s *scope) *action {
	switch e.Kind {
	case eTuple:
		parts := make([]*Expr, len(e.Args))
		for i, a := range e.Args {
			parts[i] = &Expr{Kind: eOp, Name: "UNCHANGED", Pos: a.Pos, Args: []*Expr{a}}
		}
		if len(parts) == 0 {
			return guardAction(constFn(true), e.Pos)
		}
		return cp.conj(parts, s, mNormal)
	case eName:
		if len(e.Args) == 0 && e.Other == nil {
			if _, local := s.lookup(e.Name); !local {
				if i, ok := cp.target(&Expr{Kind: eOp, Name: "'", Args: []*Expr{e}}, s, mNormal); ok {
					cur := func(x *ctx) Value { return x.cur[i] }
					return &action{run: assign(i, cur, func(x *ctx, k func() bool) bool { return k() })}
				}
				if d := s.env.lookupDef(e.Name); d != nil && len(d.def.Params) == 0 && d.def.Body != nil {
					sc := &scope{names: map[string]binding{}, fr: s.fr, env: d.env}
					return cp.unchanged(d.def.Body, sc)
				}
			}
		}
	}
	a, _ := cp.expr(e, s, mNormal)
	b, _ := cp.expr(e, s, mPrimed)
	pos := e.Pos
	return guardAction(func(x *ctx) Value { return eqAt(pos, a(x), b(x)) }, pos)
}

// nameAction compiles a reference to a definition used as an action; nil
// means "evaluate it as a Boolean".
func (cp *compiler) nameAction(e *Expr, s *scope, md mode) *action {
	if b, ok := s.lookup(e.Name); ok && b.kind == bActionArg && len(e.Args) == 0 {
		// an action passed by name: run it in the caller's frame
		a := cp.action(b.alias, b.ascope, md)
		slot := b.slot
		return &action{run: func(x *ctx, k func() bool) bool {
			cb := x.base
			x.base = int(x.locals[cb+slot].(int64))
			r := a.run(x, func() bool {
				inner := x.base
				x.base = cb
				r := k()
				x.base = inner
				return r
			})
			x.base = cb
			return r
		}}
	}
	if b, ok := s.lookup(e.Name); ok {
		if b.kind != bLetOp {
			return nil
		}
		ld := b.let
		d := ld.def
		if len(d.FnBounds) > 0 {
			return nil
		}
		if len(d.Params) == 0 {
			sc := &scope{parent: ld.sc, names: map[string]binding{}, fr: s.fr, env: s.env}
			a := cp.action(d.Body, sc, md)
			if a.guard != nil {
				return nil
			}
			return a
		}
		if len(e.Args) != len(d.Params) {
			cerr(e.Pos, "%s takes %d arguments, given %d", d.Name, len(d.Params), len(e.Args))
		}
		fr := &frame{size: ld.visible}
		sc := &scope{parent: ld.sc, names: map[string]binding{}, fr: fr, env: s.env}
		cp.bindParams(d, sc)
		a := cp.action(d.Body, sc, md)
		if a.guard != nil {
			return nil
		}
		args, _ := cp.list(e.Args, s, md)
		vis := ld.visible
		return &action{run: func(x *ctx, k func() bool) bool {
			nb := x.push(fr.size)
			copy(x.locals[nb:nb+vis], x.locals[x.base:x.base+vis])
			for i, f := range args {
				x.locals[nb+vis+i] = f(x)
			}
			return callAction(x, nb, a, k)
		}}
	}
	var d *defInfo
	if e.Other != nil {
		// M!Op: a definition of a named instance
		inst := s.env.lookupDef(e.Other.Name)
		if inst == nil || inst.inst == nil || len(e.Other.Args) > 0 {
			return nil
		}
		d = inst.inst.defs[e.Name[len(e.Other.Name)+1:]]
	} else {
		if alias, ok := cp.m.constAlias[e.Name]; ok && s.env.outer == nil {
			ne := *e
			ne.Name = alias
			e = &ne
		}
		d = s.env.lookupDef(e.Name)
	}
	if d == nil || d.inst != nil || len(d.def.FnBounds) > 0 {
		return nil
	}
	if len(e.Args) != len(d.def.Params) {
		cerr(e.Pos, "%s takes %d arguments, given %d", e.Name, len(d.def.Params), len(e.Args))
	}
	if len(d.def.Params) == 0 {
		// TLC evaluates constant definitions once, before the search, so
		// their disjunctions never branch: treat them as values.
		if vco := cp.compileDef(d, md); vco.done && !vco.dyn {
			return nil
		}
	}
	// Arguments that are primed variables are passed by name, as TLC
	// substitutes them: Send(p, d, mem, mem') may assign mem' inside Send.
	// byName: a variable, or a primed variable, passed as an argument.
	byName := func(a *Expr) bool {
		if _, ok := cp.target(a, s, md); ok {
			return true
		}
		if a.Kind == eName && len(a.Args) == 0 && a.Other == nil {
			if _, local := s.lookup(a.Name); !local {
				_, ok := cp.varOf(a.Name, s.env)
				return ok
			}
		}
		return false
	}
	// actionArg: an argument that is itself an action (it primes or
	// assigns), passed by name like NoStutter(A) == A /\ ...
	actionArg := func(a *Expr) bool {
		return !byName(a) && hasPrime(a, cp, s, 0)
	}
	var aliased bool
	for i, a := range e.Args {
		if i < len(d.def.Params) && d.def.Params[i].Arity == 0 && (byName(a) || actionArg(a)) {
			aliased = true
		}
	}
	if aliased {
		fr := &frame{}
		sc := &scope{names: map[string]binding{}, fr: fr, env: d.env}
		var args []evalFn
		var slots []int
		baseSlot := -1
		for i, p := range d.def.Params {
			a := e.Args[i]
			if p.Arity == 0 && byName(a) {
				sc.names[p.Name] = binding{kind: bAlias, alias: a, aenv: s.env}
				continue
			}
			if p.Arity == 0 && actionArg(a) {
				if baseSlot < 0 {
					baseSlot = fr.alloc()
				}
				sc.names[p.Name] = binding{kind: bActionArg, alias: a, ascope: s, slot: baseSlot}
				continue
			}
			slot := fr.alloc()
			if p.Arity > 0 {
				sc.names[p.Name] = binding{kind: bOpParam, slot: slot, arity: p.Arity}
				args = append(args, cp.opArg(a, p.Arity, s, md))
			} else {
				sc.names[p.Name] = binding{kind: bLocal, slot: slot}
				f, _ := cp.expr(a, s, md)
				args = append(args, f)
			}
			slots = append(slots, slot)
		}
		body := cp.action(d.def.Body, sc, md)
		return &action{run: func(x *ctx, k func() bool) bool {
			nb := x.push(fr.size)
			for i, f := range args {
				x.locals[nb+slots[i]] = f(x)
			}
			if baseSlot >= 0 {
				x.locals[nb+baseSlot] = int64(x.base)
			}
			return callAction(x, nb, body, k)
		}}
	}
	co, ok := d.acts[md]
	if !ok {
		co = &compiledOp{fr: &frame{}}
		d.acts[md] = co
		sc := &scope{names: map[string]binding{}, fr: co.fr, env: d.env}
		cp.bindParams(d.def, sc)
		co.act = cp.action(d.def.Body, sc, md)
		co.done = true
	}
	if co.done && co.act.guard != nil {
		return nil
	}
	args := make([]evalFn, len(e.Args))
	for i, a := range e.Args {
		if d.def.Params[i].Arity > 0 {
			args[i] = cp.opArg(a, d.def.Params[i].Arity, s, md)
			continue
		}
		args[i], _ = cp.expr(a, s, md)
	}
	return &action{run: func(x *ctx, k func() bool) bool {
		nb := x.push(co.fr.size)
		for i, f := range args {
			x.locals[nb+i] = f(x)
		}
		return callAction(x, nb, co.act, k)
	}}
}

// callAction runs a in the frame at nb and restores the caller's frame
// around the continuation, which goes on with the caller's conjuncts.
func callAction(x *ctx, nb int, a *action, k func() bool) bool {
	saved := x.base
	x.base = nb
	r := a.run(x, func() bool {
		x.base = saved
		sp := x.sp
		r := k()
		x.sp = sp
		x.base = nb
		return r
	})
	x.base = saved
	x.sp = nb
	return r
}

// hasPrime reports whether e primes something or uses UNCHANGED (following
// definitions a little way): such an argument is an action.
func hasPrime(e *Expr, cp *compiler, s *scope, depth int) bool {
	if e == nil || depth > 12 {
		return false
	}
	switch e.Kind {
	case eOp:
		if e.Name == "'" || e.Name == "UNCHANGED" {
			return true
		}
	case eBoxAction, eAngleAction:
		return true
	case eName:
		if _, local := s.lookup(e.Name); !local && e.Other == nil {
			if d := s.env.lookupDef(e.Name); d != nil && d.def.Body != nil && d.inst == nil {
				if hasPrime(d.def.Body, cp, &scope{names: map[string]binding{}, fr: s.fr, env: d.env}, depth+1) {
					return true
				}
			}
		}
	}
	for _, a := range e.Args {
		if hasPrime(a, cp, s, depth+1) {
			return true
		}
	}
	return false
}
