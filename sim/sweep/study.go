package sweep

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// A study file is a scenario with a [sweep] table: the parameters to sweep,
// how many seeds, names that set several scenario keys at once, and the
// figures to draw. The table belongs to the sweep, and is taken out before
// the scenario reaches the simulator:
//
//	[sweep]
//	command = "run"          # the btsim subcommand that runs one run
//	params = ["adoption=0:1:0.1", "mix.0.policy=prefer,require"]
//	seeds = 5
//	[sweep.alias]
//	# adoption is the share of leechers that speak bttls; the rest are legacy.
//	adoption = { "mix.0.fraction" = "x", "mix.1.fraction" = "1-x" }
//	# client names a transport and policy pair.
//	[sweep.alias.client]
//	"mix.0.transport" = { legacy = "legacy", tls-prefer = "tls-basic" }
//	"mix.0.policy" = { legacy = "off", tls-prefer = "prefer" }
//	[[sweep.plot]]
//	file = "completion-vs-adoption"
//	title = "Completion time vs adoption"
//	y = "completion_p90_s"
//	x = "adoption"
//	ylabel = "90th percentile completion (s)"
//	where = { "mix.0.policy" = "prefer" }
type Study struct {
	// Command is the btsim subcommand that runs one run ("" means "run").
	Command string
	Params  []Param
	Seeds   int
	Alias   Aliases
	Plots   []PlotSpec
}

// PlotSpec is one figure of a study, drawn from the whole sweep's results.
type PlotSpec struct {
	File   string            `toml:"file"` // base name, without .png/.svg
	Title  string            `toml:"title"`
	Y      string            `toml:"y"` // metric
	X      string            `toml:"x"` // parameter
	XLabel string            `toml:"xlabel"`
	YLabel string            `toml:"ylabel"`
	Where  map[string]string `toml:"where"`
	Scale  float64           `toml:"scale"`
	// YMin and YMax fix the y range when YFixed is set (e.g. 0..100 %).
	YMin   float64 `toml:"ymin"`
	YMax   float64 `toml:"ymax"`
	YFixed bool    `toml:"yfixed"`
}

// Aliases maps a parameter name to the scenario keys it sets. Each key's
// value is an expression of the parameter's value x ("x" or "1-x"), or a
// table from the parameter's values to the key's values.
type Aliases map[string]map[string]any

type studyTable struct {
	Command string     `toml:"command"`
	Params  []string   `toml:"params"`
	Seeds   int        `toml:"seeds"`
	Alias   Aliases    `toml:"alias"`
	Plot    []PlotSpec `toml:"plot"`
}

