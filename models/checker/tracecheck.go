package checker

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bttls/bttls/models/trace"
)

// TraceError is where a recorded connection stops being a behaviour of
// the spec: its first event that no step of the spec can produce.
type TraceError struct {
	Conn  string
	Index int // 1-based position of the event within its connection
	Line  int // line of the event in the trace file
	Kind  trace.Kind
	// Possible lists the event kinds the spec allows at that point.
	Possible []string
	Msg      string
}

func (e *TraceError) Error() string {
	return fmt.Sprintf("trace line %d: connection %s, event %d (%s): %s", e.Line, e.Conn, e.Index, e.Kind, e.Msg)
}

// ValidateTrace checks that the events of every connection are a behaviour
// of the spec. The spec must have a variable ev whose value after each step
// is the kind of that step; the variables level and policy, when present,
// are fixed by the first event. Unobserved details (whether an attacker is
// on the path, what the remote supports) are left open: the checker keeps
// the set of all states consistent with the events so far and fails when
// that set becomes empty. It returns one error per connection that fails.
func (md *Model) ValidateTrace(events []trace.Event) (conns int, errs []*TraceError, err error) {
	evIdx, ok := md.varIdx["ev"]
	if !ok {
		return 0, nil, fmt.Errorf("checker: trace validation needs a variable ev in module %s", md.Mod.Name)
	}
	lvIdx, hasLevel := md.varIdx["level"]
	poIdx, hasPolicy := md.varIdx["policy"]
	ids, byConn := trace.ByConn(events)
	x := md.newCtx()
	for _, id := range ids {
		evs := byConn[id]
		first := evs[0]
		var cur [][]Value
		gerr := evalGuard(func() {
			md.init.run(x, func() bool {
				st := append([]Value(nil), x.nxt...)
				if hasLevel && !Equal(st[lvIdx], first.Level) {
					return true
				}
				if hasPolicy && !Equal(st[poIdx], first.Policy) {
					return true
				}
				cur = append(cur, st)
				return true
			})
		})
		if gerr != nil {
			return 0, nil, gerr
		}
		fail := func(i int, msg string, possible []string) {
			e := evs[i]
			errs = append(errs, &TraceError{Conn: id, Index: i + 1, Line: e.Line, Kind: e.Kind, Possible: possible, Msg: msg})
		}
		if len(cur) == 0 {
			fail(0, fmt.Sprintf("no initial state has level %q and policy %q", first.Level, first.Policy), nil)
			continue
		}
		for i, e := range evs {
			if e.Level != first.Level || e.Policy != first.Policy {
				fail(i, fmt.Sprintf("level/policy changed from %s/%s to %s/%s within one connection", first.Level, first.Policy, e.Level, e.Policy), nil)
				break
			}
			want := string(e.Kind)
			seen := map[uint64]bool{}
			possible := map[string]bool{}
			var next [][]Value
			for _, s := range cur {
				x.cur = s
				clear(x.nxt)
				gerr = evalGuard(func() {
					md.next.run(x, func() bool {
						k, _ := x.nxt[evIdx].(string)
						possible[k] = true
						if k != want {
							return true
						}
						fp := md.fingerprint(x, x.nxt)
						if !seen[fp] {
							seen[fp] = true
							next = append(next, append([]Value(nil), x.nxt...))
						}
						return true
					})
				})
				if gerr != nil {
					return 0, nil, gerr
				}
			}
			if len(next) == 0 {
				ps := make([]string, 0, len(possible))
				for k := range possible {
					ps = append(ps, k)
				}
				sort.Strings(ps)
				msg := fmt.Sprintf("the spec allows no %q step here (possible: %s)", want, strings.Join(ps, ", "))
				if len(ps) == 0 {
					msg = fmt.Sprintf("the spec allows no step at all here, so not %q", want)
				}
				fail(i, msg, ps)
				break
			}
			cur = next
		}
	}
	return len(ids), errs, nil
}
