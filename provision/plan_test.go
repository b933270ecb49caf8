package provision

import (
	"reflect"
	"strings"
	"testing"
)

// mapNamer names objects from a map of "kind/id" → name; the role "default" is the org's
// default role.
type mapNamer map[string]string

func (m mapNamer) name(kind, id string) string {
	if n, ok := m[kind+"/"+id]; ok {
		return n
	}
	return id
}

func (m mapNamer) isDefaultRole(id string) bool { return id == "default" }

var testNames = mapNamer{"role/r-old": "Old Role", "division/d-home": "Home", "group/g-old": "Old Group",
	"queue/q-old": "Old Queue", "skill/s-old": "Old Skill", "language/l-old": "French"}

// planCase is a plan function's input and what it must give, in the report's words, with
// the kinds of change.
type planCase struct {
	name  string
	in    planInput
	notes []string
	kinds []changeKind
}

func runPlanCases(t *testing.T, f func(planInput) []change, cases []planCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.names == nil {
				tc.in.names = testNames
			}
			got := plan(f(tc.in))
			var kinds []changeKind
			for _, c := range got {
				kinds = append(kinds, c.kind)
			}
			if !reflect.DeepEqual(got.notes(), tc.notes) || !reflect.DeepEqual(kinds, tc.kinds) {
				t.Errorf("notes %q kinds %v\nwant  %q kinds %v", got.notes(), kinds, tc.notes, tc.kinds)
			}
		})
	}
}

func ref(id, name string) Ref { return Ref{ID: id, Name: name} }

func TestPlanFields(t *testing.T) {
	agent := User{ID: "u1", Name: "Ann", Title: "Agent", Addresses: []Contact{{Type: "WORK", MediaType: "PHONE", Address: "+13175550100"}},
		Employer: EmployerInfo{OfficialName: "Ann Official", EmployeeID: "E1"}, Locations: []Placement{{LocationID: "loc-a", Notes: "desk 4"}}}
	runPlanCases(t, planFields, []planCase{
		{name: "nothing differs", in: planInput{user: agent, want: target{spec: Spec{Name: "Ann", Title: "Agent", EmployeeID: "E1"}}}},
		{name: "blank cells leave fields alone", in: planInput{user: agent, want: target{spec: Spec{}}}},
		{name: "title and employee id", in: planInput{user: agent, want: target{spec: Spec{Title: "Lead", EmployeeID: "E2"}}},
			notes: []string{"title: 'Agent' → 'Lead'", "employee_id: 'E1' → 'E2'"}, kinds: []changeKind{patchFields}},
		{name: "manager in the org", in: planInput{user: agent, want: target{spec: Spec{Manager: "boss@x.com"}}, orgManagers: map[string]string{"boss@x.com": "u-boss"}},
			notes: []string{"manager → boss@x.com"}, kinds: []changeKind{patchFields}},
		{name: "manager only in the file: noted in a dry run", in: planInput{user: agent, dryRun: true, want: target{spec: Spec{Manager: "new@x.com"}}, fileManagers: map[string]bool{"new@x.com": true}},
			notes: []string{"manager → new@x.com"}, kinds: []changeKind{patchFields}},
		{name: "manager only in the file: the managers pass sets it", in: planInput{user: agent, want: target{spec: Spec{Manager: "new@x.com"}}, fileManagers: map[string]bool{"new@x.com": true}}},
		{name: "a location the user lacks", in: planInput{user: agent, want: target{location: ref("loc-b", "Remote")}},
			notes: []string{"add location 'Remote'"}, kinds: []changeKind{patchFields}},
		{name: "a location the user has", in: planInput{user: agent, want: target{location: ref("loc-a", "Office")}}},
		{name: "new user: only what the create call cannot carry", in: planInput{created: true, want: target{spec: Spec{Name: "Bea", Title: "Agent", EmployeeID: "E9"}}},
			notes: []string{"employer info"}, kinds: []changeKind{patchFields}},
	})
	// The PATCH itself: the placement list goes back whole, and employerInfo keeps its
	// official name.
	c := planFields(planInput{user: agent, want: target{location: ref("loc-b", "Remote"), spec: Spec{EmployeeID: "E2"}}})[0]
	if want := []Placement{{LocationID: "loc-a", Notes: "desk 4"}, {LocationID: "loc-b"}}; !reflect.DeepEqual(c.patch.Locations, want) {
		t.Errorf("locations %v, want %v", c.patch.Locations, want)
	}
	if e := c.patch.Employer; e == nil || e.OfficialName != "Ann Official" || e.EmployeeID != "E2" {
		t.Errorf("employer %+v", e)
	}
	if c.patch.Name != nil || c.patch.Title != nil {
		t.Errorf("patch sets fields the row leaves alone: %+v", c.patch)
	}
}

