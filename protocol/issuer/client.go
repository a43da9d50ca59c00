package issuer

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/anacrolix/torrent/bencode"

	"github.com/bttls/bttls/protocol/fullstrict"
)

// Fetch asks the issuer at url for a certificate for key (which stays
// here: only a certificate request is sent) for the torrent infoHash,
// authorised by cred. It checks that the returned leaf is for our key and
// chains to the returned CA, and that the CA is swarmCA when that is given
// (from the torrent). rnd signs the request.
func Fetch(client *http.Client, url string, infoHash [20]byte, key crypto.Signer, cred Credential, swarmCA *x509.Certificate, rnd io.Reader) (*fullstrict.Identity, *x509.Certificate, error) {
	csr, err := fullstrict.NewCSR(rnd, key)
	if err != nil {
		return nil, nil, err
	}
	return fetchCSR(client, url, infoHash, key, csr, cred, swarmCA)
}

// FetchRenewal renews id before it expires: the credential is id's chain
// and a signature by its key over the new request (same key, new leaf).
func FetchRenewal(client *http.Client, url string, infoHash [20]byte, id *fullstrict.Identity, swarmCA *x509.Certificate, rnd io.Reader) (*fullstrict.Identity, *x509.Certificate, error) {
	csr, err := fullstrict.NewCSR(rnd, id.Key)
	if err != nil {
		return nil, nil, err
	}
	scheme, sig, err := fullstrict.Sign(id.Key, rnd, RenewContent(csr))
	if err != nil {
		return nil, nil, err
	}
	rn := &Renew{Scheme: int(scheme), Sig: string(sig)}
	for _, c := range id.Chain {
		rn.Chain = append(rn.Chain, string(c))
	}
	return fetchCSR(client, url, infoHash, id.Key, csr, Credential{Renew: rn}, swarmCA)
}

func fetchCSR(client *http.Client, url string, infoHash [20]byte, key crypto.Signer, csr []byte, cred Credential, swarmCA *x509.Certificate) (*fullstrict.Identity, *x509.Certificate, error) {
	body := bencode.MustMarshal(Request{InfoHash: string(infoHash[:]), CSR: string(csr), Credential: cred})
	resp, err := client.Post(url, "application/x-bittorrent", bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("bttls: issuer: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxRequest))
	if err != nil {
		return nil, nil, fmt.Errorf("bttls: issuer: reading reply: %w", err)
	}
	var rep Reply
	if err := bencode.Unmarshal(raw, &rep); err != nil {
		return nil, nil, fmt.Errorf("bttls: issuer: reply (HTTP %d) is not bencoded: %w", resp.StatusCode, err)
	}
	if rep.Failure != "" {
		return nil, nil, fmt.Errorf("bttls: issuer refused: %s", rep.Failure)
	}
	ca, err := x509.ParseCertificate([]byte(rep.CA))
	if err != nil {
		return nil, nil, fmt.Errorf("bttls: issuer: CA certificate: %w", err)
	}
	if swarmCA != nil && !ca.Equal(swarmCA) {
		return nil, nil, errors.New("bttls: issuer: the CA it returned is not the torrent's")
	}
	chain := make([][]byte, len(rep.Chain))
	for i, c := range rep.Chain {
		chain[i] = []byte(c)
	}
	id, err := fullstrict.NewIdentity(chain, key)
	if err != nil {
		return nil, nil, fmt.Errorf("bttls: issuer: %w", err)
	}
	s := &fullstrict.Swarm{CA: ca, Name: "*"}
	if _, err := s.Verify(chain, id.Leaf.NotBefore.Add(time.Minute*6)); err != nil {
		return nil, nil, fmt.Errorf("bttls: issuer: returned chain: %w", err)
	}
	return id, ca, nil
}
