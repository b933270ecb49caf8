package proxies

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacing constants: additive increase, multiplicative decrease, and a cut straight to what
// the server allows when a 429 says so or a full window of requests shows it.
const (
	// headroom keeps the limiter a little under --rate, so that scheduling jitter never
	// puts rate+1 requests in one window of the server's.
	headroom = 0.995
	// statedFactor is the share of a limit stated in a 429's body that the pacing keeps. The
	// limit is exact, and a limiter of burst 1 puts at most rate×window+1 requests in a
	// window; 1% absorbs the jitter between our clock and the server's (3 requests of 300).
	statedFactor = 0.99
	// estimateFactor is the share of a limit read off a full window of requests that the
	// pacing keeps: the requests accepted in the window before the 429 are what the server
	// allows, so pacing just under that count converges in one step.
	estimateFactor = 0.98
	// cutFactor is the rate kept after a 429 that tells nothing of the limit: a tenth less.
	cutFactor = 0.9
	// guessFloor is where cuts on a guess stop, in requests a second (60 a minute): a 429
	// that states no limit, without a full window of requests behind it, tells nothing of
	// the rate allowed. Only a stated limit or a full window takes a pacing lower.
	guessFloor = 1.0
	// minRate is the floor of every pacing: one request every 10 s.
	minRate = 0.1
	// holdCeiling is how long a pacing stays at or under a limit read off a 429 before it
	// probes above it again: the limits of an OAuth client rarely change within a run.
	holdCeiling = 10 * time.Minute
	// cutQuiet groups the 429s of one overload, on a window of a minute (a shorter window
	// shortens it in proportion): the requests in flight when the server's window filled all
	// come back 429, and they are one signal, not several.
	cutQuiet = 2 * time.Second
	// raiseEvery and raiseFactor climb back slowly after the 429s stop: 2% a minute.
	raiseEvery  = time.Minute
	raiseFactor = 1.02
	// defaultWindow is the span of the server's limits: Genesys counts requests a minute.
	defaultWindow = time.Minute
	// buckets is the resolution of the count of recent requests.
	buckets = 60
)

// pacer decides when requests may leave, and on which access token. Each token of the pool
// (one, unless --tokens) has its own limiter, which starts just under the configured rate:
// Genesys counts its limit per token. A request leaves on the token that can send soonest; a
// route that a 429 slowed on its own also waits on its own limiter, whatever the token. It
// is safe for concurrent use.
//
// A 429 is read by what it says:
//   - One whose body states the limit (too.many.requests: "… maximum [N] requests within
//     [S] seconds") is the token's limit: every request on that token pauses for
//     Retry-After and the token's pacing goes to 99% of N/S, a ceiling held for holdCeiling.
//   - One that states no limit (too.many.requests.retry.after) may be a per-resource limit
//     or anything else: only its route pauses for Retry-After, and only its route slows.
//     When the route has been sending for a full window, the requests it had accepted in
//     the window before the 429 are the limit, and 98% of them becomes the route's ceiling
//     if it is below its pacing; otherwise the route's pacing drops to 90% of its observed
//     rate, never below 60 a minute. Other routes keep the shared pacing.
//   - 429s that state no limit on two routes or more within one window are the token's
//     limit after all: every request on the token pauses, and its pacing takes a ceiling
//     from a full window of requests, or else slows by a tenth, never below 60 a minute.
//
// The 429s of one overload (within cutQuiet of each other) count once. A pacing climbs back
// by 2% for each minute without a 429, never above its ceiling while it holds, nor above
// the configured rate.
type pacer struct {
	max    float64       // requests per second per token, from --rate, less the headroom
	window time.Duration // the span of the server's limits
	width  time.Duration // one bucket of the counts: window/buckets
	quiet  time.Duration // cutQuiet in proportion to the window
	floor  float64       // guessFloor, or max when --rate is lower

	mu     sync.Mutex
	slots  []*slotPacing           // one per token of the pool, by index
	routes map[string]*routePacing // by route(), created on a route's first request
}

