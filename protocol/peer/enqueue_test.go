package peer

import (
	"testing"

	"github.com/bttls/bttls/protocol/env"
)

// TestEnqueueMergesByLengthOnly: whether output joins the last queued
// buffer depends on the lengths alone, never on the capacity of the
// buffers the process-wide pool happened to hand out, which varies from
// run to run (the simulator's runs would then write different TLS records
// for the same seed).
func TestEnqueueMergesByLengthOnly(t *testing.T) {
	for _, capacity := range []int{100, maxKeptWriteBuf, 4 * maxKeptWriteBuf} {
		for _, tc := range []struct {
			queued, added int
			merged        bool
		}{
			{10, 20, true},
			{maxKeptWriteBuf - 20, 20, true},
			{maxKeptWriteBuf - 20, 21, false},
			{maxKeptWriteBuf, 1, false},
		} {
			cn := &conn{wsig: env.OS{}.NewSignal()}
			first := make([]byte, tc.queued, max(capacity, tc.queued))
			cn.enqueue(first)
			cn.enqueue(make([]byte, tc.added))
			if merged := len(cn.wq) == 1; merged != tc.merged {
				t.Errorf("capacity %d, %d bytes queued, %d added: merged %v, want %v", capacity, tc.queued, tc.added, merged, tc.merged)
			}
			if cn.wqBytes != tc.queued+tc.added {
				t.Errorf("capacity %d: %d bytes counted, want %d", capacity, cn.wqBytes, tc.queued+tc.added)
			}
		}
	}
}
