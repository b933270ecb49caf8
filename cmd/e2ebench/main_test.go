package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// The steady rate counts only the requests between the 10th and the 90th percentile of
// times: a slow start and a long tail do not dilute it.
func TestAnalyse(t *testing.T) {
	t0 := time.Unix(0, 0)
	var seen []gcsim.Observed
	add := func(at time.Duration, path string, status int) {
		seen = append(seen, gcsim.Observed{At: t0.Add(at), Method: "POST", Path: path, Status: status})
	}
	add(0, "/oauth/token", 200)
	for i := range 198 { // 2 a second from 10 s on
		status := 200
		if i%99 == 50 {
			status = 429
		}
		add(10*time.Second+time.Duration(i)*500*time.Millisecond, "/api/v2/users", status)
	}
	add(10*time.Minute, "/api/v2/users", 200) // a straggler
	r := &result{config: config{name: "t", users: 100, serverRate: 600, rate: 1200}}
	r.analyse(seen)
	if r.requests != 200 || r.throttled != 2 || r.tokens != 1 {
		t.Errorf("requests %d, throttled %d, tokens %d; want 200, 2, 1", r.requests, r.throttled, r.tokens)
	}
	if math.Abs(r.steadyPerMin-120) > 1 {
		t.Errorf("steady rate %.1f a minute, want 120", r.steadyPerMin)
	}
	var out strings.Builder
	r.print(&out)
	if !strings.Contains(out.String(), "| 100 users, server 600/min, `--rate` 1200 | 0.200 | 2 of 200 (1.00%) | 2.00 |") {
		t.Errorf("table row missing:\n%s", out.String())
	}
}

func TestRouteLimitFlag(t *testing.T) {
	tests := []struct {
		in    string
		key   string
		limit int
		ok    bool
	}{
		{"POST /api/v2/users=60", "POST /api/v2/users", 60, true},
		{" GET /api/v2/users/{userId} = 5 ", "GET /api/v2/users/{userId}", 5, true},
		{"POST /api/v2/users", "", 0, false},
		{"POST /api/v2/users=0", "", 0, false},
		{"/api/v2/users=60", "", 0, false},
		{"POST api/v2/users=60", "", 0, false},
	}
	for _, tt := range tests {
		var r routeLimits
		err := r.Set(tt.in)
		if (err == nil) != tt.ok || (tt.ok && r[tt.key] != tt.limit) {
			t.Errorf("Set(%q) = %v, %v; want %s=%d ok %v", tt.in, r, err, tt.key, tt.limit, tt.ok)
		}
	}
}

func TestMatchRoute(t *testing.T) {
	tests := []struct {
		pattern, method, path string
		want                  bool
	}{
		{"POST /api/v2/users", "POST", "/api/v2/users", true},
		{"POST /api/v2/users", "GET", "/api/v2/users", false},
		{"POST /api/v2/users", "POST", "/api/v2/users/search", false},
		{"GET /api/v2/users/{userId}", "GET", "/api/v2/users/0e000000-0000-4000-8000-000000000001", true},
		{"GET /api/v2/users/{userId}", "GET", "/api/v2/users/", false},
	}
	for _, tt := range tests {
		if got := matchRoute(tt.pattern, tt.method, tt.path); got != tt.want {
			t.Errorf("matchRoute(%q, %s %s) = %v, want %v", tt.pattern, tt.method, tt.path, got, tt.want)
		}
	}
}

// The route's rate is its accepted requests in its own steady span; 429s are counted apart.
func TestAnalyseRoute(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var seen []gcsim.Observed
	for i := range 100 { // one creation a second
		seen = append(seen, gcsim.Observed{At: t0.Add(time.Duration(i) * time.Second), Method: "POST", Path: "/api/v2/users", Status: 200})
		seen = append(seen, gcsim.Observed{At: t0.Add(time.Duration(i)*time.Second + 500*time.Millisecond), Method: "GET", Path: "/api/v2/groups", Status: 200})
	}
	seen = append(seen, gcsim.Observed{At: t0.Add(50 * time.Second), Method: "POST", Path: "/api/v2/users", Status: 429})
	r := &result{config: config{users: 100, routes: routeLimits{"POST /api/v2/users": 60}}}
	r.analyse(seen)
	if len(r.limited) != 1 {
		t.Fatalf("limited routes %+v", r.limited)
	}
	got := r.limited[0]
	if got.accepted != 100 || got.throttled != 1 || got.steadyPerMin < 59.9 || got.steadyPerMin > 60.1 || got.settledMin < 59.9 || got.settledMin > 60.1 {
		t.Errorf("route result %+v, want 100 accepted, one 429, 60 a minute", got)
	}
	if r.throttled != 1 || r.requests != 201 {
		t.Errorf("run: %d requests, %d 429s", r.requests, r.throttled)
	}
}

