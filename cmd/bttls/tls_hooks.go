package main

import (
	"crypto/tls"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/protocol/decoy"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/levels"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
)

// tlsOptions holds the TLS flags shared by seed and get.
type tlsOptions struct {
	mode    string
	legacy  string
	state   string
	pinTTL  time.Duration
	kex     string
	verbose bool
	decoy   bool
	webRoot string
	cert    string
	key     string
	// loader is set by transport; magnetSecurity uses it.
	loader *levels.Loader
}

// addTLSFlags registers the TLS flags on fs.
func addTLSFlags(fs *pflag.FlagSet) *tlsOptions {
	o := &tlsOptions{}
	fs.StringVar(&o.mode, "tls", "prefer", `TLS policy for Basic torrents (any ordinary torrent):
  off      legacy only: MSE/PE or plaintext, as clients without bttls
  prefer   TLS 1.3 first, fall back to legacy for peers that are not
           pinned (a pin is a past bttls handshake with that address)
  require  TLS 1.3 only
Strict and Full Strict torrents always use TLS, whatever this says.`)
	fs.StringVar(&o.legacy, "tls-legacy", "mse", "legacy transport dialled when TLS is not used: mse (RC4 or plaintext, as libtorrent and transmission) or plain")
	fs.StringVar(&o.state, "tls-state", defaultStatePath(), "file that keeps TLS pins across restarts (empty: keep them in memory)")
	fs.DurationVar(&o.pinTTL, "tls-pin-ttl", negotiate.DefaultPinTTL, "how long a pin lasts after the last bttls handshake with an address")
	fs.StringVar(&o.kex, "tls-kex", "hybrid", "TLS key exchange offered: hybrid (X25519MLKEM768 then X25519, post-quantum) or classic (X25519 only, ~0.4 ms less CPU per handshake)")
	fs.BoolVar(&o.verbose, "tls-log", false, "log every refused or failed connection with its reason")
	fs.BoolVar(&o.decoy, "tls-decoy", true, `answer whoever connects without being a bttls peer (no infohash,
a wrong proof, TLS 1.2, plaintext HTTP, random bytes when no torrent
is served without TLS) exactly as an ordinary HTTPS server (Go
net/http, HTTP/1.1, 404 for every path unless --tls-decoy-root, 1 min
timeouts) would, so an active prober cannot single out the port;
off: hang up on them`)
	fs.StringVar(&o.webRoot, "tls-decoy-root", "", "serve the files under this directory from the --tls-decoy web server, as Go's http.FileServer does (default: 404 for every path)")
	fs.StringVar(&o.cert, "tls-cert", "", "Full Strict: this peer's certificate chain (PEM, leaf first) from the torrent's swarm CA ('bttls ca cert' gets one from an issuer)")
	fs.StringVar(&o.key, "tls-key", "", "Full Strict: the private key of --tls-cert (PEM)")
	return o
}

// defaultStatePath is $XDG_STATE_HOME/bttls/pins.json, or ~/.local/state/….
func defaultStatePath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "bttls", "pins.json")
}

// transport returns the dialer and acceptor that carry connections, and the
// hook that reads a torrent's TLS settings.
func (o *tlsOptions) transport(e env.Env) (transport.Dialer, transport.Acceptor, func(*meta.Torrent) (any, error), error) {
	policy, err := negotiate.ParsePolicy(o.mode)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bttls: --tls: %w", err)
	}
	// The peer reads or writes every accepted conn at once, so the
	// responder's proof can wait for its first bytes.
	cfg := levels.Config{Policy: policy, DeferProof: true}
	switch o.legacy {
	case "mse":
	case "plain":
		cfg.LegacyPlain = true
	default:
		return nil, nil, nil, fmt.Errorf("bttls: --tls-legacy=%q: want mse or plain", o.legacy)
	}
	switch o.kex {
	case "hybrid":
	case "classic":
		cfg.Curves = []tls.CurveID{tls.X25519}
	default:
		return nil, nil, nil, fmt.Errorf("bttls: --tls-kex=%q: want hybrid or classic", o.kex)
	}
	if o.state != "" {
		if err := os.MkdirAll(filepath.Dir(o.state), 0o700); err != nil {
			return nil, nil, nil, fmt.Errorf("bttls: --tls-state: %w", err)
		}
	}
	if cfg.Pins, err = negotiate.OpenPins(o.state, o.pinTTL); err != nil {
		return nil, nil, nil, err
	}
	if o.decoy {
		var opts decoy.Options
		if o.webRoot != "" {
			if st, err := os.Stat(o.webRoot); err != nil || !st.IsDir() {
				return nil, nil, nil, fmt.Errorf("bttls: --tls-decoy-root=%q: not a directory", o.webRoot)
			}
			opts.Handler = http.FileServer(http.Dir(o.webRoot))
		}
		cfg.Decoy = func(server *tls.Config) levels.Decoy { return decoy.New(server, opts) }
	}
	if o.verbose {
		cfg.Logf = log.New(os.Stderr, "", log.LstdFlags).Printf
	}
	var id *fullstrict.Identity
	if o.cert != "" || o.key != "" {
		if o.cert == "" || o.key == "" {
			return nil, nil, nil, fmt.Errorf("bttls: --tls-cert and --tls-key go together")
		}
		if id, err = fullstrict.LoadIdentity(o.cert, o.key); err != nil {
			return nil, nil, nil, err
		}
	}
	tr, err := levels.New(e, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	o.loader = &levels.Loader{Identity: id}
	return tr, tr, o.loader.Security, nil
}

// magnetSecurity is the level of a magnet link before its metadata
// arrives: Strict when it carries x.bttls-s, nil otherwise. Call it after
// transport; get uses it for transport.Torrent.Security of a magnet.
func (o *tlsOptions) magnetSecurity(m meta.Magnet) (any, error) {
	if o.loader == nil {
		return nil, fmt.Errorf("bttls: magnetSecurity before transport")
	}
	return o.loader.MagnetSecurity(m)
}

// announceKey is the info_hash to announce a torrent under: a Strict
// torrent's swarm key (so trackers never see its infohash), else the
// infohash. The announce hook should pass every request's InfoHash
// through it.
func (o *tlsOptions) announceKey(infoHash [20]byte) [20]byte {
	if o.loader == nil {
		return infoHash
	}
	return o.loader.AnnounceKey(infoHash)
}
