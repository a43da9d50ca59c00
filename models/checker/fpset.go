package checker

import "math/bits"

// fpSet is an open-addressing set of 64-bit fingerprints (linear probing).
// Slot value 0 means empty; fingerprint 0 is stored as 1, which merges two
// fingerprints out of 2^64 — the same kind of risk TLC's fingerprints take.
// The table grows by half when it is 80% full, so it holds 10 to 15 bytes
// per fingerprint. It is written by one goroutine at a time and read
// concurrently only while no one writes (the explorer alternates phases).
type fpSet struct {
	slots []uint64
	n     int
}

func newFPSet(size int) *fpSet {
	return &fpSet{slots: make([]uint64, max(size, 1024))}
}

func norm(fp uint64) uint64 {
	if fp == 0 {
		return 1
	}
	return fp
}

// home maps fp onto a slot ("fastrange": any table size works).
func (s *fpSet) home(fp uint64) int {
	hi, _ := bits.Mul64(fp, uint64(len(s.slots)))
	return int(hi)
}

// has reports whether fp is in the set.
func (s *fpSet) has(fp uint64) bool {
	fp = norm(fp)
	i := s.home(fp)
	for {
		v := s.slots[i]
		if v == fp {
			return true
		}
		if v == 0 {
			return false
		}
		if i++; i == len(s.slots) {
			i = 0
		}
	}
}

// insert adds fp and reports whether it was new.
func (s *fpSet) insert(fp uint64) bool {
	fp = norm(fp)
	if (s.n+1)*5 > len(s.slots)*4 {
		s.grow()
	}
	i := s.home(fp)
	for {
		v := s.slots[i]
		if v == fp {
			return false
		}
		if v == 0 {
			s.slots[i] = fp
			s.n++
			return true
		}
		if i++; i == len(s.slots) {
			i = 0
		}
	}
}

func (s *fpSet) grow() {
	old := s.slots
	s.slots = make([]uint64, len(old)+len(old)/2)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := s.home(v)
		for s.slots[i] != 0 {
			if i++; i == len(s.slots) {
				i = 0
			}
		}
		s.slots[i] = v
	}
}

// bytes is the memory the table holds.
func (s *fpSet) bytes() int { return 8 * len(s.slots) }
