package levels

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/mse"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// Connect implements transport.Dialer: it dials addr once per planned
// transport until one succeeds or the plan forbids going on.
func (t *Transport) Connect(e env.Env, addr string, tor *transport.Torrent, h transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	if timeout <= 0 {
		timeout = env.DefaultDialTimeout
	}
	deadline := e.Now().Add(timeout)
	sec := securityOf(tor)
	k := negotiate.Knowledge{Pinned: t.cfg.Pins.Pinned(addr, e.Now()), Hint: h}
	// An address that answered neither TLS nor MSE before may be retried
	// in plaintext even after a TLS attempt (see silentSet).
	wasSilent := t.silent.has(addr, e.Now())
	plan := negotiate.Plan(sec.Level, t.policy(sec), k, t.legacy)
	if fs := sec.FullStrict; fs != nil {
		plan = negotiate.PlanFullStrict(fs.Swarm.HasMode(1), fs.Swarm.HasMode(2), k)
	}
	ct := t.trace.begin(e, addr, tor, sec, t.policy(sec), k)
	var errs []error
	triedTLS, silentTLS := false, false
	for i, kind := range plan {
		if i == 0 {
			ct.start(kind)
		} else {
			ct.next(plan[i-1], kind)
		}
		left := deadline.Sub(e.Now())
		if left <= 0 {
			err := timeoutErr(kind.String(), timeout)
			ct.fail(kind, negotiate.BeforeTLS, err)
			errs = append(errs, err)
			break
		}
		c, stage, silent, err := t.attempt(e, addr, tor, sec, kind, deadline, left, !triedTLS || wasSilent)
		if err == nil {
			ct.result(c.Kind, stage, nil) // an MSE attempt may end in plaintext
		} else {
			ct.result(kind, stage, err)
		}
		if kind.IsTLS() {
			triedTLS, silentTLS = true, silent
		} else if kind == transport.MSE && err != nil && silent && silentTLS {
			t.silent.add(addr, e.Now())
		}
		if err == nil {
			if c.Kind != transport.Plain {
				t.silent.forget(addr)
			}
			if kind.IsTLS() {
				if err := t.cfg.Pins.Pin(addr, e.Now()); err != nil {
					t.cfg.Logf("bttls: %s: %v", addr, err)
				}
			}
			return c, nil
		}
		errs = append(errs, fmt.Errorf("%v attempt: %w", kind, err))
		if !negotiate.MayFallBack(plan, i, stage) {
			// Say why the plan was cut short (a plan that ran out needs no reason).
			if kind.IsTLS() && (i+1 < len(plan) || len(plan) == 1) {
				errs = append(errs, noFallback(k, stage, sec.Level))
			}
			break
		}
		t.cfg.Logf("bttls: %s: %v failed (%v), falling back to %v", addr, kind, err, plan[i+1])
	}
	err := fmt.Errorf("bttls: connecting to %s: %w", addr, errors.Join(errs...))
	ct.giveUp(err)
	t.cfg.Logf("%v", err)
	return nil, err
}

