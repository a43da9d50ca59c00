package sim

import (
	"bytes"
	"crypto/ecdh"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
)

// seededReader is a deterministic entropy stream for crypto. A read of one
// byte returns 0 without advancing the stream: crypto calls
// randutil.MaybeReadByte, which reads one byte or not at random (to keep
// callers from depending on the reader's output), and that byte is thrown
// away; advancing on it would make the rest of the stream differ from run to
// run.
type seededReader struct{ c *rand.ChaCha8 }

func (r *seededReader) Read(p []byte) (int, error) {
	if len(p) == 1 {
		p[0] = 0
		return 1, nil
	}
	return r.c.Read(p)
}

// newSeed draws a 32-byte seed from the master source.
func (s *Sim) newSeed() [32]byte {
	var seed [32]byte
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(seed[8*i:], s.rand.Uint64())
	}
	return seed
}

// NewRand returns a non-cryptographic source derived from the seed. Sources
// are handed out in call order, which is deterministic under the scheduler.
func (s *Sim) NewRand() *rand.Rand { return rand.New(rand.NewChaCha8(s.newSeed())) }

// NewCryptoReader returns an entropy stream for crypto (keys, TLS, MSE)
// derived from the seed; see CheckCryptoRand.
func (s *Sim) NewCryptoReader() io.Reader { return &seededReader{rand.NewChaCha8(s.newSeed())} }

// ErrCryptoRandIgnored is returned by CheckCryptoRand when crypto ignores a
// caller's io.Reader, which makes TLS handshakes differ from run to run.
var ErrCryptoRandIgnored = errors.New("sim: crypto ignores seeded randomness: the binary (or test binary) needs a //go:debug cryptocustomrand=1 line in its main package (or _test.go file)")

// CheckCryptoRand reports whether crypto uses the seeded reader: it makes two
// X25519 keys from the same seed and compares them.
func CheckCryptoRand() error {
	var seed [32]byte
	k1, err1 := ecdh.X25519().GenerateKey(&seededReader{rand.NewChaCha8(seed)})
	k2, err2 := ecdh.X25519().GenerateKey(&seededReader{rand.NewChaCha8(seed)})
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if !bytes.Equal(k1.Bytes(), k2.Bytes()) {
		return ErrCryptoRandIgnored
	}
	return nil
}
