package gcsim

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestOAuthClientRead(t *testing.T) {
	org := DefaultOrg()
	org.OAuthClients[1].AccessTokenValiditySeconds = 3600
	_, c := start(t, Options{Org: org})
	type out struct {
		ID                         string `json:"id"`
		Name                       string `json:"name"`
		Description                string `json:"description"`
		AccessTokenValiditySeconds *int   `json:"accessTokenValiditySeconds"`
		Secret                     string `json:"secret"`
		AuthorizedGrantType        string `json:"authorizedGrantType"`
		RoleDivisions              []struct {
			RoleID     string `json:"roleId"`
			DivisionID string `json:"divisionId"`
		} `json:"roleDivisions"`
		State       string `json:"state"`
		DateCreated string `json:"dateCreated"`
		SelfURI     string `json:"selfUri"`
	}
	got := getJSON[out](c, "/api/v2/oauth/clients/test-client")
	if got.ID != "test-client" || got.Name != "Test provisioning client" || got.Description == "" || got.Secret != "test-secret-not-real" ||
		got.AuthorizedGrantType != GrantClientCredentials || got.State != "active" || got.DateCreated == "" ||
		got.SelfURI != "/api/v2/oauth/clients/test-client" || got.AccessTokenValiditySeconds == nil || *got.AccessTokenValiditySeconds != 3600 {
		t.Fatalf("test-client %+v", got)
	}
	if len(got.RoleDivisions) != 1 || got.RoleDivisions[0].RoleID != "20e50000-0000-4000-8000-000000000006" || got.RoleDivisions[0].DivisionID != homeDivID {
		t.Fatalf("roleDivisions %+v", got.RoleDivisions)
	}
	saml := getJSON[out](c, "/api/v2/oauth/clients/"+samlClient)
	if saml.AuthorizedGrantType != GrantSAML2Bearer || saml.RoleDivisions == nil || len(saml.RoleDivisions) != 0 || saml.AccessTokenValiditySeconds != nil {
		t.Fatalf("SAML client %+v", saml)
	}
	c.do("GET", "/api/v2/oauth/clients/nope", nil).wantError(t, http.StatusNotFound, "client.not.found")
	// A person without oauth:client:view may not read it.
	person(t, c, "existing.agent@example.com").do("GET", "/api/v2/oauth/clients/test-client", nil).
		wantError(t, http.StatusForbidden, "missing.any.permissions")
}

func TestUsersMe(t *testing.T) {
	_, c := start(t, Options{})
	e := c.do("GET", "/api/v2/users/me?expand=authorization", nil).wantError(t, http.StatusBadRequest, "not.a.user")
	if want := "This request requires a user context. Client credentials cannot be used for requests to this resource."; e.Message != want {
		t.Errorf("message %q", e.Message)
	}

	sup := person(t, c, "existing.supervisor@example.com")
	type policy struct {
		Domain     string   `json:"domain"`
		EntityName string   `json:"entityName"`
		ActionSet  []string `json:"actionSet"`
	}
	var me struct {
		ID            string `json:"id"`
		Email         string `json:"email"`
		Authorization *struct {
			Roles []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"roles"`
			UnusedRoles        []any    `json:"unusedRoles"`
			Permissions        []string `json:"permissions"`
			PermissionPolicies []policy `json:"permissionPolicies"`
		} `json:"authorization"`
	}
	r := sup.do("GET", "/api/v2/users/me?expand=authorization", nil)
	r.want(t, http.StatusOK)
	r.decode(t, &me)
	if me.ID != supervisorID || me.Email != "existing.supervisor@example.com" || me.Authorization == nil {
		t.Fatalf("users/me %s", r.body)
	}
	a := me.Authorization
	var roles []string
	for _, ro := range a.Roles {
		roles = append(roles, ro.Name)
	}
	if got := strings.Join(roles, ","); got != "Employee,Supervisor" || a.UnusedRoles == nil || len(a.UnusedRoles) != 0 {
		t.Errorf("roles %q unusedRoles %v", got, a.UnusedRoles)
	}
	if !strings.Contains(strings.Join(a.Permissions, ","), "authorization:division:view,authorization:grant:*") || len(a.Permissions) != 10 {
		t.Errorf("permissions %v", a.Permissions)
	}
	if p := a.PermissionPolicies; len(p) == 0 || p[0].Domain != "directory" || p[0].EntityName != "user" || strings.Join(p[0].ActionSet, ",") != "view,*" {
		t.Errorf("policies %+v", p)
	}
	// Without expand, no authorization.
	if plain := getJSON[apiUserOut](sup, "/api/v2/users/me"); plain.ID != supervisorID || plain.Authorization != nil {
		t.Errorf("plain users/me %+v", plain)
	}
}

// Every accepted write counts for who the token acts as; refused ones do not. Observe sees
// the subject of each API request.
func TestWritesBySubject(t *testing.T) {
	var mu sync.Mutex
	observed := map[string]int{}
	srv, c := start(t, noLags(Options{Observe: func(o Observed) {
		mu.Lock()
		observed[o.Subject]++
		mu.Unlock()
	}}))
	sup := person(t, c, "existing.supervisor@example.com")
	agent := person(t, c, "existing.agent@example.com")

	u := sup.createUser("By A Person", "by.person@example.com")
	sup.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"title": "Agent", "version": 1}).want(t, http.StatusOK)
	sup.do("POST", "/api/v2/users/search", emailQuery("by.person@example.com")).want(t, http.StatusOK) // a search is no write
	c.do("POST", "/api/v2/users/"+u.ID+"/invite", nil).want(t, http.StatusNoContent)
	agent.do("POST", "/api/v2/users", newUserBody("Refused", "refused@example.com", homeDivID)).want(t, http.StatusForbidden)
	srv.Sim.Script("PATCH /api/v2/users/{userId}", Fault{Status: http.StatusServiceUnavailable})
	sup.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"title": "Lead", "version": 2}).want(t, http.StatusServiceUnavailable)

	got := srv.Sim.Counters()
	want := map[string]int{"user:" + supervisorID: 2, "client:test-client": 1}
	if !maps.Equal(got.WritesBySubject, want) {
		t.Errorf("WritesBySubject %v, want %v", got.WritesBySubject, want)
	}
	if got.Writes != 5 {
		t.Errorf("Writes %d, want 5 (every attempt)", got.Writes)
	}
	mu.Lock()
	defer mu.Unlock()
	wantObserved := map[string]int{"": 3, "user:" + supervisorID: 4, "user:" + agentID: 1, "client:test-client": 1}
	if !maps.Equal(observed, wantObserved) {
		t.Errorf("observed subjects %v, want %v (\"\": the token requests)", observed, wantObserved)
	}
}
