package docs

// Checks on the BEP draft (bep_tls.rst), run by `make test`:
//
//  1. it builds with docutils without a single warning;
//  2. every test vector block in it matches what the code computes;
//  3. every figure it quotes from results/ matches the committed file.
//
// Test vectors are written in the BEP as a reST comment naming the vector,
// followed by a literal block of "name = value" lines:
//
//	.. test-vector: basic-key
//
//	::
//
//	    infohash = 0123...
//	    key      = 89ab...
//
// Quoted figures are substitutions, each preceded by a comment saying where
// the value comes from:
//
//	.. results: results/dpi/table.csv row=mode:basic col=ndpi
//	.. |dpi-basic| replace:: TLS

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/strict"
	"github.com/bttls/bttls/protocol/tlslevel"
)

const bepPath = "bep_tls.rst"

// repoRoot is where results/ paths in the BEP are resolved.
const repoRoot = ".."

func readBEP(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(bepPath)
	if err != nil {
		t.Fatalf("reading the BEP: %v", err)
	}
	return string(b)
}

// rst2html finds docutils' front end: Debian names it rst2html, pip
// rst2html.py.
func rst2html() (string, error) {
	for _, name := range []string{"rst2html", "rst2html.py", "rst2html5"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("docs: rst2html not found (install Debian python3-docutils)")
}

func TestBEPBuildsWithoutWarnings(t *testing.T) {
	bin, err := rst2html()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	out := filepath.Join(t.TempDir(), "bep.html")
	cmd := exec.Command(bin, "--halt=warning", "--report=warning", "--exit-status=warning",
		"--no-datestamp", bepPath, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("%s %s: %v\n%s", bin, bepPath, err, stderr.String())
	}
	html, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// docutils renders an unresolved or malformed construct as a
	// "problematic" or "system-message" node even when it does not stop.
	for _, bad := range []string{`class="problematic"`, `class="system-message"`} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("rendered BEP contains %s", bad)
		}
	}
}

func TestBEPHeader(t *testing.T) {
	doc := readBEP(t)
	for _, field := range []string{
		":BEP: XXXX", ":Title: ", ":Version: ", ":Last-Modified: ", ":Author: ",
		":Status:  Draft", ":Type:    Standards Track", ":Content-Type: text/x-rst",
		":Created: ", ":Post-History:",
	} {
		if !strings.Contains(doc, "\n"+field) && !strings.HasPrefix(doc, field) {
			t.Errorf("BEP header lacks %q", field)
		}
	}
	if strings.Contains(doc, "\t") {
		t.Error("BEP contains a tab character (BEP 2 forbids them)")
	}
}

// vector is one test vector block of the BEP.
type vector struct {
	Name   string
	Line   int
	Fields map[string]string
	Order  []string
}

var vectorStart = regexp.MustCompile(`^\.\. test-vector: ([A-Za-z0-9][A-Za-z0-9._-]*)\s*$`)

// parseVectors extracts every test vector block from a reST document.
func parseVectors(doc string) ([]vector, error) {
	lines := strings.Split(doc, "\n")
	var out []vector
	seen := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], ".. test-vector:") {
			continue
		}
		m := vectorStart.FindStringSubmatch(lines[i])
		if m == nil {
			return nil, fmt.Errorf("docs: line %d: malformed test-vector comment %q", i+1, lines[i])
		}
		v := vector{Name: m[1], Line: i + 1, Fields: map[string]string{}}
		if seen[v.Name] {
			return nil, fmt.Errorf("docs: line %d: test vector %q defined twice", i+1, v.Name)
		}
		seen[v.Name] = true
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j >= len(lines) || strings.TrimSpace(lines[j]) != "::" {
			return nil, fmt.Errorf("docs: test vector %q (line %d): want a literal block (::) after the comment", v.Name, v.Line)
		}
		j++
		last := ""
		for ; j < len(lines); j++ {
			l := lines[j]
			if strings.TrimSpace(l) == "" {
				continue
			}
			if l[0] != ' ' {
				break
			}
			body := strings.TrimSpace(l)
			k, val, ok := strings.Cut(body, "=")
			k = strings.TrimSpace(k)
			if !ok || strings.ContainsAny(k, " \"") {
				// A continuation line of a long hex value.
				if last == "" || !isHex(body) {
					return nil, fmt.Errorf("docs: test vector %q, line %d: want \"name = value\", got %q", v.Name, j+1, body)
				}
				v.Fields[last] += body
				continue
			}
			if k == "" {
				return nil, fmt.Errorf("docs: test vector %q, line %d: empty name", v.Name, j+1)
			}
			if _, dup := v.Fields[k]; dup {
				return nil, fmt.Errorf("docs: test vector %q, line %d: %q given twice", v.Name, j+1, k)
			}
			v.Fields[k] = strings.TrimSpace(val)
			v.Order = append(v.Order, k)
			last = k
		}
		if len(v.Fields) == 0 {
			return nil, fmt.Errorf("docs: test vector %q (line %d) is empty", v.Name, v.Line)
		}
		out = append(out, v)
		i = j - 1
	}
	return out, nil
}

