package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// staff makes n full-format rows in division Support.
func staff(n int, prefix string, edit func(i int, row []string)) [][]string {
	var rows [][]string
	for i := range n {
		row := []string{
			fmt.Sprintf("%s %03d", prefix, i), fmt.Sprintf("%s.%03d@example.com", prefix, i), "Welcome2024!",
			"", "", "", "Agent", "Support", "", "Remote", "Support", "Agent;Communicate - User",
			"Annuities", "Support Tier 1", "Billing:3", "English:4", "", "", "", "", "", "",
		}
		if edit != nil {
			edit(i, row)
		}
		rows = append(rows, row)
	}
	return rows
}

func col(name string) int {
	for i, h := range fullHeader {
		if h == name {
			return i
		}
	}
	panic(name)
}

func TestUpsertChangesOnlyWhatDiffers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	e.tune = func(o *provision.Options) { fast(o); o.BatchLinger = time.Minute }
	const n = 500
	in := filepath.Join(e.dir, "staff.csv")
	writeRows(t, in, fullHeader, staff(n, "staff", nil))
	if r := e.run("--rate", "60000", "--report", e.report("one.csv"), in); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	// Change one row in ten: a new title and one more queue.
	changed := 0
	writeRows(t, in, fullHeader, staff(n, "staff", func(i int, row []string) {
		if i%10 == 0 {
			changed++
			row[col("title")] = "Senior Agent"
			row[col("queues")] = "Support Tier 1;Support Tier 2"
		}
	}))
	before := e.srv.Sim.Counters()
	r := e.run("--rate", "60000", "--report", e.report("two.csv"), in)
	if r.code != 0 {
		t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
	}
	after := e.srv.Sim.Counters()
	// One PATCH per changed user, plus the queue additions batched 100 at a time.
	if writes, most := after.Writes-before.Writes, changed+1; writes > most {
		t.Errorf("%d write calls for %d changed users, want at most %d", writes, changed, most)
	}
	s := statuses(r.report)
	if s["update/ok"] != changed || s["none/ok"] != n-changed {
		t.Errorf("report %v, want %d update and %d none", s, changed, n-changed)
	}
	for _, row := range r.report {
		if row["action"] == "update" && row["changes"] != "title: 'Agent' → 'Senior Agent'; add queue 'Support Tier 2'" {
			t.Errorf("changes %q", row["changes"])
		}
	}
	st := e.srv.Sim.State()
	for i := range n {
		u, _ := st.User(fmt.Sprintf("staff.%03d@example.com", i))
		wantTitle := map[bool]string{true: "Senior Agent", false: "Agent"}[i%10 == 0]
		if u.Title != wantTitle || len(u.Queues) != map[bool]int{true: 2, false: 1}[i%10 == 0] {
			t.Fatalf("%s: title %q queues %v", u.Email, u.Title, u.Queues)
		}
	}
}

func TestReplaceMemberships(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join(e.dir, "replace.csv")
	writeRows(t, in, fullHeader, [][]string{{
		"Rita Replace", "rita@example.com", "Welcome2024!", "", "", "", "", "", "", "", "Support",
		"Agent;Supervisor:Sales;Communicate - User", "Annuities;IRA;Brokerage", "Support Tier 1;Billing",
		"Billing:3;Escalations:2", "English:4;French:2", "", "", "", "", "", "",
	}})
	if r := e.run("--report", e.report("one.csv"), in); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	// The file now lists less; the location cell is blank and the skills cell too.
	writeRows(t, in, fullHeader, [][]string{{
		"Rita Replace", "rita@example.com", "", "", "", "", "", "", "", "", "",
		"Agent", "IRA", "Billing", "", "English:4", "", "", "", "", "", "",
	}})
	r := e.run("--memberships", "replace", "--report", e.report("two.csv"), in)
	if r.code != 0 {
		t.Fatalf("replace run: exit %d\n%s", r.code, r.stderr)
	}
	u, _ := e.srv.Sim.State().User("rita@example.com")
	var grants []string
	for _, g := range u.Grants {
		grants = append(grants, g.Role+"/"+g.Division)
	}
	if !sameSet(grants, []string{"Agent/Support", "Employee/Home"}) {
		t.Errorf("grants %v, want Agent in Support and the default role kept", grants)
	}
	if !sameSet(u.Groups, []string{"IRA"}) || !sameSet(u.Queues, []string{"Billing"}) {
		t.Errorf("groups %v queues %v, want IRA and Billing", u.Groups, u.Queues)
	}
	if len(u.Skills) != 2 {
		t.Errorf("skills %v: a blank cell must leave them alone", u.Skills)
	}
	if len(u.Languages) != 1 || u.Languages["English"] != 4 {
		t.Errorf("languages %v, want English only", u.Languages)
	}
	if got := r.report[0]["changes"]; !strings.Contains(got, "remove group 'Annuities'") || !strings.Contains(got, "remove role 'Supervisor' in 'Sales'") {
		t.Errorf("changes %q", got)
	}
	// Replacing again changes nothing.
	writes := e.srv.Sim.Counters().Writes
	if r := e.run("--memberships", "replace", "--report", e.report("three.csv"), in); r.code != 0 || e.srv.Sim.Counters().Writes != writes {
		t.Errorf("second replace: exit %d, %d writes", r.code, e.srv.Sim.Counters().Writes-writes)
	}
}

func TestDeactivateMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join(e.dir, "sync.csv")
	all := staff(40, "sync", nil)
	writeRows(t, in, fullHeader, all)
	if r := e.run("--report", e.report("one.csv"), in); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	// existing.supervisor is in Support too: 41 active users in scope.
	writeRows(t, in, fullHeader, all[:37]) // three staff and the supervisor are missing

	t.Run("guard refuses", func(t *testing.T) {
		writes := e.srv.Sim.Counters().Writes
		r := e.run("--deactivate-missing", "--scope-division", "Support", "--report", e.report("guard.csv"), in)
		if r.code != 2 || !strings.Contains(r.stderr, "user-provisioning: --max-deactivate: 4 of the 41 active users") {
			t.Fatalf("exit %d, want 2 and an explanation\n%s", r.code, r.stderr)
		}
		if w := e.srv.Sim.Counters().Writes - writes; w != 0 {
			t.Errorf("%d writes despite the guard", w)
		}
	})
	t.Run("dry run lists them", func(t *testing.T) {
		r := e.run("--dry-run", "--deactivate-missing", "--scope-division", "Support", "--max-deactivate", "10%", "--report", e.report("plan.csv"), in)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if s := statuses(r.report); s["deactivate/planned"] != 4 {
			t.Errorf("report %v, want 4 deactivate/planned", s)
		}
	})
	t.Run("deactivates exactly the missing", func(t *testing.T) {
		r := e.run("--deactivate-missing", "--scope-division", "Support", "--max-deactivate", "4", "--report", e.report("sync.results.csv"), in)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var deactivated []string
		for _, row := range r.report {
			if row["action"] == "deactivate" {
				if row["line"] != "" || row["status"] != "ok" {
					t.Errorf("deactivation row %v", row)
				}
				deactivated = append(deactivated, row["email"])
			}
		}
		want := []string{"sync.037@example.com", "sync.038@example.com", "sync.039@example.com", "existing.supervisor@example.com"}
		if !sameSet(deactivated, want) {
			t.Errorf("deactivated %v, want %v", deactivated, want)
		}
		st := e.srv.Sim.State()
		for _, email := range want {
			if u, _ := st.User(email); u.State != "inactive" {
				t.Errorf("%s is %s, want inactive (never deleted)", email, u.State)
			}
		}
		if u, _ := st.User("sync.000@example.com"); u.State != "active" {
			t.Errorf("a user in the file was deactivated")
		}
	})
}

func TestDeactivationSkippedWhenARowFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join(e.dir, "sync.csv")
	all := staff(5, "skip", nil)
	writeRows(t, in, fullHeader, all)
	if r := e.run("--report", e.report("one.csv"), in); r.code != 0 {
		t.Fatalf("first run: exit %d\n%s", r.code, r.stderr)
	}
	rows := all[:4]
	rows[0][col("password")] = ""
	rows[0][col("email")] = "fresh.user@example.com"
	e.srv.Sim.Script("POST /api/v2/users", gcsim.Fault{Status: 400, Code: "bad.request"})
	writeRows(t, in, fullHeader, rows)
	r := e.run("--deactivate-missing", "--scope-division", "Support", "--max-deactivate", "5", "--report", e.report("two.csv"), in)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, row := range r.report {
		if row["action"] == "deactivate" && (row["status"] != "skipped" || !strings.Contains(row["error"], "deactivation skipped")) {
			t.Errorf("row %v, want deactivation skipped", row)
		}
	}
	if u, _ := e.srv.Sim.State().User("skip.004@example.com"); u.State != "active" {
		t.Errorf("deactivated although a row failed")
	}
}
