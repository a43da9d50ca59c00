package fullstrict

import (
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/bttls/bttls/protocol/tlslevel"
)

// Material is what this peer holds for one Full Strict torrent.
type Material struct {
	Swarm    *Swarm
	Identity *Identity
}

// credentials builds this side's mode 2 body for role r on cs.
func (m *Material) credentials(cs tls.ConnectionState, r tlslevel.Role, rnd io.Reader) ([]byte, error) {
	e, err := tlslevel.Exporter(cs, tlslevel.TypeFullStrict2, r)
	if err != nil {
		return nil, err
	}
	scheme, sig, err := Sign(m.Identity.Key, rnd, SignedContent(r, e))
	if err != nil {
		return nil, err
	}
	c := Credentials{MAC: tlslevel.MAC(m.Swarm.BasicKey, e), Chain: m.Identity.Chain, Scheme: scheme, Sig: sig}
	body, err := c.Append(nil)
	if err != nil {
		return nil, err
	}
	return tlslevel.Message{Type: tlslevel.TypeFullStrict2, Body: body}.Append(nil), nil
}

// check verifies a peer's mode 2 body for role r: the chain against the
// swarm CA at now and the signature over r's exporter value. (The MAC has
// been checked by the caller: it only finds the torrent.)
func (s *Swarm) check(c *Credentials, cs tls.ConnectionState, r tlslevel.Role, now time.Time) (*x509.Certificate, error) {
	leaf, err := s.Verify(c.Chain, now)
	if err != nil {
		return nil, err
	}
	e, err := tlslevel.Exporter(cs, tlslevel.TypeFullStrict2, r)
	if err != nil {
		return nil, err
	}
	if err := VerifySignature(leaf, c.Scheme, SignedContent(r, e), c.Sig); err != nil {
		return nil, err
	}
	return leaf, nil
}

// Initiate2 runs mode 2 as initiator on tc (a TLS client with the
// throwaway-certificate config): TLS handshake, our credentials, then the
// responder's, verified. It returns the responder's leaf certificate.
func Initiate2(tc *tls.Conn, m *Material, rnd io.Reader, now func() time.Time) (*x509.Certificate, error) {
	if err := tlslevel.Handshake(tc); err != nil {
		return nil, err
	}
	cs := tc.ConnectionState()
	out, err := m.credentials(cs, tlslevel.Initiator, rnd)
	if err != nil {
		return nil, err
	}
	if _, err := tc.Write(out); err != nil {
		return nil, fmt.Errorf("bttls: sending full strict credentials: %w", err)
	}
	msg, err := tlslevel.ReadMessage(tc)
	if err != nil {
		return nil, err
	}
	if msg.Type != tlslevel.TypeFullStrict2 {
		return nil, fmt.Errorf("%w: sent fullstrict2, got %v", tlslevel.ErrWrongType, msg.Type)
	}
	c, err := ParseCredentials(msg.Body)
	if err != nil {
		return nil, err
	}
	e, err := tlslevel.Exporter(cs, tlslevel.TypeFullStrict2, tlslevel.Responder)
	if err != nil {
		return nil, err
	}
	if want := tlslevel.MAC(m.Swarm.BasicKey, e); !hmac.Equal(want[:], c.MAC[:]) {
		return nil, tlslevel.ErrBadProof
	}
	return m.Swarm.check(c, cs, tlslevel.Responder, now())
}

// Candidate is a Full Strict torrent a responder serves.
type Candidate struct {
	Material *Material
	Torrent  any
}

// Respond2 answers an initiator's mode 2 message msg on tc (already past
// the TLS handshake): it finds the torrent by the MAC, verifies the chain
// and signature, and only then sends its own credentials, so that its
// certificate is shown to members only.
func Respond2(tc *tls.Conn, msg tlslevel.Message, cands []Candidate, rnd io.Reader, now func() time.Time) (*Candidate, *x509.Certificate, error) {
	c, err := ParseCredentials(msg.Body)
	if err != nil {
		return nil, nil, err
	}
	cs := tc.ConnectionState()
	e, err := tlslevel.Exporter(cs, tlslevel.TypeFullStrict2, tlslevel.Initiator)
	if err != nil {
		return nil, nil, err
	}
	var found *Candidate
	for i := range cands {
		want := tlslevel.MAC(cands[i].Material.Swarm.BasicKey, e)
		if hmac.Equal(want[:], c.MAC[:]) && found == nil {
			found = &cands[i]
		}
	}
	if found == nil {
		return nil, nil, fmt.Errorf("%w: fullstrict2 MAC matched none of %d served torrents", tlslevel.ErrBadProof, len(cands))
	}
	leaf, err := found.Material.Swarm.check(c, cs, tlslevel.Initiator, now())
	if err != nil {
		return nil, nil, err
	}
	out, err := found.Material.credentials(cs, tlslevel.Responder, rnd)
	if err != nil {
		return nil, nil, err
	}
	if _, err := tc.Write(out); err != nil {
		return nil, nil, fmt.Errorf("bttls: sending full strict credentials: %w", err)
	}
	return found, leaf, nil
}

// SNI is the mode 1 server name: the lowercase hex handshake infohash.
func (s *Swarm) SNI() string { return hex.EncodeToString(s.InfoHash[:]) }

// verifier returns a VerifyPeerCertificate callback for mode 1.
func (s *Swarm) verifier(now func() time.Time) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		_, err := s.Verify(raw, now())
		return err
	}
}

// ClientConfig1 is the mode 1 client configuration: SNI = hex infohash,
// our chain as client certificate, the server's chain checked against the
// swarm CA (Go's default verification would want a host name).
func ClientConfig1(o tlslevel.Options, m *Material) *tls.Config {
	return &tls.Config{
		Rand: o.Rand, Time: o.Time,
		MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13,
		CurvePreferences:      o.Curves,
		ServerName:            m.Swarm.SNI(),
		Certificates:          []tls.Certificate{m.Identity.TLSCertificate()},
		InsecureSkipVerify:    true, // replaced by VerifyPeerCertificate below
		VerifyPeerCertificate: m.Swarm.verifier(timeOf(o)),
	}
}

// ServerConfig1 is the mode 1 server configuration for the torrent a
// ClientHello's SNI named: mutual TLS against the swarm CA.
func ServerConfig1(o tlslevel.Options, m *Material) *tls.Config {
	return &tls.Config{
		Rand: o.Rand, Time: o.Time,
		MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13,
		CurvePreferences:       o.Curves,
		Certificates:           []tls.Certificate{m.Identity.TLSCertificate()},
		ClientAuth:             tls.RequireAnyClientCert,
		VerifyPeerCertificate:  m.Swarm.verifier(timeOf(o)),
		SessionTicketsDisabled: true,
	}
}

func timeOf(o tlslevel.Options) func() time.Time {
	if o.Time != nil {
		return o.Time
	}
	return time.Now
}
