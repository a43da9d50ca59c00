package interop

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// matrixFileSize is odd so the last piece is short.
const matrixFileSize = 4<<20 + 4321

// matrixCase is one cell of the client × direction × mode matrix.
type matrixCase struct {
	client string
	// up: bttls seeds and the client downloads; else the client seeds.
	up   bool
	mode matrixMode
	run  func(t *testing.T, c *matrixEnv) string
}

// matrixMode is how both sides are configured.
type matrixMode struct {
	name  string
	bttls []string          // extra bttls seed/get flags
	enc   map[string]string // client → its encryption setting ("" = its default)
}

var (
	// modeDefault: everyone's defaults. bttls --tls=prefer tries TLS 1.3
	// first and falls back to MSE when the legacy client answers MSE.
	modeDefault = matrixMode{name: "defaults"}
	// modePlain: plaintext BitTorrent only (BEP 3).
	modePlain = matrixMode{name: "plaintext", bttls: []string{"--tls=off", "--tls-legacy=plain"},
		enc: map[string]string{"libtorrent": "disabled", "rtorrent": "none"}}
	// modeRC4: the client insists on MSE with RC4.
	modeRC4 = matrixMode{name: "mse-required", bttls: []string{"--tls=off", "--tls-legacy=mse"},
		enc: map[string]string{"libtorrent": "forced", "rtorrent": "allow_incoming,try_outgoing,require,require_RC4"}}
)

// matrixEnv is what a cell gets: a tracker, a file and its torrent.
type matrixEnv struct {
	tr       *BttlsTracker
	mode     matrixMode
	client   string
	seedDir  string
	file     string
	sum      [20]byte
	torrent  string
	infohash string // hex
}

func (c *matrixEnv) out(dir string) string { return filepath.Join(dir, filepath.Base(c.file)) }
func (c *matrixEnv) enc() string           { return c.mode.enc[c.client] }

// flags returns the mode's bttls flags followed by extra.
func (c *matrixEnv) flags(extra ...string) []string {
	return append(append([]string(nil), c.mode.bttls...), extra...)
}

// TestMatrix moves a file between bttls and each real client in both
// directions, with a torrent made by `bttls create` and a `bttls tracker`,
// and checks the bytes. Transmission runs only with the defaults: each
// transmission cell costs ~15 s (it re-chokes every 10 s). The matrix is
// printed at the end for the record.
func TestMatrix(t *testing.T) {
	tr := StartBttlsTracker(t, time.Minute)
	var cases []matrixCase
	for _, m := range []matrixMode{modeDefault, modePlain, modeRC4} {
		cases = append(cases,
			matrixCase{"libtorrent", false, m, bttlsFromLibtorrent},
			matrixCase{"libtorrent", true, m, bttlsToLibtorrent})
		if m.name == modeDefault.name && !testing.Short() { // ~15 s each
			cases = append(cases,
				matrixCase{"transmission", false, m, bttlsFromTransmission},
				matrixCase{"transmission", true, m, bttlsToTransmission})
		}
		cases = append(cases,
			matrixCase{"rtorrent", false, m, bttlsFromRtorrent},
			matrixCase{"rtorrent", true, m, bttlsToRtorrent})
	}
	type row struct {
		client, direction, mode, result, note string
		took                                  time.Duration
	}
	var rows []row
	for i, mc := range cases {
		dir := "client → bttls"
		if mc.up {
			dir = "bttls → client"
		}
		var note string
		ran := false
		start := time.Now()
		name := fmt.Sprintf("%s/%s/%s", mc.mode.name, mc.client, map[bool]string{false: "download", true: "upload"}[mc.up])
		ok := t.Run(name, func(t *testing.T) {
			ran = true
			c := &matrixEnv{tr: tr, mode: mc.mode, client: mc.client, seedDir: t.TempDir()}
			c.file, c.sum = MakeFile(t, c.seedDir, fmt.Sprintf("cell%d.bin", i), matrixFileSize, uint64(100+i))
			c.torrent, c.infohash = BttlsCreate(t, c.file, tr.URL)
			note = mc.run(t, c)
		})
		if !ran { // filtered out by -run
			continue
		}
		res := "pass"
		if !ok {
			res = "FAIL"
		}
		rows = append(rows, row{mc.client, dir, mc.mode.name, res, note, time.Since(start).Round(100 * time.Millisecond)})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "interop matrix (%d-byte file; transports as logged by bttls):\n", matrixFileSize)
	fmt.Fprintf(&b, "  %-13s %-15s %-13s %-6s %-6s %s\n", "client", "direction", "mode", "result", "time", "bttls transport")
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-13s %-15s %-13s %-6s %-6s %s\n", r.client, r.direction, r.mode, r.result, r.took, r.note)
	}
	t.Log(b.String())
}

