package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var fullHeader = []string{"name", "email", "password", "phone_work", "extension", "phone_mobile", "title",
	"department", "email_manager", "location_work", "division", "roles", "groups", "queues", "skills",
	"languages", "hire_date", "employee_id", "employee_type", "state", "sitename", "phonebase"}

// fullRows makes n rows of the full format that use every column. Every tenth row is a team
// lead who manages the nine rows before it, so managers come later in the file than their
// reports; leads report to a supervisor who is already in the org. Every row joins group
// Annuities or Brokerage and queue Retention, so that batches reach the API's per-call limits.
func fullRows(n int) [][]string {
	divisions := []string{"Home", "Sales", "Support", "EMEA"}
	locations := []string{"Indianapolis HQ", "Dublin Office", "Remote"}
	queues := []string{"Billing", "Sales Inbound", "Support Tier 1", "Support Tier 2", "Retention"}
	var rows [][]string
	for i := range n {
		lead := i%10 == 9
		manager := fmt.Sprintf("agent.%03d@example.com", i/10*10+9)
		roles := "Agent:" + divisions[(i+1)%4] + ";Communicate - User"
		if lead || i+1 == n {
			manager = "existing.supervisor@example.com"
			roles = "Supervisor:*;Communicate - User"
		}
		site, base := "", ""
		if i%5 == 0 {
			site, base = "My PCV Site", "WebRTC_Base"
		}
		state := "active"
		if i%17 == 3 {
			state = "inactive"
		}
		rows = append(rows, []string{
			fmt.Sprintf("Agent %03d", i),
			fmt.Sprintf("agent.%03d@example.com", i),
			"Welcome2024!",
			fmt.Sprintf("+1 (317) 555-%04d", i),
			fmt.Sprintf("%d", 2000+i),
			fmt.Sprintf("+44 20 7946 %04d", i),
			[]string{"Agent", "Senior Agent", "Team Lead"}[i%3],
			[]string{"Sales", "Support", "Billing"}[i%3],
			manager,
			locations[i%3],
			divisions[i%4],
			roles,
			[]string{"Annuities", "Annuities;IRA", "Brokerage"}[i%3],
			"Retention;" + queues[i%4], // Retention gets every row: over the 100-a-call limit
			fmt.Sprintf("Billing:%d;Escalations:2.5", i%6),
			[]string{"English:5;Spanish:3.5", "French:2", "German:4;English:3"}[i%3],
			fmt.Sprintf("20%02d-%02d-%02d", 10+i%15, 1+i%12, 1+i%28),
			fmt.Sprintf("E%05d", i),
			[]string{"Full-time", "Part-time", "Contractor"}[i%3],
			state,
			site,
			base,
		})
	}
	return rows
}

func writeRows(t *testing.T, path string, header []string, rows [][]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestFullFormatEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{SearchLag: 100 * time.Millisecond})
	// Batches wait until they are full: they must then stop at the API's limits.
	e.tune = func(o *provision.Options) { fast(o); o.BatchLinger = time.Minute }
	rows := fullRows(200)
	in := filepath.Join(e.dir, "full200.csv")
	writeRows(t, in, fullHeader, rows)

	r := e.run("--send-invite", "--report", e.report("full200.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	if s := statuses(r.report); s["create/ok"] != len(rows) {
		t.Errorf("report %v, want %d create/ok", s, len(rows))
	}
	c := e.srv.Sim.Counters()
	if c.LimitRejections != 0 {
		t.Errorf("%d calls over a per-call limit", c.LimitRejections)
	}
	// 200 new members of Retention: two calls of 100.
	if n := c.Requests["POST /api/v2/routing/queues/{queueId}/members"]; n > 2+4*2 {
		t.Errorf("%d queue member calls, want full batches", n)
	}
	st := e.srv.Sim.State()
	for _, row := range rows {
		checkUserMatches(t, st, row)
	}
	for _, u := range st.Users {
		if strings.HasPrefix(u.Email, "agent.") && c.Invites[u.ID] != 1 {
			t.Errorf("%s: %d invitations, want 1", u.Email, c.Invites[u.ID])
		}
	}

	// The same file again: nothing to do, no write call, no second invitation.
	writes := c.Writes
	again := e.run("--send-invite", "--report", e.report("again.results.csv"), in)
	if again.code != 0 {
		t.Fatalf("second run: exit %d\n%s", again.code, again.stderr)
	}
	if got := e.srv.Sim.Counters().Writes - writes; got != 0 {
		t.Errorf("second run made %d write calls, want 0", got)
	}
	if s := statuses(again.report); s["none/ok"] != len(rows) {
		t.Errorf("second run report %v, want %d none/ok", s, len(rows))
	}
}

