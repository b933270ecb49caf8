package proxies

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim/spec"
)

// TestConformance calls every method of every API area once against the simulator behind
// a spec.Validator, and fails on any request or answer that swagger.json does not allow.
func TestConformance(t *testing.T) {
	t.Parallel()
	chk, err := spec.Default()
	if err != nil {
		t.Fatalf("load swagger.json: %v", err)
	}
	// The consistency lags only slow the test down: each call's shapes are the same without.
	sim := gcsim.New(gcsim.Options{AuthLag: -1, GroupLag: -1, StationAssociateLag: -1})
	v := chk.Wrap(sim)
	srv := gcsim.NewServerHandler(t, sim, v)
	c, err := NewClient(Config{BaseURL: srv.URL, ClientID: testClient, ClientSecret: testSecret, RatePerMinute: 60000})
	if err != nil {
		t.Fatal(err)
	}
	svc := c.Services()
	ctx := t.Context()

	seeds := findSeeds(ctx, t, svc)
	var st conformanceState
	calls := slices.Concat(listingCalls(ctx, svc), newUserCalls(ctx, svc, seeds, &st), membershipCalls(ctx, svc, seeds, &st))
	called := map[string]bool{}
	for _, c := range calls {
		called[c.method] = true
		if err := c.call(); err != nil {
			t.Errorf("%s: %v", c.method, err)
		}
	}
	if st.stationID == "" {
		t.Errorf("FindStationByUser found no station for the new phone")
	}
	checkEveryMethodCalled(t, svc, called)

	spec.Report(t, v.Violations())
	t.Log(chk.Coverage(v))
}

// conformanceSeeds are the seed objects of testdata/org.json that TestConformance's calls
// use, found by name through the API.
type conformanceSeeds struct {
	home                                    provision.Ref
	sales, agentRole, commRole, annuities   string
	billingQueue, billingSkill, escalations string
	spanish, french, remote, site           string
	base                                    provision.PhoneBase
}

// conformanceState is what TestConformance's calls pass on to the ones after them: the user
// created, the users found, and the new phone's station.
type conformanceState struct {
	u                   provision.User
	supervisor, deleted provision.Found
	stationID           string
}

// conformanceCall is one method of one API area, called once.
type conformanceCall struct {
	method string // "Area.Method"
	call   func() error
}

// findSeeds finds the seed objects by name through the listing calls.
func findSeeds(ctx context.Context, t *testing.T, svc provision.Services) conformanceSeeds {
	t.Helper()
	home, err := svc.Authorization.HomeDivision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := func(what string, list func(context.Context) ([]provision.Ref, error), name string) string {
		t.Helper()
		refs, err := list(ctx)
		if err != nil {
			t.Fatalf("list %s: %v", what, err)
		}
		for _, r := range refs {
			if r.Name == name {
				return r.ID
			}
		}
		t.Fatalf("no %s %q in %v", what, name, refs)
		return ""
	}
	s := conformanceSeeds{
		home:         home,
		sales:        byName("division", svc.Authorization.ListDivisions, "Sales"),
		agentRole:    byName("role", svc.Authorization.ListRoles, "Agent"),
		commRole:     byName("role", svc.Authorization.ListRoles, "Communicate - User"),
		annuities:    byName("group", svc.Groups.ListGroups, "Annuities"),
		billingQueue: byName("queue", svc.Routing.ListQueues, "Billing"),
		billingSkill: byName("skill", svc.Routing.ListSkills, "Billing"),
		escalations:  byName("skill", svc.Routing.ListSkills, "Escalations"),
		spanish:      byName("language", svc.Routing.ListLanguages, "Spanish"),
		french:       byName("language", svc.Routing.ListLanguages, "French"),
		remote:       byName("location", svc.Locations.ListLocations, "Remote"),
		site:         byName("site", svc.Telephony.ListSites, "My PCV Site"),
	}
	bases, err := svc.Telephony.ListPhoneBases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(bases, func(b provision.PhoneBase) bool { return b.Name == "WebRTC_Base" })
	if i < 0 {
		t.Fatalf("no phone base WebRTC_Base in %v", bases)
	}
	s.base = bases[i]
	return s
}

