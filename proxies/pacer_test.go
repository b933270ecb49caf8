package proxies

import (
	"cmp"
	"math"
	"slices"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// burst is n requests on route, one every `every` from `from` on.
type burst struct {
	route       string
	from, every time.Duration
	n           int
}

// refusal is one 429: the attempt left at sent and was answered at at.
type refusal struct {
	route    string
	sent, at time.Duration
	wait     time.Duration
	stated   float64 // requests a minute the body stated; 0 for none
}

const (
	routeA = "POST /api/v2/users"
	routeB = "PATCH /api/v2/users/{id}/routingskills/bulk"
	routeC = "POST /api/v2/groups/{id}/members"
)

func near(got, want float64) bool { return math.Abs(got-want) < 1e-6 }

// pacerCase is one case of TestPacerDecisions: requests and 429s replayed on a fake clock,
// and what the last 429 should have done.
type pacerCase struct {
	name    string
	setup   func(p *pacer, t0 time.Time)
	sent    []burst
	refused []refusal
	// What the last 429 did.
	everyone   bool
	changed    bool
	ceiling    bool
	perMinute  float64 // the steered pacing after it
	wantShared float64 // the shared pacing after it
	wantRoute  float64 // routeA's own pacing after it; 0: it rides the shared one
}

// topPacing is the pacing of --rate 1200, less the headroom.
const topPacing = 1200 * headroom

// pacerCases are TestPacerDecisions' cases.
var pacerCases = []pacerCase{
	{
		// The token's limit, stated: the server allows 600 a minute. Everyone pauses
		// and the shared pacing keeps 99% of it, whatever was sent.
		name:     "stated limit",
		sent:     []burst{{routeA, 0, 50 * time.Millisecond, 600}},
		refused:  []refusal{{routeA, 30 * time.Second, 30 * time.Second, 30 * time.Second, 600}},
		everyone: true, changed: true, ceiling: true, perMinute: 600 * statedFactor, wantShared: 600 * statedFactor,
	},
	{
		name:     "stated limit above the pacing does not raise it",
		sent:     []burst{{routeA, 0, time.Second, 5}},
		refused:  []refusal{{routeA, 5 * time.Second, 5 * time.Second, time.Second, 3000}},
		everyone: true, changed: false, ceiling: true, perMinute: topPacing, wantShared: topPacing,
	},
	{
		// A route limit of 60 a minute: 60 creations went in 6 s, then a 429 that states
		// no limit. The route has not been sending for a window: no ceiling, but 90% of
		// the rate it was sending at, 600 a minute. Nothing else slows.
		name:      "no stated limit, young route",
		sent:      []burst{{routeA, time.Second, 100 * time.Millisecond, 60}},
		refused:   []refusal{{routeA, 7 * time.Second, 7 * time.Second, 54 * time.Second, 0}},
		changed:   true,
		perMinute: 540, wantShared: topPacing, wantRoute: 540,
	},
	{
		// The case: ten requests in the first 50 s of a run, then a 429 that may
		// have nothing to do with them. Ten a minute is no limit: the route slows to the
		// floor, 60 a minute, above what it was sending, and holds no ceiling.
		name:      "no stated limit, ten requests early in a run",
		sent:      []burst{{routeA, 0, 5 * time.Second, 11}},
		refused:   []refusal{{routeA, 50 * time.Second, 50 * time.Second, 5 * time.Second, 0}},
		changed:   true,
		perMinute: guessFloor * 60, wantShared: topPacing, wantRoute: guessFloor * 60,
	},
	{
		// The same route after a full window: the 50 requests it had accepted in the
		// window before the 429 (from 11.5 s on; its first, at 0.5 s, is older) are its
		// limit.
		name: "no stated limit, full window on the route",
		sent: []burst{
			{routeA, 500 * time.Millisecond, 0, 1},
			{routeA, 11500 * time.Millisecond, time.Second, 50},
		},
		refused:   []refusal{{routeA, 60900 * time.Millisecond, 61 * time.Second, 10 * time.Second, 0}},
		changed:   true,
		ceiling:   true,
		perMinute: 50 * estimateFactor, wantShared: topPacing, wantRoute: 50 * estimateFactor,
	},
	{
		// The route's own pacing is already under what the window holds (it was cut
		// moments ago): the count is no limit, and the route slows by a tenth.
		name: "no stated limit, full window above the route's pacing",
		setup: func(p *pacer, t0 time.Time) {
			r := p.routes[routeA]
			r.cur, r.lim = 5, rate.NewLimiter(5, 1)
		},
		sent:      []burst{{routeA, 0, 100 * time.Millisecond, 700}},
		refused:   []refusal{{routeA, 70 * time.Second, 70 * time.Second, time.Second, 0}},
		changed:   true,
		perMinute: 5 * 60 * cutFactor, wantShared: topPacing, wantRoute: 5 * 60 * cutFactor,
	},
	{
		// A cut never takes a route below the floor, unless it already is.
		name: "a cut stops at the floor",
		setup: func(p *pacer, t0 time.Time) {
			r := p.routes[routeA]
			r.cur, r.lim = 0.5, rate.NewLimiter(0.5, 1)
		},
		sent:      []burst{{routeA, 0, time.Second, 10}},
		refused:   []refusal{{routeA, 10 * time.Second, 10 * time.Second, time.Second, 0}},
		changed:   true,
		perMinute: 30, wantShared: topPacing, wantRoute: 30,
	},
	{
		// The requests in flight when a route's window filled come back 429 together:
		// one signal. The second one changes nothing. (When the first 429 came, the
		// second request still counted: 61 in 6 s, 549 a minute after the cut.)
		name: "one overload counts once",
		sent: []burst{{routeA, time.Second, 100 * time.Millisecond, 60}},
		refused: []refusal{
			{routeA, 7 * time.Second, 7 * time.Second, 54 * time.Second, 0},
			{routeA, 7 * time.Second, 7200 * time.Millisecond, 54 * time.Second, 0},
		},
		changed:   false,
		perMinute: 549, wantShared: topPacing, wantRoute: 549,
	},
	{
		// 429s stating no limit on two routes within a window: the token's limit after
		// all. Both routes sent 10 a second for 70 s; at 73 s the window holds the
		// 1,120 accepted from 14 s on (the buckets of the last 59 s and the current one).
		name: "no stated limit on two routes: the token's limit, full window",
		sent: []burst{
			{routeA, 0, 100 * time.Millisecond, 700},
			{routeB, 50 * time.Millisecond, 100 * time.Millisecond, 700},
		},
		refused: []refusal{
			{routeA, 70 * time.Second, 70 * time.Second, 3 * time.Second, 0},
			{routeB, 70050 * time.Millisecond, 73 * time.Second, 3 * time.Second, 0},
		},
		everyone: true, changed: true, ceiling: true,
		perMinute: 1120 * estimateFactor, wantShared: 1120 * estimateFactor,
		wantRoute: 590 * estimateFactor, // from routeA's own 429, a moment before
	},
	{
		// The same early in a run: no window of evidence, so 90% of the rate observed
		// since the first request (10 a second, 600 a minute), not a ceiling.
		name: "no stated limit on two routes early in a run",
		sent: []burst{
			{routeA, 0, 200 * time.Millisecond, 25},
			{routeB, 100 * time.Millisecond, 200 * time.Millisecond, 25},
		},
		refused: []refusal{
			{routeA, 5 * time.Second, 5 * time.Second, time.Second, 0},
			{routeB, 5 * time.Second, 5 * time.Second, time.Second, 0},
		},
		everyone: true, changed: true,
		perMinute: 600 * cutFactor, wantShared: 600 * cutFactor, wantRoute: 300 * cutFactor,
	},
}

// TestPacerDecisions replays requests and 429s on a fake clock and checks what the last
// 429 did: who pauses, and which pacing moves where.
func TestPacerDecisions(t *testing.T) {
	for _, tt := range pacerCases {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Unix(1_000_000, 0)
			p := newPacer(1200, 1, 0, t0)
			p.routes[routeA] = &routePacing{}
			if tt.setup != nil {
				tt.setup(p, t0)
			}
			replaySends(t, p, t0, tt)
			checkLastRefusal(t, p, t0, tt)
		})
	}
}

