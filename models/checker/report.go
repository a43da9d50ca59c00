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
			fmt.Fprintf(w, "Error: Temporal properties were violated.\n")
			fmt.Fprintf(w, "Error: Property %s is violated.\n", v.Name)
			fmt.Fprintln(w, "Error: The following behavior constitutes a counter-example:")
		case "error":
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
	if r.Violation == nil || r.Violation.Kind == "property" {
		fmt.Fprintf(w, "The depth of the complete state graph search is %d.\n", r.Depth)
	}
}

// WriteTrace prints a counterexample as TLC does: numbered states with the
// action that produced each, one "/\ var = value" line per variable.
func (md *Model) WriteTrace(w io.Writer, v *Violation) {
	for i, st := range v.Trace {
		fmt.Fprintf(w, "State %d: <%s>\n", i+1, st.Label)
		for j, name := range md.Vars {
			fmt.Fprintf(w, "/\\ %s = %s\n", name, Format(st.State[j]))
		}
		fmt.Fprintln(w)
	}
	if v.Kind == "property" && len(v.Trace) > 0 {
		if v.Stutter {
			fmt.Fprintf(w, "State %d: Stuttering\n", len(v.Trace)+1)
		} else {
			fmt.Fprintf(w, "State %d: Back to state %d.\n", len(v.Trace)+1, v.LoopTo+1)
		}
	}
}
