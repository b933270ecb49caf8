package proxies

import (
	"math"
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := newPacer(600, t0) // 10 a second
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

	p.throttled(at(time.Second))
	if !near(p.perMinute(), 540) {
		t.Fatalf("after a 429: %v a minute, want 540", p.perMinute())
	}
	p.throttled(at(2 * time.Second)) // the same overload
	if !near(p.perMinute(), 540) {
		t.Errorf("a second 429 within %s cut again: %v", cutQuiet, p.perMinute())
	}
	p.throttled(at(4 * time.Second))
	if !near(p.perMinute(), 486) {
		t.Errorf("a later 429: %v a minute, want 486", p.perMinute())
	}
	p.tick(at(30 * time.Second))
	if !near(p.perMinute(), 486) {
		t.Errorf("raised before a quiet minute: %v", p.perMinute())
	}
	p.tick(at(65 * time.Second))
	if !near(p.perMinute(), 486*1.02) {
		t.Errorf("after a quiet minute: %v, want %v", p.perMinute(), 486*1.02)
	}
	for i := range 100 {
		p.tick(at(time.Duration(2+i) * time.Minute))
	}
	if !near(p.perMinute(), 600) {
		t.Errorf("never back to the configured rate, or above it: %v", p.perMinute())
	}
	if got := float64(p.lim.Limit()) * 60; !near(got, 600) {
		t.Errorf("the limiter runs at %v a minute, want 600", got)
	}
	for i := range 200 {
		p.throttled(at(time.Duration(200+3*i) * time.Minute))
	}
	if got := p.perMinute(); got < minRate*60 {
		t.Errorf("below the floor: %v", got)
	}
}
