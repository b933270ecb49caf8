package proxies

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacing constants: additive increase, multiplicative decrease, and a cut straight to what
// the server accepted when that is lower.
const (
	// headroom keeps the limiter a little under --rate, so that scheduling jitter never
	// puts rate+1 requests in one window of the server's.
	headroom = 0.995
	// cutFactor is the rate kept after a 429 at least: a tenth less.
	cutFactor = 0.9
	// estimateFactor is the share of the observed limit kept after a 429: the requests sent
	// in the window before the 429 are what the server accepted, so pacing just under that
	// count converges in one step.
	estimateFactor = 0.98
	// holdCeiling is how long the pacing stays at or under a limit read off a 429 before it
	// probes above it again: the limit of an OAuth client rarely changes within a run.
	holdCeiling = 10 * time.Minute
	// cutQuiet groups the 429s of one overload: the requests in flight when the server's
	// window filled all come back 429, and they are one signal, not several.
	cutQuiet = 2 * time.Second
	// raiseEvery and raiseFactor climb back slowly after the 429s stop: 2% a minute.
	raiseEvery  = time.Minute
	raiseFactor = 1.02
	// minRate is the floor of the pacing: one request every 10 s.
	minRate = 0.1
	// defaultWindow is the span of the server's limit: Genesys counts requests a minute.
	defaultWindow = time.Minute
	// buckets is the resolution of the count of recent requests.
	buckets = 60
)

// pacer steers the shared limiter. It starts just under the configured rate. On a 429 it
// reads the server's limit off the requests it sent in the window before it, and slows
// down to 98% of that, where it stays for holdCeiling; when that count is no lower than the
// current pacing (the 429 came from another limit), it slows down by a tenth. It climbs back
// by raiseFactor each minute without a 429, never above the configured rate. It is safe for
// concurrent use.
type pacer struct {
	lim    *rate.Limiter
	max    float64 // requests per second, from --rate, less the headroom
	window time.Duration

	mu        sync.Mutex
	cur       float64
	lastCut   time.Time
	lastRaise time.Time
	ceiling   float64   // the limit read off the last 429, less the margin
	ceilUntil time.Time // when the pacing may climb above ceiling again
	// recent counts the requests sent in the last window, in buckets of window/buckets.
	recent [buckets]int
	slot   [buckets]int64 // the bucket number each count belongs to
}

func newPacer(perMinute int, window time.Duration, now time.Time) *pacer {
	if window <= 0 {
		window = defaultWindow
	}
	r := float64(perMinute) / 60 * headroom
	return &pacer{lim: rate.NewLimiter(rate.Limit(r), 1), max: r, cur: r, window: window, lastRaise: now}
}

// sent records a request leaving.
func (p *pacer) sent(now time.Time) {
	b := now.UnixNano() / int64(p.window/buckets)
	i := int(b % buckets)
	p.mu.Lock()
	if p.slot[i] != b {
		p.slot[i], p.recent[i] = b, 0
	}
	p.recent[i]++
	p.mu.Unlock()
}

// inWindow counts the requests sent in the window before now. Call with mu held.
func (p *pacer) inWindow(now time.Time) int {
	b := now.UnixNano() / int64(p.window/buckets)
	n := 0
	for i := range buckets {
		if p.slot[i] > b-buckets {
			n += p.recent[i]
		}
	}
	return n
}

// throttled records a 429.
func (p *pacer) throttled(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastCut) < cutQuiet {
		return
	}
	next := p.cur * cutFactor
	if seen := float64(p.inWindow(now)) / p.window.Seconds() * estimateFactor; seen > 0 && seen < p.cur {
		next = seen
		p.ceiling, p.ceilUntil = seen, now.Add(holdCeiling)
	}
	p.cur = max(next, minRate)
	p.lastCut, p.lastRaise = now, now
	p.lim.SetLimitAt(now, rate.Limit(p.cur))
}

// tick raises the rate if a minute passed without a 429.
func (p *pacer) tick(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur >= p.max || now.Sub(p.lastRaise) < raiseEvery {
		return
	}
	next := min(p.cur*raiseFactor, p.max)
	if now.Before(p.ceilUntil) {
		next = min(next, max(p.ceiling, p.cur))
	}
	p.cur = next
	p.lastRaise = now
	p.lim.SetLimitAt(now, rate.Limit(p.cur))
}

// perMinute is the current pacing.
func (p *pacer) perMinute() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur * 60
}
