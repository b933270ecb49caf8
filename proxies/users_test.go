package proxies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// Seed ids of testdata/org.json the tests rely on.
const (
	existingAgentID = "0e000000-0000-4000-8000-000000000001"
	supervisorID    = "0e000000-0000-4000-8000-000000000002"
	deletedUserID   = "0e000000-0000-4000-8000-000000000004"
	placedAgentID   = "0e000000-0000-4000-8000-000000000005"
	indianapolisID  = "10ca0000-0000-4000-8000-000000000001"
	dublinID        = "10ca0000-0000-4000-8000-000000000002"
	homeDivisionID  = "1d1a0000-0000-4000-8000-000000000001"
	salesDivisionID = "1d1a0000-0000-4000-8000-000000000002"
	agentRoleID     = "20e50000-0000-4000-8000-000000000003"
	frenchID        = "1a000000-0000-4000-8000-000000000002"
)

// find looks one email up and reads the user, as the pipeline does.
func find(t *testing.T, svc provision.Services, email string) provision.User {
	t.Helper()
	ctx := context.Background()
	found, err := svc.Users.FindByEmails(ctx, []string{email})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := found[email]
	if !ok {
		t.Fatalf("%s not found", email)
	}
	users, err := svc.Users.Read(ctx, []string{f.ID})
	if err != nil {
		t.Fatal(err)
	}
	return users[f.ID]
}

