package gcsim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCreateUser(t *testing.T) {
	srv, c := start(t, Options{})
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string // "" for success
		exists bool   // the user exists afterwards
	}{
		{"success", newUserBody("New Agent", "new.agent@example.com", salesDivID), 200, "", true},
		{"duplicate active", newUserBody("Dup", "EXISTING.agent@example.com", homeDivID), 409, "general.conflict", true},
		{"duplicate inactive", newUserBody("Dup", "inactive.agent@example.com", homeDivID), 409, "general.conflict", true},
		{"duplicate deleted", newUserBody("Dup", "deleted.user@example.com", homeDivID), 400, "general.conflict", true},
		{"missing divisionId", map[string]any{"name": "X", "email": "x1@example.com"}, 400, "bad.request", false},
		{"missing name", map[string]any{"email": "x2@example.com", "divisionId": homeDivID}, 400, "bad.request", false},
		{"missing email", map[string]any{"name": "X", "divisionId": homeDivID}, 400, "bad.request", false},
		{"unknown division", newUserBody("X", "x3@example.com", "no-such-division"), 400, "invalid.value", false},
		{"short password", map[string]any{"name": "Short", "email": "short.pw@example.com", "divisionId": homeDivID, "password": "abc"}, 400, "invalid.password", true},
		{"good password", map[string]any{"name": "Long", "email": "long.pw@example.com", "divisionId": homeDivID, "password": "s3cret-enough"}, 200, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/api/v2/users", tt.body)
			if r.wantOutcome(t, tt.status, tt.code) && (strings.Contains(string(r.body), "password") || strings.Contains(string(r.body), "s3cret")) {
				t.Fatalf("answer mentions the password: %s", r.body)
			}
			email, _ := tt.body["email"].(string)
			_, exists := srv.Sim.State().User(email)
			if email != "" && exists != tt.exists {
				t.Fatalf("user %s exists = %v, want %v", email, exists, tt.exists)
			}
		})
	}

	t.Run("answer", func(t *testing.T) {
		r := c.do("POST", "/api/v2/users", map[string]any{"name": "Fresh One", "email": "Fresh.One@example.com", "divisionId": supportDivID})
		r.want(t, 200)
		var u apiUserOut
		r.decode(t, &u)
		if u.ID == "" || u.Version != 1 || u.State != "inactive" || u.Username != "Fresh.One@example.com" ||
			u.Division.ID != supportDivID || u.Division.Name != "Support" {
			t.Fatalf("user %s", r.body)
		}
		st, _ := srv.Sim.State().User("fresh.one@example.com")
		if len(st.Grants) != 1 || st.Grants[0].Role != "Employee" || st.Grants[0].DivisionID != homeDivID {
			t.Fatalf("grants %+v, want the default role in the home division", st.Grants)
		}
	})
	if got := srv.Sim.Counters().CreateAttempts["existing.agent@example.com"]; got != 1 {
		t.Errorf("CreateAttempts[existing.agent@example.com] = %d, want 1", got)
	}
}

func TestGetUser(t *testing.T) {
	_, c := start(t, Options{})
	t.Run("expand", func(t *testing.T) {
		r := c.do("GET", "/api/v2/users/"+agentID+"?expand=groups,station&expand=authorization", nil)
		r.want(t, 200)
		var u apiUserOut
		r.decode(t, &u)
		if u.Groups == nil || len(*u.Groups) != 1 || (*u.Groups)[0].ID != annuitiesID {
			t.Errorf("groups: %s", r.body)
		}
		if u.Station == nil || u.Station.DefaultStation == nil || u.Station.DefaultStation.ID != agentStationID {
			t.Errorf("station: %s", r.body)
		}
		if u.Authorization == nil || len(u.Authorization.Roles) != 2 {
			t.Errorf("authorization: %s", r.body)
		}
	})
	t.Run("no expand", func(t *testing.T) {
		r := c.do("GET", "/api/v2/users/"+agentID, nil)
		r.want(t, 200)
		var u apiUserOut
		r.decode(t, &u)
		if u.Groups != nil || u.Station != nil || u.Authorization != nil {
			t.Errorf("unexpanded answer has expansions: %s", r.body)
		}
	})
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"inactive with default state", "/api/v2/users/" + inactiveID, 200, ""},
		{"deleted with default state", "/api/v2/users/" + deletedID, 404, "general.resource.not.found"},
		{"deleted with state=deleted", "/api/v2/users/" + deletedID + "?state=deleted", 200, ""},
		{"unknown", "/api/v2/users/0e000000-0000-4000-8000-0000000000ff", 404, "general.resource.not.found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("GET", tt.path, nil)
			r.wantOutcome(t, tt.status, tt.code)
		})
	}
}

