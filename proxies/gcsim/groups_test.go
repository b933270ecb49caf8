package gcsim

import (
	"fmt"
	"testing"
)

func TestGroupMembers(t *testing.T) {
	srv, c := start(t, Options{})
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
			if tt.code != "" {
				r.wantError(t, tt.status, tt.code)
				return
			}
			r.want(t, tt.status)
			if string(r.body) != "{}" {
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
