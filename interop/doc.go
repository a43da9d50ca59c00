// Package interop runs bttls against real BitTorrent clients over loopback:
// python3-libtorrent (libtorrent-rasterbar), transmission-daemon
// (libtransmission) and rtorrent (libtorrent by rakshasa).
//
// Each client has a helper that starts it headless as a seeder or leecher
// for one torrent, in its own temp directory and process group, and stops
// it when the test ends. The tests live in *_test.go beside the helpers;
// `go test ./interop/...` runs them. A test whose client is not installed
// is skipped, except with CI=true, where it fails (CI must prove interop).
package interop
