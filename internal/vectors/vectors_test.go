package vectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "v.md")
		os.WriteFile(p, []byte(s), 0o644)
		return p
	}
	got, err := Read(write("text\n```vectors\nlevel: basic\ninput: 00ff\n```\n\n```vectors\nlevel: strict\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0]["input"] != "00ff" || got[1]["level"] != "strict" {
		t.Fatalf("Read = %v", got)
	}
	if l := Level(got, "strict", "x"); len(l) != 1 || l[0]["level"] != "strict" {
		t.Fatalf("Level = %v", l)
	}
	for _, bad := range []struct{ text, want string }{
		{"```vectors\nno colon here\n```\n", "not 'field: value'"},
		{"```vectors\nlevel: basic\n", "not closed"},
		{"nothing\n", "no ```vectors"},
	} {
		if _, err := Read(write(bad.text)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Read(%q) = %v, want an error containing %q", bad.text, err, bad.want)
		}
	}
	// The project's own file parses.
	if _, err := Read("../../docs/test-vectors.md"); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse: any input gives blocks or an error, never a panic, and every
// block that parses has only trimmed fields.
func FuzzParse(f *testing.F) {
	f.Add("```vectors\nlevel: basic\ninput: 00\n```\n")
	f.Add("```vectors\n```\n```vectors\nx\n```")
	f.Fuzz(func(t *testing.T, s string) {
		blocks, err := Parse("fuzz", strings.NewReader(s))
		if err != nil {
			return
		}
		for _, b := range blocks {
			for k, v := range b {
				if k != strings.TrimSpace(k) || v != strings.TrimSpace(v) {
					t.Fatalf("untrimmed field %q: %q", k, v)
				}
			}
		}
	})
}
