package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/protocol/strict"
)

func init() {
	register(cli.Command{
		Name:    "strict",
		Summary: "make an existing torrent Strict, or rotate a Strict torrent's secret",
		Run:     runStrict,
	})
}

const strictHelp = `usage: bttls strict IN.torrent -o OUT.torrent [--strict-epochs N]
       bttls strict --rotate IN.torrent -o OUT.torrent --epoch E [--seed-file F]

The first form makes a Strict torrent from an ordinary one: the info dict
gains a commitment to a fresh secret and private=1 (so the infohash
changes, the pieces do not: the same data seeds it), and the secret goes
outside the info dict, in OUT.torrent and in the printed magnet link. It
writes OUT.torrent.seed, which makes the secrets of later epochs: keep it
offline.

The second form hands out epoch E's secret after the current one leaked:
OUT.torrent has the same infohash and the new secret; whoever holds an older
secret cannot derive it, and peers on epoch E refuse older epochs.

Examples:
  bttls strict movie.torrent -o movie-strict.torrent
  bttls strict --rotate movie-strict.torrent -o movie-strict-e1.torrent --epoch 1

flags:
`

func runStrict(args []string) int {
	fs := pflag.NewFlagSet("strict", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, strictHelp)
		fs.PrintDefaults()
	}
	out := fs.StringP("output", "o", "", "where to write the new .torrent (required)")
	epochs := fs.Int("strict-epochs", strict.DefaultEpochs, "how many times the secret can be rotated (N of the hash chain)")
	rotate := fs.Bool("rotate", false, "rotate the secret of a Strict torrent instead")
	epoch := fs.Int("epoch", -1, "with --rotate: the epoch to hand out (greater than the current one)")
	seedPath := fs.String("seed-file", "", "with --rotate: the seed file (default IN.torrent.seed)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "bttls strict: %v\n", err)
		return 2
	}
	if fs.NArg() != 1 || *out == "" {
		fmt.Fprintln(os.Stderr, "bttls strict: want IN.torrent and -o OUT.torrent (see --help)")
		return 2
	}
	in, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls strict: %v\n", err)
		return 1
	}
	var st []byte
	var notes []string
	if *rotate {
		st, notes, err = rotateStrict(in, fs.Arg(0), *seedPath, *out, *epoch)
	} else {
		st, notes, err = makeStrict(in, *out, *epochs)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls strict: %v\n", err)
		return 1
	}
	if err := os.WriteFile(*out, st, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "bttls strict: %v\n", err)
		return 1
	}
	fmt.Printf("wrote %s\n", *out)
	for _, n := range notes {
		fmt.Println(n)
	}
	return 0
}

func rotateStrict(in []byte, inPath, seedPath, out string, epoch int) ([]byte, []string, error) {
	if seedPath == "" {
		seedPath = inPath + ".seed"
	}
	sf, root, err := readSeedFile(seedPath)
	if err != nil {
		return nil, nil, err
	}
	if epoch <= sf.Epoch || epoch > sf.Epochs {
		return nil, nil, fmt.Errorf("--epoch %d: want an epoch after the last handed out (%d) and at most %d", epoch, sf.Epoch, sf.Epochs)
	}
	st, err := strict.Rotate(in, root, sf.Epochs, epoch)
	if err != nil {
		return nil, nil, err
	}
	sf.Epoch = epoch
	if err := writeSeedFile(seedPath, sf); err != nil {
		return nil, nil, err
	}
	if seedPath != out+".seed" {
		if err := writeSeedFile(out+".seed", sf); err != nil {
			return nil, nil, err
		}
	}
	notes, err := strictNotes(st)
	return st, notes, err
}
