package swarm

import (
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/anacrolix/torrent/bencode"

	"github.com/bttls/bttls/protocol/env/envhttp"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/issuer"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/strict"
	"github.com/bttls/bttls/protocol/tracker"
	"github.com/bttls/bttls/sim"
)

// A Strict or Full Strict swarm shares a torrent made from the generated
// Basic one exactly as `bttls create --strict` and `--ca` make theirs: the
// info dict gains the level's section (so the infohash changes; the pieces
// do not), and every bttls peer reads the level from the torrent
// (protocol/levels.Loader), as the real peer does. Legacy peers get the same
// torrent and treat it as an ordinary one, as libtorrent and transmission
// would: they announce its infohash and dial MSE, and a Strict or Full
// Strict peer never falls back to them.

// IssuerStats is what the peers of a Full Strict swarm went through to get
// their certificates from the swarm's issuer.
type IssuerStats struct {
	// Requests and FailedRequests to the issuer, all peers together (a
	// failure is a refused or timed-out connection, or a refusal).
	Requests, FailedRequests int
	// Certified peers got a certificate (and joined the swarm); Uncertified
	// bttls peers had none when the run ended, so never joined.
	Certified, Uncertified int
	// WaitMean is the mean time from a certified peer's arrival to its
	// certificate.
	WaitMean time.Duration
}

// issuance is a Full Strict swarm's issuer, as its peers see it.
type issuance struct {
	url   string
	root  *x509.Certificate
	retry time.Duration
	stats *IssuerStats
}

// torrentFile is the generated torrent as a .torrent file.
func torrentFile(c *Content) ([]byte, error) {
	return bencode.Marshal(map[string]any{"announce": c.Torrent.Trackers[0], "info": bencode.Bytes(c.Torrent.InfoBytes)})
}

// makeStrict turns the content's torrent into a Strict one (epoch 0 of a
// chain of strict.DefaultEpochs secrets drawn from rnd).
func makeStrict(c *Content, rnd io.Reader) error {
	raw, err := torrentFile(c)
	if err != nil {
		return fmt.Errorf("swarm: strict torrent: %w", err)
	}
	st, _, err := strict.Make(raw, rnd, strict.DefaultEpochs)
	if err != nil {
		return fmt.Errorf("swarm: strict torrent: %w", err)
	}
	return c.replace(st)
}

// makeFullStrict turns the content's torrent into a Full Strict one (mode
// 2 only: nothing in the clear) under a new swarm CA, and returns the
// issuer that grants its peers their certificates, one token per peer.
func makeFullStrict(c *Content, e *sim.Env, tokens []string, validity time.Duration) (*issuer.Handler, *x509.Certificate, error) {
	rnd := e.CryptoRand()
	root, rootKey, err := fullstrict.NewCA(rnd, e.Now(), "bttls sim swarm", 365*24*time.Hour)
	if err != nil {
		return nil, nil, fmt.Errorf("swarm: swarm CA: %w", err)
	}
	iss, issKey, err := fullstrict.NewIssuing(rnd, e.Now(), root, rootKey, "bttls sim issuer", 30*24*time.Hour)
	if err != nil {
		return nil, nil, fmt.Errorf("swarm: issuing certificate: %w", err)
	}
	raw, err := torrentFile(c)
	if err != nil {
		return nil, nil, fmt.Errorf("swarm: full strict torrent: %w", err)
	}
	fs, err := fullstrict.MakeTorrent(raw, fullstrict.PEMChain([][]byte{root.Raw}), []int{2})
	if err != nil {
		return nil, nil, fmt.Errorf("swarm: full strict torrent: %w", err)
	}
	if err := c.replace(fs); err != nil {
		return nil, nil, err
	}
	h, err := issuer.New(issuer.Config{Env: e, Root: root, Issuing: iss, Key: issKey, Tokens: tokens,
		Validity: validity, InfoHashes: [][20]byte{c.Torrent.InfoHash}})
	if err != nil {
		return nil, nil, fmt.Errorf("swarm: %w", err)
	}
	return h, root, nil
}

// replace makes raw (a .torrent of the same pieces) the content's torrent.
func (c *Content) replace(raw []byte) error {
	t, err := meta.Parse(raw)
	if err != nil {
		return fmt.Errorf("swarm: generated torrent: %w", err)
	}
	if t.NumPieces() != c.Torrent.NumPieces() || t.PieceLength != c.Torrent.PieceLength {
		return fmt.Errorf("swarm: the %s torrent does not keep the pieces", t.Name)
	}
	c.Torrent = t
	return nil
}

// serveIssuer serves h at /issue on its own HTTP server on e, port 8080,
// and returns its URL.
func serveIssuer(e *sim.Env, addr string, h http.Handler) (string, error) {
	srv := tracker.NewServer(e, nil)
	srv.Handle("POST /issue", h)
	l, err := e.Listen("tcp", ":8080")
	if err != nil {
		return "", err
	}
	e.Go("issuer", func() { srv.Serve(l) })
	return fmt.Sprintf("http://%s:8080/issue", addr), nil
}

// certify gets the peer's certificate from the issuer, retrying every
// iss.retry until it succeeds (or the run ends with the task parked in
// its wait). token is the peer's credential.
func certify(e *sim.Env, iss *issuance, infoHash [20]byte, token string) (*fullstrict.Identity, error) {
	key, err := fullstrict.NewKey(e.CryptoRand())
	if err != nil {
		return nil, err
	}
	client := &http.Client{Transport: envhttp.Transport{Env: e, Timeout: 10 * time.Second}}
	for {
		iss.stats.Requests++
		id, _, err := issuer.Fetch(client, iss.url, infoHash, key, issuer.Credential{Token: token}, iss.root, e.CryptoRand())
		if err == nil {
			return id, nil
		}
		iss.stats.FailedRequests++
		e.Sleep(iss.retry)
	}
}
