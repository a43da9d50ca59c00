package fet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// pseudoRandom returns n bytes of a SHA-256 counter stream: random-looking
// (popcount ≈ 4, ~37 % printable, short printable runs) and reproducible.
func pseudoRandom(n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		s := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		out = append(out, s[:]...)
	}
	return out[:n]
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDPIClassify(t *testing.T) {
	random := pseudoRandom(96) // the size of an MSE Ya + padding
	tests := []struct {
		name    string
		in      []byte
		exempt  Exemption
		blocked bool
	}{
		{"empty payload", nil, 0, false},
		{"random bytes (MSE Ya)", random, 0, true},
		{"all zeros: popcount 0", make([]byte, 64), Ex1Popcount, false},
		{"all 0xff: popcount 8", bytes.Repeat([]byte{0xff}, 64), Ex1Popcount, false},
		// "BitTorrent protocol" is a 19-byte printable run: one short of Ex4.
		{"BitTorrent protocol string then random", append([]byte("\x13BitTorrent protocol"), random[:48]...),
			0, true},
		// A whole BEP 3 handshake: zero reserved bytes pull the popcount
		// down, and an Azureus-style peer id is printable.
		{"BitTorrent handshake", append(append([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x05"),
			random[:20]...), "-TR3000-a1b2c3d4e5f6"...), Ex1Popcount | Ex3HalfPrintable, false},
		{"HTTP GET", []byte("GET /announce?info_hash=x HTTP/1.1\r\n\r\n"),
			Ex2PrintablePrefix | Ex3HalfPrintable | Ex4PrintableRun | Ex5Fingerprint, false},
		{"TLS ClientHello header", append(mustHex(t, "160301020001"), random[:90]...),
			Ex5Fingerprint, false},
		{"TLS application data header", append(mustHex(t, "170303"), random[:90]...),
			Ex5Fingerprint, false},
		{"TLS alert is not a fingerprint", append(mustHex(t, "150303"), random[:90]...), 0, true},
		{"six printable bytes first", append([]byte("abcdef"), random[:90]...),
			Ex2PrintablePrefix, false},
		{"five printable bytes is not enough", append([]byte("abcde\x00"), random[:90]...), 0, true},
		{"run of exactly 20 printable is not enough",
			append(append([]byte{0x00}, bytes.Repeat([]byte("k"), 20)...), random[:90]...), 0, true},
		{"run of 21 printable", append(append([]byte{0x00}, bytes.Repeat([]byte("k"), 21)...), random[:90]...),
			Ex4PrintableRun, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Classify(tt.in)
			if v.Exempt != tt.exempt || v.Blocked() != tt.blocked {
				t.Errorf("Classify = %v (exempt %v, blocked %v), want exempt %v, blocked %v",
					v, v.Exempt, v.Blocked(), tt.exempt, tt.blocked)
			}
		})
	}
}

func TestDPIPopcountBoundaries(t *testing.T) {
	// 0x0f has 4 bits set, 0x07 has 3, 0x1f has 5. Mixing them sets the
	// average exactly at the thresholds; the rule is inclusive (≤, ≥).
	mix := func(a, b byte, na, nb int) []byte {
		// Non-printable bytes only, so no other rule interferes.
		return append(bytes.Repeat([]byte{a}, na), bytes.Repeat([]byte{b}, nb)...)
	}
	tests := []struct {
		name string
		in   []byte
		ex1  bool
	}{
		{"3.4 exactly", mix(0x07, 0x0f, 6, 4), true}, // (18+16)/10
		{"3.5", mix(0x07, 0x0f, 5, 5), false},        // (15+20)/10
		{"4.6 exactly", mix(0x1f, 0x0f, 6, 4), true}, // (30+16)/10
		{"4.5", mix(0x1f, 0x0f, 5, 5), false},        // (25+20)/10
		{"4.0 (random-like)", mix(0x0f, 0x0f, 5, 5), false},
	}
	for _, tt := range tests {
		v := Classify(tt.in)
		if got := v.Exempt&Ex1Popcount != 0; got != tt.ex1 {
			t.Errorf("%s: popcount %.2f, Ex1 = %v, want %v", tt.name, v.Popcount, got, tt.ex1)
		}
	}
}

func TestDPIExemptionString(t *testing.T) {
	if s := (Ex1Popcount | Ex5Fingerprint).String(); s != "Ex1+Ex5" {
		t.Errorf("String = %q", s)
	}
	if s := Exemption(0).String(); s != "none" {
		t.Errorf("String = %q", s)
	}
}

// FuzzClassify checks invariants that hold for any payload: the statistics
// are in range, and Blocked agrees with the recomputed rules.
func FuzzClassify(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x13BitTorrent protocol"))
	f.Add(pseudoRandom(96))
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x05})
	f.Fuzz(func(t *testing.T, b []byte) {
		v := Classify(b)
		if len(b) == 0 {
			if !v.Empty || v.Blocked() {
				t.Fatalf("empty payload: %+v", v)
			}
			return
		}
		if v.Popcount < 0 || v.Popcount > 8 || v.PrintableFraction < 0 || v.PrintableFraction > 1 ||
			v.LongestPrintableRun > len(b) {
			t.Fatalf("statistics out of range: %+v", v)
		}
		if v.Blocked() != (v.Exempt == 0) {
			t.Fatalf("Blocked disagrees with Exempt: %+v", v)
		}
		if (v.Exempt&Ex5Fingerprint != 0) != (isTLS(b) || isHTTP(b)) {
			t.Fatalf("Ex5 disagrees with fingerprints: %+v", v)
		}
	})
}