func TestPlanDivision(t *testing.T) {
	u := User{ID: "u1", DivisionID: "d-home"}
	if c := planDivision(planInput{user: u, want: target{division: ref("d-sales", "Sales")}}); c == nil || c.kind != moveDivision || c.notes[0] != "division → 'Sales'" {
		t.Errorf("move: %+v", c)
	}
	for _, in := range []planInput{
		{user: u, want: target{division: ref("d-home", "Home")}},
		{user: u},
		{user: u, created: true, want: target{division: ref("d-sales", "Sales")}},
	} {
		if c := planDivision(in); c != nil {
			t.Errorf("%+v: move %+v, want none", in.want.division, c)
		}
	}
	// The grants of "the user's division" follow the move.
	pl := makePlan(planInput{user: u, names: testNames, want: target{division: ref("d-sales", "Sales"),
		grants: []grantTarget{{role: ref("r-agent", "Agent")}}}})
	if g := pl[1].grants; pl[1].kind != grantRoles || g[0].DivisionID != "d-sales" || pl.division("d-home") != "d-sales" {
		t.Errorf("plan %+v: want the grant in the new division", pl)
	}
}

func TestPlanGrantsAndRevokes(t *testing.T) {
	u := User{ID: "u1", DivisionID: "d-home"}
	agent := grantTarget{role: ref("r-agent", "Agent"), key: "r-agent|=Home"}
	sup := grantTarget{role: ref("r-sup", "Supervisor"), division: ref("*", "all divisions")}
	have := []Grant{{RoleID: "r-agent", DivisionID: "d-home"}, {RoleID: "r-old", DivisionID: "d-home"}, {RoleID: "default", DivisionID: "d-home"}}
	runPlanCases(t, planGrants, []planCase{
		{name: "new user", in: planInput{user: u, created: true, want: target{grants: []grantTarget{agent, sup}}},
			notes: []string{"add role 'Agent'", "add role 'Supervisor' in 'all divisions'"}, kinds: []changeKind{grantRoles}},
		{name: "held already", in: planInput{user: u, grants: have, want: target{grants: []grantTarget{agent}}}},
		{name: "one missing", in: planInput{user: u, grants: have, want: target{grants: []grantTarget{agent, sup}}},
			notes: []string{"add role 'Supervisor' in 'all divisions'"}, kinds: []changeKind{grantRoles}},
	})
	runPlanCases(t, planRevokes, []planCase{
		{name: "add mode keeps", in: planInput{user: u, grants: have, want: target{grants: []grantTarget{agent}}}},
		{name: "replace removes all but the default role", in: planInput{user: u, replace: true, grants: have, want: target{grants: []grantTarget{agent}}},
			notes: []string{"remove role 'Old Role' in 'Home'"}, kinds: []changeKind{revokeRoles}},
		{name: "replace with no role named keeps", in: planInput{user: u, replace: true, grants: have}},
		{name: "a new user has nothing to remove", in: planInput{user: u, created: true, replace: true, want: target{grants: []grantTarget{agent}}}},
	})
}

