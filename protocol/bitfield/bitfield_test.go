package bitfield

import "testing"

func TestBitfield(t *testing.T) {
	b := New(10)
	if !b.Set(0) || !b.Set(9) || b.Set(9) || b.Set(10) || b.Set(-1) {
		t.Fatal("Set results wrong")
	}
	if w := b.Wire(); len(w) != 2 || w[0] != 0x80 || w[1] != 0x40 {
		t.Fatalf("wire %x", w)
	}
	c, err := FromWire(b.Wire(), 10)
	if err != nil || c.Count() != 2 || !c.Has(9) || c.Has(8) {
		t.Fatalf("FromWire: %v %v", c, err)
	}
	if _, err := FromWire([]byte{0, 0x20}, 10); err == nil {
		t.Error("spare bit accepted")
	}
	if _, err := FromWire([]byte{0}, 10); err == nil {
		t.Error("short bitfield accepted")
	}
	if !Full(10).Complete() || New(10).Complete() {
		t.Error("Complete wrong")
	}
}
