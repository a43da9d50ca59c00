package checker

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune a run of the explorer.
type Options struct {
	// Workers computing successors in parallel; 0 means one per CPU. The
	// counts and the counterexample never depend on it.
	Workers int
	// Print receives the output of TLC's Print/PrintT; nil discards it.
	Print func(string)
	// MaxStates stops the search with an error once this many distinct
	// states were found; 0 means no limit.
	MaxStates int64
}

// Result is the outcome of a model-checking run.
type Result struct {
	Generated int64 // states computed: initial states plus every successor, duplicates included
	Distinct  int64
	Left      int64 // states still queued when the run stopped
	Depth     int   // BFS levels; the initial states are level 1
	Violation *Violation
	FPBytes   int // bytes of the fingerprint table
	TraceLog  int // bytes of the on-disk log used to rebuild counterexamples
	Elapsed   time.Duration
}

// Violation is an error found by the checker, with its counterexample.
type Violation struct {
	Kind  string // "invariant", "deadlock", "property", "error", "limit"
	Name  string // the invariant or property
	Err   error  // for "error": the evaluation error
	Trace []TraceStep
	// For a temporal violation: the trace ends in a cycle back to
	// Trace[LoopTo], or, when Stutter is set, stutters forever.
	LoopTo    int
	LoopLabel string // the action from the last state back to Trace[LoopTo]
	Stutter   bool
}

// TraceStep is one state of a counterexample and the action that led to it.
type TraceStep struct {
	Label string
	State []Value
}

// succ is a successor computed by a worker.
type succ struct {
	fp    uint64
	state []Value // nil when the state was already known before the batch
	bad   int     // index of the first violated invariant, or -1
	// out: the state violates a CONSTRAINT. Like TLC, it is counted as
	// generated but neither stored, checked nor explored.
	out bool
}

type stateResult struct {
	succs []succ
	err   error
}

type explorer struct {
	md   *Model
	opt  Options
	seen *fpSet
	log  *traceLog // by state index: fingerprint and parent index (-1: initial)
	res  *Result
	// liveness needs the explicit graph (and keeps parents in memory)
	graph   bool
	parents []int32
	states  [][]Value
	edges   [][]int32
	fpIndex map[uint64]int32
}

// Check explores the state space breadth-first and checks deadlock,
// invariants and (when the config has properties) temporal properties.
func (md *Model) Check(opt Options) *Result {
	start := time.Now()
	if opt.Workers <= 0 {
		opt.Workers = runtime.NumCPU()
	}
	if md.assumeOnly {
		return &Result{Elapsed: time.Since(start)}
	}
	ex := &explorer{md: md, opt: opt, seen: newFPSet(0), log: newTraceLog(), res: &Result{}}
	defer ex.log.close()
	if len(md.props) > 0 {
		ex.graph = true
		ex.fpIndex = map[uint64]int32{}
	}
	ex.run()
	if ex.res.Violation == nil && ex.graph {
		ex.res.Violation = ex.checkLiveness()
	}
	ex.res.FPBytes = ex.seen.bytes()
	ex.res.TraceLog = traceRec * ex.log.n
	ex.res.Elapsed = time.Since(start)
	return ex.res
}

func (md *Model) fingerprint(x *ctx, st []Value) uint64 {
	if len(md.perms) > 0 {
		var best uint64
		img := make([]Value, len(st))
		for i, p := range md.perms {
			for j, v := range st {
				img[j] = permute(v, p)
			}
			if h := md.fingerprint1(x, img); i == 0 || h < best {
				best = h
			}
		}
		return best
	}
	return md.fingerprint1(x, st)
}

func (md *Model) fingerprint1(x *ctx, st []Value) uint64 {
	if md.view != nil {
		saved := x.cur
		x.cur = st
		v := md.view(x)
		x.cur = saved
		return Hash(0x5bd1e995, v)
	}
	h := uint64(0x5bd1e995)
	for _, v := range st {
		h = Hash(h, v)
	}
	return h
}

// evalGuard runs f and converts evaluation panics into an error.
func evalGuard(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			switch e := r.(type) {
			case posErr:
				err = e.err
			case evalErr:
				err = fmt.Errorf("checker: %s", e.msg)
			case bailout:
				err = e.err
			case runtime.Error:
				// a bug in the checker, not in the spec: still an error, not a crash
				err = fmt.Errorf("checker: internal error: %v", e)
			default:
				panic(r)
			}
		}
	}()
	f()
	return nil
}

