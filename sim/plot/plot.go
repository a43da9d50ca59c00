// Package plot draws the studies' figures from sweep summaries: one line
// (or one group of bars) per configuration, each point the mean over the
// seeds with its 95 % confidence interval as an error bar, written as PNG
// and SVG with gonum.org/v1/plot.
package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Series is one configuration's curve: means and CI half-widths at x.
type Series struct {
	Label string
	X     []float64
	Mean  []float64
	// CI95 is the half-width of each point's 95 % confidence interval; NaN
	// (a single seed) draws no bar.
	CI95 []float64
}

// Figure is one plot.
type Figure struct {
	Title, XLabel, YLabel string
	Series                []Series
	// Categories, if set, makes the x axis nominal: X values are indices
	// into it, and series are drawn as grouped bars instead of lines.
	Categories []string
	// YMin and YMax fix the y range when set (NaN: fit the data).
	YMin, YMax float64
}

// NewFigure returns a figure with a y range fitted to the data.
func NewFigure(title, xlabel, ylabel string) *Figure {
	return &Figure{Title: title, XLabel: xlabel, YLabel: ylabel, YMin: math.NaN(), YMax: math.NaN()}
}

// Size of the written images.
const (
	width  = 16 * vg.Centimeter
	height = 10 * vg.Centimeter
)

// Save writes base+".png" and base+".svg": the plot, and under it the
// legend (beside the data it would hide bars and error bars).
func (f *Figure) Save(base string) error {
	if len(f.Series) == 0 {
		return fmt.Errorf("plot: %s: no data to plot", filepath.Base(base))
	}
	p, legend, err := f.build()
	if err != nil {
		return fmt.Errorf("plot: %s: %w", filepath.Base(base), err)
	}
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	legendH := vg.Length(len(f.Series))*vg.Points(11) + vg.Points(8)
	h := height + legendH
	for _, out := range []struct {
		ext string
		c   vg.CanvasWriterTo
	}{
		{".png", vgimg.PngCanvas{Canvas: vgimg.New(width, h)}},
		{".svg", vgsvg.New(width, h)},
	} {
		dc := draw.New(out.c)
		dc.SetColor(color.White) // under the legend too, not only the plot
		dc.Fill(dc.Rectangle.Path())
		p.Draw(draw.Crop(dc, 0, 0, legendH, 0))
		legend.Draw(draw.Crop(dc, vg.Points(40), 0, 0, -height))
		if err := writeTo(base+out.ext, out.c); err != nil {
			return err
		}
	}
	return nil
}

func writeTo(path string, c io.WriterTo) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := c.WriteTo(out); err != nil {
		out.Close()
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	return out.Close()
}

// points is a series' points with NaN means left out (nothing measured).
type points struct {
	xy   plotter.XYs
	errs plotter.YErrors
}

func (s Series) points(offset float64) (points, error) {
	if len(s.X) != len(s.Mean) || len(s.X) != len(s.CI95) {
		return points{}, fmt.Errorf("series %q: %d x, %d means, %d intervals", s.Label, len(s.X), len(s.Mean), len(s.CI95))
	}
	var p points
	for i := range s.X {
		if math.IsNaN(s.Mean[i]) || math.IsInf(s.Mean[i], 0) {
			continue
		}
		ci := s.CI95[i]
		if math.IsNaN(ci) || math.IsInf(ci, 0) {
			ci = 0
		}
		p.xy = append(p.xy, plotter.XY{X: s.X[i] + offset, Y: s.Mean[i]})
		p.errs = append(p.errs, struct{ Low, High float64 }{ci, ci})
	}
	return p, nil
}

type errorXYs struct {
	plotter.XYs
	plotter.YErrors
}

func (f *Figure) build() (*plot.Plot, plot.Legend, error) {
	p := plot.New()
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font.Size = vg.Points(9)
	p.Title.Text = f.Title
	p.X.Label.Text = f.XLabel
	p.Y.Label.Text = f.YLabel
	p.Add(plotter.NewGrid())
	n := len(f.Series)
	for i, s := range f.Series {
		// Grouped bars (or points on a nominal axis) are offset so that
		// their error bars do not sit on top of each other.
		offset := 0.0
		if f.Categories != nil {
			offset = (float64(i) - float64(n-1)/2) * 0.8 / float64(n)
		}
		pts, err := s.points(offset)
		if err != nil {
			return nil, legend, err
		}
		if len(pts.xy) == 0 {
			continue // nothing measured in this series: its legend says so
		}
		c := plotutil.Color(i)
		if f.Categories != nil {
			w := vg.Length(0.8/float64(n)) * width / vg.Length(len(f.Categories)+1) * 0.9
			// One chart per bar, so that a category with nothing measured
			// leaves a gap instead of shifting the bars after it.
			for j, pt := range pts.xy {
				bar, err := plotter.NewBarChart(plotter.Values{pt.Y}, w)
				if err != nil {
					return nil, legend, err
				}
				bar.Color = c
				bar.LineStyle.Width = 0
				bar.XMin = pt.X
				p.Add(bar)
				if j == 0 {
					legend.Add(s.Label, bar)
				}
			}
		} else {
			line, marks, err := plotter.NewLinePoints(pts.xy)
			if err != nil {
				return nil, legend, err
			}
			line.Color = c
			line.Width = vg.Points(1.5)
			line.Dashes = plotutil.Dashes(i)
			marks.Color = c
			marks.Shape = plotutil.Shape(i)
			p.Add(line, marks)
			legend.Add(s.Label, line, marks)
		}
		eb, err := plotter.NewYErrorBars(errorXYs{pts.xy, pts.errs})
		if err != nil {
			return nil, legend, err
		}
		eb.Color = darker(c)
		eb.LineStyle.Width = vg.Points(1)
		p.Add(eb)
	}
	if f.Categories != nil {
		p.NominalX(f.Categories...)
		p.X.Min, p.X.Max = -0.6, float64(len(f.Categories))-0.4
	}
	if !math.IsNaN(f.YMin) {
		p.Y.Min = f.YMin
	}
	if !math.IsNaN(f.YMax) {
		p.Y.Max = f.YMax
	}
	return p, legend, nil
}

func darker(c color.Color) color.Color {
	r, g, b, a := c.RGBA()
	return color.RGBA64{uint16(r * 6 / 10), uint16(g * 6 / 10), uint16(b * 6 / 10), uint16(a)}
}
