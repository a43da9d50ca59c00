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
		Name:    "get",
		Summary: "download a torrent (a .torrent file or a magnet link)",
		Run:     runGet,
	})
}

const getHelp = `usage: bttls get (X.torrent | MAGNET) -o OUT [--peer ADDR]... [flags]

Downloads the torrent to OUT (a file; a directory for a multi-file torrent),
checking every piece's SHA-1 before it is written. Peers come from --peer,
from the torrent's trackers and from other peers (PEX). With a magnet link,
the torrent's metadata is first fetched from peers (BEP 9) and checked
against the infohash. An existing OUT is checked and only missing pieces are
fetched. While downloading it also serves the pieces it has to others; with
--seed-after it keeps seeding after completion until interrupted.

Exit status: 0 downloaded, 1 failed (e.g. --timeout passed), 2 usage error.

Examples:
  bttls get movie.torrent -o movie.mkv --peer 127.0.0.1:6881
  bttls get 'magnet:?xt=urn:btih:...' -o movie.mkv --peer 127.0.0.1:6881
  bttls get movie.torrent -o movie.mkv --seed-after     # trackers and PEX

flags:
`

func runGet(args []string) int {
	fs := pflag.NewFlagSet("get", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, getHelp)
		fs.PrintDefaults()
	}
	out := fs.StringP("output", "o", "", "where to write the download (required)")
	seedAfter := fs.Bool("seed-after", false, "keep seeding after the download completes, until interrupted")
	timeout := fs.Duration("timeout", 0, "give up after this long (e.g. 10m); default: never")
	quiet := fs.BoolP("quiet", "q", false, "no progress line")
	pf := addPeerFlags(fs, "127.0.0.1:0")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "bttls get: %v\n", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "bttls get: want one X.torrent or magnet link, got %d arguments (see --help)\n", fs.NArg())
		return 2
	}
	if *out == "" {
		fmt.Fprintln(os.Stderr, "bttls get: -o OUT is required")
		return 2
	}
	e := env.OS{}
	cfg, err := pf.config(e, "get")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls get: %v\n", err)
		return 2
	}
	// A magnet link may carry the torrent's level (a Strict secret).
	cfg.MagnetSecurity = pf.tls.magnetSecurity
	src := fs.Arg(0)
	var (
		t       *meta.Torrent
		magnet  meta.Magnet
		isMag   = meta.IsMagnet(src)
		hasPeer = len(pf.peers) > 0
	)
	if isMag {
		if magnet, err = meta.ParseMagnet(src); err != nil {
			fmt.Fprintf(os.Stderr, "bttls get: %v\n", err)
			return 2
		}
		hasPeer = hasPeer || len(magnet.Peers) > 0 || (len(magnet.Trackers) > 0 && !pf.noTracker)
	} else {
		if t, err = meta.Load(src); err != nil {
			fmt.Fprintf(os.Stderr, "bttls get: %v\n", err)
			return 1
		}
		hasPeer = hasPeer || (len(t.Trackers) > 0 && !pf.noTracker)
	}
	if !hasPeer {
		fmt.Fprintln(os.Stderr, "bttls get: no way to find peers: give --peer ADDR, or use a torrent that names a tracker")
		return 2
	}

	c, err := peer.New(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls get: %v\n", err)
		return 1
	}
	defer c.Close()
	var tr *peer.Torrent
	if isMag {
		tr, err = c.AddMagnet(magnet, func(m *meta.Torrent) (storage.Storage, error) {
			return storage.OpenFile(m, *out, true)
		})
	} else {
		var st *storage.File
		if st, err = storage.OpenFile(t, *out, true); err == nil {
			if tr, err = c.AddTorrent(t, st); err != nil {
				st.Close()
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls get: %v\n", err)
		return 1
	}
	tr.AddPeers(pf.peers...)
	return waitDownload(e, tr, *out, *seedAfter, *timeout, !*quiet && isTerminal(os.Stderr))
}

// waitDownload shows progress until the torrent completes, the timeout
// passes or a signal arrives.
func waitDownload(e env.Env, tr *peer.Torrent, out string, seedAfter bool, timeout time.Duration, progress bool) int {
	// The torrent signals every change; a goroutine turns that into a
	// channel so completion is seen at once, not at the next tick.
	changed := make(chan struct{}, 1)
	sig := e.NewSignal()
	tr.Subscribe(sig)
	go func() {
		for {
			sig.Wait(0)
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	start := time.Now()
	var deadline <-chan time.Time
	if timeout > 0 {
		deadline = time.After(timeout)
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	done := false
	var finished time.Duration
	for {
		select {
		case <-sigs:
			if progress {
				fmt.Fprintln(os.Stderr)
			}
			if done {
				s := tr.Stats()
				fmt.Printf("stopped seeding: uploaded %d bytes (%s)\n", s.Uploaded, byKind(s, true))
				return 0
			}
			fmt.Fprintln(os.Stderr, "bttls get: interrupted before the download completed")
			return 1
		case <-deadline:
			if done {
				continue
			}
			if progress {
				fmt.Fprintln(os.Stderr)
			}
			s := tr.Stats()
			fmt.Fprintf(os.Stderr, "bttls get: timed out after %v with %d of %d pieces (%d peers connected)\n", timeout, s.Have, s.NumPieces, s.Conns)
			return 1
		case <-tick.C:
		case <-changed:
		}
		s := tr.Stats()
		if progress && !done {
			pct := 0.0
			if s.NumPieces > 0 {
				pct = 100 * float64(s.Have) / float64(s.NumPieces)
			}
			state := "fetching metadata"
			if s.NumPieces > 0 {
				state = fmt.Sprintf("%5.1f%% %d/%d pieces", pct, s.Have, s.NumPieces)
			}
			fmt.Fprintf(os.Stderr, "\r%s, %s down at %s, %d peers   ", state, formatSize(s.Downloaded), rate(s.Downloaded, time.Since(start)), s.Conns)
		}
		if !done && tr.Complete() {
			done = true
			finished = time.Since(start)
			if progress {
				fmt.Fprintln(os.Stderr)
			}
			m := tr.Meta()
			peers := 0
			for _, tf := range s.ByPeer {
				if tf.Down > 0 {
					peers++
				}
			}
			fmt.Printf("downloaded %s to %s: %d bytes in %s (%s) from %d peer(s), all %d pieces verified; received over %s\n",
				m.Name, out, m.Length, finished.Round(time.Millisecond), rate(m.Length, finished), peers, m.NumPieces(), byKind(s, false))
			if !seedAfter {
				return 0
			}
			fmt.Println("seeding until interrupted")
		}
	}
}
