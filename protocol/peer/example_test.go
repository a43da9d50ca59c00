package peer_test

import (
	"fmt"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/transport"
)

// A downloader: make a client, add a torrent with its storage, give it a
// peer, wait for completion through a Signal, read the traffic per
// transport, close.
func Example() {
	e := env.OS{}
	tor, err := meta.Load("movie.torrent")
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := peer.New(peer.Config{
		Env:        e,
		ListenAddr: "127.0.0.1:0",
		// Dialer, Acceptor and TorrentSecurity come from the TLS layer;
		// the default is plaintext BitTorrent.
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	st, err := storage.OpenFile(tor, "movie.mkv", true)
	if err != nil {
		fmt.Println(err)
		return
	}
	t, err := c.AddTorrent(tor, st)
	if err != nil {
		fmt.Println(err)
		return
	}
	t.AddPeers("127.0.0.1:6881")
	changed := e.NewSignal()
	t.Subscribe(changed)
	for !t.Complete() {
		changed.Wait(time.Second)
	}
	s := t.Stats()
	fmt.Println("over TLS:", s.ByKind[transport.TLSBasic].Down, "plain:", s.ByKind[transport.Plain].Down)
}
