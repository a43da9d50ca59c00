// Package shape is a flow-shape rule a censor can apply to encrypted
// traffic without decrypting it: BitTorrent peers open a connection with a
// ping-pong of small messages of equal size both ways (BEP 3 handshakes,
// extension handshakes, bitfields, and for bttls the level proofs), which
// encryption that preserves sizes (RC4 in MSE, TLS records) leaves visible.
// Hjelmvik & John ("Breaking and Improving Protocol Obfuscation", 2010)
// classified MSE by such statistics. The rule is deliberately simple and
// pure, so the simulator's censor can run it and the DPI tables can report
// it.
package shape

// MaxEchoLen is the largest payload counted as a small message.
const MaxEchoLen = 300

// Threshold is how many echo pairs flag a flow.
const Threshold = 3

// EchoPairs counts adjacent pairs of payloads in opposite directions with
// the same size of at most MaxEchoLen bytes. sizes are data-segment payload
// sizes in order, positive client→server and negative server→client; zero
// entries are ignored. Each payload belongs to at most one pair.
func EchoPairs(sizes []int) int {
	var s []int
	for _, n := range sizes {
		if n != 0 {
			s = append(s, n)
		}
	}
	pairs := 0
	for i := 0; i+1 < len(s); i++ {
		a, b := s[i], s[i+1]
		if a == -b && abs(a) <= MaxEchoLen {
			pairs++
			i++
		}
	}
	return pairs
}

// Flagged reports whether the flow's opening looks like a BitTorrent
// handshake exchange: at least Threshold echo pairs.
func Flagged(sizes []int) bool { return EchoPairs(sizes) >= Threshold }

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
