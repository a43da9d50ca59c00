package meta

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"

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

// Create makes a v1 .torrent for a single file and returns its bytes.
func Create(path string, opts CreateOptions) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("meta: %s is not a regular file", path)
	}
	if fi.Size() == 0 {
		return nil, fmt.Errorf("meta: %s is empty; a torrent needs at least one byte", path)
	}
	pl := opts.PieceLength
	if pl == 0 {
		pl = ChoosePieceLength(fi.Size())
	}
	if pl < MinPieceLength || pl > MaxPieceLength || pl&(pl-1) != 0 {
		return nil, fmt.Errorf("meta: piece length %d must be a power of two in %d..%d", pl, MinPieceLength, MaxPieceLength)
	}
	pieces, err := hashPieces(f, fi.Size(), pl)
	if err != nil {
		return nil, fmt.Errorf("meta: hashing %s: %w", path, err)
	}
	info := metainfo.Info{
		Name:        filepath.Base(path),
		PieceLength: pl,
		Length:      fi.Size(),
		Pieces:      pieces,
	}
	if opts.Private {
		p := true
		info.Private = &p
	}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("meta: encoding info dict: %w", err)
	}
	mi := metainfo.MetaInfo{InfoBytes: infoBytes, CreatedBy: opts.CreatedBy, Comment: opts.Comment}
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
