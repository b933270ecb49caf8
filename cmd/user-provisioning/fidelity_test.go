package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// The tests in this file hold the tool to what the documented API promises, against a
// simulator as strict as the documentation (issue 9): user search returns none of what the
// run compares, PATCH replaces nested objects whole, a search takes at most 50 values, group
// listings include owners, queues default to joined, deleted users lose their roles.

// fullRow makes a row of fullHeader from column values.
func fullRow(cells map[string]string) []string {
	row := make([]string, len(fullHeader))
	for k, v := range cells {
		row[col(k)] = v
	}
	return row
}

// The seed's Placed Agent has a location with notes, employer info with an official name,
// phone numbers with a country code, a skill, a language, a joined and an unjoined queue.
func TestUpdateKeepsWhatTheFileDoesNotName(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{Org: placedAgentOrg()})
	in := filepath.Join(e.dir, "placed.csv")
	row := map[string]string{
		"name": "Placed Agent", "email": "placed.agent@example.com", "location_work": "Dublin Office",
		"employee_id": "E-200", "phone_mobile": "+1 317 555 0177", "skills": "Billing:2", "languages": "French:3",
		"queues": "Support Tier 2",
	}
	writeRows(t, in, fullHeader, [][]string{fullRow(row)})
	r := e.run("--report", e.report("one.csv"), in)
	if r.code != 0 || r.report[0]["action"] != "update" {
		t.Fatalf("exit %d, report %v\n%s", r.code, r.report, r.stderr)
	}
	if got, want := r.report[0]["changes"], "phone numbers; add location 'Dublin Office'; employee_id: 'E-100' → 'E-200'"; got != want {
		t.Errorf("changes %q, want %q (the skill, language and queue are there already)", got, want)
	}
	u, _ := e.srv.Sim.State().User("placed.agent@example.com")
	checkPlacedAgentKept(t, u)

	// Again: nothing to do, and not one write.
	before := e.srv.Sim.Counters().Writes
	r = e.run("--report", e.report("two.csv"), in)
	if r.code != 0 || r.report[0]["action"] != "none" {
		t.Fatalf("second run: exit %d, report %v", r.code, r.report)
	}
	if w := e.srv.Sim.Counters().Writes - before; w != 0 {
		t.Errorf("second run made %d writes, want 0", w)
	}

	// Replace mode sees every membership: skills, languages, groups and queues joined or not.
	row["skills"], row["languages"], row["groups"], row["roles"] = "Escalations:1", "English:2", "Annuities", "Agent:Sales"
	writeRows(t, in, fullHeader, [][]string{fullRow(row)})
	r = e.run("--memberships", "replace", "--report", e.report("three.csv"), in)
	if r.code != 0 {
		t.Fatalf("replace: exit %d, report %v\n%s", r.code, r.report, r.stderr)
	}
	u, _ = e.srv.Sim.State().User("placed.agent@example.com")
	checkPlacedAgentReplaced(t, u, r.report[0]["changes"])
}

// placedAgentOrg returns the simulator's default org with the Placed Agent a member of
// group IRA.
func placedAgentOrg() *gcsim.Org {
	org := gcsim.DefaultOrg()
	for i := range org.Users {
		if org.Users[i].Email == "placed.agent@example.com" {
			org.Users[i].Groups = []string{"IRA"}
		}
	}
	return org
}

// checkPlacedAgentKept checks that the update kept what the file does not name: the other
// location and its notes, the employer info's blank fields, and the addresses the file does
// not change, whole.
func checkPlacedAgentKept(t *testing.T, u gcsim.UserState) {
	t.Helper()
	if strings.Join(u.Locations, ",") != "Indianapolis HQ,Dublin Office" || u.LocationNotes["Indianapolis HQ"] != "Desk 4B" {
		t.Errorf("locations %v, notes %v: the other location and its notes must stay", u.Locations, u.LocationNotes)
	}
	if u.OfficialName != "Wayne Enterprises Inc." || u.EmployeeType != "Full-time" || u.DateHire != "2020-01-06" || u.EmployeeID != "E-200" {
		t.Errorf("employer info %+v: the fields the file leaves blank must stay", u)
	}
	if len(u.Addresses) != 3 || u.Addresses[0].CountryCode != "US" || u.Addresses[1].CountryCode != "US" || u.Addresses[2].Type != "MOBILE" {
		t.Errorf("addresses %+v: the entries the file does not change must stay whole", u.Addresses)
	}
}

