package meta

import (
	"fmt"
	"strings"

	"github.com/anacrolix/torrent/metainfo"
)

// Magnet is a parsed magnet link (BEP 9).
type Magnet struct {
	InfoHash [20]byte
	// Name is the display name ("dn"), possibly empty.
	Name string
	// Trackers are the "tr" announce URLs.
	Trackers []string
	// Peers are "x.pe" peer addresses (host:port).
	Peers []string
	// Params holds every other parameter, raw, for other layers (a Strict
	// secret travels in the magnet link).
	Params map[string][]string
}

// IsMagnet reports whether s looks like a magnet link rather than a file name.
func IsMagnet(s string) bool { return strings.HasPrefix(strings.ToLower(s), "magnet:") }

// ParseMagnet parses a magnet link with a v1 infohash (hex or base32).
func ParseMagnet(s string) (Magnet, error) {
	if len(s) > 64<<10 {
		return Magnet{}, fmt.Errorf("meta: magnet link of %d bytes is too long", len(s))
	}
	m, err := metainfo.ParseMagnetUri(s)
	if err != nil {
		return Magnet{}, fmt.Errorf("meta: magnet link: %w", err)
	}
	out := Magnet{InfoHash: m.InfoHash, Name: m.DisplayName, Trackers: m.Trackers}
	for k, v := range m.Params {
		if k == "x.pe" {
			out.Peers = append(out.Peers, v...)
			continue
		}
		if out.Params == nil {
			out.Params = map[string][]string{}
		}
		out.Params[k] = v
	}
	return out, nil
}

// MagnetLink returns a magnet link for t with its trackers.
func (t *Torrent) MagnetLink() string {
	m := metainfo.Magnet{InfoHash: t.InfoHash, DisplayName: t.Name, Trackers: t.Trackers}
	return m.String()
}
