package main

import (
	"os"

	"github.com/bttls/bttls/internal/cli"
)

var commands = cli.Set{
	Program: "btsim",
	About: `btsim runs swarms of real bttls protocol code on a simulated network in
virtual time, deterministically, and checks the TLA+ models of negotiation.`,
}

// register adds a subcommand; each lives in its own file and registers
// itself from an init function.
func register(c cli.Command) { commands.Register(c) }

func main() { os.Exit(dispatch(os.Args[1:])) }

func dispatch(args []string) int { return commands.Dispatch(args) }
