package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// The files a sweep writes into its output directory.
const (
	ManifestFile    = "manifest.json" // the plan and which shard of it this is
	RunsCSVFile     = "runs.csv"      // one row per run: parameters, seed, metrics
	RunsJSONFile    = "runs.json"     // the same, as JSON
	SummaryCSVFile  = "summary.csv"   // one row per point and metric: n, mean, sd, ci95
	SummaryJSONFile = "summary.json"  // the same, as JSON
)

// formatVersion names the layout of the files above; merge refuses others.
const formatVersion = "bttls-sweep/1"

// manifest is manifest.json.
type manifest struct {
	Format         string   `json:"format"`
	Scenario       string   `json:"scenario"`
	ScenarioSHA256 string   `json:"scenario_sha256"`
	Params         []string `json:"params"`
	Seeds          []uint64 `json:"seeds"`
	Shard          string   `json:"shard"`
	Runs           int      `json:"runs"`
	Metrics        []string `json:"metrics"`
}

// Write writes the results of shard sh of plan p into dir: the manifest and
// the runs, and, when sh is the whole plan, the per-point summary (a shard's
// summary would only be a partial one; merge writes it once every shard is in).
// The bytes depend only on the plan, the shard and the results' values.
func Write(dir string, p *Plan, sh Shard, rs []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	names := metricNames(rs)
	m := manifest{
		Format: formatVersion, Scenario: p.Scenario, ScenarioSHA256: p.ScenarioSHA256,
		Seeds: p.Seeds, Shard: sh.String(), Runs: len(rs), Metrics: names,
	}
	m.Params = []string{}
	for _, pr := range p.Params {
		m.Params = append(m.Params, pr.Spec)
	}
	files := map[string][]byte{}
	var err error
	if files[ManifestFile], err = marshalJSON(m); err != nil {
		return err
	}
	files[RunsCSVFile] = runsCSV(p, rs, names)
	if files[RunsJSONFile], err = runsJSON(p, rs); err != nil {
		return err
	}
	if sh == Whole {
		rows := Summaries(p, rs)
		files[SummaryCSVFile] = summaryCSV(p, rows)
		if files[SummaryJSONFile], err = summaryJSON(p, rows); err != nil {
			return err
		}
	}
	for _, name := range []string{ManifestFile, RunsCSVFile, RunsJSONFile, SummaryCSVFile, SummaryJSONFile} {
		b, ok := files[name]
		if !ok {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	return nil
}

func marshalJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sweep: encoding json: %w", err)
	}
	return append(b, '\n'), nil
}

// formatFloat writes the shortest text that parses back to the same float,
// so that merge, which reads shards' CSV, recomputes bit-identical summaries.
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// jsonFloat is a float that JSON can hold: NaN (not measured) becomes null.
func jsonFloat(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func writeCSV(rows [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(rows) // writes to a bytes.Buffer cannot fail
	return b.Bytes()
}

func runsCSV(p *Plan, rs []Result, names []string) []byte {
	head := []string{"run", "point", "seed"}
	for _, pr := range p.Params {
		head = append(head, pr.Name)
	}
	rows := [][]string{append(head, names...)}
	for _, r := range rs {
		row := []string{strconv.Itoa(r.Index), strconv.Itoa(r.Point), strconv.FormatUint(r.Seed, 10)}
		for _, v := range r.Values {
			row = append(row, v.String())
		}
		for _, n := range names {
			x, ok := r.Metrics[n]
			if !ok {
				row = append(row, "") // not reported by this run
				continue
			}
			row = append(row, formatFloat(x))
		}
		rows = append(rows, row)
	}
	return writeCSV(rows)
}

type runJSON struct {
	Run     int                 `json:"run"`
	Point   int                 `json:"point"`
	Seed    uint64              `json:"seed"`
	Params  map[string]any      `json:"params"`
	Metrics map[string]*float64 `json:"metrics"`
}

func paramMap(p *Plan, pt Point) map[string]any {
	m := make(map[string]any, len(pt))
	for i, v := range pt {
		m[p.Params[i].Name] = v.V
	}
	return m
}

func runsJSON(p *Plan, rs []Result) ([]byte, error) {
	out := make([]runJSON, len(rs))
	for i, r := range rs {
		ms := make(map[string]*float64, len(r.Metrics))
		for n, x := range r.Metrics {
			ms[n] = jsonFloat(x)
		}
		out[i] = runJSON{Run: r.Index, Point: r.Point, Seed: r.Seed, Params: paramMap(p, r.Values), Metrics: ms}
	}
	return marshalJSON(map[string]any{"runs": out})
}

// SummaryRow is one metric at one grid point, over the point's seeds.
type SummaryRow struct {
	Point  int
	Values Point
	Metric string
	Summary
}

// Summaries summarises every metric at every point of the results, points
// in order and metrics sorted by name.
func Summaries(p *Plan, rs []Result) []SummaryRow {
	names := metricNames(rs)
	var rows []SummaryRow
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j].Point == rs[i].Point {
			j++
		}
		for _, n := range names {
			xs := make([]float64, 0, j-i)
			for _, r := range rs[i:j] {
				if x, ok := r.Metrics[n]; ok {
					xs = append(xs, x)
				}
			}
			rows = append(rows, SummaryRow{Point: rs[i].Point, Values: rs[i].Values, Metric: n, Summary: Summarize(xs)})
		}
		i = j
	}
	return rows
}

func summaryCSV(p *Plan, rows []SummaryRow) []byte {
	head := []string{"point"}
	for _, pr := range p.Params {
		head = append(head, pr.Name)
	}
	out := [][]string{append(head, "metric", "n", "mean", "sd", "ci95", "lo", "hi", "min", "max")}
	for _, r := range rows {
		row := []string{strconv.Itoa(r.Point)}
		for _, v := range r.Values {
			row = append(row, v.String())
		}
		row = append(row, r.Metric, strconv.Itoa(r.N), formatFloat(r.Mean), formatFloat(r.SD),
			formatFloat(r.CI95), formatFloat(r.Mean-r.CI95), formatFloat(r.Mean+r.CI95),
			formatFloat(r.Min), formatFloat(r.Max))
		out = append(out, row)
	}
	return writeCSV(out)
}

type summaryJSONRow struct {
	Point  int            `json:"point"`
	Params map[string]any `json:"params"`
	Metric string         `json:"metric"`
	N      int            `json:"n"`
	Mean   *float64       `json:"mean"`
	SD     *float64       `json:"sd"`
	CI95   *float64       `json:"ci95"`
	Min    *float64       `json:"min"`
	Max    *float64       `json:"max"`
}

func summaryJSON(p *Plan, rows []SummaryRow) ([]byte, error) {
	out := make([]summaryJSONRow, len(rows))
	for i, r := range rows {
		out[i] = summaryJSONRow{
			Point: r.Point, Params: paramMap(p, r.Values), Metric: r.Metric, N: r.N,
			Mean: jsonFloat(r.Mean), SD: jsonFloat(r.SD), CI95: jsonFloat(r.CI95),
			Min: jsonFloat(r.Min), Max: jsonFloat(r.Max),
		}
	}
	return marshalJSON(map[string]any{"summary": out})
}
