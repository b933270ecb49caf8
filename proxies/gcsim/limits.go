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

// Rate limits. Every API request, and /oauth/token, must fit in each of these sliding
// windows of Options.RateWindow (60 s by default, as Genesys counts) before its handler runs:
//
//  1. its OAuth client's window, Options.RatePerMinute: the token's limit, answered 429
//     too.many.requests "Rate limit exceeded the maximum [N] requests within [S] seconds";
//  2. its client's window for its route, Options.RouteLimits: per-resource limits,
//     answered 429 too.many.requests.retry.after "Rate limit exceeded the maximum. Retry
//     the request in [N] seconds", which does not state the limit;
//  3. for the /search routes, the org's window of each criteria type the request uses
//     (searchLimits, Options.SearchLimits), answered like 2. A request using two types
//     counts against both; one using a type twice counts once.
//
// Every 429 carries Retry-After: the whole seconds until the window that refused the
// request has room again. A refused request counts in no window. Modelling choices: the
// windows slide (Genesys does not document how it counts within its minute); the search
// windows are the org's across the users, groups and locations searches, and count a
// request when it is admitted, whatever its handler answers.

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
	clients map[string][]time.Time // by OAuth client
	routes  map[string][]time.Time // by OAuth client and route key
	search  map[string][]time.Time // by criteria type, for the whole org
}

func newWindows() windows {
	return windows{clients: map[string][]time.Time{}, routes: map[string][]time.Time{}, search: map[string][]time.Time{}}
}

// window is one limit a request must fit in.
type window struct {
	times  map[string][]time.Time
	key    string
	max    int
	stated bool // the 429 states the limit (the token's); others state only the wait
}

// admit applies the rate limits to a request of client on route key ("" when no route
// matched). A refused request is answered 429 with Retry-After and counts in no window.
func (s *Sim) admit(c *call, client, key string) bool {
	var ws []window
	if n := s.opts.RatePerMinute; n > 0 {
		ws = append(ws, window{times: s.windows.clients, key: client, max: n, stated: true})
	}
	if n := s.opts.RouteLimits[key]; n > 0 {
		ws = append(ws, window{times: s.windows.routes, key: client + " " + key, max: n})
	}
	if strings.HasPrefix(key, "POST ") && strings.HasSuffix(key, "/search") {
		for _, typ := range criteriaTypes(c.body) {
			if n := s.searchLimit(typ); n > 0 {
				ws = append(ws, window{times: s.windows.search, key: typ, max: n})
			}
		}
	}
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
		s.counts.TooMany++
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