func isHex(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// value decodes a field: "quoted text" or lowercase hex.
func (v vector) value(name string) ([]byte, error) {
	s, ok := v.Fields[name]
	if !ok {
		return nil, fmt.Errorf("docs: test vector %q has no field %q", v.Name, name)
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return []byte(s[1 : len(s)-1]), nil
	}
	if strings.ToLower(s) != s {
		return nil, fmt.Errorf("docs: test vector %q field %q: hex must be lowercase", v.Name, name)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("docs: test vector %q field %q: neither quoted text nor hex: %v", v.Name, name, err)
	}
	return b, nil
}

func TestParseVectors(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    int
		wantErr string
	}{
		{"none", "text\n", 0, ""},
		{"one", ".. test-vector: a\n\n::\n\n    x = 00ff\n    y = \"lbl\"\n\nafter\n", 1, ""},
		{"continuation", ".. test-vector: a\n\n::\n\n    x = 00ff\n        aabb\n", 1, ""},
		{"no block", ".. test-vector: a\n\ntext\n", 0, "literal block"},
		{"empty", ".. test-vector: a\n\n::\n\nafter\n", 0, "empty"},
		{"dup", ".. test-vector: a\n\n::\n\n    x = 00\n\n.. test-vector: a\n\n::\n\n    x = 00\n", 0, "twice"},
		{"bad line", ".. test-vector: a\n\n::\n\n    what is this\n", 0, "name = value"},
		{"bad name", ".. test-vector: a b\n", 0, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := parseVectors(tc.doc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(vs) != tc.want {
				t.Fatalf("got %d vectors, %v; want %d", len(vs), err, tc.want)
			}
		})
	}
	vs, _ := parseVectors(".. test-vector: a\n\n::\n\n    x = 00ff\n        aabb\n")
	if got, _ := vs[0].value("x"); !bytes.Equal(got, []byte{0, 0xff, 0xaa, 0xbb}) {
		t.Errorf("continuation: got %x", got)
	}
}

func FuzzParseVectors(f *testing.F) {
	f.Add(".. test-vector: a\n\n::\n\n    x = 00ff\n        aabb\n")
	f.Add(".. test-vector: a\n::\n    = \n")
	f.Fuzz(func(t *testing.T, doc string) {
		vs, err := parseVectors(doc)
		if err != nil {
			return
		}
		for _, v := range vs {
			for _, k := range v.Order {
				_, _ = v.value(k)
			}
		}
	})
}

