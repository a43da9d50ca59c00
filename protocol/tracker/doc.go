// Package tracker is a BitTorrent HTTP tracker and its client.
//
// The server speaks BEP 3 announce, BEP 23 compact peer lists (the default),
// BEP 7 IPv6 (peers6), BEP 48 scrape, and the bttls capability signal
// described in docs/tracker.md: a peer announces supporttls=1 and the
// response carries peers_tls / peers6_tls, one flag byte per compact entry.
//
// Both halves run in either world of package env: the server is a small
// HTTP/1.1 server over an env.Env listener (one env.Go task per connection,
// no net/http.Server, whose goroutines and timers the simulator cannot
// schedule), and Announce dials with env.Env.Dial. Memory is bounded: the
// number of torrents, peers per torrent, connections, and request and
// response sizes are all capped.
package tracker
