package checker

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Model is a module bound to a configuration and compiled.
type Model struct {
	Mod  *Module
	Cfg  *Config
	Vars []string

	varIdx        map[string]int
	constVals     map[string]Value
	constAlias    map[string]string
	declaredConst map[string]bool
	root          *env
	cp            *compiler
	rootFr        *frame

	init        *action
	next        *action
	subActions  []subAction
	invariants  []namedPred
	constraints []namedPred
	view        evalFn
	perms       []perm // SYMMETRY
	props       []*property
	fairness    []*fairness
	deadlock    bool
	assumeOnly  bool // no variables and no behaviour: only the ASSUMEs are checked
}

type namedPred struct {
	name string
	fn   evalFn
	pos  Pos
	what string // for error messages, built once
}

// subAction is one top-level disjunct of Next, named as TLC names it in traces.
type subAction struct {
	label string
	binds []slotVal // values of the \E-bound names and parameters it sits under
	act   *action
}

// standardModules are provided by the checker itself.
var standardModules = map[string]bool{
	"Naturals": true, "Integers": true, "Sequences": true, "FiniteSets": true,
	"TLC": true, "Reals": false, "Bags": false, "TLCExt": true,
	// proof-system modules: pragmas and theorems only, nothing to evaluate
	"TLAPS": true, "FiniteSetTheorems": true, "NaturalsInduction": true, "SequenceTheorems": true,
	"WellFoundedInduction": true, "FunctionTheorems": true, "SequencesExtTheorems": true,
}

// LoadModule parses path and every user module it EXTENDS or INSTANCEs
// (looked up beside it).
func LoadModule(path string) (*Module, map[string]*Module, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checker: %w", err)
	}
	m, err := ParseModule(path, string(src))
	if err != nil {
		return nil, nil, err
	}
	mods := map[string]*Module{m.Name: m}
	dir := filepath.Dir(path)
	var load func(mm *Module) error
	load = func(mm *Module) error {
		names := append([]string(nil), mm.Extends...)
		for _, in := range mm.Instances {
			names = append(names, in.Module)
		}
		for _, d := range mm.Defs {
			if d.Inst != nil {
				names = append(names, d.Inst.Module)
			}
		}
		for _, n := range names {
			if standardModules[n] || mods[n] != nil {
				continue
			}
			p := filepath.Join(dir, n+".tla")
			s, err := os.ReadFile(p)
			if err != nil {
				if std, ok := standardModules[n]; ok && !std {
					return fmt.Errorf("checker: standard module %s is not supported", n)
				}
				return fmt.Errorf("checker: module %s used by %s: %w", n, mm.Name, err)
			}
			sub, err := ParseModule(p, string(s))
			if err != nil {
				return err
			}
			mods[n] = sub
			if err := load(sub); err != nil {
				return err
			}
		}
		return nil
	}
	if err := load(m); err != nil {
		return nil, nil, err
	}
	return m, mods, nil
}

