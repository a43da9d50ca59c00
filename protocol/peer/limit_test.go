package peer

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// countingAcceptor counts the transport handshakes a client starts.
type countingAcceptor struct {
	inner transport.Acceptor
	n     *atomic.Int64
	busy  bool // what AnswersBusy says
}

func (a countingAcceptor) AnswersBusy(transport.Registry) bool { return a.busy }

func (a countingAcceptor) Accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	a.n.Add(1)
	return a.inner.Accept(e, c, reg, timeout)
}

// TestFullTorrentRefusesBeforeHandshake checks that a client whose torrent
// is at its connection limit closes a new inbound connection before the
// transport handshake, instead of paying for one it would then refuse.
func TestFullTorrentRefusesBeforeHandshake(t *testing.T) {
	tor, data := makeTorrent(t, 1<<20, 32<<10)
	var accepted atomic.Int64
	seedCfg := fastConfig()
	seedCfg.MaxConns = 1 // no inbound surplus: a fifth of 1 is 0
	// Slow, so that the first leecher stays connected (not a seed) throughout.
	seedCfg.UploadRate = 32 << 10
	seedCfg.Acceptor = countingAcceptor{inner: PlainTransport{}, n: &accepted}
	refused := &logTrap{words: []string{"at the connection limit"}}
	seedCfg.Logf = refused.logf
	seed := newClient(t, seedCfg)
	ss, _ := storage.NewMemory(tor, data)
	st, err := seed.AddTorrent(tor, ss)
	if err != nil {
		t.Fatal(err)
	}
	leecher := func() *Torrent {
		c := newClient(t, fastConfig())
		ls, _ := storage.NewMemory(tor, nil)
		lt, err := c.AddTorrent(tor, ls)
		if err != nil {
			t.Fatal(err)
		}
		return lt
	}
	first := leecher()
	first.AddPeers(seed.Addr().String())
	waitFor(t, "the first leecher to connect", 10*time.Second, func() bool { return len(st.Peers()) == 1 })
	second := leecher()
	second.AddPeers(seed.Addr().String())
	waitFor(t, "the seed to refuse the second leecher", 10*time.Second, func() bool { return len(refused.seen()) > 0 })
	if n := accepted.Load(); n != 1 {
		t.Errorf("seed started %d transport handshakes, want 1 (the second connection refused before its handshake)", n)
	}
	if n := len(st.Peers()); n != 1 {
		t.Errorf("seed has %d connections, want 1", n)
	}
}

// TestFullTorrentAnswersTLSBusyAndHandshakesMSE checks what a client at
// its connection limit does with a TLS or an MSE opening. Closed before
// its handshake, a bttls initiator could not tell it from a legacy peer
// and would fall back to MSE (and an MSE initiator to plaintext),
// downgrading a connection to a peer that speaks bttls with no attacker on
// the path. So a ClientHello is answered with the busy alert, which says
// that the peer speaks TLS, without a transport handshake; an MSE opening,
// which has no such signal, still gets its handshake and is refused after.
func TestFullTorrentAnswersTLSBusyAndHandshakesMSE(t *testing.T) {
	for _, answersBusy := range []bool{true, false} {
		t.Run(fmt.Sprintf("answers busy %v", answersBusy), func(t *testing.T) {
			fullTorrentOpenings(t, answersBusy)
		})
	}
}