// listingCalls are the calls that list an area's objects.
func listingCalls(ctx context.Context, svc provision.Services) []conformanceCall {
	return []conformanceCall{
		{"Authorization.HomeDivision", func() error { _, err := svc.Authorization.HomeDivision(ctx); return err }},
		{"Authorization.ListDivisions", func() error { _, err := svc.Authorization.ListDivisions(ctx); return err }},
		{"Authorization.ListRoles", func() error { _, err := svc.Authorization.ListRoles(ctx); return err }},
		{"Groups.ListGroups", func() error { _, err := svc.Groups.ListGroups(ctx); return err }},
		{"Routing.ListQueues", func() error { _, err := svc.Routing.ListQueues(ctx); return err }},
		{"Routing.ListSkills", func() error { _, err := svc.Routing.ListSkills(ctx); return err }},
		{"Routing.ListLanguages", func() error { _, err := svc.Routing.ListLanguages(ctx); return err }},
		{"Locations.ListLocations", func() error { _, err := svc.Locations.ListLocations(ctx); return err }},
		{"Telephony.ListSites", func() error { _, err := svc.Telephony.ListSites(ctx); return err }},
		{"Telephony.ListPhoneBases", func() error { _, err := svc.Telephony.ListPhoneBases(ctx); return err }},
		{"Who.Privileges", func() error { _, err := svc.Who.Privileges(ctx); return err }},
	}
}

// newUserCalls create a user, find, read, update and invite it, and grant and revoke its
// roles, leaving it in st for the calls after them.
func newUserCalls(ctx context.Context, svc provision.Services, s conformanceSeeds, st *conformanceState) []conformanceCall {
	return []conformanceCall{
		{"Users.Create", func() error {
			var err error
			st.u, err = svc.Users.Create(ctx, provision.NewUser{
				Name: "Conformance User", Email: "conformance.user@example.com", Password: "Welcome2024!",
				DivisionID: s.home.ID, State: "active", Title: "Agent", Department: "Support",
				Addresses: []provision.Contact{
					{MediaType: "PHONE", Type: "WORK", Address: "+13175550100"},
					{MediaType: "PHONE", Type: "WORK2", Extension: "2100"},
				},
			})
			return err
		}},
		{"Users.FindByEmails", func() error {
			found, err := svc.Users.FindByEmails(ctx, []string{"existing.supervisor@example.com", "deleted.user@example.com", "nobody@example.com"})
			st.supervisor, st.deleted = found["existing.supervisor@example.com"], found["deleted.user@example.com"]
			if err == nil && (st.supervisor.ID == "" || st.deleted.ID == "") {
				err = fmt.Errorf("found %v, want the supervisor and the deleted user", found)
			}
			return err
		}},
		{"Users.Read", func() error {
			read, err := svc.Users.Read(ctx, []string{st.u.ID, st.supervisor.ID})
			if err == nil && len(read) != 2 {
				err = fmt.Errorf("read %d users, want 2", len(read))
			}
			return err
		}},
		{"Users.List", func() error {
			users, err := svc.Users.List(ctx, "active")
			if err == nil && !slices.ContainsFunc(users, func(u provision.User) bool { return u.ID == st.u.ID }) {
				err = fmt.Errorf("listed %d active users, without %s", len(users), st.u.ID)
			}
			return err
		}},
		{"Users.Update", func() error {
			name, title, dept := "Conformance User 2", "Senior Agent", "Sales"
			return svc.Users.Update(ctx, st.u.ID, st.u.Version, provision.UserPatch{
				Name: &name, Title: &title, Department: &dept, Manager: &st.supervisor.ID,
				Addresses: []provision.Contact{
					{MediaType: "PHONE", Type: "WORK", Address: "+13175550101"},
					{MediaType: "PHONE", Type: "MOBILE", Address: "+13175550102"},
				},
				Locations: []provision.Placement{{LocationID: s.remote, Notes: "desk 4"}},
				Employer:  &provision.EmployerInfo{EmployeeID: "E1", EmployeeType: "Full-time", DateHire: "2024-01-08"},
			})
		}},
		{"Users.Invite", func() error { return svc.Users.Invite(ctx, st.u.ID) }},
		{"Authorization.MoveUsers", func() error { return svc.Authorization.MoveUsers(ctx, s.sales, []string{st.u.ID}) }},
		{"Authorization.GrantRole", func() error { return svc.Authorization.GrantRole(ctx, s.agentRole, s.sales, []string{st.u.ID}) }},
		{"Authorization.GrantRoles", func() error {
			return svc.Authorization.GrantRoles(ctx, st.u.ID, []provision.Grant{{RoleID: s.commRole, DivisionID: s.home.ID}, {RoleID: s.agentRole, DivisionID: "*"}})
		}},
		{"Authorization.UserGrants", func() error { _, err := svc.Authorization.UserGrants(ctx, st.u.ID); return err }},
		{"Authorization.RoleGrants", func() error {
			grants, err := svc.Authorization.RoleGrants(ctx, s.agentRole)
			i := slices.IndexFunc(grants, func(g provision.SubjectGrant) bool { return g.UserID == st.u.ID })
			if err == nil && (i < 0 || !slices.Equal(grants[i].DivisionIDs, []string{s.sales, "*"})) {
				err = fmt.Errorf("grants %+v, want %s in %s and *", grants, st.u.ID, s.sales)
			}
			return err
		}},
		{"Authorization.RevokeRoles", func() error {
			return svc.Authorization.RevokeRoles(ctx, st.u.ID, []provision.Grant{{RoleID: s.agentRole, DivisionID: s.sales}})
		}},
	}
}

