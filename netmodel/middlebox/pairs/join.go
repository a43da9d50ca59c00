package pairs

import (
	"crypto/sha1"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"

	"github.com/bttls/bttls/netmodel"
	"github.com/bttls/bttls/netmodel/middlebox"
	"github.com/bttls/bttls/protocol/env/envhttp"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/issuer"
	"github.com/bttls/bttls/sim"
)

// JoinConfig is the [join] table: Full Strict members getting and renewing
// their certificates from the swarm's issuer (protocol/issuer, on the host
// named "tracker"), which an [outage] can take down.
type JoinConfig struct {
	// Members join one by one, evenly spread over WindowS seconds.
	Members int     `toml:"members"`
	WindowS float64 `toml:"window_s"`
	// ValidityS is how long the certificates the issuer grants are valid.
	ValidityS float64 `toml:"validity_s"`
	// RenewAt is the share of a certificate's validity after which its
	// holder asks for the next one.
	RenewAt float64 `toml:"renew_at"`
	// RetryS is the wait after a failed request; DeadlineS is how long a
	// newcomer tries before its join counts as failed (it goes on trying).
	RetryS    float64 `toml:"retry_s"`
	DeadlineS float64 `toml:"deadline_s"`
	// DurationS is the length of the run.
	DurationS float64 `toml:"duration_s"`
	LatencyMS float64 `toml:"latency_ms"`
}

// JoinResult is what the members went through.
type JoinResult struct {
	Members int `json:"members"`
	// Joined got a certificate within the deadline; JoinFailed did not.
	Joined     int `json:"joined"`
	JoinFailed int `json:"join_failed"`
	// Lost counts members whose certificate expired before a renewal
	// succeeded (they cannot connect to the swarm until they get one).
	Lost int `json:"lost"`
	// Requests and failed requests to the issuer, all members together.
	Requests       int     `json:"requests"`
	FailedRequests int     `json:"failed_requests"`
	JoinTimeMeanS  float64 `json:"join_time_mean_s"`
	// Fractions of Members (NaN when there are none).
	JoinFailedFraction float64 `json:"join_failed_fraction"`
	LostFraction       float64 `json:"lost_fraction"`
	// UncertifiedS is the member-seconds without a valid certificate after
	// joining the run, over all members, per member.
	UncertifiedMeanS float64            `json:"uncertified_mean_s"`
	Middlebox        map[string]float64 `json:"middlebox,omitempty"`
}

func (j *JoinConfig) check() error {
	switch {
	case j.Members < 1 || j.Members > 10000:
		return fmt.Errorf("join.members must be 1..10000")
	case j.WindowS < 0 || j.RetryS <= 0 || j.DeadlineS <= 0 || j.DurationS <= 0 || j.LatencyMS < 0:
		return fmt.Errorf("join.window_s, retry_s, deadline_s, duration_s and latency_ms must be positive (window_s, latency_ms may be 0)")
	case j.ValidityS < 120 || seconds(j.ValidityS) > fullstrict.MaxPeerValidity:
		return fmt.Errorf("join.validity_s must be from 120 s to %v", fullstrict.MaxPeerValidity)
	case j.RenewAt <= 0 || j.RenewAt >= 1:
		return fmt.Errorf("join.renew_at must be between 0 and 1")
	}
	return nil
}

