package proxies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
)

// policy is a permission policy as the API gives it.
type policy struct {
	Domain     string   `json:"domain"`
	EntityName string   `json:"entityName"`
	ActionSet  []string `json:"actionSet"`
}

// testRole is role i of the org rolesAPI serves: every role holds directory:user view and
// edit; role 0 also "*:*:*" and the legacy "admin", role 1 routing:queue:add.
func testRole(i int) map[string]any {
	policies := []policy{{"directory", "user", []string{"view", "edit"}}}
	var legacy []string
	switch i {
	case 0:
		policies = append(policies, policy{"*", "*", []string{"*"}})
		legacy = []string{"admin"}
	case 1:
		policies = append(policies, policy{"routing", "queue", []string{"add"}})
	}
	return map[string]any{"id": fmt.Sprintf("role-%03d", i), "name": fmt.Sprintf("Role %03d", i),
		"permissions": legacy, "permissionPolicies": policies}
}

// rolesAPI serves GET /api/v2/authorization/roles for the ids asked, in pages of 60
// whatever the page size asked, and records the ids of every request.
type rolesAPI struct {
	mu    sync.Mutex
	asked [][]string // the ids of each request
	pages []string   // pageSize and pageNumber of each request
}

func (a *rolesAPI) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a.mu.Lock()
	a.asked = append(a.asked, q["id"])
	a.pages = append(a.pages, q.Get("pageSize")+"/"+q.Get("pageNumber"))
	a.mu.Unlock()
	var roles []map[string]any
	for _, id := range q["id"] {
		if n, err := strconv.Atoi(strings.TrimPrefix(id, "role-")); err == nil {
			roles = append(roles, testRole(n))
		}
	}
	const per = 60
	page, _ := strconv.Atoi(q.Get("pageNumber"))
	from, to := min((page-1)*per, len(roles)), min(page*per, len(roles))
	_ = json.NewEncoder(w).Encode(map[string]any{"entities": roles[from:to], "pageCount": (len(roles) + per - 1) / per})
}

// oauthClientAPI serves the OAuth client, holding roles 0 to n-1 (each twice, in two
// divisions) and its secret, and the roles.
func oauthClientAPI(n, validity int, roles *rolesAPI) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v2/oauth/clients/" + testClient:
			var rd []map[string]string
			for i := range n {
				for _, div := range []string{"div-a", "div-b"} {
					rd = append(rd, map[string]string{"roleId": fmt.Sprintf("role-%03d", i), "divisionId": div})
				}
			}
			body := map[string]any{"id": testClient, "name": "Nightly HR import", "description": "HR feed",
				"secret": testSecret, "authorizedGrantType": "CLIENT-CREDENTIALS", "roleDivisions": rd}
			if validity > 0 {
				body["accessTokenValiditySeconds"] = validity
			}
			_ = json.NewEncoder(w).Encode(body)
		case "/api/v2/authorization/roles":
			roles.serve(w, r)
		default:
			http.NotFound(w, r)
		}
	}
}

// An OAuth client's privileges: its roles, read 100 ids a call and every page, their
// policies expanded and legacy permissions kept, sorted without duplicates.
func TestClientPrivileges(t *testing.T) {
	roles := &rolesAPI{}
	srv := newOAuthServer(t, issue(3600), oauthClientAPI(150, 7200, roles))
	c := grantClient(t, srv.URL, nil)
	p, err := c.Services().Who.Privileges(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := provision.Privileges{
		Subject: `OAuth client "Nightly HR import" (` + testClient + ")", Name: "Nightly HR import", Description: "HR feed",
		Permissions:   []string{"*:*:*", "admin", "directory:user:edit", "directory:user:view", "routing:queue:add"},
		TokenLifetime: 2 * time.Hour,
	}
	if p.Subject != want.Subject || p.Name != want.Name || p.Description != want.Description || p.Person ||
		p.TokenLifetime != want.TokenLifetime || !slices.Equal(p.Permissions, want.Permissions) {
		t.Errorf("Privileges = %+v, want %+v", p, want)
	}
	if len(p.Roles) != 150 || p.Roles[0] != "Role 000" || !slices.IsSorted(p.Roles) {
		t.Errorf("%d roles, first %q; want the 150 roles, sorted", len(p.Roles), p.Roles[0])
	}
	if strings.Contains(fmt.Sprintf("%+v", p), testSecret) {
		t.Error("the privileges hold the client secret")
	}
	var sizes []int
	for _, ids := range roles.asked {
		sizes = append(sizes, len(ids))
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("role requests asked for %v ids, want [100 100 50]: 100 a call, every page", sizes)
	}
	if !slices.Equal(roles.pages, []string{"100/1", "100/2", "100/1"}) {
		t.Errorf("role requests paged %v", roles.pages)
	}
}

// Without accessTokenValiditySeconds, the lifetime is the token's own.
func TestClientPrivilegesTokenLifetime(t *testing.T) {
	srv := newOAuthServer(t, issue(900), oauthClientAPI(1, 0, &rolesAPI{}))
	p, err := grantClient(t, srv.URL, nil).Services().Who.Privileges(context.Background())
	if err != nil || p.TokenLifetime != 15*time.Minute {
		t.Errorf("TokenLifetime = %s, %v; want 15m", p.TokenLifetime, err)
	}
}

// A person's privileges come from GET /api/v2/users/me?expand=authorization.
func TestPersonPrivileges(t *testing.T) {
	var expand string
	me := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/users/me" {
			http.NotFound(w, r)
			return
		}
		expand = r.URL.Query().Get("expand")
		fmt.Fprint(w, `{"id":"u1","email":"ann@example.com","authorization":{
			"roles":[{"id":"r2","name":"Employee"},{"id":"r1","name":"Admin"}],
			"permissions":["admin","directory:user:view"],
			"permissionPolicies":[{"domain":"directory","entityName":"user","actionSet":["view","add"]},
				{"domain":"routing","entityName":"*","actionSet":["*"]}]}}`)
	}
	for _, mod := range []func(*Config){saml2, password} {
		srv := newOAuthServer(t, issue(1800), me)
		c := grantClient(t, srv.URL, mod)
		p, err := c.Services().Who.Privileges(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"admin", "directory:user:add", "directory:user:view", "routing:*:*"}
		if !p.Person || p.Subject != "user ann@example.com" || !slices.Equal(p.Roles, []string{"Admin", "Employee"}) ||
			!slices.Equal(p.Permissions, want) || p.TokenLifetime != 30*time.Minute || p.Name != "" {
			t.Errorf("%s: Privileges = %+v", c.Grant(), p)
		}
		if expand != "authorization" {
			t.Errorf("%s: expand=%q, want authorization", c.Grant(), expand)
		}
	}
}

// A refusal is classified as for any call.
func TestPrivilegesForbidden(t *testing.T) {
	srv := newOAuthServer(t, issue(3600), func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"You are missing the following permission(s): oauth:client:view","code":"missing.permissions","status":403}`)
	})
	_, err := grantClient(t, srv.URL, nil).Services().Who.Privileges(context.Background())
	if !errors.Is(err, provision.ErrForbidden) || !strings.Contains(err.Error(), "GET /api/v2/oauth/clients/{id}") {
		t.Errorf("err = %v, want ErrForbidden naming the call", err)
	}
}
