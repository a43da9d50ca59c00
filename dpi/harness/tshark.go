package harness

import (
	"fmt"
	"os/exec"
	"strings"
)

// TsharkHello is what tshark decodes from one TLS ClientHello or ServerHello.
type TsharkHello struct {
	Stream  string // tcp.stream index
	SrcPort string
	// ClientHello fields.
	JA3, JA3Full, SNI, ALPN string
	// ServerHello fields.
	JA3S, Cipher, Version string
}

// tsharkFields are requested in this order with -T fields.
var tsharkFields = []string{
	"tcp.stream", "tcp.srcport", "tls.handshake.type",
	"tls.handshake.ja3", "tls.handshake.ja3_full",
	"tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
	"tls.handshake.ja3s", "tls.handshake.ciphersuite", "tls.handshake.extensions.supported_version",
}

// RunTshark decodes the TLS handshakes in a pcap. Traffic on port is
// decoded as TLS (tshark only does that by itself on well-known ports).
// It returns the ClientHellos and the ServerHellos.
func RunTshark(pcapPath string, port int) (clients, servers []TsharkHello, err error) {
	bin, err := LookTool("tshark")
	if err != nil {
		return nil, nil, err
	}
	args := []string{"-n", "-r", pcapPath, "-d", fmt.Sprintf("tcp.port==%d,tls", port),
		"-Y", "tls.handshake.type == 1 || tls.handshake.type == 2", "-T", "fields", "-E", "separator=\t"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		return nil, nil, fmt.Errorf("harness: tshark %s: %w", pcapPath, err)
	}
	clients, servers = ParseTshark(string(out))
	return clients, servers, nil
}

// ParseTshark reads tshark's tab-separated fields (see tsharkFields). A
// packet carrying several handshake messages lists their types with commas.
func ParseTshark(out string) (clients, servers []TsharkHello) {
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < len(tsharkFields) {
			f = append(f, "")
		}
		h := TsharkHello{Stream: f[0], SrcPort: f[1]}
		types := "," + f[2] + ","
		if strings.Contains(types, ",1,") {
			c := h
			c.JA3, c.JA3Full, c.SNI, c.ALPN = f[3], f[4], f[5], f[6]
			clients = append(clients, c)
		}
		if strings.Contains(types, ",2,") {
			s := h
			s.JA3S, s.Cipher, s.Version = f[7], firstOf(f[8]), lastOf(f[9])
			servers = append(servers, s)
		}
	}
	return clients, servers
}

func firstOf(s string) string { v, _, _ := strings.Cut(s, ","); return v }

func lastOf(s string) string { return s[strings.LastIndex(s, ",")+1:] }
