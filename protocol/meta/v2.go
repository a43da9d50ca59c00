package meta

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/anacrolix/torrent/metainfo"
)

// v2File is one file of a BEP 52 file tree.
type v2File struct {
	path   []string
	length int64
	root   [32]byte
}

// walkFileTree lists a file tree's files in path order, checking every name.
func walkFileTree(ft *metainfo.FileTree, path []string, out *[]v2File) error {
	if len(*out) > maxFiles {
		return fmt.Errorf("more than %d files", maxFiles)
	}
	if !ft.IsDir() {
		if len(path) == 0 {
			return errors.New("file tree is empty")
		}
		f := v2File{path: path, length: ft.File.Length}
		switch {
		case f.length < 0:
			return fmt.Errorf("%s: negative length %d", strings.Join(path, "/"), f.length)
		case f.length > 0 && len(ft.File.PiecesRoot) != 32:
			return fmt.Errorf("%s: pieces root is %d bytes, want 32", strings.Join(path, "/"), len(ft.File.PiecesRoot))
		}
		copy(f.root[:], ft.File.PiecesRoot)
		*out = append(*out, f)
		return nil
	}
	if len(path) > 64 {
		return errors.New("file tree nested deeper than 64 levels")
	}
	for _, k := range sortedKeys(ft.Dir) {
		if k == metainfo.FileTreePropertiesKey {
			continue
		}
		if err := checkName(k); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(append(path, k), "/"), err)
		}
		sub := ft.Dir[k]
		if err := walkFileTree(&sub, append(path[:len(path):len(path)], k), out); err != nil {
			return err
		}
	}
	return nil
}

// fromV2 fills the BEP 52 side of t from info: the v2 infohash, and for a
// pure v2 torrent (no v1 "pieces") everything else too, with each piece's
// merkle root taken from layers (the top-level "piece layers"; nil when
// the info dict came without it, as with BEP 9). Pure v2 is limited to
// single-file torrents: a v2 multi-file torrent aligns each file to a
// piece, which storage does not model yet.
func fromV2(t *Torrent, info *metainfo.Info, layers map[string]string) error {
	t.MetaVersion = 2
	t.InfoHashV2 = sha256.Sum256(t.InfoBytes)
	if info.PieceLength&(info.PieceLength-1) != 0 {
		return fmt.Errorf("meta: v2 piece length %d is not a power of two", info.PieceLength)
	}
	var files []v2File
	if err := walkFileTree(&info.FileTree, nil, &files); err != nil {
		return fmt.Errorf("meta: file tree: %w", err)
	}
	if len(info.Pieces) > 0 {
		// Hybrid: v1 pieces verify the data; the file tree must describe
		// the same data. For a single file that is the same name and length;
		// a multi-file hybrid lists pad files on its v1 side only.
		if !t.MultiFile {
			if len(files) != 1 || len(files[0].path) != 1 || files[0].path[0] != t.Name || files[0].length != t.Length {
				return errors.New("meta: hybrid torrent: the file tree does not describe the v1 file")
			}
			return nil
		}
		return checkHybridFiles(t.Files, files, t.PieceLength)
	}
	if len(info.Files) > 0 || info.Length != 0 {
		return errors.New("meta: v2 torrent has v1 length or files without v1 pieces")
	}
	if len(files) != 1 || len(files[0].path) != 1 {
		return fmt.Errorf("meta: pure v2 torrents with %d files or a directory are not supported (single-file only)", len(files))
	}
	f := files[0]
	if f.path[0] != t.Name {
		return fmt.Errorf("meta: v2 file %q is not named after the torrent %q", f.path[0], t.Name)
	}
	if f.length <= 0 || f.length > 1<<50 {
		return fmt.Errorf("meta: v2 file length %d outside 1..1 PiB", f.length)
	}
	t.Length = f.length
	t.Files = []File{{Path: []string{t.Name}, Length: f.length}}
	n := (f.length + t.PieceLength - 1) / t.PieceLength
	if n == 1 {
		t.PiecesV2 = [][32]byte{f.root}
		return nil
	}
	layer, ok := layers[string(f.root[:])]
	if !ok {
		return fmt.Errorf("meta: v2 file %q has %d pieces but no piece layer", t.Name, n)
	}
	if int64(len(layer)) != 32*n {
		return fmt.Errorf("meta: v2 piece layer is %d bytes, want %d for %d pieces", len(layer), 32*n, n)
	}
	t.PiecesV2 = make([][32]byte, n)
	for i := range t.PiecesV2 {
		copy(t.PiecesV2[i][:], layer[32*i:])
	}
	if fileRootV2(t.PiecesV2, f.length, t.PieceLength) != f.root {
		return errors.New("meta: v2 piece layer does not hash to the file's pieces root")
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkHybridFiles checks that a multi-file hybrid's v1 files, pad files
// left out, are the file tree's files in the same order, and that each
// file with data starts on a piece boundary as BEP 52 needs.
func checkHybridFiles(v1 []File, v2 []v2File, pl int64) error {
	i := 0
	for _, f := range v1 {
		if f.Pad {
			continue
		}
		if i >= len(v2) {
			return fmt.Errorf("meta: hybrid torrent: v1 file %q is not in the file tree", strings.Join(f.Path, "/"))
		}
		g := v2[i]
		i++
		if !slices.Equal(f.Path, g.path) || f.Length != g.length {
			return fmt.Errorf("meta: hybrid torrent: v1 file %q (%d bytes) differs from file tree entry %q (%d bytes)",
				strings.Join(f.Path, "/"), f.Length, strings.Join(g.path, "/"), g.length)
		}
		if f.Length > 0 && f.Offset%pl != 0 {
			return fmt.Errorf("meta: hybrid torrent: file %q starts at %d, not on a piece boundary (missing pad file)", strings.Join(f.Path, "/"), f.Offset)
		}
	}
	if i != len(v2) {
		return fmt.Errorf("meta: hybrid torrent: file tree has %d files, the v1 list %d", len(v2), i)
	}
	return nil
}
