// Package vectors reads the test vectors of docs/test-vectors.md: each
// ```vectors block is a list of "field: value" lines. The packages that
// compute the vectors (protocol/tlslevel, strict, fullstrict) check them in
// their tests.
package vectors

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Read parses every ```vectors block of the file at path into a field map,
// in file order. It fails on a line that is not "field: value", on an
// unterminated block, and on a file with no block.
func Read(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse is Read on an open file; name is used in errors.
func Parse(name string, r io.Reader) ([]map[string]string, error) {
	path := name
	var out []map[string]string
	var cur map[string]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```vectors":
			cur = map[string]string{}
		case line == "```" && cur != nil:
			out = append(out, cur)
			cur = nil
		case cur != nil && line != "":
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("%s:%d: %q is not 'field: value'", path, n, line)
			}
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: a ```vectors block is not closed", path)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no ```vectors blocks", path)
	}
	return out, nil
}

// Level returns the blocks whose "level" field is one of levels.
func Level(all []map[string]string, levels ...string) []map[string]string {
	var out []map[string]string
	for _, v := range all {
		for _, l := range levels {
			if v["level"] == l {
				out = append(out, v)
				break
			}
		}
	}
	return out
}
