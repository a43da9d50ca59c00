package pcap

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// writer builds a pcap file of Ethernet/IPv4/TCP frames, as tcpdump on
// Linux loopback writes them.
type writer struct {
	buf bytes.Buffer
	t   time.Time
}

func newWriter() *writer {
	w := &writer{t: time.Unix(1700000000, 0)}
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], magicMicro)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], LinkEthernet)
	w.buf.Write(h)
	return w
}

func (w *writer) tcp(src, dst netip.AddrPort, seq uint32, flags uint8, payload string) {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4
	tcp[13] = flags
	tcp = append(tcp, payload...)
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
	ip[8], ip[9] = 64, 6
	s, d := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	frame := append(make([]byte, 12), 0x08, 0x00)
	frame = append(append(frame, ip...), tcp...)
	rec := make([]byte, 16)
	w.t = w.t.Add(time.Millisecond)
	binary.LittleEndian.PutUint32(rec[0:], uint32(w.t.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(w.t.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
	w.buf.Write(rec)
	w.buf.Write(frame)
}

var (
	cli = netip.MustParseAddrPort("127.0.0.1:40000")
	srv = netip.MustParseAddrPort("127.0.0.1:6881")
)

func sampleCapture() []byte {
	w := newWriter()
	w.tcp(cli, srv, 99, FlagSYN, "")
	w.tcp(srv, cli, 499, FlagSYN|FlagACK, "")
	w.tcp(cli, srv, 100, FlagACK, "")
	w.tcp(cli, srv, 100, FlagACK, "hello ")
	w.tcp(cli, srv, 111, FlagACK, "!")      // out of order
	w.tcp(cli, srv, 106, FlagACK, "world")  // fills the hole
	w.tcp(cli, srv, 100, FlagACK, "hello ") // retransmission
	w.tcp(srv, cli, 500, FlagACK, "reply")
	w.tcp(cli, srv, 112, FlagFIN|FlagACK, "")
	// A second connection reusing the same ports after the FIN.
	w.tcp(cli, srv, 7, FlagSYN, "")
	w.tcp(cli, srv, 8, FlagACK, "again")
	return w.buf.Bytes()
}

func TestDPIPcapFlows(t *testing.T) {
	f, err := Parse(sampleCapture())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Packets) != 11 {
		t.Fatalf("%d packets, want 11", len(f.Packets))
	}
	flows, err := f.Flows()
	if err != nil {
		t.Fatal(err)
	}
	if len(flows) != 2 {
		t.Fatalf("%d flows, want 2", len(flows))
	}
	fl := flows[0]
	if fl.Client != cli || fl.Server != srv {
		t.Errorf("flow %v, want client %v", fl, cli)
	}
	if got := string(fl.ClientStream); got != "hello world!" {
		t.Errorf("client stream %q", got)
	}
	if got := string(fl.ServerStream); got != "reply" {
		t.Errorf("server stream %q", got)
	}
	if got := string(fl.FirstClientPayload()); got != "hello " {
		t.Errorf("first payload %q", got)
	}
	if got := string(flows[1].ClientStream); got != "again" {
		t.Errorf("second flow stream %q", got)
	}
}

func TestDPIPcapHole(t *testing.T) {
	w := newWriter()
	w.tcp(cli, srv, 0, FlagSYN, "")
	w.tcp(cli, srv, 1, FlagACK, "abc")
	w.tcp(cli, srv, 10, FlagACK, "xyz") // bytes 4–9 were never captured
	f, _ := Parse(w.buf.Bytes())
	flows, err := f.Flows()
	if err != nil || len(flows) != 1 || string(flows[0].ClientStream) != "abc" {
		t.Fatalf("flows %v err %v", flows, err)
	}
}

func TestDPIPcapErrors(t *testing.T) {
	good := sampleCapture()
	tests := map[string][]byte{
		"empty":            nil,
		"pcapng":           append([]byte{0x0a, 0x0d, 0x0d, 0x0a}, make([]byte, 40)...),
		"truncated record": good[:len(good)-3],
		"truncated header": good[:24+10],
		"huge record length": func() []byte {
			b := append([]byte{}, good[:24+16]...)
			binary.LittleEndian.PutUint32(b[24+8:], 1<<30)
			return b
		}(),
	}
	for name, in := range tests {
		if _, err := Parse(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sampleCapture())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		pf, err := Parse(b)
		if err != nil {
			return
		}
		flows, err := pf.Flows()
		if err != nil {
			return
		}
		for _, fl := range flows {
			total := 0
			for _, s := range fl.Segments {
				if s.FromClient {
					total += len(s.Payload)
				}
			}
			if len(fl.ClientStream) > total {
				t.Fatalf("reassembled %d client bytes from %d captured", len(fl.ClientStream), total)
			}
		}
	})
}
