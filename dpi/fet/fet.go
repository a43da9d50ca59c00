// Package fet implements the exemption rules by which the Great Firewall of
// China decides whether a TCP flow is "fully encrypted" and thus subject to
// blocking, as measured and published by Wu et al., "How the Great Firewall
// of China Detects and Blocks Fully Encrypted Traffic" (USENIX Security 2023),
// Algorithm 1.
//
// The censor looks only at the client's first TCP payload. A flow is exempt
// (let through) if any one rule holds; a flow with no exemption is a
// candidate for blocking. The paper observed blocking of about a quarter of
// such candidates (BlockRate), on some server ranges only; the rules here say
// whether a flow is a candidate, the caller (the simulator's censor
// middlebox, the DPI harness) decides what to do with one.
//
// Classify is a pure function: no clock, no randomness, no allocation beyond
// its result, so the simulator can run it on every flow it carries.
package fet

import (
	"fmt"
	"math/bits"
	"strings"
)

// BlockRate is the fraction of non-exempt connections the paper saw blocked
// (about 26 %, Section 4). A censor model that wants the measured behaviour
// blocks a candidate flow with this probability, drawn from its own seeded
// source.
const BlockRate = 0.26

// Exemption is a set of the paper's exemption rules, one bit per rule.
type Exemption uint8

const (
	// Ex1Popcount: the average number of set bits per byte is ≤ 3.4 or
	// ≥ 4.6 (random data averages 4).
	Ex1Popcount Exemption = 1 << iota
	// Ex2PrintablePrefix: the first 6 bytes are all printable ASCII.
	Ex2PrintablePrefix
	// Ex3HalfPrintable: more than 50 % of the bytes are printable ASCII.
	Ex3HalfPrintable
	// Ex4PrintableRun: more than 20 contiguous bytes are printable ASCII.
	Ex4PrintableRun
	// Ex5Fingerprint: the first bytes match a TLS record or an HTTP request.
	Ex5Fingerprint
)

// Thresholds of Algorithm 1.
const (
	popcountLow       = 3.4
	popcountHigh      = 4.6
	printablePrefix   = 6
	printableFraction = 0.5
	printableRun      = 20
)

var exemptionNames = [...]string{"Ex1", "Ex2", "Ex3", "Ex4", "Ex5"}

// String lists the rules in e, e.g. "Ex1+Ex5", or "none".
func (e Exemption) String() string {
	var parts []string
	for i, n := range exemptionNames {
		if e&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// Verdict is what the rules say about one flow's first client payload.
type Verdict struct {
	// Exempt is the set of rules that let the flow through.
	Exempt Exemption
	// Empty is true when there was no payload: the rules do not apply (the
	// censor waits for data), so the flow is neither exempt nor blocked.
	Empty bool
	// Popcount is the average number of set bits per byte.
	Popcount float64
	// PrintableFraction is the fraction of bytes in 0x20–0x7e.
	PrintableFraction float64
	// LongestPrintableRun is the longest run of contiguous printable bytes.
	LongestPrintableRun int
}

// Blocked reports whether the flow is a blocking candidate: it carried data
// and no exemption holds.
func (v Verdict) Blocked() bool { return !v.Empty && v.Exempt == 0 }

// String summarises the verdict for tables and logs.
func (v Verdict) String() string {
	if v.Empty {
		return "no payload"
	}
	state := "exempt " + v.Exempt.String()
	if v.Blocked() {
		state = "BLOCKED (fully encrypted)"
	}
	return fmt.Sprintf("%s (popcount %.2f, printable %.0f%%, run %d)",
		state, v.Popcount, 100*v.PrintableFraction, v.LongestPrintableRun)
}

func printable(b byte) bool { return b >= 0x20 && b <= 0x7e }

// Classify applies the exemption rules to the client's first TCP payload.
func Classify(first []byte) Verdict {
	if len(first) == 0 {
		return Verdict{Empty: true}
	}
	var v Verdict
	ones, nprint, run := 0, 0, 0
	for _, b := range first {
		ones += bits.OnesCount8(b)
		if printable(b) {
			nprint++
			run++
			v.LongestPrintableRun = max(v.LongestPrintableRun, run)
		} else {
			run = 0
		}
	}
	n := float64(len(first))
	v.Popcount = float64(ones) / n
	v.PrintableFraction = float64(nprint) / n

	if v.Popcount <= popcountLow || v.Popcount >= popcountHigh {
		v.Exempt |= Ex1Popcount
	}
	if len(first) >= printablePrefix && allPrintable(first[:printablePrefix]) {
		v.Exempt |= Ex2PrintablePrefix
	}
	if v.PrintableFraction > printableFraction {
		v.Exempt |= Ex3HalfPrintable
	}
	if v.LongestPrintableRun > printableRun {
		v.Exempt |= Ex4PrintableRun
	}
	if isTLS(first) || isHTTP(first) {
		v.Exempt |= Ex5Fingerprint
	}
	return v
}

func allPrintable(b []byte) bool {
	for _, c := range b {
		if !printable(c) {
			return false
		}
	}
	return true
}

// isTLS matches the paper's TLS fingerprint: a record header whose content
// type is handshake or application data, [\x16-\x17]\x03[\x00-\x09].
func isTLS(b []byte) bool {
	return len(b) >= 3 && (b[0] == 0x16 || b[0] == 0x17) && b[1] == 0x03 && b[2] <= 0x09
}

// httpMethods are the request prefixes the paper's HTTP fingerprint matches.
var httpMethods = []string{"GET ", "PUT ", "POST ", "HEAD "}

func isHTTP(b []byte) bool {
	for _, m := range httpMethods {
		if strings.HasPrefix(string(b), m) {
			return true
		}
	}
	return false
}
