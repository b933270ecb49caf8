package proxies

import (
	"math"
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	t0 := time.Unix(0, 0)
	p := newPacer(600, 0, t0) // 10 a second, less the headroom
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	top := 600 * headroom

	if !near(p.perMinute(), top) {
		t.Fatalf("starts at %v a minute, want %v", p.perMinute(), top)
	}
	p.throttled(at(time.Second)) // nothing sent: no estimate, a tenth less
	if !near(p.perMinute(), top*0.9) {
		t.Fatalf("after a 429: %v a minute, want %v", p.perMinute(), top*0.9)
	}
	p.throttled(at(2 * time.Second)) // the same overload
	if !near(p.perMinute(), top*0.9) {
		t.Errorf("a second 429 within %s cut again: %v", cutQuiet, p.perMinute())
	}
	p.throttled(at(4 * time.Second))
	if !near(p.perMinute(), top*0.81) {
		t.Errorf("a later 429: %v a minute, want %v", p.perMinute(), top*0.81)
	}
	p.tick(at(30 * time.Second))
	if !near(p.perMinute(), top*0.81) {
		t.Errorf("raised before a quiet minute: %v", p.perMinute())
	}
	p.tick(at(65 * time.Second))
	if !near(p.perMinute(), top*0.81*1.02) {
		t.Errorf("after a quiet minute: %v, want %v", p.perMinute(), top*0.81*1.02)
	}
	for i := range 100 {
		p.tick(at(time.Duration(2+i) * time.Minute))
	}
	if !near(p.perMinute(), top) {
		t.Errorf("never back to the configured rate, or above it: %v", p.perMinute())
	}
	if got := float64(p.lim.Limit()) * 60; !near(got, top) {
		t.Errorf("the limiter runs at %v a minute, want %v", got, top)
	}
	for i := range 200 {
		p.throttled(at(time.Duration(200+3*i) * time.Minute))
	}
	if got := p.perMinute(); got < minRate*60 {
		t.Errorf("below the floor: %v", got)
	}
}

// A 429 after 300 requests in the window means the server allows about 300: the pacing goes
// straight under that, not a tenth at a time.
func TestPacerReadsTheLimitOffA429(t *testing.T) {
	t0 := time.Unix(1000, 0)
	p := newPacer(1200, 0, t0)
	// 30 s at 20 a second: 600 requests, then the server's limit of 600 a minute is full.
	for i := range 600 {
		p.sent(t0.Add(time.Duration(i) * 50 * time.Millisecond))
	}
	p.throttled(t0.Add(30 * time.Second))
	if got, want := p.perMinute(), 600*estimateFactor; math.Abs(got-want) > 1e-6 {
		t.Errorf("after the first 429: %v a minute, want %v", got, want)
	}

	// It stays there while the limit read off the 429 holds, then climbs again.
	for m := 1; m <= 9; m++ {
		p.tick(t0.Add(30*time.Second + time.Duration(m)*time.Minute))
	}
	if got, want := p.perMinute(), 600*estimateFactor; math.Abs(got-want) > 1e-6 {
		t.Errorf("climbed above the limit read off the 429 within %s: %v a minute", holdCeiling, got)
	}
	p.tick(t0.Add(30*time.Second + holdCeiling + time.Second))
	if got, want := p.perMinute(), 600*estimateFactor*raiseFactor; math.Abs(got-want) > 1e-6 {
		t.Errorf("after %s: %v a minute, want %v", holdCeiling, got, want)
	}

	// Requests older than the window do not count: later, 100 in the last minute and a
	// 429 mean the limit is about 100.
	for i := range 100 {
		p.sent(t0.Add(15*time.Minute + time.Duration(i)*100*time.Millisecond))
	}
	p.throttled(t0.Add(15*time.Minute + 10*time.Second))
	if got, want := p.perMinute(), 100*estimateFactor; math.Abs(got-want) > 1e-6 {
		t.Errorf("after the second 429: %v a minute, want %v (requests outside the window counted?)", got, want)
	}

	// A shorter window (tests): 40 in 2 s is 1,200 a minute.
	q := newPacer(3000, 2*time.Second, t0)
	for i := range 40 {
		q.sent(t0.Add(time.Duration(i) * 20 * time.Millisecond))
	}
	q.throttled(t0.Add(900 * time.Millisecond))
	if got, want := q.perMinute(), 1200*estimateFactor; math.Abs(got-want) > 1e-6 {
		t.Errorf("2 s window: %v a minute, want %v", got, want)
	}
}
