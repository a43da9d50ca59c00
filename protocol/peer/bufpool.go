package peer

import "sync"

// MinRecordSize and MaxRecordSize bound Config.RecordSize; the largest is
// that of a TLS record's plaintext (RFC 8446, 5.1).
const (
	MinRecordSize = 512
	MaxRecordSize = 16 << 10
)

// writeBufs and chunkBufs recycle output buffers across every connection
// of the process. A buffer kept per connection costs its size on each
// idle one (thousands in a simulated swarm); shared, only the connections
// writing at the moment hold one. Messages (a HAVE, requests) are queued
// in buffers from writeBufs; the writer cuts each write into a buffer
// from chunkBufs (one pool per record size). Contents never outlive a
// write — each user starts from length zero — so which buffer a
// connection gets changes nothing it sends.
var (
	writeBufs sync.Pool
	chunkMu   sync.Mutex
	chunkBufs = map[int]*sync.Pool{}
)

// getWriteBuf returns an empty buffer for messages, a recycled one when
// there is one.
func getWriteBuf() []byte {
	if b, ok := writeBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// putWriteBuf recycles a message buffer the writer is done with; larger
// ones than maxKeptWriteBuf are left to the garbage collector.
func putWriteBuf(b []byte) {
	if cap(b) == 0 || cap(b) > maxKeptWriteBuf {
		return
	}
	b = b[:0]
	writeBufs.Put(&b)
}

// chunkPool returns the pool of write buffers of capacity size.
func chunkPool(size int) *sync.Pool {
	chunkMu.Lock()
	defer chunkMu.Unlock()
	p := chunkBufs[size]
	if p == nil {
		p = new(sync.Pool)
		chunkBufs[size] = p
	}
	return p
}

// getChunkBuf returns an empty buffer of capacity size from pool.
func getChunkBuf(pool *sync.Pool, size int) []byte {
	if b, ok := pool.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, size)
}

func putChunkBuf(pool *sync.Pool, b []byte) {
	b = b[:0]
	pool.Put(&b)
}
