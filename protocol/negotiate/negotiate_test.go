package negotiate

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/transport"
)

func TestPlan(t *testing.T) {
	const (
		basic  = transport.TLSBasic
		strict = transport.TLSStrict
		mse    = transport.MSE
	)
	tests := []struct {
		name   string
		level  transport.Kind
		p      Policy
		k      Knowledge
		want   []transport.Kind
		stage  Stage
		fallOK bool // may attempt 0 fall back at stage
	}{
		{"prefer, nothing known: optimistic TLS then legacy", basic, Prefer, Knowledge{}, []transport.Kind{basic, mse}, BeforeTLS, true},
		{"prefer, TLS hint", basic, Prefer, Knowledge{Hint: transport.Hint{TLS: true}}, []transport.Kind{basic, mse}, BeforeTLS, true},
		{"prefer, legacy hint: legacy first", basic, Prefer, Knowledge{Hint: transport.Hint{Legacy: true}}, []transport.Kind{mse, basic}, BeforeTLS, true},
		{"prefer, failure after TLS never falls back", basic, Prefer, Knowledge{}, []transport.Kind{basic, mse}, AfterTLS, false},
		{"prefer, pinned: TLS only", basic, Prefer, Knowledge{Pinned: true, Hint: transport.Hint{Legacy: true}}, []transport.Kind{basic}, BeforeTLS, false},
		{"require", basic, Require, Knowledge{Hint: transport.Hint{Legacy: true}}, []transport.Kind{basic}, BeforeTLS, false},
		{"off", basic, Off, Knowledge{Pinned: true}, []transport.Kind{mse}, BeforeTLS, false},
		{"strict ignores policy off", strict, Off, Knowledge{Hint: transport.Hint{Legacy: true}}, []transport.Kind{strict}, BeforeTLS, false},
		{"full strict mode 2", transport.TLSFullStrict2, Prefer, Knowledge{}, []transport.Kind{transport.TLSFullStrict2}, BeforeTLS, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(tt.level, tt.p, tt.k, mse)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Plan = %v, want %v", got, tt.want)
			}
			if f := MayFallBack(got, 0, tt.stage); f != tt.fallOK {
				t.Fatalf("MayFallBack = %v, want %v", f, tt.fallOK)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	for _, s := range []string{"off", "prefer", "require"} {
		p, err := ParsePolicy(s)
		if err != nil || p.String() != s {
			t.Fatalf("%s: %v %v", s, p, err)
		}
	}
	if _, err := ParsePolicy("maybe"); err == nil {
		t.Fatal("accepted policy maybe")
	}
}

func TestPinsPersistAndExpire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pins.json")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p, err := OpenPins(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pinned("127.0.0.1:6881", now) {
		t.Fatal("pinned before any evidence")
	}
	if err := p.Pin("127.0.0.1:6881", now); err != nil {
		t.Fatal(err)
	}
	q, err := OpenPins(path, time.Hour) // a restart
	if err != nil {
		t.Fatal(err)
	}
	if !q.Pinned("127.0.0.1:6881", now.Add(59*time.Minute)) {
		t.Fatal("pin lost across restart")
	}
	if q.Pinned("127.0.0.1:6881", now.Add(61*time.Minute)) {
		t.Fatal("pin did not expire")
	}
	if q.Pinned("127.0.0.1:6882", now) {
		t.Fatal("pin leaked to another port")
	}
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := OpenPins(path, time.Hour); err == nil {
		t.Fatal("accepted a corrupt pin file")
	}
}

func TestPlanFullStrict(t *testing.T) {
	fs1, fs2 := transport.TLSFullStrict1, transport.TLSFullStrict2
	tests := []struct {
		name       string
		has1, has2 bool
		k          Knowledge
		want       []transport.Kind
	}{
		{"libtorrent SSL torrent", true, false, Knowledge{Hint: transport.Hint{TLS: true}}, []transport.Kind{fs1}},
		{"mode 2 only", false, true, Knowledge{}, []transport.Kind{fs2}},
		{"both, no hint: mode 1 first (libtorrent peers)", true, true, Knowledge{}, []transport.Kind{fs1, fs2}},
		{"both, bttls hint: mode 2 first", true, true, Knowledge{Hint: transport.Hint{TLS: true}}, []transport.Kind{fs2, fs1}},
		{"both, pinned: mode 2 first", true, true, Knowledge{Pinned: true}, []transport.Kind{fs2, fs1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PlanFullStrict(tt.has1, tt.has2, tt.k)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("PlanFullStrict = %v, want %v", got, tt.want)
			}
			if len(got) > 1 && MayFallBack(got, 0, AfterTLS) {
				t.Fatal("fell back after a completed TLS handshake")
			}
		})
	}
}

func FuzzOpenPins(f *testing.F) {
	f.Add([]byte(`{"version":1,"pins":{"127.0.0.1:6881":"2026-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "pins.json")
		os.WriteFile(path, b, 0o600)
		p, err := OpenPins(path, time.Hour)
		if err != nil {
			return
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := p.Pin("10.0.0.1:1", now); err != nil {
			t.Fatal(err)
		}
		if q, err := OpenPins(path, time.Hour); err != nil || !q.Pinned("10.0.0.1:1", now) {
			t.Fatalf("re-open after saving: %v", err)
		}
	})
}