// ParseStudy splits a study file into its [sweep] table and the scenario
// the simulator reads. A file without [sweep] is a plain scenario: no
// parameters, one seed, no plots.
func ParseStudy(name string, data []byte) (*Study, []byte, error) {
	doc := map[string]any{}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, nil, fmt.Errorf("sweep: %s: %w", name, err)
	}
	st := &Study{Seeds: 1}
	if _, ok := doc["sweep"]; !ok {
		return st, data, nil
	}
	var tab studyTable
	if err := decodeSweepTable(data, &tab); err != nil {
		return nil, nil, fmt.Errorf("sweep: %s: [sweep]: %w", name, err)
	}
	delete(doc, "sweep")
	if tab.Seeds < 0 {
		return nil, nil, fmt.Errorf("sweep: %s: sweep.seeds %d: want at least 1", name, tab.Seeds)
	}
	if tab.Seeds > 0 {
		st.Seeds = tab.Seeds
	}
	for _, spec := range tab.Params {
		p, err := ParseParam(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("sweep: %s: sweep.params: %w", name, err)
		}
		st.Params = append(st.Params, p)
	}
	st.Alias = tab.Alias
	for alias, targets := range tab.Alias {
		if len(targets) == 0 {
			return nil, nil, fmt.Errorf("sweep: %s: sweep.alias.%s sets no keys", name, alias)
		}
		for key, expr := range targets {
			if err := checkName(key); err != nil {
				return nil, nil, fmt.Errorf("sweep: %s: sweep.alias.%s: key %q: %w", name, alias, key, err)
			}
			if err := checkAliasTarget(expr); err != nil {
				return nil, nil, fmt.Errorf("sweep: %s: sweep.alias.%s: key %q: %w", name, alias, key, err)
			}
		}
	}
	for i, pl := range tab.Plot {
		if pl.File == "" || pl.Y == "" || pl.X == "" {
			return nil, nil, fmt.Errorf("sweep: %s: sweep.plot %d: file, x and y are required", name, i+1)
		}
		if strings.ContainsAny(pl.File, `/\`) || strings.HasPrefix(pl.File, ".") {
			return nil, nil, fmt.Errorf("sweep: %s: sweep.plot %q: file is a base name, not a path", name, pl.File)
		}
	}
	st.Plots = tab.Plot
	st.Command = tab.Command
	if err := checkName(st.Command); st.Command != "" && (err != nil || strings.Contains(st.Command, ".")) {
		return nil, nil, fmt.Errorf("sweep: %s: sweep.command %q is not a subcommand name", name, st.Command)
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(doc); err != nil {
		return nil, nil, fmt.Errorf("sweep: %s: %w", name, err)
	}
	return st, b.Bytes(), nil
}

// decodeSweepTable decodes only [sweep], refusing keys it does not know so
// that a typo (sweep.seed) is an error rather than a silent default.
func decodeSweepTable(data []byte, tab *studyTable) error {
	var wrap struct {
		Sweep studyTable `toml:"sweep"`
	}
	md, err := toml.Decode(string(data), &wrap)
	if err != nil {
		return err
	}
	var unknown []string
	for _, k := range md.Undecoded() {
		if len(k) > 1 && k[0] == "sweep" && !(len(k) > 2 && (k[1] == "alias" || k[1] == "plot" && k[2] == "where")) {
			unknown = append(unknown, k.String())
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown key %s", strings.Join(unknown, ", "))
	}
	*tab = wrap.Sweep
	return nil
}

func checkAliasTarget(t any) error {
	switch x := t.(type) {
	case string:
		_, err := evalAlias(x, Value{0.5})
		return err
	case map[string]any:
		if len(x) == 0 {
			return fmt.Errorf("an empty table")
		}
		for k, v := range x {
			switch v.(type) {
			case string, int64, float64, bool:
			default:
				return fmt.Errorf("value for %q is a %T, want a number, a bool or text", k, v)
			}
		}
		return nil
	}
	return fmt.Errorf("want an expression (\"x\", \"1-x\") or a table of values, not a %T", t)
}

// evalAlias computes an alias target's value from the parameter's value.
func evalAlias(target any, x Value) (Value, error) {
	if table, ok := target.(map[string]any); ok {
		v, ok := table[x.String()]
		if !ok {
			return Value{}, fmt.Errorf("its table has no entry for %q", x)
		}
		return Value{v}, nil
	}
	expr, _ := target.(string)
	switch strings.ReplaceAll(expr, " ", "") {
	case "x":
		return x, nil
	case "1-x":
		f, ok := x.Float()
		if _, isBool := x.V.(bool); !ok || isBool {
			return Value{}, fmt.Errorf("\"1-x\" needs a number, not %q", x)
		}
		return Value{roundFloat(1 - f)}, nil
	}
	return Value{}, fmt.Errorf("expression %q: want \"x\" or \"1-x\"", expr)
}

// CheckAliases checks that every value of every aliased parameter maps to
// a value for each key the alias sets, so that a gap in a table fails
// before any run starts.
func CheckAliases(params []Param, alias Aliases) error {
	for _, p := range params {
		for key, t := range alias[p.Name] {
			for _, v := range p.Values {
				if _, err := evalAlias(t, v); err != nil {
					return fmt.Errorf("sweep: %s=%s sets %s: %w", p.Name, v, key, err)
				}
			}
		}
	}
	return nil
}

// expand turns a point into the scenario keys it sets, aliases resolved,
// in a fixed order.
func expand(params []Param, pt Point, alias Aliases) ([]Param, Point, error) {
	var names []Param
	var vals Point
	for i, p := range params {
		targets, ok := alias[p.Name]
		if !ok {
			names = append(names, Param{Name: p.Name})
			vals = append(vals, pt[i])
			continue
		}
		keys := make([]string, 0, len(targets))
		for k := range targets {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := evalAlias(targets[k], pt[i])
			if err != nil {
				return nil, nil, fmt.Errorf("sweep: %s=%s sets %s: %w", p.Name, pt[i], k, err)
			}
			names = append(names, Param{Name: k})
			vals = append(vals, v)
		}
	}
	return names, vals, nil
}
