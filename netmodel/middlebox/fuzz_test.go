package middlebox

import (
	"testing"

	"github.com/bttls/bttls/netmodel"
)

// FuzzInspect feeds arbitrary first payloads in both directions through
// every middlebox at once: no input may panic, and a verdict is never both
// a rewrite and a drop.
func FuzzInspect(f *testing.F) {
	f.Add(clientHello, serverHello)
	f.Add(mseYa, mseYa)
	f.Add(btHandshake, []byte{})
	f.Fuzz(func(t *testing.T, c2s, s2c []byte) {
		clk := &clock{}
		m, _, err := New(Config{
			Censor:   CensorConfig{Kind: "both", Action: "throttle", ThrottleBps: 1 << 20, Rate: 0.5},
			Attacker: AttackerConfig{Fraction: 0.5},
			Outage:   OutageConfig{Host: "10.0.0.9", LengthS: 1},
		}, Env{Clock: clk, Seed: uint64(len(c2s))})
		if err != nil {
			t.Fatal(err)
		}
		for id := range uint64(4) {
			fl := flow(id, "10.0.0.2", "10.0.0.3")
			for _, p := range []*netmodel.Packet{
				{Flow: fl, Kind: netmodel.SYN},
				data(fl, netmodel.ClientToServer, 0, c2s),
				data(fl, netmodel.ServerToClient, 0, s2c),
				data(fl, netmodel.ServerToClient, int64(len(s2c)), s2c),
				{Flow: fl, Kind: netmodel.FIN, Dir: netmodel.ClientToServer},
			} {
				v := m.Inspect(p)
				if v.Rewrite != nil && (v.Drop || v.Reset || len(v.Rewrite) != len(p.Data)) {
					t.Fatalf("verdict %+v on a %d-byte packet", v, len(p.Data))
				}
				if v.Delay < 0 {
					t.Fatalf("negative delay %v", v.Delay)
				}
			}
		}
	})
}
