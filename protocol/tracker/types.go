package tracker

import (
	"net/netip"
	"net/url"
	"time"
)

// Announce query keys (BEP 3, BEP 7, BEP 23) and the bttls extensions.
const (
	ParamInfoHash   = "info_hash"
	ParamPeerID     = "peer_id"
	ParamPort       = "port"
	ParamUploaded   = "uploaded"
	ParamDownloaded = "downloaded"
	ParamLeft       = "left"
	ParamEvent      = "event"
	ParamNumWant    = "numwant"
	ParamCompact    = "compact"
	ParamNoPeerID   = "no_peer_id"
	ParamIP         = "ip"
	ParamIPv4       = "ipv4" // BEP 7
	ParamIPv6       = "ipv6" // BEP 7
	ParamKey        = "key"

	// ParamSupportTLS = "1" says the announcing peer accepts bttls (TLS 1.3)
	// connections on its port (docs/tracker.md).
	ParamSupportTLS = "supporttls"
	// ParamTLSPort names a port for bttls connections when it differs from
	// port. bttls itself serves every transport on one port and never sends
	// it; the tracker honours it as MSE trackers honour cryptoport (see
	// docs/tracker.md, "tlsport").
	ParamTLSPort = "tlsport"
)

// Announce events (BEP 3; "paused" is BEP 21's partial seed).
const (
	EventNone      = ""
	EventStarted   = "started"
	EventCompleted = "completed"
	EventStopped   = "stopped"
	EventPaused    = "paused"
)

// Flag bits in each byte of peers_tls / peers6_tls.
const (
	// FlagTLS says the peer announced supporttls=1.
	FlagTLS byte = 0x01
)

// AnnounceRequest is what a peer tells the tracker.
type AnnounceRequest struct {
	InfoHash   [20]byte
	PeerID     [20]byte
	Port       uint16
	Uploaded   int64
	Downloaded int64
	Left       int64
	// Event is one of the Event constants.
	Event string
	// NumWant is how many peers to ask for; 0 leaves it to the tracker.
	NumWant int
	// Key identifies this peer across address changes (BEP 3 "key").
	Key string
	// Extra carries further query keys, e.g. supporttls=1 (ParamSupportTLS).
	Extra url.Values
}

// AnnounceResponse is the tracker's answer to a successful announce.
type AnnounceResponse struct {
	// Interval is how long to wait before the next regular announce.
	Interval time.Duration
	// MinInterval, if set, is the shortest wait the tracker accepts.
	MinInterval time.Duration
	Peers       []Peer
	// Complete and Incomplete count seeders and leechers.
	Complete, Incomplete int
	// Warning is the tracker's "warning message", if any.
	Warning string
	// ExternalIP is our address as the tracker saw it (BEP 24), if it said.
	ExternalIP netip.Addr
}

// Peer is one entry of a peer list.
type Peer struct {
	Addr netip.AddrPort
	// ID is the peer id, present only in non-compact responses.
	ID []byte
	// TLS says the tracker flagged this peer as speaking bttls. It is a hint
	// to try TLS first, never a reason to refuse fallback (DESIGN.md,
	// "Negotiation and downgrade").
	TLS bool
	// TLSReported says the tracker reported TLS capability for this peer
	// (peers_tls, peers6_tls, or a "tls" key in a non-compact entry). Then
	// TLS false means the peer did not announce supporttls=1: a legacy peer
	// (transport.Hint.Legacy), worth dialling without a TLS attempt first.
	// Without a report (an ordinary tracker), nothing is known.
	TLSReported bool
}
