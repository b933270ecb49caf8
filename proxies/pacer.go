package proxies

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacing constants: additive increase, multiplicative decrease.
const (
	// cutFactor is the rate kept after a 429: a tenth less converges on the server's limit
	// in a handful of 429s without halving the throughput.
	cutFactor = 0.9
	// cutQuiet groups the 429s of one overload: the requests in flight when the server's
	// window filled all come back 429, and they are one signal, not several.
	cutQuiet = 2 * time.Second
	// raiseEvery and raiseFactor climb back slowly after the 429s stop: 2% a minute.
	raiseEvery  = time.Minute
	raiseFactor = 1.02
	// minRate is the floor of the pacing: one request every 10 s.
	minRate = 0.1
)

// pacer steers the shared limiter: it starts at the configured rate, slows down by
// cutFactor on a 429, and climbs back by raiseFactor each minute without one, never above
// the configured rate. It is safe for concurrent use.
type pacer struct {
	lim *rate.Limiter
	max float64 // requests per second, from --rate

	mu        sync.Mutex
	cur       float64
	lastCut   time.Time
	lastRaise time.Time
}

func newPacer(perMinute int, now time.Time) *pacer {
	r := float64(perMinute) / 60
	return &pacer{lim: rate.NewLimiter(rate.Limit(r), 1), max: r, cur: r, lastRaise: now}
}

// throttled records a 429.
func (p *pacer) throttled(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastCut) < cutQuiet {
		return
	}
	p.cur = max(p.cur*cutFactor, minRate)
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
	p.cur = min(p.cur*raiseFactor, p.max)
	p.lastRaise = now
	p.lim.SetLimitAt(now, rate.Limit(p.cur))
}

// perMinute is the current pacing.
func (p *pacer) perMinute() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur * 60
}