// TestBEPVectors checks the BEP's vectors: each must parse and be
// recomputed from its inputs by the code (checkVector), and every vector of
// docs/test-vectors.md must appear in the BEP with the same values.
func TestBEPVectors(t *testing.T) {
	vs, err := parseVectors(readBEP(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("the BEP has no test vectors")
	}
	md, err := os.ReadFile("test-vectors.md")
	if err != nil {
		t.Fatalf("reading docs/test-vectors.md: %v", err)
	}
	blocks, err := parseMarkdownVectors(string(md))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			err := checkVector(v)
			if errors.Is(err, errNoRecompute) && inMarkdown(v, blocks) {
				t.Logf("%v; equals its docs/test-vectors.md block", err)
				return
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	for i, b := range blocks {
		if err := findInBEP(vs, b); err != nil {
			t.Errorf("docs/test-vectors.md block %d (%s %s): %v", i+1, b["level"], b["input"], err)
		}
	}
}

// parseMarkdownVectors reads the ```vectors blocks of docs/test-vectors.md:
// "field: value" lines.
func parseMarkdownVectors(md string) ([]map[string]string, error) {
	var out []map[string]string
	var cur map[string]string
	for n, line := range strings.Split(md, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "```vectors":
			cur = map[string]string{}
		case line == "```" && cur != nil:
			out = append(out, cur)
			cur = nil
		case cur != nil && line != "":
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("docs: test-vectors.md line %d: %q is not \"field: value\"", n+1, line)
			}
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if cur != nil {
		return nil, errors.New("docs: test-vectors.md: unterminated vectors block")
	}
	if len(out) == 0 {
		return nil, errors.New("docs: test-vectors.md has no vectors blocks")
	}
	return out, nil
}

// findInBEP finds a BEP vector of the same level that has every field of
// a test-vectors.md block with the same value.
func findInBEP(vs []vector, b map[string]string) error {
	best, bestMiss := "", ""
	for _, v := range vs {
		if v.text("level") != b["level"] {
			continue
		}
		miss := ""
		for k, want := range b {
			got, ok := v.Fields[k]
			switch {
			case !ok:
				miss = fmt.Sprintf("lacks field %q", k)
			case strings.Trim(got, `"`) != want:
				miss = fmt.Sprintf("has %s = %s, docs/test-vectors.md %s", k, got, want)
			}
			if miss != "" {
				break
			}
		}
		if miss == "" {
			return nil
		}
		if best == "" {
			best, bestMiss = v.Name, miss
		}
	}
	if best == "" {
		return errors.New("no vector of this level in the BEP")
	}
	return fmt.Errorf("not in the BEP (the BEP's vector %q %s)", best, bestMiss)
}

// inMarkdown reports whether a test-vectors.md block has exactly v's fields.
func inMarkdown(v vector, blocks []map[string]string) bool {
	for _, b := range blocks {
		if len(b) != len(v.Fields) {
			continue
		}
		same := true
		for k, want := range b {
			if got, ok := v.Fields[k]; !ok || strings.Trim(got, `"`) != want {
				same = false
			}
		}
		if same {
			return true
		}
	}
	return false
}

// integerFields are the vector fields written as decimal integers.
var integerFields = map[string]bool{"epoch": true, "epochs": true}

func (v vector) integer(name string) (int, error) {
	n, err := strconv.Atoi(v.Fields[name])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("docs: test vector %q: %s %q is not a decimal integer", v.Name, name, v.Fields[name])
	}
	return n, nil
}

// text returns a quoted field without its quotes.
func (v vector) text(name string) string {
	return strings.Trim(v.Fields[name], `"`)
}

// errNoRecompute: no code in this test derives vectors of that level yet;
// the vector must then equal a docs/test-vectors.md block, which the
// implementing package's own tests derive.
var errNoRecompute = errors.New("docs: no recompute function")

// checkVector recomputes one vector with the reference implementation's
// code and compares every derived field.
func checkVector(v vector) error {
	for _, k := range v.Order {
		var err error
		if integerFields[k] {
			_, err = v.integer(k)
		} else {
			_, err = v.value(k)
		}
		if err != nil {
			return err
		}
	}
	var ty tlslevel.Type
	switch v.text("level") {
	case "basic":
		ty = tlslevel.TypeBasic
	case "strict":
		ty = tlslevel.TypeStrict
	case "strict-chain":
		return checkChainVector(v)
	case "fullstrict2-signature":
		return checkSignatureVector(v)
	default:
		return fmt.Errorf("%w: test vector %q, level %q", errNoRecompute, v.Name, v.text("level"))
	}
	in, err := v.value("input")
	if err != nil {
		return err
	}
	key := tlslevel.BasicKey(in)
	var epoch uint16
	if ty == tlslevel.TypeStrict {
		key = tlslevel.StrictKey(in)
		e, err := v.integer("epoch")
		if err != nil || e > strict.MaxEpoch {
			return fmt.Errorf("docs: test vector %q: epoch %q is not a decimal uint16", v.Name, v.Fields["epoch"])
		}
		epoch = uint16(e)
	}
	ei, err := v.value("exporter_initiator")
	if err != nil {
		return err
	}
	er, err := v.value("exporter_responder")
	if err != nil {
		return err
	}
	pi, pr := tlslevel.MAC(key, ei), tlslevel.MAC(key, er)
	derived := map[string][]byte{
		"exporter_label_initiator": []byte(tlslevel.ExporterLabel(ty, tlslevel.Initiator)),
		"exporter_label_responder": []byte(tlslevel.ExporterLabel(ty, tlslevel.Responder)),
		"key":                      key[:],
		"proof_initiator":          pi[:],
		"proof_responder":          pr[:],
		"message_initiator":        tlslevel.Message{Type: ty, Body: tlslevel.Proof{Epoch: epoch, MAC: pi}.AppendBody(nil, ty)}.Append(nil),
		"message_responder":        tlslevel.Message{Type: ty, Body: tlslevel.Proof{Epoch: epoch, MAC: pr}.AppendBody(nil, ty)}.Append(nil),
	}
	checked := 0
	for _, k := range v.Order {
		want, ok := derived[k]
		if !ok {
			continue
		}
		got, _ := v.value(k)
		if !bytes.Equal(got, want) {
			return fmt.Errorf("docs: test vector %q: %s is %x in the BEP, the code derives %x", v.Name, k, got, want)
		}
		checked++
	}
	for _, k := range []string{"key", "proof_initiator", "proof_responder"} {
		if _, ok := v.Fields[k]; !ok {
			return fmt.Errorf("docs: test vector %q lacks %q", v.Name, k)
		}
	}
	if checked == 0 {
		return fmt.Errorf("docs: test vector %q: no field was recomputed", v.Name)
	}
	return nil
}

// checkSignatureVector recomputes a Full Strict mode 2 signature vector:
// the Ed25519 key from its seed, the signed content and the (deterministic)
// signature.
func checkSignatureVector(v vector) error {
	seed, err := v.value("input")
	if err != nil {
		return err
	}
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("docs: test vector %q: input is %d bytes, want an Ed25519 seed of %d", v.Name, len(seed), ed25519.SeedSize)
	}
	var role tlslevel.Role
	switch v.text("role") {
	case "initiator":
		role = tlslevel.Initiator
	case "responder":
		role = tlslevel.Responder
	default:
		return fmt.Errorf("docs: test vector %q: role %q is not initiator or responder", v.Name, v.Fields["role"])
	}
	e, err := v.value("exporter")
	if err != nil {
		return err
	}
	key := ed25519.NewKeyFromSeed(seed)
	content := fullstrict.SignedContent(role, e)
	scheme, sig, err := fullstrict.Sign(key, nil, content)
	if err != nil {
		return fmt.Errorf("docs: test vector %q: %w", v.Name, err)
	}
	if scheme != fullstrict.Ed25519 {
		return fmt.Errorf("docs: test vector %q: signed with scheme %#04x, want ed25519", v.Name, scheme)
	}
	derived := map[string][]byte{
		"public_key":     key.Public().(ed25519.PublicKey),
		"signed_content": content,
		"signature":      sig,
	}
	for k, want := range derived {
		got, err := v.value(k)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("docs: test vector %q: %s is %x in the BEP, the code derives %x", v.Name, k, got, want)
		}
	}
	return nil
}

