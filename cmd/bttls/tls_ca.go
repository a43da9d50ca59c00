package main

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/issuer"
	"github.com/bttls/bttls/protocol/meta"
)

func init() {
	register(cli.Command{
		Name:    "ca",
		Summary: "Full Strict swarm CAs: make one, make a torrent Full Strict, issue and fetch peer certificates",
		Run:     runCA,
	})
}

const caHelp = `usage: bttls ca init DIR [--name NAME]
       bttls ca torrent IN.torrent -o OUT.torrent --ca DIR/ca.pem [--modes 1,2]
       bttls ca issue DIR --out PREFIX [--valid 24h]
       bttls ca cert --issuer URL --token TOKEN --torrent X.torrent --out PREFIX
       bttls ca cert --issuer URL --renew --torrent X.torrent --out PREFIX

A Full Strict torrent names a swarm CA; every peer holds a short-lived
certificate chaining to it, and peers verify each other's.

  init     makes DIR/ca.pem + ca.key (the root: keep ca.key offline) and
           DIR/issuing.pem + issuing.key (signed by the root, may only sign
           peer certificates; give it to the issuer, e.g. 'bttls tracker').
  torrent  puts DIR/ca.pem into a torrent's info dict ("ssl-cert", as
           libtorrent's SSL torrents) with the modes it allows: 1 is
           libtorrent-compatible (the infohash is in the TLS SNI), 2 leaks
           nothing. The infohash changes; the pieces do not.
  issue    makes a key and a peer certificate signed by DIR/issuing.key,
           written to PREFIX.pem (chain) and PREFIX.key — for peers run by
           the CA's holder, or for libtorrent peers.
  cert     makes a key here, sends only a certificate request to an issuer,
           and writes the returned chain to PREFIX.pem and the key to
           PREFIX.key (the key never leaves this machine). With --renew it
           proves possession of the current PREFIX.pem/PREFIX.key instead of
           a token and replaces them with a fresh certificate for the same
           key (run it before half the lifetime has passed).

Then: bttls seed|get X.torrent ... --tls-cert PREFIX.pem --tls-key PREFIX.key

flags:
`

func runCA(args []string) int {
	fs := pflag.NewFlagSet("ca", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, caHelp)
		fs.PrintDefaults()
	}
	name := fs.String("name", "bttls swarm", "init: the CA's common name")
	out := fs.StringP("output", "o", "", "torrent: where to write the Full Strict .torrent")
	caPath := fs.String("ca", "", "torrent: the swarm CA certificate (PEM)")
	modes := fs.String("modes", "1,2", "torrent: the wire modes allowed, 1 and/or 2")
	prefix := fs.String("out", "", "issue, cert: write PREFIX.pem and PREFIX.key")
	valid := fs.Duration("valid", fullstrict.DefaultPeerValidity, "issue: peer certificate lifetime (at most 168h)")
	issuerURL := fs.String("issuer", "", "cert: the issuer's URL (a tracker's /issue)")
	token := fs.String("token", "", "cert: the token the swarm's operator gave you")
	torrent := fs.String("torrent", "", "cert: the Full Strict torrent the certificate is for")
	renew := fs.Bool("renew", false, "cert: renew PREFIX.pem with its own key instead of using a token")
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fs.Usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "bttls ca: %v\n", err)
		return 2
	}
	var err error
	switch args[0] {
	case "init":
		if fs.NArg() != 1 {
			err = errors.New("init wants one DIR")
			break
		}
		err = caInit(fs.Arg(0), *name)
	case "torrent":
		if fs.NArg() != 1 || *out == "" || *caPath == "" {
			err = errors.New("torrent wants IN.torrent, -o OUT.torrent and --ca CA.pem")
			break
		}
		err = caTorrent(fs.Arg(0), *out, *caPath, *modes)
	case "issue":
		if fs.NArg() != 1 || *prefix == "" {
			err = errors.New("issue wants DIR and --out PREFIX")
			break
		}
		err = caIssue(fs.Arg(0), *prefix, *valid)
	case "cert":
		if *issuerURL == "" || (*token == "") == !*renew || *torrent == "" || *prefix == "" {
			err = errors.New("cert wants --issuer, --torrent, --out, and --token or --renew")
			break
		}
		err = caCert(*issuerURL, *token, *renew, *torrent, *prefix)
	default:
		err = fmt.Errorf("unknown action %q (init, torrent, issue, cert)", args[0])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bttls ca: %v\n", err)
		return 1
	}
	return 0
}

