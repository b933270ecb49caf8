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
