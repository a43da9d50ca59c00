package issuer

import (
	"crypto/rand"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
)

// clock is an env.Env whose Now the test moves.
type clock struct {
	env.OS
	now time.Time
}

func (c *clock) Now() time.Time { return c.now }

func setup(t *testing.T) (*clock, *x509.Certificate, string) {
	t.Helper()
	e := &clock{now: time.Now()}
	root, rootKey, err := fullstrict.NewCA(rand.Reader, e.now, "root", 24*time.Hour*30)
	if err != nil {
		t.Fatal(err)
	}
	iss, issKey, err := fullstrict.NewIssuing(rand.Reader, e.now, root, rootKey, "issuer", 24*time.Hour*30)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Env: e, Root: root, Issuing: iss, Key: issKey, Tokens: []string{"member-token"}, MaxPerToken: 2, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return e, root, srv.URL + "/issue"
}

func TestIssue(t *testing.T) {
	e, root, url := setup(t)
	ih := [20]byte{1}
	key, _ := fullstrict.NewKey(rand.Reader)
	id, ca, err := Fetch(http.DefaultClient, url, ih, key, Credential{Token: "member-token"}, root, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.Equal(root) || id.Key != key {
		t.Fatal("wrong CA or key")
	}
	if d := id.Leaf.NotAfter.Sub(e.now); d > time.Hour+time.Second || d < 59*time.Minute {
		t.Fatalf("validity %v, want 1h", d)
	}
	swarm := &fullstrict.Swarm{CA: root, Name: "anything"}
	if _, err := swarm.Verify(id.Chain, e.now); err != nil {
		t.Fatalf("issued chain does not verify: %v", err)
	}

	// Renewal with the current certificate, no token.
	e.now = e.now.Add(40 * time.Minute)
	id2, _, err := FetchRenewal(http.DefaultClient, url, ih, id, root, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !id2.Leaf.NotAfter.After(id.Leaf.NotAfter) {
		t.Fatal("renewed certificate does not last longer")
	}

	for _, tt := range []struct {
		name string
		do   func() error
		want string
	}{
		{"unknown token", func() error {
			_, _, err := Fetch(http.DefaultClient, url, ih, key, Credential{Token: "guess"}, nil, rand.Reader)
			return err
		}, "unknown token"},
		{"token used up", func() error {
			Fetch(http.DefaultClient, url, ih, key, Credential{Token: "member-token"}, nil, rand.Reader)
			_, _, err := Fetch(http.DefaultClient, url, ih, key, Credential{Token: "member-token"}, nil, rand.Reader)
			return err
		}, "used up"},
		{"renew with an expired certificate", func() error {
			e.now = e.now.Add(3 * time.Hour)
			_, _, err := FetchRenewal(http.DefaultClient, url, ih, id2, nil, rand.Reader)
			return err
		}, "expired"},
		{"wrong CA expected", func() error {
			other, _, _ := fullstrict.NewCA(rand.Reader, e.now, "other", time.Hour)
			_, _, err := FetchRenewal(http.DefaultClient, url, ih, id2, other, rand.Reader)
			return err
		}, "renewal refused"},
		{"GET", func() error {
			resp, err := http.Get(url)
			if err == nil && resp.StatusCode == 405 {
				return errFrom("POST a bencoded request")
			}
			return err
		}, "POST"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

type errFrom string

func (e errFrom) Error() string { return string(e) }

func FuzzIssuerRequest(f *testing.F) {
	e := &clock{now: time.Now()}
	root, rootKey, _ := fullstrict.NewCA(rand.Reader, e.now, "root", time.Hour)
	iss, issKey, _ := fullstrict.NewIssuing(rand.Reader, e.now, root, rootKey, "issuer", time.Hour)
	h, err := New(Config{Env: e, Root: root, Issuing: iss, Key: issKey, Tokens: []string{"t"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("d10:credentiald5:token1:te3:csr3:abc9:info_hash20:aaaaaaaaaaaaaaaaaaaae"))
	f.Add([]byte("d10:credentiald5:renewd5:chainl3:abce6:schemei1027e3:sig2:xxee3:csr0:9:info_hash20:aaaaaaaaaaaaaaaaaaaae"))
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/issue", strings.NewReader(string(body))))
		if rec.Code == http.StatusOK {
			t.Fatalf("issued a certificate for fuzz input %q", body)
		}
	})
}
