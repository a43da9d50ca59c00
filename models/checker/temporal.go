package checker

import "fmt"

type specParts struct {
	init, next *Expr
	fair       []*fairness
}

// slotVal presets a root-frame slot (a name bound by \A around a
// fairness condition or property) before a closure is run.
type slotVal struct {
	slot int
	val  Value
}

func setSlots(x *ctx, sv []slotVal) {
	for _, s := range sv {
		x.locals[s.slot] = s.val
	}
}

// fairness is one WF_v(A) or SF_v(A) conjunct of the specification (one per
// binding of an enclosing \A).
type fairness struct {
	strong bool
	label  string
	binds  []slotVal
	act    *action // <<A>>_v
}

// enabled reports whether <<A>>_v is enabled in x.cur.
func (f *fairness) enabled(x *ctx, nv int) bool {
	setSlots(x, f.binds)
	saved := x.nxt
	x.nxt = make([]Value, nv)
	found := false
	f.act.run(x, func() bool { found = true; return false })
	x.nxt = saved
	return found
}

// step reports whether x.cur -> x.nxt (fully assigned) is an <<A>>_v step.
func (f *fairness) step(x *ctx) bool {
	setSlots(x, f.binds)
	found := false
	f.act.run(x, func() bool { found = true; return false })
	return found
}

type propKind int

const (
	pInit       propKind = iota // a state predicate: holds initially
	pAlways                     // []P
	pEventually                 // <>P
	pInfOften                   // []<>P
	pEvAlways                   // <>[]P
	pLeadsTo                    // P ~> Q
	pBoxAction                  // [][A]_v
	pStable                     // [](P => []Q)
	pFair                       // WF_v(A) or SF_v(A)
)

type property struct {
	name  string
	kind  propKind
	binds []slotVal
	p, q  evalFn
	// pre restricts the property to behaviours whose initial state
	// satisfies it (Pre => <>Q, Pre => []Q, ...); nil for all behaviours.
	pre    evalFn
	act    *action
	strong bool // pFair: SF rather than WF
	pos    Pos
}

func (md *Model) expandName(e *Expr) *Expr {
	e, _ = md.expandIn(e, md.root)
	return e
}

// zeroArgDef finds the definition a parameterless name (or M!Op of a named
// instance) refers to in ev.
func (md *Model) zeroArgDef(e *Expr, ev *env) *defInfo {
	if e.Kind != eName || len(e.Args) > 0 {
		return nil
	}
	var d *defInfo
	if e.Other != nil {
		inst := ev.lookupDef(e.Other.Name)
		if inst == nil || inst.inst == nil || len(e.Other.Args) > 0 {
			return nil
		}
		d = inst.inst.defs[e.Name[len(e.Other.Name)+1:]]
	} else {
		d = ev.lookupDef(e.Name)
	}
	if d == nil || d.def.Body == nil || len(d.def.Params) > 0 || d.inst != nil || len(d.def.FnBounds) > 0 {
		return nil
	}
	return d
}

// expandIn follows names of temporal definitions (also into instances,
// for refinement properties such as M!Spec) and returns the formula with
// the environment it must be compiled in.
func (md *Model) expandIn(e *Expr, ev *env) (*Expr, *env) {
	for i := 0; i < 50; i++ {
		d := md.zeroArgDef(e, ev)
		if d == nil || !md.isTemporalIn(d.def.Body, d.env, 0) {
			return e, ev
		}
		e, ev = d.def.Body, d.env
	}
	return e, ev
}

// expandSc is expandIn for a compile scope: a definition of another module
// is compiled in a scope of that module.
func (md *Model) expandSc(e *Expr, sc *scope) (*Expr, *scope) {
	ne, ev := md.expandIn(e, sc.env)
	if ev != sc.env {
		sc = &scope{names: map[string]binding{}, fr: md.rootFr, env: ev}
	}
	return ne, sc
}

// isTemporal reports whether e (following definitions) uses a temporal operator.
func (md *Model) isTemporal(e *Expr, depth int) bool { return md.isTemporalIn(e, md.root, depth) }

func (md *Model) isTemporalIn(e *Expr, ev *env, depth int) bool {
	if e == nil || depth > 50 {
		return false
	}
	switch e.Kind {
	case eFair:
		return true
	case eOp:
		switch e.Name {
		case "[]", "<>", "~>", "-+->":
			return true
		}
	case eName:
		if d := md.zeroArgDef(e, ev); d != nil {
			return md.isTemporalIn(d.def.Body, d.env, depth+1)
		}
	}
	for _, a := range e.Args {
		if md.isTemporalIn(a, ev, depth+1) {
			return true
		}
	}
	return false
}

