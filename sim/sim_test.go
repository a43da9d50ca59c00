//go:debug cryptocustomrand=1
package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTasksTimersAndOrder(t *testing.T) {
	s := New(Config{Seed: 1})
	defer s.Close()
	e := s.NewEnv(nil)
	var log []string
	for i := 0; i < 3; i++ {
		e.Go(fmt.Sprintf("t%d", i), func() {
			e.Sleep(time.Duration(3-i) * time.Second)
			log = append(log, fmt.Sprintf("t%d@%v", i, s.Now()))
		})
	}
	stop := e.AfterFunc(500*time.Millisecond, func() { log = append(log, "cancelled") })
	e.AfterFunc(1500*time.Millisecond, func() { log = append(log, fmt.Sprintf("after@%v", s.Now())) })
	if !stop() {
		t.Fatal("stop of a pending AfterFunc reported false")
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := "t2@1s after@1.5s t1@2s t0@3s"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
}

func TestSignal(t *testing.T) {
	tests := []struct {
		name     string
		notifyAt time.Duration // <0: never
		timeout  time.Duration
		want     bool
		wantAt   time.Duration
	}{
		{"notified before wait", 0, time.Second, true, 0},
		{"notified while waiting", 300 * time.Millisecond, time.Second, true, 300 * time.Millisecond},
		{"timeout", -1, time.Second, false, time.Second},
		{"notified after timeout", 2 * time.Second, time.Second, false, time.Second},
		{"no limit", 5 * time.Second, 0, true, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Seed: 1})
			defer s.Close()
			e := s.NewEnv(nil)
			sig := e.NewSignal()
			if tc.notifyAt == 0 {
				sig.Notify()
			} else if tc.notifyAt > 0 {
				e.AfterFunc(tc.notifyAt, sig.Notify)
			}
			var got bool
			var at time.Duration
			e.Go("waiter", func() { got = sig.Wait(tc.timeout); at = s.Now() })
			if err := s.Run(); err != nil {
				t.Fatal(err)
			}
			if got != tc.want || at != tc.wantAt {
				t.Fatalf("Wait = %v at %v, want %v at %v", got, at, tc.want, tc.wantAt)
			}
		})
	}
}

func TestNotifiesCoalesce(t *testing.T) {
	s := New(Config{Seed: 1})
	defer s.Close()
	e := s.NewEnv(nil)
	sig := e.NewSignal()
	sig.Notify()
	sig.Notify()
	var first, second bool
	e.Go("w", func() { first = sig.Wait(time.Second); second = sig.Wait(time.Second) })
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if !first || second {
		t.Fatalf("got %v %v, want true false", first, second)
	}
}

func TestDeadlockReported(t *testing.T) {
	s := New(Config{Seed: 1})
	defer s.Close()
	e := s.NewEnv(nil)
	e.Go("forever-waiter", func() { e.NewSignal().Wait(0) })
	err := s.Run()
	var se *StallError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %v, want a *StallError", err)
	}
	if len(se.Tasks) != 1 || se.Tasks[0].Name != "forever-waiter" || !strings.Contains(err.Error(), "signal") {
		t.Fatalf("stall report does not name the task and what it waits on: %v", err)
	}
}

func TestForeignBlockingReported(t *testing.T) {
	s := New(Config{Seed: 1, Watchdog: 200 * time.Millisecond})
	defer s.Close()
	e := s.NewEnv(nil)
	ch := make(chan int)
	e.Go("blocks-on-channel", func() { <-ch })
	start := time.Now()
	err := s.Run()
	var se *StallError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %v, want a *StallError", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("stall took %v to report", time.Since(start))
	}
	if !strings.Contains(err.Error(), "blocks-on-channel") || !strings.Contains(err.Error(), "chan receive") {
		t.Fatalf("report lacks the task or its stack: %v", err)
	}
	close(ch) // let the goroutine end
}

func TestPanicReported(t *testing.T) {
	s := New(Config{Seed: 1})
	defer s.Close()
	e := s.NewEnv(nil)
	e.Go("bad", func() { e.Sleep(time.Second); panic("boom") })
	err := s.Run()
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Task != "bad" || pe.At != time.Second {
		t.Fatalf("Run = %v, want a PanicError from task bad at 1s", err)
	}
}

func TestCloseUnwindsTasks(t *testing.T) {
	s := New(Config{Seed: 1})
	e := s.NewEnv(nil)
	unwound := 0
	for i := 0; i < 10; i++ {
		e.Go("sleeper", func() {
			defer func() { unwound++ }()
			e.Sleep(time.Hour)
		})
	}
	if err := s.RunUntil(time.Minute); err != nil {
		t.Fatal(err)
	}
	if len(s.Tasks()) != 10 {
		t.Fatalf("%d live tasks, want 10", len(s.Tasks()))
	}
	s.Close()
	if unwound != 10 || len(s.Tasks()) != 0 {
		t.Fatalf("Close unwound %d tasks, %d left", unwound, len(s.Tasks()))
	}
}

func TestManyTasks(t *testing.T) {
	s := New(Config{Seed: 7})
	defer s.Close()
	e := s.NewEnv(nil)
	const n = 5000
	sum := 0
	for i := 0; i < n; i++ {
		r := e.NewRand()
		e.Go("worker", func() {
			for j := 0; j < 5; j++ {
				e.Sleep(time.Duration(r.IntN(1000)) * time.Millisecond)
				sum++
			}
		})
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if sum != 5*n {
		t.Fatalf("sum %d, want %d", sum, 5*n)
	}
}

func TestCryptoRandHonoured(t *testing.T) {
	if err := CheckCryptoRand(); err != nil {
		t.Fatal(err)
	}
}

func TestSeededReaderIgnoresSingleBytes(t *testing.T) {
	s1, s2 := New(Config{Seed: 3}), New(Config{Seed: 3})
	r1, r2 := s1.NewCryptoReader(), s2.NewCryptoReader()
	var a, b [32]byte
	var one [1]byte
	r1.Read(one[:])
	r1.Read(a[:])
	r2.Read(b[:])
	if a != b {
		t.Fatal("a one-byte read shifted the seeded stream")
	}
}
