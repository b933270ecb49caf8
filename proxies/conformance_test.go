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

	// Seed objects of testdata/org.json, found by name through the API.
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
	sales := byName("division", svc.Authorization.ListDivisions, "Sales")
	agentRole := byName("role", svc.Authorization.ListRoles, "Agent")
	commRole := byName("role", svc.Authorization.ListRoles, "Communicate - User")
	annuities := byName("group", svc.Groups.ListGroups, "Annuities")
	billingQueue := byName("queue", svc.Routing.ListQueues, "Billing")
	billingSkill := byName("skill", svc.Routing.ListSkills, "Billing")
	escalations := byName("skill", svc.Routing.ListSkills, "Escalations")
	spanish := byName("language", svc.Routing.ListLanguages, "Spanish")
	french := byName("language", svc.Routing.ListLanguages, "French")
	remote := byName("location", svc.Locations.ListLocations, "Remote")
	site := byName("site", svc.Telephony.ListSites, "My PCV Site")
	bases, err := svc.Telephony.ListPhoneBases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(bases, func(b provision.PhoneBase) bool { return b.Name == "WebRTC_Base" })
	if i < 0 {
		t.Fatalf("no phone base WebRTC_Base in %v", bases)
	}
	base := bases[i]

	var (
		u                   provision.User
		supervisor, deleted provision.Found
		stationID           string
	)
	calls := []struct {
		method string // "Area.Method"
		call   func() error
	}{
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
		{"Users.Create", func() error {
			var err error
			u, err = svc.Users.Create(ctx, provision.NewUser{
				Name: "Conformance User", Email: "conformance.user@example.com", Password: "Welcome2024!",
				DivisionID: home.ID, State: "active", Title: "Agent", Department: "Support",
				Addresses: []provision.Contact{
					{MediaType: "PHONE", Type: "WORK", Address: "+13175550100"},
					{MediaType: "PHONE", Type: "WORK2", Extension: "2100"},
				},
			})
			return err
		}},
		{"Users.FindByEmails", func() error {
			found, err := svc.Users.FindByEmails(ctx, []string{"existing.supervisor@example.com", "deleted.user@example.com", "nobody@example.com"})
			supervisor, deleted = found["existing.supervisor@example.com"], found["deleted.user@example.com"]
			if err == nil && (supervisor.ID == "" || deleted.ID == "") {
				err = fmt.Errorf("found %v, want the supervisor and the deleted user", found)
			}
			return err
		}},
		{"Users.Read", func() error {
			read, err := svc.Users.Read(ctx, []string{u.ID, supervisor.ID})
			if err == nil && len(read) != 2 {
				err = fmt.Errorf("read %d users, want 2", len(read))
			}
			return err
		}},
		{"Users.Update", func() error {
			name, title, dept := "Conformance User 2", "Senior Agent", "Sales"
			return svc.Users.Update(ctx, u.ID, u.Version, provision.UserPatch{
				Name: &name, Title: &title, Department: &dept, Manager: &supervisor.ID,
				Addresses: []provision.Contact{
					{MediaType: "PHONE", Type: "WORK", Address: "+13175550101"},
					{MediaType: "PHONE", Type: "MOBILE", Address: "+13175550102"},
				},
				Locations: []provision.Placement{{LocationID: remote, Notes: "desk 4"}},
				Employer:  &provision.EmployerInfo{EmployeeID: "E1", EmployeeType: "Full-time", DateHire: "2024-01-08"},
			})
		}},
		{"Users.Invite", func() error { return svc.Users.Invite(ctx, u.ID) }},
		{"Authorization.MoveUsers", func() error { return svc.Authorization.MoveUsers(ctx, sales, []string{u.ID}) }},
		{"Authorization.GrantRole", func() error { return svc.Authorization.GrantRole(ctx, agentRole, sales, []string{u.ID}) }},
		{"Authorization.GrantRoles", func() error {
			return svc.Authorization.GrantRoles(ctx, u.ID, []provision.Grant{{RoleID: commRole, DivisionID: home.ID}, {RoleID: agentRole, DivisionID: "*"}})
		}},
		{"Authorization.UserGrants", func() error { _, err := svc.Authorization.UserGrants(ctx, u.ID); return err }},
		{"Authorization.RevokeRoles", func() error {
			return svc.Authorization.RevokeRoles(ctx, u.ID, []provision.Grant{{RoleID: agentRole, DivisionID: sales}})
		}},
		{"Groups.AddMembers", func() error { return svc.Groups.AddMembers(ctx, annuities, []string{u.ID}) }},
		{"Groups.Individuals", func() error { _, err := svc.Groups.Individuals(ctx, annuities); return err }},
		{"Groups.RemoveMembers", func() error { return svc.Groups.RemoveMembers(ctx, annuities, []string{u.ID}) }},
		{"Routing.AddQueueMembers", func() error { return svc.Routing.AddQueueMembers(ctx, billingQueue, []string{u.ID}) }},
		{"Routing.QueueMembers", func() error { _, err := svc.Routing.QueueMembers(ctx, billingQueue); return err }},
		{"Routing.UserQueues", func() error { _, err := svc.Routing.UserQueues(ctx, u.ID); return err }},
		{"Routing.RemoveQueueMembers", func() error { return svc.Routing.RemoveQueueMembers(ctx, billingQueue, []string{u.ID}) }},
		{"Routing.AddSkills", func() error {
			return svc.Routing.AddSkills(ctx, u.ID, []provision.Level{{ID: billingSkill, Proficiency: 4}, {ID: escalations, Proficiency: 2.5}})
		}},
		{"Routing.SetSkills", func() error {
			return svc.Routing.SetSkills(ctx, u.ID, []provision.Level{{ID: escalations, Proficiency: 3}})
		}},
		{"Routing.AddLanguages", func() error {
			return svc.Routing.AddLanguages(ctx, u.ID, []provision.Level{{ID: spanish, Proficiency: 3}, {ID: french, Proficiency: 2}})
		}},
		{"Routing.RemoveLanguage", func() error { return svc.Routing.RemoveLanguage(ctx, u.ID, french) }},
		{"Telephony.CreatePhone", func() error {
			_, err := svc.Telephony.CreatePhone(ctx, provision.NewPhone{
				Name: "Conformance User WebRTC", Site: provision.Ref{ID: site}, PhoneBase: base, User: provision.Ref{ID: u.ID},
			})
			return err
		}},
		{"Telephony.FindPhoneByUser", func() error { _, err := svc.Telephony.FindPhoneByUser(ctx, u.ID); return err }},
		{"Telephony.FindStationByUser", func() error {
			var err error
			stationID, err = svc.Telephony.FindStationByUser(ctx, u.ID)
			return err
		}},
		{"Users.SetDefaultStation", func() error { return svc.Users.SetDefaultStation(ctx, u.ID, stationID) }},
		{"Users.InDivision", func() error { _, err := svc.Users.InDivision(ctx, sales); return err }},
		{"Users.Deactivate", func() error { return svc.Users.Deactivate(ctx, u.ID) }},
		{"Users.Restore", func() error { return svc.Users.Restore(ctx, deleted.ID) }},
	}
	called := map[string]bool{}
	for _, c := range calls {
		called[c.method] = true
		if err := c.call(); err != nil {
			t.Errorf("%s: %v", c.method, err)
		}
	}
	if stationID == "" {
		t.Errorf("FindStationByUser found no station for the new phone")
	}

	// Every exported method of every area is in the table: a new one fails here until it
	// is called above.
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

	spec.Report(t, v.Violations())
	t.Log(chk.Coverage(v))
}
