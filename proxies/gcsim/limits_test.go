package gcsim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

// wantRetryAfter checks a 429 that states no limit: its message names the same whole
// seconds as its Retry-After, at least 1 and at most the window.
func wantRetryAfter(t *testing.T, r reply, window time.Duration) {
	t.Helper()
	e := r.wantError(t, http.StatusTooManyRequests, "too.many.requests.retry.after")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > int(window/time.Second) {
		t.Fatalf("Retry-After %q, want 1 to %d", r.header.Get("Retry-After"), int(window/time.Second))
	}
	if want := fmt.Sprintf("Rate limit exceeded the maximum. Retry the request in [%d] seconds", secs); e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
}

// otherClient returns a client of the org's second OAuth client, holding a token.
func otherClient(t *testing.T, srv *Server, hc *http.Client) *client {
	return clientOf(t, srv, hc, "demo-client", "demo-secret-not-real")
}

func TestRouteLimit(t *testing.T) {
	const window = 5 * time.Second // far longer than the test takes: nothing leaves the window
	const home, divisions = "/api/v2/authorization/divisions/home", "/api/v2/authorization/divisions"
	srv, c := start(t, Options{
		RatePerMinute: 10, RateWindow: window,
		RouteLimits: map[string]int{"GET " + home: 2},
	})
	c.do("GET", home, nil).want(t, http.StatusOK)
	c.do("GET", home, nil).want(t, http.StatusOK)
	// A per-resource limit does not state itself.
	wantRetryAfter(t, c.do("GET", home, nil), window)
	// The other routes go on.
	c.do("GET", divisions, nil).want(t, http.StatusOK)
	// Another client has its own window for the route.
	otherClient(t, srv, c.hc).do("GET", home, nil).want(t, http.StatusOK)

	// The refused request counts in no window: the client's window holds the token
	// request, two of home and one of divisions, so 6 more fit in its 10.
	for i := range 6 {
		if r := c.do("GET", divisions, nil); r.status != http.StatusOK {
			t.Fatalf("request %d of 6: status %d (did the refused request count in the client's window?)", i+1, r.status)
		}
	}
	e := c.do("GET", divisions, nil).wantError(t, http.StatusTooManyRequests, "too.many.requests")
	if want := "Rate limit exceeded the maximum [10] requests within [5] seconds"; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if n := srv.Sim.Counters().TooMany; n != 2 {
		t.Errorf("TooMany = %d, want 2", n)
	}
}

func TestRouteLimitRecovers(t *testing.T) {
	const home = "/api/v2/authorization/divisions/home"
	_, c := start(t, Options{RateWindow: time.Second, RouteLimits: map[string]int{"GET " + home: 1}})
	c.do("GET", home, nil).want(t, http.StatusOK)
	r := c.do("GET", home, nil)
	wantRetryAfter(t, r, time.Second)
	secs, _ := strconv.Atoi(r.header.Get("Retry-After"))
	time.Sleep(time.Duration(secs) * time.Second)
	c.do("GET", home, nil).want(t, http.StatusOK)
}

func TestSearchRateLimits(t *testing.T) {
	const window = 5 * time.Second
	srv, c := start(t, Options{RateWindow: window, SearchLimits: map[string]int{"EXACT": 2, "REGEX": 1}})
	exact := map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"email"}, "values": []string{"existing.agent@example.com"}}}}
	exactGroup := map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"name"}, "values": []string{"Annuities"}}}}
	regex := map[string]any{"query": []map[string]any{{"type": "REGEX", "fields": []string{"email"}, "value": ".*"}}}
	both := map[string]any{"query": []map[string]any{
		{"type": "EXACT", "fields": []string{"email"}, "values": []string{"existing.agent@example.com"}},
		{"type": "REGEX", "fields": []string{"email"}, "value": ".*"},
	}}

	c.do("POST", "/api/v2/users/search", exact).want(t, http.StatusOK)
	// The org's window of a type spans the search resources.
	c.do("POST", "/api/v2/groups/search", exactGroup).want(t, http.StatusOK)
	wantRetryAfter(t, c.do("POST", "/api/v2/users/search", exact), window)
	// Refused for EXACT, the request does not count against REGEX either.
	wantRetryAfter(t, c.do("POST", "/api/v2/users/search", both), window)
	// REGEX has room for one: the handler may refuse what it does not simulate, but not
	// with a 429.
	if r := c.do("POST", "/api/v2/users/search", regex); r.status == http.StatusTooManyRequests {
		t.Fatalf("the first REGEX search was refused: %s", r.body)
	}
	wantRetryAfter(t, c.do("POST", "/api/v2/users/search", regex), window)
	// The limits are the org's, not a client's.
	wantRetryAfter(t, otherClient(t, srv, c.hc).do("POST", "/api/v2/users/search", exact), window)
	// Other routes are not counted.
	c.do("GET", "/api/v2/users", nil).want(t, http.StatusOK)
}

func TestSearchLimitOf(t *testing.T) {
	s := New(Options{SearchLimits: map[string]int{"EXACT": 10, "CONTAINS": -1}})
	tests := []struct {
		typ  string
		want int
	}{
		{"EXACT", 10},   // replaced
		{"CONTAINS", 0}, // lifted
		{"TERM", 300},   // documented defaults
		{"QUERY_STRING", 300},
		{"STARTS_WITH", 240},
		{"DATE_RANGE", 240},
		{"GREATER_THAN", 240},
		{"REGEX", 120},
		{"SIMPLE", 0}, // no documented limit
	}
	for _, tt := range tests {
		if got := s.searchLimit(tt.typ); got != tt.want {
			t.Errorf("searchLimit(%s) = %d, want %d", tt.typ, got, tt.want)
		}
	}
	if got := New(Options{}).searchLimit("CONTAINS"); got != 100 {
		t.Errorf("default CONTAINS = %d, want 100", got)
	}
}

func TestCriteriaTypes(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"one", `{"query":[{"type":"EXACT","fields":["email"],"value":"a"}]}`, []string{"EXACT"}},
		{"repeated and lower case", `{"query":[{"type":"EXACT"},{"type":"exact"}]}`, []string{"EXACT"}},
		{"two, nested", `{"query":[{"type":"TERM","group":[{"type":"CONTAINS"},{"type":"TERM"}]}]}`, []string{"CONTAINS", "TERM"}},
		{"none", `{"pageSize":25}`, nil},
		{"unreadable", `{"query":`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := criteriaTypes([]byte(tt.body)); !slices.Equal(got, tt.want) {
				t.Errorf("criteriaTypes = %v, want %v", got, tt.want)
			}
		})
	}
}