// checkChainVector recomputes a Strict hash-chain vector: the commitment,
// an epoch's secret, its announce key and its magnet value.
func checkChainVector(v vector) error {
	rb, err := v.value("root")
	if err != nil {
		return err
	}
	if len(rb) != strict.SecretLen {
		return fmt.Errorf("docs: test vector %q: root is %d bytes, want %d", v.Name, len(rb), strict.SecretLen)
	}
	var root [32]byte
	copy(root[:], rb)
	n, err := v.integer("epochs")
	if err != nil {
		return err
	}
	e, err := v.integer("epoch")
	if err != nil {
		return err
	}
	secret, err := strict.EpochSecret(root, n, e)
	if err != nil {
		return fmt.Errorf("docs: test vector %q: %w", v.Name, err)
	}
	m := strict.Material{Commit: strict.Commitment(root, n), Epoch: e, Secret: secret}
	if err := m.Check(); err != nil {
		return fmt.Errorf("docs: test vector %q: %w", v.Name, err)
	}
	ah := m.AnnounceHash()
	derived := map[string][]byte{
		"commit":       m.Commit[:],
		"secret":       secret[:],
		"announce":     ah[:],
		"magnet_value": []byte(m.MagnetValue()),
	}
	for k, want := range derived {
		got, err := v.value(k)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("docs: test vector %q: %s is %x in the BEP, the code derives %x", v.Name, k, got, want)
		}
	}
	return nil
}

// TestBEPFormulas recomputes the vectors from the BEP's own formulas with
// the standard library alone, so that the text (not only the code) is
// checked: an implementer who follows the BEP gets these values.
func TestBEPFormulas(t *testing.T) {
	vs, err := parseVectors(readBEP(t))
	if err != nil {
		t.Fatal(err)
	}
	mac := func(key []byte, msg ...[]byte) []byte {
		m := hmac.New(sha256.New, key)
		for _, b := range msg {
			m.Write(b)
		}
		return m.Sum(nil)
	}
	chain := func(x []byte) []byte {
		h := sha256.Sum256(append([]byte("bttls v1 strict chain"), x...))
		return h[:]
	}
	n := 0
	for _, v := range vs {
		want := map[string][]byte{}
		switch v.text("level") {
		case "basic", "strict":
			in, _ := v.value("input")
			label := "bttls v1 basic key"
			if v.text("level") == "strict" {
				label = "bttls v1 strict key"
			}
			k := mac(in, []byte(label))
			ei, _ := v.value("exporter_initiator")
			er, _ := v.value("exporter_responder")
			pi := mac(k, ei)
			want["key"], want["proof_initiator"], want["proof_responder"] = k, pi, mac(k, er)
			want["exporter_label_initiator"] = []byte("EXPORTER-bttls-" + v.text("level") + "-initiator")
			body := pi
			if v.text("level") == "strict" {
				e, _ := v.integer("epoch")
				body = append([]byte{byte(e >> 8), byte(e)}, pi...)
			}
			typ := byte(1)
			if v.text("level") == "strict" {
				typ = 2
			}
			want["message_initiator"] = append([]byte{1, typ, byte(len(body) >> 8), byte(len(body))}, body...)
		case "strict-chain":
			root, _ := v.value("root")
			epochs, _ := v.integer("epochs")
			e, _ := v.integer("epoch")
			s := root
			for i := 0; i < epochs-e; i++ {
				s = chain(s)
			}
			c := s
			for i := 0; i <= e; i++ {
				c = chain(c)
			}
			want["secret"], want["commit"] = s, c
			want["announce"] = mac(s, []byte("bttls v1 strict announce"))[:20]
			want["magnet_value"] = []byte(fmt.Sprintf("%d:%x", e, s))
		case "fullstrict2-signature":
			e, _ := v.value("exporter")
			content := append(bytes.Repeat([]byte{0x20}, 64), "bttls v1 fullstrict2 "+v.text("role")...)
			content = append(append(content, 0), e...)
			want["signed_content"] = content
			seed, _ := v.value("input")
			key := ed25519.NewKeyFromSeed(seed)
			want["signature"] = ed25519.Sign(key, content)
		default:
			t.Errorf("test vector %q: level %q has no formula here", v.Name, v.text("level"))
			continue
		}
		for k, w := range want {
			got, err := v.value(k)
			if err != nil {
				t.Errorf("test vector %q: %v", v.Name, err)
				continue
			}
			if !bytes.Equal(got, w) {
				t.Errorf("test vector %q: %s is %x in the BEP, its formula gives %x", v.Name, k, got, w)
			}
			n++
		}
	}
	t.Logf("%d fields recomputed from the BEP's formulas", n)
}

