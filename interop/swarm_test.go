package interop

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestMixedSwarm: a throttled libtorrent seed, an rtorrent leecher and a
// bttls leecher, brought together by the bttls tracker. The seed alone is
// slow, so the two leechers trade pieces: bttls must get pieces from
// rtorrent or give it some, and both must end with the right bytes.
func TestMixedSwarm(t *testing.T) {
	if testing.Short() {
		t.Skip("~30 s; run without -short")
	}
	tr := StartBttlsTracker(t, time.Minute)
	seedDir := t.TempDir()
	const size = 3<<20 + 1
	file, sum := MakeFile(t, seedDir, "swarm.bin", size, 300)
	torrent, infohash := BttlsCreate(t, file, tr.URL)

	// rtorrent takes one connection per IP: the seed gets an IP of its own.
	StartLibtorrent(t, LibtorrentOptions{Torrent: torrent, Dir: seedDir, Host: "127.0.0.2", UploadLimit: 512 << 10})
	if _, err := tr.WaitAnnounce(20*time.Second, infohash[:8], `client "-LT`, "left=0"); err != nil {
		t.Fatal(err)
	}
	rtDir := t.TempDir()
	_, rtPort := StartRtorrent(t, RtorrentOptions{Torrent: torrent, Dir: rtDir})
	if _, err := tr.WaitAnnounce(20*time.Second, infohash[:8], `client "-lt`); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "swarm.bin")
	get := BttlsGet(t, torrent, out, "--seed-after")
	if err := get.WaitOutput("seeding until interrupted", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := WaitFile(out, size, sum, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := WaitFile(filepath.Join(rtDir, "swarm.bin"), size, sum, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	get.Stop() // SIGTERM: it prints what it uploaded
	from := regexp.MustCompile(`from (\d+) peer\(s\)`).FindStringSubmatch(get.Output())
	up := regexp.MustCompile(`uploaded (\d+) bytes`).FindStringSubmatch(get.Output())
	if from == nil || up == nil {
		t.Fatalf("bttls get output lacks its summary:\n%s", get.Output())
	}
	sources, _ := strconv.Atoi(from[1])
	uploaded, _ := strconv.ParseInt(up[1], 10, 64)
	t.Logf("bttls downloaded from %d peer(s) and uploaded %d bytes to rtorrent (127.0.0.1:%d)", sources, uploaded, rtPort)
	if sources < 2 && uploaded == 0 {
		t.Errorf("bttls and rtorrent exchanged nothing: each got the file from the seed alone")
	}
}
