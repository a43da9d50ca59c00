// Package cli is the subcommand dispatch that bttls and btsim share: each
// subcommand lives in its own file and registers itself in a Set.
package cli

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string
	// Run gets the arguments after the subcommand name and returns the exit code.
	Run func(args []string) int
}

// Set is a program's subcommands.
type Set struct {
	Program string // e.g. "bttls"
	About   string // a paragraph on what the program is for
	byName  map[string]Command
}

// Register adds c; a second command of the same name replaces the first.
func (s *Set) Register(c Command) {
	if s.byName == nil {
		s.byName = map[string]Command{}
	}
	s.byName[c.Name] = c
}

// Has reports whether a subcommand of that name exists.
func (s *Set) Has(name string) bool {
	_, ok := s.byName[name]
	return ok
}

// Dispatch runs the subcommand args[0] with the rest of args and returns
// its exit code: 2 for a missing or unknown subcommand, 0 for help.
func (s *Set) Dispatch(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		s.usage(os.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := s.byName[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "%s: unknown command %q\n\n", s.Program, args[0])
		s.usage(os.Stderr)
		return 2
	}
	return c.Run(args[1:])
}

func (s *Set) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags]\n\n%s\n\ncommands:\n", s.Program, s.About)
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, s.byName[n].Summary)
	}
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for the flags of one command.\n", s.Program)
}
