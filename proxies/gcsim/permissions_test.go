package gcsim

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestSatisfies(t *testing.T) {
	tests := []struct {
		held, need string
		want       bool
	}{
		{"directory:user:add", "directory:user:add", true},
		{"directory:user:*", "directory:user:add", true},
		{"directory:*:add", "directory:user:add", true},
		{"*:*:*", "routing:queueMember:manage", true},
		{"directory:user:view", "directory:user:add", false},
		{"directory:group:*", "directory:user:add", false},
		{"admin", "admin", true},
		{"*:*:*", "admin", false}, // a wildcard is no legacy word
		{"admin", "directory:user:edit", false},
		{"directory:user:add", "*:*:*", false}, // a required "*" is met only by a held "*"
	}
	for _, tt := range tests {
		t.Run(tt.held+" for "+tt.need, func(t *testing.T) {
			if got := satisfies(tt.held, tt.need); got != tt.want {
				t.Fatalf("satisfies = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidPermission(t *testing.T) {
	for p, want := range map[string]bool{
		"directory:user:add": true, "*:*:*": true, "admin": true, "routing:queue:*": true,
		"": false, "directory:user": false, "a:b:c:d": false, "directory::add": false, "dir*:user:add": false, "two words": false,
	} {
		if got := validPermission(p); got != want {
			t.Errorf("validPermission(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestRequirementMissing(t *testing.T) {
	held := []string{"authorization:grant:add", "routing:*:view"}
	tests := []struct {
		name string
		req  Requirement
		want []string
	}{
		{"any met", Requirement{RequireAny, []string{"routing:queue:edit", "routing:queue:view"}}, nil},
		{"any unmet names every one", Requirement{RequireAny, []string{"admin", "directory:user:delete"}}, []string{"admin", "directory:user:delete"}},
		{"all met", Requirement{RequireAll, []string{"authorization:grant:add"}}, nil},
		{"all unmet names the missing", Requirement{RequireAll, []string{"authorization:grant:add", "authorization:grant:delete"}}, []string{"authorization:grant:delete"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.req.missing(held); !slices.Equal(got, tt.want) {
				t.Fatalf("missing = %v, want %v", got, tt.want)
			}
		})
	}
}

// A route needing a permission the token lacks is answered 403 with the platform's
// ErrorBody, nothing done, and counted; the codes follow the requirement's type.
func TestMissingPermission(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	u := c.createUser("Keep Me", "keep.me@example.com")
	// User Provisioning holds no directory:user:delete (ANY).
	e := c.do("DELETE", "/api/v2/users/"+u.ID, nil).wantError(t, http.StatusForbidden, "missing.any.permissions")
	if want := "Unable to perform the requested action. You must have at least one of the following permissions assigned: " +
		"[admin, directory:user:delete, directory:organization:admin]"; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if st, _ := srv.Sim.State().User("keep.me@example.com"); st.State != "active" {
		t.Errorf("the refused delete was done: %+v", st)
	}

	// A person holding Employee and Communicate - User only: no grant:add (ALL).
	agent := person(t, c, "existing.agent@example.com")
	e = agent.do("POST", "/api/v2/authorization/subjects/"+u.ID+"/bulkadd", grantsBody(agentRoleID, salesDivID)).
		wantError(t, http.StatusForbidden, "missing.permissions")
	if want := "Unable to perform the requested action. You are missing the following permission(s): [authorization:grant:add]"; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	// What the agent's roles do hold works; a route requiring nothing needs nothing.
	agent.do("POST", "/api/v2/users/search", emailQuery("keep.me@example.com")).want(t, http.StatusOK)
	agent.do("GET", "/api/v2/groups", nil).want(t, http.StatusOK)

	got := srv.Sim.Counters()
	if got.Forbidden != 2 {
		t.Errorf("Forbidden = %d, want 2", got.Forbidden)
	}
	if n := got.WritesBySubject["user:"+agentID]; n != 0 {
		t.Errorf("a refused write counted: WritesBySubject %v", got.WritesBySubject)
	}
}

// A wildcard in a held permission satisfies every value of its part, and the legacy "admin"
// satisfies routes that list it.
func TestWildcardPermissions(t *testing.T) {
	org := DefaultOrg()
	org.Roles = append(org.Roles,
		OrgRole{ID: "20e50000-0000-4000-8000-0000000000a1", Name: "Directory", Permissions: []string{"directory:*:*"}},
		OrgRole{ID: "20e50000-0000-4000-8000-0000000000a2", Name: "Legacy Admin", Permissions: []string{"admin"}},
		OrgRole{ID: "20e50000-0000-4000-8000-0000000000a3", Name: "Viewer", Permissions: []string{"directory:user:view"}},
	)
	org.OAuthClients = append(org.OAuthClients,
		OrgClient{ID: "directory-client", Secret: "directory-secret", Roles: []OrgGrant{{Role: "Directory", Division: "*"}}},
		OrgClient{ID: "legacy-client", Secret: "legacy-secret", Roles: []OrgGrant{{Role: "Legacy Admin", Division: "Home"}}},
		OrgClient{ID: "viewer-client", Secret: "viewer-secret", Roles: []OrgGrant{{Role: "Viewer", Division: "Home"}}},
	)
	srv, c := start(t, noLags(Options{Org: org}))
	as := func(id, secret string) *client {
		o := &client{t: t, base: srv.URL, hc: c.hc}
		r := o.tokenRequest(id, secret, "client_credentials")
		r.want(t, http.StatusOK)
		var tok tokenAnswer
		r.decode(t, &tok)
		o.token = tok.AccessToken
		return o
	}
	dir, legacy, viewer := as("directory-client", "directory-secret"), as("legacy-client", "legacy-secret"), as("viewer-client", "viewer-secret")

	a := c.createUser("Wild One", "wild.one@example.com")
	b := c.createUser("Wild Two", "wild.two@example.com")
	viewer.do("DELETE", "/api/v2/users/"+a.ID, nil).wantError(t, http.StatusForbidden, "missing.any.permissions")
	dir.do("DELETE", "/api/v2/users/"+a.ID, nil).want(t, http.StatusOK)    // directory:*:* for directory:user:delete
	legacy.do("DELETE", "/api/v2/users/"+b.ID, nil).want(t, http.StatusOK) // admin
	// directory:*:* is no routing permission, admin is not listed for queues.
	dir.do("GET", "/api/v2/routing/queues", nil).wantError(t, http.StatusForbidden, "missing.any.permissions")
	legacy.do("GET", "/api/v2/routing/queues", nil).wantError(t, http.StatusForbidden, "missing.any.permissions")
	// The default org's Master Admin holds *:*:*.
	adminClient(t, srv, c).do("GET", "/api/v2/routing/queues", nil).want(t, http.StatusOK)

	// A person's roles through a group count: Brokerage holds Agent (routing:queue:view).
	org2 := DefaultOrg()
	org2.Users[0].Groups = append(org2.Users[0].Groups, "Brokerage")
	_, c2 := start(t, noLags(Options{Org: org2}))
	person(t, c2, "existing.agent@example.com").do("GET", "/api/v2/routing/queues", nil).want(t, http.StatusOK)
	person(t, c, "existing.agent@example.com").do("GET", "/api/v2/routing/queues", nil).wantError(t, http.StatusForbidden, "missing.any.permissions")
}

// GET /api/v2/authorization/roles shows each role's permissions as policies by domain and
// entity, and its legacy single-word permissions in permissions.
func TestRolePermissionPolicies(t *testing.T) {
	_, c := start(t, Options{})
	type policy struct {
		Domain     string   `json:"domain"`
		EntityName string   `json:"entityName"`
		ActionSet  []string `json:"actionSet"`
	}
	var l struct {
		Entities []struct {
			Name               string   `json:"name"`
			Permissions        []string `json:"permissions"`
			PermissionPolicies []policy `json:"permissionPolicies"`
		} `json:"entities"`
	}
	c.do("GET", "/api/v2/authorization/roles?pageSize=100", nil).decode(t, &l)
	render := func(ps []policy) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Domain+":"+p.EntityName+":"+strings.Join(p.ActionSet, "+"))
		}
		return strings.Join(out, ",")
	}
	want := map[string][2]string{
		"Master Admin": {"admin", "*:*:*"},
		"User Provisioning": {"", "directory:user:add+view+edit+setPassword,authorization:role:view,authorization:grant:add+delete+view," +
			"routing:queue:view,routing:queueMember:manage,routing:skill:assign," +
			"telephony:plugin:all,oauth:client:view"},
		"Agent": {"", "routing:queue:view+join"},
	}
	seen := 0
	for _, e := range l.Entities {
		w, ok := want[e.Name]
		if !ok {
			continue
		}
		seen++
		if got := strings.Join(e.Permissions, ","); got != w[0] || e.Permissions == nil {
			t.Errorf("%s permissions %q, want %q", e.Name, got, w[0])
		}
		if got := render(e.PermissionPolicies); got != w[1] {
			t.Errorf("%s policies %q, want %q", e.Name, got, w[1])
		}
	}
	if seen != len(want) {
		t.Fatalf("saw %d of the %d roles", seen, len(want))
	}
}
