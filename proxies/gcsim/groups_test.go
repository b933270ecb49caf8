package gcsim

import (
	"fmt"
	"strings"
	"testing"
)

func TestGroupMembers(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	u := c.createUser("Member One", "member.one@example.com")
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("id-%d", i)
	}
	path := "/api/v2/groups/" + iraID + "/members"
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{"more than 50", path, map[string]any{"memberIds": many, "version": 1}, 400, "bad.request"},
		{"stale version", path, map[string]any{"memberIds": []string{u.ID}, "version": 2}, 409, "general.conflict"},
		{"missing version", path, map[string]any{"memberIds": []string{u.ID}}, 409, "general.conflict"},
		{"unknown member", path, map[string]any{"memberIds": []string{u.ID, "nobody"}, "version": 1}, 400, "general.resource.not.found"},
		{"unknown group", "/api/v2/groups/nope/members", map[string]any{"memberIds": []string{u.ID}, "version": 1}, 404, "general.resource.not.found"},
		{"success", path, map[string]any{"memberIds": []string{u.ID, agentID}, "version": 1}, 202, ""},
		{"again with the new version", path, map[string]any{"memberIds": []string{u.ID}, "version": 2}, 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", tt.path, tt.body)
			if r.wantOutcome(t, tt.status, tt.code) && string(r.body) != "{}" {
				t.Fatalf("body %s, want {}", r.body)
			}
		})
	}
	var g struct {
		Version     int    `json:"version"`
		MemberCount int    `json:"memberCount"`
		State       string `json:"state"`
		Type        string `json:"type"`
	}
	c.do("GET", "/api/v2/groups/"+iraID, nil).decode(t, &g)
	if g.Version != 3 || g.MemberCount != 2 || g.State != "active" || g.Type != "official" {
		t.Fatalf("group after adds: %+v", g)
	}
	if st, _ := srv.Sim.State().User("member.one@example.com"); len(st.Groups) != 1 || st.Groups[0] != "IRA" {
		t.Fatalf("user groups %v", st.Groups)
	}
}

func TestGroupsListAndSearch(t *testing.T) {
	_, c := start(t, Options{})
	var l struct {
		Total    int `json:"total"`
		Entities []struct {
			Name string `json:"name"`
		} `json:"entities"`
	}
	c.do("GET", "/api/v2/groups?pageSize=100", nil).decode(t, &l)
	if l.Total != 3 || len(l.Entities) != 3 {
		t.Fatalf("groups: %+v", l)
	}
	var s struct {
		Total   int `json:"total"`
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	r := c.do("POST", "/api/v2/groups/search", map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"name"}, "value": "Annuities"}}})
	r.want(t, 200)
	r.decode(t, &s)
	if s.Total != 1 || s.Results[0].ID != annuitiesID {
		t.Fatalf("search: %s", r.body)
	}
}

// memberPage is a UserEntityListing of GET /api/v2/groups/{groupId}/members.
type memberPage struct {
	Entities  []apiUserOut `json:"entities"`
	Total     int          `json:"total"`
	PageCount int          `json:"pageCount"`
	NextURI   string       `json:"nextUri"`
}

func (p memberPage) names() string {
	var out []string
	for _, u := range p.Entities {
		out = append(out, u.Name)
	}
	return strings.Join(out, ",")
}

func TestRemoveGroupMembers(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	u1 := c.createUser("Leaver One", "leaver.one@example.com")
	u2 := c.createUser("Leaver Two", "leaver.two@example.com")
	c.do("POST", "/api/v2/groups/"+iraID+"/members", map[string]any{"memberIds": []string{u1.ID, u2.ID, agentID}, "version": 1}).want(t, 202)
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("id-%d", i)
	}
	path := "/api/v2/groups/" + iraID + "/members?ids="
	before := srv.Sim.Counters()
	tests := []struct {
		name    string
		path    string
		status  int
		code    string
		members []string // the group's members afterwards
		version int
	}{
		{"more than 50", path + strings.Join(many, ","), 400, "bad.request", []string{u1.ID, u2.ID, agentID}, 2},
		{"no ids", "/api/v2/groups/" + iraID + "/members", 400, "bad.request", []string{u1.ID, u2.ID, agentID}, 2},
		{"unknown group", "/api/v2/groups/nope/members?ids=" + u1.ID, 404, "general.resource.not.found", []string{u1.ID, u2.ID, agentID}, 2},
		{"a member, a non-member and no user", path + u1.ID + "," + supervisorID + ",nobody", 202, "", []string{u2.ID, agentID}, 3},
		{"again: nothing to remove", path + u1.ID + ",nobody", 404, "general.resource.not.found", []string{u2.ID, agentID}, 3},
		{"repeated parameter", path + u2.ID + "&ids=" + agentID, 202, "", []string{}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("DELETE", tt.path, nil)
			if r.wantOutcome(t, tt.status, tt.code) && string(r.body) != "{}" {
				t.Fatalf("body %s, want {}", r.body)
			}
			g, _ := srv.Sim.State().Group("IRA")
			if strings.Join(g.Members, ",") != strings.Join(tt.members, ",") || g.Version != tt.version {
				t.Fatalf("group %+v, want members %v and version %d", g, tt.members, tt.version)
			}
		})
	}
	after := srv.Sim.Counters()
	if n := after.LimitRejections - before.LimitRejections; n != 1 {
		t.Errorf("limit rejections %d, want 1", n)
	}
	if n := after.Writes - before.Writes; n != len(tests) {
		t.Errorf("writes %d, want %d", n, len(tests))
	}
	if n := after.Requests["DELETE /api/v2/groups/{groupId}/members"]; n != len(tests) {
		t.Errorf("requests counted %d, want %d", n, len(tests))
	}
	if st, _ := srv.Sim.State().User("leaver.one@example.com"); len(st.Groups) != 0 {
		t.Errorf("user groups %v", st.Groups)
	}
	var g struct {
		Version     int `json:"version"`
		MemberCount int `json:"memberCount"`
	}
	c.do("GET", "/api/v2/groups/"+iraID, nil).decode(t, &g)
	if g.Version != 4 || g.MemberCount != 0 {
		t.Errorf("group %+v", g)
	}
	// The version moved: adding with the old one conflicts.
	c.do("POST", "/api/v2/groups/"+iraID+"/members", map[string]any{"memberIds": []string{u1.ID}, "version": 2}).wantError(t, 409, "general.conflict")
}

