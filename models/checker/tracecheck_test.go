package checker

import (
	"os"
	"strings"
	"testing"

	"github.com/bttls/bttls/models/trace"
)

func readTrace(t *testing.T, src string) []trace.Event {
	t.Helper()
	evs, err := trace.Read(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestTraceValidation(t *testing.T) {
	md, err := Load("../tla/Negotiation.tla", "")
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile("testdata/negotiation-good.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	n, errs, err := md.ValidateTrace(readTrace(t, string(good)))
	if err != nil || len(errs) != 0 || n != 3 {
		t.Fatalf("good trace: %d connections, errors %v %v", n, errs, err)
	}
	lines := strings.Split(strings.TrimSpace(string(good)), "\n")
	corrupt := func(lineNo int, from, to string) string {
		l := append([]string(nil), lines...)
		l[lineNo-1] = strings.Replace(l[lineNo-1], from, to, 1)
		return strings.Join(l, "\n")
	}
	cases := []struct {
		name     string
		src      string
		conn     string
		line     int
		index    int
		possible string
	}{
		// After a failure before the handshake, a Strict torrent never falls back.
		{"strict fallback", strings.Join(append(append([]string(nil), lines[:5]...),
			`{"conn":"c2","local":"a","remote":"b","level":"Strict","policy":"require","kind":"tls-fail-before"}`,
			`{"conn":"c2","local":"a","remote":"b","level":"Strict","policy":"require","kind":"fallback"}`), "\n"),
			"c2", 7, 4, "give-up"},
		// An established TLS session cannot be followed by a legacy attempt.
		{"tls then legacy", corrupt(10, `"tls-ok"`, `"legacy-ok"`), "c1", 10, 7, "tls-fail-before, tls-ok"},
		// A fallback without a preceding TLS failure.
		{"fallback from nowhere", corrupt(14, `"tls-fail-before"`, `"fallback"`), "c3", 14, 4, "tls-fail-before"},
	}
	for _, c := range cases {
		_, errs, err := md.ValidateTrace(readTrace(t, c.src))
		if err != nil {
			t.Fatal(err)
		}
		if len(errs) != 1 {
			t.Errorf("%s: want exactly one rejected connection, got %v", c.name, errs)
			continue
		}
		e := errs[0]
		if e.Conn != c.conn || e.Line != c.line || e.Index != c.index || !strings.Contains(strings.Join(e.Possible, ", "), c.possible) {
			t.Errorf("%s: rejected at %v (possible %v), want conn %s line %d event %d possible ⊇ %s", c.name, e, e.Possible, c.conn, c.line, c.index, c.possible)
		}
	}
}
