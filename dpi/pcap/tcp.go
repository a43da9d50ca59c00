package pcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"time"
)

// Segment is one TCP segment as seen on the wire.
type Segment struct {
	Time time.Time
	// FromClient is true for the direction of the connection's first SYN.
	FromClient bool
	Seq        uint32
	Flags      uint8 // TCP flags byte: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10
	Payload    []byte
}

// TCP flag bits.
const (
	FlagFIN = 0x01
	FlagSYN = 0x02
	FlagRST = 0x04
	FlagACK = 0x10
)

// Flow is one TCP connection.
type Flow struct {
	Client, Server netip.AddrPort
	Segments       []Segment
	// ClientStream and ServerStream are the reassembled payload bytes each
	// way, in sequence order, up to the first hole.
	ClientStream, ServerStream []byte
}

// FirstClientPayload is the payload of the client's first data-carrying
// segment: what the fully-encrypted-traffic rules look at.
func (f *Flow) FirstClientPayload() []byte {
	for _, s := range f.Segments {
		if s.FromClient && len(s.Payload) > 0 {
			return s.Payload
		}
	}
	return nil
}

// String names the flow as client -> server.
func (f *Flow) String() string { return f.Client.String() + " -> " + f.Server.String() }

type flowKey struct{ a, b netip.AddrPort }

func keyOf(src, dst netip.AddrPort) flowKey {
	if src.Addr().Less(dst.Addr()) || src.Addr() == dst.Addr() && src.Port() < dst.Port() {
		return flowKey{src, dst}
	}
	return flowKey{dst, src}
}

// Flows decodes every IPv4/IPv6 TCP segment in f and groups them into
// connections, in order of first appearance. A port reused by a later
// connection (a new SYN after a FIN or RST) starts a new flow.
func (f *File) Flows() ([]*Flow, error) {
	var flows []*Flow
	open := map[flowKey]*Flow{}
	for i, p := range f.Packets {
		ip, err := network(f.LinkType, p.Data)
		if err == errSkip {
			continue
		}
		if err != nil {
			return nil, err
		}
		src, dst, seg, err := decodeTCP(ip)
		if err == errSkip {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("pcap: packet %d: %w", i+1, err)
		}
		seg.Time = p.Time
		k := keyOf(src, dst)
		fl := open[k]
		newConn := seg.Flags&(FlagSYN|FlagACK) == FlagSYN
		if fl == nil || newConn && fl.closed() {
			fl = &Flow{Client: src, Server: dst}
			if seg.Flags&(FlagSYN|FlagACK) == FlagSYN|FlagACK { // capture began mid-handshake
				fl.Client, fl.Server = dst, src
			}
			open[k] = fl
			flows = append(flows, fl)
		}
		seg.FromClient = src == fl.Client
		fl.Segments = append(fl.Segments, seg)
	}
	for _, fl := range flows {
		fl.ClientStream = reassemble(fl.Segments, true)
		fl.ServerStream = reassemble(fl.Segments, false)
	}
	return flows, nil
}

func (f *Flow) closed() bool {
	for _, s := range f.Segments {
		if s.Flags&(FlagFIN|FlagRST) != 0 {
			return true
		}
	}
	return false
}

// decodeTCP parses an IP packet carrying TCP.
func decodeTCP(ip []byte) (src, dst netip.AddrPort, s Segment, err error) {
	if len(ip) < 1 {
		return src, dst, s, errSkip
	}
	var sa, da netip.Addr
	var tcp []byte
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < 20 {
			return src, dst, s, fmt.Errorf("IPv4 header truncated")
		}
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:]))
		if ip[9] != 6 {
			return src, dst, s, errSkip
		}
		if ihl < 20 || total < ihl || len(ip) < ihl {
			return src, dst, s, fmt.Errorf("IPv4 header length %d, total %d, captured %d", ihl, total, len(ip))
		}
		sa, _ = netip.AddrFromSlice(ip[12:16])
		da, _ = netip.AddrFromSlice(ip[16:20])
		tcp = ip[ihl:min(total, len(ip))]
	case 6:
		if len(ip) < 40 {
			return src, dst, s, fmt.Errorf("IPv6 header truncated")
		}
		if ip[6] != 6 { // extension headers are not expected on loopback
			return src, dst, s, errSkip
		}
		sa, _ = netip.AddrFromSlice(ip[8:24])
		da, _ = netip.AddrFromSlice(ip[24:40])
		tcp = ip[40:min(40+int(binary.BigEndian.Uint16(ip[4:])), len(ip))]
	default:
		return src, dst, s, errSkip
	}
	if len(tcp) < 20 {
		return src, dst, s, fmt.Errorf("TCP header truncated (%d bytes)", len(tcp))
	}
	off := int(tcp[12]>>4) * 4
	if off < 20 || off > len(tcp) {
		return src, dst, s, fmt.Errorf("TCP data offset %d out of range", off)
	}
	src = netip.AddrPortFrom(sa, binary.BigEndian.Uint16(tcp[0:]))
	dst = netip.AddrPortFrom(da, binary.BigEndian.Uint16(tcp[2:]))
	s = Segment{Seq: binary.BigEndian.Uint32(tcp[4:]), Flags: tcp[13], Payload: tcp[off:]}
	return src, dst, s, nil
}

// reassemble orders one direction's payloads by sequence number, drops
// retransmitted bytes and stops at the first hole.
func reassemble(segs []Segment, fromClient bool) []byte {
	type piece struct {
		off  int64
		data []byte
	}
	var isn uint32
	haveISN := false
	var pieces []piece
	for _, s := range segs {
		if s.FromClient != fromClient {
			continue
		}
		if s.Flags&FlagSYN != 0 {
			isn, haveISN = s.Seq+1, true
			continue
		}
		if len(s.Payload) == 0 {
			continue
		}
		if !haveISN { // no SYN captured: start at the first data segment
			isn, haveISN = s.Seq, true
		}
		pieces = append(pieces, piece{int64(int32(s.Seq - isn)), s.Payload})
	}
	sort.SliceStable(pieces, func(i, j int) bool { return pieces[i].off < pieces[j].off })
	var out bytes.Buffer
	for _, p := range pieces {
		end := p.off + int64(len(p.data))
		have := int64(out.Len())
		if p.off > have {
			break // hole
		}
		if end > have {
			out.Write(p.data[have-p.off:])
		}
	}
	return out.Bytes()
}
