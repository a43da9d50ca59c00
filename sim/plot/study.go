package plot

import (
	"fmt"
	"math"
	"path/filepath"

	"github.com/bttls/bttls/sim/sweep"
)

// Study draws a study's figures (its [[sweep.plot]] tables) from a whole
// sweep's results into dir, and returns the base names written.
func Study(dir string, p *sweep.Plan, rs []sweep.Result, specs []sweep.PlotSpec) ([]string, error) {
	var written []string
	for _, sp := range specs {
		series, cats, err := FromSweep(p, rs, Query{Metric: sp.Y, X: sp.X, Where: sp.Where, Scale: sp.Scale})
		if err != nil {
			return written, fmt.Errorf("plot %s: %w", sp.File, err)
		}
		f := NewFigure(sp.Title, sp.XLabel, sp.YLabel)
		if f.Title == "" {
			f.Title = sp.Y + " vs " + sp.X
		}
		if f.XLabel == "" {
			f.XLabel = sp.X
		}
		if f.YLabel == "" {
			f.YLabel = sp.Y
		}
		f.Series, f.Categories = series, cats
		if sp.YFixed {
			f.YMin, f.YMax = sp.YMin, sp.YMax
		} else if cats != nil {
			f.YMin = math.Min(0, minMean(series)) // bars start at zero
		}
		if err := f.Save(filepath.Join(dir, sp.File)); err != nil {
			return written, err
		}
		written = append(written, sp.File)
	}
	return written, nil
}

func minMean(ss []Series) float64 {
	m := math.Inf(1)
	for _, s := range ss {
		for _, y := range s.Mean {
			if !math.IsNaN(y) {
				m = math.Min(m, y)
			}
		}
	}
	if math.IsInf(m, 1) {
		return 0
	}
	return m
}
