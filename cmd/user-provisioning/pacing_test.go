package main

import (
	"bufio"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// The tests in this file run the whole program against a simulator with a per-resource limit,
// one whose 429s (too.many.requests.retry.after) do not state it.

const createRoute = "POST /api/v2/users"

// TestRouteLimitedCreation: user creation alone is limited, at about the bench's ratio of 60
// a minute against --rate 1,200 (6 against 100 in the simulator's 2 s window). Every row
// must end ok, the other routes must go on while creation waits, and the limit must be
// learned rather than hit again and again. 16 workers keep creation busy enough to meet
// its limit despite the simulator's consistency lags.
func TestRouteLimitedCreation(t *testing.T) {
	t.Parallel()
	const window = 2 * time.Second
	const createLimit = 6
	var mu sync.Mutex
	var seen []gcsim.Observed
	e := newEnv(t, gcsim.Options{
		RatePerMinute: 100, RateWindow: window, // the token's limit: --rate 3000 is 100 in 2 s
		RouteLimits: map[string]int{createRoute: createLimit},
		Observe: func(o gcsim.Observed) {
			mu.Lock()
			seen = append(seen, o)
			mu.Unlock()
		},
	})
	rows := users(30, "route")
	in := e.file("route.csv", rows...)
	r := e.run("--rate", "3000", "--workers", "16", "--report", e.report("route.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%v", r.code, r.stderr, r.report)
	}
	if s := statuses(r.report); s["create/ok"] != len(rows) {
		t.Errorf("report %v, want %d create/ok", s, len(rows))
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
	if c := e.srv.Sim.Counters(); len(c.CreateConflicts) != 0 {
		t.Errorf("emails POSTed again after their creation committed: %v", c.CreateConflicts)
	}

	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(seen, func(a, b gcsim.Observed) int { return a.At.Compare(b.At) })
	isCreate := func(o gcsim.Observed) bool { return o.Method == "POST" && o.Path == "/api/v2/users" }
	var throttled, creates, heldWork int
	for i, o := range seen {
		switch {
		case o.Status == 429 && !isCreate(o):
			t.Errorf("%s %s answered 429: only creation has a limit below the pacing", o.Method, o.Path)
		case o.Status == 429:
			throttled++
			// Creation waits out Retry-After now. The other routes must not: count the
			// requests on them answered before the next creation arrives.
			for _, n := range seen[i+1:] {
				if isCreate(n) {
					break
				}
				if n.Status >= 200 && n.Status < 300 {
					heldWork++
				}
			}
		case isCreate(o):
			creates++
		}
	}
	t.Logf("%d creations, %d answered 429; %d requests on other routes answered while creation waited; %s",
		creates, throttled, heldWork, r.took.Round(time.Millisecond))
	if throttled == 0 {
		t.Fatal("no 429: the route's limit was not exercised")
	}
	if heldWork == 0 {
		t.Error("no request on another route was answered while creation waited for Retry-After: a 429 on one route held back the others")
	}
	// The limit is learned: a first overload, one more before a full window of evidence,
	// then the odd one from scheduling jitter. Each overload draws at most one 429 per
	// worker (4). Hitting the limit over and over would draw one every window or more.
	if limit := 4 * 6; throttled > limit {
		t.Errorf("%d creations answered 429, want at most %d: the route's limit was not learned", throttled, limit)
	}

	// Only creation was paused and slowed; the shared pacing never moved.
	for _, l := range logLines(t, r.stderr) {
		if l["msg"] != "throttled" && l["msg"] != "pacing slowed after a 429" {
			continue
		}
		if l["route"] != createRoute || l["paused"] != "route" {
			t.Errorf("log %v: want only %s paused, on its own", l, createRoute)
		}
	}
}

// logLines parses the program's JSON log lines; other lines (the summary) are skipped.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}
