package harness

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/bttls/bttls/dpi/fet"
	"github.com/bttls/bttls/dpi/fingerprint"
	"github.com/bttls/bttls/dpi/pcap"
	"github.com/bttls/bttls/dpi/shape"
)

// FlowReport is everything measured about one TCP connection of a capture.
type FlowReport struct {
	Client, Server string
	// NDPI is ndpiReader's verdict (nil if it did not list the flow).
	NDPI *NDPIFlow
	// Tshark's view of the TLS handshake (empty for non-TLS flows).
	TsharkJA3, TsharkJA3S, TsharkSNI, TsharkALPN, Cipher, Version string
	// Hello is the ClientHello parsed from the reassembled client stream
	// (nil if the flow does not start with one).
	Hello *fingerprint.ClientHello
	// FET is the fully-encrypted-traffic verdict on the first client payload.
	FET fet.Verdict
	// FirstPayloadLen is the size of that payload.
	FirstPayloadLen int
	// Sizes and timing: what remains visible under any encryption.
	ClientBytes, ServerBytes     int
	ClientPackets, ServerPackets int
	Duration                     time.Duration
	// Sizes is the payload size of the first data-carrying segments, signed
	// by direction (+ client to server, − server to client): the shape of
	// the handshake that encryption does not hide.
	Sizes []int
}

// maxSizes bounds FlowReport.Sizes.
const maxSizes = 16

// JA3 is the JA3 computed from the ClientHello ("" for non-TLS flows).
func (f *FlowReport) JA3() string {
	if f.Hello == nil {
		return ""
	}
	return f.Hello.JA3()
}

// JA4 is the JA4 computed from the ClientHello ("" for non-TLS flows).
func (f *FlowReport) JA4() string {
	if f.Hello == nil {
		return ""
	}
	return f.Hello.JA4()
}

// Report is the analysis of one capture.
type Report struct {
	Mode  string
	Pcap  string
	Port  int
	Flows []FlowReport
	// InfohashFound names every infohash form found anywhere in the capture
	// (the raw file and the reassembled streams).
	InfohashFound []string
}

// Main is the flow that carried the most bytes: the transfer itself.
func (r *Report) Main() *FlowReport {
	var best *FlowReport
	for i := range r.Flows {
		f := &r.Flows[i]
		if best == nil || f.ClientBytes+f.ServerBytes > best.ClientBytes+best.ServerBytes {
			best = f
		}
	}
	return best
}

// Analyze classifies every flow of a capture with ndpiReader, tshark, the
// FET rules and the fingerprints, and searches it for the infohash.
func Analyze(mode, pcapPath string, port int, needles []Needle) (*Report, error) {
	raw, err := os.ReadFile(pcapPath)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	pf, err := pcap.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("harness: %s: %w", pcapPath, err)
	}
	flows, err := pf.Flows()
	if err != nil {
		return nil, fmt.Errorf("harness: %s: %w", pcapPath, err)
	}
	if len(flows) == 0 {
		return nil, fmt.Errorf("harness: %s holds no TCP flow", pcapPath)
	}
	nflows, err := RunNDPI(pcapPath)
	if err != nil {
		return nil, err
	}
	clients, servers, err := RunTshark(pcapPath, port)
	if err != nil {
		return nil, err
	}
	r := &Report{Mode: mode, Pcap: pcapPath, Port: port}
	haystacks := [][]byte{raw}
	for _, fl := range flows {
		fr := FlowReport{Client: fl.Client.String(), Server: fl.Server.String()}
		for i := range nflows {
			n := &nflows[i]
			if n.Client == fr.Client && n.Server == fr.Server || n.Client == fr.Server && n.Server == fr.Client {
				fr.NDPI = n
			}
		}
		stream := ""
		for _, c := range clients {
			if c.SrcPort == strconv.Itoa(int(fl.Client.Port())) {
				fr.TsharkJA3, fr.TsharkSNI, fr.TsharkALPN, stream = c.JA3, c.SNI, c.ALPN, c.Stream
			}
		}
		for _, s := range servers {
			if stream != "" && s.Stream == stream {
				fr.TsharkJA3S, fr.Cipher, fr.Version = s.JA3S, s.Cipher, s.Version
			}
		}
		if h, err := fingerprint.ParseStream(fl.ClientStream); err == nil {
			fr.Hello = h
		}
		first := fl.FirstClientPayload()
		fr.FET, fr.FirstPayloadLen = fet.Classify(first), len(first)
		for _, s := range fl.Segments {
			if len(s.Payload) > 0 && len(fr.Sizes) < maxSizes {
				n := len(s.Payload)
				if !s.FromClient {
					n = -n
				}
				fr.Sizes = append(fr.Sizes, n)
			}
			if s.FromClient {
				fr.ClientBytes += len(s.Payload)
				fr.ClientPackets++
			} else {
				fr.ServerBytes += len(s.Payload)
				fr.ServerPackets++
			}
		}
		fr.Duration = fl.Segments[len(fl.Segments)-1].Time.Sub(fl.Segments[0].Time)
		r.Flows = append(r.Flows, fr)
		haystacks = append(haystacks, fl.ClientStream, fl.ServerStream)
	}
	r.InfohashFound = FindNeedles(needles, haystacks...)
	return r, nil
}

