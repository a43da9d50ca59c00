package fullstrict

import (
	"errors"
	"fmt"

	"github.com/anacrolix/torrent/bencode"
)

// MakeTorrent rewrites a .torrent into a Full Strict one: the swarm CA in
// the info dict as "ssl-cert" (PEM, libtorrent's key, so libtorrent peers
// join over mode 1) and info["bttls"] = {"v": 1, "level": "full-strict",
// "modes": modes}. modes [2] alone keeps libtorrent out and the infohash
// out of every ClientHello. The infohash changes; the pieces do not.
func MakeTorrent(torrent, caPEM []byte, modes []int) ([]byte, error) {
	ca, err := ParseCertPEM(caPEM)
	if err != nil {
		return nil, fmt.Errorf("bttls: CA certificate: %w", err)
	}
	if !ca.IsCA {
		return nil, errors.New("bttls: the CA certificate is not a CA (basicConstraints CA:FALSE)")
	}
	if len(modes) == 0 {
		return nil, errors.New("bttls: a full strict torrent needs mode 1, mode 2 or both")
	}
	for _, m := range modes {
		if m != 1 && m != 2 {
			return nil, fmt.Errorf("bttls: full strict mode %d does not exist (1 or 2)", m)
		}
	}
	var top map[string]bencode.Bytes
	if err := bencode.Unmarshal(torrent, &top); err != nil {
		return nil, fmt.Errorf("bttls: torrent file: %w", err)
	}
	var info map[string]bencode.Bytes
	if err := bencode.Unmarshal(top["info"], &info); err != nil {
		return nil, fmt.Errorf("bttls: info dict: %w", err)
	}
	if _, ok := info["bttls"]; ok {
		return nil, errors.New("bttls: the torrent already has a bttls level")
	}
	info["ssl-cert"] = bencode.MustMarshal(string(PEMChain([][]byte{ca.Raw})))
	info["bttls"] = bencode.MustMarshal(map[string]any{"v": 1, "level": "full-strict", "modes": modes})
	ib, err := bencode.Marshal(info)
	if err != nil {
		return nil, err
	}
	top["info"] = ib
	return bencode.Marshal(top)
}
