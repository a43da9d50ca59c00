package checker

import "slices"

// Liveness works on the explicit state graph kept during exploration. A
// behaviour violating a property ends in a cycle; it is admissible when the
// cycle is fair. Every state may stutter, so each state alone is a cycle.
// A strongly connected component C is fair for
//   - WF_v(A): some edge of C is an <<A>>_v step, or A is disabled somewhere in C;
//   - SF_v(A): some edge of C is an <<A>>_v step, or A is disabled everywhere
//     in C — otherwise the states where A is enabled are removed and the
//     rest is searched again (the usual Emerson–Lei refinement).

type liveGraph struct {
	ex      *explorer
	n       int
	enabled [][]bool   // [fairness][state]
	taken   [][][]bool // [state][edge][fairness]
	// skip, when set, removes edges from the search (edge j of state v):
	// a WF/SF property is violated by a fair cycle without its steps.
	skip func(v int32, j int) bool
}

func (ex *explorer) buildLiveGraph() *liveGraph {
	md := ex.md
	g := &liveGraph{ex: ex, n: len(ex.states)}
	x := ex.newCtx()
	nv := len(md.Vars)
	for i := range ex.edges {
		slices.Sort(ex.edges[i])
		ex.edges[i] = slices.Compact(ex.edges[i])
	}
	g.enabled = make([][]bool, len(md.fairness))
	for f, fa := range md.fairness {
		g.enabled[f] = make([]bool, g.n)
		for s := 0; s < g.n; s++ {
			x.cur = ex.states[s]
			g.enabled[f][s] = fa.enabled(x, nv)
		}
	}
	g.taken = make([][][]bool, g.n)
	for s := 0; s < g.n; s++ {
		g.taken[s] = make([][]bool, len(ex.edges[s]))
		for j, t := range ex.edges[s] {
			row := make([]bool, len(md.fairness))
			if int(t) != s {
				for f, fa := range md.fairness {
					if !g.enabled[f][s] {
						continue
					}
					x.cur = ex.states[s]
					x.nxt = append(x.nxt[:0], ex.states[t]...)
					row[f] = fa.step(x)
				}
			}
			g.taken[s][j] = row
		}
	}
	x.nxt = make([]Value, nv)
	return g
}

// sccs returns the strongly connected components of the subgraph of allowed
// states (iterative Tarjan).
func (g *liveGraph) sccs(allowed []bool) [][]int32 {
	edges := g.ex.edges
	index := make([]int32, g.n)
	low := make([]int32, g.n)
	onStack := make([]bool, g.n)
	for i := range index {
		index[i] = -1
	}
	var stack []int32
	var out [][]int32
	next := int32(0)
	type fr struct {
		v int32
		e int
	}
	for root := 0; root < g.n; root++ {
		if !allowed[root] || index[root] >= 0 {
			continue
		}
		call := []fr{{int32(root), 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			top := &call[len(call)-1]
			v := top.v
			if top.e < len(edges[v]) {
				w := edges[v][top.e]
				top.e++
				if !allowed[w] || (g.skip != nil && g.skip(v, top.e-1)) {
					continue
				}
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, fr{w, 0})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []int32
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				out = append(out, comp)
			}
		}
	}
	return out
}

// fairSCCs returns the fair strongly connected subgraphs of allowed; when
// must is non-nil each returned component contains a state with must set.
func (g *liveGraph) fairSCCs(allowed []bool, must []bool, depth int) [][]int32 {
	var out [][]int32
	fair := g.ex.md.fairness
	for _, comp := range g.sccs(allowed) {
		in := make(map[int32]bool, len(comp))
		for _, v := range comp {
			in[v] = true
		}
		if must != nil && !slices.ContainsFunc(comp, func(v int32) bool { return must[v] }) {
			continue
		}
		ok := true
		var refine []bool
		for f, fa := range fair {
			if g.takenIn(comp, in, f) {
				continue
			}
			anyDis, allDis := false, true
			for _, v := range comp {
				if g.enabled[f][v] {
					allDis = false
				} else {
					anyDis = true
				}
			}
			if !fa.strong {
				if !anyDis {
					ok = false
					break
				}
				continue
			}
			if allDis {
				continue
			}
			ok = false
			if refine == nil && depth < 64 {
				refine = make([]bool, g.n)
				for _, v := range comp {
					refine[v] = !g.enabled[f][v]
				}
			}
			break
		}
		if ok {
			out = append(out, comp)
		} else if refine != nil {
			out = append(out, g.fairSCCs(refine, must, depth+1)...)
		}
	}
	return out
}

