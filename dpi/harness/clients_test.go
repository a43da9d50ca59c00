package harness

import (
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bttls/bttls/dpi/mimic"
	"github.com/bttls/bttls/protocol/tlslevel"
)

// helloRows are the rows of results/dpi/clienthello.md, in run order.
var helloRows []Row

// TestDPIClientHellos connects common TLS clients and bttls's TLS client
// configuration to one ordinary Go HTTPS server, captures all of it, and
// fingerprints each ClientHello (JA3 checked against tshark, JA4, nDPI's
// verdict and risks), with and without SNI. It checks that the mimicry in
// dpi/mimic does what it claims on real captures.
func TestDPIClientHellos(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := StartHTTPSServer(port)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	bttlsCfg := func() *tls.Config { return tlslevel.ClientConfig(tlslevel.Options{}) }
	type run struct {
		c   TLSClient
		sni string
	}
	var runs []run
	for _, sni := range []string{"", "www.example.com"} {
		runs = append(runs,
			run{CurlClient(), sni},
			run{GoHTTPClientFetch(), sni},
			run{UTLSChromeClient(), sni})
	}
	runs = append(runs,
		run{ConfigClient("bttls (tlslevel.ClientConfig)", bttlsCfg), ""},
		run{ConfigClient("bttls + mimic.GoHTTPClient", func() *tls.Config { return mimic.GoHTTPClient(bttlsCfg()) }), ""})

	c, err := StartCapture(dir, "clienthellos", port)
	if err != nil {
		t.Fatal(err)
	}
	var ran []run
	for _, r := range runs {
		if err := r.c.Fetch(port, r.sni); err != nil {
			if r.c.Name == "curl" && strings.Contains(err.Error(), "not installed") {
				t.Logf("curl not installed: no curl rows")
				continue
			}
			c.Stop()
			t.Fatal(err)
		}
		ran = append(ran, r)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	rep, err := Analyze("clients", c.Path, port, nil)
	if err != nil {
		t.Fatal(err)
	}
	var hellos []*FlowReport
	for i := range rep.Flows {
		if rep.Flows[i].Hello != nil {
			hellos = append(hellos, &rep.Flows[i])
		}
	}
	if len(hellos) != len(ran) {
		t.Fatalf("%d ClientHellos captured for %d client runs", len(hellos), len(ran))
	}
	ja4 := map[string]string{}
	for i, r := range ran {
		f := hellos[i]
		name := r.c.Name + map[bool]string{true: ", SNI", false: ", no SNI"}[r.sni != ""]
		if f.TsharkJA3 != f.JA3() {
			t.Errorf("%s: JA3 %s, tshark %s", name, f.JA3(), f.TsharkJA3)
		}
		if f.NDPI != nil && f.NDPI.JA3C != "" && f.NDPI.JA3C != f.JA3() {
			t.Errorf("%s: nDPI's JA3C %s differs from JA3 %s", name, f.NDPI.JA3C, f.JA3())
		}
		one := &Report{Mode: name, Flows: []FlowReport{*f}}
		row := one.Row()
		helloRows = append(helloRows, row)
		ja4[name] = f.JA4()
		t.Logf("%-40s JA4 %s JA3 %s nDPI %s [%s]", name, row.JA4, row.JA3, row.NDPI, row.Risks)
		t.Logf("%-40s JA4_r %s", "", f.Hello.JA4R())
	}
	chromiumRows(t, dir, port, ja4)
	// The shape rule must not flag ordinary HTTPS clients, or its verdict on
	// bttls would mean nothing.
	for _, r := range helloRows {
		if r.ShapeFlagged && !strings.HasPrefix(r.Mode, "bttls") {
			t.Errorf("shape rule flags %s (sizes %v)", r.Mode, r.Sizes)
		}
	}
	if a, b := ja4["bttls + mimic.GoHTTPClient, no SNI"], ja4["Go net/http, no SNI"]; a != b {
		t.Errorf("mimic.GoHTTPClient JA4 %s differs from net/http's %s on the wire", a, b)
	}
	if a := ja4["uTLS Chrome, SNI"]; !strings.HasPrefix(a, "t13d") || !strings.Contains(a, "h2_8daaf6152771_") {
		t.Errorf("uTLS Chrome JA4 %s does not have Chrome's cipher hash 8daaf6152771", a)
	}
	if *update {
		if err := writeHelloTable(filepath.Join("..", "..", "results", "dpi"), ja4); err != nil {
			t.Fatal(err)
		}
	}
}

// chromiumRows adds headless Chromium's ClientHello, captured alone since
// Chromium opens several connections per page. Chromium is optional (not in
// the install list: ~290 MB): without it there are no Chromium rows.
func chromiumRows(t *testing.T, dir string, port int, ja4 map[string]string) {
	cl := ChromiumClient(filepath.Join(dir, "chromium-profile"))
	for _, sni := range []string{"", "www.example.com"} {
		name := cl.Name + map[bool]string{true: ", SNI", false: ", no SNI"}[sni != ""]
		c, err := StartCapture(dir, "chromium"+sni, port)
		if err != nil {
			t.Fatal(err)
		}
		ferr := cl.Fetch(port, sni)
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		if errors.Is(ferr, ErrMissingTool) {
			t.Logf("chromium not installed: no Chromium rows")
			return
		}
		if ferr != nil {
			t.Fatal(ferr)
		}
		rep, err := Analyze(name, c.Path, port, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rep.Flows {
			f := &rep.Flows[i]
			if f.Hello == nil {
				continue
			}
			if f.TsharkJA3 != f.JA3() {
				t.Errorf("%s: JA3 %s, tshark %s", name, f.JA3(), f.TsharkJA3)
			}
			one := &Report{Mode: name, Flows: []FlowReport{*f}}
			helloRows = append(helloRows, one.Row())
			ja4[name] = f.JA4()
			t.Logf("%-40s JA4 %s nDPI %s [%s]", name, f.JA4(), one.Row().NDPI, one.Row().Risks)
			t.Logf("%-40s JA4_r %s", "", f.Hello.JA4R())
			break
		}
	}
}

func writeHelloTable(dir string, ja4 map[string]string) error {
	match := func(name string) string {
		var m []string
		for other, v := range ja4 {
			if other != name && v == ja4[name] && !strings.HasPrefix(other, "bttls") {
				m = append(m, other)
			}
		}
		if len(m) == 0 {
			return "none"
		}
		return strings.Join(m, "; ")
	}
	pre := `# ClientHello fingerprints: bttls and common clients (generated)

Regenerate: ` + "`go test ./dpi/harness -run DPI -update`" + `. Every client connects to the same
ordinary Go HTTPS server on 127.0.0.1 (a random port) in one capture; curl is
Debian's (OpenSSL 3), Go is this module's toolchain, uTLS is
refraction-networking/utls HelloChrome_Auto, Chromium is Debian's headless
chromium (captured alone; its first ClientHello). The bttls rows are its TLS client
configuration (protocol/tlslevel.ClientConfig) as shipped, and the same with
dpi/mimic.GoHTTPClient applied.

Same JA4 as (bttls rows): ` + fmt.Sprintf("bttls as shipped → %s; bttls + mimic.GoHTTPClient → %s.\n",
		match("bttls (tlslevel.ClientConfig), no SNI"), match("bttls + mimic.GoHTTPClient, no SNI"))
	return writeRows(dir, "clienthello", helloRows, pre)
}
