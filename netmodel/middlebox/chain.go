package middlebox

import "github.com/bttls/bttls/netmodel"

// chain applies middleboxes in order, as packets crossing them one after
// another would: a drop or reset ends the packet's journey, delays add up,
// and a rewrite is what the next middlebox sees.
type chain []netmodel.Middlebox

func (c chain) Inspect(p *netmodel.Packet) netmodel.Verdict {
	var out netmodel.Verdict
	for _, m := range c {
		v := m.Inspect(p)
		out.Delay += v.Delay
		if v.Drop || v.Reset {
			out.Drop, out.Reset = v.Drop, v.Reset
			out.Rewrite = nil
			return out
		}
		if v.Rewrite != nil {
			q := *p
			q.Data = v.Rewrite
			p = &q
			out.Rewrite = v.Rewrite
		}
	}
	return out
}

// Stats counts what the middleboxes did, for a run's results.
type Stats struct {
	// CensorFlagged counts flows the censor's rules flagged; CensorActed
	// those it then blocked, reset or throttled (Rate of the flagged).
	CensorFlagged, CensorActed int64
	// AttackerPaths counts distinct paths found on the attacker's list when
	// a flow crossed them; AttackerFlows counts TLS attempts it attacked.
	AttackerPaths, AttackerFlows int64
	// OutageHits counts connection attempts and packets refused or dropped
	// by the outage.
	OutageHits int64
}

// Metric is one named count, in a stable order.
type Metric struct {
	Name  string
	Value float64
}

// Metrics lists the counts under the names results files use.
func (s *Stats) Metrics() []Metric {
	return []Metric{
		{"censor_flagged_flows", float64(s.CensorFlagged)},
		{"censor_acted_flows", float64(s.CensorActed)},
		{"attacker_paths", float64(s.AttackerPaths)},
		{"attacker_flows", float64(s.AttackerFlows)},
		{"outage_hits", float64(s.OutageHits)},
	}
}

// hash mixes the seed with values (splitmix64 rounds): a choice that is a
// function of what it is about, not of the order choices are made in.
func hash(seed uint64, vs ...uint64) uint64 {
	h := seed ^ 0x9e3779b97f4a7c15
	for _, v := range vs {
		h ^= v
		h += 0x9e3779b97f4a7c15
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
		h = (h ^ (h >> 27)) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// chance maps a hash to [0, 1) and reports whether it falls below p.
func chance(h uint64, p float64) bool { return float64(h>>11)/(1<<53) < p }
