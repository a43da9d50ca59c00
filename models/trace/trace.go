// Package trace defines the negotiation trace: one JSON object per line
// (NDJSON), one line per negotiation event of a peer. The simulator and the
// peer emit it (btsim run --trace); btsim check --trace validates it
// against models/tla/Negotiation.tla, event kind by event kind.
package trace

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Kind is the kind of a negotiation event. The values are exactly the
// values of the variable ev in Negotiation.tla: each event is one step.
type Kind string

const (
	Dial          Kind = "dial"            // a new TCP connection to the remote address
	TLSAttempt    Kind = "tls-attempt"     // ClientHello sent
	TLSOk         Kind = "tls-ok"          // handshake completed; the address is pinned
	TLSFailBefore Kind = "tls-fail-before" // reset, timeout, garbage or a legacy reply before the handshake completed
	TLSFailAfter  Kind = "tls-fail-after"  // a failure after the handshake completed (never falls back)
	TLSBusy       Kind = "tls-busy"        // the ClientHello was answered with the busy alert (never falls back)
	Fallback      Kind = "fallback"        // falling back to a legacy (plaintext/MSE) attempt after TLSFailBefore
	LegacyAttempt Kind = "legacy-attempt"  // a legacy attempt chosen first (no reason to expect TLS)
	LegacyOk      Kind = "legacy-ok"       // legacy session up
	LegacyFail    Kind = "legacy-fail"     // legacy attempt failed
	Upgrade       Kind = "upgrade"         // a legacy session closed to redial over TLS (the peer advertised TLS)
	GiveUp        Kind = "give-up"         // connection closed without a session
	Hint          Kind = "hint"            // a PEX/tracker TLS flag heard for this address
	PinExpire     Kind = "pin-expire"      // the address's pin expired
)

// Kinds lists every kind, for validation and documentation.
var Kinds = []Kind{Dial, TLSAttempt, TLSOk, TLSFailBefore, TLSFailAfter, TLSBusy, Fallback,
	LegacyAttempt, LegacyOk, LegacyFail, Upgrade, GiveUp, Hint, PinExpire}

// Event is one line of a trace.
type Event struct {
	// Conn identifies one negotiation: a local peer, a remote address and a
	// torrent. Re-dials of the same address for the same torrent share it.
	Conn string `json:"conn"`
	// T is the (virtual) time in nanoseconds; informative only.
	T int64 `json:"t,omitempty"`
	// Local and Remote are the addresses (host:port).
	Local  string `json:"local"`
	Remote string `json:"remote"`
	// Level is the torrent's level: "Basic", "Strict" or "FullStrict".
	Level string `json:"level"`
	// Policy is the per-torrent policy of a Basic torrent: "off", "prefer"
	// or "require" (Strict and Full Strict torrents record "require").
	Policy string `json:"policy"`
	Kind   Kind   `json:"kind"`
	// Detail is free text (an error, the cause of a failure).
	Detail string `json:"detail,omitempty"`
	// Line is the 1-based line of the event in the file it was read from.
	Line int `json:"-"`
}

var levels = map[string]bool{"Basic": true, "Strict": true, "FullStrict": true}
var policies = map[string]bool{"off": true, "prefer": true, "require": true}

// Validate checks the fields of one event.
func (e *Event) Validate() error {
	switch {
	case e.Conn == "":
		return fmt.Errorf("trace: line %d: missing conn", e.Line)
	case !levels[e.Level]:
		return fmt.Errorf("trace: line %d: level %q is not Basic, Strict or FullStrict", e.Line, e.Level)
	case !policies[e.Policy]:
		return fmt.Errorf("trace: line %d: policy %q is not off, prefer or require", e.Line, e.Policy)
	}
	for _, k := range Kinds {
		if e.Kind == k {
			return nil
		}
	}
	return fmt.Errorf("trace: line %d: unknown event kind %q", e.Line, e.Kind)
}

// Read parses an NDJSON trace. Blank lines are skipped; any other line that
// is not a valid event is an error naming the line.
func Read(r io.Reader) ([]Event, error) {
	var out []Event
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var e Event
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("trace: line %d: %v", n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("trace: line %d: trailing data after the event", n)
		}
		e.Line = n
		if err := e.Validate(); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trace: line %d: %v", n+1, err)
	}
	return out, nil
}

// ByConn groups events by connection, keeping each connection's order and
// returning the connections in order of first appearance.
func ByConn(events []Event) (ids []string, conns map[string][]Event) {
	conns = map[string][]Event{}
	for _, e := range events {
		if _, ok := conns[e.Conn]; !ok {
			ids = append(ids, e.Conn)
		}
		conns[e.Conn] = append(conns[e.Conn], e)
	}
	return ids, conns
}

// Recorder receives events. A nil *Writer is a valid Recorder that records
// nothing, so emitting code can call Record unconditionally at no cost
// beyond a nil check when tracing is off.
type Recorder interface {
	Record(Event)
}

// Writer writes events as NDJSON; safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Record writes e as one line; the first write error is kept (see Err).
func (tw *Writer) Record(e Event) {
	if tw == nil {
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("trace: cannot encode event: %v", err)) // only plain fields: impossible
	}
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.err != nil {
		return
	}
	_, tw.err = tw.w.Write(append(b, '\n'))
}

// Err returns the first write error.
func (tw *Writer) Err() error {
	if tw == nil {
		return nil
	}
	tw.mu.Lock()
	defer tw.mu.Unlock()
	return tw.err
}