// splitSpec takes Init /\ [][Next]_v /\ WF_v(A) /\ ... apart.
func (md *Model) splitSpec(e *Expr) (*specParts, error) {
	sp := &specParts{}
	var inits []*Expr
	var walk func(e *Expr, sc *scope, binds []slotVal) error
	walk = func(e *Expr, sc *scope, binds []slotVal) error {
		e = md.expandName(e)
		switch {
		case e.Kind == eOp && e.Name == `/\`:
			for _, a := range e.Args {
				if err := walk(a, sc, binds); err != nil {
					return err
				}
			}
			return nil
		case e.Kind == eOp && e.Name == "[]":
			in := md.expandName(e.Args[0])
			if in.Kind == eBoxAction {
				if sp.next != nil {
					return errAt(e.Pos, "the specification has two [][Next]_v conjuncts")
				}
				sp.next = in.Args[0]
				return nil
			}
			return errAt(e.Pos, "unsupported conjunct of the specification: [] of something other than [A]_v")
		case e.Kind == eFair:
			a := &Expr{Kind: eAngleAction, Pos: e.Pos, Args: []*Expr{e.Args[1], e.Args[0]}}
			lbl := fmt.Sprintf("%s line %d, col %d", e.Name, e.Pos.Line, e.Pos.Col)
			for _, b := range binds {
				lbl += fmt.Sprintf(" %s", Format(b.val))
			}
			sp.fair = append(sp.fair, &fairness{strong: e.Name == "SF", label: lbl, binds: binds,
				act: md.cp.action(a, sc, mNormal)})
			return nil
		case e.Kind == eForall && md.isTemporal(e.Args[0], 0):
			return md.forBindings(e, sc, binds, func(ns *scope, b []slotVal) error { return walk(e.Args[0], ns, b) })
		}
		if md.isTemporal(e, 0) {
			return errAt(e.Pos, "unsupported temporal conjunct in the specification")
		}
		inits = append(inits, e)
		return nil
	}
	if err := walk(e, md.rootScope(), nil); err != nil {
		return nil, err
	}
	if len(inits) == 0 {
		return nil, errAt(e.Pos, "the specification has no initial predicate")
	}
	if len(inits) == 1 {
		sp.init = inits[0]
	} else {
		sp.init = &Expr{Kind: eOp, Name: `/\`, Pos: inits[0].Pos, Args: inits}
	}
	return sp, nil
}

// forBindings expands \A x \in S : F over the (constant) elements of S.
func (md *Model) forBindings(e *Expr, sc *scope, binds []slotVal, f func(*scope, []slotVal) error) error {
	ns := sc.child()
	type nb struct {
		slot int
		set  Value
	}
	var list []nb
	for _, b := range e.Bounds {
		if b.Tuple {
			return errAt(b.Pos, "tuple bounds around temporal formulas are not supported")
		}
		sf, _ := md.cp.expr(b.Set, sc, mNormal)
		x := md.newCtx()
		setSlots(x, binds)
		set := sf(x)
		for _, n := range b.Names {
			list = append(list, nb{ns.bind(n), set})
		}
	}
	var rec func(i int, cur []slotVal) error
	rec = func(i int, cur []slotVal) error {
		if i == len(list) {
			return f(ns, cur)
		}
		for _, v := range mustEnum(list[i].set).elems {
			nbinds := append(append([]slotVal(nil), cur...), slotVal{list[i].slot, v})
			if err := rec(i+1, nbinds); err != nil {
				return err
			}
		}
		return nil
	}
	return rec(0, binds)
}

// compileProperty recognises the temporal forms the liveness checker handles.
func (md *Model) compileProperty(name string, e *Expr, sc *scope) ([]*property, error) {
	var out []*property
	state := func(e *Expr, sc *scope) evalFn {
		f, _ := md.cp.expr(e, sc, mNormal)
		return f
	}
	var walk func(e *Expr, sc *scope, binds []slotVal, pre evalFn) error
	walk = func(e *Expr, sc *scope, binds []slotVal, pre evalFn) error {
		e, sc = md.expandSc(e, sc)
		add := func(k propKind, p, q evalFn) {
			out = append(out, &property{name: name, kind: k, binds: binds, p: p, q: q, pre: pre, pos: e.Pos})
		}
		temporal := func(x *Expr) bool { return md.isTemporalIn(x, sc.env, 0) }
		expand := func(x *Expr) *Expr { x, _ = md.expandIn(x, sc.env); return x }
		switch {
		case !temporal(e):
			if pre != nil {
				return errAt(e.Pos, "unsupported formula in property %s: a state predicate after =>", name)
			}
			add(pInit, state(e, sc), nil)
			return nil
		case e.Kind == eOp && e.Name == `/\`:
			for _, a := range e.Args {
				if err := walk(a, sc, binds, pre); err != nil {
					return err
				}
			}
			return nil
		case e.Kind == eForall:
			return md.forBindings(e, sc, binds, func(ns *scope, b []slotVal) error { return walk(e.Args[0], ns, b, pre) })
		case e.Kind == eOp && e.Name == "=>" && !temporal(e.Args[0]) && pre == nil:
			return walk(e.Args[1], sc, binds, state(e.Args[0], sc))
		case e.Kind == eOp && e.Name == "~>":
			if temporal(e.Args[0]) || temporal(e.Args[1]) {
				return errAt(e.Pos, "P ~> Q is supported for state predicates P and Q only")
			}
			add(pLeadsTo, state(e.Args[0], sc), state(e.Args[1], sc))
			return nil
		case e.Kind == eFair:
			// WF_v(A) / SF_v(A) as a property (refinement of a fair spec)
			a := &Expr{Kind: eAngleAction, Pos: e.Pos, Args: []*Expr{e.Args[1], e.Args[0]}}
			out = append(out, &property{name: name, kind: pFair, binds: binds, pre: pre, pos: e.Pos,
				strong: e.Name == "SF", act: md.cp.action(a, sc, mNormal)})
			return nil
		case e.Kind == eOp && e.Name == "[]":
			in := expand(e.Args[0])
			switch {
			case !temporal(in) && in.Kind != eBoxAction:
				add(pAlways, state(in, sc), nil)
				return nil
			case in.Kind == eBoxAction:
				out = append(out, &property{name: name, kind: pBoxAction, binds: binds, pre: pre, pos: e.Pos, act: md.cp.action(in, sc, mNormal)})
				return nil
			case in.Kind == eOp && in.Name == "<>" && !temporal(in.Args[0]):
				add(pInfOften, state(in.Args[0], sc), nil)
				return nil
			case in.Kind == eOp && in.Name == "=>" && !temporal(in.Args[0]):
				r := expand(in.Args[1])
				if r.Kind == eOp && r.Name == "<>" && !temporal(r.Args[0]) {
					add(pLeadsTo, state(in.Args[0], sc), state(r.Args[0], sc))
					return nil
				}
				if r.Kind == eOp && r.Name == "[]" && !temporal(r.Args[0]) {
					add(pStable, state(in.Args[0], sc), state(r.Args[0], sc))
					return nil
				}
			case in.Kind == eForall:
				// [](\A x \in S : F) is \A x \in S : []F
				return md.forBindings(in, sc, binds, func(ns *scope, b []slotVal) error {
					return walk(&Expr{Kind: eOp, Name: "[]", Pos: e.Pos, Args: []*Expr{in.Args[0]}}, ns, b, pre)
				})
			case in.Kind == eOp && in.Name == `/\`:
				// [](A /\ B) is []A /\ []B
				for _, a := range in.Args {
					if err := walk(&Expr{Kind: eOp, Name: "[]", Pos: e.Pos, Args: []*Expr{a}}, sc, binds, pre); err != nil {
						return err
					}
				}
				return nil
			}
		case e.Kind == eOp && e.Name == "<>":
			in := expand(e.Args[0])
			switch {
			case !temporal(in):
				add(pEventually, state(in, sc), nil)
				return nil
			case in.Kind == eOp && in.Name == "[]" && !temporal(in.Args[0]):
				add(pEvAlways, state(in.Args[0], sc), nil)
				return nil
			}
		}
		return errAt(e.Pos, "unsupported temporal formula in property %s (supported: []P, <>P, []<>P, <>[]P, P ~> Q, [](P => <>Q), [](P => []Q), WF_v(A), SF_v(A), [][A]_v, Init => any of these, and conjunctions and \\A of these)", name)
	}
	if err := walk(e, sc, nil, nil); err != nil {
		return nil, err
	}
	return out, nil
}
