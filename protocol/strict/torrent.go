package strict

import (
	"errors"
	"fmt"
	"io"

	"github.com/anacrolix/torrent/bencode"
)

// infoSection is info["bttls"] of a Strict torrent.
type infoSection struct {
	Level  string `bencode:"level"`
	Commit string `bencode:"commit"`
	Epochs int    `bencode:"epochs"`
}

// secretSection is the top-level "bttls" of a Strict .torrent.
type secretSection struct {
	Epoch  int    `bencode:"epoch"`
	Secret string `bencode:"secret"`
}

// ErrNotStrict: the torrent has no Strict section.
var ErrNotStrict = errors.New("bttls: not a strict torrent")

// Make rewrites a .torrent into a Strict one: it draws a root seed from
// rnd, puts the commitment and chain length in the info dict, sets
// private=1 (so BEP 27 clients keep off the DHT and PEX), and puts epoch 0's
// secret outside the info dict. The infohash changes (the info dict does);
// the pieces do not, so the data need not be re-hashed or re-downloaded.
// It returns the new .torrent and the root seed, which the creator keeps
// (offline) to rotate the secret later.
func Make(torrent []byte, rnd io.Reader, epochs int) ([]byte, [32]byte, error) {
	var root [32]byte
	if epochs < 1 || epochs > MaxEpochs {
		return nil, root, fmt.Errorf("bttls: strict chain length %d is outside 1..%d", epochs, MaxEpochs)
	}
	if _, err := io.ReadFull(rnd, root[:]); err != nil {
		return nil, root, fmt.Errorf("bttls: strict root seed: %w", err)
	}
	top, info, err := split(torrent)
	if err != nil {
		return nil, root, err
	}
	if _, ok := info["bttls"]; ok {
		return nil, root, errors.New("bttls: the torrent already has a bttls level; create strict torrents from ordinary ones")
	}
	c := Commitment(root, epochs)
	info["bttls"] = bencode.MustMarshal(infoSection{Level: "strict", Commit: string(c[:]), Epochs: epochs})
	info["private"] = bencode.MustMarshal(1)
	secret, _ := EpochSecret(root, epochs, 0)
	out, err := join(top, info, secretSection{Epoch: 0, Secret: string(secret[:])})
	return out, root, err
}

// Rotate returns the .torrent with the secret of epoch k, derived from the
// root seed. The info dict (and the infohash) stay as they are.
func Rotate(torrent []byte, root [32]byte, k int) ([]byte, error) {
	top, info, err := split(torrent)
	if err != nil {
		return nil, err
	}
	sec, err := parseInfo(info)
	if err != nil {
		return nil, err
	}
	secret, err := EpochSecret(root, sec.Epochs, k)
	if err != nil {
		return nil, err
	}
	m := Material{Epochs: sec.Epochs, Epoch: k, Secret: secret}
	copy(m.Commit[:], sec.Commit)
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("bttls: this root seed is not the torrent's: %w", err)
	}
	return join(top, info, secretSection{Epoch: k, Secret: string(secret[:])})
}

// Commit reads the Strict section of an info dict. It returns ErrNotStrict
// when there is none.
func Commit(infoBytes []byte) (commit [32]byte, epochs int, err error) {
	var info map[string]bencode.Bytes
	if err := bencode.Unmarshal(infoBytes, &info); err != nil {
		return commit, 0, fmt.Errorf("bttls: info dict: %w", err)
	}
	sec, err := parseInfo(info)
	if err != nil {
		return commit, 0, err
	}
	copy(commit[:], sec.Commit)
	return commit, sec.Epochs, nil
}

// Load returns the Strict material of a torrent from its info dict and its
// whole .torrent (the secret), checked against the commitment. It returns
// ErrNotStrict for a torrent without a Strict section.
func Load(infoBytes, torrent []byte) (*Material, error) {
	commit, epochs, err := Commit(infoBytes)
	if err != nil {
		return nil, err
	}
	var top map[string]bencode.Bytes
	if err := bencode.Unmarshal(torrent, &top); err != nil {
		return nil, fmt.Errorf("bttls: torrent file: %w", err)
	}
	raw, ok := top["bttls"]
	if !ok {
		return nil, errors.New("bttls: strict torrent without its secret (top-level \"bttls\"): ask its creator for the .torrent or the magnet link with x.bttls")
	}
	var s secretSection
	if err := bencode.Unmarshal(raw, &s); err != nil || len(s.Secret) != SecretLen {
		return nil, errors.New("bttls: top-level \"bttls\" must be {epoch, secret (32 bytes)}")
	}
	m := &Material{Commit: commit, Epochs: epochs, Epoch: s.Epoch}
	copy(m.Secret[:], s.Secret)
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}

func parseInfo(info map[string]bencode.Bytes) (infoSection, error) {
	var sec infoSection
	raw, ok := info["bttls"]
	if !ok {
		return sec, ErrNotStrict
	}
	if err := bencode.Unmarshal(raw, &sec); err != nil {
		return sec, fmt.Errorf("bttls: info[\"bttls\"]: %w", err)
	}
	if sec.Level != "strict" {
		return sec, ErrNotStrict
	}
	if len(sec.Commit) != 32 || sec.Epochs < 1 || sec.Epochs > MaxEpochs {
		return sec, fmt.Errorf("bttls: info[\"bttls\"] needs a 32-byte commit and epochs in 1..%d", MaxEpochs)
	}
	return sec, nil
}

func split(torrent []byte) (top, info map[string]bencode.Bytes, err error) {
	if err := bencode.Unmarshal(torrent, &top); err != nil {
		return nil, nil, fmt.Errorf("bttls: torrent file: %w", err)
	}
	raw, ok := top["info"]
	if !ok {
		return nil, nil, errors.New("bttls: torrent file has no info dict")
	}
	if err := bencode.Unmarshal(raw, &info); err != nil {
		return nil, nil, fmt.Errorf("bttls: info dict: %w", err)
	}
	return top, info, nil
}

func join(top, info map[string]bencode.Bytes, s secretSection) ([]byte, error) {
	ib, err := bencode.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("bttls: encoding info dict: %w", err)
	}
	top["info"] = ib
	top["bttls"] = bencode.MustMarshal(s)
	return bencode.Marshal(top)
}