func TestListUsers(t *testing.T) {
	_, c := start(t, Options{})
	type page struct {
		Entities []apiUserOut `json:"entities"`
		Total    int          `json:"total"`
	}
	var p page
	r := c.do("GET", "/api/v2/users?id="+agentID+","+inactiveID+"&id="+supervisorID+"&state=any&pageSize=100", nil)
	r.want(t, 200)
	r.decode(t, &p)
	if p.Total != 3 {
		t.Fatalf("id list: %s", r.body)
	}
	c.do("GET", "/api/v2/users", nil).decode(t, &p)
	if p.Total != 3 { // active users only by default
		t.Fatalf("default state: total %d, want 3", p.Total)
	}
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = fmt.Sprintf("id%d", i)
	}
	c.do("GET", "/api/v2/users?id="+strings.Join(ids, ","), nil).wantError(t, 400, "max.user.ids")
}

func TestSearchUsers(t *testing.T) {
	srv, c := start(t, Options{SearchLag: 300 * time.Millisecond})
	u := c.createUser("Lagging User", "lagging.user@example.com")
	if got := c.search(emailQuery("lagging.user@example.com")); got.Total != 0 {
		t.Fatalf("visible before the lag: %+v", got)
	}
	c.do("GET", "/api/v2/users/"+u.ID, nil).want(t, 200) // GET is consistent at once
	time.Sleep(350 * time.Millisecond)
	got := c.search(emailQuery("LAGGING.user@EXAMPLE.com"))
	if got.Total != 1 || len(got.Results) != 1 || got.Results[0].ID != u.ID {
		t.Fatalf("after the lag: %+v", got)
	}

	// A state change reaches the index only after the lag too.
	c.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"state": "inactive", "version": u.Version}).want(t, 200)
	if got := c.search(emailQuery("lagging.user@example.com")); got.Total != 1 || got.Results[0].State != "active" {
		t.Fatalf("index changed before the lag: %+v", got)
	}
	time.Sleep(350 * time.Millisecond)
	if got := c.search(emailQuery("lagging.user@example.com")); got.Total != 0 {
		t.Fatalf("inactive user found without a state criterion: %+v", got)
	}
	if got := c.search(emailQuery("lagging.user@example.com", "active", "inactive", "deleted")); got.Total != 1 || got.Results[0].Version != 2 {
		t.Fatalf("with every state: %+v", got)
	}

	tests := []struct {
		name  string
		body  any
		total int
	}{
		{"deleted needs a state criterion", emailQuery("deleted.user@example.com"), 0},
		{"deleted with state criterion", emailQuery("deleted.user@example.com", "deleted"), 1},
		{"many emails", map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"email"}, "values": []string{"existing.agent@example.com", "existing.supervisor@example.com", "nobody@example.com"}}}}, 2},
		{"by id", map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"id"}, "value": agentID}}}, 1},
		{"no match", emailQuery("nobody@example.com"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.search(tt.body); got.Total != tt.total || len(got.Results) != tt.total {
				t.Fatalf("total %d, %d results; want %d", got.Total, len(got.Results), tt.total)
			}
		})
	}
	t.Run("expand: only the values search honours", func(t *testing.T) {
		body := emailQuery("existing.agent@example.com")
		body["expand"] = []string{"groups", "station"}
		got := c.search(body)
		if got.Total != 1 || got.Results[0].Groups != nil || got.Results[0].Station == nil {
			t.Fatalf("%+v", got)
		}
		_, lenient := start(t, Options{SearchExpandAll: true})
		if got := lenient.search(body); got.Total != 1 || got.Results[0].Groups == nil {
			t.Fatalf("SearchExpandAll: %+v", got)
		}
	})

	values := make([]string, 101)
	for i := range values {
		values[i] = fmt.Sprintf("u%d@example.com", i)
	}
	errs := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"too many values", map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"email"}, "values": values}}}, 400, "search.criteria.values.exceed.limit"},
		{"page too large", map[string]any{"pageSize": 101, "query": []map[string]any{{"type": "EXACT", "fields": []string{"email"}, "value": "a@b.c"}}}, 400, "too.many.requested.results"},
		{"malformed", "{not json", 400, "bad.request"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			c.do("POST", "/api/v2/users/search", tt.body).wantError(t, tt.status, tt.code)
		})
	}
	if n := srv.Sim.Counters().Requests["POST /api/v2/users/search"]; n < 10 {
		t.Errorf("search requests counted: %d", n)
	}
}

