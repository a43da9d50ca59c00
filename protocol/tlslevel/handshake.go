package tlslevel

import (
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"fmt"
)

// Errors the level handshake returns; the caller logs them and closes.
var (
	// ErrBadProof: the peer's MAC verifies under none of our keys (it does
	// not know the infohash or secret, or replayed or reflected a proof).
	ErrBadProof = errors.New("bttls: peer's level proof does not verify (wrong key, replayed or reflected)")
	// ErrWrongType: the peer answered with a message of another level.
	ErrWrongType = errors.New("bttls: peer's level message is for another level")
)

// Credential is what one side proves: a level, and the key (Basic,
// Strict) with its epoch (Strict).
type Credential struct {
	Type  Type
	Epoch uint16
	Key   [32]byte
}

// Candidate is a torrent a responder serves, with the credential an
// initiator must prove for it.
type Candidate struct {
	Credential
	Torrent any
}

func proofMessage(cs tls.ConnectionState, c Credential, r Role) ([]byte, error) {
	e, err := Exporter(cs, c.Type, r)
	if err != nil {
		return nil, err
	}
	p := Proof{Epoch: c.Epoch, MAC: MAC(c.Key, e)}
	return Message{Type: c.Type, Body: p.AppendBody(nil, c.Type)}.Append(nil), nil
}

// Initiate runs the TLS handshake as client on tc, sends the initiator's
// proof for c, and verifies the responder's. The conn's deadline bounds it.
func Initiate(tc *tls.Conn, c Credential) error {
	if err := Handshake(tc); err != nil {
		return err
	}
	cs := tc.ConnectionState()
	out, err := proofMessage(cs, c, Initiator)
	if err != nil {
		return err
	}
	if _, err := tc.Write(out); err != nil {
		return fmt.Errorf("bttls: sending %v proof: %w", c.Type, err)
	}
	m, err := ReadMessage(tc)
	if err != nil {
		return err
	}
	if m.Type != c.Type {
		return fmt.Errorf("%w: sent %v, got %v", ErrWrongType, c.Type, m.Type)
	}
	p, err := ParseProof(m.Type, m.Body)
	if err != nil {
		return err
	}
	if p.Epoch != c.Epoch {
		return fmt.Errorf("%w: responder's strict epoch %d, ours %d", ErrBadProof, p.Epoch, c.Epoch)
	}
	e, err := Exporter(cs, c.Type, Responder)
	if err != nil {
		return err
	}
	if want := MAC(c.Key, e); !hmac.Equal(want[:], p.MAC[:]) {
		return ErrBadProof
	}
	return nil
}

// Respond runs the TLS handshake as server on tc, reads the initiator's
// proof, finds the candidate whose key verifies it, and answers with the
// responder's proof. candidates returns the torrents served at a level; each
// costs one HMAC. The conn's deadline bounds it.
func Respond(tc *tls.Conn, candidates func(Type) []Candidate) (*Candidate, error) {
	if err := Handshake(tc); err != nil {
		return nil, err
	}
	m, err := ReadMessage(tc)
	if err != nil {
		return nil, err
	}
	return RespondMessage(tc, m, candidates)
}

// RespondMessage is Respond after the TLS handshake and after the
// initiator's message m was read (the caller dispatches on its type).
func RespondMessage(tc *tls.Conn, m Message, candidates func(Type) []Candidate) (*Candidate, error) {
	found, out, err := Answer(tc.ConnectionState(), m, candidates)
	if err != nil {
		return nil, err
	}
	if _, err := tc.Write(out); err != nil {
		return nil, fmt.Errorf("bttls: sending %v proof: %w", m.Type, err)
	}
	return found, nil
}

// Answer verifies the initiator's message m on the connection cs and
// returns the candidate it proves and the responder's message, without
// sending it: the caller may send it in one record with what follows
// (docs/levels.md, "Writing the opening at once").
func Answer(cs tls.ConnectionState, m Message, candidates func(Type) []Candidate) (*Candidate, []byte, error) {
	p, err := ParseProof(m.Type, m.Body)
	if err != nil {
		return nil, nil, err
	}
	e, err := Exporter(cs, m.Type, Initiator)
	if err != nil {
		return nil, nil, err
	}
	var found *Candidate
	cands := candidates(m.Type)
	for i := range cands {
		c := &cands[i]
		// Every candidate is checked, match or not, so the time taken does
		// not tell which torrent (or where in the list) matched.
		want := MAC(c.Key, e)
		if hmac.Equal(want[:], p.MAC[:]) && c.Epoch == p.Epoch && found == nil {
			found = c
		}
	}
	if found == nil {
		if m.Type == TypeStrict {
			// Epochs are the usual cause among members: say which.
			var ours []uint16
			for _, c := range cands {
				ours = append(ours, c.Epoch)
			}
			return nil, nil, fmt.Errorf("%w: strict proof for epoch %d matched none of %d served torrents (our epochs %v)", ErrBadProof, p.Epoch, len(cands), ours)
		}
		return nil, nil, fmt.Errorf("%w: %v proof matched none of %d served torrents", ErrBadProof, m.Type, len(cands))
	}
	out, err := proofMessage(cs, found.Credential, Responder)
	if err != nil {
		return nil, nil, err
	}
	return found, out, nil
}