// fullTorrentOpenings sends a TLS and an MSE opening to a seed at its
// limit whose acceptor does or does not allow the busy alert (a port that
// poses as a web server does not: its ClientHellos get the handshake).
func fullTorrentOpenings(t *testing.T, answersBusy bool) {
	tor, data := makeTorrent(t, 1<<20, 32<<10)
	var accepted atomic.Int64
	seedCfg := fastConfig()
	seedCfg.MaxConns = 1
	seedCfg.UploadRate = 32 << 10
	seedCfg.Acceptor = countingAcceptor{inner: PlainTransport{}, n: &accepted, busy: answersBusy}
	logs := &logTrap{words: []string{"at the connection limit", "inbound"}}
	seedCfg.Logf = logs.logf
	seed := newClient(t, seedCfg)
	ss, _ := storage.NewMemory(tor, data)
	st, err := seed.AddTorrent(tor, ss)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, fastConfig())
	ls, _ := storage.NewMemory(tor, nil)
	lt, err := c.AddTorrent(tor, ls)
	if err != nil {
		t.Fatal(err)
	}
	lt.AddPeers(seed.Addr().String())
	waitFor(t, "the leecher to connect", 10*time.Second, func() bool { return len(st.Peers()) == 1 })

	// A TLS record with a ClientHello (demux's rule) of junk.
	clientHello := append([]byte{0x16, 0x03, 0x01, 0x00, 0x5b, 0x01}, make([]byte, 90)...)
	// A random MSE Ya: anything else.
	mseYa := append([]byte{0x42}, make([]byte, 95)...)

	nc, err := net.Dial("tcp", seed.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.Write(clientHello)
	want := int64(1) // transport handshakes: the leecher's
	if answersBusy {
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		reply, err := io.ReadAll(nc)
		if err != nil || !bytes.Equal(reply, tlslevel.BusyAlert) {
			t.Fatalf("full peer answered a ClientHello with %x (%v), want the busy alert %x then a close", reply, err, tlslevel.BusyAlert)
		}
		if n := accepted.Load(); n != want {
			t.Errorf("%d transport handshakes after the ClientHello, want %d (the leecher's)", n, want)
		}
	} else {
		want++
		waitFor(t, "TLS opening to reach the transport", 10*time.Second, func() bool { return accepted.Load() == want })
	}
	nc.Close()
	nc, err = net.Dial("tcp", seed.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.Write(mseYa)
	want++
	waitFor(t, "MSE opening to reach the transport", 10*time.Second, func() bool { return accepted.Load() == want })
	nc.Close()
	refusedEarly, wantEarly := 0, 0
	if answersBusy {
		wantEarly = 1 // the ClientHello
	}
	for _, l := range logs.seen() {
		if strings.Contains(l, "at the connection limit") {
			refusedEarly++
		}
	}
	if refusedEarly != wantEarly {
		t.Errorf("%d connections refused before the transport handshake, want %d", refusedEarly, wantEarly)
	}
	if n := len(st.Peers()); n != 1 {
		t.Errorf("seed has %d connections, want 1", n)
	}
}

// TestDialsInProgressAtMostHalfTheConnections gives a leecher with room
// for ten connections twenty addresses whose listeners accept and then
// say nothing, so every dial stays in its handshake: no more than five
// (half of MaxConns) may be in progress at once, and each that times out
// lets another start.
func TestDialsInProgressAtMostHalfTheConnections(t *testing.T) {
	tor, _ := makeTorrent(t, 1<<20, 32<<10)
	var accepted atomic.Int64
	var addrs []string
	held := make(chan net.Conn, 64) // the test dials each address once or twice
	t.Cleanup(func() {
		for len(held) > 0 {
			(<-held).Close()
		}
	})
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		addrs = append(addrs, ln.Addr().String())
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				held <- c
			}
		}()
	}
	cfg := fastConfig()
	cfg.ListenAddr = ""
	cfg.MaxConns = 10
	cfg.HandshakeTimeout = 400 * time.Millisecond
	c := newClient(t, cfg)
	st, _ := storage.NewMemory(tor, nil)
	lt, err := c.AddTorrent(tor, st)
	if err != nil {
		t.Fatal(err)
	}
	lt.AddPeers(addrs...)
	time.Sleep(250 * time.Millisecond) // several ticks, within the handshake timeout
	if n := accepted.Load(); n != 5 {
		t.Fatalf("%d dials in progress at once, want 5 (half of 10 connections)", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for accepted.Load() < 10 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := accepted.Load(); n < 10 {
		t.Fatalf("after the first five timed out only %d dials were made, want the next five", n)
	}
}
