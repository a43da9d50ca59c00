package plot

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/bttls/bttls/sim/sweep"
)

// Query picks a figure's series out of a sweep's summary.
type Query struct {
	// Metric is plotted on the y axis.
	Metric string
	// X is the parameter on the x axis. A numeric parameter gives lines; a
	// parameter with text values (censor kinds, levels) gives grouped bars.
	X string
	// Where fixes other parameters to one value each ("policy" → "prefer");
	// the parameters neither fixed nor on the x axis make one series per
	// combination of their values, in grid order.
	Where map[string]string
	// Scale multiplies every mean and interval (e.g. 100 for percent).
	Scale float64
}

// FromSweep builds the series of q from a whole sweep's results.
func FromSweep(p *sweep.Plan, rs []sweep.Result, q Query) (series []Series, categories []string, err error) {
	xi := -1
	for i, pr := range p.Params {
		if pr.Name == q.X {
			xi = i
		}
		if _, ok := q.Where[pr.Name]; ok && pr.Name == q.X {
			return nil, nil, fmt.Errorf("plot: %s is on the x axis and fixed too", q.X)
		}
	}
	if xi < 0 {
		return nil, nil, fmt.Errorf("plot: the sweep has no parameter %q (it has %s)", q.X, paramNames(p))
	}
	for k, v := range q.Where {
		i := slices.IndexFunc(p.Params, func(pr sweep.Param) bool { return pr.Name == k })
		if i < 0 {
			return nil, nil, fmt.Errorf("plot: the sweep has no parameter %q (it has %s)", k, paramNames(p))
		}
		if !slices.ContainsFunc(p.Params[i].Values, func(x sweep.Value) bool { return x.String() == v }) {
			return nil, nil, fmt.Errorf("plot: parameter %s never takes the value %q", k, v)
		}
	}
	numeric := true
	for _, v := range p.Params[xi].Values {
		if _, ok := v.V.(string); ok {
			numeric = false
		}
	}
	if !numeric {
		for _, v := range p.Params[xi].Values {
			categories = append(categories, v.String())
		}
	}
	scale := q.Scale
	if scale == 0 {
		scale = 1
	}
	found := false
	byLabel := map[string]int{}
	for _, row := range sweep.Summaries(p, rs) {
		if row.Metric != q.Metric {
			continue
		}
		found = true
		skip := false
		var label []string
		for i, v := range row.Values {
			name := p.Params[i].Name
			if want, fixed := q.Where[name]; fixed {
				skip = skip || v.String() != want
			} else if i != xi {
				label = append(label, name+"="+v.String())
			}
		}
		if skip {
			continue
		}
		l := strings.Join(label, " ")
		k, ok := byLabel[l]
		if !ok {
			k = len(series)
			byLabel[l] = k
			series = append(series, Series{Label: l})
		}
		x, _ := row.Values[xi].Float()
		if !numeric {
			x = float64(slices.Index(categories, row.Values[xi].String()))
		}
		s := &series[k]
		s.X = append(s.X, x)
		s.Mean = append(s.Mean, row.Mean*scale)
		s.CI95 = append(s.CI95, row.CI95*scale)
	}
	if !found {
		return nil, nil, fmt.Errorf("plot: the sweep has no metric %q (it has %s)", q.Metric, strings.Join(metricNames(rs), ", "))
	}
	for i := range series {
		if series[i].Label == "" {
			series[i].Label = q.Metric
		}
		if allNaN(series[i].Mean) {
			series[i].Label += " (nothing measured)"
		}
	}
	return series, categories, nil
}

func allNaN(xs []float64) bool {
	for _, x := range xs {
		if !math.IsNaN(x) {
			return false
		}
	}
	return true
}

func paramNames(p *sweep.Plan) string {
	var n []string
	for _, pr := range p.Params {
		n = append(n, pr.Name)
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

func metricNames(rs []sweep.Result) []string {
	set := map[string]bool{}
	for _, r := range rs {
		for n := range r.Metrics {
			set[n] = true
		}
	}
	var out []string
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
