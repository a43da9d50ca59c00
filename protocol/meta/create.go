package meta

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// CreateOptions controls Create.
type CreateOptions struct {
	// Trackers are announce URLs; the first becomes "announce", all of them
	// one tier each of "announce-list".
	Trackers []string
	// PieceLength is the piece length; 0 picks one with ChoosePieceLength.
	PieceLength int64
	// Private sets the info dict's "private" flag (BEP 27).
	Private bool
	// CreatedBy and Comment go in the top-level dict when set.
	CreatedBy string
	Comment   string
	// Version is "v1" (or empty), "hybrid" (BEP 52 and v1 keys in one info
	// dict) or "v2" (BEP 52 only). Hybrid and v2 need a single file.
	Version string
}

// ChoosePieceLength picks the power of two in 16 KiB..16 MiB that gives
// about 1000-2000 pieces: small pieces for small files, so that a swarm has
// enough pieces to trade, and few enough hashes for big ones.
func ChoosePieceLength(total int64) int64 {
	const lo, hi = 16 << 10, 16 << 20
	target := total / 1500
	if target <= lo {
		return lo
	}
	pl := int64(1) << (63 - bits.LeadingZeros64(uint64(target))) // round down to a power of two
	if total/pl > 2000 {
		pl <<= 1
	}
	return min(pl, hi)
}

// Create makes a v1 .torrent for a file, or for a directory's regular
// files (a multi-file torrent named after the directory; files in path
// order, symbolic links and empty directories skipped), and returns its
// bytes.
func Create(path string, opts CreateOptions) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	var files []File
	switch {
	case fi.Mode().IsRegular():
		files = []File{{Path: []string{filepath.Base(path)}, Length: fi.Size()}}
	case fi.IsDir():
		if files, err = listFiles(path); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("meta: %s is neither a regular file nor a directory", path)
	}
	var total int64
	for i := range files {
		files[i].Offset = total
		total += files[i].Length
	}
	if total == 0 {
		return nil, fmt.Errorf("meta: %s is empty; a torrent needs at least one byte", path)
	}
	pl := opts.PieceLength
	if pl == 0 {
		pl = ChoosePieceLength(total)
	}
	if pl < MinPieceLength || pl > MaxPieceLength || pl&(pl-1) != 0 {
		return nil, fmt.Errorf("meta: piece length %d must be a power of two in %d..%d", pl, MinPieceLength, MaxPieceLength)
	}
	r := &filesReader{root: path, dir: fi.IsDir(), files: files}
	defer r.close()
	v1, v2 := true, false
	switch opts.Version {
	case "", "v1":
	case "hybrid":
		v2 = true
	case "v2":
		v1, v2 = false, true
	default:
		return nil, fmt.Errorf("meta: version %q: want v1, hybrid or v2", opts.Version)
	}
	if !v1 && fi.IsDir() {
		return nil, fmt.Errorf("meta: %s is a directory: v2-only torrents are made of a single file (--hybrid takes a directory)", path)
	}
	name := filepath.Base(filepath.Clean(path))
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("meta: torrent name: %w", err)
	}
	var private *bool
	if opts.Private {
		p := true
		private = &p
	}
	var infoBytes []byte
	var layers map[string]string
	if v2 {
		a, err := hashAligned(path, fi.IsDir(), files, pl)
		if err != nil {
			return nil, fmt.Errorf("meta: hashing %s: %w", path, err)
		}
		layers = a.layers
		info := infoV2{MetaVersion: 2, Name: name, PieceLength: pl, Private: private}
		tree := a.tree
		if !fi.IsDir() {
			tree = map[string]any{name: a.tree[files[0].Path[0]]}
		}
		if info.FileTree, err = bencode.Marshal(tree); err != nil {
			return nil, fmt.Errorf("meta: encoding file tree: %w", err)
		}
		if v1 {
			info.Pieces = a.pieces
			if fi.IsDir() {
				info.Files = a.v1Files
			} else {
				info.Length = total
			}
		}
		infoBytes, err = bencode.Marshal(info)
		if err != nil {
			return nil, fmt.Errorf("meta: encoding info dict: %w", err)
		}
	} else {
		pieces, err := hashPieces(r, total, pl)
		if err != nil {
			return nil, fmt.Errorf("meta: hashing %s: %w", path, err)
		}
		info := metainfo.Info{Name: name, PieceLength: pl, Pieces: pieces, Private: private}
		if fi.IsDir() {
			for _, f := range files {
				info.Files = append(info.Files, metainfo.FileInfo{Path: f.Path, Length: f.Length})
			}
		} else {
			info.Length = total
		}
		if infoBytes, err = bencode.Marshal(info); err != nil {
			return nil, fmt.Errorf("meta: encoding info dict: %w", err)
		}
	}
	mi := metainfo.MetaInfo{InfoBytes: infoBytes, CreatedBy: opts.CreatedBy, Comment: opts.Comment, PieceLayers: layers}
	if len(opts.Trackers) > 0 {
		mi.Announce = opts.Trackers[0]
		if len(opts.Trackers) > 1 {
			for _, u := range opts.Trackers {
				mi.AnnounceList = append(mi.AnnounceList, []string{u})
			}
		}
	}
	b, err := bencode.Marshal(mi)
	if err != nil {
		return nil, fmt.Errorf("meta: encoding torrent: %w", err)
	}
	return b, nil
}

// listFiles returns the regular files below root, sorted by path.
func listFiles(root string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil // directories are implicit; links and devices are skipped
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		path := strings.Split(filepath.ToSlash(rel), "/")
		for _, el := range path {
			if err := checkName(el); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		files = append(files, File{Path: path, Length: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if len(files) > maxFiles {
		return nil, fmt.Errorf("meta: %d files, limit %d", len(files), maxFiles)
	}
	// WalkDir visits in lexical order per directory; sort by the joined
	// path so the order is the same as other tools produce.
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(strings.Join(a.Path, "/"), strings.Join(b.Path, "/")) })
	return files, nil
}

// filesReader reads a torrent's files one after the other.
type filesReader struct {
	root  string
	dir   bool
	files []File
	cur   *os.File
	left  int64
	next  int
}

func (r *filesReader) Read(p []byte) (int, error) {
	for r.cur == nil || r.left == 0 {
		r.close()
		if r.next >= len(r.files) {
			return 0, io.EOF
		}
		f := r.files[r.next]
		r.next++
		name := r.root
		if r.dir {
			name = filepath.Join(append([]string{r.root}, f.Path...)...)
		}
		fh, err := os.Open(name)
		if err != nil {
			return 0, err
		}
		r.cur, r.left = fh, f.Length
	}
	n, err := r.cur.Read(p[:min(int64(len(p)), r.left)])
	r.left -= int64(n)
	if err == io.EOF && r.left > 0 {
		return n, errors.New("file shrank while being read")
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

func (r *filesReader) close() {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
}

func hashPieces(r io.Reader, size, pl int64) ([]byte, error) {
	buf := make([]byte, pl)
	out := make([]byte, 0, 20*((size+pl-1)/pl))
	for left := size; left > 0; {
		n := min(left, pl)
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, errors.New("file shrank while being read")
			}
			return nil, err
		}
		h := sha1.Sum(buf[:n])
		out = append(out, h[:]...)
		left -= n
	}
	return out, nil
}
