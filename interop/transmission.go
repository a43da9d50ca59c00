package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TransmissionOptions configures one transmission-daemon.
type TransmissionOptions struct {
	Torrent string // .torrent path; peers come from its tracker (the RPC cannot add peers)
	Dir     string // download dir: holds the file to seed, or receives it
	Port    int    // peer port on 127.0.0.1 (0 picks one)
	// Encryption is "preferred" (transmission's default), "tolerated"
	// (plaintext preferred) or "required".
	Encryption string
}

// Transmission is a running transmission-daemon with one torrent.
type Transmission struct {
	*Proc
	Port    int
	rpcURL  string
	session string
}

// StartTransmission runs transmission-daemon in the foreground with a
// fresh config dir (DHT, LPD, PEX, uTP and port mapping off), adds the
// torrent over RPC and, if Dir holds the data, verifies it so it seeds.
func StartTransmission(t testing.TB, o TransmissionOptions) *Transmission {
	t.Helper()
	daemon := Require(t, "transmission-daemon")
	if o.Port == 0 {
		o.Port = FreePort(t)
	}
	enc := map[string]int{"tolerated": 0, "preferred": 1, "required": 2}
	level, ok := enc[o.Encryption]
	if o.Encryption == "" {
		level, ok = 1, true
	}
	if !ok {
		t.Fatalf("interop: transmission encryption %q: want tolerated, preferred or required", o.Encryption)
	}
	rpcPort := FreePort(t)
	cfg := t.TempDir()
	settings := map[string]any{
		"bind-address-ipv4":           "127.0.0.1",
		"bind-address-ipv6":           "::1",
		"dht-enabled":                 false,
		"lpd-enabled":                 false,
		"pex-enabled":                 false,
		"utp-enabled":                 false,
		"port-forwarding-enabled":     false,
		"blocklist-enabled":           false,
		"peer-port":                   o.Port,
		"peer-port-random-on-start":   false,
		"rpc-enabled":                 true,
		"rpc-bind-address":            "127.0.0.1",
		"rpc-port":                    rpcPort,
		"rpc-authentication-required": false,
		"rpc-whitelist-enabled":       false,
		"rpc-host-whitelist-enabled":  false,
		"download-dir":                o.Dir,
		"incomplete-dir-enabled":      false,
		"encryption":                  level,
		"start-added-torrents":        true,
		"ratio-limit-enabled":         false,
		"speed-limit-up-enabled":      false,
		"speed-limit-down-enabled":    false,
		"message-level":               3,
	}
	b, _ := json.MarshalIndent(settings, "", "  ")
	if err := os.WriteFile(filepath.Join(cfg, "settings.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	tr := &Transmission{
		Proc:   Start(t, "transmission", exec.Command(daemon, "-f", "-g", cfg, "--log-debug")),
		Port:   o.Port,
		rpcURL: fmt.Sprintf("http://127.0.0.1:%d/transmission/rpc", rpcPort),
	}
	// The RPC port opens a moment after start.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := tr.rpc("session-get", nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("interop: transmission RPC not up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	meta, err := os.ReadFile(o.Torrent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.rpc("torrent-add", map[string]any{"metainfo": meta, "download-dir": o.Dir}); err != nil {
		t.Fatalf("interop: transmission torrent-add: %v", err)
	}
	return tr
}

// rpc calls one method of transmission's JSON RPC. A 409 hands out the
// session id to send back (transmission's CSRF guard).
func (tr *Transmission) rpc(method string, args any) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"method": method, "arguments": args})
	for attempt := 0; attempt < 2; attempt++ {
		req, _ := http.NewRequest("POST", tr.rpcURL, bytes.NewReader(body))
		req.Header.Set("X-Transmission-Session-Id", tr.session)
		c := http.Client{Timeout: 5 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusConflict {
			tr.session = resp.Header.Get("X-Transmission-Session-Id")
			continue
		}
		var r struct {
			Result    string          `json:"result"`
			Arguments json.RawMessage `json:"arguments"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("transmission rpc %s: %v: %q", method, err, b)
		}
		if r.Result != "success" {
			return nil, fmt.Errorf("transmission rpc %s: %s", method, r.Result)
		}
		return r.Arguments, nil
	}
	return nil, fmt.Errorf("transmission rpc %s: no session id", method)
}

// TransmissionStatus is the part of torrent-get the tests look at.
type TransmissionStatus struct {
	PercentDone    float64 `json:"percentDone"`
	Status         int     `json:"status"` // 6 = seeding
	Error          int     `json:"error"`
	ErrorString    string  `json:"errorString"`
	PeersConnected int     `json:"peersConnected"`
	UploadedEver   int64   `json:"uploadedEver"`
}

// Status returns the torrent's state.
func (tr *Transmission) Status() (TransmissionStatus, error) {
	raw, err := tr.rpc("torrent-get", map[string]any{"fields": []string{"percentDone", "status", "error", "errorString", "peersConnected", "uploadedEver"}})
	if err != nil {
		return TransmissionStatus{}, err
	}
	var r struct {
		Torrents []TransmissionStatus `json:"torrents"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Torrents) != 1 {
		return TransmissionStatus{}, fmt.Errorf("transmission torrent-get: %v: %s", err, raw)
	}
	return r.Torrents[0], nil
}

// WaitSeeding waits until the torrent is complete and seeding (status 6).
func (tr *Transmission) WaitSeeding(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last TransmissionStatus
	for time.Now().Before(deadline) {
		s, err := tr.Status()
		if err == nil && s.PercentDone == 1 && s.Status == 6 {
			return nil
		}
		last = s
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("interop: transmission not seeding after %v: %+v", timeout, last)
}
