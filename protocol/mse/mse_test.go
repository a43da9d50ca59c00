package mse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	amse "github.com/anacrolix/torrent/mse"
)

// seeded is a deterministic byte stream for tests (SHA-256 in counter mode).
type seeded struct {
	seed byte
	ctr  uint64
	buf  []byte
}

func (s *seeded) Read(p []byte) (int, error) {
	for i := range p {
		if len(s.buf) == 0 {
			h := sha256.Sum256([]byte{s.seed, byte(s.ctr), byte(s.ctr >> 8), byte(s.ctr >> 16)})
			s.ctr++
			s.buf = h[:]
		}
		p[i] = s.buf[0]
		s.buf = s.buf[1:]
	}
	return len(p), nil
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := ln.Accept(); ch <- res{c, err} }()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	deadline := time.Now().Add(10 * time.Second)
	a.SetDeadline(deadline)
	r.c.SetDeadline(deadline)
	t.Cleanup(func() { a.Close(); r.c.Close() })
	return a, r.c
}

var testSKey = bytes.Repeat([]byte{0xab}, 20)

func lookupOne(skey []byte) func([20]byte) ([]byte, bool) {
	want := SKeyHash(skey)
	return func(h [20]byte) ([]byte, bool) { return skey, h == want }
}

// selectPrefer chooses m when offered, else whichever known method is.
func selectPrefer(m Method) func(Method) Method {
	return func(p Method) Method {
		for _, c := range []Method{m, RC4, Plaintext} {
			if p&c != 0 {
				return c
			}
		}
		return 0
	}
}

