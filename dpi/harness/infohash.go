package harness

import (
	"bytes"
	"encoding/hex"
	"strings"
)

// Needle is one encoding of an infohash to look for in captured bytes.
type Needle struct {
	Name  string // e.g. "v1 hex", "v2 raw truncated"
	Bytes []byte
}

// InfohashNeedles lists every form in which a torrent's identity could leak:
// raw bytes and lowercase/uppercase hex, of the v1 infohash and of the v2
// infohash both whole (32 bytes) and truncated to 20 bytes as BEP 52 puts
// it in handshakes, trackers and the DHT. A nil hash is skipped.
func InfohashNeedles(v1, v2 []byte) []Needle {
	var ns []Needle
	add := func(name string, h []byte) {
		if len(h) == 0 || allZero(h) {
			return
		}
		x := hex.EncodeToString(h)
		ns = append(ns,
			Needle{name + " raw", h},
			Needle{name + " hex", []byte(x)},
			Needle{name + " HEX", []byte(strings.ToUpper(x))})
	}
	add("v1", v1)
	if len(v2) == 32 {
		add("v2", v2)
		add("v2 truncated", v2[:20])
	}
	return ns
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// FindNeedles returns the names of the needles found in any haystack, in
// needle order, each once.
func FindNeedles(needles []Needle, haystacks ...[]byte) []string {
	var found []string
	for _, n := range needles {
		for _, h := range haystacks {
			if bytes.Contains(h, n.Bytes) {
				found = append(found, n.Name)
				break
			}
		}
	}
	return found
}
