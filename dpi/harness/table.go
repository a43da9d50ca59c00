package harness

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteTable writes rows as table.md, table.csv and table.json into dir.
func WriteTable(dir string, rows []Row, preamble string) error {
	return writeRows(dir, "table", rows, preamble)
}

// writeRows writes rows as NAME.md, NAME.csv and NAME.json into dir.
func writeRows(dir, name string, rows []Row, preamble string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md strings.Builder
	md.WriteString(preamble)
	md.WriteString("\n| mode | nDPI | risks | SNI | ALPN | TLS | cipher | JA3 | JA4 | FET (first payload) | infohash in capture |\n")
	md.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s (%d B) | %s |\n",
			r.Mode, dash(r.NDPI), dash(r.Risks), dash(r.SNI), dash(r.ALPN), dash(r.TLSVersion),
			dash(r.Cipher), dash(r.JA3), dash(r.JA4), r.FET, r.FirstLen, r.Infohash)
	}
	md.WriteString("\n## Flow shapes\n\nWhat encryption leaves visible: packets, bytes each way (payload), duration,\nand the payload sizes of the first data segments (+ client→server, − server→client).\n\n")
	md.WriteString("The last column is dpi/shape's rule: how many small (≤ 300 B) equal-size exchanges\nthe opening has, and whether that flags it (≥ 3).\n\n")
	md.WriteString("| mode | packets | client→server B | server→client B | duration | first payload sizes | echo pairs |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		flag := ""
		if r.ShapeFlagged {
			flag = " **flagged**"
		}
		fmt.Fprintf(&md, "| %s | %d | %d | %d | %d ms | %s | %d%s |\n", r.Mode, r.Packets, r.ClientBytes, r.ServerBytes,
			r.DurationMS, signed(r.Sizes), r.EchoPairs, flag)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	j, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, name+".csv"))
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"mode", "impl", "transport", "flows", "ndpi", "risks", "sni", "alpn", "tls_version", "cipher", "ja3", "ja3_tshark",
		"ja4", "fet", "first_payload_len", "infohash_found", "client_bytes", "server_bytes", "packets", "duration_ms", "first_payload_sizes", "echo_pairs", "shape_flagged"})
	for _, r := range rows {
		w.Write([]string{r.Mode, r.Impl, r.Transport, strconv.Itoa(r.Flows), r.NDPI, r.Risks, r.SNI, r.ALPN, r.TLSVersion, r.Cipher,
			r.JA3, r.JA3Tshark, r.JA4, r.FET, strconv.Itoa(r.FirstLen), r.Infohash,
			strconv.Itoa(r.ClientBytes), strconv.Itoa(r.ServerBytes), strconv.Itoa(r.Packets),
			strconv.FormatInt(r.DurationMS, 10), signed(r.Sizes), strconv.Itoa(r.EchoPairs), strconv.FormatBool(r.ShapeFlagged)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func dash(s string) string {
	if s == "" {
		return "–"
	}
	return strings.ReplaceAll(s, "|", "/")
}

// signed formats sizes as "+68 -294 ...".
func signed(sizes []int) string {
	s := make([]string, len(sizes))
	for i, n := range sizes {
		s[i] = fmt.Sprintf("%+d", n)
	}
	return strings.Join(s, " ")
}