// slotPacing is one token's pacing and pause.
type slotPacing struct {
	lim         *rate.Limiter // all.lim
	all         pacing        // the token's pacing
	pausedUntil time.Time     // set by a 429 for the whole token: no request on it starts before
	throttled   int           // 429s answered to requests on this token
}

// pacing is one rate steered by 429s: the shared one, or a route's own.
type pacing struct {
	lim       *rate.Limiter // runs at cur; nil for a route that rides the shared pacing
	cur       float64       // requests per second
	lastCut   time.Time
	lastRaise time.Time
	ceiling   float64   // the limit read off the last 429, less the margin
	ceilUntil time.Time // when the pacing may climb above ceiling again
	sent      history
}

// routePacing is one route's pause and, once a 429 slowed it, its own pacing.
type routePacing struct {
	pacing
	pausedUntil   time.Time // set by a 429 without a stated limit on this route
	lastThrottled time.Time // the last such 429
}

// history counts the requests accepted in the last window, in buckets of window/buckets.
type history struct {
	first time.Time // the first request counted; zero before
	count [buckets]int
	slot  [buckets]int64 // the bucket number each count belongs to
}

// throttle is what one 429 told.
type throttle struct {
	slot   int           // the token the refused request went out on
	route  string        // route() of the refused request
	sentAt time.Time     // when the refused attempt left: it no longer counts as accepted
	wait   time.Duration // Retry-After
	stated float64       // the limit its body stated, requests a second; 0 when none
}

// verdict is what the pacer made of a 429, for logs and tests.
type verdict struct {
	everyone  bool    // every request pauses, and the shared pacing is the one steered
	changed   bool    // a pacing moved; false when the 429 belonged to an overload already counted
	ceiling   bool    // the new pacing is a ceiling held for holdCeiling
	perMinute float64 // the steered pacing afterwards, requests a minute
}

// newPacer starts the pacing of each of tokens (at least one) just under perMinute
// (headroom), for a server that counts requests over window (0: a minute); now starts the
// clock of their climbs.
func newPacer(perMinute, tokens int, window time.Duration, now time.Time) *pacer {
	if window <= 0 {
		window = defaultWindow
	}
	r := float64(perMinute) / 60 * headroom
	p := &pacer{
		max:    r,
		window: window,
		width:  max(window/buckets, 1),
		quiet:  min(cutQuiet, window/30),
		floor:  min(guessFloor, r),
		routes: map[string]*routePacing{},
	}
	for range max(tokens, 1) {
		lim := rate.NewLimiter(rate.Limit(r), 1)
		p.slots = append(p.slots, &slotPacing{lim: lim, all: pacing{lim: lim, cur: r, lastRaise: now}})
	}
	return p
}

// pausedFor is how long a request on route and token slot must still wait for a 429's
// Retry-After.
func (p *pacer) pausedFor(slot int, route string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	until := p.slots[slot].pausedUntil
	if r := p.routes[route]; r != nil && r.pausedUntil.After(until) {
		until = r.pausedUntil
	}
	return until.Sub(now)
}

// routePausedFor is how long a request on route must still wait for a 429's Retry-After on
// the route itself, whatever the token.
func (p *pacer) routePausedFor(route string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.routes[route]; r != nil {
		return r.pausedUntil.Sub(now)
	}
	return 0
}

// turn climbs the pacings a request on route is subject to when a quiet minute has passed
// (each token's and the route's), and returns the route's own limiter, nil when it rides
// the tokens' ones.
func (p *pacer) turn(route string, now time.Time) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.slots {
		if s.all.raise(now, p.max) {
			s.lim.SetLimitAt(now, rate.Limit(s.all.cur))
		}
	}
	r := p.routes[route]
	if r == nil || r.lim == nil {
		return nil
	}
	top := p.max * float64(len(p.slots))
	if r.raise(now, top) {
		if r.cur >= top {
			r.lim = nil // back at the configured rate: the tokens' limiters are enough
			return nil
		}
		r.lim.SetLimitAt(now, rate.Limit(r.cur))
	}
	return r.lim
}

