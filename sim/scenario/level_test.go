package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestLevelKeys(t *testing.T) {
	tests := []struct {
		name, extra string
		check       func(*Scenario) bool
	}{
		{"defaults", "", func(sc *Scenario) bool {
			return sc.Torrent.Level == "basic" && sc.Swarm.SeederTransport == "plain" && sc.Swarm.SeederPolicy == "prefer" &&
				sc.Mix[0].Pin && sc.Mix[0].Hints == HintsTLS && sc.Issuer.Host == "tracker" && sc.Issuer.Validity == 24*time.Hour && sc.Issuer.Retry == 10*time.Second
		}},
		{"basic seeder follows a TLS mix", "[[mix]]\ntransport = \"tls\"\nfraction = 1.0\n", func(sc *Scenario) bool {
			return sc.Swarm.SeederTransport == "tls-basic"
		}},
		{"no TLS leecher, no TLS seeder", "[[mix]]\ntransport = \"tls-basic\"\nfraction = 0.0\n[[mix]]\ntransport = \"legacy\"\nfraction = 1.0\n", func(sc *Scenario) bool {
			return sc.Swarm.SeederTransport == "plain"
		}},
		{"strict seeder", "[[mix]]\ntransport = \"legacy\"\nfraction = 1.0\n", func(sc *Scenario) bool {
			return sc.Torrent.Level == "strict" && sc.Swarm.SeederTransport == "tls-strict"
		}},
		{"per-mix pin and hints", "[[mix]]\ntransport = \"tls-basic\"\npin = false\nhints = true\nfraction = 0.5\n[[mix]]\ntransport = \"tls\"\nhints = false\nfraction = 0.5\n", func(sc *Scenario) bool {
			return !sc.Mix[0].Pin && sc.Mix[0].Hints == HintsAll && sc.Mix[1].Pin && sc.Mix[1].Hints == HintsNone
		}},
		{"seeder transport and policy", "[swarm]\npeers = 4\nseeder_transport = \"legacy\"\nseeder_policy = \"off\"\n", func(sc *Scenario) bool {
			return sc.Swarm.SeederTransport == "legacy" && sc.Swarm.SeederPolicy == "off"
		}},
		{"issuer", "[issuer]\nhost = \"issuer\"\nvalidity = \"2h\"\nretry = \"5s\"\n", func(sc *Scenario) bool {
			return sc.Issuer.Host == "issuer" && sc.Issuer.Validity == 2*time.Hour && sc.Issuer.Retry == 5*time.Second
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			torrent := "[torrent]\nsize = \"1MiB\"\n"
			if strings.HasPrefix(tc.name, "strict") {
				torrent += "level = \"strict\"\n"
			}
			swarm := "[swarm]\npeers = 4\n"
			if strings.Contains(tc.extra, "[swarm]") {
				swarm = ""
			}
			sc, err := Parse("l.toml", []byte(torrent+swarm+"[[class]]\nfraction = 1.0\n"+tc.extra))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(sc) {
				t.Fatalf("keys not applied: torrent %+v swarm %+v mix %+v issuer %+v", sc.Torrent, sc.Swarm, sc.Mix, sc.Issuer)
			}
		})
	}
}

func TestLevelErrorsNameTheKey(t *testing.T) {
	base := func(level string) string {
		return "[torrent]\nsize = \"1MiB\"\nlevel = \"" + level + "\"\n[swarm]\npeers = 4\n[[class]]\nfraction = 1.0\n" // lines 1-7
	}
	tests := []struct {
		name, file, want string
	}{
		{"unknown level", base("paranoid"), "l.toml:3: torrent.level: must be one of basic, strict, fullstrict, not \"paranoid\""},
		{"peer names another level", base("basic") + "[[mix]]\ntransport = \"tls-strict\"\nfraction = 1.0\n", "l.toml:9: mix.transport: \"tls-strict\" names level strict, but the torrent's level is basic"},
		{"basic peer in a strict torrent", base("strict") + "[[mix]]\ntransport = \"tls-basic\"\nfraction = 1.0\n", "mix.transport: \"tls-basic\" names level basic, but the torrent's level is strict"},
		{"unknown transport", base("basic") + "[[mix]]\ntransport = \"tls-extreme\"\nfraction = 1.0\n", "mix.transport: must be one of"},
		{"pin not a boolean", base("basic") + "[[mix]]\ntransport = \"tls\"\npin = \"yes\"\nfraction = 1.0\n", "l.toml"},
		{"seeder transport", "[torrent]\nsize = \"1MiB\"\n[swarm]\npeers = 4\nseeder_transport = \"bittorrent\"\n[[class]]\nfraction = 1.0\n", "l.toml:5: swarm.seeder_transport: must be one of"},
		{"seeder level", "[torrent]\nsize = \"1MiB\"\nlevel = \"fullstrict\"\n[swarm]\npeers = 4\nseeder_transport = \"tls-strict\"\n[[class]]\nfraction = 1.0\n", "l.toml:6: swarm.seeder_transport: \"tls-strict\" names level strict"},
		{"seeder policy", "[torrent]\nsize = \"1MiB\"\n[swarm]\npeers = 4\nseeder_policy = \"always\"\n[[class]]\nfraction = 1.0\n", "l.toml:5: swarm.seeder_policy: must be one of off, prefer, require, not \"always\""},
		{"issuer host", base("fullstrict") + "[issuer]\nhost = \"ca\"\n", "l.toml:9: issuer.host: must be \"tracker\""},
		{"issuer validity not a duration", base("fullstrict") + "[issuer]\nvalidity = \"30d\"\n", "issuer.validity: duration \"30d\""},
		{"issuer validity over a week", base("fullstrict") + "[issuer]\nvalidity = \"200h\"\n", "l.toml:9: issuer.validity: must be from 2m to 168h0m0s"},
		{"issuer validity shorter than the run", "duration = \"2h\"\n" + base("fullstrict") + "[issuer]\nvalidity = \"1h\"\n", "l.toml:10: issuer.validity: 1h0m0s is shorter than the run (duration 2h0m0s)"},
		{"issuer retry", base("fullstrict") + "[issuer]\nretry = \"10ms\"\n", "l.toml:9: issuer.retry: must be at least 1s"},
		{"unknown issuer key", base("fullstrict") + "[issuer]\ntokens = 3\n", "issuer.tokens: unknown key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("l.toml", []byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to contain %q\nfile:\n%s", err, tc.want, tc.file)
			}
		})
	}
	// A short run needs no renewal, and other levels ignore the issuer.
	for _, f := range []string{"duration = \"2h\"\n" + base("strict") + "[issuer]\nvalidity = \"1h\"\n", base("fullstrict") + "[issuer]\nvalidity = \"1h\"\n"} {
		if _, err := Parse("l.toml", []byte(f)); err != nil {
			t.Errorf("%v\nfile:\n%s", err, f)
		}
	}
}
