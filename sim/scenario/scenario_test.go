package scenario

import (
	"os"
	"strings"
	"testing"
	"time"
)

const minimal = `
[torrent]
size = "1MiB"
[swarm]
peers = 10
[[class]]
fraction = 1.0
up = "1Mbit"
`

func TestDefaultScenarioLoads(t *testing.T) {
	sc, err := Load("../../scenarios/default.toml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Swarm.Peers < 500 || sc.Torrent.Size/sc.Torrent.PieceSize < 64 || len(sc.Classes) != 3 || len(sc.Mix) < 2 {
		t.Fatalf("unexpected default scenario: %+v", sc)
	}
}

func TestEveryScenarioLoads(t *testing.T) {
	files, _ := os.ReadDir("../../scenarios")
	for _, f := range files {
		if strings.HasSuffix(f.Name(), ".toml") {
			if _, err := Load("../../scenarios/" + f.Name()); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestMinimalDefaults(t *testing.T) {
	sc, err := Parse("min.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "min" || sc.Swarm.Seeders != 1 || sc.Swarm.MaxConns != 30 || sc.Arrival.Process != "flash" ||
		sc.Classes[0].Up != 125000 || sc.Classes[0].Latency != 20*time.Millisecond || sc.Mix[0].Transport != "plain" ||
		sc.Swarm.RecordSize != DefaultRecordSize {
		t.Fatalf("defaults not applied: %+v", sc)
	}
}

func TestErrorsNameKeyAndLine(t *testing.T) {
	const torrent = "[torrent]\nsize = \"1MiB\"\n"              // lines 1-2
	const class = "[[class]]\nfraction = 1.0\nup = \"1Mbit\"\n" // 3 lines
	const swarm = "[swarm]\npeers = 10\n"                       // 2 lines
	tests := []struct {
		name, file, want string
	}{
		{"unknown key", torrent + swarm + "bogus = 3\n" + class, "x.toml:5: swarm.bogus: unknown key"},
		{"bad rate", torrent + swarm + "[[class]]\nfraction = 1.0\nup = \"fast\"\n", "x.toml:7: class.up: rate \"fast\""},
		{"bad size", "[torrent]\nsize = \"lots\"\n" + swarm + class, "x.toml:2: torrent.size: size \"lots\""},
		{"missing size", "[torrent]\n" + swarm + class, "torrent.size: missing"},
		{"piece not power of two", torrent + "piece_size = \"100KiB\"\n" + swarm + class, "x.toml:3: torrent.piece_size: must be a power of two"},
		{"zero peers", torrent + "[swarm]\npeers = 0\n" + class, "x.toml:4: swarm.peers: must be between"},
		{"fractions", torrent + swarm + "[[class]]\nfraction = 0.5\n", "class fractions sum to 0.5"},
		{"no class", torrent + swarm, "at least one [[class]]"},
		{"arrival", torrent + swarm + class + "[arrival]\nprocess = \"burst\"\n", "x.toml:9: arrival.process: must be"},
		{"poisson without rate", torrent + swarm + class + "[arrival]\nprocess = \"poisson\"\n", "arrival.rate: poisson arrivals need a positive rate"},
		{"mix transport", torrent + swarm + class + "[[mix]]\ntransport = \"quic\"\nfraction = 1.0\n", "x.toml:9: mix.transport: must be one of"},
		{"syntax", torrent + "[swarm\npeers = 1\n", "to end table name"},
		{"wrong type", torrent + "[swarm]\npeers = \"many\"\n" + class, "x.toml"},
		{"bad duration", "duration = \"forever\"\n" + torrent + swarm + class, "x.toml:1: duration: duration \"forever\""},
		{"after complete", torrent + swarm + "after_complete = \"vanish\"\n" + class, "x.toml:5: swarm.after_complete: must be"},
		{"seeder class", torrent + swarm + "seeder_class = \"nope\"\n" + class, "no [[class]] named \"nope\""},
		{"record size too large", torrent + swarm + "record_size = \"32KiB\"\n" + class, "x.toml:5: swarm.record_size: must be from 512B to 16KiB"},
		{"record size not a size", torrent + swarm + "record_size = \"big\"\n" + class, "x.toml:5: swarm.record_size: size \"big\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.toml", []byte(tc.file))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to contain %q\nfile:\n%s", err, tc.want, tc.file)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	rates := map[string]int64{"10Mbit": 1250000, "1.5Mbit/s": 187500, "512KiB/s": 524288, "2MB/s": 2e6, "0": 0, "unlimited": 0, "800kbit": 100000}
	for s, want := range rates {
		if got, err := ParseRate(s); err != nil || int64(got) != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	sizes := map[string]int64{"4MiB": 4 << 20, "256KiB": 256 << 10, "1GB": 1e9, "16384": 16384, "10 B": 10}
	for s, want := range sizes {
		if got, err := ParseSize(s); err != nil || int64(got) != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1MiB", "MiB", "1XB", "NaN"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}

func TestAssign(t *testing.T) {
	tests := []struct {
		n    int
		f    []float64
		want []int
	}{
		{10, []float64{0.5, 0.5}, []int{5, 5}},
		{10, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, []int{4, 3, 3}},
		{7, []float64{0, 0.6, 0.4}, []int{0, 4, 3}},
		{1, []float64{0.2, 0.8}, []int{0, 1}},
	}
	for _, tc := range tests {
		got := Assign(tc.n, tc.f)
		if len(got) != len(tc.want) {
			t.Fatalf("Assign(%d, %v) = %v", tc.n, tc.f, got)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("Assign(%d, %v) = %v, want %v", tc.n, tc.f, got, tc.want)
				break
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	if b, err := os.ReadFile("../../scenarios/default.toml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("[torrent]\nsize=\"1e30GB\""))
	if b, err := os.ReadFile("../../scenarios/studies/levels.toml"); err == nil {
		f.Add(b) // not a scenario as it stands (its [sweep] table), but its other keys are
	}
	f.Add([]byte(minimal + "[[mix]]\ntransport = \"tls\"\npin = false\nhints = true\nfraction = 1.0\n[issuer]\nhost = \"issuer\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "scenario: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if sc.Swarm.Peers < 1 || sc.Torrent.Size < 1 || len(sc.Classes) == 0 || len(sc.Mix) == 0 {
			t.Fatalf("accepted an incomplete scenario: %+v", sc)
		}
	})
}