// resultsRef is one quoted figure: a results comment and its substitution.
type resultsRef struct {
	Line  int
	Name  string // substitution name
	Value string // the text the BEP shows
	File  string // path relative to the repository root
	Row   map[string]string
	Col   string // CSV column, or JSON path a.b.0.c
	Scale float64
	// Prefix: the BEP shows the start of a value whose rest varies from
	// run to run (match=prefix).
	Prefix bool
	// Line, when set, picks the value from a line of the file instead of
	// a table: the first capture group of the first line it matches.
	LineRE *regexp.Regexp
}

var (
	resultsComment = regexp.MustCompile(`^\.\. results: (\S+)((?: [a-z]+=\S+)*)\s*$`)
	substitution   = regexp.MustCompile(`^\.\. \|([^|]+)\| replace:: (.+?)\s*$`)
)

// parseResultsRefs finds every quoted figure. Every substitution in the
// BEP must be one: a bare value without its source is an error.
func parseResultsRefs(doc string) ([]resultsRef, error) {
	lines := strings.Split(doc, "\n")
	var out []resultsRef
	for i, l := range lines {
		if strings.HasPrefix(l, ".. results:") {
			m := resultsComment.FindStringSubmatch(l)
			if m == nil {
				return nil, fmt.Errorf("docs: line %d: malformed results comment %q (want \".. results: FILE row=COL:VALUE col=COL\")", i+1, l)
			}
			if i+1 >= len(lines) {
				return nil, fmt.Errorf("docs: line %d: results comment at the end of the file", i+1)
			}
			s := substitution.FindStringSubmatch(lines[i+1])
			if s == nil {
				return nil, fmt.Errorf("docs: line %d: a results comment must be followed by \".. |name| replace:: VALUE\"", i+1)
			}
			r := resultsRef{Line: i + 1, Name: s[1], Value: s[2], File: m[1], Row: map[string]string{}, Scale: 1}
			// Values may escape spaces, commas and other bytes as %XX.
			unescape := func(v string) string {
				if u, err := url.PathUnescape(v); err == nil {
					return u
				}
				return v
			}
			for _, opt := range strings.Fields(m[2]) {
				k, val, _ := strings.Cut(opt, "=")
				if k != "row" {
					val = unescape(val)
				}
				switch k {
				case "row":
					for _, cond := range strings.Split(val, ",") {
						c, want, ok := strings.Cut(cond, ":")
						if !ok || c == "" {
							return nil, fmt.Errorf("docs: line %d: row condition %q, want COLUMN:VALUE", i+1, cond)
						}
						r.Row[unescape(c)] = unescape(want)
					}
				case "col", "key":
					r.Col = val
				case "line":
					re, err := regexp.Compile(val)
					if err != nil || re.NumSubexp() != 1 {
						return nil, fmt.Errorf("docs: line %d: line=%q must be a regular expression with one capture group", i+1, val)
					}
					r.LineRE = re
				case "match":
					if val != "prefix" {
						return nil, fmt.Errorf("docs: line %d: match=%q, only match=prefix exists", i+1, val)
					}
					r.Prefix = true
				case "scale":
					f, err := strconv.ParseFloat(val, 64)
					if err != nil || f == 0 {
						return nil, fmt.Errorf("docs: line %d: scale %q is not a non-zero number", i+1, val)
					}
					r.Scale = f
				default:
					return nil, fmt.Errorf("docs: line %d: unknown results option %q", i+1, k)
				}
			}
			if r.Col == "" && r.LineRE == nil {
				return nil, fmt.Errorf("docs: line %d: results comment names no col= (or key=, line=)", i+1)
			}
			if filepath.IsAbs(r.File) || strings.Contains(r.File, "..") || !strings.HasPrefix(r.File, "results/") && !strings.HasPrefix(r.File, "docs/") {
				return nil, fmt.Errorf("docs: line %d: results file %q must be under results/ or docs/", i+1, r.File)
			}
			out = append(out, r)
			continue
		}
		if substitution.MatchString(l) && (i == 0 || !strings.HasPrefix(lines[i-1], ".. results:")) {
			return nil, fmt.Errorf("docs: line %d: substitution without a preceding results comment: every quoted figure must name its source", i+1)
		}
	}
	return out, nil
}

// lookup returns the raw value a ref points at.
func (r resultsRef) lookup(root string) (string, error) {
	path := filepath.Join(root, filepath.FromSlash(r.File))
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("docs: |%s| quotes %s: %w", r.Name, r.File, err)
	}
	if r.LineRE != nil {
		for _, l := range strings.Split(string(data), "\n") {
			if m := r.LineRE.FindStringSubmatch(l); m != nil {
				return m[1], nil
			}
		}
		return "", fmt.Errorf("docs: |%s|: no line of %s matches %s", r.Name, r.File, r.LineRE)
	}
	switch {
	case strings.HasSuffix(r.File, ".csv"):
		return lookupCSV(data, r)
	case strings.HasSuffix(r.File, ".json"):
		return lookupJSON(data, r)
	case strings.HasSuffix(r.File, ".md"):
		return lookupMarkdown(data, r)
	}
	return "", fmt.Errorf("docs: |%s| quotes %s: only .csv, .json and .md tables can be checked", r.Name, r.File)
}

