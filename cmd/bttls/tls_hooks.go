package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/transport"
)

// tlsOptions holds the TLS flags shared by seed and get.
type tlsOptions struct {
	mode string
}

// addTLSFlags registers the TLS flags on fs.
func addTLSFlags(fs *pflag.FlagSet) *tlsOptions {
	o := &tlsOptions{}
	fs.StringVar(&o.mode, "tls", "prefer", "TLS policy for Basic torrents: off (plaintext BitTorrent only), prefer (TLS first, fall back to legacy), require (TLS only)")
	return o
}

// transport returns the dialer and acceptor that carry connections, and the
// hook that reads a torrent's TLS settings (nil when there are none).
func (o *tlsOptions) transport(e env.Env) (transport.Dialer, transport.Acceptor, func(*meta.Torrent) (any, error), error) {
	switch o.mode {
	case "off":
		return peer.PlainTransport{}, peer.PlainTransport{}, nil, nil
	case "prefer", "require":
		return nil, nil, nil, fmt.Errorf("bttls: --tls=%s: this build has no TLS transport yet; use --tls=off", o.mode)
	}
	return nil, nil, nil, fmt.Errorf("bttls: --tls=%q: want off, prefer or require", o.mode)
}