// RunJoin runs a [join] scenario with the given seed.
func RunJoin(c *Config, seed uint64) (*JoinResult, error) {
	if err := sim.CheckCryptoRand(); err != nil {
		return nil, err
	}
	j := c.Join
	s := sim.New(sim.Config{Seed: seed})
	defer s.Close()
	n := netmodel.New(s)
	hc := netmodel.HostConfig{Name: "tracker", Up: 1 << 22, Down: 1 << 22, Latency: seconds(j.LatencyMS / 1000)}
	th, err := n.AddHost(hc)
	if err != nil {
		return nil, err
	}
	te := s.NewEnv(th)
	hc.Name = ""
	members := make([]*sim.Env, j.Members)
	for i := range members {
		h, err := n.AddHost(hc)
		if err != nil {
			return nil, err
		}
		members[i] = s.NewEnv(h)
	}
	mb, st, err := middlebox.New(c.middlebox(), middlebox.Env{Clock: s, Seed: seed, Resolve: n.LookupName})
	if err != nil {
		return nil, fmt.Errorf("pairs: %w", err)
	}
	n.Middlebox = mb

	// The swarm's root signs an issuing certificate for the tracker, which
	// grants each member a certificate for its token.
	rnd := te.CryptoRand()
	root, rootKey, err := fullstrict.NewCA(rnd, te.Now(), "bttls swarm", 365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	iss, issKey, err := fullstrict.NewIssuing(rnd, te.Now(), root, rootKey, "bttls issuer", 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	tokens := make([]string, j.Members)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("member-%d", i)
	}
	ih := sha1.Sum([]byte("bttls join rig"))
	h, err := issuer.New(issuer.Config{Env: te, Root: root, Issuing: iss, Key: issKey, Tokens: tokens,
		Validity: seconds(j.ValidityS), InfoHashes: [][20]byte{ih}})
	if err != nil {
		return nil, fmt.Errorf("pairs: %w", err)
	}
	l, err := te.Listen("tcp", ":8080")
	if err != nil {
		return nil, err
	}
	end := seconds(j.DurationS)
	s.At(end, func() { l.Close() })
	te.Go("issuer", func() { envhttp.Serve(te, l, h, 30*time.Second) })
	url := fmt.Sprintf("http://%s:8080/issue", th.Addr())

	res := &JoinResult{Members: j.Members}
	var joinTime, uncertified time.Duration
	var runErr error
	for i, e := range members {
		arrive := time.Duration(0)
		if j.Members > 1 {
			arrive = time.Duration(float64(seconds(j.WindowS)) * float64(i) / float64(j.Members))
		}
		s.At(arrive, func() {
			e.Go(fmt.Sprintf("member %d", i), func() {
				m := member{e: e, end: end, url: url, ih: ih, root: root, cfg: *j, res: res,
					client: &http.Client{Transport: envhttp.Transport{Env: e, Timeout: 10 * time.Second}}}
				took, lostFor, err := m.run(tokens[i])
				if err != nil && runErr == nil {
					runErr = err
				}
				joinTime += took
				uncertified += lostFor
			})
		})
	}
	if err := s.Run(); err != nil {
		return nil, fmt.Errorf("pairs: seed %d: %w", seed, err)
	}
	if runErr != nil {
		return nil, runErr
	}
	res.JoinTimeMeanS = ratio(joinTime.Seconds(), float64(res.Joined))
	res.JoinFailedFraction = ratio(float64(res.JoinFailed), float64(res.Members))
	res.LostFraction = ratio(float64(res.Lost), float64(res.Members))
	res.UncertifiedMeanS = ratio(uncertified.Seconds(), float64(res.Members))
	if mb != nil {
		res.Middlebox = map[string]float64{}
		for _, m := range st.Metrics() {
			res.Middlebox[m.Name] = m.Value
		}
	}
	return res, nil
}

type member struct {
	e      *sim.Env
	end    time.Duration
	url    string
	ih     [20]byte
	root   *x509.Certificate
	cfg    JoinConfig
	res    *JoinResult
	client *http.Client
}

// run joins (token) and then renews until the end of the run. It returns
// how long the join took and how long the member spent without a valid
// certificate after arriving. Only errors of the rig itself are returned.
func (m *member) run(token string) (joinTook, uncertified time.Duration, err error) {
	e := m.e
	start := e.Now()
	deadline := start.Add(seconds(m.cfg.DeadlineS))
	stop := start.Add(m.end - e.Sim().Now())
	key, err := fullstrict.NewKey(e.CryptoRand())
	if err != nil {
		return 0, 0, err
	}
	var id *fullstrict.Identity
	for {
		m.res.Requests++
		id, _, err = issuer.Fetch(m.client, m.url, m.ih, key, issuer.Credential{Token: token}, m.root, e.CryptoRand())
		if err == nil {
			break
		}
		m.res.FailedRequests++
		if !e.Now().Add(seconds(m.cfg.RetryS)).Before(stop) {
			m.res.JoinFailed++ // never got in before the end
			return 0, stop.Sub(start), nil
		}
		e.Sleep(seconds(m.cfg.RetryS))
	}
	got := e.Now()
	if got.After(deadline) {
		m.res.JoinFailed++
	} else {
		m.res.Joined++
		joinTook = got.Sub(start)
	}
	uncertified = got.Sub(start)
	lost := false
	for {
		expiry := id.Leaf.NotAfter
		renewAt := got.Add(time.Duration(float64(expiry.Sub(got)) * m.cfg.RenewAt))
		if !renewAt.Before(stop) {
			return joinTook, uncertified, nil
		}
		e.Sleep(renewAt.Sub(e.Now()))
		for {
			m.res.Requests++
			var next *fullstrict.Identity
			if e.Now().Before(expiry) {
				next, _, err = issuer.FetchRenewal(m.client, m.url, m.ih, id, m.root, e.CryptoRand())
			} else {
				// An expired chain cannot renew: join again with the token.
				next, _, err = issuer.Fetch(m.client, m.url, m.ih, key, issuer.Credential{Token: token}, m.root, e.CryptoRand())
			}
			if err == nil {
				if e.Now().After(expiry) {
					uncertified += e.Now().Sub(expiry)
				}
				id, got = next, e.Now()
				break
			}
			m.res.FailedRequests++
			if e.Now().After(expiry) && !lost {
				lost = true
				m.res.Lost++
			}
			if !e.Now().Add(seconds(m.cfg.RetryS)).Before(stop) {
				if stop.After(expiry) {
					uncertified += stop.Sub(expiry)
				}
				return joinTook, uncertified, nil
			}
			e.Sleep(seconds(m.cfg.RetryS))
		}
	}
}
