package peer

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/storage"
)

// smallBufEnv is the OS with tiny socket buffers, so that what is in flight
// on a connection is mostly what the peers themselves hold: the kernel no
// longer hides a flow-control cycle between them.
type smallBufEnv struct{ env.OS }

const smallSockBuf = 64 << 10

func shrink(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetReadBuffer(smallSockBuf)
		tc.SetWriteBuffer(smallSockBuf)
	}
}

func (e smallBufEnv) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	c, err := e.OS.Dial(network, addr, timeout)
	if err == nil {
		shrink(c)
	}
	return c, err
}

func (e smallBufEnv) Listen(network, addr string) (net.Listener, error) {
	l, err := e.OS.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	return smallBufListener{l}, nil
}

type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		shrink(c)
	}
	return c, err
}

// logTrap records log lines that mention any of its words.
type logTrap struct {
	words []string
	mu    sync.Mutex
	lines []string
}

func (l *logTrap) logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, w := range l.words {
		if strings.Contains(s, w) {
			l.mu.Lock()
			l.lines = append(l.lines, s)
			l.mu.Unlock()
			return
		}
	}
}

func (l *logTrap) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// TestMutualUploadNoDeadlock has two peers, each holding the half of the
// torrent the other lacks, trade over connections with tiny socket buffers
// and deep request pipelines. Each uploads far more than the other's inbox
// holds, so a peer whose only task that writes is also the one that empties
// the inbox stalls: its reader waits for the inbox to drain, its driver waits
// in Write for the other side, whose reader waits in turn. The connection
// then dies at the write timeout. Both must finish on their first
// connection instead.
func TestMutualUploadNoDeadlock(t *testing.T) {
	const size, pieceLen = 16 << 20, 256 << 10
	tor, data := makeTorrent(t, size, pieceLen)
	half := func(first bool) []byte {
		d := bytes.Clone(data)
		if first {
			clear(d[size/2:])
		} else {
			clear(d[:size/2])
		}
		return d
	}
	trap := &logTrap{words: []string{"disconnected", "writing"}}
	cfg := func() Config {
		c := fastConfig()
		c.Env = smallBufEnv{}
		c.MaxRequests = 250
		c.WriteTimeout = time.Second
		c.Logf = trap.logf
		return c
	}
	var tors []*Torrent
	var stores []*storage.Memory
	var clients []*Client
	for _, first := range []bool{true, false} {
		c := newClient(t, cfg())
		st, err := storage.NewMemory(tor, half(first))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := c.AddTorrent(tor, st)
		if err != nil {
			t.Fatal(err)
		}
		tors, stores, clients = append(tors, tr), append(stores, st), append(clients, c)
	}
	tors[0].AddPeers(clients[1].Addr().String())
	waitComplete(t, 10*time.Second, tors...)
	for i, st := range stores {
		if !bytes.Equal(st.Bytes(), data) {
			t.Errorf("peer %d: content differs", i)
		}
	}
	if lines := trap.seen(); len(lines) > 0 {
		t.Errorf("connections failed during the exchange:\n%s", strings.Join(lines, "\n"))
	}
}
