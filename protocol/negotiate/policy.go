// Package negotiate decides, for one outbound connection, which transports
// to try and in which order, and when a failed TLS attempt may fall back to
// legacy (MSE/plaintext). Its rules are the ones models/tla states:
//
//   - A torrent's level is fixed by the torrent. Only a Basic torrent can
//     fall back, and only under policy prefer; Strict and Full Strict never.
//   - A pin (this address completed a bttls handshake, recently) makes TLS
//     mandatory for that address: no fallback, so an on-path attacker who
//     fakes a legacy reply cannot downgrade a peer we know speaks bttls.
//   - A hint (tracker or PEX says the peer speaks, or does not speak, bttls)
//     only orders the attempts; it never forbids a fallback, or one hostile
//     swarm member could make legacy peers unreachable.
//   - A failure after the TLS handshake completed never falls back: the
//     peer speaks TLS, so the failure is an attack or a mismatch, not age.
//   - Nor does a busy alert in reply to the ClientHello (a responder at its
//     connection limit): the remote speaks TLS and is to be tried later.
package negotiate

import (
	"fmt"

	"github.com/bttls/bttls/protocol/transport"
)

// Policy is a Basic torrent's TLS policy (--tls).
type Policy uint8

const (
	Prefer  Policy = iota // TLS first (unless hinted legacy), fall back to legacy unless pinned
	Require               // TLS only
	Off                   // legacy only (MSE/plaintext), as before bttls
)

func (p Policy) String() string {
	switch p {
	case Off:
		return "off"
	case Prefer:
		return "prefer"
	case Require:
		return "require"
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// ParsePolicy parses off, prefer or require.
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "off":
		return Off, nil
	case "prefer":
		return Prefer, nil
	case "require":
		return Require, nil
	}
	return 0, fmt.Errorf("bttls: TLS policy %q is not one of off, prefer, require", s)
}

// Knowledge is what the dialler knows about the remote before dialling.
type Knowledge struct {
	Pinned bool // direct evidence this address speaks bttls, not expired
	Hint   transport.Hint
}

// Plan returns the transports to try, in order, for a torrent of the given
// TLS kind (TLSBasic, TLSStrict, TLSFullStrict1/2) under policy p.
// legacy is the legacy transport to use (MSE or Plain). An empty plan means
// the connection must not be made.
func Plan(level transport.Kind, p Policy, k Knowledge, legacy transport.Kind) []transport.Kind {
	if level != transport.TLSBasic {
		return []transport.Kind{level}
	}
	switch p {
	case Off:
		return []transport.Kind{legacy}
	case Require:
		return []transport.Kind{transport.TLSBasic}
	}
	switch {
	case k.Pinned:
		return []transport.Kind{transport.TLSBasic}
	case k.Hint.Legacy && !k.Hint.TLS:
		// Known legacy: don't pay a failed TLS attempt; still try TLS if the
		// legacy attempt fails (the hint may be stale or false).
		return []transport.Kind{legacy, transport.TLSBasic}
	}
	return []transport.Kind{transport.TLSBasic, legacy}
}

// Stage is how far a failed TLS attempt got.
type Stage uint8

const (
	// BeforeTLS: TCP failed, or the reply was not TLS (a legacy peer
	// answering our ClientHello with MSE Yb, a reset, a timeout).
	BeforeTLS Stage = iota
	// AfterTLS: the TLS handshake completed; the level proof failed.
	AfterTLS
	// Busy: the remote answered the ClientHello with the busy alert
	// (tlslevel.BusyAlert): it speaks TLS and is at its connection limit.
	// Unauthenticated, so it pins nothing; it only ends the attempt.
	Busy
)

// MayFallBack reports whether, after attempt i of plan failed at stage s,
// the next attempt may be made.
func MayFallBack(plan []transport.Kind, i int, s Stage) bool {
	if i+1 >= len(plan) {
		return false
	}
	return !(plan[i].IsTLS() && (s == AfterTLS || s == Busy))
}

// PlanFullStrict returns the attempts for a Full Strict torrent that allows
// mode 1 (has1) and/or mode 2 (has2). Mode 2 goes first when the torrent
// allows only it or when the remote is known to speak bttls (a hint or a
// pin): a libtorrent peer only speaks mode 1. A failed first attempt may be
// followed by the other mode (both verify certificates; only privacy
// differs, and the torrent's creator allowed both), but, as everywhere,
// not after a completed TLS handshake.
func PlanFullStrict(has1, has2 bool, k Knowledge) []transport.Kind {
	var plan []transport.Kind
	if has2 && (k.Pinned || k.Hint.TLS || !has1) {
		plan = append(plan, transport.TLSFullStrict2)
		if has1 {
			plan = append(plan, transport.TLSFullStrict1)
		}
		return plan
	}
	if has1 {
		plan = append(plan, transport.TLSFullStrict1)
	}
	if has2 {
		plan = append(plan, transport.TLSFullStrict2)
	}
	return plan
}
