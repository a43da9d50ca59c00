package netmodel

import (
	"net/netip"
	"time"
)

// PacketKind says what a packet carries.
type PacketKind uint8

const (
	SYN  PacketKind = iota // connection attempt
	Data                   // stream bytes
	FIN                    // end of one direction
)

func (k PacketKind) String() string {
	switch k {
	case SYN:
		return "syn"
	case Data:
		return "data"
	case FIN:
		return "fin"
	}
	return "?"
}

// Dir is the direction of a packet within its flow.
type Dir uint8

const (
	ClientToServer Dir = iota
	ServerToClient
)

// Flow is one TCP connection as a middlebox sees it.
type Flow struct {
	ID     uint64
	Client netip.AddrPort
	Server netip.AddrPort
	// State is free for a middlebox to keep per-flow state in (a DPI
	// classifier's buffer, say).
	State any
	// Bytes counts payload bytes sent in each direction (index by Dir).
	Bytes [2]int64
}

// Packet is one segment on its way through the network.
type Packet struct {
	Flow *Flow
	Dir  Dir
	Kind PacketKind
	// Offset is the stream offset of Data[0] in this direction.
	Offset int64
	// Data is the payload (read-only: return a rewrite in the Verdict).
	Data []byte
	// Attempt is 0 for the first transmission, n for the n-th retransmission.
	Attempt int
}

// Verdict is a middlebox's decision on a packet. The zero Verdict forwards
// the packet unchanged.
type Verdict struct {
	// Drop loses the packet; TCP retransmits it after a timeout (and the
	// middlebox sees it again), so dropping every attempt blackholes the flow.
	Drop bool
	// Reset injects a TCP RST towards both ends, like a censor's reset.
	Reset bool
	// Delay holds the packet for this long.
	Delay time.Duration
	// Rewrite, if non-nil, replaces the payload of a Data packet.
	Rewrite []byte
}

// Middlebox inspects every packet of every flow. Inspect runs on the
// scheduler and must not block.
type Middlebox interface {
	Inspect(p *Packet) Verdict
}

// MiddleboxFunc adapts a function to Middlebox.
type MiddleboxFunc func(p *Packet) Verdict

func (f MiddleboxFunc) Inspect(p *Packet) Verdict { return f(p) }
