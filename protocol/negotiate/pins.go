package negotiate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// DefaultPinTTL is how long a pin lasts after the last bttls handshake with
// an address: long enough to cover a download session and restarts, short
// enough that a peer which downgrades its client (or an address reused by
// another host) becomes reachable again by legacy within a day.
const DefaultPinTTL = 24 * time.Hour

// maxPins bounds the store; the oldest pins go first.
const maxPins = 100000

// Pins remembers which addresses ("ip:port", as dialled) completed a bttls
// handshake, until an expiry. It is persisted in a small JSON state file so
// a restart does not reopen the downgrade window. Safe for concurrent use;
// it never blocks across I/O other than its own file writes.
type Pins struct {
	path string
	ttl  time.Duration
	// saveMu orders file writes so an older snapshot never overwrites a newer one.
	saveMu sync.Mutex
	mu     sync.Mutex
	m      map[string]time.Time
}

// pinFile is the state file's layout.
type pinFile struct {
	Version int                  `json:"version"`
	Pins    map[string]time.Time `json:"pins"` // address → expiry
}

// OpenPins loads the pins in path (a missing file is an empty store); an
// empty path keeps pins in memory only.
func OpenPins(path string, ttl time.Duration) (*Pins, error) {
	if ttl <= 0 {
		ttl = DefaultPinTTL
	}
	p := &Pins{path: path, ttl: ttl, m: map[string]time.Time{}}
	if path == "" {
		return p, nil
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bttls: pin state: %w", err)
	}
	var f pinFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("bttls: pin state %s is not a bttls pin file: %w", path, err)
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("bttls: pin state %s has version %d, want 1", path, f.Version)
	}
	for a, exp := range f.Pins {
		p.m[a] = exp
	}
	return p, nil
}

// Pinned reports whether addr has an unexpired pin at now.
func (p *Pins) Pinned(addr string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	exp, ok := p.m[addr]
	return ok && now.Before(exp)
}

// Pin records direct evidence that addr speaks bttls, at now, and saves.
func (p *Pins) Pin(addr string, now time.Time) error {
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.Lock()
	exp := now.Add(p.ttl)
	if old, ok := p.m[addr]; ok && exp.Sub(old) < p.ttl/24 {
		// Refreshed recently: keep the file as it is rather than rewrite
		// it on every connection (a restart then shortens this pin by at
		// most ttl/24).
		p.m[addr] = exp
		p.mu.Unlock()
		return nil
	}
	p.m[addr] = exp
	if len(p.m) > maxPins {
		p.evictLocked(now)
	}
	snapshot := p.snapshotLocked(now)
	p.mu.Unlock()
	return p.save(snapshot)
}

func (p *Pins) evictLocked(now time.Time) {
	type e struct {
		a   string
		exp time.Time
	}
	var all []e
	for a, exp := range p.m {
		if !now.Before(exp) {
			delete(p.m, a)
			continue
		}
		all = append(all, e{a, exp})
	}
	if len(all) <= maxPins {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].exp.Before(all[j].exp) })
	for _, x := range all[:len(all)-maxPins] {
		delete(p.m, x.a)
	}
}

func (p *Pins) snapshotLocked(now time.Time) map[string]time.Time {
	out := make(map[string]time.Time, len(p.m))
	for a, exp := range p.m {
		if now.Before(exp) {
			out[a] = exp
		}
	}
	return out
}

// save writes the state file atomically (temp file + rename).
func (p *Pins) save(m map[string]time.Time) error {
	if p.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(pinFile{Version: 1, Pins: m}, "", " ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p.path), ".pins-*")
	if err != nil {
		return fmt.Errorf("bttls: saving pins: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("bttls: saving pins: %w", err)
	}
	tmp.Close()
	if err := os.Rename(tmp.Name(), p.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("bttls: saving pins: %w", err)
	}
	return nil
}