// NewModel binds a module (and the modules it uses) to a configuration
// and compiles Init, Next, invariants and properties.
func NewModel(m *Module, mods map[string]*Module, cfg *Config) (model *Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			switch e := r.(type) {
			case bailout:
				model, err = nil, e.err
			case posErr:
				model, err = nil, e.err
			case evalErr:
				model, err = nil, fmt.Errorf("checker: %s", e.msg)
			case runtime.Error:
				model, err = nil, fmt.Errorf("checker: internal error: %v", e)
			default:
				panic(r)
			}
		}
	}()
	if mods == nil {
		mods = map[string]*Module{m.Name: m}
	}
	md := &Model{Mod: m, Cfg: cfg, varIdx: map[string]int{}, constVals: map[string]Value{},
		constAlias: map[string]string{}, declaredConst: map[string]bool{}, rootFr: &frame{}, deadlock: cfg.CheckDeadlock}
	md.cp = &compiler{m: md}
	md.root = &env{defs: map[string]*defInfo{}, m: md}
	// Merge the root module with what it EXTENDS (transitively).
	visited := map[string]bool{}
	var merge func(mm *Module) error
	merge = func(mm *Module) error {
		if visited[mm.Name] {
			return nil
		}
		visited[mm.Name] = true
		for _, n := range mm.Extends {
			if standardModules[n] {
				continue
			}
			sub := mods[n]
			if sub == nil {
				return fmt.Errorf("checker: module %s is not loaded", n)
			}
			if err := merge(sub); err != nil {
				return err
			}
		}
		for _, c := range mm.Constants {
			md.declaredConst[c.Name] = true
		}
		for i, v := range mm.Variables {
			if _, dup := md.varIdx[v]; dup {
				return errAt(mm.VarPos[i], "variable %s declared twice", v)
			}
			md.varIdx[v] = len(md.Vars)
			md.Vars = append(md.Vars, v)
		}
		for _, in := range mm.Instances {
			ie, err := md.instanceEnv(in, md.root, mods)
			if err != nil {
				return err
			}
			for n, d := range ie.defs {
				if !d.def.Local {
					md.root.defs[n] = d
				}
			}
		}
		for _, d := range mm.Defs {
			di := &defInfo{def: d, env: md.root, ops: map[mode]*compiledOp{}, acts: map[mode]*compiledOp{}}
			if d.Inst != nil {
				if len(d.Params) > 0 {
					return errAt(d.Pos, "parameterised INSTANCE is not supported")
				}
				ie, err := md.instanceEnv(d.Inst, md.root, mods)
				if err != nil {
					return err
				}
				di.inst = ie
			}
			md.root.defs[d.Name] = di
		}
		return nil
	}
	if err := merge(m); err != nil {
		return nil, err
	}
	// NAME <- [M] Def for a module merged into the root (the root itself or
	// what it EXTENDS) is an ordinary substitution.
	for mod, as := range cfg.ModAliases {
		if !visited[mod] {
			continue
		}
		for n, a := range as {
			if md.root.defs[a] == nil {
				return nil, errAt(cfg.Pos[n], "%s <- [%s] %s: %s is not defined", n, mod, a, a)
			}
			md.constAlias[n] = a
		}
	}
	for _, n := range cfg.ConstOrder {
		if a, ok := cfg.Aliases[n]; ok {
			if md.root.defs[a] == nil {
				return nil, errAt(cfg.Pos[n], "%s <- %s: %s is not defined in module %s", n, a, a, m.Name)
			}
			md.constAlias[n] = a
			continue
		}
		if !md.declaredConst[n] && md.root.defs[n] == nil {
			if mv, ok := cfg.Consts[n].(ModelValue); ok && string(mv) == n {
				continue // "x = x" only introduces a model value; TLC accepts it
			}
			return nil, errAt(cfg.Pos[n], "%s is not a CONSTANT or definition of module %s", n, m.Name)
		}
		md.constVals[n] = cfg.Consts[n]
	}
	for c := range md.declaredConst {
		_, v := md.constVals[c]
		_, a := md.constAlias[c]
		if !v && !a {
			return nil, fmt.Errorf("checker: %s: constant %s has no value in the config", cfg.File, c)
		}
	}
	// Overridden definitions are replaced by their values.
	for n := range md.constVals {
		delete(md.root.defs, n)
	}
	for _, a := range m.Assumes {
		f, _ := md.cp.expr(a, md.rootScope(), mNormal)
		if v, ok := md.evalConst(f); !ok || v != true {
			return nil, errAt(a.Pos, "ASSUME is false for this configuration")
		}
	}
	if err := md.compileSpec(); err != nil {
		return nil, err
	}
	return md, nil
}

func (md *Model) rootScope() *scope {
	return &scope{names: map[string]binding{}, fr: md.rootFr, env: md.root}
}

func (md *Model) evalConst(f evalFn) (v Value, ok bool) {
	x := md.newCtx()
	return f(x), true
}

func (md *Model) newCtx() *ctx {
	x := newCtx(len(md.Vars))
	x.push(md.rootFr.size + 64)
	return x
}

