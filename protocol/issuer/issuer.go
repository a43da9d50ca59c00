// Package issuer hands out short-lived Full Strict peer certificates
// (docs/levels.md, BEP "Certificate issuance"). The peer makes its key and
// sends only a PKCS #10 request; the issuer holds an issuing certificate
// signed by the swarm's root (which stays offline) and signs a leaf for the
// requested key when the credential checks out:
//
//   - {"token": T}: a bearer token the swarm's operator gave the member out
//     of band (the role of a private tracker's passkey), or
//   - {"renew": {"chain": [DER…], "scheme": n, "sig": S}}: the peer's
//     current, unexpired chain and a signature by its key over
//     64×0x20 || "bttls v1 fullstrict2 renew" || 0x00 || SHA-256(csr).
//
// Request: HTTP POST, bencoded {"info_hash", "csr", "credential"}.
// Reply: bencoded {"chain": [leaf, issuing], "ca": root DER, "expires": unix
// seconds}, or {"failure reason": text} with a 4xx status.
package issuer

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/anacrolix/torrent/bencode"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
)

// MaxRequest bounds a request body.
const MaxRequest = 64 << 10

// Request is the bencoded request body.
type Request struct {
	InfoHash   string     `bencode:"info_hash"`
	CSR        string     `bencode:"csr"`
	Credential Credential `bencode:"credential"`
}

// Credential is how a peer is authorised; exactly one field is set.
type Credential struct {
	Token string `bencode:"token,omitempty"`
	Renew *Renew `bencode:"renew,omitempty"`
}

// Renew proves possession of a current certificate.
type Renew struct {
	Chain  []string `bencode:"chain"`
	Scheme int      `bencode:"scheme"`
	Sig    string   `bencode:"sig"`
}

// Reply is the bencoded reply body.
type Reply struct {
	Chain   []string `bencode:"chain,omitempty"`
	CA      string   `bencode:"ca,omitempty"`
	Expires int64    `bencode:"expires,omitempty"`
	Failure string   `bencode:"failure reason,omitempty"`
}

// RenewContent is what a renewal signature covers.
func RenewContent(csr []byte) []byte {
	b := make([]byte, 0, 64+27+32)
	for i := 0; i < 64; i++ {
		b = append(b, 0x20)
	}
	b = append(b, "bttls v1 fullstrict2 renew"...)
	b = append(b, 0)
	h := sha256.Sum256(csr)
	return append(b, h[:]...)
}

// Config configures a Handler.
type Config struct {
	Env env.Env
	// Root is the swarm CA (returned to peers so a magnet user can check it).
	Root *x509.Certificate
	// Issuing and Key sign the leaves; Issuing must be signed by Root.
	Issuing *x509.Certificate
	Key     crypto.Signer
	// Tokens are the accepted bearer tokens; each may get MaxPerToken
	// certificates per Validity (0: 16).
	Tokens      []string
	MaxPerToken int
	// Validity of issued certificates (0: fullstrict.DefaultPeerValidity).
	Validity time.Duration
	// InfoHashes, when not empty, restricts issuance to these torrents.
	InfoHashes [][20]byte
	// Logf receives one line per issued or refused request.
	Logf func(format string, args ...any)
}

// Handler is the issuing service, an http.Handler a tracker mounts (e.g. at
// "/issue").
type Handler struct {
	cfg   Config
	swarm *fullstrict.Swarm // for verifying renewals (name "*" matches any leaf we issue)
	mu    sync.Mutex
	used  map[string][]time.Time // token → issue times within Validity
}