// -tokens 1 passes nothing the tool did not get before the flag existed; more pass --tokens.
func TestToolArgs(t *testing.T) {
	c := config{rate: 300, dir: "d", name: "n", tokenPool: 1}
	want := "--env-file " + os.DevNull + " --log-format json --rate 300 --report d/n.results.csv in.csv"
	if got := strings.Join(toolArgs(c, "d/n.results.csv", "in.csv"), " "); got != want {
		t.Errorf("-tokens 1: %s, want %s", got, want)
	}
	c.tokenPool = 4
	want = "--env-file " + os.DevNull + " --log-format json --rate 300 --tokens 4 --report d/n.results.csv in.csv"
	if got := strings.Join(toolArgs(c, "d/n.results.csv", "in.csv"), " "); got != want {
		t.Errorf("-tokens 4: %s, want %s", got, want)
	}
}

// A one-token run prints what it printed before -tokens existed.
func TestPrintOneToken(t *testing.T) {
	r := &result{config: config{name: "e", users: 10, serverRate: 600, rate: 1200, tokenPool: 1},
		wall: 90 * time.Second, requests: 25, throttled: 1, tokens: 1, steadyPerMin: 540, summary: "10 ok", cpr: "2.50",
		minted: 1, requestsByToken: map[int]int{1: 24}, throttledByToken: map[int]int{1: 1}}
	var out strings.Builder
	r.print(&out)
	want := "e: 10 users in 1m30s; 25 requests (2.50 per user, 1 tokens), 1 answered 429 (4.00%)\n" +
		"  steady rate 540 requests/min = 0.900 of the allowed 600/min (server 600/min, --rate 1200)\n" +
		"  tool: 10 ok\n  calls per row: 2.50\n" +
		"| 10 users, server 600/min, `--rate` 1200 | 0.900 | 1 of 25 (4.00%) | 2.50 | 1m30s |\n"
	if out.String() != want {
		t.Errorf("output\n%s\nwant\n%s", out.String(), want)
	}
}

// With several tokens the allowed rate is the per-token one times the tokens, and the
// tokens minted and each token's 429s are reported.
func TestTokenPool(t *testing.T) {
	t0 := time.Unix(0, 0)
	var seen []gcsim.Observed
	add := func(at time.Duration, path string, status, token int) {
		seen = append(seen, gcsim.Observed{At: t0.Add(at), Method: "POST", Path: path, Status: status, Token: token})
	}
	add(0, "/oauth/token", 200, 0)
	add(time.Second, "/oauth/token", 429, 0)
	add(2*time.Second, "/oauth/token", 200, 0)
	for i := range 300 { // 10 a second, alternating between the two tokens
		status := 200
		if i == 100 || i == 201 {
			status = 429
		}
		add(3*time.Second+time.Duration(i)*100*time.Millisecond, "/api/v2/users", status, 1+i%2)
	}
	r := &result{config: config{name: "p", users: 100, serverRate: 300, rate: 300, tokenPool: 2, latency: 150 * time.Millisecond},
		minted: 2, mintThrottled: 1}
	r.analyse(seen)
	if r.allowed() != 600 {
		t.Errorf("allowed %d, want 600", r.allowed())
	}
	if r.tokens != 2 || r.throttled != 3 {
		t.Errorf("tokens %d, throttled %d; want 2, 3", r.tokens, r.throttled)
	}
	var out strings.Builder
	r.print(&out)
	for _, want := range []string{
		"= 1.000 of the allowed 600/min (server 300/min, --rate 300, per token, × 2 tokens; latency 150ms)\n",
		"  tokens: --tokens 2, 2 minted, 1 token requests answered 429; 429s per token: #1 1 of 150, #2 1 of 150\n",
		"| 100 users, server 300/min, `--rate` 300, `--tokens` 2 (2 minted), latency 150ms | 1.000 | 3 of 303 (0.99%) | 3.03 |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