// pick reserves a turn on the token that can send soonest, of the first ready ones (the
// pool's tokens minted so far, at least one): the one whose 429 pause, if any, and then its
// limiter let a request go first. now is the clock of the pauses; the limiters run on the
// real clock, as rate.Limiter.Wait does. It returns the token's index, how long the request
// must wait for the token's pause to end, and then for the limiter; cancel gives the turn
// back, for a request that gives up waiting.
func (p *pacer) pick(ready int, now time.Time) (slot int, pause, delay time.Duration, cancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	real := time.Now()
	slot = -1
	var best *rate.Reservation
	for i, s := range p.slots[:max(min(ready, len(p.slots)), 1)] {
		d := max(s.pausedUntil.Sub(now), 0)
		res := s.lim.ReserveN(real.Add(d), 1)
		w := res.DelayFrom(real.Add(d))
		if slot >= 0 && d+w >= pause+delay {
			res.CancelAt(real)
			continue
		}
		if best != nil {
			best.CancelAt(real)
		}
		slot, pause, delay, best = i, d, w, res
	}
	return slot, pause, delay, func() { best.Cancel() }
}

// sent records a request on route and token slot leaving at now, unless a 429 paused it
// meanwhile; it reports whether the request may leave.
func (p *pacer) sent(slot int, route string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.routes[route]
	if r == nil {
		r = &routePacing{}
		p.routes[route] = r
	}
	s := p.slots[slot]
	if now.Before(s.pausedUntil) || now.Before(r.pausedUntil) {
		return false
	}
	s.all.sent.add(now, p.width, 1)
	r.sent.add(now, p.width, 1)
	return true
}

// throttled records a 429 and pauses what it calls for; see pacer.
func (p *pacer) throttled(now time.Time, th throttle) verdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.routes[th.route]
	if r == nil {
		r = &routePacing{}
		p.routes[th.route] = r
	}
	s := p.slots[th.slot]
	s.throttled++
	// The refused request was not accepted: the counts are of what the server took.
	s.all.sent.add(th.sentAt, p.width, -1)
	r.sent.add(th.sentAt, p.width, -1)
	until := now.Add(th.wait)

	if th.stated > 0 {
		s.pausedUntil = later(s.pausedUntil, until)
		// A stated limit is exact: it applies every time, and never raises the pacing.
		limit := max(min(th.stated*statedFactor, p.max), minRate)
		s.all.ceiling, s.all.ceilUntil = limit, now.Add(holdCeiling)
		s.all.lastCut, s.all.lastRaise = now, now
		changed := limit < s.all.cur
		s.all.cur = min(s.all.cur, limit)
		s.lim.SetLimitAt(now, rate.Limit(s.all.cur))
		return verdict{everyone: true, changed: changed, ceiling: true, perMinute: s.all.cur * 60}
	}

	everyone := false
	for k, o := range p.routes {
		if k != th.route && !o.lastThrottled.IsZero() && now.Sub(o.lastThrottled) < p.window {
			everyone = true
			break
		}
	}
	r.lastThrottled = now
	if everyone {
		s.pausedUntil = later(s.pausedUntil, until)
		if now.Sub(s.all.lastCut) < p.quiet {
			return verdict{everyone: true, perMinute: s.all.cur * 60}
		}
		next, ceiling := p.slow(&s.all, now, s.all.cur)
		s.all.set(now, next, ceiling)
		s.lim.SetLimitAt(now, rate.Limit(next))
		return verdict{everyone: true, changed: true, ceiling: ceiling, perMinute: next * 60}
	}

	r.pausedUntil = later(r.pausedUntil, until)
	base := p.total()
	if r.lim != nil {
		base = min(r.cur, base)
	}
	if now.Sub(r.lastCut) < p.quiet {
		return verdict{perMinute: base * 60}
	}
	next, ceiling := p.slow(&r.pacing, now, base)
	r.set(now, next, ceiling)
	if r.lim == nil {
		r.lim = rate.NewLimiter(rate.Limit(next), 1)
	} else {
		r.lim.SetLimitAt(now, rate.Limit(next))
	}
	return verdict{changed: true, ceiling: ceiling, perMinute: next * 60}
}

