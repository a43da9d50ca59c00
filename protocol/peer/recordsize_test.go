package peer

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/transport"
)

// writeSizes is an Acceptor that records the largest write on the
// connections it sets up.
type writeSizes struct {
	mu      sync.Mutex
	largest int
	writes  int
}

func (w *writeSizes) Accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	tc, err := PlainTransport{}.Accept(e, c, reg, timeout)
	if err != nil {
		return nil, err
	}
	tc.Conn = &sizedConn{Conn: tc.Conn, w: w}
	return tc, nil
}

type sizedConn struct {
	net.Conn
	w *writeSizes
}

func (c *sizedConn) Write(p []byte) (int, error) {
	c.w.mu.Lock()
	c.w.largest = max(c.w.largest, len(p))
	c.w.writes++
	c.w.mu.Unlock()
	return c.Conn.Write(p)
}

// TestRecordSizeBoundsWrites: a seed with a 1 KiB RecordSize serves a
// 1 MiB torrent of 16 KiB blocks in writes of at most 1 KiB (over TLS,
// records of at most 1 KiB), and every piece passes its SHA-1 check.
func TestRecordSizeBoundsWrites(t *testing.T) {
	sizes := &writeSizes{}
	seedCfg := fastConfig()
	seedCfg.RecordSize = 1 << 10
	seedCfg.Acceptor = sizes
	_, lt := seedThenDownload(t, 1<<20, seedCfg)
	if s := lt.Stats(); s.HashFailures != 0 {
		t.Fatalf("%d pieces failed their SHA-1 check", s.HashFailures)
	}
	sizes.mu.Lock()
	defer sizes.mu.Unlock()
	if sizes.largest > 1<<10 || sizes.writes < 1<<10 {
		t.Errorf("%d writes, the largest %d bytes; want at least 1024, none over 1024", sizes.writes, sizes.largest)
	}
}

func TestRecordSizeOutOfRange(t *testing.T) {
	for _, size := range []int{-1, 100, MinRecordSize - 1, MaxRecordSize + 1} {
		cfg := fastConfig()
		cfg.RecordSize = size
		c, err := New(cfg)
		if err == nil {
			c.Close()
			t.Errorf("RecordSize %d accepted", size)
			continue
		}
		if !strings.Contains(err.Error(), "RecordSize") {
			t.Errorf("RecordSize %d: error %q does not name the field", size, err)
		}
	}
}