func TestPatchUser(t *testing.T) {
	srv, c := start(t, Options{})
	u := c.createUser("Patch Me", "patch.me@example.com")
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{"missing version", u.ID, map[string]any{"title": "X"}, 400, "bad.request"},
		{"stale version", u.ID, map[string]any{"title": "X", "version": 7}, 409, "general.conflict"},
		{"state with another field", u.ID, map[string]any{"state": "inactive", "title": "X", "version": 1}, 400, "bad.request"},
		{"title and manager", u.ID, map[string]any{"title": "Lead", "manager": supervisorID, "version": 1}, 200, ""},
		{"old version again", u.ID, map[string]any{"title": "Lead", "version": 1}, 409, "general.conflict"},
		{"unknown manager", u.ID, map[string]any{"manager": "nobody", "version": 2}, 400, "invalid.value"},
		{"email taken", u.ID, map[string]any{"email": "existing.agent@example.com", "version": 2}, 409, "general.conflict"},
		{"deleted user without state", deletedID, map[string]any{"title": "X", "version": 1}, 404, "general.resource.not.found"},
		{"restore deleted user", deletedID, map[string]any{"state": "active", "version": 1}, 200, ""},
		{"unknown user", "nobody", map[string]any{"title": "X", "version": 1}, 404, "general.resource.not.found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("PATCH", "/api/v2/users/"+tt.path, tt.body)
			if !r.wantOutcome(t, tt.status, tt.code) {
				return
			}
			var out apiUserOut
			r.decode(t, &out)
			if out.Version != tt.body["version"].(int)+1 {
				t.Fatalf("version %d after PATCH with version %v", out.Version, tt.body["version"])
			}
		})
	}
	st := srv.Sim.State()
	if p, _ := st.User("patch.me@example.com"); p.Title != "Lead" || p.ManagerID != supervisorID || p.Version != 2 {
		t.Errorf("patched user %+v", p)
	}
	if d, _ := st.User("deleted.user@example.com"); d.State != "active" {
		t.Errorf("restored user state %q", d.State)
	}
}

// A sync job lists the users of one division, in every state but deleted, page by page.
func TestSearchUsersByDivision(t *testing.T) {
	srv, c := start(t, Options{})
	want := map[string]bool{inactiveID: true, placedID: true} // the seed's Inactive Agent and Placed Agent are in Sales
	for i := range 23 {
		b := newUserBody(fmt.Sprintf("Sales %02d", i), fmt.Sprintf("sales.%02d@example.com", i), salesDivID)
		if i%3 == 0 {
			b["state"] = "inactive"
		}
		r := c.do("POST", "/api/v2/users", b)
		r.want(t, 200)
		var u apiUserOut
		r.decode(t, &u)
		want[u.ID] = true
	}
	other := c.createUser("Home User", "home.user@example.com") // another division
	deleted := c.do("POST", "/api/v2/users", newUserBody("Sales Gone", "sales.gone@example.com", salesDivID))
	var gone apiUserOut
	deleted.decode(t, &gone)
	adminClient(t, srv, c).do("DELETE", "/api/v2/users/"+gone.ID, nil).want(t, 200)

	query := func(pageSize, pageNumber int, states ...string) map[string]any {
		return map[string]any{
			"pageSize": pageSize, "pageNumber": pageNumber,
			"query": []map[string]any{
				{"type": "EXACT", "fields": []string{"divisionId"}, "value": salesDivID},
				{"type": "EXACT", "fields": []string{"state"}, "values": states},
			},
		}
	}
	type page struct {
		Total      int          `json:"total"`
		PageCount  int          `json:"pageCount"`
		PageSize   int          `json:"pageSize"`
		PageNumber int          `json:"pageNumber"`
		Results    []apiUserOut `json:"results"`
	}
	got := map[string]bool{}
	for n, pages := 1, 1; n <= pages; n++ {
		r := c.do("POST", "/api/v2/users/search", query(5, n, "active", "inactive"))
		r.want(t, 200)
		var p page
		r.decode(t, &p)
		if p.Total != 25 || p.PageCount != 5 || p.PageSize != 5 || p.PageNumber != n {
			t.Fatalf("page %d: total %d, pageCount %d, pageSize %d, pageNumber %d", n, p.Total, p.PageCount, p.PageSize, p.PageNumber)
		}
		pages = p.PageCount
		if wantLen := min(5, 25-(n-1)*5); len(p.Results) != wantLen {
			t.Fatalf("page %d: %d results, want %d", n, len(p.Results), wantLen)
		}
		for _, u := range p.Results {
			if got[u.ID] || u.Division.ID != salesDivID {
				t.Fatalf("page %d: %+v repeated or in another division", n, u)
			}
			got[u.ID] = true
		}
	}
	if len(got) != len(want) || got[other.ID] || got[gone.ID] {
		t.Fatalf("paged through %d users, want %d", len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("user %s missing", id)
		}
	}
	var p page
	c.do("POST", "/api/v2/users/search", query(5, 6, "active", "inactive")).decode(t, &p)
	if p.Total != 25 || len(p.Results) != 0 {
		t.Fatalf("past the last page: %+v", p)
	}
	c.do("POST", "/api/v2/users/search", query(100, 1, "active", "inactive")).decode(t, &p)
	if p.Total != 25 || p.PageCount != 1 || len(p.Results) != 25 {
		t.Fatalf("one page of 100: total %d, pageCount %d, %d results", p.Total, p.PageCount, len(p.Results))
	}
	c.do("POST", "/api/v2/users/search", query(25, 1, "active")).decode(t, &p)
	if p.Total != 16 {
		t.Fatalf("active only: total %d, want 16", p.Total)
	}
	// A deleted user moved to the home division.
	c.do("POST", "/api/v2/users/search", query(25, 1, "deleted")).decode(t, &p)
	if p.Total != 0 {
		t.Fatalf("deleted in Sales: %+v", p)
	}
	two := map[string]any{"query": []map[string]any{
		{"type": "EXACT", "fields": []string{"divisionId"}, "values": []string{salesDivID, supportDivID}},
	}}
	if got := c.search(two); got.Total != 17 { // 16 active in Sales and the supervisor in Support
		t.Fatalf("two divisions, active: total %d", got.Total)
	}
	c.do("POST", "/api/v2/users/search", query(101, 1, "active")).wantError(t, 400, "too.many.requested.results")
}

