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
			if tt.code != "" {
				r.wantError(t, tt.status, tt.code)
			} else {
				r.want(t, tt.status)
				if strings.Contains(string(r.body), "password") || strings.Contains(string(r.body), "s3cret") {
					t.Fatalf("answer mentions the password: %s", r.body)
				}
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
			if tt.code != "" {
				r.wantError(t, tt.status, tt.code)
				return
			}
			r.want(t, tt.status)
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
	if p.Total != 2 { // active users only by default
		t.Fatalf("default state: total %d, want 2", p.Total)
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
	t.Run("expand", func(t *testing.T) {
		body := emailQuery("existing.agent@example.com")
		body["expand"] = []string{"groups", "station"}
		got := c.search(body)
		if got.Total != 1 || got.Results[0].Groups == nil || got.Results[0].Station == nil {
			t.Fatalf("%+v", got)
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
			if tt.code != "" {
				r.wantError(t, tt.status, tt.code)
				return
			}
			r.want(t, tt.status)
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