func (md *Model) instanceEnv(in *Instance, outer *env, mods map[string]*Module) (*env, error) {
	if standardModules[in.Module] {
		return &env{defs: map[string]*defInfo{}, outer: outer, m: md}, nil
	}
	im := mods[in.Module]
	if im == nil {
		return nil, errAt(in.Pos, "module %s is not loaded", in.Module)
	}
	if len(im.Extends) > 0 {
		for _, x := range im.Extends {
			if !standardModules[x] {
				return nil, errAt(in.Pos, "INSTANCE of %s, which EXTENDS the user module %s, is not supported", in.Module, x)
			}
		}
	}
	e := &env{module: in.Module, defs: map[string]*defInfo{}, outer: outer, subst: in.With, declared: map[string]bool{}, m: md}
	for _, c := range im.Constants {
		e.declared[c.Name] = true
	}
	for _, v := range im.Variables {
		e.declared[v] = true
	}
	for _, d := range im.Defs {
		e.defs[d.Name] = &defInfo{def: d, env: e, ops: map[mode]*compiledOp{}, acts: map[mode]*compiledOp{}}
	}
	return e, nil
}

// lookupTop finds a top-level definition named in the config.
func (md *Model) lookupTop(name, what string) (*Def, error) {
	if a, ok := md.constAlias[name]; ok {
		name = a
	}
	d := md.root.defs[name]
	if d == nil {
		return nil, errAt(md.Cfg.Pos[name], "%s %s is not defined in module %s", what, name, md.Mod.Name)
	}
	return d.def, nil
}

func (md *Model) compileSpec() error {
	cfg := md.Cfg
	var initE, nextE *Expr
	if cfg.Spec != "" {
		d, err := md.lookupTop(cfg.Spec, "SPECIFICATION")
		if err != nil {
			return err
		}
		sp, err := md.splitSpec(d.Body)
		if err != nil {
			return err
		}
		initE, nextE = sp.init, sp.next
		md.fairness = sp.fair
	} else {
		if cfg.Init == "" && cfg.Next == "" && len(md.Vars) == 0 {
			// A constants-only model: TLC just checks the ASSUMEs (done).
			md.assumeOnly = true
			return nil
		}
		if cfg.Init == "" || cfg.Next == "" {
			return fmt.Errorf("checker: %s: the config needs SPECIFICATION, or INIT and NEXT", cfg.File)
		}
		di, err := md.lookupTop(cfg.Init, "INIT")
		if err != nil {
			return err
		}
		dn, err := md.lookupTop(cfg.Next, "NEXT")
		if err != nil {
			return err
		}
		initE = &Expr{Kind: eName, Name: di.Name, Pos: di.Pos}
		nextE = &Expr{Kind: eName, Name: dn.Name, Pos: dn.Pos}
	}
	if len(md.Vars) == 0 {
		return fmt.Errorf("checker: module %s declares no VARIABLES", md.Mod.Name)
	}
	sc := md.rootScope()
	md.init = md.cp.action(initE, sc, mInit)
	if nextE != nil {
		md.next = md.cp.action(nextE, sc, mNormal)
		md.subActions = md.splitNext(nextE, sc)
	}
	for _, n := range cfg.Invariants {
		d, err := md.lookupTop(n, "INVARIANT")
		if err != nil {
			return err
		}
		f, _ := md.cp.expr(&Expr{Kind: eName, Name: d.Name, Pos: d.Pos}, sc, mNormal)
		md.invariants = append(md.invariants, namedPred{n, f, d.Pos, "invariant " + n})
	}
	for _, n := range cfg.Constraints {
		d, err := md.lookupTop(n, "CONSTRAINT")
		if err != nil {
			return err
		}
		f, _ := md.cp.expr(&Expr{Kind: eName, Name: d.Name, Pos: d.Pos}, sc, mNormal)
		md.constraints = append(md.constraints, namedPred{n, f, d.Pos, "constraint " + n})
	}
	if cfg.View != "" {
		d, err := md.lookupTop(cfg.View, "VIEW")
		if err != nil {
			return err
		}
		md.view, _ = md.cp.expr(&Expr{Kind: eName, Name: d.Name, Pos: d.Pos}, sc, mNormal)
	}
	if cfg.Symmetry != "" {
		if err := md.compileSymmetry(cfg.Symmetry); err != nil {
			return err
		}
	}
	for _, n := range cfg.Properties {
		d, err := md.lookupTop(n, "PROPERTY")
		if err != nil {
			return err
		}
		ps, err := md.compileProperty(n, d.Body, sc)
		if err != nil {
			return err
		}
		md.props = append(md.props, ps...)
	}
	return nil
}