// lookupMarkdown finds the value in the first pipe table of a Markdown
// file that has the column and every row-condition column, in the one row
// whose cells equal the conditions.
func lookupMarkdown(data []byte, r resultsRef) (string, error) {
	cells := func(line string) []string {
		line = strings.TrimSpace(line)
		line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
		out := strings.Split(line, "|")
		for i := range out {
			out[i] = strings.TrimSpace(out[i])
		}
		return out
	}
	lines := strings.Split(string(data), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(strings.TrimSpace(lines[i]), "|") || !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "|-") && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "| -") && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "|:") {
			continue
		}
		var rows [][]string
		rows = append(rows, cells(lines[i]))
		j := i + 2
		for ; j < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[j]), "|"); j++ {
			rows = append(rows, cells(lines[j]))
		}
		var b strings.Builder
		w := csv.NewWriter(&b)
		for _, row := range rows {
			w.Write(row)
		}
		w.Flush()
		if v, err := lookupCSV([]byte(b.String()), r); err == nil {
			return v, nil
		} else if !strings.Contains(err.Error(), "has no column") {
			return "", err
		}
		i = j
	}
	return "", fmt.Errorf("docs: |%s|: no table in %s has columns %q and %v", r.Name, r.File, r.Col, r.Row)
}

func lookupCSV(data []byte, r resultsRef) (string, error) {
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return "", fmt.Errorf("docs: %s: %w", r.File, err)
	}
	if len(recs) < 2 {
		return "", fmt.Errorf("docs: %s: no data rows", r.File)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[strings.TrimSpace(h)] = i
	}
	col, ok := idx[r.Col]
	if !ok {
		return "", fmt.Errorf("docs: |%s|: %s has no column %q", r.Name, r.File, r.Col)
	}
	for c := range r.Row {
		if _, ok := idx[c]; !ok {
			return "", fmt.Errorf("docs: |%s|: %s has no column %q", r.Name, r.File, c)
		}
	}
	found := -1
	for i, rec := range recs[1:] {
		match := true
		for c, want := range r.Row {
			if idx[c] >= len(rec) || strings.TrimSpace(rec[idx[c]]) != want {
				match = false
			}
		}
		if match {
			if found >= 0 {
				return "", fmt.Errorf("docs: |%s|: rows %d and %d of %s both match %v; name more columns", r.Name, found+2, i+2, r.File, r.Row)
			}
			found = i
		}
	}
	if found < 0 {
		return "", fmt.Errorf("docs: |%s|: no row of %s matches %v", r.Name, r.File, r.Row)
	}
	if col >= len(recs[found+1]) {
		return "", fmt.Errorf("docs: |%s|: row %d of %s has no column %q", r.Name, found+2, r.File, r.Col)
	}
	return strings.TrimSpace(recs[found+1][col]), nil
}

func lookupJSON(data []byte, r resultsRef) (string, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("docs: %s: %w", r.File, err)
	}
	// Rows select an element of a top-level array (or of "rows").
	if len(r.Row) > 0 {
		arr, ok := v.([]any)
		if !ok {
			if m, isMap := v.(map[string]any); isMap {
				arr, ok = m["rows"].([]any)
			}
		}
		if !ok {
			return "", fmt.Errorf("docs: |%s|: %s is not an array of rows", r.Name, r.File)
		}
		var hit any
		n := 0
		for _, e := range arr {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			match := true
			for c, want := range r.Row {
				if fmt.Sprint(m[c]) != want {
					match = false
				}
			}
			if match {
				hit = e
				n++
			}
		}
		if n != 1 {
			return "", fmt.Errorf("docs: |%s|: %d rows of %s match %v, want exactly 1", r.Name, n, r.File, r.Row)
		}
		v = hit
	}
	for _, p := range strings.Split(r.Col, ".") {
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[p]
			if !ok {
				return "", fmt.Errorf("docs: |%s|: %s has no key %q (path %s)", r.Name, r.File, p, r.Col)
			}
			v = e
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return "", fmt.Errorf("docs: |%s|: %s: index %q out of range (path %s)", r.Name, r.File, p, r.Col)
			}
			v = x[i]
		default:
			return "", fmt.Errorf("docs: |%s|: %s: path %s goes through a scalar", r.Name, r.File, r.Col)
		}
	}
	switch x := v.(type) {
	case map[string]any, []any:
		return "", fmt.Errorf("docs: |%s|: %s: path %s is not a scalar", r.Name, r.File, r.Col)
	case nil:
		return "null", nil
	default:
		return fmt.Sprint(x), nil
	}
}

var quotedNumber = regexp.MustCompile(`^(-?[0-9][0-9,]*(?:\.([0-9]+))?)(\s*[%×x]|\s*[a-zA-Z/µ]+)?$`)

