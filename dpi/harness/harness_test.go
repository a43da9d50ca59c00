package harness

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite results/dpi/ from the captures of this run")

// rows collects one table row per capture, written by TestMain with -update.
var (
	rowsMu sync.Mutex
	rows   = map[string]Row{}
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	// A run of only some tests (e.g. -run DPIClientHellos) leaves the
	// transfer table alone.
	if *update && code == 0 && len(rows) > 0 {
		var list []Row
		for _, r := range rows {
			list = append(list, r)
		}
		sort.Slice(list, func(i, j int) bool { return modeOrder(list[i].Mode) < modeOrder(list[j].Mode) })
		if err := WriteTable(filepath.Join("..", "..", "results", "dpi"), list, tablePreamble); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

const tablePreamble = `# DPI classification of every transport (generated)

Regenerate: ` + "`go test ./dpi/harness -run DPI -update`" + ` (root; tcpdump, ndpiReader, tshark,
python3-libtorrent). One row per capture: the flow that carried the transfer,
over loopback. nDPI is ndpiReader 4.2; JA3 is computed from the ClientHello and
checked equal to tshark's tls.handshake.ja3; JA4 is computed by dpi/fingerprint;
FET is the GFW fully-encrypted-traffic rule set (dpi/fet) on the client's first
payload; the last column lists every infohash encoding found anywhere in the
capture. See docs/dpi.md.
`

// modeOrder sorts the table: libtorrent's modes, then bttls's, each in
// the order of LibtorrentModes and BttlsModes.
func modeOrder(m string) string {
	var order []string
	for _, x := range LibtorrentModes {
		order = append(order, "libtorrent "+x)
	}
	order = append(order, "transmission plain", "transmission mse")
	for _, x := range BttlsModes {
		order = append(order, "bttls "+x)
	}
	for i, o := range order {
		if m == o {
			return fmt.Sprintf("%02d", i)
		}
	}
	return "99 " + m
}

func record(r *Report) {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	rows[r.Mode] = r.Row()
}

// needTools skips the test when a tool the harness runs is missing or we
// are not root, except under CI=true, where that is a failure.
func needTools(t *testing.T, extra ...func() error) {
	t.Helper()
	check := func(err error) {
		if err == nil {
			return
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("DPI harness cannot run under CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	for _, tool := range []string{"tcpdump", "ndpiReader", "tshark"} {
		_, err := LookTool(tool)
		check(err)
	}
	if os.Geteuid() != 0 {
		check(errors.New("harness: capturing on lo needs root"))
	}
	for _, f := range extra {
		check(f())
	}
}

// captureRun captures one transfer made by run on a fresh port and analyses it.
// The capture holds the seeder's port and a second port for the leecher to
// listen on, since a client may also connect back to it.
func captureRun(t *testing.T, mode string, run func(dir string, port, getPort int) (*Transfer, error)) (*Report, *Transfer) {
	t.Helper()
	dir := t.TempDir()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	getPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := StartCapture(dir, strings.ReplaceAll(mode, " ", "-"), port, getPort)
	if err != nil {
		t.Fatal(err)
	}
	tr, runErr := run(dir, port, getPort)
	if err := c.Stop(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		t.Fatalf("%s: %v", mode, runErr)
	}
	return analyze(t, mode, c.Path, port, InfohashNeedles(tr.V1, tr.V2)), tr
}

// analyze classifies a capture, checks our JA3 against tshark's, logs the
// row and records it for the table.
func analyze(t *testing.T, mode, path string, port int, needles []Needle) *Report {
	t.Helper()
	r, err := Analyze(mode, path, port, needles)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Flows {
		if f.Hello != nil && f.TsharkJA3 != "" && f.TsharkJA3 != f.JA3() {
			t.Errorf("%s: JA3 computed %s (%s), tshark says %s", mode, f.JA3(), f.Hello.JA3String(), f.TsharkJA3)
		}
		if f.Hello != nil && f.NDPI != nil && f.NDPI.JA3C != "" && f.NDPI.JA3C != f.JA3() {
			t.Errorf("%s: nDPI's JA3C %s differs from JA3 %s", mode, f.NDPI.JA3C, f.JA3())
		}
		if f.Hello != nil && f.TsharkJA3 == "" {
			t.Errorf("%s: tshark decoded no ClientHello where the harness parsed one", mode)
		}
	}
	row := r.Row()
	t.Logf("%s: nDPI %s [%s] SNI %q ALPN %q %s %s JA3 %s JA4 %s FET %s infohash %s (%d flows, %d/%d B)",
		mode, row.NDPI, row.Risks, row.SNI, row.ALPN, row.TLSVersion, row.Cipher, row.JA3, row.JA4,
		row.FET, row.Infohash, row.Flows, row.ClientBytes, row.ServerBytes)
	record(r)
	return r
}

// TestDPILibtorrent captures the established client's three transports: the
// baseline bttls is compared with.
func TestDPILibtorrent(t *testing.T) {
	needTools(t, HaveLibtorrent)
	for _, mode := range LibtorrentModes {
		t.Run(mode, func(t *testing.T) {
			r, tr := captureRun(t, "libtorrent "+mode, func(dir string, port, getPort int) (*Transfer, error) {
				return RunLibtorrent(dir, mode, port, getPort)
			})
			m := r.Main()
			if m.NDPI == nil {
				t.Fatalf("ndpiReader did not list the transfer flow %s -> %s", m.Client, m.Server)
			}
			switch mode {
			case "plain":
				// The harness must see what nDPI is known to see.
				if m.NDPI.Protocol != "BitTorrent" {
					t.Errorf("plaintext BT classified %q, want BitTorrent", m.NDPI.Protocol)
				}
				if len(r.InfohashFound) == 0 {
					t.Errorf("plaintext BT capture: infohash not found")
				}
			case "mse":
				if m.NDPI.Protocol == "BitTorrent" {
					t.Errorf("MSE classified BitTorrent by nDPI 4.2 (expected Unknown): %s", m.NDPI.Line)
				}
				if m.Hello != nil {
					t.Errorf("MSE flow parsed as a TLS ClientHello")
				}
			case "ssl":
				if m.NDPI.Protocol != "TLS" || m.Hello == nil {
					t.Errorf("SSL torrent classified %q", m.NDPI.Protocol)
				}
				if want := fmt.Sprintf("%x", tr.V1); m.Hello != nil && m.Hello.ServerName != want {
					t.Errorf("SSL torrent SNI %q, want the hex infohash %s", m.Hello.ServerName, want)
				}
			}
		})
	}
}

// TestDPITransmission: MSE (encryption required) between the two most
// deployed client libraries, transmission seeding and libtorrent
// downloading. (Plaintext is covered by libtorrent and bttls; each
// transmission run costs ~12 s, since transmission unchokes a new peer only
// at its 10 s rechoke.)
func TestDPITransmission(t *testing.T) {
	needTools(t, HaveTransmission)
	for _, mode := range []string{"mse"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			port, err1 := FreePort()
			getPort, err2 := FreePort()
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			seed, err := StartTransmissionSeed(dir, mode, port, 256<<10)
			if err != nil {
				t.Fatal(err)
			}
			defer seed.Stop()
			c, err := StartCapture(dir, "transmission-"+mode, port, getPort)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			getErr := GetFromPeer(dir, seed.Torrent, mode, port, getPort)
			t.Logf("download took %v", time.Since(start))
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if getErr != nil {
				t.Fatalf("%v\ntransmission log:\n%s", getErr, seed.log.String())
			}
			r := analyze(t, "transmission "+mode, c.Path, port, InfohashNeedles(seed.V1, nil))
			m := r.Main()
			if m.NDPI == nil {
				t.Fatalf("ndpiReader did not list the transfer flow")
			}
			switch mode {
			case "plain":
				if m.NDPI.Protocol != "BitTorrent" || len(r.InfohashFound) == 0 {
					t.Errorf("plaintext: nDPI %q, infohash found %v", m.NDPI.Protocol, r.InfohashFound)
				}
			case "mse":
				if m.NDPI.Protocol == "BitTorrent" || m.Hello != nil {
					t.Errorf("MSE: nDPI %q", m.NDPI.Protocol)
				}
			}
		})
	}
}