// replaySends records tt's requests on p in the order they left, the refused ones included
// (they were in flight before the first 429), and fails if any is held back.
func replaySends(t *testing.T, p *pacer, t0 time.Time, tt pacerCase) {
	t.Helper()
	type send struct {
		route string
		at    time.Duration
	}
	var sends []send
	for _, b := range tt.sent {
		for i := range b.n {
			sends = append(sends, send{b.route, b.from + time.Duration(i)*b.every})
		}
	}
	for _, r := range tt.refused { // in flight before the first 429
		sends = append(sends, send{r.route, r.sent})
	}
	slices.SortStableFunc(sends, func(a, b send) int { return cmp.Compare(a.at, b.at) })
	for _, s := range sends {
		if !p.sent(0, s.route, t0.Add(s.at)) {
			t.Fatalf("a request on %s was held back before any 429", s.route)
		}
	}
}

// checkLastRefusal hands tt's 429s to p in turn and checks what the last one did: the
// verdict, the shared and routeA's pacings, and who waits for its Retry-After.
func checkLastRefusal(t *testing.T, p *pacer, t0 time.Time, tt pacerCase) {
	t.Helper()
	var v verdict
	var last refusal
	for _, r := range tt.refused {
		v = p.throttled(t0.Add(r.at), throttle{route: r.route, sentAt: t0.Add(r.sent), wait: r.wait, stated: r.stated / 60})
		last = r
	}
	if v.everyone != tt.everyone || v.changed != tt.changed || v.ceiling != tt.ceiling || !near(v.perMinute, tt.perMinute) {
		t.Errorf("verdict %+v, want everyone %v changed %v ceiling %v at %v a minute", v, tt.everyone, tt.changed, tt.ceiling, tt.perMinute)
	}
	if got := p.perMinute(); !near(got, tt.wantShared) {
		t.Errorf("shared pacing %v a minute, want %v", got, tt.wantShared)
	}
	if got := float64(p.slots[0].lim.Limit()) * 60; !near(got, tt.wantShared) {
		t.Errorf("shared limiter at %v a minute, want %v", got, tt.wantShared)
	}
	got, own := p.routePerMinute(routeA)
	if !near(got, tt.wantRoute) || own != (tt.wantRoute > 0) {
		t.Errorf("%s's own pacing %v (%v), want %v", routeA, got, own, tt.wantRoute)
	}
	// Who waits for Retry-After: the throttled route always; the others only when
	// everyone pauses.
	at := t0.Add(last.at)
	if d := p.pausedFor(0, last.route, at); d != last.wait {
		t.Errorf("%s paused for %s, want %s", last.route, d, last.wait)
	}
	other := p.pausedFor(0, routeC, at)
	if tt.everyone && other != last.wait {
		t.Errorf("another route paused for %s, want %s", other, last.wait)
	}
	if !tt.everyone && other > 0 {
		t.Errorf("another route paused for %s by a 429 on %s", other, last.route)
	}
}

