package decoy

import (
	"net"
	"testing"
	"time"
)

// deadlineConn records the read deadlines set on it.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (d *deadlineConn) SetReadDeadline(t time.Time) error {
	d.set = append(d.set, t)
	return nil
}

// TestFirstWaitClamped: the web server's first read deadline is clamped
// to when it would have expired had the web server accepted the
// connection itself; once net/http clears it (the wait is over), later
// deadlines pass unchanged.
func TestFirstWaitClamped(t *testing.T) {
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := since.Add(time.Minute)
	d := &deadlineConn{}
	p := &prefixConn{Conn: d, notAfter: notAfter}
	later := since.Add(90 * time.Second)
	earlier := since.Add(10 * time.Second)
	p.SetReadDeadline(later)       // header timeout counted from the handover
	p.SetReadDeadline(earlier)     // an earlier one stays
	p.SetReadDeadline(time.Time{}) // header read: the clamp ends
	p.SetReadDeadline(later)       // the next request's wait is the server's own
	want := []time.Time{notAfter, earlier, {}, later}
	if len(d.set) != len(want) {
		t.Fatalf("deadlines %v, want %v", d.set, want)
	}
	for i := range want {
		if !d.set[i].Equal(want[i]) {
			t.Fatalf("deadline %d = %v, want %v", i, d.set[i], want[i])
		}
	}
}
