// Package pcap reads the classic libpcap capture files tcpdump writes and
// reassembles the TCP connections in them, so the DPI harness can look at
// exactly what a censor on the path would see: each flow's first client
// payload, its ClientHello, the byte streams both ways, packet sizes and
// timing. It knows the link types tcpdump uses on Linux loopback.
package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Link types (tcpdump.org/linktypes.html).
const (
	LinkEthernet  = 1   // DLT_EN10MB: Linux "lo" with zero MAC addresses
	LinkRaw       = 101 // raw IPv4/IPv6
	LinkLinuxSLL  = 113 // Linux cooked capture v1 ("-i any")
	LinkLinuxSLL2 = 276 // Linux cooked capture v2
)

const (
	magicMicro = 0xa1b2c3d4
	magicNano  = 0xa1b23c4d
	// maxSnap bounds one record, so a corrupt length cannot make us allocate
	// gigabytes.
	maxSnap = 1 << 20
)

// Packet is one captured frame.
type Packet struct {
	Time time.Time
	// Data is the captured bytes starting at the link-layer header.
	Data []byte
}

// File is a parsed capture.
type File struct {
	LinkType uint32
	Packets  []Packet
}

// Parse reads a whole pcap file from memory.
func Parse(b []byte) (*File, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("pcap: file of %d bytes is shorter than the 24-byte header", len(b))
	}
	var order binary.ByteOrder
	var nano bool
	switch {
	case binary.LittleEndian.Uint32(b) == magicMicro:
		order = binary.LittleEndian
	case binary.BigEndian.Uint32(b) == magicMicro:
		order = binary.BigEndian
	case binary.LittleEndian.Uint32(b) == magicNano:
		order, nano = binary.LittleEndian, true
	case binary.BigEndian.Uint32(b) == magicNano:
		order, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("pcap: bad magic %#x (pcapng is not supported; run tcpdump -w)", b[:4])
	}
	f := &File{LinkType: order.Uint32(b[20:24]) & 0x0fffffff}
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			return nil, fmt.Errorf("pcap: record header truncated at offset %d", off)
		}
		sec, frac := order.Uint32(b[off:]), order.Uint32(b[off+4:])
		incl := int(order.Uint32(b[off+8:]))
		off += 16
		if incl > maxSnap || incl > len(b)-off {
			return nil, fmt.Errorf("pcap: record at offset %d claims %d bytes, %d left", off-16, incl, len(b)-off)
		}
		ns := int64(frac) * 1000
		if nano {
			ns = int64(frac)
		}
		f.Packets = append(f.Packets, Packet{Time: time.Unix(int64(sec), ns).UTC(), Data: b[off : off+incl]})
		off += incl
	}
	return f, nil
}

// errSkip marks a frame that is not IP/TCP: ignored, not an error.
var errSkip = errors.New("pcap: not TCP")

// network strips the link-layer header, returning the IP packet.
func network(link uint32, d []byte) ([]byte, error) {
	var etype uint16
	switch link {
	case LinkEthernet:
		if len(d) < 14 {
			return nil, errSkip
		}
		etype, d = binary.BigEndian.Uint16(d[12:]), d[14:]
		if etype == 0x8100 && len(d) >= 4 { // one VLAN tag
			etype, d = binary.BigEndian.Uint16(d[2:]), d[4:]
		}
	case LinkLinuxSLL:
		if len(d) < 16 {
			return nil, errSkip
		}
		etype, d = binary.BigEndian.Uint16(d[14:]), d[16:]
	case LinkLinuxSLL2:
		if len(d) < 20 {
			return nil, errSkip
		}
		etype, d = binary.BigEndian.Uint16(d[0:]), d[20:]
	case LinkRaw:
		return d, nil
	default:
		return nil, fmt.Errorf("pcap: link type %d not supported", link)
	}
	if etype != 0x0800 && etype != 0x86dd {
		return nil, errSkip
	}
	return d, nil
}