// matches reports whether the BEP's text shows the file's value. A number
// is compared after scaling and rounding the file's value to the decimals
// the BEP shows (thousands separators and a unit suffix allowed); anything
// else must be equal as text.
func (r resultsRef) matches(got string) (bool, string) {
	if r.Prefix {
		return strings.HasPrefix(got, r.Value), got
	}
	if r.Value == "–" {
		// A dash shows an empty cell (reST substitutions cannot be empty).
		return got == "", got
	}
	m := quotedNumber.FindStringSubmatch(r.Value)
	f, err := strconv.ParseFloat(got, 64)
	if m == nil || err != nil {
		return r.Value == got, got
	}
	decimals := len(m[2])
	want := strconv.FormatFloat(f*r.Scale, 'f', decimals, 64)
	shown := strings.ReplaceAll(m[1], ",", "")
	if want == "-0" || strings.HasPrefix(want, "-0.") && strings.Trim(want[1:], "0.") == "" {
		want = want[1:]
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false, got
	}
	return shown == want, want
}

var update = flag.Bool("update", false, "rewrite the BEP's quoted figures from the committed results (review the prose around each change)")

func TestBEPQuotedFigures(t *testing.T) {
	doc := readBEP(t)
	refs, err := parseResultsRefs(doc)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(doc, "\n")
	changed := 0
	for _, r := range refs {
		got, err := r.lookup(repoRoot)
		if err != nil {
			t.Errorf("line %d: %v", r.Line, err)
			continue
		}
		ok, want := r.matches(got)
		if ok {
			continue
		}
		if *update && !r.Prefix {
			shown := r.updated(want)
			lines[r.Line] = ".. |" + r.Name + "| replace:: " + shown
			t.Logf("line %d: |%s| %q -> %q: review the prose that uses it", r.Line+1, r.Name, r.Value, shown)
			changed++
			continue
		}
		t.Errorf("line %d: |%s| shows %q but %s says %q (go test ./docs -run QuotedFigures -update rewrites it)", r.Line, r.Name, r.Value, r.File, want)
	}
	if changed > 0 {
		if err := os.WriteFile(bepPath, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d quoted figures checked, %d rewritten", len(refs), changed)
}

// updated is what the BEP should show for the file's value want (as
// matches formats it): the number replaced, any unit kept; a dash for an
// empty cell.
func (r resultsRef) updated(want string) string {
	if want == "" {
		return "–"
	}
	if m := quotedNumber.FindStringSubmatch(r.Value); m != nil {
		if _, err := strconv.ParseFloat(want, 64); err == nil {
			return want + m[3]
		}
	}
	return want
}

// TestQuotedFigureChecker shows the checker fails when a figure drifts.
func TestQuotedFigureChecker(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "results", "x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	csvData := "mode,policy,completion_p50,ndpi\nbasic,prefer,12.3456,TLS\nplain,off,10,BitTorrent\nmse,off,11,\n\"Go net/http, no SNI\",x,1,TLS\n"
	jsonData := `{"runs":[{"adoption":0.5,"tls_bytes":0.4321}],"rows":[{"mode":"basic","sec":3}]}`
	if err := os.WriteFile(filepath.Join(dir, "t.csv"), []byte(csvData), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t.json"), []byte(jsonData), 0o644); err != nil {
		t.Fatal(err)
	}
	mdData := "# x\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\ntext\n\n| transport | MB/s |\n|-----------|------|\n| TLS Basic | 630–890 |\n| MSE (RC4) | 82–142 |\n"
	if err := os.WriteFile(filepath.Join(dir, "t.md"), []byte(mdData), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, doc string
		ok        bool
		errPart   string
	}{
		{"csv number", ".. results: results/x/t.csv row=mode:basic col=completion_p50\n.. |a| replace:: 12.3 s\n", true, ""},
		{"csv drift", ".. results: results/x/t.csv row=mode:basic col=completion_p50\n.. |a| replace:: 12.4 s\n", false, ""},
		{"csv text", ".. results: results/x/t.csv row=mode:plain,policy:off col=ndpi\n.. |a| replace:: BitTorrent\n", true, ""},
		{"csv text drift", ".. results: results/x/t.csv row=mode:plain col=ndpi\n.. |a| replace:: TLS\n", false, ""},
		{"json path", ".. results: results/x/t.json key=runs.0.tls_bytes scale=100\n.. |a| replace:: 43.2 %\n", true, ""},
		{"json row", ".. results: results/x/t.json row=mode:basic key=sec\n.. |a| replace:: 3\n", true, ""},
		{"json drift", ".. results: results/x/t.json key=runs.0.tls_bytes\n.. |a| replace:: 0.44\n", false, ""},
		{"escaped comma", ".. results: results/x/t.csv row=mode:Go%20net/http%2C%20no%20SNI,policy:x col=ndpi\n.. |a| replace:: TLS\n", true, ""},
		{"prefix", ".. results: results/x/t.csv row=mode:plain col=ndpi match=prefix\n.. |a| replace:: Bit\n", true, ""},
		{"prefix drift", ".. results: results/x/t.csv row=mode:plain col=ndpi match=prefix\n.. |a| replace:: TLS\n", false, ""},
		{"bad match", ".. results: results/x/t.csv row=mode:plain col=ndpi match=suffix\n.. |a| replace:: x\n", false, "only match=prefix"},
		{"line", ".. results: results/x/t.md line=^\\|%20TLS%20Basic%20\\|%20(\\S+) \n.. |a| replace:: 630–890\n", true, ""},
		{"line drift", ".. results: results/x/t.md line=^\\|%20TLS%20Basic%20\\|%20(\\S+) \n.. |a| replace:: 630\n", false, ""},
		{"line no match", ".. results: results/x/t.md line=^nothing(x) \n.. |a| replace:: 1\n", false, "no line"},
		{"line no group", ".. results: results/x/t.md line=^x \n.. |a| replace:: 1\n", false, "one capture group"},
		{"dash for empty", ".. results: results/x/t.csv row=mode:mse col=ndpi\n.. |a| replace:: –\n", true, ""},
		{"empty as dash", ".. results: results/x/t.csv row=mode:basic col=ndpi\n.. |a| replace:: –\n", false, ""},
		{"md table", ".. results: results/x/t.md row=transport:TLS%20Basic col=MB/s\n.. |a| replace:: 630–890\n", true, ""},
		{"md drift", ".. results: results/x/t.md row=transport:MSE%20(RC4) col=MB/s\n.. |a| replace:: 82–143\n", false, ""},
		{"md no table", ".. results: results/x/t.md row=transport:MSE col=GB/s\n.. |a| replace:: 1\n", false, "no table"},
		{"no row", ".. results: results/x/t.csv row=mode:full col=ndpi\n.. |a| replace:: TLS\n", false, "no row"},
		{"no col", ".. results: results/x/t.csv row=mode:basic col=nope\n.. |a| replace:: TLS\n", false, "no column"},
		{"missing file", ".. results: results/x/none.csv row=a:b col=c\n.. |a| replace:: 1\n", false, "no such file"},
		{"bare substitution", ".. |a| replace:: 12\n", false, "without a preceding"},
		{"orphan comment", ".. results: results/x/t.csv col=ndpi\ntext\n", false, "must be followed"},
		{"outside results", ".. results: /etc/passwd col=a\n.. |a| replace:: 1\n", false, "must be under"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			refs, err := parseResultsRefs(tc.doc)
			if err == nil {
				for _, r := range refs {
					var got string
					got, err = r.lookup(root)
					if err != nil {
						break
					}
					if ok, want := r.matches(got); !ok {
						err = fmt.Errorf("shows %q, file says %q", r.Value, want)
					}
				}
			}
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if tc.errPart != "" && !strings.Contains(err.Error(), tc.errPart) {
				t.Fatalf("err = %v, want one containing %q", err, tc.errPart)
			}
		})
	}
}

func FuzzParseResultsRefs(f *testing.F) {
	f.Add(".. results: results/x/t.csv row=mode:basic col=a\n.. |a| replace:: 12.3 s\n")
	f.Add(".. results: results/x/t.json key=a.0.b scale=100\n.. |b| replace:: x\n")
	f.Add(".. results: docs/t.md row=a:x%20y col=b\n.. |c| replace:: 1\n| a | b |\n|---|---|\n| x y | 1 |\n")
	f.Fuzz(func(t *testing.T, doc string) {
		refs, err := parseResultsRefs(doc)
		if err != nil {
			return
		}
		for _, r := range refs {
			_, _ = r.matches("1.5")
			_, _ = lookupCSV([]byte(doc), r)
			_, _ = lookupJSON([]byte(doc), r)
			_, _ = lookupMarkdown([]byte(doc), r)
		}
	})
}

// TestBEPImagesExist checks that every image the BEP shows is committed
// (docutils does not check image paths when it writes HTML).
func TestBEPImagesExist(t *testing.T) {
	re := regexp.MustCompile(`(?m)^\.\. (?:image|figure):: (\S+)\s*$`)
	for _, m := range re.FindAllStringSubmatch(readBEP(t), -1) {
		if _, err := os.Stat(filepath.FromSlash(m[1])); err != nil {
			t.Errorf("the BEP shows image %s: %v", m[1], err)
		}
	}
}

// TestDocsIndex checks that every link in docs/README.md names a file that
// exists, and reports documents the index does not list yet.
func TestDocsIndex(t *testing.T) {
	idx, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\]\(([^)#]+)\)`).FindAllStringSubmatch(string(idx), -1)
	if len(links) == 0 {
		t.Fatal("docs/README.md links no document")
	}
	linked := map[string]bool{}
	for _, l := range links {
		target := l[1]
		if strings.Contains(target, "://") {
			continue
		}
		linked[filepath.Clean(target)] = true
		if _, err := os.Stat(filepath.FromSlash(target)); err != nil {
			t.Errorf("docs/README.md links %s: %v", target, err)
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == "README.md" || strings.HasSuffix(n, ".go") || strings.HasPrefix(n, ".") {
			continue
		}
		if !linked[n] {
			t.Logf("docs/README.md does not list %s yet", n)
		}
	}
}
