package peer

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/transport"
)

// kindTransport is plaintext on the wire that reports a chosen kind, and
// records the hint each dial was given.
type kindTransport struct {
	PlainTransport
	kind transport.Kind

	mu    sync.Mutex
	hints map[string]transport.Hint
}

func (k *kindTransport) Connect(e env.Env, addr string, t *transport.Torrent, h transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	k.mu.Lock()
	k.hints[addr] = h
	k.mu.Unlock()
	c, err := k.PlainTransport.Connect(e, addr, t, h, timeout)
	if err == nil {
		c.Kind = k.kind
	}
	return c, err
}

func (k *kindTransport) Accept(e env.Env, c net.Conn, r transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	tc, err := k.PlainTransport.Accept(e, c, r, timeout)
	if err == nil {
		tc.Kind = k.kind
	}
	return tc, err
}

func (k *kindTransport) hint(addr string) (transport.Hint, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.hints[addr]
	return h, ok
}

// TestPEXCarriesTLSHint: a peer learned by PEX from a sender that reached it
// over TLS is dialled with Hint.TLS (BEP 11 flag 0x20); over a legacy
// transport the flag is not set.
func TestPEXCarriesTLSHint(t *testing.T) {
	for _, tc := range []struct {
		kind transport.Kind
		want bool
	}{{transport.TLSBasic, true}, {transport.MSE, false}} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			tor, data := makeTorrent(t, 2<<20, 32<<10)
			newPeer := func(rate int64) (*Client, *Torrent, *kindTransport) {
				kt := &kindTransport{kind: tc.kind, hints: map[string]transport.Hint{}}
				cfg := fastConfig()
				cfg.Dialer, cfg.Acceptor, cfg.UploadRate = kt, kt, rate
				c := newClient(t, cfg)
				var content []byte
				if rate > 0 {
					content = data
				}
				st, _ := storage.NewMemory(tor, content)
				tr, err := c.AddTorrent(tor, st)
				if err != nil {
					t.Fatal(err)
				}
				return c, tr, kt
			}
			seed, _, _ := newPeer(1 << 20)
			a, at, akt := newPeer(0)
			b, bt, bkt := newPeer(0)
			// A and B know only the seed; each can learn of the other only
			// by PEX from it. Whichever dials the other shows the hint.
			bt.AddPeers(seed.Addr().String())
			at.AddPeers(seed.Addr().String())
			deadline := time.Now().Add(10 * time.Second)
			for {
				h, ok := akt.hint(b.Addr().String())
				if !ok {
					h, ok = bkt.hint(a.Addr().String())
				}
				if ok {
					if h.TLS != tc.want {
						t.Fatalf("a leecher dialled the other with %+v, want TLS=%v", h, tc.want)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("neither leecher dialled the other, whom it could only learn of by PEX")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
