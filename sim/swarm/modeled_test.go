package swarm

import (
	"bytes"
	"maps"
	"math"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/bttls/bttls/sim/scenario"
)

func TestMeasureShapes(t *testing.T) {
	sh, err := MeasureShapes(false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("TLS %s, MSE %s", shapeString(sh.TLS), shapeString(sh.MSE))
	// TLS 1.3: ClientHello, then the server's flight, then at least the
	// client's Finished; MSE: Ya, Yb, then the initiator's third message.
	if len(sh.TLS) < 3 || !sh.TLS[0].fromClient || sh.TLS[0].size < 100 || len(sh.MSE) < 3 || sh.MSE[0].size < 96 {
		t.Fatalf("implausible shapes: TLS %v, MSE %v", sh.TLS, sh.MSE)
	}
}

// TestModeledAgreesWithReal runs one small mixed swarm with real crypto and
// with modeled crypto, over seeds 1–4. Crypto's CPU time is not virtual
// time in either mode, so the swarms see the same bytes at about the same
// times; they differ only through the randomness the real handshakes draw
// and small differences in record framing (Go's TLS starts with small
// records), which shift timings and so the choker's and picker's choices.
// One seed says little: this swarm (40 peers, a 1 MiB torrent) completes
// nearly all at once, at a time that moves by 10 % or more from seed to
// seed in either mode, and one seed's real and modeled runs were seen 20 %
// apart. So the comparison is of averages over the four seeds. Stated
// tolerance: 10 % on the mean of the medians and 12 % on the mean of the
// mean download times. (Measured: medians 5.12–5.71 s real, 5.54–5.79 s
// modeled; means of medians 5.43 s and 5.66 s, 4 % apart; means of means
// 5 % apart.)
func TestModeledAgreesWithReal(t *testing.T) {
	if testing.Short() {
		t.Skip("eight swarm runs; the full suite runs it")
	}
	mix := `
[[mix]]
transport = "tls-basic"
policy = "prefer"
fraction = 0.6
[[mix]]
transport = "legacy"
fraction = 0.4
`
	var medians, means [2]float64
	const seeds = 4
	for i, mode := range []string{"real", "modeled"} {
		for seed := uint64(1); seed <= seeds; seed++ {
			sd := seed
			r, err := Run(small(t, 40, mix), Options{Crypto: mode, Seed: &sd})
			if err != nil {
				t.Fatal(err)
			}
			if r.Completed != 40 {
				t.Fatalf("%s, seed %d: %d of 40 completed", mode, seed, r.Completed)
			}
			if mode == "modeled" && (r.Handshakes["out_tls-basic"] == 0 || r.Handshakes["out_mse"] == 0 || r.Handshakes["in_failed"] == 0) {
				t.Fatalf("modeled run lacks TLS, MSE or failed (fallback) setups: %v", r.Handshakes)
			}
			t.Logf("%s, seed %d: p50 %v p90 %v last %v, handshakes %v, bytes %v", mode, seed, r.P50, r.P90, r.Last, r.Handshakes, r.BytesByKind)
			medians[i] += r.P50.Seconds() / seeds
			means[i] += meanDownload(r).Seconds() / seeds
		}
	}
	for _, q := range []struct {
		name      string
		r, m      float64
		tolerance float64
	}{{"mean median", medians[0], medians[1], 0.10}, {"mean mean", means[0], means[1], 0.12}} {
		d := math.Abs(q.m-q.r) / q.r
		t.Logf("%s download time over seeds 1–%d: real %.2fs, modeled %.2fs (%.0f%% apart)", q.name, seeds, q.r, q.m, 100*d)
		if d > q.tolerance {
			t.Errorf("%s download time: real %.2fs, modeled %.2fs (%.0f%% apart, tolerance %.0f%%)", q.name, q.r, q.m, 100*d, 100*q.tolerance)
		}
	}
}

func meanDownload(r *Result) time.Duration {
	var sum time.Duration
	n := 0
	for _, p := range r.PeerList {
		if !p.Seeder && p.Completed >= 0 {
			sum += p.DownloadTime()
			n++
		}
	}
	return sum / time.Duration(max(n, 1))
}

func TestRecordConnFraming(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w, r := &recordConn{Conn: a}, &recordConn{Conn: b}
	data := make([]byte, 40000)
	for i := range data {
		data[i] = byte(i)
	}
	var raw int
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(data)
		done <- err
	}()
	got := make([]byte, 0, len(data))
	buf := make([]byte, 3000)
	for len(got) < len(data) {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("framed stream corrupted")
	}
	// 40000 bytes are three records: 22 bytes of overhead each.
	raw = len(data) + 3*(recordHeader+recordTrailer)
	if raw != 40066 {
		t.Fatalf("overhead arithmetic: %d", raw)
	}
}

// readerConn is a net.Conn that reads from a byte slice.
type readerConn struct {
	net.Conn
	r *bytes.Reader
}

func (c readerConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func FuzzRecordConn(f *testing.F) {
	f.Add([]byte{0x17, 3, 3, 0, 20, 'h', 'i', 'x', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})
	f.Add([]byte{0x16, 3, 1, 0, 1})
	f.Add([]byte{0x17, 3, 3, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &recordConn{Conn: readerConn{r: bytes.NewReader(data)}}
		buf := make([]byte, 100)
		total := 0
		for i := 0; i < len(data)+2; i++ {
			n, err := c.Read(buf)
			total += n
			if err != nil {
				break
			}
		}
		if total > len(data) {
			t.Fatalf("read %d bytes out of %d", total, len(data))
		}
	})
}

// TestModeledBusyAlertAsReal: in an all-bttls swarm whose peers have few
// connection slots, dials reach full peers, which answer with the busy
// alert; with modeled crypto as with real, no such dial falls back to
// MSE or fails otherwise, and the two modes see busy replies in about the
// same numbers (120 peers with 4 slots each: 267 real, 305 modeled).
func TestModeledBusyAlertAsReal(t *testing.T) {
	sc, err := scenario.Parse("crowded.toml", []byte(`
duration = "10m"
[torrent]
size = "1MiB"
piece_size = "32KiB"
[swarm]
peers = 120
max_conns = 4
[[class]]
fraction = 1.0
up = "4Mbit"
down = "20Mbit"
latency = "10ms"
[[mix]]
transport = "tls-basic"
policy = "prefer"
fraction = 1.0
`))
	if err != nil {
		t.Fatal(err)
	}
	var busy [2]int64
	for i, mode := range []string{"real", "modeled"} {
		r, err := Run(sc, Options{Crypto: mode})
		if err != nil {
			t.Fatal(err)
		}
		if r.Completed != r.Peers {
			t.Fatalf("%s: %d of %d completed", mode, r.Completed, r.Peers)
		}
		keys := slices.Sorted(maps.Keys(r.Handshakes))
		if !slices.Equal(keys, []string{"in_tls-basic", "out_busy", "out_tls-basic"}) {
			t.Errorf("%s: transport setups %v, want TLS and busy refusals only", mode, r.Handshakes)
		}
		busy[i] = r.Handshakes["out_busy"]
		t.Logf("%s: handshakes %v, last %v", mode, r.Handshakes, r.Last)
	}
	if busy[1] < busy[0]/2 || busy[1] > busy[0]*2 {
		t.Errorf("busy replies: real %d, modeled %d; want within a factor of 2", busy[0], busy[1])
	}
}
