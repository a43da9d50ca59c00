package middlebox

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/bttls/bttls/netmodel"
)

// outage takes one host off the network for a window of virtual time.
type outage struct {
	host       netip.Addr
	start, end time.Duration
	blackhole  bool
	env        Env
	st         *Stats
}

func newOutage(c OutageConfig, e Env, st *Stats) (*outage, error) {
	ip, err := netip.ParseAddr(c.Host)
	if err != nil {
		var ok bool
		if e.Resolve != nil {
			ip, ok = e.Resolve(c.Host)
		}
		if !ok {
			return nil, fmt.Errorf("middlebox: outage.host %q: no such host", c.Host)
		}
	}
	start := seconds(c.StartS)
	return &outage{host: ip, start: start, end: start + seconds(c.LengthS),
		blackhole: c.Mode == "blackhole", env: e, st: st}, nil
}

// Down reports whether the host is down at virtual time t.
func (o *outage) Down(t time.Duration) bool { return t >= o.start && t < o.end }

func (o *outage) Inspect(p *netmodel.Packet) netmodel.Verdict {
	if p.Flow.Server.Addr() != o.host || !o.Down(o.env.Clock.Now()) {
		return netmodel.Verdict{}
	}
	o.st.OutageHits++
	if o.blackhole {
		return netmodel.Verdict{Drop: true}
	}
	return netmodel.Verdict{Reset: true}
}
