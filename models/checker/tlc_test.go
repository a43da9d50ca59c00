package checker

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgainstTLC runs every spec of tlcSummaries through TLC itself when
// TLA2TOOLS_JAR names a tla2tools.jar (TLC is not packaged for the CI
// machines, so the test is skipped otherwise), and checks that TLC still
// prints the summaries the checker is held to.
func TestAgainstTLC(t *testing.T) {
	jar := os.Getenv("TLA2TOOLS_JAR")
	if jar == "" {
		t.Skip("TLA2TOOLS_JAR not set")
	}
	if testing.Short() {
		t.Skip("runs java once per spec")
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not found")
	}
	for _, c := range tlcSummaries {
		dir := t.TempDir()
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(c.tla), "*.tla"))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(m)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := os.ReadFile(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "run.cfg"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(java, "-cp", jar, "tlc2.TLC", "-noGenerateSpecTE", "-workers", "1",
			"-metadir", filepath.Join(dir, "meta"), "-config", "run.cfg", filepath.Base(c.tla))
		cmd.Dir = dir
		out, _ := cmd.CombinedOutput()
		s := string(out)
		if !strings.Contains(s, c.summary) {
			t.Errorf("%s with %s: TLC no longer prints\n%s\n%s", c.tla, c.cfg, c.summary, s)
		}
		if c.violation == "deadlock" && !strings.Contains(s, "Error: Deadlock reached.") {
			t.Errorf("%s with %s: TLC does not report a deadlock:\n%s", c.tla, c.cfg, s)
		} else if c.violation != "" && c.violation != "deadlock" && !strings.Contains(s, c.violation) {
			t.Errorf("%s with %s: TLC does not report %s:\n%s", c.tla, c.cfg, c.violation, s)
		}
	}
}
