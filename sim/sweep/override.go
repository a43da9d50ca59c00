package sweep

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Override returns the scenario TOML with the point's values set, each at
// its parameter's dotted key ("adoption", "censor.kind", "mix.0.fraction"
// for the first table of an array of tables) or, for an alias, at each key
// the alias sets. It works on the TOML itself,
// not on the simulator's scenario struct, so the scenario parser still
// checks every key and value — an unknown key fails there with its name.
//
// A value takes the type of the key it replaces: 20 sets an integer key to
// 20, 0.5 an integer key is an error, 1 a float key 1.0. Keys that do not
// exist yet are added with the value's own type, creating tables on the way.
func Override(scenario []byte, params []Param, pt Point, alias Aliases) ([]byte, error) {
	if len(params) != len(pt) {
		return nil, fmt.Errorf("sweep: override: %d parameters but %d values", len(params), len(pt))
	}
	params, pt, err := expand(params, pt, alias)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.Name] {
			return nil, fmt.Errorf("sweep: override: %s is set twice (by an alias and a parameter?)", p.Name)
		}
		seen[p.Name] = true
	}
	doc := map[string]any{}
	if err := toml.Unmarshal(scenario, &doc); err != nil {
		return nil, fmt.Errorf("sweep: override: scenario: %w", err)
	}
	for i, p := range params {
		if err := set(doc, p.Name, pt[i]); err != nil {
			return nil, fmt.Errorf("sweep: override %s=%s: %w", p.Name, pt[i], err)
		}
	}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(doc); err != nil {
		return nil, fmt.Errorf("sweep: override: encoding scenario: %w", err)
	}
	return b.Bytes(), nil
}

func set(doc map[string]any, name string, v Value) error {
	parts := strings.Split(name, ".")
	table := doc
	i := 0
	for ; i < len(parts)-1; i++ {
		next, usedIndex, err := descend(table, parts[i], parts[i+1])
		if err != nil {
			return fmt.Errorf("%s: %w", strings.Join(parts[:i+1], "."), err)
		}
		if usedIndex {
			i++ // the array index is consumed too
		}
		table = next
	}
	if i >= len(parts) {
		return fmt.Errorf("names a table in an array, not a key")
	}
	key := parts[i]
	old, exists := table[key]
	if !exists {
		table[key] = v.V
		return nil
	}
	nv, err := convert(old, v)
	if err != nil {
		return err
	}
	table[key] = nv
	return nil
}

// descend returns the table at table[part], creating it if absent; for an
// array of tables it returns the element numbered by the following part.
func descend(table map[string]any, part, following string) (t map[string]any, usedIndex bool, err error) {
	switch x := table[part].(type) {
	case nil:
		t := map[string]any{}
		table[part] = t
		return t, false, nil
	case map[string]any:
		return x, false, nil
	case []map[string]any:
		i, err := strconv.Atoi(following)
		if err != nil || i < 0 || i >= len(x) {
			return nil, false, fmt.Errorf("is an array of %d tables: follow it with an index 0..%d", len(x), len(x)-1)
		}
		return x[i], true, nil
	}
	return nil, false, fmt.Errorf("is a value, not a table")
}

func convert(old any, v Value) (any, error) {
	switch old.(type) {
	case int64:
		switch x := v.V.(type) {
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int64(x), nil
			}
			return nil, fmt.Errorf("the scenario's value is an integer, %v is not", x)
		}
	case float64:
		if f, ok := v.V.(int64); ok {
			return float64(f), nil
		}
		if f, ok := v.V.(float64); ok {
			return f, nil
		}
	case bool:
		if b, ok := v.V.(bool); ok {
			return b, nil
		}
	case string:
		return v.String(), nil
	case map[string]any, []map[string]any:
		return nil, fmt.Errorf("the scenario has a table there, not a value")
	default:
		return v.V, nil // arrays, dates: the scenario parser judges the replacement
	}
	return nil, fmt.Errorf("the scenario's value is a %T, %q is not", old, v)
}