// A shorter pause never cuts a longer one short, and a pause holds the requests that were
// already waiting on the limiter when it began.
func TestPacerPauses(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	p := newPacer(1200, 1, 0, t0)
	p.throttled(t0, throttle{route: routeA, sentAt: t0, wait: 30 * time.Second})
	p.throttled(t0.Add(time.Second), throttle{route: routeA, sentAt: t0, wait: time.Second})
	if d := p.pausedFor(0, routeA, t0.Add(time.Second)); d != 29*time.Second {
		t.Errorf("paused for %s, want 29s", d)
	}
	if p.sent(0, routeA, t0.Add(10*time.Second)) {
		t.Error("a request on the paused route was let through")
	}
	if !p.sent(0, routeB, t0.Add(10*time.Second)) {
		t.Error("a request on another route was held back")
	}
	if !p.sent(0, routeA, t0.Add(30*time.Second)) {
		t.Error("a request was held back after the pause")
	}
	p.throttled(t0.Add(31*time.Second), throttle{route: routeB, sentAt: t0.Add(31 * time.Second), wait: 5 * time.Second, stated: 5})
	if p.sent(0, routeC, t0.Add(32*time.Second)) {
		t.Error("a stated limit did not pause every route")
	}
}

// The shared pacing climbs 2% a minute after a cut, up to the configured rate; a ceiling
// read off a 429 holds for holdCeiling first.
func TestPacerClimbsBack(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	p := newPacer(600, 1, 0, t0)
	top := 600 * headroom
	p.throttled(at(time.Second), throttle{route: routeA, sentAt: at(time.Second), wait: time.Second, stated: 5}) // 300 a minute
	want := 300 * statedFactor
	if !near(p.perMinute(), want) {
		t.Fatalf("after a stated limit: %v a minute, want %v", p.perMinute(), want)
	}
	for m := 1; m <= 9; m++ {
		p.turn(routeA, at(time.Second+time.Duration(m)*time.Minute))
	}
	if !near(p.perMinute(), want) {
		t.Errorf("climbed above the ceiling within %s: %v a minute", holdCeiling, p.perMinute())
	}
	p.turn(routeA, at(time.Second+holdCeiling+time.Second))
	if !near(p.perMinute(), want*raiseFactor) {
		t.Errorf("after %s: %v a minute, want %v", holdCeiling, p.perMinute(), want*raiseFactor)
	}
	p.turn(routeA, at(time.Second+holdCeiling+30*time.Second))
	if !near(p.perMinute(), want*raiseFactor) {
		t.Errorf("raised before a quiet minute: %v", p.perMinute())
	}
	for m := range 100 {
		p.turn(routeA, at(12*time.Minute+time.Duration(m)*time.Minute))
	}
	if !near(p.perMinute(), top) || !near(float64(p.slots[0].lim.Limit())*60, top) {
		t.Errorf("never back to the configured rate, or above it: %v (limiter %v)", p.perMinute(), float64(p.slots[0].lim.Limit())*60)
	}
}

