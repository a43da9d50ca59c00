package peer

import "sync"

// writeBufs and uploadBufs recycle written output buffers across every
// connection of the process. A buffer kept per connection costs its size
// on each idle one (thousands in a simulated swarm); shared, only the
// connections writing at the moment hold one. Messages (a HAVE, requests)
// take buffers from writeBufs, uploads from uploadBufs, whose buffers hold
// a whole chunk of blocks: mixed in one pool, an upload that drew a
// message's small buffer grew it by a fresh allocation and dropped it,
// and a HAVE that drew an upload's buffer held 64 KiB for a few bytes.
// Contents never outlive a write — each user starts from length zero — so
// which buffer a connection gets changes nothing it sends.
var writeBufs, uploadBufs sync.Pool

// uploadBufSize is the capacity of an upload buffer: uploadChunk blocks
// of the usual size with their piece message headers.
const uploadBufSize = uploadChunk * (blockSize + 13)

// getWriteBuf returns an empty buffer for messages, a recycled one when
// there is one.
func getWriteBuf() []byte {
	if b, ok := writeBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// getUploadBuf returns an empty buffer with room for uploadChunk blocks.
func getUploadBuf() []byte {
	if b, ok := uploadBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, uploadBufSize)
}

// putWriteBuf recycles a buffer the transport is done with, into the pool
// whose users it fits; larger ones are left to the garbage collector.
func putWriteBuf(b []byte) {
	if cap(b) == 0 || cap(b) > maxKeptWriteBuf {
		return
	}
	b = b[:0]
	if cap(b) >= uploadBufSize {
		uploadBufs.Put(&b)
		return
	}
	writeBufs.Put(&b)
}
