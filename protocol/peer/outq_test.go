package peer

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/wire"
)

// patternStore serves piece p's byte at offset o as byte(p*7 + o); its
// ReadBlock fails for piece failPiece.
type patternStore struct {
	storage.Storage
	failPiece int
}

func (s patternStore) ReadBlock(index, begin int, p []byte) error {
	if index == s.failPiece {
		return errors.New("broken disk")
	}
	for i := range p {
		p[i] = byte(index*7 + begin + i)
	}
	return nil
}

// TestFillChunkCutsTheStream: whatever the chunk size, the chunks the
// writer cuts from a queue of messages and uploads join up to the stream
// of those messages and piece messages, each upload's block read from
// storage at its offset.
func TestFillChunkCutsTheStream(t *testing.T) {
	store := patternStore{failPiece: -1}
	items := []outItem{
		{data: []byte{0, 0, 0, 5, 4, 0, 0, 0, 3}},
		{store: store, piece: 2, begin: 16384, length: 16384},
		{data: []byte{0, 0, 0, 1, 2}},
		{store: store, piece: 5, begin: 0, length: 1000},
		{store: store, piece: 6, begin: 100, length: 5},
	}
	var want []byte
	for _, it := range items {
		if it.data != nil {
			want = append(want, it.data...)
			continue
		}
		block := make([]byte, it.length)
		if err := store.ReadBlock(it.piece, it.begin, block); err != nil {
			t.Fatal(err)
		}
		want = wire.Message{Type: wire.Piece, Index: uint32(it.piece), Begin: uint32(it.begin), Block: block}.Append(want)
	}
	for _, size := range []int{1, 5, 13, 14, 1000, MaxRecordSize, 1 << 20} {
		var got []byte
		rest, off := items, 0
		for len(rest) > 0 {
			buf, done, o, err := fillChunk(make([]byte, 0, size), rest, off)
			if err != nil {
				t.Fatal(err)
			}
			if len(buf) == 0 {
				t.Fatalf("chunk size %d: an empty chunk with %d items left", size, len(rest))
			}
			if len(buf) < size && len(rest) > done {
				t.Fatalf("chunk size %d: a chunk of %d bytes with items left", size, len(buf))
			}
			got = append(got, buf...)
			rest, off = rest[done:], o
		}
		if !bytes.Equal(got, want) {
			t.Errorf("chunk size %d: the chunks differ from the stream (%d bytes, want %d)", size, len(got), len(want))
		}
	}
}

// TestFillChunkStorageError: a block storage cannot read is an error, and
// the bytes before it are still returned.
func TestFillChunkStorageError(t *testing.T) {
	items := []outItem{
		{data: []byte{1, 2, 3}},
		{store: patternStore{failPiece: 4}, piece: 4, begin: 0, length: 100},
	}
	buf, done, off, err := fillChunk(make([]byte, 0, MaxRecordSize), items, 0)
	if err == nil {
		t.Fatal("no error for an unreadable block")
	}
	if done != 1 || off != pieceHeader || len(buf) != 3+pieceHeader {
		t.Errorf("got %d bytes, %d items done, offset %d; want %d, 1, %d", len(buf), done, off, 3+pieceHeader, pieceHeader)
	}
}
