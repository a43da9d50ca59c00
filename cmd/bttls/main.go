package main

import (
	"os"

	"github.com/bttls/bttls/internal/cli"
)

var commands = cli.Set{
	Program: "bttls",
	About: `bttls is a BitTorrent peer that speaks plaintext BitTorrent, MSE/PE and
BitTorrent over TLS 1.3 (Basic, Strict, Full Strict) on one port.`,
}

// register adds a subcommand; each lives in its own file and registers
// itself from an init function.
func register(c cli.Command) { commands.Register(c) }

func main() { os.Exit(dispatch(os.Args[1:])) }

func dispatch(args []string) int { return commands.Dispatch(args) }
