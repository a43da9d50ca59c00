//go:build race

package levels

// raceEnabled: the race detector adds allocations of its own, so exact
// allocation counts are not comparable under it.
const raceEnabled = true