// checkUserMatches compares the simulator's user with a row of fullHeader, field by field
// and membership by membership.
func checkUserMatches(t *testing.T, st gcsim.State, row []string) {
	t.Helper()
	cell := func(name string) string { return row[slices.Index(fullHeader, name)] }
	email := cell("email")
	u, ok := st.User(email)
	if !ok {
		t.Errorf("%s: not created", email)
		return
	}
	errorf := func(format string, args ...any) { t.Errorf(email+": "+format, args...) }
	checkUserFields(u, cell, errorf)
	checkUserMemberships(t, st, u, cell, errorf)
	checkLevels(t, email+" skills", u.Skills, cell("skills"), false)
	checkLevels(t, email+" languages", u.Languages, cell("languages"), true)
	checkUserPhones(st, u, cell, errorf)
}

// checkUserFields checks the user's own fields against the row's cells: name, title and
// department, state and division, manager, location, employer info and the three phone
// addresses. errorf reports a mismatch.
func checkUserFields(u gcsim.UserState, cell func(string) string, errorf func(string, ...any)) {
	if u.Name != cell("name") || u.Title != cell("title") || u.Department != cell("department") {
		errorf("name/title/department %q/%q/%q", u.Name, u.Title, u.Department)
	}
	if u.State != cell("state") || u.Division != cell("division") {
		errorf("state %s division %s, want %s %s", u.State, u.Division, cell("state"), cell("division"))
	}
	if u.ManagerEmail != cell("email_manager") {
		errorf("manager %q, want %q", u.ManagerEmail, cell("email_manager"))
	}
	if !slices.Equal(u.Locations, []string{cell("location_work")}) {
		errorf("locations %v", u.Locations)
	}
	if u.EmployeeID != cell("employee_id") || u.EmployeeType != cell("employee_type") || u.DateHire != cell("hire_date") {
		errorf("employer info %s/%s/%s", u.EmployeeID, u.EmployeeType, u.DateHire)
	}
	wantAddr := []gcsim.AddressState{
		{MediaType: "PHONE", Type: "WORK", Address: digits(cell("phone_work"))},
		{MediaType: "PHONE", Type: "WORK2", Extension: cell("extension")},
		{MediaType: "PHONE", Type: "MOBILE", Address: digits(cell("phone_mobile"))},
	}
	if !slices.Equal(u.Addresses, wantAddr) {
		errorf("addresses %+v, want %+v", u.Addresses, wantAddr)
	}
}

// checkUserMemberships checks that the user has exactly the row's role grants (besides the
// default Employee role), groups and queues. errorf reports a mismatch.
func checkUserMemberships(t *testing.T, st gcsim.State, u gcsim.UserState, cell func(string) string, errorf func(string, ...any)) {
	t.Helper()
	var grants []string
	for _, g := range u.Grants {
		if g.Role != "Employee" { // the org default role every new user gets
			grants = append(grants, g.Role+":"+g.DivisionID)
		}
	}
	if wantGrants := rowGrants(t, st, u, cell("roles")); !sameSet(grants, wantGrants) {
		errorf("grants %v, want %v", grants, wantGrants)
	}
	if !sameSet(u.Groups, strings.Split(cell("groups"), ";")) {
		errorf("groups %v, want %s", u.Groups, cell("groups"))
	}
	if !sameSet(u.Queues, strings.Split(cell("queues"), ";")) {
		errorf("queues %v, want %s", u.Queues, cell("queues"))
	}
}

// rowGrants returns the grants, as role:divisionID, that a roles cell gives user u: a role
// without a division is granted in the user's own, "*" in all of them. It fails the test on
// a role spec it cannot parse.
func rowGrants(t *testing.T, st gcsim.State, u gcsim.UserState, roles string) []string {
	t.Helper()
	var wantGrants []string
	for _, item := range strings.Split(roles, ";") {
		spec, err := provision.ParseRoleSpec(item)
		if err != nil {
			t.Fatal(err)
		}
		div := u.DivisionID
		if spec.Division == "*" {
			div = "*"
		} else if spec.Division != "" {
			div = divisionID(st, spec.Division)
		}
		wantGrants = append(wantGrants, spec.Role+":"+div)
	}
	return wantGrants
}

// checkUserPhones checks the user's phones: none when the row names no site, else exactly
// one, which is the user's default station. errorf reports a mismatch.
func checkUserPhones(st gcsim.State, u gcsim.UserState, cell func(string) string, errorf func(string, ...any)) {
	phones := st.PhonesOf(u.ID)
	if cell("sitename") == "" {
		if len(phones) != 0 {
			errorf("%d phones, want none", len(phones))
		}
	} else if len(phones) != 1 || u.DefaultStationID == "" || u.DefaultStationID != phones[0].StationID {
		errorf("%d phones, default station %q", len(phones), u.DefaultStationID)
	}
}

