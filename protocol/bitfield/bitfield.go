// Package bitfield is a fixed-size set of piece indices with the BEP 3 wire
// layout (piece 0 is the high bit of the first byte).
package bitfield

import "fmt"

// Bitfield is a set of piece indices below a fixed length.
type Bitfield struct {
	bits  []byte
	n     int
	count int
}

// New returns an empty bitfield for n pieces.
func New(n int) Bitfield { return Bitfield{bits: make([]byte, (n+7)/8), n: n} }

// Full returns a bitfield with all n pieces set.
func Full(n int) Bitfield {
	b := New(n)
	for i := range n {
		b.Set(i)
	}
	return b
}

// FromWire parses a BEP 3 bitfield message body for n pieces. The spare
// bits of the last byte must be zero.
func FromWire(p []byte, n int) (Bitfield, error) {
	if len(p) != (n+7)/8 {
		return Bitfield{}, fmt.Errorf("bitfield: %d bytes for %d pieces, want %d", len(p), n, (n+7)/8)
	}
	if n%8 != 0 && p[len(p)-1]&(0xff>>(n%8)) != 0 {
		return Bitfield{}, fmt.Errorf("bitfield: spare bits set after piece %d", n-1)
	}
	b := Bitfield{bits: append([]byte(nil), p...), n: n}
	for i := range n {
		if b.Has(i) {
			b.count++
		}
	}
	return b, nil
}

// Len is the number of pieces the bitfield covers.
func (b Bitfield) Len() int { return b.n }

// Count is the number of pieces set.
func (b Bitfield) Count() int { return b.count }

// Complete reports whether every piece is set.
func (b Bitfield) Complete() bool { return b.n > 0 && b.count == b.n }

// Has reports whether piece i is set; out of range is false.
func (b Bitfield) Has(i int) bool {
	return i >= 0 && i < b.n && b.bits[i>>3]&(0x80>>(i&7)) != 0
}

// Set adds piece i and reports whether it was new.
func (b *Bitfield) Set(i int) bool {
	if i < 0 || i >= b.n || b.Has(i) {
		return false
	}
	b.bits[i>>3] |= 0x80 >> (i & 7)
	b.count++
	return true
}

// Wire returns the BEP 3 bitfield message body (a copy).
func (b Bitfield) Wire() []byte { return append([]byte(nil), b.bits...) }
