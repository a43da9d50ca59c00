package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Size is a byte count written with a unit: "4MiB", "256KiB", "1GB", "512".
type Size int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// ParseSize parses a size such as "4MiB", "1.5MB" or "16384".
func ParseSize(s string) (Size, error) {
	v, err := parseScaled(s, sizeUnits)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w (write e.g. \"4MiB\", \"256KiB\", \"1GB\")", s, err)
	}
	return Size(v), nil
}

// Rate is a capacity in bytes per second, written in bits or bytes per
// second: "10Mbit", "1.5Mbit/s", "512KiB/s", "2MB/s".
type Rate int64

var rateUnits = []struct {
	suffix string
	mult   int64
}{
	{"Gbit", 1e9 / 8}, {"Mbit", 1e6 / 8}, {"kbit", 1e3 / 8}, {"Kbit", 1e3 / 8},
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// ParseRate parses a rate; "0" or "unlimited" means no limit.
func ParseRate(s string) (Rate, error) {
	if s == "unlimited" {
		return 0, nil
	}
	v, err := parseScaled(strings.TrimSuffix(s, "/s"), rateUnits)
	if err != nil {
		return 0, fmt.Errorf("rate %q: %w (write e.g. \"10Mbit\", \"512KiB/s\", \"unlimited\")", s, err)
	}
	return Rate(v), nil
}

func parseScaled(s string, units []struct {
	suffix string
	mult   int64
}) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != f {
		return 0, fmt.Errorf("not a non-negative number with a unit")
	}
	v := f * float64(mult)
	if v > 1<<62 {
		return 0, fmt.Errorf("too large")
	}
	return int64(v), nil
}

// ParseDuration parses a Go duration ("30s", "5m", "1h30m") that must not be
// negative.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q: not a non-negative duration (write e.g. \"30s\", \"5m\", \"1h\")", s)
	}
	return d, nil
}