// complete checks that the action assigned every variable.
func (md *Model) complete(x *ctx, what string) {
	for i, v := range x.nxt {
		if v == nil {
			panic(evalErr{fmt.Sprintf("%s does not assign a value to variable %s", what, md.Vars[i])})
		}
	}
}

// firstBad returns the index of the first invariant st violates, or -1.
func (md *Model) firstBad(x *ctx, st []Value) int {
	saved := x.cur
	x.cur = st
	defer func() { x.cur = saved }()
	for i, inv := range md.invariants {
		if !boolAt(inv.pos, inv.fn(x), inv.what) {
			return i
		}
	}
	return -1
}

func (md *Model) satisfiesConstraints(x *ctx, st []Value) bool {
	if len(md.constraints) == 0 {
		return true
	}
	saved := x.cur
	x.cur = st
	defer func() { x.cur = saved }()
	for _, c := range md.constraints {
		if !boolAt(c.pos, c.fn(x), c.what) {
			return false
		}
	}
	return true
}

func (ex *explorer) record(fp uint64, parent int32, st []Value) int32 {
	idx := int32(ex.log.n)
	ex.log.add(fp, parent)
	if ex.graph {
		ex.parents = append(ex.parents, parent)
		ex.states = append(ex.states, st)
		ex.edges = append(ex.edges, nil)
		ex.fpIndex[fp] = idx
	}
	return idx
}

func (ex *explorer) newCtx() *ctx {
	x := ex.md.newCtx()
	x.out = ex.opt.Print
	return x
}

func (ex *explorer) run() {
	md, res := ex.md, ex.res
	x := ex.newCtx()
	var frontier [][]Value
	var frontIdx []int32
	var inits []succ
	err := evalGuard(func() {
		md.init.run(x, func() bool {
			md.complete(x, "Init")
			st := append([]Value(nil), x.nxt...)
			if !md.satisfiesConstraints(x, st) {
				inits = append(inits, succ{out: true})
				return true
			}
			inits = append(inits, succ{fp: md.fingerprint(x, st), state: st, bad: md.firstBad(x, st)})
			return true
		})
	})
	if err != nil {
		res.Violation = &Violation{Kind: "error", Err: err}
		return
	}
	for _, s := range inits {
		res.Generated++
		if s.out || !ex.seen.insert(s.fp) {
			continue
		}
		res.Distinct++
		idx := ex.record(s.fp, -1, s.state)
		if s.bad >= 0 {
			res.Violation = &Violation{Kind: "invariant", Name: md.invariants[s.bad].name, Trace: ex.trace(idx)}
			return
		}
		frontier = append(frontier, s.state)
		frontIdx = append(frontIdx, idx)
	}
	if len(inits) > 0 {
		res.Depth = 1
	}
	if md.next == nil {
		return
	}
	workers := ex.opt.Workers
	ctxs := make([]*ctx, workers)
	for i := range ctxs {
		ctxs[i] = ex.newCtx()
	}
	const batch = 2048
	results := make([]stateResult, batch)
	// TLC's depth is the BFS level of the deepest state found so far
	// (initial states are level 1), also when it stops at a violation.
	level := 1
	for len(frontier) > 0 {
		var nextFront [][]Value
		var nextIdx []int32
		for lo := 0; lo < len(frontier); lo += batch {
			hi := min(lo+batch, len(frontier))
			ex.expand(ctxs, frontier[lo:hi], results[:hi-lo])
			for i := lo; i < hi; i++ {
				r := &results[i-lo]
				pidx := frontIdx[i]
				if r.err != nil {
					res.Violation = &Violation{Kind: "error", Err: r.err, Trace: ex.trace(pidx)}
					res.Left = int64(len(frontier)-i) + int64(len(nextFront))
					return
				}
				if len(r.succs) == 0 && md.deadlock {
					res.Violation = &Violation{Kind: "deadlock", Trace: ex.trace(pidx)}
					res.Left = int64(len(frontier)-i-1) + int64(len(nextFront))
					return
				}
				for _, s := range r.succs {
					res.Generated++
					if s.out {
						continue
					}
					if !ex.seen.insert(s.fp) {
						if ex.graph {
							ex.edges[pidx] = append(ex.edges[pidx], ex.fpIndex[s.fp])
						}
						continue
					}
					res.Distinct++
					res.Depth = max(res.Depth, level+1)
					idx := ex.record(s.fp, pidx, s.state)
					if ex.opt.MaxStates > 0 && res.Distinct >= ex.opt.MaxStates {
						res.Violation = &Violation{Kind: "limit", Err: fmt.Errorf("checker: stopped after %d distinct states (the state limit)", res.Distinct)}
						res.Left = int64(len(frontier)-i-1) + int64(len(nextFront))
						return
					}
					if ex.graph {
						ex.edges[pidx] = append(ex.edges[pidx], idx)
					}
					if s.bad >= 0 {
						res.Violation = &Violation{Kind: "invariant", Name: md.invariants[s.bad].name, Trace: ex.trace(idx)}
						res.Left = int64(len(frontier)-i-1) + int64(len(nextFront))
						return
					}
					nextFront = append(nextFront, s.state)
					nextIdx = append(nextIdx, idx)
				}
				r.succs = nil
			}
		}
		frontier, frontIdx = nextFront, nextIdx
		level++
	}
}

