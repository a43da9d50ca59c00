// Package strict is the bttls Strict level's torrent format: a
// high-entropy secret that the info dict commits to without revealing, so
// that a peer (or a legacy client) that knows only the infohash — or the
// whole info dict, fetched over BEP 9 — can neither prove membership nor
// learn the secret.
//
// The secrets of a torrent form a hash chain from a root seed r that only
// the creator keeps: x_0 = r, x_{i+1} = H(x_i), with
// H(x) = SHA-256("bttls v1 strict chain" || x). The info dict holds the
// commitment c = x_n and the chain length n; the secret of epoch k
// (0 ≤ k < n) is x_{n-1-k}, checked by H^(k+1)(secret) = c. Rotating after a
// leak means handing members the next epoch's secret: whoever holds epoch k
// can compute every earlier epoch's secret but no later one, and peers on
// epoch k+1 refuse proofs made with older epochs. The infohash never changes.
//
// Layout (docs/levels.md):
//
//	info["bttls"]    = {"level": "strict", "commit": c (32 bytes), "epochs": n}
//	info["private"]  = 1
//	top-level["bttls"] = {"epoch": k, "secret": x_{n-1-k} (32 bytes)}
//	magnet:          x.bttls=strict:<k>:<64 hex digits of the secret>
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

// DefaultEpochs is the chain length `bttls create --strict` uses: a secret
// can be rotated up to 1,023 times, and checking a secret costs at most
// 1,024 SHA-256 calls (~0.3 ms).
const DefaultEpochs = 1024

// MaxEpochs bounds n so that a hostile torrent cannot make checking cost much.
const MaxEpochs = 1 << 16

// SecretLen is the length of a root seed and of each epoch's secret.
const SecretLen = 32

// Material is a Strict torrent's public commitment and the secret this peer holds.
type Material struct {
	Commit [32]byte // c, from the info dict
	Epochs int      // n, from the info dict
	Epoch  int      // k, the epoch of Secret
	Secret [32]byte // x_{n-1-k}
}

func chainStep(x [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("bttls v1 strict chain"))
	h.Write(x[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// EpochSecret derives epoch k's secret from the root seed.
func EpochSecret(root [32]byte, epochs, k int) ([32]byte, error) {
	if k < 0 || k >= epochs {
		return [32]byte{}, fmt.Errorf("bttls: strict epoch %d is outside 0..%d", k, epochs-1)
	}
	x := root
	for i := 0; i < epochs-1-k; i++ {
		x = chainStep(x)
	}
	return x, nil
}

// Commitment is c = x_n for the root seed.
func Commitment(root [32]byte, epochs int) [32]byte {
	x := root
	for i := 0; i < epochs; i++ {
		x = chainStep(x)
	}
	return x
}

// ErrSecretMismatch: a secret does not hash to the torrent's commitment.
var ErrSecretMismatch = errors.New("bttls: strict secret does not match the torrent's commitment")

// Check verifies that m.Secret is epoch m.Epoch's secret for m.Commit.
func (m *Material) Check() error {
	if m.Epochs < 1 || m.Epochs > MaxEpochs {
		return fmt.Errorf("bttls: strict chain length %d is outside 1..%d", m.Epochs, MaxEpochs)
	}
	if m.Epoch < 0 || m.Epoch >= m.Epochs {
		return fmt.Errorf("bttls: strict epoch %d is outside 0..%d", m.Epoch, m.Epochs-1)
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
const MagnetParam = "x.bttls"

// MagnetValue is the value of MagnetParam: "strict:<epoch>:<hex secret>".
func (m *Material) MagnetValue() string {
	return fmt.Sprintf("strict:%d:%s", m.Epoch, hex.EncodeToString(m.Secret[:]))
}

// ParseMagnetValue parses MagnetParam's value into the epoch and secret
// (the commitment comes later, with the info dict).
func ParseMagnetValue(v string) (epoch int, secret [32]byte, err error) {
	parts := strings.Split(v, ":")
	if len(parts) != 3 || parts[0] != "strict" {
		return 0, secret, fmt.Errorf("bttls: magnet %s=%q is not strict:<epoch>:<secret>", MagnetParam, v)
	}
	epoch, err = strconv.Atoi(parts[1])
	if err != nil || epoch < 0 || epoch >= MaxEpochs {
		return 0, secret, fmt.Errorf("bttls: magnet %s epoch %q is not a number in 0..%d", MagnetParam, parts[1], MaxEpochs-1)
	}
	b, err := hex.DecodeString(parts[2])
	if err != nil || len(b) != SecretLen {
		return 0, secret, fmt.Errorf("bttls: magnet %s secret must be %d hex digits", MagnetParam, 2*SecretLen)
	}
	copy(secret[:], b)
	return epoch, secret, nil
}
