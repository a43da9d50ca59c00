package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/issuer"
	"github.com/bttls/bttls/protocol/tracker"
)

// issuerOptions are `bttls tracker`'s certificate-issuance flags.
type issuerOptions struct {
	dir    string
	tokens string
	valid  time.Duration
}

// addIssuerFlags registers --issue, --issue-tokens and --issue-valid.
func addIssuerFlags(fs *pflag.FlagSet) *issuerOptions {
	o := &issuerOptions{}
	fs.StringVar(&o.dir, "issue", "", `also issue Full Strict peer certificates at /issue, signed with DIR/issuing.pem
and issuing.key (from 'bttls ca init DIR'; the root's ca.key is not needed and
should stay offline)`)
	fs.StringVar(&o.tokens, "issue-tokens", "", "file of member tokens, one per line, that may get certificates (with --issue)")
	fs.DurationVar(&o.valid, "issue-valid", fullstrict.DefaultPeerValidity, "lifetime of issued peer certificates (at most 168h)")
	return o
}

// mount adds the issuer to srv when --issue was given and returns the path
// it serves ("" when issuance is off).
func (o *issuerOptions) mount(e env.Env, srv *tracker.Server, logf func(string, ...any)) (string, error) {
	if o.dir == "" {
		return "", nil
	}
	h, err := o.handler(e, logf)
	if err != nil {
		return "", err
	}
	srv.Handle("/issue", h)
	return "/issue", nil
}

func (o *issuerOptions) handler(e env.Env, logf func(string, ...any)) (*issuer.Handler, error) {
	root, err := os.ReadFile(filepath.Join(o.dir, "ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("--issue: %w", err)
	}
	ca, err := fullstrict.ParseCertPEM(root)
	if err != nil {
		return nil, fmt.Errorf("--issue: ca.pem: %w", err)
	}
	iss, err := fullstrict.LoadIdentity(filepath.Join(o.dir, "issuing.pem"), filepath.Join(o.dir, "issuing.key"))
	if err != nil {
		return nil, fmt.Errorf("--issue: %w", err)
	}
	if o.tokens == "" {
		return nil, fmt.Errorf("--issue needs --issue-tokens FILE (the members' tokens)")
	}
	toks, err := readTokens(o.tokens)
	if err != nil {
		return nil, err
	}
	return issuer.New(issuer.Config{Env: e, Root: ca, Issuing: iss.Leaf, Key: iss.Key, Tokens: toks, Validity: o.valid, Logf: logf})
}

func readTokens(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--issue-tokens: %w", err)
	}
	defer f.Close()
	var toks []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" && !strings.HasPrefix(t, "#") {
			toks = append(toks, t)
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("--issue-tokens: %s holds no tokens", path)
	}
	return toks, sc.Err()
}
