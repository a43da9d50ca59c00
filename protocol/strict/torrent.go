package strict

import (
	"errors"
	"fmt"
	"io"

	"github.com/anacrolix/torrent/bencode"
)

// infoSection is info["bttls"] of a Strict torrent.
type infoSection struct {
	V      int    `bencode:"v"`
	Level  string `bencode:"level"`
	Commit string `bencode:"commit"`
}

// secretSection is the epoch and secret kept outside the info dict.
type secretSection struct {
	Epoch  int
	Secret [32]byte
}

// ErrNotStrict: the torrent has no Strict section.
var ErrNotStrict = errors.New("bttls: not a strict torrent")

// Make rewrites a .torrent into a Strict one with an n-epoch chain: it
// draws a seed from rnd, puts the commitment and chain length in the info dict, sets
// private=1 (so BEP 27 clients keep off the DHT and PEX), and puts epoch 0's
// secret outside the info dict. The infohash changes (the info dict does);
// the pieces do not, so the data need not be re-hashed or re-downloaded.
// It returns the new .torrent and the root seed, which the creator keeps
// (offline) to rotate the secret later.
func Make(torrent []byte, rnd io.Reader, epochs int) ([]byte, [32]byte, error) {
	var root [32]byte
	if epochs < 0 || epochs > MaxEpoch {
		return nil, root, fmt.Errorf("bttls: strict chain of %d epochs is outside 0..%d", epochs, MaxEpoch)
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
	info["bttls"] = bencode.MustMarshal(infoSection{V: 1, Level: "strict", Commit: string(c[:])})
	info["private"] = bencode.MustMarshal(1)
	secret, _ := EpochSecret(root, epochs, 0)
	out, err := join(top, info, secretSection{Epoch: 0, Secret: secret})
	return out, root, err
}

// Rotate returns the .torrent with the secret of epoch k, derived from the
// seed of an n-epoch chain. The info dict (and the infohash) stay as they are.
func Rotate(torrent []byte, root [32]byte, n, k int) ([]byte, error) {
	top, info, err := split(torrent)
	if err != nil {
		return nil, err
	}
	sec, err := parseInfo(info)
	if err != nil {
		return nil, err
	}
	secret, err := EpochSecret(root, n, k)
	if err != nil {
		return nil, err
	}
	m := Material{Epoch: k, Secret: secret}
	copy(m.Commit[:], sec.Commit)
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("bttls: this seed and chain length are not the torrent's: %w", err)
	}
	return join(top, info, secretSection{Epoch: k, Secret: secret})
}

// Commit reads the Strict section of an info dict. It returns ErrNotStrict
// when there is none.
func Commit(infoBytes []byte) (commit [32]byte, err error) {
	var info map[string]bencode.Bytes
	if err := bencode.Unmarshal(infoBytes, &info); err != nil {
		return commit, fmt.Errorf("bttls: info dict: %w", err)
	}
	sec, err := parseInfo(info)
	if err != nil {
		return commit, err
	}
	copy(commit[:], sec.Commit)
	return commit, nil
}

// Load returns the Strict material of a torrent from its info dict and its
// whole .torrent (the secret), checked against the commitment. It returns
// ErrNotStrict for a torrent without a Strict section.
func Load(infoBytes, torrent []byte) (*Material, error) {
	commit, err := Commit(infoBytes)
	if err != nil {
		return nil, err
	}
	var top struct {
		Epoch  *int    `bencode:"bttls-epoch"`
		Secret *string `bencode:"bttls-secret"`
	}
	if err := bencode.Unmarshal(torrent, &top); err != nil {
		return nil, fmt.Errorf("bttls: torrent file: %w", err)
	}
	if top.Epoch == nil || top.Secret == nil {
		return nil, fmt.Errorf("bttls: strict torrent without its secret (top-level bttls-epoch and bttls-secret): ask its creator for the .torrent or the magnet link with %s", MagnetParam)
	}
	if len(*top.Secret) != SecretLen {
		return nil, fmt.Errorf("bttls: bttls-secret is %d bytes, want %d", len(*top.Secret), SecretLen)
	}
	m := &Material{Commit: commit, Epoch: *top.Epoch}
	copy(m.Secret[:], *top.Secret)
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
	if sec.V != 1 {
		return sec, fmt.Errorf("bttls: info[\"bttls\"] has version %d; this client speaks 1", sec.V)
	}
	if len(sec.Commit) != 32 {
		return sec, fmt.Errorf("bttls: info[\"bttls\"] commit is %d bytes, want 32", len(sec.Commit))
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
	top["bttls-epoch"] = bencode.MustMarshal(s.Epoch)
	top["bttls-secret"] = bencode.MustMarshal(string(s.Secret[:]))
	return bencode.Marshal(top)
}
