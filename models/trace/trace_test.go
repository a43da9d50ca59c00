package trace

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := []Event{
		{Conn: "c1", T: 5, Local: "10.0.0.1:6881", Remote: "10.0.0.2:6881", Level: "Basic", Policy: "prefer", Kind: Dial},
		{Conn: "c1", T: 9, Local: "10.0.0.1:6881", Remote: "10.0.0.2:6881", Level: "Basic", Policy: "prefer", Kind: TLSAttempt, Detail: "x"},
	}
	for _, e := range in {
		w.Record(e)
	}
	if w.Err() != nil {
		t.Fatal(w.Err())
	}
	out, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i].Line = i + 1
		if out[i] != in[i] {
			t.Fatalf("event %d: %+v != %+v", i, out[i], in[i])
		}
	}
	var nilW *Writer
	nilW.Record(in[0]) // tracing off: no effect, no panic
}

func TestReadErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`{"conn":"a","level":"Basic","policy":"off","kind":"dial"}` + "\n{", "line 2"},
		{`{"conn":"a","level":"Weak","policy":"off","kind":"dial"}`, `level "Weak"`},
		{`{"conn":"a","level":"Basic","policy":"maybe","kind":"dial"}`, `policy "maybe"`},
		{`{"conn":"a","level":"Basic","policy":"off","kind":"teleport"}`, `unknown event kind "teleport"`},
		{`{"level":"Basic","policy":"off","kind":"dial"}`, "missing conn"},
		{`{"conn":"a","level":"Basic","policy":"off","kind":"dial","extra":1}`, "unknown field"},
		{`{"conn":"a","level":"Basic","policy":"off","kind":"dial"} {}`, "trailing data"},
	}
	for _, c := range cases {
		_, err := Read(strings.NewReader(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	f.Add(`{"conn":"a","level":"Basic","policy":"off","kind":"dial"}`)
	f.Add("\n\n{}")
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := Read(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, e := range evs {
			if e.Validate() != nil {
				t.Fatalf("Read returned an invalid event %+v", e)
			}
		}
	})
}
