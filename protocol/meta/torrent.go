// Package meta loads, checks and creates BitTorrent metainfo (.torrent
// files: v1 of BEP 3, hybrid and single-file v2 of BEP 52) and parses magnet links (BEP 9). It keeps the raw bytes of
// the info dict and of the whole file, so other layers (the TLS levels) can
// read keys this package does not know.
package meta

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// Limits on what Parse accepts: beyond them a torrent is hostile or broken.
const (
	MinPieceLength = 16 << 10
	MaxPieceLength = 64 << 20
	// MaxTorrentFile bounds a .torrent file read from disk.
	MaxTorrentFile = 32 << 20
	maxFiles       = 100000
)

// File is one file of a torrent, placed in the torrent's byte stream.
type File struct {
	// Path is the file's path below the torrent's directory (multi-file
	// torrents) or just the name (single-file torrents); every element is
	// checked to be a plain name (no "..", no separators).
	Path   []string
	Length int64
	// Offset is where the file starts in the concatenation of all files.
	Offset int64
	// Pad marks a BEP 47 pad file of a hybrid torrent: zeros that align
	// the next file to a piece, never written to disk. (In a v1 torrent a
	// pad file stays an ordinary file, as it always was here.)
	Pad bool
}

// Torrent is a checked torrent: v1, hybrid (v1 and v2 in one info dict)
// or pure v2.
type Torrent struct {
	// InfoHash is the 20-byte infohash of BEP 3 handshakes: the SHA-1 of
	// the info dict for v1 and hybrid torrents, the v2 infohash truncated
	// to 20 bytes for pure v2 ones (BEP 52).
	InfoHash    [20]byte
	Name        string
	PieceLength int64
	// Length is the total of all files' lengths.
	Length int64
	// Pieces are the v1 SHA-1 piece hashes (nil for a pure v2 torrent).
	Pieces [][20]byte
	// MetaVersion is 2 for hybrid and v2 torrents (BEP 52), else 1.
	MetaVersion int
	// InfoHashV2 is the SHA-256 of the info dict when MetaVersion is 2.
	InfoHashV2 [32]byte
	// PiecesV2 holds a pure v2 torrent's per-piece merkle roots (its piece
	// layer, or the pieces root when the file is one piece); nil otherwise.
	PiecesV2 [][32]byte
	Files    []File
	// MultiFile is true when the info dict has "files" (the name is a directory).
	MultiFile bool
	Private   bool
	// Trackers lists announce URLs, "announce" first then "announce-list"
	// tiers in order, without duplicates.
	Trackers []string

	// InfoBytes is the bencoded info dict exactly as loaded; its SHA-1 is InfoHash.
	InfoBytes []byte
	// Raw is the whole .torrent file as loaded (nil when the torrent came
	// from a magnet link and BEP 9).
	Raw []byte
}

// NumPieces is the number of pieces.
func (t *Torrent) NumPieces() int { return max(len(t.Pieces), len(t.PiecesV2)) }

// PureV2 reports whether t is a v2 torrent without v1 piece hashes.
func (t *Torrent) PureV2() bool { return t.MetaVersion == 2 && len(t.Pieces) == 0 }

// PieceSize is the length of piece i: PieceLength except for the last piece.
func (t *Torrent) PieceSize(i int) int {
	if i == t.NumPieces()-1 {
		return int(t.Length - int64(i)*t.PieceLength)
	}
	return int(t.PieceLength)
}

