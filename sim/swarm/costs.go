package swarm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Costs is what the real code's crypto and hashing cost on this machine, in
// CPU time: the floor under any simulation that runs them for real.
type Costs struct {
	Handshake time.Duration // one TLS 1.3 handshake, client and server (X25519, Ed25519)
	AESGCM    float64       // seconds per byte, sealed and opened (both ends of a TLS stream)
	RC4       float64       // seconds per byte, encrypted and decrypted (both ends of MSE)
	SHA1      float64       // seconds per byte hashed (piece checks)
}

func (c Costs) String() string {
	mbps := func(spb float64) float64 { return 1 / spb / 1e6 }
	return fmt.Sprintf("TLS handshake %v, AES-GCM both ends %.0f MB/s, RC4 both ends %.0f MB/s, SHA-1 %.0f MB/s",
		c.Handshake.Round(time.Microsecond), mbps(c.AESGCM), mbps(c.RC4), mbps(c.SHA1))
}

// Calibrate measures Costs with the real primitives (about a second).
func Calibrate() (Costs, error) {
	var c Costs
	hs, err := timeHandshakes(40)
	if err != nil {
		return c, err
	}
	c.Handshake = hs
	buf := make([]byte, 16<<10)
	const rounds = 2048 // 32 MiB
	key := make([]byte, 16)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	out := make([]byte, 0, len(buf)+gcm.Overhead())
	start := time.Now()
	for i := 0; i < rounds; i++ {
		sealed := gcm.Seal(out[:0], nonce, buf, nil)
		if _, err := gcm.Open(buf[:0], nonce, sealed, nil); err != nil {
			return c, err
		}
	}
	c.AESGCM = time.Since(start).Seconds() / float64(rounds*len(buf))
	enc, _ := rc4.NewCipher(key)
	dec, _ := rc4.NewCipher(key)
	start = time.Now()
	for i := 0; i < rounds; i++ {
		enc.XORKeyStream(buf, buf)
		dec.XORKeyStream(buf, buf)
	}
	c.RC4 = time.Since(start).Seconds() / float64(rounds*len(buf))
	start = time.Now()
	for i := 0; i < rounds; i++ {
		sha1.Sum(buf)
	}
	c.SHA1 = time.Since(start).Seconds() / float64(rounds*len(buf))
	return c, nil
}

// timeHandshakes runs n TLS 1.3 handshakes over in-memory pipes and returns
// the mean CPU cost of one (both ends).
func timeHandshakes(n int) (time.Duration, error) {
	_, key, _ := ed25519.GenerateKey(nil)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return 0, err
	}
	scfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519}, SessionTicketsDisabled: true}
	ccfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.X25519}}
	start := time.Now()
	for i := 0; i < n; i++ {
		a, b := net.Pipe()
		errc := make(chan error, 1)
		go func() { errc <- tls.Server(b, scfg).Handshake() }()
		cerr := tls.Client(a, ccfg).Handshake()
		serr := <-errc
		a.Close()
		b.Close()
		if cerr != nil || serr != nil {
			return 0, fmt.Errorf("swarm: calibration handshake: %v / %v", cerr, serr)
		}
	}
	return time.Since(start) / time.Duration(n), nil
}

// Floor is the CPU time the run's real crypto and hashing alone need: TLS
// handshakes, record protection of TLS bytes, RC4 of MSE bytes, SHA-1 of
// every downloaded piece (only the hashing when crypto was modeled).
func (r *Result) Floor(c Costs) time.Duration {
	if strings.HasPrefix(r.Crypto, "modeled") {
		c.Handshake, c.AESGCM, c.RC4 = 0, 0, 0
	}
	tlsHS := float64(r.Handshakes["out_tls-basic"] + r.Handshakes["out_tls-strict"])
	var tlsBytes, mseBytes, all float64
	for k, b := range r.BytesByKind {
		switch k {
		case "tls-basic", "tls-strict", "tls-fullstrict1", "tls-fullstrict2":
			tlsBytes += float64(b)
		case "mse":
			mseBytes += float64(b)
		}
		all += float64(b)
	}
	s := tlsHS*c.Handshake.Seconds() + tlsBytes*c.AESGCM + mseBytes*c.RC4 + all*c.SHA1
	return time.Duration(s * float64(time.Second))
}