func (g *liveGraph) takenIn(comp []int32, in map[int32]bool, f int) bool {
	for _, v := range comp {
		for j, w := range g.ex.edges[v] {
			if in[w] && g.taken[v][j][f] && (g.skip == nil || !g.skip(v, j)) {
				return true
			}
		}
	}
	return false
}

// pathWithin returns a shortest path from a to any state in goal, moving
// only through allowed states (nil allowed: anywhere); nil if none.
func (g *liveGraph) pathWithin(from []int32, goal func(int32) bool, allowed func(int32) bool) []int32 {
	prev := make(map[int32]int32)
	var queue []int32
	for _, f := range from {
		if _, ok := prev[f]; !ok {
			prev[f] = -1
			queue = append(queue, f)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if goal(v) {
			var path []int32
			for u := v; u >= 0; u = prev[u] {
				path = append(path, u)
			}
			slices.Reverse(path)
			return path
		}
		for j, w := range g.ex.edges[v] {
			if _, seen := prev[w]; seen || (allowed != nil && !allowed(w)) || (g.skip != nil && g.skip(v, j)) {
				continue
			}
			prev[w] = v
			queue = append(queue, w)
		}
	}
	return nil
}

// cycle builds a cycle from c0 inside comp that passes every fairness
// witness (an <<A>>_v edge or a state where A is disabled) and a must state.
func (g *liveGraph) cycle(comp []int32, c0 int32, must []bool) []int32 {
	in := make(map[int32]bool, len(comp))
	for _, v := range comp {
		in[v] = true
	}
	inC := func(v int32) bool { return in[v] }
	path := []int32{c0}
	goTo := func(goal func(int32) bool) {
		p := g.pathWithin([]int32{path[len(path)-1]}, goal, inC)
		if len(p) > 1 {
			path = append(path, p[1:]...)
		}
	}
	for f := range g.ex.md.fairness {
		done := false
		for _, v := range comp {
			for j, w := range g.ex.edges[v] {
				if in[w] && g.taken[v][j][f] && (g.skip == nil || !g.skip(v, j)) {
					goTo(func(u int32) bool { return u == v })
					path = append(path, w)
					done = true
					break
				}
			}
			if done {
				break
			}
		}
		if done {
			continue
		}
		for _, v := range comp {
			if !g.enabled[f][v] {
				goTo(func(u int32) bool { return u == v })
				break
			}
		}
	}
	if must != nil && !slices.ContainsFunc(path, func(v int32) bool { return must[v] }) {
		goTo(func(u int32) bool { return must[u] })
	}
	if len(path) > 1 {
		// back to c0 (at least one step when we moved)
		last := path[len(path)-1]
		if last != c0 {
			p := g.pathWithin([]int32{last}, func(u int32) bool { return u == c0 }, inC)
			path = append(path, p[1:]...)
		}
	}
	return path
}

func (ex *explorer) checkLiveness() *Violation {
	md := ex.md
	x := ex.newCtx()
	n := len(ex.states)
	var inits []int32
	for i, p := range ex.parents {
		if p < 0 {
			inits = append(inits, int32(i))
		}
	}
	eval := func(p *property, f evalFn) []bool {
		out := make([]bool, n)
		setSlots(x, p.binds)
		what := "property " + p.name
		for i, st := range ex.states {
			x.cur = st
			out[i] = boolAt(p.pos, f(x), what)
		}
		return out
	}
	var g *liveGraph
	var viol *Violation
	err := evalGuard(func() {
		for _, p := range md.props {
			inits := inits
			if p.pre != nil {
				// only behaviours that start where pre holds
				pre := eval(p, p.pre)
				var sel []int32
				for _, i := range inits {
					if pre[i] {
						sel = append(sel, i)
					}
				}
				inits = sel
			}
			switch p.kind {
			case pInit:
				ok := eval(p, p.p)
				for _, i := range inits {
					if !ok[i] {
						viol = ex.lasso(p.name, []int32{i}, nil)
						return
					}
				}
			case pAlways:
				ok := eval(p, p.p)
				var path []int32
				if p.pre == nil {
					for i := 0; i < n; i++ {
						if !ok[i] {
							path = ex.pathTo(int32(i))
							break
						}
					}
				} else {
					if g == nil {
						g = ex.buildLiveGraph()
					}
					path = g.pathWithin(inits, func(v int32) bool { return !ok[v] }, nil)
				}
				if path != nil {
					viol = ex.lasso(p.name, path, nil)
					return
				}
			case pFair:
				if g == nil {
					g = ex.buildLiveGraph()
				}
				if v := ex.checkFairProperty(g, p); v != nil {
					viol = v
					return
				}
			case pStable:
				// once P holds, Q holds from then on: no Q-violating state
				// is reachable from a P state
				P, Q := eval(p, p.p), eval(p, p.q)
				if g == nil {
					g = ex.buildLiveGraph()
				}
				var from []int32
				for _, v := range reachable(g, inits, func(int32) bool { return true }) {
					if P[v] {
						from = append(from, v)
					}
				}
				if path := g.pathWithin(from, func(v int32) bool { return !Q[v] }, nil); path != nil {
					viol = ex.lasso(p.name, append(ex.pathTo(path[0]), path[1:]...), nil)
					return
				}
			case pBoxAction:
				// Check the real steps (recomputed from each state): with
				// SYMMETRY a graph edge leads to its orbit's representative.
				for s := 0; s < n; s++ {
					x.cur = ex.states[s]
					clear(x.nxt)
					var succs [][]Value
					md.next.run(x, func() bool {
						succs = append(succs, append([]Value(nil), x.nxt...))
						return true
					})
					for _, t := range succs {
						x.cur = ex.states[s]
						x.nxt = append(x.nxt[:0], t...)
						setSlots(x, p.binds)
						found := false
						p.act.run(x, func() bool { found = true; return false })
						if !found {
							x.nxt = make([]Value, len(md.Vars))
							v := ex.lasso(p.name, ex.pathTo(int32(s)), nil)
							v.Stutter = true
							v.Trace = append(v.Trace, TraceStep{Label: md.labelStep(ex.states[s], t), State: t})
							viol = v
							return
						}
					}
				}
				x.nxt = make([]Value, len(md.Vars))
			default:
				if g == nil {
					g = ex.buildLiveGraph()
				}
				if v := ex.checkTemporal(g, p, eval, inits); v != nil {
					viol = v
					return
				}
			}
		}
	})
	if err != nil {
		return &Violation{Kind: "error", Err: err}
	}
	return viol
}

func (ex *explorer) checkTemporal(g *liveGraph, p *property, eval func(*property, evalFn) []bool, inits []int32) *Violation {
	n := g.n
	var reach []bool // states of behaviours that start in inits
	if p.pre != nil {
		reach = make([]bool, n)
		for _, v := range reachable(g, inits, func(int32) bool { return true }) {
			reach[v] = true
		}
	}
	P := eval(p, p.p)
	var Q []bool
	if p.q != nil {
		Q = eval(p, p.q)
	}
	not := func(b []bool) []bool {
		o := make([]bool, len(b))
		for i, v := range b {
			o[i] = !v
		}
		return o
	}
	var allowed, must []bool
	var starts []int32
	prefixAllowed := func(int32) bool { return true }
	switch p.kind {
	case pEventually:
		allowed = not(P)
		for _, i := range inits {
			if allowed[i] {
				starts = append(starts, i)
			}
		}
		prefixAllowed = func(v int32) bool { return allowed[v] }
		// only states reachable from an initial state through ¬P count
		reach := make([]bool, n)
		for _, v := range reachable(g, starts, prefixAllowed) {
			reach[v] = true
		}
		allowed = reach
	case pInfOften:
		allowed = not(P)
		starts = inits
	case pEvAlways:
		allowed = make([]bool, n)
		for i := range allowed {
			allowed[i] = true
		}
		must = not(P)
		starts = inits
	case pLeadsTo:
		allowed = not(Q)
		for i := 0; i < n; i++ {
			if P[i] && !Q[i] {
				starts = append(starts, int32(i))
			}
		}
	}
	if reach != nil {
		for i := range allowed {
			allowed[i] = allowed[i] && reach[i]
		}
		var st []int32
		for _, v := range starts {
			if reach[v] {
				st = append(st, v)
			}
		}
		starts = st
	}
	comps := g.fairSCCs(allowed, must, 0)
	if len(comps) == 0 || len(starts) == 0 {
		return nil
	}
	inComp := make(map[int32]int, 0)
	for ci, c := range comps {
		for _, v := range c {
			inComp[v] = ci
		}
	}
	var prefix []int32
	if p.kind == pLeadsTo {
		// from a P /\ ~Q state, through ~Q states, into a fair component
		path := g.pathWithin(starts, func(v int32) bool { _, ok := inComp[v]; return ok }, func(v int32) bool { return allowed[v] })
		if path == nil {
			return nil
		}
		prefix = append(ex.pathTo(path[0]), path[1:]...)
	} else {
		path := g.pathWithin(starts, func(v int32) bool { _, ok := inComp[v]; return ok }, prefixAllowed)
		if path == nil {
			return nil
		}
		if p.kind == pEventually {
			prefix = path
		} else {
			prefix = append(ex.pathTo(path[0]), path[1:]...)
		}
	}
	c0 := prefix[len(prefix)-1]
	cyc := g.cycle(comps[inComp[c0]], c0, must)
	return ex.lasso(p.name, prefix, cyc)
}

func reachable(g *liveGraph, from []int32, allowed func(int32) bool) []int32 {
	seen := map[int32]bool{}
	var out, queue []int32
	for _, f := range from {
		if !seen[f] {
			seen[f] = true
			queue = append(queue, f)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		out = append(out, v)
		for _, w := range g.ex.edges[v] {
			if !seen[w] && allowed(w) {
				seen[w] = true
				queue = append(queue, w)
			}
		}
	}
	return out
}

// pathTo is the BFS path from an initial state to i.
func (ex *explorer) pathTo(i int32) []int32 {
	var p []int32
	for ; i >= 0; i = ex.parents[i] {
		p = append(p, i)
	}
	slices.Reverse(p)
	return p
}

// lasso turns a prefix (ending at the loop start) and a cycle from it into
// a Violation with labelled steps.
func (ex *explorer) lasso(name string, prefix, cyc []int32) *Violation {
	v := &Violation{Kind: "property", Name: name}
	seq := append([]int32(nil), prefix...)
	v.LoopTo = len(prefix) - 1
	if len(cyc) > 1 {
		seq = append(seq, cyc[1:len(cyc)-1]...)
		if cyc[len(cyc)-1] != cyc[0] {
			seq = append(seq, cyc[len(cyc)-1])
		}
	} else {
		v.Stutter = true
	}
	for i, s := range seq {
		label := "Initial predicate"
		if i > 0 {
			label = ex.md.labelStep(ex.states[seq[i-1]], ex.states[s])
		}
		v.Trace = append(v.Trace, TraceStep{Label: label, State: ex.states[s]})
	}
	if !v.Stutter {
		v.LoopLabel = ex.md.labelStep(ex.states[seq[len(seq)-1]], ex.states[seq[v.LoopTo]])
	}
	return v
}

// labelStep names the sub-action of Next that takes from to to.
func (md *Model) labelStep(from, to []Value) string {
	x := md.newCtx()
	fp := md.fingerprint(x, to)
	for _, sa := range md.subActions {
		x.cur = from
		clear(x.nxt)
		setSlots(x, sa.binds)
		found := false
		_ = evalGuard(func() {
			sa.act.run(x, func() bool {
				if md.fingerprint(x, x.nxt) == fp {
					found = true
					return false
				}
				return true
			})
		})
		if found {
			return sa.label
		}
	}
	return "Next"
}

// checkFairProperty checks WF_v(A) or SF_v(A) as a property: it fails when
// a fair cycle (under the spec's own fairness) never takes an <<A>>_v step
// while A is enabled throughout it (WF) or somewhere in it (SF).
func (ex *explorer) checkFairProperty(g *liveGraph, p *property) *Violation {
	md := ex.md
	x := ex.newCtx()
	nv := len(md.Vars)
	fa := &fairness{strong: p.strong, binds: p.binds, act: p.act}
	en := make([]bool, g.n)
	step := make([][]bool, g.n)
	for s := 0; s < g.n; s++ {
		step[s] = make([]bool, len(ex.edges[s]))
		for j, t := range ex.edges[s] {
			x.cur = ex.states[s]
			x.nxt = append(x.nxt[:0], ex.states[t]...)
			step[s][j] = fa.step(x)
		}
		x.nxt = make([]Value, nv)
		x.cur = ex.states[s]
		err := evalGuard(func() { en[s] = fa.enabled(x, nv) })
		if err != nil {
			// A cannot be enumerated on its own (it primes a state function
			// of a refinement mapping): take it as enabled when one of the
			// implementation's steps from s is an <<A>>_v step. This is
			// weaker than ENABLED and is said so in docs/model.md.
			x.nxt = make([]Value, nv)
			x.base, x.sp, x.depth = 0, md.rootFr.size+64, 0
			en[s] = slices.Contains(step[s], true)
		}
	}
	g.skip = func(v int32, j int) bool { return step[v][j] }
	defer func() { g.skip = nil }()
	allowed := make([]bool, g.n)
	var must []bool
	for i := range allowed {
		allowed[i] = !p.strong && en[i] || p.strong
	}
	if p.strong {
		must = en
	}
	comps := g.fairSCCs(allowed, must, 0)
	if len(comps) == 0 {
		return nil
	}
	c0 := comps[0][0]
	if must != nil {
		for _, v := range comps[0] {
			if must[v] {
				c0 = v
				break
			}
		}
	}
	return ex.lasso(p.name, ex.pathTo(c0), g.cycle(comps[0], c0, must))
}
