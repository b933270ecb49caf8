package main

import (
	"math"
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