// PATCH with state and version alone deactivates a user; GET shows it at once, search after
// the lag.
func TestDeactivateUser(t *testing.T) {
	const lag = 200 * time.Millisecond
	_, c := start(t, Options{SearchLag: lag})
	u := c.createUser("Leaving Soon", "leaving.soon@example.com")
	time.Sleep(lag + 50*time.Millisecond)
	if got := c.search(emailQuery(u.Email)); got.Total != 1 || got.Results[0].State != "active" {
		t.Fatalf("before: %+v", got)
	}
	r := c.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"state": "inactive", "version": u.Version})
	r.want(t, 200)
	var out apiUserOut
	r.decode(t, &out)
	if out.State != "inactive" || out.Version != u.Version+1 {
		t.Fatalf("PATCH answer %+v", out)
	}
	var got apiUserOut
	c.do("GET", "/api/v2/users/"+u.ID, nil).decode(t, &got)
	if got.State != "inactive" {
		t.Fatalf("GET user state %q", got.State)
	}
	listed := func(query string) (apiUserOut, bool) {
		var l struct {
			Entities []apiUserOut `json:"entities"`
		}
		c.do("GET", "/api/v2/users?pageSize=500"+query, nil).decode(t, &l)
		for _, e := range l.Entities {
			if e.ID == u.ID {
				return e, true
			}
		}
		return apiUserOut{}, false
	}
	if _, ok := listed(""); ok {
		t.Fatal("inactive user listed by GET /api/v2/users with the default state (active)")
	}
	for _, q := range []string{"&state=inactive", "&state=any", "&id=" + u.ID + "&state=inactive"} {
		if e, ok := listed(q); !ok || e.State != "inactive" {
			t.Fatalf("GET /api/v2/users?%s: %+v listed %v", q, e, ok)
		}
	}
	// The index still has the active user until the lag passes.
	if s := c.search(emailQuery(u.Email, "active", "inactive")); s.Total != 1 || s.Results[0].State != "active" {
		t.Fatalf("search before the lag: %+v", s)
	}
	time.Sleep(lag + 50*time.Millisecond)
	if s := c.search(emailQuery(u.Email, "active", "inactive")); s.Total != 1 || s.Results[0].State != "inactive" || s.Results[0].Version != 2 {
		t.Fatalf("search after the lag: %+v", s)
	}
	if s := c.search(emailQuery(u.Email, "inactive")); s.Total != 1 {
		t.Fatalf("search for inactive users: %+v", s)
	}
	if s := c.search(emailQuery(u.Email)); s.Total != 0 {
		t.Fatalf("search without a state criterion finds the inactive user: %+v", s)
	}
	// Already inactive: the same PATCH with the new version changes nothing but the version.
	c.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"state": "inactive", "version": 2}).want(t, 200)
}
