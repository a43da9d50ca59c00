package harness

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// NDPIFlow is what ndpiReader (nDPI 4.2) says about one flow.
type NDPIFlow struct {
	Client, Server string // "ip:port" as ndpiReader prints them
	// Protocol is the application protocol ("BitTorrent", "TLS", "Unknown"),
	// Master the lower layer when ndpiReader prints "master.app" (e.g. TLS.Google).
	Protocol, Master string
	// Guessed is true when nDPI gave up on the payload and guessed from the port.
	Guessed    bool
	Risks      []string
	SNI        string
	ALPN       string
	TLSVersion string
	Cipher     string
	JA3C, JA3S string
	// Client app nDPI infers from JA3 ("Firefox"), when it prints one.
	ClientApp string
	// BTHash is the infohash nDPI extracted from a plaintext BT handshake.
	BTHash string
	Line   string
}

// RunNDPI classifies every flow of a pcap with `ndpiReader -i FILE -v 2`.
func RunNDPI(pcapPath string) ([]NDPIFlow, error) {
	bin, err := LookTool("ndpiReader")
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "-i", pcapPath, "-v", "2").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("harness: ndpiReader %s: %v: %s", pcapPath, err, lastLines(out, 5))
	}
	return ParseNDPI(string(out))
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// A flow line: "\t1\tTCP 127.0.0.1:56775 <-> 127.0.0.1:46881 [proto: 37/BitTorrent][...]...".
var ndpiFlowLine = regexp.MustCompile(`^\s*\d+\s+TCP\s+(\S+)\s+<->\s+(\S+)\s+(\[proto: .*)$`)

// ParseNDPI extracts the flow lines of ndpiReader's verbose output. It
// returns an error if the output has none, which means ndpiReader's format
// is not the one this parser knows.
func ParseNDPI(out string) ([]NDPIFlow, error) {
	var flows []NDPIFlow
	for _, line := range strings.Split(out, "\n") {
		m := ndpiFlowLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		f := NDPIFlow{Client: m[1], Server: m[2], Line: strings.TrimSpace(line)}
		for _, g := range brackets(m[3]) {
			key, val, hasKey := strings.Cut(g, ": ")
			if !hasKey {
				switch {
				case strings.HasPrefix(g, "TLSv") || strings.HasPrefix(g, "SSLv"):
					f.TLSVersion = g
				case g == "Firefox" || g == "Chrome" || g == "Safari" || g == "Opera" || g == "Edge":
					f.ClientApp = g
				}
				continue
			}
			switch key {
			case "proto":
				f.Protocol, f.Master, f.Guessed = parseProto(val)
			case "Risk":
				for _, r := range strings.Split(val, "**") {
					if r = strings.TrimSpace(r); r != "" {
						f.Risks = append(f.Risks, r)
					}
				}
			case "Hostname/SNI":
				f.SNI = val
			case "ALPN":
				f.ALPN = val
			case "Cipher":
				f.Cipher = val
			case "JA3C":
				f.JA3C = val
			case "JA3S":
				f.JA3S = val
			case "BT Hash":
				f.BTHash = val
			}
		}
		flows = append(flows, f)
	}
	if len(flows) == 0 {
		return nil, fmt.Errorf("harness: no TCP flow lines in ndpiReader output (%q)", lastLines([]byte(out), 3))
	}
	return flows, nil
}

// parseProto reads "37/BitTorrent", "91.126/TLS.Google" or
// "Guessed 91/TLS" style values.
func parseProto(v string) (proto, master string, guessed bool) {
	if strings.HasPrefix(v, "Guessed ") {
		guessed, v = true, strings.TrimPrefix(v, "Guessed ")
	}
	_, name, ok := strings.Cut(v, "/")
	if !ok {
		return v, "", guessed
	}
	if m, app, ok := strings.Cut(name, "."); ok {
		return app, m, guessed
	}
	return name, "", guessed
}

// brackets splits "[a][b: c][d [x]]" into its top-level groups.
func brackets(s string) []string {
	var out []string
	depth, start := 0, -1
	for i, c := range s {
		switch c {
		case '[':
			if depth == 0 {
				start = i + 1
			}
			depth++
		case ']':
			if depth == 0 {
				continue
			}
			depth--
			if depth == 0 {
				out = append(out, s[start:i])
			}
		}
	}
	return out
}
