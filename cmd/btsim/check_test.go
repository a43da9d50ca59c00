package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheckExitCodes(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	saved := os.Stdout
	os.Stdout, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer func() { os.Stdout = saved }()
	bad := filepath.Join(t.TempDir(), "Bad.tla")
	if err := os.WriteFile(bad, []byte("---- MODULE Bad ----\nInit == x = \n====\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TLA2TOOLS_JAR", "")
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"../../models/tla/Negotiation.tla"}, 0},
		{[]string{"--workers", "1", "--config", "../../models/tla/NegotiationBad.cfg", "../../models/tla/Negotiation.tla"}, 1},
		{[]string{"-q", "../../models/checker/testdata/DieHard.tla"}, 1},
		{[]string{"--trace", "../../models/checker/testdata/negotiation-good.ndjson", "../../models/tla/Negotiation.tla"}, 0},
		{[]string{bad}, 2},
		{[]string{"missing.tla"}, 2},
		{[]string{}, 2},
		{[]string{"--engine=tlc", "../../models/tla/Negotiation.tla"}, 2},
		{[]string{"--engine=java", "../../models/tla/Negotiation.tla"}, 2},
		{[]string{"--workers", "0", "../../models/tla/Negotiation.tla"}, 2},
		{[]string{"--help"}, 0},
	}
	for _, c := range cases {
		if got := runCheck(c.args); got != c.want {
			t.Errorf("btsim check %v = %d, want %d", c.args, got, c.want)
		}
	}
}

// TestCheckEngineTLC runs --engine=tlc when TLA2TOOLS_JAR names a
// tla2tools.jar; TLC is not packaged for CI, so it is skipped otherwise.
func TestCheckEngineTLC(t *testing.T) {
	if os.Getenv("TLA2TOOLS_JAR") == "" {
		t.Skip("TLA2TOOLS_JAR not set")
	}
	saved := os.Stdout
	os.Stdout, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer func() { os.Stdout = saved }()
	if got := runCheck([]string{"--engine=tlc", "--workers", "1", "../../models/tla/Negotiation.tla"}); got != 0 {
		t.Errorf("TLC on Negotiation.cfg: exit %d, want 0", got)
	}
	if got := runCheck([]string{"--engine=tlc", "--config", "../../models/tla/NegotiationBad.cfg", "../../models/tla/Negotiation.tla"}); got != 1 {
		t.Errorf("TLC on NegotiationBad.cfg: exit %d, want 1", got)
	}
}