// expand computes the successors of states in parallel; results[i] belongs
// to states[i], so the merge that follows is in a fixed order.
func (ex *explorer) expand(ctxs []*ctx, states [][]Value, results []stateResult) {
	var nextI atomic.Int64
	var wg sync.WaitGroup
	w := len(ctxs)
	if len(states) < 64 {
		w = 1
	}
	for k := 0; k < w; k++ {
		wg.Add(1)
		go func(x *ctx) {
			defer wg.Done()
			for {
				lo := int(nextI.Add(16)) - 16
				if lo >= len(states) {
					return
				}
				for i := lo; i < min(lo+16, len(states)); i++ {
					results[i] = ex.successors(x, states[i])
				}
			}
		}(ctxs[k])
	}
	wg.Wait()
}

func (ex *explorer) successors(x *ctx, st []Value) stateResult {
	md := ex.md
	out := make([]succ, 0, 4)
	x.cur = st
	clear(x.nxt)
	x.sp = md.rootFr.size + 64
	x.base = 0
	err := evalGuard(func() {
		md.next.run(x, func() bool {
			md.complete(x, "the next-state action")
			fp := md.fingerprint(x, x.nxt)
			if ex.seen.has(fp) {
				out = append(out, succ{fp: fp, bad: -1})
				return true
			}
			ns := append([]Value(nil), x.nxt...)
			if !md.satisfiesConstraints(x, ns) {
				out = append(out, succ{out: true})
				return true
			}
			out = append(out, succ{fp: fp, state: ns, bad: md.firstBad(x, ns)})
			return true
		})
	})
	if err != nil {
		clear(x.nxt)
		x.depth = 0
		x.base = 0
		x.sp = md.rootFr.size + 64
		return stateResult{err: err}
	}
	return stateResult{succs: out}
}

// trace rebuilds the shortest path to state idx by re-running Init and Next
// and matching fingerprints, as TLC does from its trace file.
func (ex *explorer) trace(idx int32) []TraceStep {
	var chain []uint64
	for i := idx; i >= 0; {
		fp, parent, err := ex.log.get(i)
		if err != nil {
			return nil
		}
		chain = append(chain, fp)
		i = parent
	}
	for l, r := 0, len(chain)-1; l < r; l, r = l+1, r-1 {
		chain[l], chain[r] = chain[r], chain[l]
	}
	return ex.md.replay(chain)
}

// replay turns a chain of fingerprints into states with action labels.
func (md *Model) replay(chain []uint64) []TraceStep {
	x := md.newCtx()
	var steps []TraceStep
	var cur []Value
	_ = evalGuard(func() {
		md.init.run(x, func() bool {
			st := append([]Value(nil), x.nxt...)
			if md.fingerprint(x, st) == chain[0] {
				cur = st
				return false
			}
			return true
		})
	})
	if cur == nil {
		return nil
	}
	steps = append(steps, TraceStep{Label: "Initial predicate", State: cur})
	for _, fp := range chain[1:] {
		var found []Value
		label := ""
		for _, sa := range md.subActions {
			x.cur = cur
			clear(x.nxt)
			setSlots(x, sa.binds)
			_ = evalGuard(func() {
				sa.act.run(x, func() bool {
					if md.fingerprint(x, x.nxt) == fp {
						found = append([]Value(nil), x.nxt...)
						return false
					}
					return true
				})
			})
			if found != nil {
				label = sa.label
				break
			}
		}
		if found == nil {
			break
		}
		steps = append(steps, TraceStep{Label: label, State: found})
		cur = found
	}
	return steps
}
