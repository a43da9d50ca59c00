package checker

// fpSet is an open-addressing set of 64-bit fingerprints (linear probing).
// Slot value 0 means empty; fingerprint 0 is stored as 1, which merges two
// fingerprints out of 2^64 — the same kind of risk TLC's fingerprints take.
// It is written by one goroutine at a time and read concurrently only while
// no one writes (the explorer alternates the two phases).
type fpSet struct {
	slots []uint64
	n     int
	mask  uint64
}

func newFPSet(capPow2 int) *fpSet {
	if capPow2 < 10 {
		capPow2 = 10
	}
	s := &fpSet{slots: make([]uint64, 1<<capPow2)}
	s.mask = uint64(len(s.slots) - 1)
	return s
}

func norm(fp uint64) uint64 {
	if fp == 0 {
		return 1
	}
	return fp
}

// has reports whether fp is in the set.
func (s *fpSet) has(fp uint64) bool {
	fp = norm(fp)
	i := (fp * 0x9e3779b97f4a7c15) >> 7 & s.mask
	for {
		v := s.slots[i]
		if v == fp {
			return true
		}
		if v == 0 {
			return false
		}
		i = (i + 1) & s.mask
	}
}

// insert adds fp and reports whether it was new.
func (s *fpSet) insert(fp uint64) bool {
	fp = norm(fp)
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	i := (fp * 0x9e3779b97f4a7c15) >> 7 & s.mask
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
		i = (i + 1) & s.mask
	}
}

func (s *fpSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	s.mask = uint64(len(s.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := (v * 0x9e3779b97f4a7c15) >> 7 & s.mask
		for s.slots[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.slots[i] = v
	}
}

// bytes is the memory the table holds.
func (s *fpSet) bytes() int { return 8 * len(s.slots) }