func writeKeyPair(prefix string, chain [][]byte, key crypto.Signer) error {
	kp, err := fullstrict.PEMKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(prefix+".key", kp, 0o600); err != nil {
		return err
	}
	return os.WriteFile(prefix+".pem", fullstrict.PEMChain(chain), 0o644)
}

func caInit(dir, name string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	root, rootKey, err := fullstrict.NewCA(rand.Reader, now, name, 10*365*24*time.Hour)
	if err != nil {
		return err
	}
	iss, issKey, err := fullstrict.NewIssuing(rand.Reader, now, root, rootKey, name+" issuer", 365*24*time.Hour)
	if err != nil {
		return err
	}
	if err := writeKeyPair(filepath.Join(dir, "ca"), [][]byte{root.Raw}, rootKey); err != nil {
		return err
	}
	if err := writeKeyPair(filepath.Join(dir, "issuing"), [][]byte{iss.Raw}, issKey); err != nil {
		return err
	}
	fmt.Printf("wrote %s/ca.pem, ca.key (root: keep ca.key offline), issuing.pem, issuing.key (for the issuer)\n", dir)
	return nil
}

func caTorrent(in, out, caPath, modes string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	caPEM, err := os.ReadFile(caPath)
	if err != nil {
		return err
	}
	ms, err := parseModes(modes)
	if err != nil {
		return err
	}
	fsRaw, err := fullstrict.MakeTorrent(raw, caPEM, ms)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, fsRaw, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (full strict, modes %s)\n", out, modes)
	return nil
}

func caIssue(dir, prefix string, valid time.Duration) error {
	iss, err := fullstrict.LoadIdentity(filepath.Join(dir, "issuing.pem"), filepath.Join(dir, "issuing.key"))
	if err != nil {
		return err
	}
	key, err := fullstrict.NewKey(rand.Reader)
	if err != nil {
		return err
	}
	csr, err := fullstrict.NewCSR(rand.Reader, key)
	if err != nil {
		return err
	}
	leaf, err := fullstrict.IssueLeaf(rand.Reader, time.Now(), csr, iss.Leaf, iss.Key, valid)
	if err != nil {
		return err
	}
	if err := writeKeyPair(prefix, [][]byte{leaf, iss.Leaf.Raw}, key); err != nil {
		return err
	}
	fmt.Printf("wrote %s.pem (peer certificate, valid %v, and the issuing certificate) and %s.key\n", prefix, valid, prefix)
	return nil
}

func caCert(issuerURL, token string, renew bool, torrentPath, prefix string) error {
	t, err := meta.Load(torrentPath)
	if err != nil {
		return err
	}
	swarm, err := fullstrict.FromInfo(t.InfoBytes, t.Name, t.InfoHash, [32]byte{})
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	var id *fullstrict.Identity
	if renew {
		cur, err := fullstrict.LoadIdentity(prefix+".pem", prefix+".key")
		if err != nil {
			return err
		}
		if id, _, err = issuer.FetchRenewal(client, issuerURL, t.InfoHash, cur, swarm.CA, rand.Reader); err != nil {
			return err
		}
	} else {
		key, err := fullstrict.NewKey(rand.Reader)
		if err != nil {
			return err
		}
		if id, _, err = issuer.Fetch(client, issuerURL, t.InfoHash, key, issuer.Credential{Token: token}, swarm.CA, rand.Reader); err != nil {
			return err
		}
	}
	if err := writeKeyPair(prefix, id.Chain, id.Key); err != nil {
		return err
	}
	fmt.Printf("wrote %s.pem (valid until %s) and %s.key (made here; only a certificate request was sent)\n", prefix, id.Leaf.NotAfter.Format(time.RFC3339), prefix)
	return nil
}
