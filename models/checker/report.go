package checker

import (
	"fmt"
	"io"
)

// WriteReport prints the result the way TLC does, so that tools and people
// used to TLC's output can read it.
func (md *Model) WriteReport(w io.Writer, r *Result) {
	if v := r.Violation; v != nil {
		switch v.Kind {
		case "invariant":
			fmt.Fprintf(w, "Error: Invariant %s is violated.\n", v.Name)
			fmt.Fprintln(w, "Error: The behavior up to this point is:")
		case "deadlock":
			fmt.Fprintln(w, "Error: Deadlock reached.")
			fmt.Fprintln(w, "Error: The behavior up to this point is:")
		case "property":
			fmt.Fprintf(w, "Error: Temporal property %s was violated.\n\n", v.Name)
			fmt.Fprintln(w, "Error: The following behavior constitutes a counter-example:")
			fmt.Fprintln(w)
		case "error", "limit":
			fmt.Fprintf(w, "Error: %v\n", v.Err)
			if len(v.Trace) > 0 {
				fmt.Fprintln(w, "Error: The behavior up to this point is:")
			}
		}
		md.WriteTrace(w, v)
	} else {
		fmt.Fprintln(w, "Model checking completed. No error has been found.")
	}
	fmt.Fprintf(w, "%d states generated, %d distinct states found, %d states left on queue.\n", r.Generated, r.Distinct, r.Left)
	fmt.Fprintf(w, "The depth of the complete state graph search is %d.\n", r.Depth)
}

// WriteTrace prints a counterexample as TLC does: numbered states with the
// action that produced each, one "/\ var = value" line per variable.
func (md *Model) WriteTrace(w io.Writer, v *Violation) {
	// Variables are listed in declaration order (TLC uses an internal
	// order of its own; the set of lines is the same).
	order := make([]int, len(md.Vars))
	for i := range order {
		order[i] = i
	}
	for i, st := range v.Trace {
		fmt.Fprintf(w, "State %d: <%s>\n", i+1, st.Label)
		for _, j := range order {
			if len(order) == 1 {
				// TLC writes a lone variable without the conjunction bullet.
				fmt.Fprintf(w, "%s = %s\n", md.Vars[j], Format(st.State[j]))
				continue
			}
			fmt.Fprintf(w, "/\\ %s = %s\n", md.Vars[j], Format(st.State[j]))
		}
		fmt.Fprintln(w)
	}
	if v.Kind == "property" && len(v.Trace) > 0 {
		if v.Stutter {
			fmt.Fprintf(w, "State %d: Stuttering\n", len(v.Trace)+1)
		} else {
			fmt.Fprintf(w, "Back to state %d: <%s>\n", v.LoopTo+1, v.LoopLabel)
		}
	}
}
