package gcsim

import (
	"testing"
)

func TestDivisionsAndRoles(t *testing.T) {
	_, c := start(t, Options{})
	var home struct {
		ID           string `json:"id"`
		HomeDivision bool   `json:"homeDivision"`
	}
	c.do("GET", "/api/v2/authorization/divisions/home", nil).decode(t, &home)
	if home.ID != homeDivID || !home.HomeDivision {
		t.Fatalf("home %+v", home)
	}
	type listing struct {
		Entities []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			Default bool   `json:"default"`
		} `json:"entities"`
		Total      int    `json:"total"`
		PageCount  int    `json:"pageCount"`
		PageNumber int    `json:"pageNumber"`
		NextURI    string `json:"nextUri"`
		LastURI    string `json:"lastUri"`
	}
	tests := []struct {
		name, path string
		total, n   int
		next       bool
	}{
		{"divisions page 1", "/api/v2/authorization/divisions?pageSize=1", 4, 1, true},
		{"divisions page 4", "/api/v2/authorization/divisions?pageSize=1&pageNumber=4", 4, 1, false},
		{"divisions SDK zeros", "/api/v2/authorization/divisions?pageSize=0&pageNumber=0&objectCount=false", 4, 4, false},
		{"division by name", "/api/v2/authorization/divisions?name=sales", 1, 1, false},
		{"roles", "/api/v2/authorization/roles", 5, 5, false},
		{"roles by name contains", "/api/v2/authorization/roles?name=communicate", 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l listing
			r := c.do("GET", tt.path, nil)
			r.want(t, 200)
			r.decode(t, &l)
			if l.Total != tt.total || len(l.Entities) != tt.n || (l.NextURI != "") != tt.next || l.LastURI == "" {
				t.Fatalf("%s", r.body)
			}
		})
	}
	c.do("GET", "/api/v2/authorization/divisions?pageSize=501", nil).wantError(t, 400, "invalid.value")
}

func TestGrants(t *testing.T) {
	srv, c := start(t, Options{})
	u := c.createUser("Granted", "granted@example.com")
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
	}{
		{"grant", "/api/v2/authorization/roles/" + agentRoleID + "?subjectType=PC_USER", map[string]any{"subjectIds": []string{u.ID}, "divisionIds": []string{salesDivID, "*"}}, 204, ""},
		{"grant again", "/api/v2/authorization/roles/" + agentRoleID + "?subjectType=PC_USER", map[string]any{"subjectIds": []string{u.ID}, "divisionIds": []string{salesDivID}}, 204, ""},
		{"unknown role", "/api/v2/authorization/roles/nope", map[string]any{"subjectIds": []string{u.ID}, "divisionIds": []string{salesDivID}}, 404, "not.found"},
		{"unknown division", "/api/v2/authorization/roles/" + agentRoleID, map[string]any{"subjectIds": []string{u.ID}, "divisionIds": []string{"nope"}}, 400, "bad.role.divisions"},
		{"unknown user", "/api/v2/authorization/roles/" + agentRoleID, map[string]any{"subjectIds": []string{"nope"}, "divisionIds": []string{salesDivID}}, 400, "invalid.value"},
		{"no divisions", "/api/v2/authorization/roles/" + agentRoleID, map[string]any{"subjectIds": []string{u.ID}}, 400, "bad.request"},
		{"bulkadd", "/api/v2/authorization/subjects/" + u.ID + "/bulkadd", map[string]any{"grants": []map[string]string{{"roleId": commRoleID, "divisionId": homeDivID}}}, 204, ""},
		{"bulkadd bad pair", "/api/v2/authorization/subjects/" + u.ID + "/bulkadd", map[string]any{"grants": []map[string]string{{"roleId": "nope", "divisionId": homeDivID}}}, 400, "bad.role.divisions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", tt.path, tt.body)
			if tt.code != "" {
				r.wantError(t, tt.status, tt.code)
				return
			}
			r.want(t, tt.status)
		})
	}
	var subj struct {
		ID     string `json:"id"`
		Grants []struct {
			SubjectID string `json:"subjectId"`
			Role      struct {
				ID string `json:"id"`
			} `json:"role"`
			Division struct {
				ID string `json:"id"`
			} `json:"division"`
		} `json:"grants"`
	}
	c.do("GET", "/api/v2/authorization/subjects/"+u.ID, nil).decode(t, &subj)
	// Employee in Home (default role), Agent in Sales and in *, Communicate - User in Home.
	if len(subj.Grants) != 4 || subj.Grants[0].Role.ID != employeeRoleID || subj.Grants[2].Division.ID != "*" || subj.Grants[1].SubjectID != u.ID {
		t.Fatalf("subject %+v", subj)
	}
	if st, _ := srv.Sim.State().User("granted@example.com"); len(st.Grants) != 4 {
		t.Fatalf("state grants %+v", st.Grants)
	}
}
