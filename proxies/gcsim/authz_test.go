package gcsim

import (
	"strings"
	"testing"
	"time"
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
		{"roles", "/api/v2/authorization/roles", 7, 7, false},
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
	srv, c := start(t, noLags(Options{}))
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
			r.wantOutcome(t, tt.status, tt.code)
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

const (
	supervisorRoleID = "20e50000-0000-4000-8000-000000000004"
	brokerageID      = "36000000-0000-4000-8000-000000000003"
)

// subjectOut is the part of AuthzSubject the tests read.
type subjectOut struct {
	ID     string `json:"id"`
	Grants []struct {
		SubjectID string `json:"subjectId"`
		Role      struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"role"`
		Division struct {
			ID string `json:"id"`
		} `json:"division"`
		GrantMadeAt string `json:"grantMadeAt"`
	} `json:"grants"`
}

// pairs renders the grants as "subject:role@division" with short names: "u" for the user
// whose id is userID, the group name for Brokerage.
func (s subjectOut) pairs(userID string) string {
	short := map[string]string{
		userID: "u", brokerageID: "Brokerage", employeeRoleID: "Employee", agentRoleID: "Agent", commRoleID: "Comm",
		supervisorRoleID: "Supervisor", homeDivID: "Home", salesDivID: "Sales", supportDivID: "Support", "*": "*",
	}
	var out []string
	for _, g := range s.Grants {
		out = append(out, short[g.SubjectID]+":"+short[g.Role.ID]+"@"+short[g.Division.ID])
	}
	return strings.Join(out, ",")
}

func (c *client) subject(path string) subjectOut {
	c.t.Helper()
	return getJSON[subjectOut](c, "/api/v2/authorization/subjects/"+path)
}

func grantsBody(pairs ...string) map[string]any {
	gs := []map[string]string{}
	for i := 0; i < len(pairs); i += 2 {
		gs = append(gs, map[string]string{"roleId": pairs[i], "divisionId": pairs[i+1]})
	}
	return map[string]any{"grants": gs}
}

func TestRemoveAndReplaceGrants(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	u := c.createUser("Regranted", "regranted@example.com")
	subj := "/api/v2/authorization/subjects/" + u.ID
	c.do("POST", subj+"/bulkadd", grantsBody(agentRoleID, salesDivID, commRoleID, homeDivID, agentRoleID, "*")).want(t, 204)
	before := srv.Sim.Counters()
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
		want               string // the user's grants afterwards
	}{
		{"bulkremove, one grant not held", "POST", subj + "/bulkremove", grantsBody(agentRoleID, salesDivID, supervisorRoleID, supportDivID), 204, "",
			"u:Employee@Home,u:Comm@Home,u:Agent@*"},
		{"bulkremove again", "POST", subj + "/bulkremove", grantsBody(agentRoleID, salesDivID), 204, "",
			"u:Employee@Home,u:Comm@Home,u:Agent@*"},
		{"bulkremove unknown role", "POST", subj + "/bulkremove", grantsBody("nope", homeDivID, commRoleID, homeDivID), 400, "bad.role.divisions",
			"u:Employee@Home,u:Comm@Home,u:Agent@*"},
		{"bulkremove unknown division", "POST", subj + "/bulkremove", grantsBody(commRoleID, homeDivID, commRoleID, "nope"), 400, "bad.role.divisions",
			"u:Employee@Home,u:Comm@Home,u:Agent@*"},
		{"bulkremove empty", "POST", subj + "/bulkremove", grantsBody(), 400, "bad.request", "u:Employee@Home,u:Comm@Home,u:Agent@*"},
		{"bulkremove unknown user", "POST", "/api/v2/authorization/subjects/" + unknownEntityID + "/bulkremove", grantsBody(commRoleID, homeDivID), 404, "not.found",
			"u:Employee@Home,u:Comm@Home,u:Agent@*"},
		{"delete one grant", "DELETE", subj + "/divisions/*/roles/" + agentRoleID, nil, 200, "", "u:Employee@Home,u:Comm@Home"},
		{"delete it again", "DELETE", subj + "/divisions/*/roles/" + agentRoleID, nil, 200, "", "u:Employee@Home,u:Comm@Home"},
		{"delete unknown role", "DELETE", subj + "/divisions/" + homeDivID + "/roles/nope", nil, 404, "not.found", "u:Employee@Home,u:Comm@Home"},
		{"delete unknown division", "DELETE", subj + "/divisions/nope/roles/" + commRoleID, nil, 404, "not.found", "u:Employee@Home,u:Comm@Home"},
		{"delete for unknown user", "DELETE", "/api/v2/authorization/subjects/" + unknownEntityID + "/divisions/" + homeDivID + "/roles/" + commRoleID, nil, 404, "not.found",
			"u:Employee@Home,u:Comm@Home"},
		{"bulkreplace", "POST", subj + "/bulkreplace?subjectType=PC_USER", grantsBody(supervisorRoleID, supportDivID, commRoleID, homeDivID, supervisorRoleID, supportDivID), 204, "",
			"u:Comm@Home,u:Supervisor@Support"},
		{"bulkreplace unknown pair", "POST", subj + "/bulkreplace", grantsBody(agentRoleID, "nope"), 400, "bad.role.divisions", "u:Comm@Home,u:Supervisor@Support"},
		{"bulkreplace for a group", "POST", subj + "/bulkreplace?subjectType=PC_GROUP", grantsBody(agentRoleID, homeDivID), 400, "invalid.subject.type",
			"u:Comm@Home,u:Supervisor@Support"},
		{"bulkreplace without grants", "POST", subj + "/bulkreplace", map[string]any{}, 400, "bad.request", "u:Comm@Home,u:Supervisor@Support"},
		{"bulkreplace with an empty list", "POST", subj + "/bulkreplace", grantsBody(), 204, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(tt.method, tt.path, tt.body)
			if r.wantOutcome(t, tt.status, tt.code) && len(r.body) != 0 {
				t.Fatalf("body %q, want none", r.body)
			}
			if got := c.subject(u.ID).pairs(u.ID); got != tt.want {
				t.Fatalf("grants %q, want %q", got, tt.want)
			}
		})
	}
	after := srv.Sim.Counters()
	if n := after.Writes - before.Writes; n != len(tests) {
		t.Errorf("writes %d, want %d", n, len(tests))
	}
	for _, k := range []string{
		"POST /api/v2/authorization/subjects/{subjectId}/bulkremove",
		"POST /api/v2/authorization/subjects/{subjectId}/bulkreplace",
		"DELETE /api/v2/authorization/subjects/{subjectId}/divisions/{divisionId}/roles/{roleId}",
	} {
		if after.Requests[k] == 0 {
			t.Errorf("%s not counted", k)
		}
	}
	if st, _ := srv.Sim.State().User("regranted@example.com"); len(st.Grants) != 0 {
		t.Errorf("state grants %+v", st.Grants)
	}
}

func TestBulkReplaceKeepsGrantTimes(t *testing.T) {
	_, c := start(t, Options{})
	before := c.subject(agentID)
	time.Sleep(5 * time.Millisecond)
	c.do("POST", "/api/v2/authorization/subjects/"+agentID+"/bulkreplace", grantsBody(commRoleID, homeDivID, agentRoleID, salesDivID)).want(t, 204)
	after := c.subject(agentID)
	if after.pairs(agentID) != "u:Comm@Home,u:Agent@Sales" {
		t.Fatalf("grants %q", after.pairs(agentID))
	}
	if after.Grants[0].GrantMadeAt != before.Grants[1].GrantMadeAt || after.Grants[1].GrantMadeAt == before.Grants[1].GrantMadeAt {
		t.Fatalf("grantMadeAt before %+v, after %+v", before.Grants, after.Grants)
	}
}

// The org default role is a grant like any other: bulkremove removes it, and a client that
// wants to keep it must leave it out of the call.
func TestBulkRemoveDefaultRole(t *testing.T) {
	srv, c := start(t, Options{})
	userCount := func() int {
		var l struct {
			Entities []struct {
				UserCount int `json:"userCount"`
			} `json:"entities"`
		}
		c.do("GET", "/api/v2/authorization/roles?id="+employeeRoleID, nil).decode(t, &l)
		return l.Entities[0].UserCount
	}
	n := userCount()
	if got := c.subject(agentID).pairs(agentID); got != "u:Employee@Home,u:Comm@Home" {
		t.Fatalf("seed grants %q", got)
	}
	c.do("POST", "/api/v2/authorization/subjects/"+agentID+"/bulkremove", grantsBody(employeeRoleID, homeDivID)).want(t, 204)
	if got := c.subject(agentID).pairs(agentID); got != "u:Comm@Home" {
		t.Fatalf("grants after removing the default role %q", got)
	}
	if got := userCount(); got != n-1 {
		t.Errorf("Employee userCount %d, want %d", got, n-1)
	}
	if st, _ := srv.Sim.State().User("existing.agent@example.com"); len(st.Grants) != 1 || st.Grants[0].Role != "Communicate - User" {
		t.Errorf("state grants %+v", st.Grants)
	}
	// Another user keeps it.
	if got := c.subject(supervisorID).pairs(supervisorID); !strings.HasPrefix(got, "u:Employee@Home") {
		t.Errorf("supervisor grants %q", got)
	}
}

func TestGroupHeldGrants(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	if got := c.subject(brokerageID).pairs(""); got != "Brokerage:Agent@Sales" {
		t.Fatalf("Brokerage grants %q", got)
	}
	if g, _ := srv.Sim.State().Group("Brokerage"); len(g.Grants) != 1 || g.Grants[0].Role != "Agent" || g.Grants[0].Division != "Sales" {
		t.Fatalf("Brokerage state %+v", g)
	}
	u := c.createUser("Broker", "broker@example.com")
	if got := c.subject(u.ID + "?includeDuplicates=true").pairs(u.ID); got != "u:Employee@Home" {
		t.Fatalf("before joining %q", got)
	}
	c.do("POST", "/api/v2/groups/"+brokerageID+"/members", map[string]any{"memberIds": []string{u.ID}, "version": 1}).want(t, 202)
	subj := "/api/v2/authorization/subjects/" + u.ID
	steps := []struct {
		name       string
		do         func()
		dups, nodu string // grants with includeDuplicates=true and without it
	}{
		{"member", func() {}, "u:Employee@Home,Brokerage:Agent@Sales", "u:Employee@Home,Brokerage:Agent@Sales"},
		{"own grant of the same pair", func() {
			c.do("POST", subj+"/bulkadd", grantsBody(agentRoleID, salesDivID)).want(t, 204)
		}, "u:Employee@Home,u:Agent@Sales,Brokerage:Agent@Sales", "u:Employee@Home,u:Agent@Sales"},
		{"bulkremove leaves the group's grant", func() {
			c.do("POST", subj+"/bulkremove", grantsBody(agentRoleID, salesDivID)).want(t, 204)
		}, "u:Employee@Home,Brokerage:Agent@Sales", "u:Employee@Home,Brokerage:Agent@Sales"},
		{"delete one leaves the group's grant", func() {
			c.do("DELETE", subj+"/divisions/"+salesDivID+"/roles/"+agentRoleID, nil).want(t, 200)
		}, "u:Employee@Home,Brokerage:Agent@Sales", "u:Employee@Home,Brokerage:Agent@Sales"},
		{"bulkreplace leaves the group's grant", func() {
			c.do("POST", subj+"/bulkreplace", grantsBody(commRoleID, homeDivID)).want(t, 204)
		}, "u:Comm@Home,Brokerage:Agent@Sales", "u:Comm@Home,Brokerage:Agent@Sales"},
		{"leaving the group", func() {
			c.do("DELETE", "/api/v2/groups/"+brokerageID+"/members?ids="+u.ID, nil).want(t, 202)
		}, "u:Comm@Home", "u:Comm@Home"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.do()
			if got := c.subject(u.ID + "?includeDuplicates=true").pairs(u.ID); got != st.dups {
				t.Errorf("includeDuplicates=true: %q, want %q", got, st.dups)
			}
			if got := c.subject(u.ID).pairs(u.ID); got != st.nodu {
				t.Errorf("default: %q, want %q", got, st.nodu)
			}
		})
	}
	if g, _ := srv.Sim.State().Group("Brokerage"); len(g.Grants) != 1 {
		t.Errorf("Brokerage grants changed: %+v", g.Grants)
	}
	if st, _ := srv.Sim.State().User("broker@example.com"); len(st.Grants) != 1 || st.Grants[0].Role != "Communicate - User" {
		t.Errorf("user state grants %+v", st.Grants)
	}
	c.do("GET", subj+"?includeDuplicates=maybe", nil).wantError(t, 400, "invalid.query.param.value")
	c.do("POST", "/api/v2/authorization/subjects/"+brokerageID+"/bulkremove", grantsBody(agentRoleID, salesDivID)).wantError(t, 404, "not.found")
}

// subjectGrantsOut is the part of SubjectDivisionGrantsEntityListing the tests read.
type subjectGrantsOut struct {
	Entities []struct {
		ID        string `json:"id"`
		Type      string `json:"type"`
		Divisions []struct {
			ID      string `json:"id"`
			Name    string `json:"name"`
			SelfURI string `json:"selfUri"`
		} `json:"divisions"`
	} `json:"entities"`
	Total      int    `json:"total"`
	PageSize   int    `json:"pageSize"`
	PageNumber int    `json:"pageNumber"`
	PageCount  int    `json:"pageCount"`
	NextURI    string `json:"nextUri"`
}

// subjects renders the page as "subject:division+division" with short names: "u" for the
// user whose id is userID.
func (l subjectGrantsOut) subjects(userID string) string {
	short := map[string]string{
		userID: "u", agentID: "Agent", supervisorID: "Supervisor", inactiveID: "Inactive", placedID: "Placed", brokerageID: "Brokerage",
		homeDivID: "Home", salesDivID: "Sales", supportDivID: "Support", "*": "*",
	}
	var out []string
	for _, e := range l.Entities {
		var divs []string
		for _, d := range e.Divisions {
			divs = append(divs, short[d.ID])
		}
		out = append(out, short[e.ID]+"/"+e.Type+":"+strings.Join(divs, "+"))
	}
	return strings.Join(out, ",")
}

func TestRoleSubjectGrants(t *testing.T) {
	_, c := start(t, noLags(Options{}))
	u := c.createUser("Holder", "holder@example.com")
	c.do("POST", "/api/v2/authorization/roles/"+agentRoleID, map[string]any{"subjectIds": []string{u.ID}, "divisionIds": []string{salesDivID, "*"}}).want(t, 204)
	path := func(roleID, query string) string {
		return "/api/v2/authorization/roles/" + roleID + "/subjectgrants" + query
	}
	tests := []struct {
		name, path, want string
		total, pages     int
		next             bool
	}{
		// Users holding the role themselves, in org order, then the groups holding it.
		{"agent", path(agentRoleID, ""), "Placed/PC_USER:Sales,u/PC_USER:Sales+*,Brokerage/PC_GROUP:Sales", 3, 1, false},
		{"agent page 1", path(agentRoleID, "?pageSize=2"), "Placed/PC_USER:Sales,u/PC_USER:Sales+*", 3, 2, true},
		{"agent page 2", path(agentRoleID, "?pageSize=2&pageNumber=2"), "Brokerage/PC_GROUP:Sales", 3, 2, false},
		{"agent past the end", path(agentRoleID, "?pageSize=2&pageNumber=3"), "", 3, 2, false},
		{"SDK zeros and ignored parameters", path(agentRoleID, "?pageSize=0&pageNumber=0&sortBy=&nextPage=&previousPage="), "Placed/PC_USER:Sales,u/PC_USER:Sales+*,Brokerage/PC_GROUP:Sales", 3, 1, false},
		// The default role: every user but the deleted one, the new one included.
		{"employee", path(employeeRoleID, ""), "Agent/PC_USER:Home,Supervisor/PC_USER:Home,Inactive/PC_USER:Home,Placed/PC_USER:Home,u/PC_USER:Home", 5, 1, false},
		{"supervisor", path(supervisorRoleID, ""), "Supervisor/PC_USER:Support", 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := getJSON[subjectGrantsOut](c, tt.path)
			if got := l.subjects(u.ID); got != tt.want || l.Total != tt.total || l.PageCount != tt.pages || (l.NextURI != "") != tt.next {
				t.Fatalf("got %q total %d pageCount %d nextUri %q, want %q total %d pageCount %d next %v",
					got, l.Total, l.PageCount, l.NextURI, tt.want, tt.total, tt.pages, tt.next)
			}
		})
	}
	l := getJSON[subjectGrantsOut](c, path(agentRoleID, ""))
	if d := l.Entities[1].Divisions; d[0].Name != "Sales" || d[0].SelfURI == "" || d[1].Name != "All Divisions" || d[1].SelfURI != "" {
		t.Errorf("divisions %+v", d)
	}
	// A role nobody holds is an empty listing; an unknown role is 404.
	c.do("POST", "/api/v2/authorization/subjects/"+supervisorID+"/bulkremove", grantsBody(supervisorRoleID, supportDivID)).want(t, 204)
	if l := getJSON[subjectGrantsOut](c, path(supervisorRoleID, "")); len(l.Entities) != 0 || l.Total != 0 || l.PageCount != 0 {
		t.Errorf("after the revoke %+v", l)
	}
	c.do("GET", path("nope", ""), nil).wantError(t, 404, "not.found")
	c.do("GET", path(agentRoleID, "?pageSize=501"), nil).wantError(t, 400, "invalid.value")
	c.do("GET", path(agentRoleID, "?pageNumber=x"), nil).wantError(t, 400, "invalid.query.param.value")
}

// GET /api/v2/users pages through 10,000 users at most: the page that would reach past them
// is answered 400, as Genesys's Terraform provider reports (DEVTOOLING-862).
func TestListUsersPagingCap(t *testing.T) {
	_, c := start(t, Options{})
	c.do("GET", "/api/v2/users?pageSize=500&pageNumber=20", nil).want(t, 200)
	c.do("GET", "/api/v2/users?pageSize=500&pageNumber=21", nil).wantError(t, 400, "too.many.requested.results")
}