// Row is one line of the results table: the main flow of one capture.
type Row struct {
	Mode string `json:"mode"`
	// Impl and Transport split Mode ("bttls basic" → bttls, basic), so a
	// document can select a row by plain words.
	Impl        string `json:"impl"`
	Transport   string `json:"transport"`
	Flows       int    `json:"flows"`
	NDPI        string `json:"ndpi"`
	Risks       string `json:"risks"`
	SNI         string `json:"sni"`
	ALPN        string `json:"alpn"`
	TLSVersion  string `json:"tls_version"`
	Cipher      string `json:"cipher"`
	JA3         string `json:"ja3"`
	JA3Tshark   string `json:"ja3_tshark"`
	JA4         string `json:"ja4"`
	FET         string `json:"fet"`
	FirstLen    int    `json:"first_payload_len"`
	Infohash    string `json:"infohash_found"`
	ClientBytes int    `json:"client_bytes"`
	ServerBytes int    `json:"server_bytes"`
	Packets     int    `json:"packets"`
	DurationMS  int64  `json:"duration_ms"`
	// Sizes is FlowReport.Sizes of the main flow.
	Sizes []int `json:"first_payload_sizes"`
	// EchoPairs is dpi/shape's count of small equal-size exchanges in Sizes;
	// ShapeFlagged is whether the shape rule flags the flow.
	EchoPairs    int  `json:"echo_pairs"`
	ShapeFlagged bool `json:"shape_flagged"`
}

// Row summarises the report's main flow for the results table.
func (r *Report) Row() Row {
	m := r.Main()
	impl, transport, _ := strings.Cut(r.Mode, " ")
	row := Row{Mode: r.Mode, Impl: impl, Transport: transport, Flows: len(r.Flows), JA3: m.JA3(), JA3Tshark: m.TsharkJA3, JA4: m.JA4(),
		FirstLen: m.FirstPayloadLen, ClientBytes: m.ClientBytes, ServerBytes: m.ServerBytes,
		Cipher: cipherName(m.Cipher), TLSVersion: versionName(m.Version),
		Packets: m.ClientPackets + m.ServerPackets, DurationMS: m.Duration.Milliseconds(), Sizes: m.Sizes,
		EchoPairs: shape.EchoPairs(m.Sizes), ShapeFlagged: shape.Flagged(m.Sizes)}
	if n := m.NDPI; n != nil {
		row.NDPI = n.Protocol
		if n.Master != "" {
			row.NDPI = n.Master + "." + n.Protocol
		}
		if n.Guessed {
			row.NDPI += " (guessed)"
		}
		row.Risks = strings.Join(n.Risks, "; ")
		row.SNI, row.ALPN = n.SNI, n.ALPN
		if row.TLSVersion == "" {
			row.TLSVersion = n.TLSVersion
		}
	}
	if m.Hello != nil {
		row.SNI, row.ALPN = m.Hello.ServerName, strings.Join(m.Hello.ALPN, ",")
	}
	switch {
	case m.FET.Blocked():
		row.FET = "blocked"
	case m.FET.Empty:
		row.FET = "no payload"
	default:
		row.FET = "exempt " + m.FET.Exempt.String()
	}
	row.Infohash = "no"
	if len(r.InfohashFound) > 0 {
		row.Infohash = strings.Join(r.InfohashFound, ", ")
	}
	return row
}

func cipherName(s string) string {
	switch s {
	case "0x1301":
		return "TLS_AES_128_GCM_SHA256"
	case "0x1302":
		return "TLS_AES_256_GCM_SHA384"
	case "0x1303":
		return "TLS_CHACHA20_POLY1305_SHA256"
	}
	return s
}

func versionName(s string) string {
	switch s {
	case "0x0304":
		return "TLSv1.3"
	case "0x0303":
		return "TLSv1.2"
	}
	return s
}
