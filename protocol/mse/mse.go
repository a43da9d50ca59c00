// Package mse implements Message Stream Encryption / Protocol Encryption
// (MSE/PE, the Vuze/Azureus spec every BitTorrent client speaks) with all of
// its randomness — the DH private key and the padding — drawn from an
// io.Reader the caller gives, and with no goroutines: each side writes one
// flight and then reads, which never blocks on a TCP socket (the kernel
// buffers a flight of at most 628 bytes) nor on the simulator's conns.
//
// The handshake (A initiates, B receives; S = DH secret, SKEY = infohash):
//
//	A→B  Ya, PadA
//	B→A  Yb, PadB
//	A→B  HASH('req1',S), HASH('req2',SKEY)^HASH('req3',S),
//	     ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//	B→A  ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
package mse

import (
	"crypto/rc4"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// Method is a crypto_provide / crypto_select bit.
type Method uint32

const (
	Plaintext Method = 0x01 // header obfuscation only, then plaintext
	RC4       Method = 0x02 // RC4-drop1024 for the whole stream
)

func (m Method) String() string {
	switch m {
	case Plaintext:
		return "plaintext"
	case RC4:
		return "rc4"
	}
	return fmt.Sprintf("method(%#x)", uint32(m))
}

const (
	pubLen  = 96  // bytes of a DH public value (768-bit group)
	privLen = 20  // bytes of a DH private key: 160 bits, as libtorrent and anacrolix
	maxPad  = 512 // PadA..PadD are at most 512 bytes
	maxIA   = 65535
)

var (
	// prime is the 768-bit Oakley group 1 prime the spec fixes; the generator is 2.
	prime, gen, primeMinus1 big.Int
	vc                      [8]byte // verification constant: eight zero bytes
)

func init() {
	prime.SetString("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563", 16)
	gen.SetInt64(2)
	primeMinus1.Sub(&prime, big.NewInt(1))
}

// Errors a receiver returns when the opening is not an MSE handshake it can
// complete; the caller closes the connection.
var (
	// ErrNoSKey is returned when no served torrent matches the initiator's
	// HASH('req2', SKEY).
	ErrNoSKey = errors.New("mse: no served torrent matches the initiator's skey hash")
	// ErrNoSync is returned when the synchronisation marker (HASH('req1',S)
	// or the encrypted VC) is not found within the 512 bytes of padding the
	// spec allows — the stream is not MSE, or not for us.
	ErrNoSync = errors.New("mse: synchronisation marker not found within 512 bytes of padding")
)

func hash(parts ...[]byte) [20]byte {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	var out [20]byte
	h.Sum(out[:0])
	return out
}

// SKeyHash is HASH('req2', SKEY): what a receiver matches the initiator's
// skey against. Precompute it per torrent so that a receiver's lookup costs
// one map access, not one hash per torrent.
func SKeyHash(skey []byte) [20]byte { return hash([]byte("req2"), skey) }

// newCipher returns the RC4 stream keyed with SHA1(keyName, S, SKEY), its
// first 1024 bytes discarded as the spec requires.
func newCipher(keyName string, s, skey []byte) *rc4.Cipher {
	k := hash([]byte(keyName), s, skey)
	c, _ := rc4.NewCipher(k[:]) // a 20-byte key is always valid
	var burn [1024]byte
	c.XORKeyStream(burn[:], burn[:])
	return c
}

// keyPair draws a DH private key from rnd and returns it with its padded
// 96-byte public value.
func keyPair(rnd io.Reader) (*big.Int, []byte, error) {
	var xb [privLen]byte
	if _, err := io.ReadFull(rnd, xb[:]); err != nil {
		return nil, nil, fmt.Errorf("mse: reading DH private key: %w", err)
	}
	x := new(big.Int).SetBytes(xb[:])
	y := new(big.Int).Exp(&gen, x, &prime)
	pub := make([]byte, pubLen)
	y.FillBytes(pub)
	return x, pub, nil
}

// secret computes S = Y^x mod P, refusing the degenerate values (0, 1, P-1
// and anything ≥ P) that would let an attacker force a known S.
func secret(peerPub []byte, x *big.Int) ([]byte, error) {
	y := new(big.Int).SetBytes(peerPub)
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(&primeMinus1) >= 0 {
		return nil, errors.New("mse: peer's DH public value is degenerate (0, 1, P-1 or ≥ P)")
	}
	s := make([]byte, pubLen)
	new(big.Int).Exp(y, x, &prime).FillBytes(s)
	return s, nil
}

// padding draws a length in [0, 512] and that many bytes from rnd. It reads
// a fixed 514 bytes in one call whatever the length, so that the draw from a
// seeded reader does not depend on short reads.
func padding(rnd io.Reader) ([]byte, error) {
	var b [2 + maxPad]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return nil, fmt.Errorf("mse: reading padding: %w", err)
	}
	n := (int(b[0])<<8 | int(b[1])) % (maxPad + 1)
	return b[2 : 2+n], nil
}
