package proxies

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// RoleGrants pages through a role's holders and keeps the users, with their divisions.
func TestRoleGrantsPages(t *testing.T) {
	org := gcsim.DefaultOrg()
	const n = 2*subjectGrantsPageSize + 50                        // with the seed's holders, three pages
	want := map[string][]string{placedAgentID: {salesDivisionID}} // the seed's own Agent
	for i := range n {
		id := fmt.Sprintf("a9000000-0000-4000-8000-%012x", i)
		grants := []gcsim.OrgGrant{{Role: "Agent", Division: "Sales"}, {Role: "Agent", Division: "Home"}}
		want[id] = []string{salesDivisionID, homeDivisionID}
		if i%3 == 0 {
			grants = []gcsim.OrgGrant{{Role: "Agent", Division: "*"}}
			want[id] = []string{"*"}
		}
		org.Users = append(org.Users, gcsim.OrgUser{
			ID: id, Name: fmt.Sprintf("Holder %d", i), Email: fmt.Sprintf("holder.%d@example.com", i),
			State: "active", Division: "Home", Grants: grants,
		})
	}
	c, sim := setup(t, gcsim.Options{Org: org})
	got, err := c.Services().Authorization.RoleGrants(context.Background(), agentRoleID)
	if err != nil {
		t.Fatal(err)
	}
	// The Brokerage group holds Agent too; it is not a user, so it is left out.
	if len(got) != len(want) {
		t.Errorf("RoleGrants = %d subjects, want %d", len(got), len(want))
	}
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g.UserID] {
			t.Errorf("user %s listed twice", g.UserID)
		}
		seen[g.UserID] = true
		if w, ok := want[g.UserID]; !ok || !slices.Equal(g.DivisionIDs, w) {
			t.Errorf("user %s: divisions %v, want %v (known %v)", g.UserID, g.DivisionIDs, w, ok)
		}
	}
	if r := sim.Counters().Requests["GET /api/v2/authorization/roles/{roleId}/subjectgrants"]; r != 3 {
		t.Errorf("%d pages requested, want 3", r)
	}

	if _, err := c.Services().Authorization.RoleGrants(context.Background(), "no-such-role"); !errors.Is(err, provision.ErrNotFound) {
		t.Errorf("unknown role: %v, want not found", err)
	}
}

// A page that holds groups only does not end the listing: the users on the pages after it
// are listed.
func TestRoleGrantsGroupOnlyPage(t *testing.T) {
	pages := []string{
		`{"entities":[{"id":"g1","name":"Group","type":"PC_GROUP","divisions":[{"id":"d1"}]}],"pageSize":1,"pageNumber":1,"total":3,"pageCount":3}`,
		`{"entities":[{"id":"u1","name":"User","type":"PC_USER","divisions":[{"id":"d1"},{"id":"*","name":"All Divisions"}]}],"pageSize":1,"pageNumber":2,"total":3,"pageCount":3}`,
		`{"entities":[{"id":"c1","name":"Client","type":"PC_OAUTH_CLIENT","divisions":[{"id":"d1"}]}],"pageSize":1,"pageNumber":3,"total":3,"pageCount":3}`,
	}
	c, h := setupHostile(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/api/v2/authorization/roles/r1/subjectgrants") {
			http.NotFound(w, r)
			return
		}
		var n int
		if _, err := fmt.Sscan(r.URL.Query().Get("pageNumber"), &n); err != nil || n < 1 || n > len(pages) {
			http.Error(w, "bad page", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, pages[n-1])
	}, nil)
	got, err := (&authorizationArea{c}).RoleGrants(context.Background(), "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].UserID != "u1" || !slices.Equal(got[0].DivisionIDs, []string{"d1", "*"}) {
		t.Errorf("RoleGrants = %+v, want u1 in d1 and *", got)
	}
	if n := h.hits.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}
