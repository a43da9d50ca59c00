package interop

import (
	"path/filepath"
	"testing"
	"time"
)

// TestTrackerLibtorrentToTransmission: libtorrent seeds, transmission
// downloads, and they find each other only through the bttls tracker.
// Transmission ignores loopback peers from trackers, so it announces first
// and libtorrent, told of it by the tracker, dials it.
func TestTrackerLibtorrentToTransmission(t *testing.T) {
	if testing.Short() {
		t.Skip("~15 s; run without -short")
	}
	tr := StartTracker(t, time.Minute)
	seedDir, leechDir := t.TempDir(), t.TempDir()
	const size = 3<<20 + 12345
	file, sum := MakeFile(t, seedDir, "payload.bin", size, 1)
	torrent, _ := MakeTorrent(t, file, tr.URL, 256<<10)

	StartTransmission(t, TransmissionOptions{Torrent: torrent, Dir: leechDir})
	if _, err := tr.WaitAnnounce(20*time.Second, `client "-TR`, `event="started"`); err != nil {
		t.Fatal(err)
	}
	StartLibtorrent(t, LibtorrentOptions{Torrent: torrent, Dir: seedDir})
	if _, err := tr.WaitAnnounce(20*time.Second, `client "-LT`, "left=0", "sent 1 peers"); err != nil {
		t.Fatal(err)
	}
	if err := WaitFile(filepath.Join(leechDir, "payload.bin"), size, sum, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	// Transmission also scrapes (BEP 48), at the URL it derives from ours.
	if _, err := tr.WaitAnnounce(10*time.Second, "scrape from", "1 torrents"); err != nil {
		t.Fatal(err)
	}
	// BEP 3: a client that finishes says so; the tracker counts it a seed.
	if _, err := tr.WaitAnnounce(10*time.Second, `client "-TR`, `event="completed"`, "left=0", "2 seeds, 0 leechers"); err != nil {
		t.Fatal(err)
	}
	t.Logf("tracker log:\n%s", tr.Log())
}

// TestTrackerLibtorrentToRtorrent: libtorrent seeds, rtorrent downloads;
// rtorrent dials the seed the tracker names.
func TestTrackerLibtorrentToRtorrent(t *testing.T) {
	tr := StartTracker(t, time.Minute)
	seedDir, leechDir := t.TempDir(), t.TempDir()
	const size = 2<<20 + 777
	file, sum := MakeFile(t, seedDir, "payload.bin", size, 2)
	torrent, _ := MakeTorrent(t, file, tr.URL, 256<<10)

	StartLibtorrent(t, LibtorrentOptions{Torrent: torrent, Dir: seedDir})
	if _, err := tr.WaitAnnounce(20*time.Second, `client "-LT`, "left=0"); err != nil {
		t.Fatal(err)
	}
	StartRtorrent(t, RtorrentOptions{Torrent: torrent, Dir: leechDir})
	if _, err := tr.WaitAnnounce(20*time.Second, `client "-lt`, `event="started"`, "sent 1 peers"); err != nil {
		t.Fatal(err)
	}
	if err := WaitFile(filepath.Join(leechDir, "payload.bin"), size, sum, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("tracker log:\n%s", tr.Log())
}

// TestTrackerIPv6Libtorrent: over ::1 the tracker lists peers in peers6
// (BEP 7), and libtorrent finds its seed there.
func TestTrackerIPv6Libtorrent(t *testing.T) {
	tr := StartTrackerOn(t, "[::1]:0", time.Minute)
	seedDir, leechDir := t.TempDir(), t.TempDir()
	const size = 1<<20 + 5
	file, sum := MakeFile(t, seedDir, "payload6.bin", size, 3)
	torrent, _ := MakeTorrent(t, file, tr.URL, 64<<10)

	StartLibtorrent(t, LibtorrentOptions{Torrent: torrent, Dir: seedDir, Host: "::1"})
	if _, err := tr.WaitAnnounce(20*time.Second, "from [::1]:", `client "-LT`, "left=0"); err != nil {
		t.Fatal(err)
	}
	StartLibtorrent(t, LibtorrentOptions{Torrent: torrent, Dir: leechDir, Host: "::1"})
	if _, err := tr.WaitAnnounce(20*time.Second, "from [::1]:", `client "-LT`, "left=1048581", "sent 1 peers"); err != nil {
		t.Fatal(err)
	}
	if err := WaitFile(filepath.Join(leechDir, "payload6.bin"), size, sum, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}
