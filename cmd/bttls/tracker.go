package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/tracker"
)

func init() {
	register(cli.Command{
		Name:    "tracker",
		Summary: "run an HTTP BitTorrent tracker (BEP 3/7/23/48) that also signals bttls support",
		Run:     runTracker,
	})
}

const trackerHelp = `usage: bttls tracker [--listen ADDR] [flags]

Runs an HTTP BitTorrent tracker until interrupted (Ctrl-C or SIGTERM).
Peers announce to http://ADDR/announce and scrape http://ADDR/scrape.
Any BitTorrent client can use it; bttls peers also announce supporttls=1,
and the tracker tells every peer which others said so (peers_tls, see
docs/tracker.md), so that --tls=prefer tries TLS only where it can work.

Example: a local swarm
  bttls tracker --listen 127.0.0.1:6969 -v &
  bttls create movie.mkv -o movie.torrent --tracker http://127.0.0.1:6969/announce
  bttls seed movie.torrent movie.mkv --listen 127.0.0.1:7001
  bttls get movie.torrent -o copy.mkv

It prints its announce URL on standard output once it listens (useful
with --listen 127.0.0.1:0, which picks a free port).

flags:
`

func runTracker(args []string) int {
	fs := pflag.NewFlagSet("tracker", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, trackerHelp)
		fs.PrintDefaults()
	}
	var cfg tracker.Config
	listen := fs.String("listen", "127.0.0.1:6969", "address to listen on (host:port; port 0 picks a free one)")
	fs.DurationVar(&cfg.Interval, "interval", tracker.DefaultInterval, "announce interval sent to peers")
	fs.DurationVar(&cfg.PeerTimeout, "peer-timeout", 0, "drop a peer silent this long (0: twice --interval, at least 10m, since libtorrent re-announces at most every 5m)")
	fs.DurationVar(&cfg.MinInterval, "min-interval", 0, "\"min interval\" sent to peers (0: not sent)")
	fs.IntVar(&cfg.MaxTorrents, "max-torrents", tracker.DefaultMaxTorrents, "most torrents tracked at once; announces for more get a failure reason")
	fs.IntVar(&cfg.MaxPeersPerTorrent, "max-peers", tracker.DefaultMaxPeersPerTorrent, "most peers kept per torrent")
	fs.IntVar(&cfg.DefaultNumWant, "numwant", tracker.DefaultNumWant, "peers returned when a peer does not send numwant")
	fs.IntVar(&cfg.MaxNumWant, "max-numwant", tracker.DefaultMaxNumWant, "most peers returned in one response")
	fs.BoolVar(&cfg.TrustIPParam, "trust-ip", false, "believe ip=/ipv4=/ipv6= from any peer (by default only from loopback and private addresses)")
	verbose := fs.CountP("verbose", "v", "log each announce (-v), and connection errors too (-vv)")
	iss := addIssuerFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "bttls tracker: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bttls tracker: unexpected argument %q (see --help)\n", fs.Arg(0))
		return 2
	}
	if cfg.Interval < time.Second {
		fmt.Fprintf(os.Stderr, "bttls tracker: --interval %v is too short (at least 1s)\n", cfg.Interval)
		return 2
	}
	logger := log.New(os.Stderr, "bttls tracker: ", log.LstdFlags|log.Lmicroseconds)
	if *verbose >= 1 {
		cfg.Logf = logger.Printf
	}

	e := env.OS{}
	l, err := e.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls tracker: listen on %s: %v\n", *listen, err)
		return 1
	}
	srv := tracker.NewServer(e, tracker.NewTracker(e, cfg))
	if *verbose >= 2 {
		srv.Logf = logger.Printf
	}
	fmt.Printf("announce URL: http://%s/announce\n", l.Addr())
	path, err := iss.mount(e, srv, logger.Printf)
	if err != nil {
		l.Close()
		fmt.Fprintf(os.Stderr, "bttls tracker: %v\n", err)
		return 1
	}
	if path != "" {
		fmt.Printf("issuer URL:   http://%s%s\n", l.Addr(), path)
	}

	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	select {
	case sig := <-sigs:
		logger.Printf("%v: shutting down", sig)
		srv.Close()
		<-done
		return 0
	case err := <-done:
		fmt.Fprintf(os.Stderr, "bttls tracker: %v\n", err)
		return 1
	}
}
