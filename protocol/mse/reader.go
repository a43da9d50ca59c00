package mse

import (
	"bytes"
	"fmt"
	"io"
)

// handshakeReader buffers what the handshake reads past a marker (MSE has
// no framing before the sync points), and hands the leftover to the stream.
type handshakeReader struct {
	r   io.Reader
	buf []byte
}

// fill reads until at least n bytes are buffered.
func (h *handshakeReader) fill(n int) error {
	for len(h.buf) < n {
		if cap(h.buf) < n {
			nb := make([]byte, len(h.buf), n+maxPad)
			copy(nb, h.buf)
			h.buf = nb
		}
		m, err := h.r.Read(h.buf[len(h.buf):cap(h.buf)])
		h.buf = h.buf[:len(h.buf)+m]
		if len(h.buf) >= n {
			return nil
		}
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// next consumes and returns the next n bytes.
func (h *handshakeReader) next(n int) ([]byte, error) {
	if err := h.fill(n); err != nil {
		return nil, err
	}
	out := h.buf[:n:n]
	h.buf = h.buf[n:]
	return out, nil
}

// syncOn consumes bytes up to and including marker, which must start within
// the first limit bytes; otherwise it returns ErrNoSync.
func (h *handshakeReader) syncOn(marker []byte, limit int) error {
	for {
		if i := bytes.Index(h.buf, marker); i >= 0 && i <= limit {
			h.buf = h.buf[i+len(marker):]
			return nil
		}
		if len(h.buf) >= limit+len(marker) {
			return ErrNoSync
		}
		// Read at most up to the last byte that can still end the marker,
		// so a non-MSE stream costs bounded memory.
		if err := h.fill(len(h.buf) + 1); err != nil {
			if err == io.ErrUnexpectedEOF {
				return fmt.Errorf("%w: the peer closed after %d bytes (it refused us, or is not MSE)", ErrNoSync, len(h.buf))
			}
			return err
		}
	}
}

// Read drains the buffer, then reads the underlying stream directly.
func (h *handshakeReader) Read(p []byte) (int, error) {
	if len(h.buf) > 0 {
		n := copy(p, h.buf)
		h.buf = h.buf[n:]
		if len(h.buf) == 0 {
			h.buf = nil // release the handshake buffer
		}
		return n, nil
	}
	return h.r.Read(p)
}
