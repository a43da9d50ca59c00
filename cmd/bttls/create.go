package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/protocol/meta"
)

func init() {
	register(cli.Command{
		Name:    "create",
		Summary: "make a .torrent (BitTorrent v1, hybrid or v2) for a file or a directory",
		Run:     runCreate,
	})
}

const createHelp = `usage: bttls create (FILE | DIR) -o OUT.torrent [--tracker URL]... [flags]

Hashes FILE into pieces (SHA-1, BitTorrent v1) and writes a .torrent for it.
For a directory, the torrent holds every regular file below it (a
multi-file torrent named after the directory; links are skipped).
The piece length is chosen to give about 1000-2000 pieces (a power of two
from 16 KiB to 16 MiB) unless --piece-length says otherwise. It prints the
infohash and a magnet link.

--hybrid adds BitTorrent v2 (BEP 52: a file tree with a SHA-256 merkle
root per file, and piece layers) to the v1 keys, so v1 and v2 clients
share one swarm; peers handshake and key Basic TLS on the v1 infohash.
For a directory, BEP 47 pad files (zeros, never written to disk) start
each file on a piece boundary, as v2 requires.
--v2 writes BitTorrent v2 only: peers handshake on the v2 infohash cut to
20 bytes and key Basic TLS on the whole 32-byte v2 infohash. It takes a
single FILE (not a directory) for now.

Examples:
  bttls create movie.mkv -o movie.torrent
  bttls create movie.mkv -o movie.torrent --tracker http://127.0.0.1:6969/announce
  bttls create big.iso -o big.torrent --piece-length 4MiB
  bttls create movie.mkv -o movie.torrent --hybrid

flags:
`

func runCreate(args []string) int {
	fs := pflag.NewFlagSet("create", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, createHelp)
		fs.PrintDefaults()
	}
	out := fs.StringP("output", "o", "", "where to write the .torrent (required)")
	trackers := fs.StringArray("tracker", nil, "announce URL of a tracker (repeatable; the first is the primary)")
	pieceLen := fs.String("piece-length", "", "piece length, a power of two from 16KiB to 64MiB (e.g. 262144, 256KiB, 4MiB); default: automatic")
	private := fs.Bool("private", false, "mark the torrent private (BEP 27: peers only from its trackers, no PEX)")
	comment := fs.String("comment", "", "comment stored in the .torrent")
	hybrid := fs.Bool("hybrid", false, "make a hybrid v1+v2 torrent (BEP 52; a file or a directory)")
	v2only := fs.Bool("v2", false, "make a v2-only torrent (BEP 52; a single file; v1-only clients cannot use it)")
	tlsc := addTLSCreateFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "bttls create: %v\n", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "bttls create: want exactly one FILE or DIR, got %d arguments (see --help)\n", fs.NArg())
		return 2
	}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "bttls create: -o OUT.torrent is required")
		return 2
	}
	opts := meta.CreateOptions{Trackers: *trackers, Private: *private, Comment: *comment, CreatedBy: "bttls"}
	switch {
	case *hybrid && *v2only:
		fmt.Fprintln(os.Stderr, "bttls create: --hybrid and --v2 exclude each other (a hybrid torrent is already v2 as well as v1)")
		return 2
	case *hybrid:
		opts.Version = "hybrid"
	case *v2only:
		opts.Version = "v2"
	}
	if *pieceLen != "" {
		n, err := parseSize(*pieceLen)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bttls create: --piece-length: %v\n", err)
			return 2
		}
		opts.PieceLength = n
	}
	raw, err := meta.Create(fs.Arg(0), opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls create: %v\n", err)
		return 1
	}
	raw, notes, err := tlsc.apply(raw, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls create: %v\n", err)
		return 1
	}
	t, err := meta.Parse(raw)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls create: the torrent just made does not parse: %v\n", err)
		return 1
	}
	if err := os.WriteFile(*out, raw, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "bttls create: %v\n", err)
		return 1
	}
	fmt.Printf("created %s: %s, %d bytes, %d pieces of %s\n", *out, t.Name, t.Length, t.NumPieces(), formatSize(t.PieceLength))
	switch {
	case t.PureV2():
		fmt.Printf("infohash v2: %x (handshakes use its first 20 bytes)\n", t.InfoHashV2)
		fmt.Println("magnet:   none (a v2-only torrent is shared as its .torrent file here)")
	case t.MetaVersion == 2:
		fmt.Printf("infohash: %s\n", t.InfoHashHex())
		fmt.Printf("infohash v2: %x\n", t.InfoHashV2)
		fmt.Printf("magnet:   %s\n", t.MagnetLink())
	default:
		fmt.Printf("infohash: %s\n", t.InfoHashHex())
		fmt.Printf("magnet:   %s\n", t.MagnetLink())
	}
	for _, n := range notes {
		fmt.Println(n)
	}
	return 0
}

// parseSize parses "262144", "256KiB", "4MiB", "1m" and the like.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || n < 0 || n*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("%q is not a size (examples: 262144, 256KiB, 4MiB)", s)
	}
	return int64(n * float64(mult)), nil
}

// formatSize renders bytes with a binary unit.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
