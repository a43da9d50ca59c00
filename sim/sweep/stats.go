package sweep

import "math"

// Summary is what a point's seeds say about one metric.
type Summary struct {
	// N counts the seeds that measured the metric (NaN and absent values
	// are left out, and N says how many remained).
	N int
	// Mean, SD (sample standard deviation) and CI95, the half-width of the
	// 95 % confidence interval of the mean (Student's t); SD and CI95 are
	// NaN when N < 2, Mean when N == 0.
	Mean, SD, CI95 float64
	Min, Max       float64
}

// Summarize summarises xs, in the order given (the order fixes the float
// rounding, so callers pass values in run order).
func Summarize(xs []float64) Summary {
	s := Summary{Mean: math.NaN(), SD: math.NaN(), CI95: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	var sum float64
	for _, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		if s.N == 0 || x < s.Min {
			s.Min = x
		}
		if s.N == 0 || x > s.Max {
			s.Max = x
		}
		s.N++
		sum += x
	}
	if s.N == 0 {
		return s
	}
	s.Mean = sum / float64(s.N)
	if s.N < 2 {
		return s
	}
	var ss float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			ss += (x - s.Mean) * (x - s.Mean)
		}
	}
	s.SD = math.Sqrt(ss / float64(s.N-1))
	s.CI95 = tQuantile975(s.N-1) * s.SD / math.Sqrt(float64(s.N))
	return s
}

// t975 holds Student's t 0.975 quantiles for 1..30 degrees of freedom.
var t975 = [...]float64{
	12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
}

// tQuantile975 is the two-sided 95 % critical value of Student's t with df
// degrees of freedom; beyond the table it uses the first terms of the
// Cornish–Fisher expansion around the normal 1.96, accurate to 1e-3 there.
func tQuantile975(df int) float64 {
	if df <= len(t975) {
		return t975[df-1]
	}
	const z = 1.959964
	d := float64(df)
	return z + (z*z*z+z)/(4*d) + (5*math.Pow(z, 5)+16*z*z*z+3*z)/(96*d*d)
}
