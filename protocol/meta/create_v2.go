package meta

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// infoV2 is the info dict of a hybrid or v2 torrent, its file tree
// already encoded (bencode sorts the keys).
type infoV2 struct {
	FileTree    bencode.Bytes       `bencode:"file tree"`
	Files       []metainfo.FileInfo `bencode:"files,omitempty"`
	Length      int64               `bencode:"length,omitempty"`
	MetaVersion int64               `bencode:"meta version"`
	Name        string              `bencode:"name"`
	PieceLength int64               `bencode:"piece length"`
	Pieces      []byte              `bencode:"pieces,omitempty"`
	Private     *bool               `bencode:"private,omitempty"`
}

// aligned is what hashAligned computes: the v1 side (SHA-1 pieces, and
// the file list with BEP 47 pad files) and the v2 side (file tree and
// piece layers) of files that each start on a piece boundary.
type aligned struct {
	pieces  []byte
	v1Files []metainfo.FileInfo
	tree    map[string]any
	layers  map[string]string
}

// hashAligned hashes files piece by piece with every file starting a new
// piece, as BEP 52 lays them out: a v1 piece ending a file before the
// last is hashed with the zeros of the pad file that follows it, so the
// v1 and v2 pieces cover the same bytes.
func hashAligned(root string, dir bool, files []File, pl int64) (*aligned, error) {
	a := &aligned{tree: map[string]any{}, layers: map[string]string{}}
	buf := make([]byte, pl)
	for k, f := range files {
		name := root
		if dir {
			name = filepath.Join(append([]string{root}, f.Path...)...)
		}
		roots, err := hashFile(name, f.Length, buf, k == len(files)-1, a)
		if err != nil {
			return nil, err
		}
		a.v1Files = append(a.v1Files, metainfo.FileInfo{Path: f.Path, Length: f.Length})
		props := map[string]any{"length": f.Length}
		if f.Length > 0 {
			root := fileRootV2(roots, f.Length, pl)
			props["pieces root"] = string(root[:])
			if f.Length > pl {
				layer := make([]byte, 0, 32*len(roots))
				for _, h := range roots {
					layer = append(layer, h[:]...)
				}
				a.layers[string(root[:])] = string(layer)
			}
		}
		node := a.tree
		for _, el := range f.Path[:len(f.Path)-1] {
			sub, ok := node[el].(map[string]any)
			if !ok {
				sub = map[string]any{}
				node[el] = sub
			}
			node = sub
		}
		node[f.Path[len(f.Path)-1]] = map[string]any{"": props}
		if pad := (pl - f.Length%pl) % pl; pad != 0 && k != len(files)-1 {
			a.v1Files = append(a.v1Files, metainfo.FileInfo{
				Path: []string{".pad", strconv.FormatInt(pad, 10)}, Length: pad,
				ExtendedFileAttrs: metainfo.ExtendedFileAttrs{Attr: "p"},
			})
		}
	}
	return a, nil
}

// hashFile appends a file's v1 piece hashes to a.pieces and returns its
// pieces' v2 merkle roots.
func hashFile(name string, length int64, buf []byte, last bool, a *aligned) ([][32]byte, error) {
	pl := int64(len(buf))
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var roots [][32]byte
	for left := length; left > 0; {
		n := min(left, pl)
		if _, err := io.ReadFull(fh, buf[:n]); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s shrank while being read", name)
			}
			return nil, err
		}
		roots = append(roots, PieceRootV2(buf[:n], pl, length <= pl))
		v1 := buf[:n]
		if n < pl && !last {
			clear(buf[n:])
			v1 = buf
		}
		h := sha1.Sum(v1)
		a.pieces = append(a.pieces, h[:]...)
		left -= n
	}
	return roots, nil
}
