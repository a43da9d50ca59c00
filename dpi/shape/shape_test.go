package shape

import "testing"

func TestDPIEchoPairs(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
		pairs int
	}{
		// Measured openings (results/dpi/table.md, "Flow shapes").
		{"bttls Basic", []int{1501, -1846, 64, 58, -58, 90, -90, -120, 120, 27, -27, 294, -5952}, 4},
		{"bttls MSE", []int{482, -163, 56, -14, 68, -68, -98, 98, 5, -5, 272, -32768}, 3},
		{"libtorrent MSE", []int{150, -479, 191, -519, 68, -294, 287, -50, -32768, -26, 68, -32794}, 0},
		{"curl HTTPS", []int{517, -887, 64, -61, 86, -35, -31, 62, -91, 31, -24}, 0},
		{"large equal sizes are not small messages", []int{16384, -16384, 16384, -16384, 400, -400}, 0},
		{"a payload pairs once", []int{5, -5, 5}, 1},
		{"zeros ignored", []int{5, 0, -5}, 1},
		{"empty", nil, 0},
	}
	for _, tt := range tests {
		if got := EchoPairs(tt.sizes); got != tt.pairs {
			t.Errorf("%s: EchoPairs = %d, want %d", tt.name, got, tt.pairs)
		}
	}
	if !Flagged([]int{58, -58, 90, -90, 27, -27}) || Flagged([]int{58, -58, 90, -90}) {
		t.Error("Flagged threshold wrong")
	}
}
