package levels

import (
	"fmt"
	"sync"

	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
)

// tracer records the negotiation events of Connect (docs/model.md, "Trace
// validation"). Each event is one step of models/tla/Negotiation.tla, and
// a traced connection ("conn") is one behaviour of it: what the spec keeps
// across dials (the pin, a TLS hint) is kept here per remote address and
// torrent, so that a dial the pin shapes continues the behaviour in which
// the pin was made.
type tracer struct {
	rec   trace.Recorder
	local string

	mu     sync.Mutex
	n      int
	chains map[chainKey]*chain
}

type chainKey struct {
	remote   string
	infoHash [20]byte
}

// chain is the spec state of one traced connection between Connects.
type chain struct {
	id   string
	pin  bool // the spec's pin: set by tls-ok
	hint bool // a TLS hint was recorded
	// redial: the last Connect ended where the spec may Dial again (a TLS
	// session or a give-up), and none is running on this chain now.
	redial bool
}

func newTracer(rec trace.Recorder, local string) *tracer {
	if rec == nil {
		return nil
	}
	if w, ok := rec.(*trace.Writer); ok && w == nil {
		return nil
	}
	return &tracer{rec: rec, local: local, chains: map[chainKey]*chain{}}
}

// connTrace records one Connect; a nil *connTrace records nothing.
type connTrace struct {
	tr     *tracer
	e      env.Env
	ch     *chain
	base   trace.Event
	pinned bool // the address was pinned when Connect began
}

// begin starts recording a Connect to addr, whose knowledge is k. A
// pinned address continues the behaviour that made the pin when the spec
// allows it; otherwise a fresh behaviour starts, as the spec's initial
// state (no pin, no hint) is then exactly what the plan depends on.
func (tr *tracer) begin(e env.Env, addr string, tor *transport.Torrent, sec *Security, pol negotiate.Policy, k negotiate.Knowledge) *connTrace {
	if tr == nil {
		return nil
	}
	level, policy := "Basic", pol.String()
	switch {
	case sec.FullStrict != nil:
		level, policy = "FullStrict", "require"
	case sec.Level == transport.TLSStrict:
		level, policy = "Strict", "require"
	}
	key := chainKey{remote: addr, infoHash: tor.InfoHash}
	tr.mu.Lock()
	ch := tr.chains[key]
	if ch == nil || !(k.Pinned && ch.pin && ch.redial) {
		tr.n++
		id := fmt.Sprintf("c%d", tr.n)
		if tr.local != "" {
			id = tr.local + "/" + id
		}
		ch = &chain{id: id}
		tr.chains[key] = ch
	}
	ch.redial = false
	hint := k.Hint.TLS && !ch.hint
	ch.hint = ch.hint || k.Hint.TLS
	tr.mu.Unlock()
	ct := &connTrace{tr: tr, e: e, ch: ch, pinned: k.Pinned,
		base: trace.Event{Conn: ch.id, Local: tr.local, Remote: addr, Level: level, Policy: policy}}
	if hint {
		ct.emit(trace.Hint, "")
	}
	ct.emit(trace.Dial, "")
	return ct
}

func (ct *connTrace) emit(kind trace.Kind, detail string) {
	ev := ct.base
	ev.T = ct.e.Now().UnixNano()
	ev.Kind = kind
	ev.Detail = detail
	ct.tr.rec.Record(ev)
}

// start records the first attempt of the plan.
func (ct *connTrace) start(kind transport.Kind) {
	if ct == nil {
		return
	}
	if kind.IsTLS() {
		ct.emit(trace.TLSAttempt, kind.String())
	} else {
		ct.emit(trace.LegacyAttempt, kind.String())
	}
}

// next records the move from a failed attempt prev to attempt kind.
func (ct *connTrace) next(prev, kind transport.Kind) {
	if ct == nil {
		return
	}
	switch {
	case prev.IsTLS() && !kind.IsTLS():
		ct.emit(trace.Fallback, kind.String())
	case !prev.IsTLS():
		ct.emit(trace.TLSAttempt, kind.String())
	default:
		// Another TLS mode (Full Strict): the spec has no TLS-to-TLS step
		// on one connection, and this is a new TCP connection anyway.
		ct.emit(trace.GiveUp, "trying "+kind.String())
		ct.emit(trace.Dial, "")
		ct.emit(trace.TLSAttempt, kind.String())
	}
}

// result records the outcome of an attempt: a session when err is nil.
func (ct *connTrace) result(kind transport.Kind, s negotiate.Stage, err error) {
	if ct == nil {
		return
	}
	if err != nil {
		ct.fail(kind, s, err)
		return
	}
	if kind.IsTLS() {
		ct.emit(trace.TLSOk, kind.String())
		ct.end(true, true)
		return
	}
	ct.emit(trace.LegacyOk, kind.String())
	ct.end(false, false)
}

// fail records a failed attempt of the given kind.
func (ct *connTrace) fail(kind transport.Kind, s negotiate.Stage, err error) {
	if ct == nil {
		return
	}
	switch {
	case !kind.IsTLS():
		ct.emit(trace.LegacyFail, err.Error())
	case s == negotiate.AfterTLS:
		// The TLS handshake completed (the spec's TLSOk, which pins);
		// the level proof after it failed. bttls pins only after the
		// proof, so the next Connect starts a fresh behaviour.
		ct.emit(trace.TLSOk, kind.String())
		ct.tr.mu.Lock()
		ct.ch.pin = true
		ct.tr.mu.Unlock()
		ct.emit(trace.TLSFailAfter, err.Error())
	case s == negotiate.Busy:
		ct.emit(trace.TLSBusy, err.Error())
	default:
		ct.emit(trace.TLSFailBefore, err.Error())
	}
}

// giveUp records the end of a Connect without a session.
func (ct *connTrace) giveUp(err error) {
	if ct == nil {
		return
	}
	ct.emit(trace.GiveUp, err.Error())
	ct.end(false, true)
}

func (ct *connTrace) end(pin, redial bool) {
	ct.tr.mu.Lock()
	defer ct.tr.mu.Unlock()
	ct.ch.pin = ct.ch.pin || pin
	ct.ch.redial = redial
}
