package swarm

import "time"

// KumarRoss is the minimum time to distribute F bytes from seeders with
// upload us (sum) to n peers with uploads uSum (sum) and slowest download
// dmin (Kumar & Ross, 2006): max(F/us, F/dmin, n·F/(us+Σu)). dmin 0 means
// unlimited.
func KumarRoss(f float64, n int, us, uSum, dmin float64) time.Duration {
	t := f / us
	if dmin > 0 {
		t = max(t, f/dmin)
	}
	t = max(t, float64(n)*f/(us+uSum))
	return time.Duration(t * float64(time.Second))
}

// kumarRossOf is the Kumar–Ross minimum of a run that is a flash crowd
// (every leecher arrives at the same time, after or with the seeders) of
// peers with bounded uploads, and when they arrived; 0 for any other run,
// whose minimum the formula does not give.
func kumarRossOf(size int64, peers []*runPeer) (time.Duration, time.Duration) {
	var us, uSum, dmin float64
	var n int
	at := time.Duration(-1)
	for _, p := range peers {
		c := p.host.Config()
		if c.Up <= 0 {
			return 0, 0 // an unlimited uplink bounds nothing
		}
		if p.Seeder {
			us += float64(c.Up)
			continue
		}
		if at >= 0 && p.Arrival != at {
			return 0, 0
		}
		at = p.Arrival
		n++
		uSum += float64(c.Up)
		if c.Down > 0 && (dmin == 0 || float64(c.Down) < dmin) {
			dmin = float64(c.Down)
		}
	}
	if n == 0 || us == 0 {
		return 0, 0
	}
	for _, p := range peers {
		if p.Seeder && p.Arrival > at {
			return 0, 0
		}
	}
	return KumarRoss(float64(size), n, us, uSum, dmin), at
}