// New checks cfg and returns the handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Env == nil || cfg.Root == nil || cfg.Issuing == nil || cfg.Key == nil {
		return nil, errors.New("bttls: issuer needs Env, Root, Issuing and Key")
	}
	if err := cfg.Issuing.CheckSignatureFrom(cfg.Root); err != nil {
		return nil, fmt.Errorf("bttls: the issuing certificate is not signed by the root: %w", err)
	}
	if cfg.Validity == 0 {
		cfg.Validity = fullstrict.DefaultPeerValidity
	}
	if cfg.Validity > fullstrict.MaxPeerValidity {
		return nil, fmt.Errorf("bttls: issuer validity %v exceeds %v", cfg.Validity, fullstrict.MaxPeerValidity)
	}
	if cfg.MaxPerToken == 0 {
		cfg.MaxPerToken = 16
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Handler{cfg: cfg, swarm: &fullstrict.Swarm{CA: cfg.Root, Name: "*"}, used: map[string][]time.Time{}}, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply, status := h.serve(r)
	if reply.Failure != "" {
		h.cfg.Logf("issuer: %s: refused: %s", r.RemoteAddr, reply.Failure)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	w.Write(bencode.MustMarshal(reply))
}

func fail(status int, format string, args ...any) (Reply, int) {
	return Reply{Failure: fmt.Sprintf(format, args...)}, status
}

func (h *Handler) serve(r *http.Request) (Reply, int) {
	if r.Method != http.MethodPost {
		return fail(http.StatusMethodNotAllowed, "POST a bencoded request")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequest+1))
	if err != nil || len(body) > MaxRequest {
		return fail(http.StatusBadRequest, "request body unreadable or over %d bytes", MaxRequest)
	}
	var req Request
	if err := bencode.Unmarshal(body, &req); err != nil {
		return fail(http.StatusBadRequest, "request is not a bencoded dictionary: %v", err)
	}
	if len(req.InfoHash) != 20 {
		return fail(http.StatusBadRequest, "info_hash must be 20 bytes")
	}
	if !h.servesTorrent(req.InfoHash) {
		return fail(http.StatusForbidden, "this issuer does not serve torrent %x", req.InfoHash)
	}
	now := h.cfg.Env.Now()
	switch c := req.Credential; {
	case c.Token != "" && c.Renew == nil:
		if !h.takeToken(c.Token, now) {
			return fail(http.StatusForbidden, "unknown token, or its certificates for this period are used up")
		}
	case c.Renew != nil && c.Token == "":
		if err := h.checkRenew(c.Renew, []byte(req.CSR), now); err != nil {
			return fail(http.StatusForbidden, "renewal refused: %v", err)
		}
	default:
		return fail(http.StatusBadRequest, "credential must hold exactly one of token and renew")
	}
	leaf, err := fullstrict.IssueLeaf(h.cfg.Env.CryptoRand(), now, []byte(req.CSR), h.cfg.Issuing, h.cfg.Key, h.cfg.Validity)
	if err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	h.cfg.Logf("issuer: %s: issued a certificate for %x valid %v", r.RemoteAddr, req.InfoHash, h.cfg.Validity)
	return Reply{
		Chain:   []string{string(leaf), string(h.cfg.Issuing.Raw)},
		CA:      string(h.cfg.Root.Raw),
		Expires: now.Add(h.cfg.Validity).Unix(),
	}, http.StatusOK
}

func (h *Handler) servesTorrent(ih string) bool {
	if len(h.cfg.InfoHashes) == 0 {
		return true
	}
	for _, x := range h.cfg.InfoHashes {
		if string(x[:]) == ih {
			return true
		}
	}
	return false
}

// takeToken checks a token and counts one use within the validity window.
func (h *Handler) takeToken(tok string, now time.Time) bool {
	known := false
	for _, t := range h.cfg.Tokens {
		if len(t) == len(tok) && t == tok {
			known = true
		}
	}
	if !known {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var recent []time.Time
	for _, at := range h.used[tok] {
		if now.Sub(at) < h.cfg.Validity {
			recent = append(recent, at)
		}
	}
	if len(recent) >= h.cfg.MaxPerToken {
		h.used[tok] = recent
		return false
	}
	h.used[tok] = append(recent, now)
	return true
}

func (h *Handler) checkRenew(rn *Renew, csr []byte, now time.Time) error {
	chain := make([][]byte, len(rn.Chain))
	for i, c := range rn.Chain {
		chain[i] = []byte(c)
	}
	leaf, err := h.swarm.Verify(chain, now)
	if err != nil {
		return err
	}
	return fullstrict.VerifySignature(leaf, uint16(rn.Scheme), RenewContent(csr), []byte(rn.Sig))
}