// A route's own pacing climbs the same way and, back at the configured rate, the route
// rides the shared limiter again.
func TestPacerRouteClimbsBack(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	p := newPacer(1200, 1, 0, t0)
	p.sent(0, routeA, t0)
	for i := range 60 {
		p.sent(0, routeA, at(10*time.Second+time.Duration(i)*time.Second))
	}
	v := p.throttled(at(70*time.Second), throttle{route: routeA, sentAt: at(69 * time.Second), wait: time.Second})
	if !v.ceiling || v.everyone {
		t.Fatalf("verdict %+v, want a ceiling on the route", v)
	}
	ceiling, _ := p.routePerMinute(routeA)
	if lim := p.turn(routeA, at(75*time.Second)); lim == nil || !near(float64(lim.Limit())*60, ceiling) {
		t.Fatalf("the route's limiter: %v, want one at %v a minute", lim, ceiling)
	}
	if p.turn(routeB, at(75*time.Second)) != nil {
		t.Error("another route got a limiter of its own")
	}
	p.turn(routeA, at(70*time.Second+holdCeiling-time.Second))
	if got, _ := p.routePerMinute(routeA); !near(got, ceiling) {
		t.Errorf("climbed within the hold: %v, want %v", got, ceiling)
	}
	p.turn(routeA, at(70*time.Second+holdCeiling+time.Second))
	if got, _ := p.routePerMinute(routeA); !near(got, ceiling*raiseFactor) {
		t.Errorf("after the hold: %v, want %v", got, ceiling*raiseFactor)
	}
	// An idle route climbs by the minutes it was quiet, at its next request.
	if lim := p.turn(routeA, at(70*time.Second+holdCeiling+4*time.Hour)); lim != nil {
		t.Errorf("still paced on its own at %v a minute after 4 quiet hours", float64(lim.Limit())*60)
	}
	if _, own := p.routePerMinute(routeA); own {
		t.Error("the route kept a pacing of its own at the configured rate")
	}
}

// However many 429s come, no pacing goes below the floor on guesses.
func TestPacerFloor(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	p := newPacer(1200, 1, 0, t0)
	for i := range 200 {
		now := t0.Add(time.Duration(i) * 3 * time.Second)
		p.throttled(now, throttle{route: routeA, sentAt: now, wait: time.Second})
	}
	if got, _ := p.routePerMinute(routeA); !near(got, guessFloor*60) {
		t.Errorf("route pacing %v a minute after 200 guesses, want the floor %v", got, guessFloor*60)
	}
	if got := p.perMinute(); !near(got, 1200*headroom) {
		t.Errorf("429s on one route moved the shared pacing to %v", got)
	}
	// On two routes at once, they steer the shared pacing.
	p = newPacer(1200, 1, 0, t0)
	for i := range 200 {
		now := t0.Add(time.Duration(i) * 3 * time.Second)
		p.throttled(now, throttle{route: routeA, sentAt: now, wait: time.Second})
		p.throttled(now, throttle{route: routeB, sentAt: now, wait: time.Second})
	}
	if got := p.perMinute(); !near(got, guessFloor*60) {
		t.Errorf("shared pacing %v a minute after 200 guesses, want the floor %v", got, guessFloor*60)
	}
	// A configured rate below the floor is the floor.
	q := newPacer(30, 1, 0, t0)
	for i := range 10 {
		now := t0.Add(time.Duration(i) * 3 * time.Second)
		q.throttled(now, throttle{route: routeA, sentAt: now, wait: time.Second})
	}
	if got, _ := q.routePerMinute(routeA); !near(got, 30*headroom) {
		t.Errorf("--rate 30: route pacing %v, want %v", got, 30*headroom)
	}
}

