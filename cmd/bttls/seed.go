package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/storage"
)

func init() {
	register(cli.Command{
		Name:    "seed",
		Summary: "serve a file to other peers",
		Run:     runSeed,
	})
}

const seedHelp = `usage: bttls seed X.torrent (FILE | DIR) [--listen ADDR] [flags]

Checks every piece of FILE (DIR for a multi-file torrent) against
X.torrent, then serves it to any peer
that connects, until interrupted (Ctrl-C or SIGTERM). It announces to the
torrent's trackers, and dials the peers given with --peer.

Examples:
  bttls seed movie.torrent movie.mkv --listen 127.0.0.1:6881
  bttls seed movie.torrent movie.mkv --listen 127.0.0.1:6881 --upload-limit 1MiB

flags:
`

func runSeed(args []string) int {
	fs := pflag.NewFlagSet("seed", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, seedHelp)
		fs.PrintDefaults()
	}
	pf := addPeerFlags(fs, "127.0.0.1:6881")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "bttls seed: %v\n", err)
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(os.Stderr, "bttls seed: want X.torrent and FILE, got %d arguments (see --help)\n", fs.NArg())
		return 2
	}
	e := env.OS{}
	cfg, err := pf.config(e, "seed")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls seed: %v\n", err)
		return 2
	}
	t, err := meta.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls seed: %v\n", err)
		return 1
	}
	if fi, err := os.Stat(fs.Arg(1)); err != nil {
		fmt.Fprintf(os.Stderr, "bttls seed: %v\n", err)
		return 1
	} else if !t.MultiFile && fi.Size() != t.Length {
		fmt.Fprintf(os.Stderr, "bttls seed: %s is %d bytes but the torrent describes %d\n", fs.Arg(1), fi.Size(), t.Length)
		return 1
	}
	st, err := storage.OpenFile(t, fs.Arg(1), true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls seed: %v\n", err)
		return 1
	}
	bad := 0
	for _, ok := range st.Completed() {
		if !ok {
			bad++
		}
	}
	if bad > 0 {
		st.Close()
		fmt.Fprintf(os.Stderr, "bttls seed: %s does not match %s: %d of %d pieces fail their SHA-1 check\n", fs.Arg(1), fs.Arg(0), bad, t.NumPieces())
		return 1
	}
	c, err := peer.New(cfg)
	if err != nil {
		st.Close()
		fmt.Fprintf(os.Stderr, "bttls seed: %v\n", err)
		return 1
	}
	defer c.Close()
	tr, err := c.AddTorrent(t, st)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls seed: %v\n", err)
		return 1
	}
	tr.AddPeers(pf.peers...)
	fmt.Printf("seeding %s (%s) on %s\n", t.Name, t.InfoHashHex(), c.Addr())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	start := time.Now()
	tty := isTerminal(os.Stderr)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-sigs:
			s := tr.Stats()
			if tty {
				fmt.Fprintln(os.Stderr)
			}
			fmt.Printf("stopped seeding %s: uploaded %d bytes in %s (%s)\n", t.Name, s.Uploaded, time.Since(start).Round(time.Second), byKind(s, true))
			return 0
		case <-tick.C:
			if tty {
				s := tr.Stats()
				fmt.Fprintf(os.Stderr, "\rseeding: %d peers, uploaded %s   ", s.Conns, formatSize(s.Uploaded))
			}
		}
	}
}
