package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// --backup saves, before the first write, every existing user the run changes; importing the
// backup with --memberships replace puts them back as they were. New users are not in it.
func TestBackupAndUndo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join(e.dir, "full.csv")
	rows := fullRows(10)
	writeRows(t, in, fullHeader, rows)
	if r := e.run("--report", e.report("first.results.csv"), in); r.code != 0 {
		t.Fatalf("first import: exit %d\n%s", r.code, r.stderr)
	}
	before := e.srv.Sim.State()

	// Change five users (title, division, roles, groups, queues, skills), and add one.
	changed := make([][]string, len(rows))
	for i, row := range rows {
		changed[i] = append([]string(nil), row...)
		if i%2 == 0 {
			changed[i][6] = "Changed Title"  // title
			changed[i][10] = "EMEA"          // division
			changed[i][11] = "Agent:Support" // roles
			changed[i][12] = "Brokerage"     // groups
			changed[i][13] = "Billing"       // queues
			changed[i][14] = "Billing:1"     // skills
			changed[i][15] = "English:1"     // languages
		}
	}
	extra := append([]string(nil), rows[0]...)
	extra[0], extra[1], extra[8] = "New Person", "new.person@example.com", ""
	changed = append(changed, extra)
	writeRows(t, in, fullHeader, changed)
	bak := filepath.Join(e.dir, "backup.csv")
	r := e.run("--memberships", "replace", "--backup", bak, "--report", e.report("change.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("changing import: exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(bak)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n") - 1; got != 5 || strings.Contains(string(b), "new.person@") {
		t.Fatalf("backup holds %d users, want the 5 changed and not the new one:\n%s", got, b)
	}
	if fi, _ := os.Stat(bak); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}

	if u, _ := e.srv.Sim.State().User(rows[0][1]); u.Title != "Changed Title" || u.Division != "EMEA" {
		t.Fatalf("the changing import did not change %s: %+v", rows[0][1], u)
	}

	// Undo.
	if r := e.run("--memberships", "replace", "--report", e.report("undo.results.csv"), bak); r.code != 0 {
		t.Fatalf("undo: exit %d\n%s", r.code, r.stderr)
	}
	after := e.srv.Sim.State()
	for i, row := range rows {
		if i%2 != 0 {
			continue
		}
		ua, _ := before.User(row[1])
		ub, _ := after.User(row[1])
		checkSameUser(t, ua, ub)
	}
}

// A backup that cannot be written stops the run before anything is written.
func TestBackupUnwritable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("b.csv", users(2, "bak")...)
	writes := e.srv.Sim.Counters().Writes
	r := e.run("--backup", filepath.Join(e.dir, "no-such-dir", "b.csv"), "--report", e.report("b.results.csv"), in)
	if r.code != exitUnusable || !strings.Contains(r.stderr, "nothing was written") {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitUnusable, r.stderr)
	}
	if w := e.srv.Sim.Counters().Writes - writes; w != 0 {
		t.Errorf("%d writes after a backup failed", w)
	}
}