// A shorter window (tests): 40 accepted in 2 s on a route that has sent for longer is 1,200
// a minute.
func TestPacerShortWindow(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	p := newPacer(6000, 1, 2*time.Second, t0)
	p.sent(0, routeA, t0)
	for i := range 40 {
		p.sent(0, routeA, t0.Add(time.Second+time.Duration(i)*25*time.Millisecond))
	}
	v := p.throttled(t0.Add(2500*time.Millisecond), throttle{route: routeA, sentAt: t0.Add(2500 * time.Millisecond), wait: time.Second})
	if want := 1200 * estimateFactor; !v.ceiling || !near(v.perMinute, want) {
		t.Errorf("verdict %+v, want a ceiling at %v a minute", v, want)
	}
}

// With a pool, a request goes to the token that can send soonest; a 429 that states the
// token's limit pauses and slows that token only, while one that states no limit pauses its
// route on every token; a token not yet minted carries nothing.
func TestPacerPool(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	p := newPacer(600, 2, 0, t0) // 10 a second a token, less the headroom
	first, pause, delay, _ := p.pick(1, t0)
	if first != 0 || pause != 0 || delay != 0 {
		t.Fatalf("first pick: token %d after %s + %s, want token 0 at once", first, pause, delay)
	}
	if slot, _, delay, _ := p.pick(1, t0); slot != 0 || delay <= 0 {
		t.Errorf("with one token minted: token %d after %s, want token 0 after its limiter's delay", slot, delay)
	}
	if slot, _, delay, _ := p.pick(2, t0); slot != 1 || delay != 0 {
		t.Errorf("with two: token %d after %s, want the idle token 1 at once", slot, delay)
	}

	// Token 0's limit: token 0 pauses and slows, token 1 goes on at its own pace.
	v := p.throttled(t0, throttle{slot: 0, route: routeA, sentAt: t0, wait: 30 * time.Second, stated: 5})
	if !v.everyone || p.pausedFor(0, routeB, t0) != 30*time.Second || p.pausedFor(1, routeB, t0) > 0 {
		t.Errorf("verdict %+v; token 0 paused %s, token 1 %s: want token 0 alone paused 30s", v, p.pausedFor(0, routeB, t0), p.pausedFor(1, routeB, t0))
	}
	if got := float64(p.slots[1].lim.Limit()) * 60; !near(got, 600*headroom) {
		t.Errorf("token 1's pacing %v a minute, want it untouched at %v", got, 600*headroom)
	}
	if !near(p.perMinute(), 5*statedFactor*60+600*headroom) {
		t.Errorf("pool pacing %v a minute, want both tokens' added up", p.perMinute())
	}
	for range 3 {
		if slot, pause, _, _ := p.pick(2, t0.Add(time.Second)); slot != 1 || pause != 0 {
			t.Errorf("while token 0 pauses: token %d after a pause of %s, want token 1", slot, pause)
		}
	}
	if got := p.throttledByToken(); got[0] != 1 || got[1] != 0 {
		t.Errorf("429s by token %v, want [1 0]", got)
	}

	// A route's own 429 holds the route on every token.
	p.throttled(t0.Add(2*time.Second), throttle{slot: 1, route: routeC, sentAt: t0, wait: 10 * time.Second})
	if d := p.routePausedFor(routeC, t0.Add(2*time.Second)); d != 10*time.Second {
		t.Errorf("route paused %s, want 10s", d)
	}
	if p.sent(1, routeC, t0.Add(3*time.Second)) || !p.sent(1, routeB, t0.Add(3*time.Second)) {
		t.Error("the paused route went out, or another route was held by the route's 429")
	}
}