func TestPlanMemberships(t *testing.T) {
	u := User{ID: "u1", GroupIDs: []string{"g-a", "g-old"}}
	rows := target{spec: Spec{Groups: []string{"A", "B"}, Queues: []string{"Q"}}, groups: []Ref{ref("g-a", "A"), ref("g-b", "B")}, queues: []Ref{ref("q-1", "Q")}}
	runPlanCases(t, planGroups, []planCase{
		{name: "the missing group", in: planInput{user: u, want: rows}, notes: []string{"add group 'B'"}, kinds: []changeKind{addGroup}},
		{name: "new user: every group", in: planInput{user: User{}, created: true, want: rows}, notes: []string{"add group 'A'", "add group 'B'"}, kinds: []changeKind{addGroup, addGroup}},
	})
	runPlanCases(t, planGroupRemovals, []planCase{
		{name: "add mode", in: planInput{user: u, want: rows}},
		{name: "replace", in: planInput{user: u, replace: true, want: rows}, notes: []string{"remove group 'Old Group'"}, kinds: []changeKind{removeGroup}},
		{name: "replace, blank cell", in: planInput{user: u, replace: true, want: target{}}},
	})
	runPlanCases(t, planQueues, []planCase{
		{name: "member already", in: planInput{user: u, want: rows, inQueue: map[string]bool{"q-1": true}}},
		{name: "not a member", in: planInput{user: u, want: rows, inQueue: map[string]bool{}}, notes: []string{"add queue 'Q'"}, kinds: []changeKind{addQueue}},
	})
	runPlanCases(t, planQueueRemovals, []planCase{
		{name: "replace", in: planInput{user: u, replace: true, want: rows, queues: []string{"q-1", "q-old"}}, notes: []string{"remove queue 'Old Queue'"}, kinds: []changeKind{removeQueue}},
		{name: "add mode", in: planInput{user: u, want: rows, queues: []string{"q-1", "q-old"}}},
	})
}

func TestPlanSkillsAndLanguages(t *testing.T) {
	u := User{ID: "u1", Skills: map[string]float64{"s-bill": 2, "s-old": 3}, Languages: map[string]float64{"l-en": 4, "l-old": 5}}
	skills := target{spec: Spec{Skills: []Proficiency{{Name: "Billing", Level: 4}}}, skills: []Level{{ID: "s-bill", Name: "Billing", Proficiency: 4}}}
	runPlanCases(t, planSkills, []planCase{
		{name: "raise", in: planInput{user: u, want: skills}, notes: []string{"skill 'Billing': 2 → 4"}, kinds: []changeKind{addSkills}},
		{name: "replace sets the list", in: planInput{user: u, replace: true, want: skills},
			notes: []string{"skill 'Billing': 2 → 4", "remove skill 'Old Skill'"}, kinds: []changeKind{setSkills}},
		{name: "as held", in: planInput{user: u, want: target{skills: []Level{{ID: "s-bill", Name: "Billing", Proficiency: 2}}}}},
	})
	langs := target{spec: Spec{Languages: []Proficiency{{Name: "English", Level: 3.6}}}, languages: []Level{{ID: "l-en", Name: "English", Proficiency: 3.6}}}
	runPlanCases(t, planLanguages, []planCase{
		{name: "rounded as stored: 3.6 is the 4 held", in: planInput{user: u, want: langs}},
		{name: "new", in: planInput{user: User{}, created: true, want: target{languages: []Level{{ID: "l-de", Name: "German", Proficiency: 2.4}}}},
			notes: []string{"add language 'German':2"}, kinds: []changeKind{addLanguages}},
	})
	runPlanCases(t, planLanguageRemovals, []planCase{
		{name: "replace", in: planInput{user: u, replace: true, want: langs}, notes: []string{"remove language 'French'"}, kinds: []changeKind{removeLanguage}},
		{name: "add mode", in: planInput{user: u, want: langs}},
	})
}

func TestPlanPhone(t *testing.T) {
	site := target{site: ref("site-1", "My PCV Site")}
	runPlanCases(t, planPhone, []planCase{
		{name: "no station", in: planInput{user: User{ID: "u1"}, want: site}, notes: []string{"add phone on 'My PCV Site'"}, kinds: []changeKind{addPhone}},
		{name: "has a default station", in: planInput{user: User{ID: "u1", DefaultStationID: "st"}, want: site}},
		{name: "no site named", in: planInput{user: User{ID: "u1"}}},
	})
}

// The plan of a restored user starts with the restore, and its notes are the report's
// changes cell, in order.
func TestMakePlanOrder(t *testing.T) {
	in := planInput{user: User{ID: "u1", DivisionID: "d-home"}, restored: true, names: testNames, inQueue: map[string]bool{},
		want: target{spec: Spec{Title: "Lead"}, division: ref("d-sales", "Sales"), groups: []Ref{ref("g-b", "B")}, queues: []Ref{ref("q-1", "Q")},
			site: ref("site-1", "Site")}}
	got := strings.Join(makePlan(in).notes(), "; ")
	want := "state: deleted → active; division → 'Sales'; title: '' → 'Lead'; add group 'B'; add queue 'Q'; add phone on 'Site'"
	if got != want {
		t.Errorf("notes\n%s\nwant\n%s", got, want)
	}
}
