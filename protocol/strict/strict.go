// Package strict is the bttls Strict level's torrent format: a
// high-entropy secret that the info dict commits to without revealing, so
// that a peer (or a legacy client) that knows only the infohash — or the
// whole info dict, fetched over BEP 9 — can neither prove membership nor
// learn the secret.
//
// The secrets of a torrent form a hash chain from a seed R that only the
// creator keeps, used from its far end (BEP "Epoch secrets"):
//
//	S[N]   = R
//	S[e-1] = H(S[e])          for e = N .. 1
//	commit = H(S[0])          H(x) = SHA-256("bttls v1 strict chain" || x)
//
// The info dict holds commit; epoch e's secret S[e] is checked by hashing it
// e+1 times. Rotating after a leak means handing members S[e+1]: whoever
// holds S[e] can compute every earlier secret but no later one, and peers
// on epoch e+1 refuse proofs made with older epochs. The infohash never
// changes.
//
// Layout (docs/levels.md, BEP "The secret in the .torrent file"):
//
//	info["bttls"]          = {"v": 1, "level": "strict", "commit": commit (32 bytes)}
//	info["private"]        = 1
//	top-level["bttls-epoch"]  = e
//	top-level["bttls-secret"] = S[e] (32 bytes)
//	magnet:                x.bttls-s=<e>:<64 lowercase hex digits of S[e]>
package strict

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultEpochs is the N `bttls create --strict` uses (the BEP's
// recommendation): 64 rotations before a new torrent is needed.
const DefaultEpochs = 64

// MaxEpoch is the largest epoch (the level message carries it in 16 bits);
// checking a secret then costs at most 65,536 SHA-256 calls (~20 ms).
const MaxEpoch = 1<<16 - 1

// SecretLen is the length of a root seed and of each epoch's secret.
const SecretLen = 32

// Material is a Strict torrent's public commitment and the secret this peer holds.
type Material struct {
	Commit [32]byte // from the info dict
	Epoch  int      // e, the epoch of Secret
	Secret [32]byte // S[e]
}

func chainStep(x [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("bttls v1 strict chain"))
	h.Write(x[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// EpochSecret derives S[e] from the seed R of an N-epoch chain.
func EpochSecret(root [32]byte, n, e int) ([32]byte, error) {
	if n < 0 || n > MaxEpoch {
		return [32]byte{}, fmt.Errorf("bttls: strict chain of %d epochs is outside 0..%d", n, MaxEpoch)
	}
	if e < 0 || e > n {
		return [32]byte{}, fmt.Errorf("bttls: strict epoch %d is outside 0..%d", e, n)
	}
	x := root
	for i := 0; i < n-e; i++ {
		x = chainStep(x)
	}
	return x, nil
}

// Commitment is commit = H(S[0]) for the seed R of an N-epoch chain.
func Commitment(root [32]byte, n int) [32]byte {
	s0, _ := EpochSecret(root, n, 0)
	return chainStep(s0)
}

// ErrSecretMismatch: a secret does not hash to the torrent's commitment.
var ErrSecretMismatch = errors.New("bttls: strict secret does not match the torrent's commitment")

// Check verifies that m.Secret is epoch m.Epoch's secret for m.Commit.
func (m *Material) Check() error {
	if m.Epoch < 0 || m.Epoch > MaxEpoch {
		return fmt.Errorf("bttls: strict epoch %d is outside 0..%d", m.Epoch, MaxEpoch)
	}
	x := m.Secret
	for i := 0; i <= m.Epoch; i++ {
		x = chainStep(x)
	}
	if subtle.ConstantTimeCompare(x[:], m.Commit[:]) != 1 {
		return fmt.Errorf("%w (epoch %d)", ErrSecretMismatch, m.Epoch)
	}
	return nil
}

// AnnounceHash is the 20-byte key a Strict peer announces under instead of
// the infohash: HMAC-SHA256(key = epoch secret, "bttls v1 strict announce"),
// truncated. A tracker (or anyone watching it) that knows the infohash
// cannot link it to the swarm, and the key changes with each epoch.
func (m *Material) AnnounceHash() [20]byte {
	mac := hmac.New(sha256.New, m.Secret[:])
	mac.Write([]byte("bttls v1 strict announce"))
	var out [20]byte
	copy(out[:], mac.Sum(nil))
	return out
}

// MagnetParam is the magnet parameter that carries the secret.
const MagnetParam = "x.bttls-s"

// MagnetValue is the value of MagnetParam: "<epoch>:<hex secret>".
func (m *Material) MagnetValue() string {
	return fmt.Sprintf("%d:%s", m.Epoch, hex.EncodeToString(m.Secret[:]))
}

// ParseMagnetValue parses MagnetParam's value into the epoch and secret
// (the commitment comes later, with the info dict).
func ParseMagnetValue(v string) (epoch int, secret [32]byte, err error) {
	ep, sec, ok := strings.Cut(v, ":")
	if !ok {
		return 0, secret, fmt.Errorf("bttls: magnet %s=%q is not <epoch>:<secret>", MagnetParam, v)
	}
	epoch, err = strconv.Atoi(ep)
	if err != nil || epoch < 0 || epoch > MaxEpoch || strconv.Itoa(epoch) != ep {
		return 0, secret, fmt.Errorf("bttls: magnet %s epoch %q is not a decimal number in 0..%d", MagnetParam, ep, MaxEpoch)
	}
	b, err := hex.DecodeString(sec)
	if err != nil || len(b) != SecretLen || strings.ToLower(sec) != sec {
		return 0, secret, fmt.Errorf("bttls: magnet %s secret must be %d lowercase hex digits", MagnetParam, 2*SecretLen)
	}
	copy(secret[:], b)
	return epoch, secret, nil
}