// waitGet waits for `bttls get` to exit 0 and checks the file it wrote.
func waitGet(t *testing.T, c *matrixEnv, get *Proc, out string) string {
	t.Helper()
	if err := get.Wait(90 * time.Second); err != nil {
		t.Fatalf("bttls get: %v", err)
	}
	if err := WaitFile(out, matrixFileSize, c.sum, time.Second); err != nil {
		t.Fatal(err)
	}
	return strings.Join(Transports(get), ", ")
}

func bttlsFromLibtorrent(t *testing.T, c *matrixEnv) string {
	lt, port := StartLibtorrent(t, LibtorrentOptions{Torrent: c.torrent, Dir: c.seedDir, Enc: c.enc()})
	if err := lt.WaitOutput("complete", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	out := c.out(t.TempDir())
	return waitGet(t, c, BttlsGet(t, c.torrent, out, c.flags("--peer", fmt.Sprintf("127.0.0.1:%d", port))...), out)
}

func bttlsToLibtorrent(t *testing.T, c *matrixEnv) string {
	seed, port := BttlsSeed(t, c.torrent, c.file, c.flags()...)
	dir := t.TempDir()
	StartLibtorrent(t, LibtorrentOptions{Torrent: c.torrent, Dir: dir, Enc: c.enc(), Peers: []string{fmt.Sprintf("127.0.0.1:%d", port)}})
	if err := WaitFile(c.out(dir), matrixFileSize, c.sum, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return strings.Join(Transports(seed), ", ")
}

func bttlsFromTransmission(t *testing.T, c *matrixEnv) string {
	tm := StartTransmission(t, TransmissionOptions{Torrent: c.torrent, Dir: c.seedDir, Encryption: c.enc()})
	if err := tm.WaitSeeding(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	out := c.out(t.TempDir())
	return waitGet(t, c, BttlsGet(t, c.torrent, out, c.flags("--peer", fmt.Sprintf("127.0.0.1:%d", tm.Port))...), out)
}

// bttlsToTransmission: transmission ignores loopback peers from trackers,
// so it announces first and the bttls seed, told of it by the tracker,
// dials it.
func bttlsToTransmission(t *testing.T, c *matrixEnv) string {
	dir := t.TempDir()
	StartTransmission(t, TransmissionOptions{Torrent: c.torrent, Dir: dir, Encryption: c.enc()})
	if _, err := c.tr.WaitAnnounce(20*time.Second, c.infohash[:8], `client "-TR`); err != nil {
		t.Fatal(err)
	}
	seed, _ := BttlsSeed(t, c.torrent, c.file, c.flags()...)
	if err := WaitFile(c.out(dir), matrixFileSize, c.sum, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return strings.Join(Transports(seed), ", ")
}

func bttlsFromRtorrent(t *testing.T, c *matrixEnv) string {
	_, port := StartRtorrent(t, RtorrentOptions{Torrent: c.torrent, Dir: c.seedDir, Encryption: c.enc()})
	// rtorrent announces once its hash check found the data: it is seeding.
	if _, err := c.tr.WaitAnnounce(20*time.Second, c.infohash[:8], `client "-lt`, "left=0"); err != nil {
		t.Fatal(err)
	}
	out := c.out(t.TempDir())
	return waitGet(t, c, BttlsGet(t, c.torrent, out, c.flags("--peer", fmt.Sprintf("127.0.0.1:%d", port))...), out)
}

// bttlsToRtorrent: rtorrent finds the bttls seed through the bttls tracker.
func bttlsToRtorrent(t *testing.T, c *matrixEnv) string {
	seed, _ := BttlsSeed(t, c.torrent, c.file, c.flags()...)
	if _, err := c.tr.WaitAnnounce(20*time.Second, c.infohash[:8], `client "-BT`, "left=0"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	StartRtorrent(t, RtorrentOptions{Torrent: c.torrent, Dir: dir, Encryption: c.enc()})
	if err := WaitFile(c.out(dir), matrixFileSize, c.sum, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return strings.Join(Transports(seed), ", ")
}