func TestListGroupMembers(t *testing.T) {
	srv, c := start(t, Options{})
	var add []string
	for _, n := range []string{"Carol", "alice", "Bob", "Gone"} {
		add = append(add, c.createUser(n, strings.ToLower(n)+".member@example.com").ID)
	}
	c.do("POST", "/api/v2/groups/"+iraID+"/members", map[string]any{"memberIds": add, "version": 1}).want(t, 202)
	adminClient(t, srv, c).do("DELETE", "/api/v2/users/"+add[3], nil).want(t, 200)
	base := "/api/v2/groups/" + iraID + "/members"
	tests := []struct {
		name, query, want string
		total, pages      int
		next              bool
	}{
		{"default: by name, deleted users left out", "", "alice,Bob,Carol", 3, 1, false},
		{"descending", "?sortOrder=descending", "Carol,Bob,alice", 3, 1, false},
		{"desc", "?sortOrder=DESC", "Carol,Bob,alice", 3, 1, false},
		{"first page", "?pageSize=2", "alice,Bob", 3, 2, true},
		{"second page", "?pageSize=2&pageNumber=2", "Carol", 3, 2, false},
		{"past the end", "?pageSize=2&pageNumber=3", "", 3, 2, false},
		{"SDK zeros", "?pageSize=0&pageNumber=0", "alice,Bob,Carol", 3, 1, false},
		{"largest page", "?pageSize=500", "alice,Bob,Carol", 3, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("GET", base+tt.query, nil)
			r.want(t, 200)
			var p memberPage
			r.decode(t, &p)
			if p.names() != tt.want || p.Total != tt.total || p.PageCount != tt.pages || (p.NextURI != "") != tt.next {
				t.Fatalf("got %q total %d pages %d next %q; want %q total %d pages %d", p.names(), p.Total, p.PageCount, p.NextURI, tt.want, tt.total, tt.pages)
			}
		})
	}
	t.Run("users as GET /users shows them", func(t *testing.T) {
		var p memberPage
		c.do("GET", base+"?expand=groups", nil).decode(t, &p)
		u := p.Entities[0]
		if u.ID != add[1] || u.State != "active" || u.Version != 1 || u.Email != "alice.member@example.com" || u.Division.ID != homeDivID {
			t.Fatalf("member %+v", u)
		}
		if u.Groups == nil || len(*u.Groups) != 1 || (*u.Groups)[0].ID != iraID {
			t.Fatalf("expanded groups %+v", u.Groups)
		}
		var plain memberPage
		c.do("GET", base, nil).decode(t, &plain)
		if plain.Entities[0].Groups != nil {
			t.Fatalf("groups without expand: %+v", plain.Entities[0].Groups)
		}
	})
	t.Run("seed group: individuals, owners and dynamic members", func(t *testing.T) {
		var p memberPage
		c.do("GET", "/api/v2/groups/"+annuitiesID+"/members", nil).decode(t, &p)
		if p.Total != 3 || p.Entities[0].ID != agentID || p.Entities[1].ID != supervisorID || p.Entities[2].ID != placedID {
			t.Fatalf("Annuities members %+v", p)
		}
		var ind memberPage
		c.do("GET", "/api/v2/groups/"+annuitiesID+"/individuals", nil).decode(t, &ind)
		if ind.Total != 1 || len(ind.Entities) != 1 || ind.Entities[0].ID != agentID || ind.PageCount != 1 {
			t.Fatalf("Annuities individuals %+v", ind)
		}
	})
	t.Run("individuals come in one listing", func(t *testing.T) {
		var ind memberPage
		c.do("GET", "/api/v2/groups/"+iraID+"/individuals", nil).decode(t, &ind)
		if ind.Total != 3 || len(ind.Entities) != 3 || ind.PageCount != 1 || ind.NextURI != "" {
			t.Fatalf("IRA individuals %+v", ind)
		}
	})
	c.do("GET", "/api/v2/groups/"+unknownEntityID+"/members", nil).wantError(t, 404, "general.resource.not.found")
	c.do("GET", "/api/v2/groups/"+unknownEntityID+"/individuals", nil).wantError(t, 404, "general.resource.not.found")
	c.do("GET", base+"?pageSize=501", nil).wantError(t, 400, "invalid.value")
	c.do("GET", base+"?sortOrder=sideways", nil).wantError(t, 400, "invalid.query.param.value")
}
