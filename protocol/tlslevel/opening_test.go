package tlslevel

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// records returns one chunk per Read, as a tls.Conn returns one record.
type records struct{ chunks [][]byte }

func (r *records) Read(p []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if len(r.chunks[0]) == 0 {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

func TestReadOpening(t *testing.T) {
	basic := append([]byte{1, 1, 0, 32}, bytes.Repeat([]byte{7}, 32)...)
	strict := append([]byte{1, 2, 0, 34}, bytes.Repeat([]byte{7}, 34)...)
	fs2 := append([]byte{1, 3, 0x04, 0x00}, bytes.Repeat([]byte{'\n'}, 1024)...)
	tests := []struct {
		name    string
		chunks  [][]byte
		wantErr error // nil: a message
	}{
		{"basic", [][]byte{basic}, nil},
		{"strict", [][]byte{strict}, nil},
		{"full strict 2 over three records", [][]byte{fs2[:100], fs2[100:700], fs2[700:]}, nil},
		{"http request", [][]byte{[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")}, ErrNotLevel},
		{"version 2", [][]byte{append([]byte{2}, basic[1:]...)}, ErrNotLevel},
		{"unknown type", [][]byte{{1, 9, 0, 1, 0}}, ErrNotLevel},
		{"basic with a wrong length", [][]byte{{1, 1, 0, 33}}, ErrNotLevel},
		{"basic split over records", [][]byte{basic[:10], basic[10:]}, ErrNotLevel},
		{"bytes after the message", [][]byte{append(basic, 'x')}, ErrNotLevel},
		{"full strict 2 too long", [][]byte{{1, 3, 0x20, 0x01}}, ErrNotLevel},
		{"one version byte, then EOF", [][]byte{{1}}, io.EOF},
		{"nothing", nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var all []byte
			for _, c := range tt.chunks {
				all = append(all, c...)
			}
			m, read, err := ReadOpening(&records{chunks: tt.chunks})
			if tt.wantErr == nil {
				if err != nil || !bytes.Equal(m.Append(nil), all) {
					t.Fatalf("got %v %x, want the message back", err, m.Append(nil))
				}
			} else if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if !bytes.HasPrefix(all, read) || tt.wantErr == ErrNotLevel && len(read) == 0 {
				t.Fatalf("returned %x of %x read", read, all)
			}
		})
	}
}

// FuzzReadOpening: whatever the records, ReadOpening returns every byte it
// consumed, and a message only when those bytes are exactly its encoding.
func FuzzReadOpening(f *testing.F) {
	f.Add(append([]byte{1, 1, 0, 32}, make([]byte, 32)...), 36)
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"), 4)
	f.Add(append([]byte{1, 3, 0, 40}, make([]byte, 40)...), 10)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		chunks := [][]byte{in}
		if cut > 0 && cut < len(in) {
			chunks = [][]byte{in[:cut], in[cut:]}
		}
		m, read, err := ReadOpening(&records{chunks: chunks})
		if !bytes.HasPrefix(in, read) {
			t.Fatalf("read %x is not a prefix of %x", read, in)
		}
		if err == nil && !bytes.Equal(m.Append(nil), read) {
			t.Fatalf("message %x from %x", m.Append(nil), read)
		}
	})
}