// checkPlacedAgentReplaced checks the Placed Agent after --memberships replace: exactly the
// row's skills, languages, groups and queues (the unjoined queue removed too), and changes
// naming each membership removed.
func checkPlacedAgentReplaced(t *testing.T, u gcsim.UserState, changes string) {
	t.Helper()
	if len(u.Skills) != 1 || u.Skills["Escalations"] != 1 || len(u.Languages) != 1 || u.Languages["English"] != 2 {
		t.Errorf("skills %v, languages %v, want exactly the row's", u.Skills, u.Languages)
	}
	if slices.Compare(u.Groups, []string{"Annuities"}) != 0 || slices.Compare(u.Queues, []string{"Support Tier 2"}) != 0 {
		t.Errorf("groups %v, queues %v, want exactly the row's (the unjoined queue too is removed)", u.Groups, u.Queues)
	}
	for _, want := range []string{"remove group 'IRA'", "remove queue 'Sales Inbound'", "remove skill 'Billing'", "remove language 'French'"} {
		if !strings.Contains(changes, want) {
			t.Errorf("changes %q lack %q", changes, want)
		}
	}
}

// A file with more distinct managers than one search takes (50), and more rows than one.
func TestManyManagers(t *testing.T) {
	t.Parallel()
	org := gcsim.DefaultOrg()
	const n = 120
	var rows [][]string
	for i := range n {
		org.Users = append(org.Users, gcsim.OrgUser{
			ID: fmt.Sprintf("3a000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("Manager %d", i),
			Email: fmt.Sprintf("mgr.%d@example.com", i), State: "active", Division: "Home",
		})
		rows = append(rows, fullRow(map[string]string{
			"name": fmt.Sprintf("Report %d", i), "email": fmt.Sprintf("report.%d@example.com", i),
			"email_manager": fmt.Sprintf("mgr.%d@example.com", i),
		}))
	}
	e := newEnv(t, gcsim.Options{Org: org})
	in := filepath.Join(e.dir, "managed.csv")
	writeRows(t, in, fullHeader, rows)
	r := e.run("--report", e.report("managed.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	st := e.srv.Sim.State()
	for i := range n {
		if u, _ := st.User(fmt.Sprintf("report.%d@example.com", i)); u.ManagerEmail != fmt.Sprintf("mgr.%d@example.com", i) {
			t.Fatalf("report %d: manager %q", i, u.ManagerEmail)
		}
	}
	c := e.srv.Sim.Counters()
	if c.LimitRejections != 0 {
		t.Errorf("%d calls refused for carrying too many items", c.LimitRejections)
	}
	// Managers: 3 searches of at most 50; rows: 3 searches. No search per row.
	if s := c.Requests["POST /api/v2/users/search"]; s > 8 {
		t.Errorf("%d user searches for %d rows and %d managers, want at most 8", s, n, n)
	}
}

// --scope-group reads the group's direct members: its owner (the supervisor) and the person
// its rules include (the placed agent) are never deactivation candidates.
func TestScopeGroupIsDirectMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("none.csv", "Someone Else,someone.else@example.com,"+password+",IRA,Communicate - User,,")
	r := e.run("--dry-run", "--deactivate-missing", "--scope-group", "Annuities", "--max-deactivate", "10", "--report", e.report("plan.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var planned []string
	for _, row := range r.report {
		if row["action"] == "deactivate" {
			planned = append(planned, row["email"])
		}
	}
	if slices.Compare(planned, []string{"existing.agent@example.com"}) != 0 {
		t.Errorf("planned deactivations %v, want the one direct member", planned)
	}
}

// A deleted user comes back with no roles, in the home division, without its extension and
// default station: the restore grants the row's roles and the one every new user gets, and
// moves it to the row's division.
func TestRestoreGrantsWhatANewUserGets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join(e.dir, "restore.csv")
	writeRows(t, in, fullHeader, [][]string{fullRow(map[string]string{
		"name": "Deleted User", "email": "deleted.user@example.com", "division": "Sales", "roles": "Agent",
		"extension": "2001",
	})})
	r := e.run("--report", e.report("restore.results.csv"), in)
	if r.code != 0 || r.report[0]["action"] != "restore" {
		t.Fatalf("exit %d, report %v\n%s", r.code, r.report, r.stderr)
	}
	u, _ := e.srv.Sim.State().User("deleted.user@example.com")
	var grants []string
	for _, g := range u.Grants {
		grants = append(grants, g.Role+"@"+g.Division)
	}
	slices.Sort(grants)
	if u.State != "active" || u.Division != "Sales" || slices.Compare(grants, []string{"Agent@Sales", "Employee@Home"}) != 0 {
		t.Errorf("restored user: state %s, division %s, grants %v; want active in Sales with Agent@Sales and the default Employee@Home", u.State, u.Division, grants)
	}
	if len(u.Addresses) != 1 || u.Addresses[0].Extension != "2001" {
		t.Errorf("addresses %+v, want the row's extension", u.Addresses)
	}
}

// With the simulator's documented lags (a new user unknown to the auth service for a moment,
// a new station being associated, group versions lagging their 202), every row still ends ok.
func TestEventualConsistency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	rows := users(12, "settle")
	in := e.file("settle.csv", rows...)
	r := e.run("--report", e.report("settle.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
	lagged := e.srv.Sim.Counters().Lagged
	if lagged["auth-cache"] == 0 || lagged["station-associating"] == 0 {
		t.Errorf("lags met %v: the run should have met the auth cache and the station association", lagged)
	}
}

// Managers who are in the file are set in the last pass, which finds the rows' users and
// their managers 50 at a time rather than one search per row.
func TestManagersInTheFileAreFoundInBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	const n = 120
	var rows [][]string
	for i := range n {
		manager := "lead.0@example.com" // a lead later in the file manages every row
		if i == n-1 {
			manager = ""
		}
		email := fmt.Sprintf("managed.%d@example.com", i)
		if i == n-1 {
			email = "lead.0@example.com"
		}
		rows = append(rows, fullRow(map[string]string{"name": fmt.Sprintf("Managed %d", i), "email": email, "email_manager": manager}))
	}
	in := filepath.Join(e.dir, "leads.csv")
	writeRows(t, in, fullHeader, rows)
	r := e.run("--report", e.report("leads.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	st := e.srv.Sim.State()
	for i := range n - 1 {
		if u, _ := st.User(fmt.Sprintf("managed.%d@example.com", i)); u.ManagerEmail != "lead.0@example.com" {
			t.Fatalf("row %d: manager %q", i, u.ManagerEmail)
		}
	}
	c := e.srv.Sim.Counters().Requests
	// Pass 1: one manager search; pass 2: 3 searches; pass 3: 3 searches of rows, 3 reads of
	// them and 1 search of the lead. Search lag may add a few.
	if s, r := c["POST /api/v2/users/search"], c["GET /api/v2/users"]; s > 12 || r > 6 {
		t.Errorf("%d searches and %d reads for %d rows with a manager in the file", s, r, n)
	}
	if p := c["PATCH /api/v2/users/{userId}"]; p != n-1 {
		t.Errorf("%d PATCHes, want one per managed row (%d)", p, n-1)
	}
}
