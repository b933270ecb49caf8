package gcsim

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rate limits. Every API request, and every token request (at /oauth/token or
// /auth/v3/oauth/token), must fit in each of these sliding
// windows of Options.RateWindow (60 s by default, as Genesys counts) before its handler runs:
//
//  1. the token's window, Options.RatePerMinute: by default each access token has its own
//     (Genesys defines client.credentials.token.rate.per.minute as "the maximum number of
//     requests per client credentials grant token per minute"); with Options.RatePerClient
//     the tokens of an OAuth client share one. Answered 429 too.many.requests "Rate limit
//     exceeded the maximum [N] requests within [S] seconds";
//  2. its client's window for its route, Options.RouteLimits: per-resource limits,
//     answered 429 too.many.requests.retry.after "Rate limit exceeded the maximum. Retry
//     the request in [N] seconds", which does not state the limit;
//  3. for the /search routes, the org's window of each criteria type the request uses
//     (searchLimits, Options.SearchLimits), answered like 2. A request using two types
//     counts against both; one using a type twice counts once;
//  4. for a token request, its client's token window, Options.TokenMintPerMinute, shared
//     by both token endpoints, answered like 2.
//
// A token request counts in the token's window too: with RatePerClient in its client's
// window, as any request; by default, having no token yet, in the window of the token it
// mints, as its first request (a refused one counts nowhere). Either way, one token's
// window holds the same requests in both modes.
//
// Every 429 carries Retry-After: the whole seconds until the window that refused the
// request has room again. A refused request counts in no window. Modelling choices: the
// windows slide (Genesys does not document how it counts within its minute); the search
// windows are the org's across the users, groups and locations searches, and count a
// request when it is admitted, whatever its handler answers; a token request is admitted
// (and counted) before its secret is checked.

// searchLimits are the per-type search limits Developer Center documents (search limits
// page), requests per 60 s per org. Modelling choice: GREATER_THAN and the other
// comparisons share the 240 of STARTS_WITH and RANGE.
var searchLimits = map[string]int{
	"EXACT":                 4000,
	"TERM":                  300,
	"TERMS":                 300,
	"QUERY_STRING":          300,
	"REQUIRED_FIELDS":       300,
	"STARTS_WITH":           240,
	"RANGE":                 240,
	"DATE_RANGE":            240,
	"GREATER_THAN":          240,
	"GREATER_THAN_EQUAL_TO": 240,
	"LESS_THAN":             240,
	"LESS_THAN_EQUAL_TO":    240,
	"REGEX":                 120,
	"CONTAINS":              100,
}

// windows are the times of the requests each limit accepted, oldest first. Sim.mu guards
// them.
type windows struct {
	rate   map[string][]time.Time // the tokens' limit: by token (tokenKey) or, with RatePerClient, by OAuth client
	routes map[string][]time.Time // by OAuth client and route key
	search map[string][]time.Time // by criteria type, for the whole org
	mint   map[string][]time.Time // token requests, by OAuth client
}

func newWindows() windows {
	return windows{rate: map[string][]time.Time{}, routes: map[string][]time.Time{}, search: map[string][]time.Time{}, mint: map[string][]time.Time{}}
}

// window is one limit a request must fit in.
type window struct {
	times  map[string][]time.Time
	key    string
	max    int
	stated bool // the 429 states the limit (the token's); others state only the wait
}

// tokenKey is the key of a token's own window in windows.rate. OAuth client ids never
// start with "#" in the simulator's orgs; the rate window of one mode never holds the
// other's keys anyway.
func tokenKey(index int) string { return "#" + strconv.Itoa(index) }

// apiWindows are the windows an authenticated API request on route key ("" when no route
// matched) must fit in.
func (s *Sim) apiWindows(c *call, key string) []window {
	var ws []window
	if n := s.opts.RatePerMinute; n > 0 {
		k := tokenKey(c.token)
		if s.opts.RatePerClient {
			k = c.client
		}
		ws = append(ws, window{times: s.windows.rate, key: k, max: n, stated: true})
	}
	if n := s.opts.RouteLimits[key]; n > 0 {
		ws = append(ws, window{times: s.windows.routes, key: c.client + " " + key, max: n})
	}
	if strings.HasPrefix(key, "POST ") && strings.HasSuffix(key, "/search") {
		for _, typ := range criteriaTypes(c.body) {
			if n := s.searchLimit(typ); n > 0 {
				ws = append(ws, window{times: s.windows.search, key: typ, max: n})
			}
		}
	}
	return ws
}

// tokenWindows are the windows a token request of client to the endpoint of route key
// ("POST /oauth/token") must fit in.
func (s *Sim) tokenWindows(client, key string) []window {
	var ws []window
	if n := s.opts.RatePerMinute; n > 0 && s.opts.RatePerClient {
		ws = append(ws, window{times: s.windows.rate, key: client, max: n, stated: true})
	}
	if n := s.opts.RouteLimits[key]; n > 0 {
		ws = append(ws, window{times: s.windows.routes, key: client + " " + key, max: n})
	}
	if n := s.opts.TokenMintPerMinute; n > 0 {
		ws = append(ws, window{times: s.windows.mint, key: client, max: n})
	}
	return ws
}

// chargeMint counts the token request that minted the token index in that token's own
// window (see the rate limits above). Sim.mu must be held.
func (s *Sim) chargeMint(index int) {
	if s.opts.RatePerMinute > 0 && !s.opts.RatePerClient {
		k := tokenKey(index)
		s.windows.rate[k] = append(s.windows.rate[k], time.Now())
	}
}

// admit applies the rate limits ws to a request. A refused request is answered 429 with
// Retry-After, counts in no window, and counts in Counters.TooMany and in
// Counters.TooManyByToken (an API request) or Counters.TokenTooMany (a token request).
func (s *Sim) admit(c *call, ws []window) bool {
	if len(ws) == 0 {
		return true
	}
	now := time.Now()
	span := s.opts.RateWindow
	s.mu.Lock()
	for _, w := range ws {
		times := w.times[w.key]
		i := 0
		for i < len(times) && !times[i].After(now.Add(-span)) {
			i++
		}
		times = times[i:]
		w.times[w.key] = times
		if len(times) < w.max {
			continue
		}
		s.countTooMany(c)
		// The window has room again when all but max-1 of its requests have left it.
		wait := times[len(times)-w.max].Add(span).Sub(now)
		s.mu.Unlock()
		secs := max(1, int(math.Ceil(wait.Seconds())))
		c.w.Header().Set("Retry-After", strconv.Itoa(secs))
		if w.stated {
			c.fail(http.StatusTooManyRequests, "too.many.requests", "Rate limit exceeded the maximum [%d] requests within [%s] seconds",
				w.max, strconv.FormatFloat(span.Seconds(), 'f', -1, 64))
		} else {
			c.fail(http.StatusTooManyRequests, "too.many.requests.retry.after", "Rate limit exceeded the maximum. Retry the request in [%d] seconds", secs)
		}
		return false
	}
	for _, w := range ws {
		w.times[w.key] = append(w.times[w.key], now)
	}
	s.mu.Unlock()
	return true
}

// countTooMany counts a 429 answered to c. Sim.mu must be held.
func (s *Sim) countTooMany(c *call) {
	s.counts.TooMany++
	switch {
	case c.token > 0:
		s.counts.TooManyByToken[c.token]++
	case c.r.URL.Path == "/oauth/token" || c.r.URL.Path == authTokenPath:
		s.counts.TokenTooMany++
	}
}

// searchLimit is the org's limit on searches using criteria type typ within RateWindow;
// 0 means none.
func (s *Sim) searchLimit(typ string) int {
	if n, ok := s.opts.SearchLimits[typ]; ok && n != 0 {
		return max(n, 0)
	}
	return searchLimits[typ]
}

// criteriaTypes lists, sorted and once each, the criteria types a search body uses, nested
// groups included. An unreadable body has none: its handler answers 400.
func criteriaTypes(body []byte) []string {
	type criterion struct {
		Type  string      `json:"type"`
		Group []criterion `json:"group"`
	}
	var req struct {
		Query []criterion `json:"query"`
	}
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	var types []string
	var walk func([]criterion)
	walk = func(cs []criterion) {
		for _, c := range cs {
			if t := strings.ToUpper(c.Type); t != "" && !slices.Contains(types, t) {
				types = append(types, t)
			}
			walk(c.Group)
		}
	}
	walk(req.Query)
	slices.Sort(types)
	return types
}