func TestFindByEmails(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	got, err := c.Services().Users.FindByEmails(context.Background(), []string{
		"Existing.Agent@example.com", "deleted.user@example.com", "inactive.agent@example.com", "nobody@example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["existing.agent@example.com"].ID != existingAgentID || got["deleted.user@example.com"].State != "deleted" ||
		got["inactive.agent@example.com"].State != "inactive" {
		t.Errorf("FindByEmails = %v", got)
	}
	if n := sim.Counters().Requests["POST /api/v2/users/search"]; n != 1 {
		t.Errorf("%d searches, want 1", n)
	}
	// Developer Center's search limits: at most 50 values in one criterion.
	many := make([]string, provision.MaxEmailsPerLookup)
	for i := range many {
		many[i] = fmt.Sprintf("user%d@example.com", i)
	}
	if _, err := c.Services().Users.FindByEmails(context.Background(), many); err != nil {
		t.Errorf("%d emails: %v", len(many), err)
	}
	if _, err := c.Services().Users.FindByEmails(context.Background(), append(many, "one.more@example.com")); !errors.Is(err, provision.ErrRejected) {
		t.Errorf("51 emails: %v, want ErrRejected before any call", err)
	}
	if n := sim.Counters().LimitRejections; n != 0 {
		t.Errorf("%d calls refused by the simulator for carrying too many values", n)
	}
}

// User search honours none of the expansions the pipeline compares; Read gets them from
// GET /api/v2/users, every state included.
func TestReadComparesWhatSearchLeavesOut(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	svc := c.Services()
	ctx := context.Background()
	found, err := svc.Users.FindByEmails(ctx, []string{"existing.agent@example.com", "placed.agent@example.com", "deleted.user@example.com"})
	if err != nil || len(found) != 3 {
		t.Fatal(found, err)
	}
	var ids []string
	for _, f := range found {
		ids = append(ids, f.ID)
	}
	users, err := svc.Users.Read(ctx, ids)
	if err != nil || len(users) != 3 {
		t.Fatalf("Read = %v, %v", users, err)
	}
	if n := sim.Counters().Requests["GET /api/v2/users"]; n != 1 {
		t.Errorf("%d reads, want 1 for 3 users", n)
	}
	agent := users[existingAgentID]
	if agent.DefaultStationID == "" || len(agent.GroupIDs) != 1 || agent.ManagerID != supervisorID {
		t.Errorf("existing agent %+v", agent)
	}
	placed := users[placedAgentID]
	wantPlacement := []provision.Placement{{LocationID: indianapolisID, Notes: "Desk 4B"}}
	if !slices.EqualFunc(placed.Locations, wantPlacement, func(a, b provision.Placement) bool {
		return a.LocationID == b.LocationID && a.Notes == b.Notes
	}) {
		t.Errorf("locations %+v, want the location's id (not the placement's) with its notes", placed.Locations)
	}
	if placed.Employer != (provision.EmployerInfo{OfficialName: "Wayne Enterprises Inc.", EmployeeID: "E-100", EmployeeType: "Full-time", DateHire: "2020-01-06"}) {
		t.Errorf("employer %+v", placed.Employer)
	}
	if len(placed.Addresses) != 2 || placed.Addresses[0].CountryCode != "US" || placed.Skills == nil || placed.Languages[frenchID] != 3 {
		t.Errorf("placed agent %+v", placed)
	}
	if d := users[deletedUserID]; d.State != "deleted" {
		t.Errorf("deleted user %+v", d)
	}
	if _, err := svc.Users.Read(ctx, make([]string, provision.MaxUsersPerRead+1)); !errors.Is(err, provision.ErrRejected) {
		t.Errorf("101 ids: %v, want ErrRejected", err)
	}
}

// A PATCH replaces nested objects whole: what the tool does not manage goes back as read.
func TestUpdateKeepsWhatItDoesNotManage(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	svc := c.Services()
	u := find(t, svc, "placed.agent@example.com")
	sim.Script("PATCH /api/v2/users/{userId}", gcsim.Fault{Status: 409, Code: "general.conflict"})
	p := provision.UserPatch{
		Locations: append(slices.Clone(u.Locations), provision.Placement{LocationID: dublinID}),
		Employer:  &provision.EmployerInfo{OfficialName: u.Employer.OfficialName, EmployeeID: "E-101", EmployeeType: u.Employer.EmployeeType, DateHire: u.Employer.DateHire},
		Addresses: append(slices.Clone(u.Addresses), provision.Contact{MediaType: "PHONE", Type: "MOBILE", Address: "+13175550177"}),
	}
	// A stale version, answered by the scripted conflict: the version is read again.
	if err := svc.Users.Update(context.Background(), u.ID, u.Version+7, p); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, _ := sim.State().User("placed.agent@example.com")
	if slices.Compare(got.Locations, []string{"Indianapolis HQ", "Dublin Office"}) != 0 || got.LocationNotes["Indianapolis HQ"] != "Desk 4B" ||
		got.OfficialName != "Wayne Enterprises Inc." || got.EmployeeID != "E-101" ||
		len(got.Addresses) != 3 || got.Addresses[0].CountryCode != "US" || got.Addresses[1].CountryCode != "US" {
		t.Errorf("after Update: %+v", got)
	}
	if n := sim.Counters().Requests["PATCH /api/v2/users/{userId}"]; n != 2 {
		t.Errorf("%d PATCH attempts, want 2 (a conflict, then success after reading the version)", n)
	}
}

// GET /api/v2/users/{userId}/queues lists joined queues unless asked for the others.
func TestUserQueuesJoinedOrNot(t *testing.T) {
	c, _ := setup(t, gcsim.Options{})
	ids, err := c.Services().Routing.UserQueues(context.Background(), placedAgentID)
	if err != nil {
		t.Fatal(err)
	}
	queues, _ := c.Services().Routing.ListQueues(context.Background())
	var names []string
	for _, q := range queues {
		if slices.Contains(ids, q.ID) {
			names = append(names, q.Name)
		}
	}
	slices.Sort(names)
	if slices.Compare(names, []string{"Sales Inbound", "Support Tier 2"}) != 0 {
		t.Errorf("queues %v, want the joined one and the one not joined", names)
	}
}

// --scope-group reads the direct members: an owner or a dynamic member is never one.
func TestIndividuals(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	annuities := "36000000-0000-4000-8000-000000000001"
	got, err := c.Services().Groups.Individuals(context.Background(), annuities)
	if err != nil || len(got) != 1 || got[0].ID != existingAgentID || got[0].State != "active" {
		t.Fatalf("Individuals = %+v, %v", got, err)
	}
	if n := sim.Counters().Requests["GET /api/v2/groups/{groupId}/members"]; n != 0 {
		t.Errorf("%d calls to .../members, which lists owners and dynamic members too", n)
	}
}

// A division move that fails for some users is reported per user.
func TestMoveUsersPartly(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	err := c.Services().Authorization.MoveUsers(context.Background(), salesDivisionID, []string{existingAgentID, deletedUserID})
	var partial *provision.BatchError
	if !errors.As(err, &partial) || partial.For(existingAgentID) != nil || partial.For(deletedUserID) == nil ||
		provision.ErrorCode(partial.For(deletedUserID)) != "bulk.move.unable.to.move" {
		t.Fatalf("MoveUsers = %v, want a BatchError failing the deleted user only", err)
	}
	if u, _ := sim.State().User("existing.agent@example.com"); u.Division != "Sales" {
		t.Errorf("existing agent in %s", u.Division)
	}
}

// Eventual consistency, retried as Genesys's Terraform provider retries it.
func TestSettles(t *testing.T) {
	const lag = 400 * time.Millisecond
	c, sim := setup(t, gcsim.Options{AuthLag: lag, StationAssociateLag: lag, GroupLag: lag, StationDelay: 10 * time.Millisecond})
	c.tr.rand = func() float64 { return 0.5 }
	svc := c.Services()
	ctx := context.Background()
	u, err := svc.Users.Create(ctx, provision.NewUser{Name: "Fresh", Email: "fresh@example.com", DivisionID: homeDivisionID})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("grants and phone right after creation", func(t *testing.T) {
		if err := svc.Authorization.GrantRoles(ctx, u.ID, []provision.Grant{{RoleID: agentRoleID, DivisionID: homeDivisionID}}); err != nil {
			t.Fatalf("GrantRoles: %v", err)
		}
		if err := svc.Authorization.GrantRole(ctx, agentRoleID, salesDivisionID, []string{u.ID}); err != nil {
			t.Fatalf("GrantRole: %v", err)
		}
		if sim.Counters().Lagged["auth-cache"] == 0 {
			t.Error("the grants never met the auth cache lag: the test proves nothing")
		}
	})
	t.Run("default station while associating", func(t *testing.T) {
		sites, _ := svc.Telephony.ListSites(ctx)
		bases, _ := svc.Telephony.ListPhoneBases(ctx)
		if _, err := svc.Telephony.CreatePhone(ctx, provision.NewPhone{Name: "Fresh WebRTC", Site: sites[0], PhoneBase: bases[0], User: provision.Ref{ID: u.ID}}); err != nil {
			t.Fatalf("CreatePhone: %v", err)
		}
		var station string
		for station == "" {
			if station, err = svc.Telephony.FindStationByUser(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := svc.Users.SetDefaultStation(ctx, u.ID, station); err != nil {
			t.Fatalf("SetDefaultStation: %v", err)
		}
		if sim.Counters().Lagged["station-associating"] == 0 {
			t.Error("never met the associating lag")
		}
	})
	t.Run("group adds back to back", func(t *testing.T) {
		// This process knows the version its own add moved the group to; another process
		// (a second client) reads the version GET shows, stale for a moment, and conflicts.
		other, err := NewClient(Config{BaseURL: c.base.BasePath, ClientID: testClient, ClientSecret: testSecret, RatePerMinute: 60000})
		if err != nil {
			t.Fatal(err)
		}
		other.tr.rand = c.tr.rand
		iraID := "36000000-0000-4000-8000-000000000002"
		for _, id := range []string{u.ID, existingAgentID} {
			if err := svc.Groups.AddMembers(ctx, iraID, []string{id}); err != nil {
				t.Fatalf("AddMembers %s: %v", id, err)
			}
		}
		if n := sim.Counters().Lagged["group-version"]; n != 0 {
			t.Errorf("%d stale versions sent by the client that made the last change", n)
		}
		if err := other.Services().Groups.AddMembers(ctx, iraID, []string{supervisorID}); err != nil {
			t.Fatalf("AddMembers from another client: %v", err)
		}
		if sim.Counters().Lagged["group-version"] == 0 {
			t.Error("never met the group version lag")
		}
		if g, _ := sim.State().Group("IRA"); len(g.Members) != 3 {
			t.Errorf("members %v", g.Members)
		}
	})
	t.Run("a real 404 still fails", func(t *testing.T) {
		var waited time.Duration
		c.tr.sleep = func(_ context.Context, d time.Duration) error { waited += d; return nil }
		err := svc.Authorization.GrantRoles(ctx, "no-such-user", []provision.Grant{{RoleID: agentRoleID, DivisionID: homeDivisionID}})
		if !errors.Is(err, provision.ErrNotFound) || waited < settleWindow || waited > settleWindow+settleCap {
			t.Errorf("GrantRoles for nobody: %v after waiting %s, want ErrNotFound after about %s", err, waited, settleWindow)
		}
	})
}

// A removal repeated after a dropped connection finds the work done: 404 is success.
func TestRemovalRepeatedAfterDrop(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	svc := c.Services()
	ctx := context.Background()
	sim.Script("DELETE /api/v2/users/{userId}/routinglanguages/{languageId}", gcsim.Fault{Drop: true})
	if err := svc.Routing.RemoveLanguage(ctx, placedAgentID, frenchID); err != nil {
		t.Errorf("RemoveLanguage after a drop: %v", err)
	}
	if u, _ := sim.State().User("placed.agent@example.com"); len(u.Languages) != 0 {
		t.Errorf("languages %v", u.Languages)
	}
	// Not repeated, a 404 is still an error: the language was never there.
	if err := svc.Routing.RemoveLanguage(ctx, placedAgentID, frenchID); !errors.Is(err, provision.ErrNotFound) {
		t.Errorf("RemoveLanguage of a language the user lacks: %v, want ErrNotFound", err)
	}
	iraID := "36000000-0000-4000-8000-000000000002"
	if err := svc.Groups.AddMembers(ctx, iraID, []string{existingAgentID}); err != nil {
		t.Fatal(err)
	}
	sim.Script("DELETE /api/v2/groups/{groupId}/members", gcsim.Fault{Drop: true})
	if err := svc.Groups.RemoveMembers(ctx, iraID, []string{existingAgentID}); err != nil {
		t.Errorf("RemoveMembers after a drop: %v", err)
	}
	if n := sim.Counters().Dropped; n != 2 {
		t.Errorf("%d drops, want 2", n)
	}
}

// An outstanding invitation (409) is not a failure: a drop after the first one was sent.
func TestInviteOutstanding(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	svc := c.Services()
	u, err := svc.Users.Create(context.Background(), provision.NewUser{Name: "Invited", Email: "invited@example.com", DivisionID: homeDivisionID})
	if err != nil {
		t.Fatal(err)
	}
	sim.Script("POST /api/v2/users/{userId}/invite", gcsim.Fault{Drop: true})
	if err := svc.Users.Invite(context.Background(), u.ID); err != nil {
		t.Errorf("Invite repeated after a drop: %v", err)
	}
	if n := sim.Counters().Invites[u.ID]; n != 1 {
		t.Errorf("%d invitations sent, want 1", n)
	}
}

// --scope-division lists a division past the 10,000 results a search pages through.
func TestInDivisionPastTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("10,050 users")
	}
	org := gcsim.DefaultOrg()
	const n = 10050
	for i := range n {
		org.Users = append(org.Users, gcsim.OrgUser{
			ID:   fmt.Sprintf("%08x-0000-4000-8000-%012x", i*2654435761%(1<<32), i),
			Name: fmt.Sprintf("Bulk %d", i), Email: fmt.Sprintf("bulk.%d@example.com", i), State: "active", Division: "EMEA",
		})
	}
	c, sim := setup(t, gcsim.Options{Org: org})
	got, err := c.Services().Users.InDivision(context.Background(), "1d1a0000-0000-4000-8000-000000000004")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range got {
		seen[f.ID] = true
	}
	if len(got) != n || len(seen) != n {
		t.Fatalf("InDivision = %d users (%d distinct), want %d", len(got), len(seen), n)
	}
	if r := sim.Counters().LimitRejections; r != 0 {
		t.Errorf("%d requests refused for their size", r)
	}
	t.Logf("%d users in %d searches", n, sim.Counters().Requests["POST /api/v2/users/search"])
}

// Expansions are "resolved with a best effort approach" (SPEC): when a read leaves a user's
// skills and languages out, Read gets them from the user's own listings.
func TestReadFillsLevelsLeftOut(t *testing.T) {
	sim := gcsim.New(gcsim.Options{})
	strip := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v2/users" {
			sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		var l map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			t.Error(err)
		}
		for _, e := range l["entities"].([]any) {
			delete(e.(map[string]any), "skills")
			delete(e.(map[string]any), "languages")
		}
		_ = json.NewEncoder(w).Encode(l)
	})
	srv := gcsim.NewServerHandler(t, sim, strip)
	c, err := NewClient(Config{BaseURL: srv.URL, ClientID: testClient, ClientSecret: testSecret, RatePerMinute: 60000})
	if err != nil {
		t.Fatal(err)
	}
	users, err := c.Services().Users.Read(context.Background(), []string{placedAgentID})
	if err != nil {
		t.Fatal(err)
	}
	if u := users[placedAgentID]; len(u.Skills) != 1 || u.Languages[frenchID] != 3 {
		t.Errorf("skills %v, languages %v: want those of the user's listings", u.Skills, u.Languages)
	}
	n := sim.Counters().Requests
	if n["GET /api/v2/users/{userId}/routingskills"] != 1 || n["GET /api/v2/users/{userId}/routinglanguages"] != 1 {
		t.Errorf("requests %v", n)
	}
}
