package gcsim

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestDropCommitsThenCloses(t *testing.T) {
	srv, c := start(t, Options{})
	srv.Sim.SetFaults(0, 1)
	_, err := c.try("POST", "/api/v2/users", newUserBody("Dropped", "dropped@example.com", homeDivID))
	if err == nil {
		t.Fatal("a dropped request got an answer")
	}
	srv.Sim.SetFaults(0, 0)
	if _, ok := srv.Sim.State().User("dropped@example.com"); !ok {
		t.Fatal("the dropped create was not committed")
	}
	// The retry a careless client makes now conflicts.
	c.do("POST", "/api/v2/users", newUserBody("Dropped", "dropped@example.com", homeDivID)).wantError(t, 409, "general.conflict")
	cnt := srv.Sim.Counters()
	if cnt.Dropped != 1 || cnt.CreateAttempts["dropped@example.com"] != 2 {
		t.Fatalf("counters %+v", cnt)
	}
}

func TestFail503DoesNothing(t *testing.T) {
	srv, c := start(t, Options{Seed: 7})
	srv.Sim.SetFaults(1, 0)
	c.do("POST", "/api/v2/users", newUserBody("Refused", "refused@example.com", homeDivID)).wantError(t, 503, "service.unavailable")
	if _, ok := srv.Sim.State().User("refused@example.com"); ok {
		t.Fatal("a 503'd create was committed")
	}
	// Token requests are never faulted.
	newClient(t, srv)
	if n := srv.Sim.Counters().Fail503; n != 1 {
		t.Fatalf("Fail503 = %d", n)
	}
}

func TestFaultRatiosAreSeeded(t *testing.T) {
	run := func() []int {
		srv, c := start(t, Options{Seed: 42, Fail503Ratio: 0.5})
		var statuses []int
		for range 20 {
			statuses = append(statuses, c.do("GET", "/api/v2/authorization/divisions/home", nil).status)
		}
		if n := srv.Sim.Counters().Fail503; n == 0 || n == 20 {
			t.Fatalf("Fail503 = %d of 20 at ratio 0.5", n)
		}
		return statuses
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("runs with the same seed differ: %v vs %v", a, b)
		}
	}
}

func TestRoutingAndCounters(t *testing.T) {
	srv, c := start(t, Options{})
	c.do("GET", "/api/v2/nowhere", nil).wantError(t, 404, "not.found")
	c.do("DELETE", "/api/v2/groups", nil).wantError(t, 404, "not.found")
	c.do("POST", "/api/v2/users", "{broken").wantError(t, 400, "bad.request")
	c.do("GET", "/api/v2/users/"+agentID, nil).want(t, 200)
	c.do("GET", "/api/v2/users/"+supervisorID, nil).want(t, 200)
	c.search(emailQuery("existing.agent@example.com"))
	c.do("POST", "/api/v2/groups/"+iraID+"/members", map[string]any{"memberIds": []string{agentID}, "version": 99}).wantError(t, 409, "general.conflict")

	cnt := srv.Sim.Counters()
	want := map[string]int{
		"POST /oauth/token":                     1,
		"GET (unmatched)":                       1,
		"DELETE (unmatched)":                    1,
		"POST /api/v2/users":                    1,
		"GET /api/v2/users/{userId}":            2,
		"POST /api/v2/users/search":             1,
		"POST /api/v2/groups/{groupId}/members": 1,
	}
	for k, n := range want {
		if cnt.Requests[k] != n {
			t.Errorf("Requests[%q] = %d, want %d (all: %v)", k, cnt.Requests[k], n, cnt.Requests)
		}
	}
	if cnt.Writes != 2 { // the broken create and the group members call
		t.Errorf("Writes = %d, want 2", cnt.Writes)
	}

	// The control routes need no token.
	plain := &client{t: t, base: srv.URL, hc: http.DefaultClient}
	var viaHTTP Counters
	plain.do("GET", "/__sim/counters", nil).decode(t, &viaHTTP)
	if viaHTTP.Requests["GET /api/v2/users/{userId}"] != 2 {
		t.Errorf("/__sim/counters %+v", viaHTTP)
	}
	var st State
	r := plain.do("GET", "/__sim/state", nil)
	r.decode(t, &st)
	if u, ok := st.User("existing.agent@example.com"); !ok || u.DefaultStationID != agentStationID || u.Groups[0] != "Annuities" {
		t.Errorf("/__sim/state: %s", r.body)
	}
	plain.do("POST", "/__sim/revoke-tokens", nil).want(t, http.StatusNoContent)
	c.do("GET", "/api/v2/users/"+agentID, nil).wantError(t, 401, "bad.credentials")
	if !json.Valid(r.body) {
		t.Error("state is not JSON")
	}
}

func TestScriptedFaults(t *testing.T) {
	srv, c := start(t, Options{})
	srv.Sim.Script("POST /api/v2/users",
		Fault{Status: 429, RetryAfter: 1500 * time.Millisecond},
		Fault{Status: 500},
		Fault{Drop: true},
	)
	r := c.do("POST", "/api/v2/users", newUserBody("Scripted", "scripted@example.com", homeDivID))
	r.wantError(t, 429, "too.many.requests.retry.after")
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q, want 2", got)
	}
	c.do("POST", "/api/v2/users", newUserBody("Scripted", "scripted@example.com", homeDivID)).wantError(t, 500, "internal.server.error")
	c.do("GET", "/api/v2/users/"+agentID, nil).want(t, 200) // other routes are not affected
	if _, ok := srv.Sim.State().User("scripted@example.com"); ok {
		t.Fatal("a scripted error committed the create")
	}
	if _, err := c.try("POST", "/api/v2/users", newUserBody("Scripted", "scripted@example.com", homeDivID)); err == nil {
		t.Fatal("scripted drop answered")
	}
	if _, ok := srv.Sim.State().User("scripted@example.com"); !ok {
		t.Fatal("the scripted drop did not commit the create")
	}
	c.do("POST", "/api/v2/users", newUserBody("Other", "other.scripted@example.com", homeDivID)).want(t, 200)

	srv.Sim.Script("POST /oauth/token", Fault{Status: 503})
	c.tokenRequest("test-client", "test-secret-not-real", "client_credentials").wantError(t, 503, "service.unavailable")
	c.tokenRequest("test-client", "test-secret-not-real", "client_credentials").want(t, 200)

	cnt := srv.Sim.Counters()
	if cnt.TooMany != 1 || cnt.Dropped != 1 || cnt.Fail503 != 1 {
		t.Errorf("counters %+v", cnt)
	}
}