func checkLevels(t *testing.T, what string, have map[string]float64, cell string, round bool) {
	t.Helper()
	want := map[string]float64{}
	for _, item := range strings.Split(cell, ";") {
		p, err := provision.ParseProficiency(item)
		if err != nil {
			t.Fatal(err)
		}
		if round {
			p.Level = math.Round(p.Level)
		}
		want[p.Name] = p.Level
	}
	if len(have) != len(want) {
		t.Errorf("%s: %v, want %v", what, have, want)
		return
	}
	for k, v := range want {
		if have[k] != v {
			t.Errorf("%s: %v, want %v", what, have, want)
			return
		}
	}
}

func divisionID(st gcsim.State, name string) string {
	for _, u := range st.Users {
		if u.Division == name {
			return u.DivisionID
		}
	}
	return "?" + name
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '+' || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func TestDialectFiles(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"admin_ui.csv", "full.csv", "spreadsheet_semicolon.csv"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, gcsim.Options{})
			r := e.run("--report", e.report("out.csv"), filepath.Join("..", "..", "testdata", name))
			if r.code != 0 {
				t.Fatalf("exit %d\n%s\n%v", r.code, r.stderr, r.report)
			}
			for _, row := range r.report {
				if row["status"] != "ok" || row["action"] != "create" {
					t.Errorf("row %v, want create/ok", row)
				}
			}
			if n := e.srv.Sim.Counters().LimitRejections; n != 0 {
				t.Errorf("%d calls over a per-call limit", n)
			}
			writes := e.srv.Sim.Counters().Writes
			if again := e.run("--report", e.report("again.csv"), filepath.Join("..", "..", "testdata", name)); again.code != 0 {
				t.Fatalf("second run: exit %d\n%s", again.code, again.stderr)
			}
			if got := e.srv.Sim.Counters().Writes - writes; got != 0 {
				t.Errorf("second run made %d write calls", got)
			}
		})
	}
}

func TestUnknownNamesAreReportedWithSuggestions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join(e.dir, "names.csv")
	writeRows(t, in, fullHeader[:16], [][]string{
		{"A", "a@example.com", "", "", "", "", "", "", "", "Indianapols HQ", "Sale", "Comunicate - User", "Anuities", "Billng", "Escalation:2", "Spanish"},
		{"B", "b@example.com", "", "", "", "", "", "", "nobody@example.com", "", "", "Agent:Sails", "", "", "", "Klingon:3"},
		{"C", "c@example.com", "", "", "", "", "", "", "a@example.com", "", "", "Agent", "IRA", "", "", ""},
	})
	r := e.run("--report", e.report("names.results.csv"), in)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if w := e.srv.Sim.Counters().Writes; w != 0 {
		t.Errorf("%d write calls for an invalid file", w)
	}
	byLine := map[string]map[string]string{}
	for _, row := range r.report {
		byLine[row["line"]] = row
	}
	for _, want := range []string{
		"column 10 (location_work): location 'Indianapols HQ' not found in org; did you mean 'Indianapolis HQ'?",
		"column 11 (division): division 'Sale' not found in org; did you mean 'Sales'?",
		"column 12 (roles): role 'Comunicate - User' not found in org; did you mean 'Communicate - User'?",
		"column 13 (groups): group 'Anuities' not found in org; did you mean 'Annuities'?",
		"column 14 (queues): queue 'Billng' not found in org; did you mean 'Billing'?",
		"column 15 (skills): skill 'Escalation' not found in org; did you mean 'Escalations'?",
	} {
		if !strings.Contains(byLine["2"]["error"], want) {
			t.Errorf("line 2 error lacks %q:\n%s", want, byLine["2"]["error"])
		}
	}
	for _, want := range []string{
		"column 9 (email_manager): manager 'nobody@example.com' is neither in the org nor in this file",
	} {
		if !strings.Contains(byLine["3"]["error"], want) {
			t.Errorf("line 3 error lacks %q:\n%s", want, byLine["3"]["error"])
		}
	}
	if byLine["4"]["status"] != "skipped" {
		t.Errorf("line 4 = %v, want skipped", byLine["4"])
	}
}

func TestGoldenReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join("..", "..", "testdata", "mixed.csv")
	r := e.run("--skip-invalid", "--report", e.report("mixed.results.csv"), in)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(e.report("mixed.results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := normalizeReport(t, b)
	golden := filepath.Join("..", "..", "testdata", "golden", "mixed.report.csv")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenReport -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("report differs from %s (refresh with -update after checking):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

// normalizeReport sorts a report by line and masks generated ids.
func normalizeReport(t *testing.T, b []byte) string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	body := recs[1:]
	sort.SliceStable(body, func(i, j int) bool { return atoi(body[i][0]) < atoi(body[j][0]) })
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write(recs[0])
	for _, rec := range body {
		if rec[4] != "" && !strings.HasPrefix(rec[4], "0e000000-") { // seed users keep their ids
			rec[4] = "<id>"
		}
		if rec[6] != "" {
			rec[6] = "<correlation>"
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return sb.String()
}

func atoi(s string) int {
	n := 0
	fmt.Sscanf(s, "%d", &n)
	return n
}
