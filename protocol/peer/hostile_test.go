package peer

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/wire"
)

// hostile is a hand-written peer on loopback that answers the handshake
// with infoHash and then runs script on the connection.
type hostile struct {
	ln     net.Listener
	mu     sync.Mutex
	closed int // connections that ended
}

func newHostile(t *testing.T, infoHash [20]byte, script func(c net.Conn, r *wire.Reader)) *hostile {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostile{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() {
					c.Close()
					h.mu.Lock()
					h.closed++
					h.mu.Unlock()
				}()
				if _, err := wire.ReadHandshake(c); err != nil {
					return
				}
				var hs wire.Handshake
				hs.InfoHash = infoHash
				copy(hs.PeerID[:], "-XX0000-hostilepeer!")
				c.Write(hs.Append(nil))
				script(c, wire.NewReader(c))
			}()
		}
	}()
	return h
}

func (h *hostile) addr() string { return h.ln.Addr().String() }

func (h *hostile) ended() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// corruptSeed claims every piece and answers every request with garbage.
func corruptSeed(tor *meta.Torrent) func(net.Conn, *wire.Reader) {
	return func(c net.Conn, r *wire.Reader) {
		bf := make([]byte, (tor.NumPieces()+7)/8)
		for i := range tor.NumPieces() {
			bf[i/8] |= 0x80 >> (i % 8)
		}
		c.Write(wire.Message{Type: wire.Bitfield, Bitfield: bf}.Append(nil))
		c.Write(wire.Message{Type: wire.Unchoke}.Append(nil))
		for {
			m, err := r.ReadMessage()
			if err != nil {
				return
			}
			if m.Type == wire.Request && !m.KeepAlive {
				junk := bytes.Repeat([]byte{0xAB}, int(m.Length))
				if _, err := c.Write(wire.Message{Type: wire.Piece, Index: m.Index, Begin: m.Begin, Block: junk}.Append(nil)); err != nil {
					return
				}
			}
		}
	}
}

func TestCorruptPeerIsBannedAndNothingBadIsWritten(t *testing.T) {
	tor, data := makeTorrent(t, 256<<10, 32<<10)
	bad := newHostile(t, tor.InfoHash, corruptSeed(tor))
	c := newClient(t, fastConfig())
	st, _ := storage.NewMemory(tor, nil)
	lt, err := c.AddTorrent(tor, st)
	if err != nil {
		t.Fatal(err)
	}
	lt.AddPeers(bad.addr())
	waitFor(t, "a hash failure", 10*time.Second, func() bool { return lt.Stats().HashFailures > 0 })
	waitFor(t, "the corrupt peer to be dropped", 10*time.Second, func() bool { return bad.ended() > 0 })
	if got := st.Bytes(); !bytes.Equal(got, make([]byte, len(got))) {
		t.Fatal("bytes of a corrupt piece reached the storage")
	}
	// A good seed appears: the download completes with the right bytes.
	seed := newClient(t, fastConfig())
	addSeed(t, seed, tor, data)
	lt.AddPeers(seed.Addr().String())
	waitComplete(t, 20*time.Second, lt)
	if !bytes.Equal(st.Bytes(), data) {
		t.Fatal("content differs")
	}
	// The banned peer is not taken back.
	for _, p := range lt.Peers() {
		if p == bad.addr() {
			t.Error("reconnected to the banned peer")
		}
	}
}

func TestHostileInputDropsOnlyThatPeer(t *testing.T) {
	tor, _ := makeTorrent(t, 64<<10, 16<<10)
	var other [20]byte
	other[0] = 1
	for _, tc := range []struct {
		name     string
		infoHash [20]byte
		script   func(net.Conn, *wire.Reader)
	}{
		{"wrong infohash", other, func(c net.Conn, r *wire.Reader) { io.Copy(io.Discard, c) }},
		{"oversized message", tor.InfoHash, func(c net.Conn, r *wire.Reader) {
			c.Write([]byte{0x7f, 0xff, 0xff, 0xff, byte(wire.Bitfield)})
			io.Copy(io.Discard, c)
		}},
		{"truncated message", tor.InfoHash, func(c net.Conn, r *wire.Reader) {
			c.Write([]byte{0, 0, 0, 13, byte(wire.Request), 0, 0})
		}},
		{"bitfield of the wrong size", tor.InfoHash, func(c net.Conn, r *wire.Reader) {
			c.Write(wire.Message{Type: wire.Bitfield, Bitfield: make([]byte, 9)}.Append(nil))
			io.Copy(io.Discard, c)
		}},
		{"have past the last piece", tor.InfoHash, func(c net.Conn, r *wire.Reader) {
			c.Write(wire.Message{Type: wire.Have, Index: 4}.Append(nil))
			io.Copy(io.Discard, c)
		}},
		{"garbage extension handshake", tor.InfoHash, func(c net.Conn, r *wire.Reader) {
			c.Write(wire.Message{Type: wire.Extended, Payload: []byte("i3e")}.Append(nil))
			io.Copy(io.Discard, c)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHostile(t, tc.infoHash, tc.script)
			c := newClient(t, fastConfig())
			st, _ := storage.NewMemory(tor, nil)
			lt, _ := c.AddTorrent(tor, st)
			lt.AddPeers(h.addr())
			waitFor(t, "the hostile peer to be dropped", 10*time.Second, func() bool { return h.ended() > 0 })
			if s := lt.Stats(); s.Have != 0 {
				t.Errorf("%d pieces from a hostile peer", s.Have)
			}
		})
	}
}

// TestIdleConnectionFlood: connections that never send a handshake do not
// stop a real peer from getting through.
func TestIdleConnectionFlood(t *testing.T) {
	tor, data := makeTorrent(t, 64<<10, 0)
	seedCfg := fastConfig()
	seedCfg.HandshakeTimeout = 300 * time.Millisecond
	seed := newClient(t, seedCfg)
	addSeed(t, seed, tor, data)
	var idle []net.Conn
	for range maxInboundHandshakes + 20 {
		c, err := net.Dial("tcp", seed.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	// The extra ones wait in the listener's backlog until the first ones
	// time out, then time out in turn: then a real peer gets in.
	time.Sleep(500 * time.Millisecond)
	c := newClient(t, fastConfig())
	st, _ := storage.NewMemory(tor, nil)
	lt, _ := c.AddTorrent(tor, st)
	lt.AddPeers(seed.Addr().String())
	waitComplete(t, 30*time.Second, lt)
}
