package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// runExport runs `user-provisioning export` against the harness's simulator.
func (e *harness) runExport(args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"export", "--env-file", e.envFile, "--log-format", "json", "--rate", "12000"}, args...)
	code := runWith(context.Background(), full, &out, &errb, e.sigs, fast, e.client)
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	e.outputs = append(e.outputs, r.stdout, r.stderr)
	return r
}

// An export imported into the same org changes nothing; imported into a second org with the
// same names and none of the users, it reproduces every exported field and membership.
func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	a := newEnv(t, gcsim.Options{})
	in := filepath.Join(a.dir, "full.csv")
	rows := fullRows(30)
	writeRows(t, in, fullHeader, rows)
	if r := a.run("--report", a.report("full.results.csv"), in); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	out := filepath.Join(a.dir, "export.csv")
	r := a.runExport(out)
	if r.code != 0 {
		t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `"msg":"users read","users":34`) || !strings.Contains(r.stderr, "exported 34 users to") ||
		!strings.Contains(r.stderr, "GET /api/v2/authorization/roles/{id}/subjectgrants") {
		t.Errorf("summary:\n%s", r.stderr)
	}
	if n := a.srv.Sim.Counters().Requests["GET /api/v2/authorization/subjects/{id}"]; n != 0 {
		t.Errorf("%d per-user grant reads: the export reads grants per role", n)
	}
	t.Log(r.stderr[strings.LastIndex(r.stderr, "exported"):])
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Welcome2024!") || strings.Contains(strings.ToLower(string(b)), "password") {
		t.Fatal("the export holds a password column or a password")
	}
	users := len(a.srv.Sim.State().Users) - countDeleted(a.srv.Sim.State())
	if got := strings.Count(string(b), "\n") - 1; got != users {
		t.Errorf("%d users exported, want %d (every user but the deleted)", got, users)
	}

	// The same org: no write at all.
	writes := a.srv.Sim.Counters().Writes
	if r := a.run("--report", a.report("again.results.csv"), out); r.code != 0 {
		t.Fatalf("re-import: exit %d\n%s", r.code, r.stderr)
	}
	if w := a.srv.Sim.Counters().Writes - writes; w != 0 {
		t.Errorf("re-importing the export made %d writes, want none", w)
	}

	// A second org with the same names and no users: the same users.
	org := gcsim.DefaultOrg()
	org.Users = nil
	for i := range org.Groups {
		org.Groups[i].Owners, org.Groups[i].DynamicMembers = nil, nil
	}
	b2 := newEnv(t, gcsim.Options{Org: org})
	if r := b2.run("--report", b2.report("b.results.csv"), out); r.code != 0 {
		t.Fatalf("import into the second org: exit %d\n%s", r.code, r.stderr)
	}
	stA, stB := a.srv.Sim.State(), b2.srv.Sim.State()
	for _, ua := range stA.Users {
		if ua.State == "deleted" {
			continue
		}
		ub, ok := stB.User(ua.Email)
		if !ok {
			t.Errorf("%s is not in the second org", ua.Email)
			continue
		}
		checkSameUser(t, ua, ub)
	}
}

// checkSameUser compares what an export carries of a user in two orgs.
func checkSameUser(t *testing.T, a, b gcsim.UserState) {
	t.Helper()
	same := func(what string, x, y any) {
		if !equalish(x, y) {
			t.Errorf("%s: %s is %v in the first org, %v in the second", a.Email, what, x, y)
		}
	}
	same("name", a.Name, b.Name)
	same("title", a.Title, b.Title)
	same("department", a.Department, b.Department)
	same("division", a.Division, b.Division)
	same("manager", a.ManagerEmail, b.ManagerEmail)
	same("state", a.State, b.State)
	same("groups", sorted(a.Groups), sorted(b.Groups))
	same("queues", sorted(a.Queues), sorted(b.Queues))
	same("skills", a.Skills, b.Skills)
	same("languages", a.Languages, b.Languages)
	same("employee id", a.EmployeeID, b.EmployeeID)
	same("employee type", a.EmployeeType, b.EmployeeType)
	same("hire date", a.DateHire, b.DateHire)
	if len(a.Locations) > 0 {
		same("first location", a.Locations[0], firstOr(b.Locations))
	}
	var ga, gb []string
	for _, g := range a.Grants {
		ga = append(ga, g.Role+":"+g.Division)
	}
	for _, g := range b.Grants {
		gb = append(gb, g.Role+":"+g.Division)
	}
	same("grants", sorted(ga), sorted(gb))
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// equalish compares two values as printed: fmt sorts map keys, and prints a nil slice and an
// empty one alike.
func equalish(x, y any) bool { return fmt.Sprint(x) == fmt.Sprint(y) }

func countDeleted(st gcsim.State) int {
	n := 0
	for _, u := range st.Users {
		if u.State == "deleted" {
			n++
		}
	}
	return n
}

// An export whose names the target org lacks fails validation before any write, with the
// usual line, column and did-you-mean; a scoped export to stdout holds the scope's users only.
func TestExportIntoOrgMissingNames(t *testing.T) {
	t.Parallel()
	a := newEnv(t, gcsim.Options{})
	out := filepath.Join(a.dir, "export.csv")
	if r := a.runExport(out); r.code != 0 {
		t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
	}
	org := gcsim.DefaultOrg()
	org.Users = nil
	for i := range org.Groups {
		org.Groups[i].Owners, org.Groups[i].DynamicMembers = nil, nil
	}
	for i := range org.Queues {
		if org.Queues[i].Name == "Support Tier 2" { // placed.agent@example.com's queue
			org.Queues[i].Name = "Support Tier 2x"
		}
	}
	b := newEnv(t, gcsim.Options{Org: org})
	r := b.run("--report", b.report("b.results.csv"), out)
	if r.code != exitRowsFailed || b.srv.Sim.Counters().Writes != 0 {
		t.Fatalf("exit %d, %d writes; want 1 and none\n%s", r.code, b.srv.Sim.Counters().Writes, r.stderr)
	}
	if !slices.ContainsFunc(r.report, func(row map[string]string) bool {
		return strings.Contains(row["error"], "queue 'Support Tier 2' not found in org; did you mean 'Support Tier ")
	}) {
		t.Errorf("no row names the missing queue with a suggestion: %v", r.report)
	}

	r = a.runExport("--scope-group", "Annuities", "-")
	if r.code != 0 || strings.Count(r.stdout, "\n") < 2 {
		t.Fatalf("scoped export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		if !strings.Contains(line, "Annuities") {
			t.Errorf("a user outside group Annuities: %s", line)
		}
	}
}

// An export whose client lacks a permission it needs stops before reading any user, with
// exit 2, naming the permission; no file is written.
func TestExportPreflight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{Org: withRole(without("routing:queue:view"))})
	out := filepath.Join(e.dir, "export.csv")
	r := e.runExport(out)
	if r.code != exitUnusable || !strings.Contains(r.stderr, "routing:queue:view, needed for queues") {
		t.Errorf("exit %d, want 2 naming routing:queue:view\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an export file was written (%v)", err)
	}
	if n := e.srv.Sim.Counters().Requests["GET /api/v2/users"]; n != 0 {
		t.Errorf("%d user listings, want none before the permissions were checked", n)
	}
}
