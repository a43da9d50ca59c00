package tlslevel

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// scripted is a net.Conn that reads from a fixed input and records writes.
type scripted struct {
	net.Conn
	in  io.Reader
	out bytes.Buffer
}

func (s *scripted) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s *scripted) Write(p []byte) (int, error) { return s.out.Write(p) }

func TestRefuseBusy(t *testing.T) {
	hello := append([]byte{0x16, 0x03, 0x01, 0x00, 0x04}, 1, 0, 0, 0)
	c := &scripted{in: bytes.NewReader(append(hello, "next"...))}
	if err := RefuseBusy(c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.out.Bytes(), BusyAlert) || !IsBusyReply(c.out.Bytes()) {
		t.Fatalf("wrote %x, want the busy alert %x", c.out.Bytes(), BusyAlert)
	}
	rest, _ := io.ReadAll(c.in)
	if string(rest) != "next" {
		t.Fatalf("read beyond the ClientHello record: %q left", rest)
	}
	for name, in := range map[string][]byte{
		"short header":   {0x16, 0x03},
		"not handshake":  {0x17, 0x03, 0x03, 0x00, 0x01, 0x00},
		"record too big": {0x16, 0x03, 0x01, 0x40, 0x01},
		"short body":     {0x16, 0x03, 0x01, 0x00, 0x10, 0x01},
	} {
		c := &scripted{in: bytes.NewReader(in)}
		if err := RefuseBusy(c); err == nil {
			t.Errorf("%s: no error", name)
		}
		if c.out.Len() != 0 {
			t.Errorf("%s: answered %x to a bad opening", name, c.out.Bytes())
		}
	}
	for _, other := range [][]byte{
		{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40}, // handshake_failure
		{0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 80}, // a warning, not fatal
		{0x16, 0x03, 0x03, 0x00, 0x02, 0x02, 80}, // not an alert record
		BusyAlert[:6],
	} {
		if IsBusyReply(other) {
			t.Errorf("%x taken for the busy alert", other)
		}
	}
	if !IsBusyReply([]byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 80}) {
		t.Error("a busy alert with record version 3.1 not recognised")
	}
}

// FuzzRefuseBusy: whatever a full peer reads, RefuseBusy neither panics nor
// reads past the first record, and it answers with exactly the busy alert
// or not at all.
func FuzzRefuseBusy(f *testing.F) {
	f.Add(append([]byte{0x16, 0x03, 0x01, 0x00, 0x02}, 1, 0))
	f.Add([]byte{0x16, 0x03, 0x01, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		c := &scripted{in: r}
		err := RefuseBusy(c)
		if err == nil && !bytes.Equal(c.out.Bytes(), BusyAlert) {
			t.Fatalf("no error, wrote %x", c.out.Bytes())
		}
		if err != nil && c.out.Len() != 0 {
			t.Fatalf("error %v after writing %x", err, c.out.Bytes())
		}
		if err == nil {
			n := 5 + (int(in[3])<<8 | int(in[4]))
			if consumed := len(in) - r.Len(); consumed != n {
				t.Fatalf("read %d bytes of a %d-byte record", consumed, n)
			}
		}
		IsBusyReply(in)
	})
}
