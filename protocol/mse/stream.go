package mse

import (
	"crypto/rc4"
	"io"
)

// Stream is the connection after the handshake: RC4 both ways, or plain
// bytes when plaintext was selected.
type Stream struct {
	r   io.Reader // handshake leftovers, then the conn
	w   io.Writer
	enc *rc4.Cipher // nil for plaintext
	dec *rc4.Cipher
	ia  []byte // a receiver's decrypted initial payload, read first
	buf []byte // encryption scratch, reused across writes
}

func newStream(r io.Reader, w io.Writer, m Method, enc, dec *rc4.Cipher) *Stream {
	st := &Stream{r: r, w: w}
	if m == RC4 {
		st.enc, st.dec = enc, dec
	}
	return st
}

func (s *Stream) Read(p []byte) (int, error) {
	if len(s.ia) > 0 {
		n := copy(p, s.ia)
		s.ia = s.ia[n:]
		return n, nil
	}
	n, err := s.r.Read(p)
	if s.dec != nil {
		s.dec.XORKeyStream(p[:n], p[:n])
	}
	return n, err
}

// maxScratch bounds the reused encryption buffer; larger writes go out in
// chunks so an idle connection does not keep a big buffer.
const maxScratch = 32 << 10

func (s *Stream) Write(p []byte) (int, error) {
	if s.enc == nil {
		return s.w.Write(p)
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), maxScratch)
		if cap(s.buf) < n {
			s.buf = make([]byte, n)
		}
		b := s.buf[:n]
		s.enc.XORKeyStream(b, p[:n])
		m, err := s.w.Write(b)
		written += m
		if err != nil {
			// The keystream has advanced past what was sent: the stream
			// cannot be used any more.
			s.enc = nil
			s.w = brokenWriter{err}
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

type brokenWriter struct{ err error }

func (b brokenWriter) Write([]byte) (int, error) { return 0, b.err }
