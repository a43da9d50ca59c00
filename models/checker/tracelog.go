package checker

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
)

// traceLog records, for every distinct state in discovery order, its
// fingerprint and its parent's index — what is needed to rebuild a
// shortest counterexample. Like TLC's trace file it lives on disk, so the
// memory per state is only the fingerprint table's.
type traceLog struct {
	f   *os.File
	w   *bufio.Writer
	n   int
	err error
	rec [traceRec]byte
}

const traceRec = 12

func newTraceLog() *traceLog {
	f, err := os.CreateTemp("", "checker-trace-")
	if err != nil {
		return &traceLog{err: fmt.Errorf("checker: trace log: %w", err)}
	}
	os.Remove(f.Name()) // unlinked: the file disappears with the process
	return &traceLog{f: f, w: bufio.NewWriterSize(f, 1<<16)}
}

func (t *traceLog) add(fp uint64, parent int32) {
	t.n++
	if t.err != nil {
		return
	}
	binary.LittleEndian.PutUint64(t.rec[:8], fp)
	binary.LittleEndian.PutUint32(t.rec[8:], uint32(parent))
	if _, err := t.w.Write(t.rec[:]); err != nil {
		t.err = err
	}
}

func (t *traceLog) get(i int32) (fp uint64, parent int32, err error) {
	if t.err != nil {
		return 0, 0, t.err
	}
	if err := t.w.Flush(); err != nil {
		return 0, 0, err
	}
	var b [traceRec]byte
	if _, err := t.f.ReadAt(b[:], int64(i)*traceRec); err != nil {
		return 0, 0, err
	}
	return binary.LittleEndian.Uint64(b[:8]), int32(binary.LittleEndian.Uint32(b[8:])), nil
}

func (t *traceLog) close() {
	if t.f != nil {
		t.f.Close()
	}
}
