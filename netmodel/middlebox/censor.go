package middlebox

import (
	"bytes"
	"time"

	"github.com/bttls/bttls/dpi/fet"
	"github.com/bttls/bttls/netmodel"
)

// btSignature is what nDPI matches to label a flow BitTorrent: the BEP 3
// handshake's length-prefixed protocol string at the start of a stream.
var btSignature = []byte("\x13BitTorrent protocol")

// censor flags flows by their first payloads and acts on the flagged ones.
type censor struct {
	cfg   CensorConfig
	env   Env
	st    *Stats
	flows map[uint64]*censorFlow
}

type censorFlow struct {
	decided bool // the client's first payload has been seen
	acted   bool // flagged and chosen for the action
	// nextFree is, per direction, when a throttled flow may send again.
	nextFree [2]time.Duration
}

func newCensor(c CensorConfig, e Env, st *Stats) *censor {
	if c.Rate == 0 {
		c.Rate = 1
	}
	return &censor{cfg: c, env: e, st: st, flows: map[uint64]*censorFlow{}}
}

// Flags reports whether the rules of kind flag a flow whose stream in
// direction dir starts with first.
func Flags(kind string, dir netmodel.Dir, first []byte) bool {
	sig := kind == "signature" || kind == "both"
	enc := kind == "fet" || kind == "both"
	if sig && len(first) >= len(btSignature) && bytes.Equal(first[:len(btSignature)], btSignature) {
		return true
	}
	// The Great Firewall applies its rules to the client's first payload only.
	return enc && dir == netmodel.ClientToServer && fet.Classify(first).Blocked()
}

func (c *censor) Inspect(p *netmodel.Packet) netmodel.Verdict {
	f := c.flows[p.Flow.ID]
	if f == nil {
		if p.Kind != netmodel.Data {
			return netmodel.Verdict{} // nothing to judge until payload flows
		}
		f = &censorFlow{}
		c.flows[p.Flow.ID] = f
	}
	if p.Kind == netmodel.Data && p.Offset == 0 && p.Attempt == 0 && !f.acted {
		// nDPI reads the first packets of both directions; the first client
		// payload settles the Great Firewall's verdict.
		if Flags(c.cfg.Kind, p.Dir, p.Data) {
			c.st.CensorFlagged++
			if chance(hash(c.env.Seed, 0xce, p.Flow.ID), c.cfg.Rate) {
				f.acted = true
				c.st.CensorActed++
			}
		}
		if p.Dir == netmodel.ClientToServer {
			f.decided = true
		}
	}
	if !f.acted {
		if p.Kind == netmodel.FIN && f.decided {
			delete(c.flows, p.Flow.ID) // judged and ending: forget it
		}
		return netmodel.Verdict{}
	}
	switch c.cfg.Action {
	case "reset":
		return netmodel.Verdict{Reset: true}
	case "block":
		return netmodel.Verdict{Drop: true}
	}
	return c.throttle(f, p)
}

// throttle paces a flow's packets so each direction carries at most
// ThrottleBps, by holding each packet until the previous one has "left".
func (c *censor) throttle(f *censorFlow, p *netmodel.Packet) netmodel.Verdict {
	if p.Kind != netmodel.Data {
		return netmodel.Verdict{}
	}
	now := c.env.Clock.Now()
	start := max(now, f.nextFree[p.Dir])
	f.nextFree[p.Dir] = start + time.Duration(int64(len(p.Data))*int64(time.Second)/c.cfg.ThrottleBps)
	return netmodel.Verdict{Delay: f.nextFree[p.Dir] - now}
}