// exchange checks that data flows both ways after a handshake.
func exchange(t *testing.T, a, b io.ReadWriter) {
	t.Helper()
	msgA := bytes.Repeat([]byte("from A "), 5000)
	msgB := bytes.Repeat([]byte("from B "), 3000)
	errc := make(chan error, 1)
	go func() { _, err := a.Write(msgA); errc <- err }()
	got := make([]byte, len(msgA))
	if _, err := io.ReadFull(b, got); err != nil || !bytes.Equal(got, msgA) {
		t.Fatalf("A→B payload: err %v, equal %v", err, bytes.Equal(got, msgA))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	go func() { _, err := b.Write(msgB); errc <- err }()
	got = make([]byte, len(msgB))
	if _, err := io.ReadFull(a, got); err != nil || !bytes.Equal(got, msgB) {
		t.Fatalf("B→A payload: err %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestInteropWithAnacrolix(t *testing.T) {
	ia := []byte("\x13BitTorrent protocol initial payload")
	for _, m := range []Method{RC4, Plaintext} {
		t.Run("ours-initiates/"+m.String(), func(t *testing.T) {
			a, b := tcpPair(t)
			type res struct {
				rw  io.ReadWriter
				m   amse.CryptoMethod
				err error
			}
			ch := make(chan res, 1)
			go func() {
				rw, got, err := amse.ReceiveHandshake(context.Background(), b,
					func(f func([]byte) bool) { f(testSKey) },
					func(p amse.CryptoMethod) amse.CryptoMethod { return amse.CryptoMethod(m) })
				ch <- res{rw, got, err}
			}()
			st, sel, err := Initiate(a, &seeded{seed: 1}, testSKey, RC4|Plaintext, ia)
			if err != nil {
				t.Fatal(err)
			}
			r := <-ch
			if r.err != nil {
				t.Fatal(r.err)
			}
			if sel != m || Method(r.m) != m {
				t.Fatalf("selected %v / %v, want %v", sel, r.m, m)
			}
			got := make([]byte, len(ia))
			if _, err := io.ReadFull(r.rw, got); err != nil || !bytes.Equal(got, ia) {
				t.Fatalf("initial payload: %q, %v", got, err)
			}
			exchange(t, st, r.rw)
		})
		t.Run("anacrolix-initiates/"+m.String(), func(t *testing.T) {
			a, b := tcpPair(t)
			type res struct {
				rw  io.ReadWriter
				err error
			}
			ch := make(chan res, 1)
			go func() {
				rw, _, err := amse.InitiateHandshake(a, testSKey, ia, amse.AllSupportedCrypto)
				ch <- res{rw, err}
			}()
			got, err := Receive(b, &seeded{seed: 2}, lookupOne(testSKey), selectPrefer(m))
			if err != nil {
				t.Fatal(err)
			}
			r := <-ch
			if r.err != nil {
				t.Fatal(r.err)
			}
			if got.Method != m || !bytes.Equal(got.SKey, testSKey) {
				t.Fatalf("method %v skey %x", got.Method, got.SKey)
			}
			p := make([]byte, len(ia))
			if _, err := io.ReadFull(got.Stream, p); err != nil || !bytes.Equal(p, ia) {
				t.Fatalf("initial payload: %q, %v", p, err)
			}
			exchange(t, r.rw, got.Stream)
		})
	}
}

// recorder keeps every byte written through it.
type recorder struct {
	net.Conn
	out bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) { r.out.Write(p); return r.Conn.Write(p) }

// TestDeterministic checks that the same seeds give byte-identical
// handshakes: the simulator relies on it.
func TestDeterministic(t *testing.T) {
	run := func() (string, string) {
		a, b := tcpPair(t)
		ra, rb := &recorder{Conn: a}, &recorder{Conn: b}
		ch := make(chan error, 1)
		go func() {
			_, err := Receive(rb, &seeded{seed: 4}, lookupOne(testSKey), selectPrefer(RC4))
			ch <- err
		}()
		if _, _, err := Initiate(ra, &seeded{seed: 3}, testSKey, RC4, []byte("ia")); err != nil {
			t.Fatal(err)
		}
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
		return ra.out.String(), rb.out.String()
	}
	a1, b1 := run()
	a2, b2 := run()
	if a1 != a2 || b1 != b2 {
		t.Fatal("same seeds gave different handshake bytes")
	}
}

func TestReceiveRejects(t *testing.T) {
	t.Run("unknown skey", func(t *testing.T) {
		a, b := tcpPair(t)
		go Initiate(a, &seeded{seed: 5}, bytes.Repeat([]byte{1}, 20), RC4, nil)
		_, err := Receive(b, &seeded{seed: 6}, lookupOne(testSKey), selectPrefer(RC4))
		if !errors.Is(err, ErrNoSKey) {
			t.Fatalf("got %v, want ErrNoSKey", err)
		}
	})
	t.Run("no sync", func(t *testing.T) {
		// A random-looking opening followed by 2 KiB that never contains the marker.
		in := bytes.NewReader(bytes.Repeat([]byte{0x55}, 96+2048))
		_, err := Receive(struct {
			io.Reader
			io.Writer
		}{in, io.Discard}, &seeded{seed: 7}, lookupOne(testSKey), selectPrefer(RC4))
		if !errors.Is(err, ErrNoSync) {
			t.Fatalf("got %v, want ErrNoSync", err)
		}
		// Ya, the 512+20 bytes the marker may end in, and at most one
		// buffer's slack.
		if read := 96 + 2048 - in.Len(); read > 96+532+maxPad {
			t.Fatalf("receiver read %d bytes of a non-MSE stream; want it bounded", read)
		}
	})
	t.Run("degenerate Y", func(t *testing.T) {
		in := bytes.NewReader(append(make([]byte, 95), 1))
		_, err := Receive(struct {
			io.Reader
			io.Writer
		}{in, io.Discard}, &seeded{seed: 7}, lookupOne(testSKey), selectPrefer(RC4))
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("degenerate")) {
			t.Fatalf("got %v, want a degenerate-value error", err)
		}
	})
}

type rw struct {
	io.Reader
	io.Writer
}

func FuzzReceive(f *testing.F) {
	f.Add(bytes.Repeat([]byte{7}, 200))
	f.Add(append(bytes.Repeat([]byte{9}, 96), bytes.Repeat([]byte{0}, 600)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = Receive(rw{bytes.NewReader(in), io.Discard}, &seeded{seed: 8}, lookupOne(testSKey), selectPrefer(RC4))
	})
}

func FuzzInitiate(f *testing.F) {
	f.Add(bytes.Repeat([]byte{7}, 200))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _, _ = Initiate(rw{bytes.NewReader(in), io.Discard}, &seeded{seed: 9}, testSKey, RC4|Plaintext, nil)
	})
}