// attempt makes one connection of the given kind. silent reports that
// the remote closed (or the attempt timed out) without sending a byte.
// mayRetryPlain allows an MSE attempt that got no byte back to retry in
// plaintext; Connect forbids it after a TLS attempt unless the address
// was silent before (see silentSet).
func (t *Transport) attempt(e env.Env, addr string, tor *transport.Torrent, sec *Security, kind transport.Kind, deadline time.Time, left time.Duration, mayRetryPlain bool) (_ *transport.Conn, _ negotiate.Stage, silent bool, _ error) {
	raw, err := e.Dial("tcp", addr, left)
	if err != nil {
		return nil, negotiate.BeforeTLS, false, err
	}
	raw.SetDeadline(deadline)
	ok := false
	defer func() {
		if !ok {
			raw.Close()
		}
	}()
	// silent is set here, whatever each return says: it is about the
	// remote, not about how the attempt ended.
	rc := &readCounter{Conn: raw}
	defer func() { silent = rc.n == 0 }()
	var c net.Conn = rc
	switch kind {
	case transport.Plain:
	case transport.MSE:
		st, _, err := mse.Initiate(rc, e.CryptoRand(), tor.InfoHash[:], mse.RC4|mse.Plaintext, nil)
		if err != nil {
			if rc.n > 0 || !mayRetryPlain {
				// The remote answered in MSE and the handshake failed
				// (wrong torrent, refused, broken): it speaks MSE, so a
				// plaintext retry would only show the infohash.
				return nil, negotiate.BeforeTLS, false, err
			}
			// Not a byte back: most likely a client with encryption
			// disabled, which closes on anything but the BEP 3 protocol
			// string. Retry in plaintext, as libtorrent and transmission
			// do when encryption is enabled but not forced; MSE offers
			// plaintext anyway.
			raw.Close()
			left := deadline.Sub(e.Now())
			if left <= 0 {
				return nil, negotiate.BeforeTLS, false, err
			}
			p, perr := e.Dial("tcp", addr, left)
			if perr != nil {
				return nil, negotiate.BeforeTLS, false, fmt.Errorf("%w; plaintext retry: %w", err, perr)
			}
			p.SetDeadline(time.Time{})
			ok = true
			return &transport.Conn{Conn: p, Kind: transport.Plain, Torrent: tor}, negotiate.BeforeTLS, false, nil
		}
		c = &mseConn{Conn: rc, s: st}
	case transport.TLSBasic, transport.TLSStrict:
		tc := tls.Client(rc, tlslevel.ClientConfig(t.opts))
		// The TLS handshake is run on its own first so that a failure here
		// (a legacy peer answering with MSE Yb, a reset) is told apart from
		// a failure of the level proof, which must never fall back.
		if err := tlslevel.Handshake(tc); err != nil {
			return nil, rc.stage(), false, rc.busyErr(err)
		}
		if err := tlslevel.Initiate(tc, sec.Credential); err != nil {
			return nil, negotiate.AfterTLS, false, err
		}
		c = tc
	case transport.TLSFullStrict1:
		if sec.FullStrict == nil {
			return nil, negotiate.BeforeTLS, false, errors.New("bttls: not a full strict torrent")
		}
		tc := tls.Client(rc, fullstrict.ClientConfig1(t.opts, sec.FullStrict))
		if err := tc.Handshake(); err != nil {
			return nil, rc.stage(), false, rc.busyErr(fmt.Errorf("TLS handshake (full strict mode 1): %w", err))
		}
		c = tc
	case transport.TLSFullStrict2:
		if sec.FullStrict == nil {
			return nil, negotiate.BeforeTLS, false, errors.New("bttls: not a full strict torrent")
		}
		tc := tls.Client(rc, tlslevel.ClientConfig(t.opts))
		if err := tlslevel.Handshake(tc); err != nil {
			return nil, rc.stage(), false, rc.busyErr(err)
		}
		if _, err := fullstrict.Initiate2(tc, sec.FullStrict, e.CryptoRand(), e.Now); err != nil {
			return nil, negotiate.AfterTLS, false, err
		}
		c = tc
	default:
		return nil, negotiate.BeforeTLS, false, fmt.Errorf("bttls: %v is not supported by this transport", kind)
	}
	raw.SetDeadline(time.Time{})
	ok = true
	return &transport.Conn{Conn: c, Kind: kind, Torrent: tor}, negotiate.BeforeTLS, false, nil
}

// noFallback says why a failed TLS attempt was not followed by a legacy one.
func noFallback(k negotiate.Knowledge, s negotiate.Stage, level transport.Kind) error {
	switch {
	case s == negotiate.AfterTLS:
		return errors.New("no fallback: the failure came after the TLS handshake")
	case s == negotiate.Busy:
		return errors.New("no fallback: the remote speaks TLS and is busy")
	case level != transport.TLSBasic:
		return fmt.Errorf("no fallback: a %v torrent is carried over TLS only", level)
	case k.Pinned:
		return errors.New("no fallback: this address is pinned (it completed a bttls handshake before)")
	}
	return errors.New("no fallback: policy require")
}

// readCounter counts the bytes read through it: whether an MSE attempt's
// remote sent anything tells an MSE peer that failed from a plaintext-only one.
type readCounter struct {
	net.Conn
	n int
	// head is the first bytes read, enough to recognise the busy alert.
	head [7]byte
}

// stage is how far a TLS attempt whose handshake failed got: Busy when the
// remote's first bytes were the busy alert.
func (r *readCounter) stage() negotiate.Stage {
	if r.n >= len(r.head) && tlslevel.IsBusyReply(r.head[:]) {
		return negotiate.Busy
	}
	return negotiate.BeforeTLS
}

// busyErr wraps err, a failed TLS handshake, with tlslevel.ErrBusy when the
// remote sent the busy alert.
func (r *readCounter) busyErr(err error) error {
	if r.stage() == negotiate.Busy {
		return fmt.Errorf("%w: %w", tlslevel.ErrBusy, err)
	}
	return err
}

func (r *readCounter) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if r.n < len(r.head) {
		copy(r.head[r.n:], p[:n])
	}
	r.n += n
	return n, err
}
