package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/strict"
)

// tlsCreateOptions are the TLS-level flags of `bttls create`.
type tlsCreateOptions struct {
	strict bool
	epochs int
	ca     string
	modes  string
}

// addTLSCreateFlags registers the level flags on create's flag set.
func addTLSCreateFlags(fs *pflag.FlagSet) *tlsCreateOptions {
	o := &tlsCreateOptions{}
	fs.BoolVar(&o.strict, "strict", false, `make a Strict torrent: a fresh secret that only holders of this .torrent (or
its magnet link) know; peers who know just the infohash can neither join nor
fetch it. Sets private=1. Writes OUT.torrent.seed (keep it offline: it makes
the secrets of later epochs, see 'bttls strict --rotate')`)
	fs.IntVar(&o.epochs, "strict-epochs", strict.DefaultEpochs, "how many times a Strict secret can be rotated (N of the hash chain)")
	fs.StringVar(&o.ca, "ca", "", `make a Full Strict torrent for the swarm CA in CA.pem ('bttls ca init DIR'
makes one): only peers holding a certificate from it can join`)
	fs.StringVar(&o.modes, "modes", "1,2", "with --ca: wire modes allowed: 1 (libtorrent SSL-torrent compatible, infohash in the TLS SNI), 2 (nothing in the clear), or 1,2")
	return o
}

// apply turns the torrent meta.Create made into the chosen level and
// returns the bytes to write, with lines to print after create's own.
func (o *tlsCreateOptions) apply(raw []byte, out string) ([]byte, []string, error) {
	switch {
	case o.strict && o.ca != "":
		return nil, nil, fmt.Errorf("--strict and --ca exclude each other: a torrent has one level")
	case o.strict:
		return makeStrict(raw, out, o.epochs)
	case o.ca != "":
		caPEM, err := os.ReadFile(o.ca)
		if err != nil {
			return nil, nil, fmt.Errorf("--ca: %w", err)
		}
		ms, err := parseModes(o.modes)
		if err != nil {
			return nil, nil, err
		}
		fsRaw, err := fullstrict.MakeTorrent(raw, caPEM, ms)
		if err != nil {
			return nil, nil, err
		}
		return fsRaw, []string{fmt.Sprintf("level:    full strict, modes %s; peers need a certificate from %s's CA (bttls ca cert / ca issue)", o.modes, o.ca)}, nil
	}
	return raw, nil, nil
}

// parseModes parses "1", "2" or "1,2".
func parseModes(s string) ([]int, error) {
	var ms []int
	for _, f := range strings.Split(s, ",") {
		m, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || (m != 1 && m != 2) {
			return nil, fmt.Errorf("--modes %q: want 1, 2 or 1,2", s)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// seedFile is OUT.torrent.seed: what rotating a Strict secret needs.
type seedFile struct {
	Seed   string `json:"seed"`   // hex of R
	Epochs int    `json:"epochs"` // N
	Epoch  int    `json:"epoch"`  // the epoch last handed out
}

func makeStrict(raw []byte, out string, epochs int) ([]byte, []string, error) {
	st, root, err := strict.Make(raw, rand.Reader, epochs)
	if err != nil {
		return nil, nil, err
	}
	if err := writeSeedFile(out+".seed", seedFile{Seed: hex.EncodeToString(root[:]), Epochs: epochs}); err != nil {
		return nil, nil, err
	}
	notes, err := strictNotes(st)
	if err != nil {
		return nil, nil, err
	}
	return st, append(notes, fmt.Sprintf("seed:     %s.seed (keep it secret and offline; it rotates the secret)", out)), nil
}

// strictNotes describes a Strict torrent: its level and the magnet link
// that carries the secret.
func strictNotes(st []byte) ([]string, error) {
	t, err := meta.Parse(st)
	if err != nil {
		return nil, err
	}
	m, err := strict.Load(t.InfoBytes, st)
	if err != nil {
		return nil, err
	}
	return []string{
		fmt.Sprintf("level:    strict, epoch %d; announces under %x, not the infohash", m.Epoch, m.AnnounceHash()),
		fmt.Sprintf("secret magnet (share only with members): %s", strictMagnet(t, m)),
	}, nil
}

func strictMagnet(t *meta.Torrent, m *strict.Material) string {
	return t.MagnetLink() + "&" + strict.MagnetParam + "=" + m.MagnetValue()
}

func writeSeedFile(path string, s seedFile) error {
	b, _ := json.MarshalIndent(s, "", " ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("bttls: strict seed file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("bttls: strict seed file: %w", err)
	}
	return f.Close()
}

func readSeedFile(path string) (seedFile, [32]byte, error) {
	var s seedFile
	var root [32]byte
	b, err := os.ReadFile(path)
	if err != nil {
		return s, root, fmt.Errorf("bttls: strict seed file: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, root, fmt.Errorf("bttls: strict seed file %s: %w", path, err)
	}
	r, err := hex.DecodeString(s.Seed)
	if err != nil || len(r) != 32 {
		return s, root, fmt.Errorf("bttls: strict seed file %s: seed must be 64 hex digits", path)
	}
	copy(root[:], r)
	return s, root, nil
}