// membershipCalls add st's user to a group and a queue and remove it, give it skills and
// languages and a phone, and end with the calls that deactivate and restore users.
func membershipCalls(ctx context.Context, svc provision.Services, s conformanceSeeds, st *conformanceState) []conformanceCall {
	return []conformanceCall{
		{"Groups.AddMembers", func() error { return svc.Groups.AddMembers(ctx, s.annuities, []string{st.u.ID}) }},
		{"Groups.Individuals", func() error { _, err := svc.Groups.Individuals(ctx, s.annuities); return err }},
		{"Groups.RemoveMembers", func() error { return svc.Groups.RemoveMembers(ctx, s.annuities, []string{st.u.ID}) }},
		{"Routing.AddQueueMembers", func() error { return svc.Routing.AddQueueMembers(ctx, s.billingQueue, []string{st.u.ID}) }},
		{"Routing.QueueMembers", func() error { _, err := svc.Routing.QueueMembers(ctx, s.billingQueue); return err }},
		{"Routing.UserQueues", func() error { _, err := svc.Routing.UserQueues(ctx, st.u.ID); return err }},
		{"Routing.RemoveQueueMembers", func() error { return svc.Routing.RemoveQueueMembers(ctx, s.billingQueue, []string{st.u.ID}) }},
		{"Routing.AddSkills", func() error {
			return svc.Routing.AddSkills(ctx, st.u.ID, []provision.Level{{ID: s.billingSkill, Proficiency: 4}, {ID: s.escalations, Proficiency: 2.5}})
		}},
		{"Routing.SetSkills", func() error {
			return svc.Routing.SetSkills(ctx, st.u.ID, []provision.Level{{ID: s.escalations, Proficiency: 3}})
		}},
		{"Routing.AddLanguages", func() error {
			return svc.Routing.AddLanguages(ctx, st.u.ID, []provision.Level{{ID: s.spanish, Proficiency: 3}, {ID: s.french, Proficiency: 2}})
		}},
		{"Routing.RemoveLanguage", func() error { return svc.Routing.RemoveLanguage(ctx, st.u.ID, s.french) }},
		{"Telephony.CreatePhone", func() error {
			_, err := svc.Telephony.CreatePhone(ctx, provision.NewPhone{
				Name: "Conformance User WebRTC", Site: provision.Ref{ID: s.site}, PhoneBase: s.base, User: provision.Ref{ID: st.u.ID},
			})
			return err
		}},
		{"Telephony.FindPhoneByUser", func() error { _, err := svc.Telephony.FindPhoneByUser(ctx, st.u.ID); return err }},
		{"Telephony.FindStationByUser", func() error {
			var err error
			st.stationID, err = svc.Telephony.FindStationByUser(ctx, st.u.ID)
			return err
		}},
		{"Users.SetDefaultStation", func() error { return svc.Users.SetDefaultStation(ctx, st.u.ID, st.stationID) }},
		{"Users.InDivision", func() error { _, err := svc.Users.InDivision(ctx, s.sales); return err }},
		{"Users.Deactivate", func() error { return svc.Users.Deactivate(ctx, st.u.ID) }},
		{"Users.Restore", func() error { return svc.Users.Restore(ctx, st.deleted.ID) }},
	}
}

// checkEveryMethodCalled fails for every exported method of every area that is not in
// called: a new one fails here until TestConformance calls it.
func checkEveryMethodCalled(t *testing.T, svc provision.Services, called map[string]bool) {
	t.Helper()
	areas := reflect.ValueOf(svc)
	for i := range areas.NumField() {
		area := areas.Type().Field(i).Name
		typ := areas.Field(i).Elem().Type()
		for j := range typ.NumMethod() {
			if m := area + "." + typ.Method(j).Name; !called[m] {
				t.Errorf("%s is not called by TestConformance", m)
			}
		}
	}
}
