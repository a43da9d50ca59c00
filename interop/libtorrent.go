package interop

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// LibtorrentOptions configures one python3-libtorrent client.
type LibtorrentOptions struct {
	Torrent string // .torrent path
	Dir     string // save path: holds the file to seed, or receives it
	// Host is the loopback address it listens on and dials from (default
	// 127.0.0.1); another 127.x address gives it an IP of its own, for
	// clients that allow one connection per IP (rtorrent).
	Host  string
	Port  int // listen port (0 picks one)
	Peers []string
	// Enc is libtorrent's MSE policy: "enabled" (its default), "forced" or "disabled".
	Enc string
	// UploadLimit caps upload in bytes per second (0: none).
	UploadLimit int
}

// StartLibtorrent runs interop/lt_client.py under /usr/bin/python3.
// It seeds when Dir already holds the complete file, else it downloads.
func StartLibtorrent(t testing.TB, o LibtorrentOptions) (*Proc, int) {
	t.Helper()
	RequireLibtorrent(t)
	if o.Port == 0 {
		o.Port = FreePort(t)
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Enc == "" {
		o.Enc = "enabled"
	}
	args := []string{script("lt_client.py"), "--torrent", o.Torrent, "--save", o.Dir,
		"--host", o.Host, "--port", fmt.Sprint(o.Port), "--enc", o.Enc, "--upload-limit", fmt.Sprint(o.UploadLimit)}
	for _, p := range o.Peers {
		args = append(args, "--peer", p)
	}
	return Start(t, "libtorrent", exec.Command("/usr/bin/python3", args...)), o.Port
}

// script returns the path of a file kept beside this source file.
func script(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), name)
}
