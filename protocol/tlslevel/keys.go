package tlslevel

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
)

// Role is a side of a connection: the initiator is the TLS client.
type Role uint8

const (
	Initiator Role = iota
	Responder
)

func (r Role) String() string {
	if r == Initiator {
		return "initiator"
	}
	return "responder"
}

// ExporterLabel is the RFC 8446 Section 7.5 exporter label of a level and
// role, e.g. "EXPORTER-bttls-basic-initiator". Distinct labels per role stop
// reflection; distinct labels per level stop a proof made for one level
// being accepted at another.
func ExporterLabel(t Type, r Role) string {
	return "EXPORTER-bttls-" + t.String() + "-" + r.String()
}

// ExporterLen is the length of the exporter value the proofs cover.
const ExporterLen = 32

// Exporter returns the exporter value a role's proof covers on this connection.
func Exporter(cs tls.ConnectionState, t Type, r Role) ([]byte, error) {
	ekm, err := cs.ExportKeyingMaterial(ExporterLabel(t, r), nil, ExporterLen)
	if err != nil {
		return nil, fmt.Errorf("bttls: TLS exporter: %w", err)
	}
	return ekm, nil
}

// BasicKey is the Basic proof key of a torrent: HMAC-SHA256(key = infohash,
// "bttls v1 basic key"), where infohash is the 20-byte v1 infohash for v1
// and hybrid torrents and the full 32-byte v2 infohash for pure v2 torrents.
func BasicKey(infoHash []byte) [32]byte {
	return derive(infoHash, "bttls v1 basic key")
}

// StrictKey is the Strict proof key: HMAC-SHA256(key = the epoch's secret,
// "bttls v1 strict key").
func StrictKey(secret []byte) [32]byte {
	return derive(secret, "bttls v1 strict key")
}

func derive(key []byte, label string) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// MAC is a proof: HMAC-SHA256(key, exporter value).
func MAC(key [32]byte, exporter []byte) [32]byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(exporter)
	var out [32]byte
	m.Sum(out[:0])
	return out
}