// splitNext splits Next into the sub-actions TLC reports in traces: it goes
// through disjunctions, \E over constant sets and applications of
// definitions, and labels each piece "Op(args) line L, col C to line L2,
// col C2 of module M" after the innermost definition it came from.
func (md *Model) splitNext(e *Expr, sc *scope) []subAction {
	var out []subAction
	constVal := func(f evalFn, binds []slotVal) (v Value, ok bool) {
		err := evalGuard(func() {
			x := md.newCtx()
			setSlots(x, binds)
			v = f(x)
		})
		return v, err == nil
	}
	var walk func(e *Expr, sc *scope, binds []slotVal, label string, span *Expr, depth int)
	walk = func(e *Expr, sc *scope, binds []slotVal, label string, span *Expr, depth int) {
		leaf := func() {
			l := fmt.Sprintf("%s line %d, col %d to line %d, col %d of module %s", label,
				span.Pos.Line, span.Pos.Col, span.End.Line, span.End.Col, md.Mod.Name)
			out = append(out, subAction{label: l, binds: binds, act: md.cp.action(e, sc, mNormal)})
		}
		if depth > 32 {
			leaf()
			return
		}
		switch e.Kind {
		case eOp:
			if e.Name == `\/` {
				// each disjunct keeps the label but has its own span (TLC)
				for _, a := range e.Args {
					walk(a, sc, binds, label, a, depth+1)
				}
				return
			}
		case eExists:
			if len(e.Bounds) != 1 || e.Bounds[0].Tuple || len(e.Bounds[0].Names) != 1 {
				break
			}
			set, dyn := md.cp.expr(e.Bounds[0].Set, sc, mNormal)
			if dyn {
				break
			}
			sv, ok := constVal(set, binds)
			if !ok || !isSet(sv) {
				break
			}
			el, ok := tryElems(sv)
			if !ok {
				break
			}
			ns := sc.child()
			slot := ns.bind(e.Bounds[0].Names[0])
			for _, v := range el {
				nb := append(append([]slotVal(nil), binds...), slotVal{slot, v})
				walk(e.Args[0], ns, nb, label, span, depth+1)
			}
			return
		case eName:
			if e.Other != nil {
				break
			}
			if _, local := sc.lookup(e.Name); local {
				break
			}
			name := e.Name
			if a, ok := md.constAlias[name]; ok {
				name = a
			}
			d := sc.env.lookupDef(name)
			if d == nil || d.inst != nil || d.def.Body == nil || len(d.def.FnBounds) > 0 || len(e.Args) != len(d.def.Params) {
				break
			}
			ns := &scope{names: map[string]binding{}, fr: md.rootFr, env: d.env}
			nb := append([]slotVal(nil), binds...)
			var args []string
			ok := true
			for i, p := range d.def.Params {
				if p.Arity > 0 {
					ok = false
					break
				}
				f, dyn := md.cp.expr(e.Args[i], sc, mNormal)
				if dyn {
					// depends on the state: not a fixed sub-action
					ok = false
					break
				}
				v, good := constVal(f, binds)
				if !good {
					ok = false
					break
				}
				nb = append(nb, slotVal{ns.bind(p.Name), v})
				args = append(args, Format(v))
			}
			if !ok {
				break
			}
			lbl := d.def.Name
			if len(args) > 0 {
				lbl += "(" + strings.Join(args, ", ") + ")"
			}
			walk(d.def.Body, ns, nb, lbl, d.def.Body, depth+1)
			return
		}
		leaf()
	}
	walk(e, sc, nil, "Next", e, 0)
	return out
}

func tryElems(v Value) (el []Value, ok bool) {
	err := evalGuard(func() { el = mustEnum(v).elems })
	return el, err == nil
}

// VarNames returns the variables in declaration order.
func (md *Model) VarNames() []string { return append([]string(nil), md.Vars...) }

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Load parses a spec and its config (by default the .cfg beside the .tla)
// and compiles the model.
func Load(tlaPath, cfgPath string) (*Model, error) {
	if cfgPath == "" {
		cfgPath = strings.TrimSuffix(tlaPath, ".tla") + ".cfg"
	}
	m, mods, err := LoadModule(tlaPath)
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("checker: %w", err)
	}
	cfg, err := ParseConfig(cfgPath, string(src))
	if err != nil {
		return nil, err
	}
	return NewModel(m, mods, cfg)
}