// slow decides the pacing after a 429 that stated no limit, for a pacing now at base
// requests a second. With a full window of requests behind it, 98% of the requests
// accepted in the window is a ceiling, when it is below base. Otherwise the pacing drops to
// 90% of the rate observed since the first request (of base when that is higher, or when
// nothing was accepted), never below the floor unless it already was.
func (p *pacer) slow(g *pacing, now time.Time, base float64) (next float64, ceiling bool) {
	n := g.sent.inWindow(now, p.width)
	if g.sent.first.IsZero() || now.Sub(g.sent.first) >= p.window {
		if seen := float64(n) / p.window.Seconds() * estimateFactor; seen > 0 && seen < base {
			return max(seen, minRate), true
		}
		return max(base*cutFactor, min(base, p.floor)), false
	}
	from := base
	if n > 0 {
		span := max(now.Sub(g.sent.first), p.width)
		from = min(base, float64(n)/span.Seconds())
	}
	return max(from*cutFactor, min(base, p.floor)), false
}

// set moves the pacing to next after a 429; a ceiling holds for holdCeiling.
func (g *pacing) set(now time.Time, next float64, ceiling bool) {
	g.cur = next
	g.lastCut, g.lastRaise = now, now
	if ceiling {
		g.ceiling, g.ceilUntil = next, now.Add(holdCeiling)
	}
}

// raise climbs by raiseFactor for each minute without a 429, never above top, nor above
// the ceiling while it holds. It reports whether the pacing moved.
func (g *pacing) raise(now time.Time, top float64) bool {
	if g.cur >= top {
		return false
	}
	steps := now.Sub(g.lastRaise) / raiseEvery
	if steps < 1 {
		return false
	}
	next := min(g.cur*math.Pow(raiseFactor, float64(steps)), top)
	if now.Before(g.ceilUntil) {
		next = min(next, max(g.ceiling, g.cur))
	}
	g.lastRaise = g.lastRaise.Add(steps * raiseEvery)
	moved := next != g.cur
	g.cur = next
	return moved
}

// add counts n requests sent at t; a negative n takes back requests still in the window.
func (h *history) add(t time.Time, width time.Duration, n int) {
	b := t.UnixNano() / int64(width)
	i := int(b % buckets)
	if n < 0 {
		if h.slot[i] == b {
			h.count[i] = max(0, h.count[i]+n)
		}
		return
	}
	if h.slot[i] > b {
		return // older than the window the bucket now counts
	}
	if h.first.IsZero() {
		h.first = t
	}
	if h.slot[i] != b {
		h.slot[i], h.count[i] = b, 0
	}
	h.count[i] += n
}

// inWindow counts the requests of the window before now.
func (h *history) inWindow(now time.Time, width time.Duration) int {
	b := now.UnixNano() / int64(width)
	n := 0
	for i := range buckets {
		if h.slot[i] > b-buckets {
			n += h.count[i]
		}
	}
	return n
}

// perMinute is the pacing of all the tokens together, requests a minute.
func (p *pacer) perMinute() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total() * 60
}

// total is the tokens' pacings added up, requests a second. p.mu is held.
func (p *pacer) total() float64 {
	sum := 0.0
	for _, s := range p.slots {
		sum += s.all.cur
	}
	return sum
}

// throttledByToken is how many 429s each token of the pool was answered.
func (p *pacer) throttledByToken() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, len(p.slots))
	for i, s := range p.slots {
		out[i] = s.throttled
	}
	return out
}

// routePerMinute is a route's own pacing, and false when it rides the shared one.
func (p *pacer) routePerMinute(route string) (float64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.routes[route]; r != nil && r.lim != nil {
		return r.cur * 60, true
	}
	return 0, false
}

// later is the later of a and b: a pause only ever grows.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