// Load reads and parses a .torrent file.
func Load(path string) (*Torrent, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if fi.Size() > MaxTorrentFile {
		return nil, fmt.Errorf("meta: %s: %d bytes is too large for a torrent file (limit %d)", path, fi.Size(), MaxTorrentFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return t, nil
}

// Parse parses and checks a .torrent file's bytes.
func Parse(raw []byte) (*Torrent, error) {
	if len(raw) == 0 || raw[0] != 'd' {
		return nil, errors.New("meta: not a torrent file: it does not start with a bencoded dict")
	}
	var mi metainfo.MetaInfo
	if err := bencode.Unmarshal(raw, &mi); err != nil {
		return nil, fmt.Errorf("meta: not a valid torrent file: %w", err)
	}
	if len(mi.InfoBytes) == 0 {
		return nil, errors.New("meta: torrent file has no info dict")
	}
	var trackers []string
	if mi.Announce != "" {
		trackers = append(trackers, mi.Announce)
	}
	for _, tier := range mi.AnnounceList {
		for _, u := range tier {
			if u != "" && !contains(trackers, u) {
				trackers = append(trackers, u)
			}
		}
	}
	t, err := fromInfo(mi.InfoBytes, trackers, mi.PieceLayers)
	if err != nil {
		return nil, err
	}
	t.Raw = append([]byte(nil), raw...)
	return t, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// FromInfo builds a torrent from a bencoded info dict (for instance one
// fetched with BEP 9) and a list of trackers. A pure v2 torrent of more
// than one piece needs its piece layers, which an info dict alone lacks.
func FromInfo(infoBytes []byte, trackers []string) (*Torrent, error) {
	return fromInfo(infoBytes, trackers, nil)
}

func fromInfo(infoBytes []byte, trackers []string, layers map[string]string) (*Torrent, error) {
	var info metainfo.Info
	if err := bencode.Unmarshal(infoBytes, &info); err != nil {
		return nil, fmt.Errorf("meta: info dict: %w", err)
	}
	t := &Torrent{
		InfoHash:    sha1.Sum(infoBytes),
		Name:        info.Name,
		PieceLength: info.PieceLength,
		Private:     info.Private != nil && *info.Private,
		Trackers:    trackers,
		InfoBytes:   append([]byte(nil), infoBytes...),
		MultiFile:   len(info.Files) > 0,
		MetaVersion: 1,
	}
	if err := checkName(info.Name); err != nil {
		return nil, fmt.Errorf("meta: info dict name: %w", err)
	}
	if info.PieceLength < MinPieceLength || info.PieceLength > MaxPieceLength {
		return nil, fmt.Errorf("meta: piece length %d outside %d..%d", info.PieceLength, MinPieceLength, MaxPieceLength)
	}
	switch info.MetaVersion {
	case 0, 1:
	case 2:
		if len(info.Pieces) == 0 {
			if err := fromV2(t, &info, layers); err != nil {
				return nil, err
			}
			copy(t.InfoHash[:], t.InfoHashV2[:20])
			return t, nil
		}
	default:
		return nil, fmt.Errorf("meta: meta version %d not supported (want 1 or 2)", info.MetaVersion)
	}
	if len(info.Pieces)%20 != 0 {
		return nil, fmt.Errorf("meta: pieces field is %d bytes, not a multiple of 20", len(info.Pieces))
	}
	if info.Length != 0 && len(info.Files) != 0 {
		return nil, errors.New("meta: info dict has both length and files")
	}
	if len(info.Files) > maxFiles {
		return nil, fmt.Errorf("meta: %d files, limit %d", len(info.Files), maxFiles)
	}
	if len(info.Files) == 0 {
		if info.Length <= 0 {
			return nil, fmt.Errorf("meta: single-file torrent with length %d", info.Length)
		}
		t.Files = []File{{Path: []string{info.Name}, Length: info.Length}}
		t.Length = info.Length
	}
	for i, f := range info.Files {
		if f.Length < 0 {
			return nil, fmt.Errorf("meta: file %d has negative length %d", i, f.Length)
		}
		if len(f.Path) == 0 {
			return nil, fmt.Errorf("meta: file %d has an empty path", i)
		}
		for _, el := range f.Path {
			if err := checkName(el); err != nil {
				return nil, fmt.Errorf("meta: file %d path %q: %w", i, strings.Join(f.Path, "/"), err)
			}
		}
		t.Files = append(t.Files, File{Path: append([]string(nil), f.Path...), Length: f.Length, Offset: t.Length,
			Pad: info.MetaVersion == 2 && strings.Contains(f.Attr, "p")})
		t.Length += f.Length
		if t.Length > 1<<50 {
			return nil, errors.New("meta: total length over 1 PiB")
		}
	}
	if t.Length == 0 {
		return nil, errors.New("meta: torrent has no data")
	}
	want := (t.Length + t.PieceLength - 1) / t.PieceLength
	if int64(len(info.Pieces)/20) != want {
		return nil, fmt.Errorf("meta: %d piece hashes for %d bytes in pieces of %d, want %d", len(info.Pieces)/20, t.Length, t.PieceLength, want)
	}
	t.Pieces = make([][20]byte, want)
	for i := range t.Pieces {
		copy(t.Pieces[i][:], info.Pieces[20*i:])
	}
	if info.MetaVersion == 2 {
		if err := fromV2(t, &info, layers); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkName refuses path elements that would escape the download directory
// or that no file system can hold.
func checkName(s string) error {
	switch {
	case s == "":
		return errors.New("empty name")
	case s == "." || s == "..":
		return fmt.Errorf("name %q is not allowed", s)
	case strings.ContainsAny(s, "/\\\x00"):
		return fmt.Errorf("name %q contains a path separator or NUL", s)
	case len(s) > 255:
		return fmt.Errorf("name of %d bytes is too long", len(s))
	}
	return nil
}

// InfoHashHex is the lowercase hex infohash, as trackers and magnet links show it.
func (t *Torrent) InfoHashHex() string { return fmt.Sprintf("%x", t.InfoHash) }
