package sweep

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPointsPerParam bounds one parameter's values, so that a typo such as
// `adoption=0:1:0.0001` is caught before it schedules ten thousand runs.
const maxPointsPerParam = 1000

// Value is one value a parameter takes. Numbers from a range are float64;
// list items keep the type they read as (bool, int64, float64 or string), so
// that `max_conns=20,40` sets an integer and `policy=off,prefer` a string.
type Value struct {
	V any
}

// String is the value as it appears in file names, CSV cells and plot labels.
func (v Value) String() string {
	switch x := v.V.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v.V)
}

// Float returns the value as a number, for plotting it on an axis.
func (v Value) Float() (float64, bool) {
	switch x := v.V.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Param is one swept parameter: a dotted scenario key and its values.
type Param struct {
	// Name is the scenario key, dotted for nested tables ("censor.kind").
	Name string
	// Spec is the text the parameter was parsed from, kept for the manifest.
	Spec   string
	Values []Value
}

// ParseParam parses NAME=START:STOP:STEP (STOP included when the steps land
// on it), NAME=V1,V2,... or NAME=V.
func ParseParam(s string) (Param, error) {
	name, rhs, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Param{}, fmt.Errorf("sweep: parameter %q: want NAME=START:STOP:STEP or NAME=V1,V2,...", s)
	}
	if err := checkName(name); err != nil {
		return Param{}, fmt.Errorf("sweep: parameter %q: %w", s, err)
	}
	p := Param{Name: name, Spec: s}
	var err error
	if strings.Contains(rhs, ":") {
		p.Values, err = parseRange(rhs)
	} else {
		p.Values, err = parseList(rhs)
	}
	if err != nil {
		return Param{}, fmt.Errorf("sweep: parameter %q: %w", s, err)
	}
	return p, nil
}

func checkName(name string) error {
	for _, part := range strings.Split(name, ".") {
		if part == "" {
			return errors.New("empty part in the dotted name")
		}
		for _, r := range part {
			if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return fmt.Errorf("name part %q: only letters, digits, '_' and '-' are allowed", part)
			}
		}
	}
	return nil
}

func parseRange(rhs string) ([]Value, error) {
	parts := strings.Split(rhs, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("range %q: want START:STOP:STEP", rhs)
	}
	var f [3]float64
	for i, what := range []string{"start", "stop", "step"} {
		x, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("range %q: %s %q is not a finite number", rhs, what, parts[i])
		}
		f[i] = x
	}
	start, stop, step := f[0], f[1], f[2]
	if step <= 0 {
		return nil, fmt.Errorf("range %q: step must be positive", rhs)
	}
	if stop < start {
		return nil, fmt.Errorf("range %q: stop is below start", rhs)
	}
	// Count the steps with a tolerance, so that 0:1:0.1 ends at 1 although
	// 10 × 0.1 is not exactly 1 in binary floating point.
	steps := math.Floor((stop-start)/step + 1e-9)
	if steps+1 > maxPointsPerParam {
		return nil, fmt.Errorf("range %q: %.0f values, more than the limit of %d", rhs, steps+1, maxPointsPerParam)
	}
	vals := make([]Value, 0, int(steps)+1)
	for i := 0; i <= int(steps); i++ {
		vals = append(vals, Value{roundFloat(start + float64(i)*step)})
	}
	return vals, nil
}

// roundFloat drops the binary noise of start+i*step (0.30000000000000004)
// so that values print, and compare, as the user wrote them.
func roundFloat(x float64) float64 {
	y, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	return y
}

func parseList(rhs string) ([]Value, error) {
	items := strings.Split(rhs, ",")
	if len(items) > maxPointsPerParam {
		return nil, fmt.Errorf("%d values, more than the limit of %d", len(items), maxPointsPerParam)
	}
	vals := make([]Value, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			return nil, errors.New("empty value in the list")
		}
		if !utf8.ValidString(it) || strings.IndexFunc(it, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return nil, fmt.Errorf("value %q: only printable text is allowed", it)
		}
		v := parseScalar(it)
		if seen[v.String()] {
			return nil, fmt.Errorf("value %q appears twice", it)
		}
		seen[v.String()] = true
		vals = append(vals, v)
	}
	return vals, nil
}

func parseScalar(s string) Value {
	switch s {
	case "true":
		return Value{true}
	case "false":
		return Value{false}
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Value{i}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return Value{f}
	}
	return Value{s}
}

// Point is one combination of parameter values, in the order of the plan's
// parameters.
type Point []Value

// Grid returns every combination of the parameters' values, the first
// parameter varying slowest. No parameters gives one empty point.
func Grid(params []Param) []Point {
	pts := []Point{{}}
	for _, p := range params {
		next := make([]Point, 0, len(pts)*len(p.Values))
		for _, pt := range pts {
			for _, v := range p.Values {
				q := make(Point, len(pt), len(pt)+1)
				copy(q, pt)
				next = append(next, append(q, v))
			}
		}
		pts = next
	}
	return pts
}
