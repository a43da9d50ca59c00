package peer

import "sync"

// writeBufs recycles written output buffers across every connection of the
// process. A buffer kept per connection costs its size on each idle one
// (thousands in a simulated swarm); shared, only the connections writing
// at the moment hold one. Contents never outlive a write — each user
// starts from length zero — so which buffer a connection gets changes
// nothing it sends.
var writeBufs sync.Pool

// getWriteBuf returns an empty buffer, a recycled one when there is one.
func getWriteBuf() []byte {
	if b, ok := writeBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// putWriteBuf recycles a buffer the transport is done with; large ones are
// left to the garbage collector.
func putWriteBuf(b []byte) {
	if cap(b) == 0 || cap(b) > maxKeptWriteBuf {
		return
	}
	b = b[:0]
	writeBufs.Put(&b)
}
