package main

import (
	"os"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// TestResumeChecksWhatItTrusts resumes from reports that must not be trusted: one from another
// org (its users are not in this one), one that lists a line the file does not have, and one
// whose last line is torn. Every row is provisioned for real, and the summary says what was
// carried.
func TestResumeChecksWhatItTrusts(t *testing.T) {
	t.Parallel()
	rows := users(3, "resume")
	// Org A provisions the file; its report is then used against org B, which has none of
	// the users.
	a := newEnv(t, gcsim.Options{})
	in := a.file("resume.csv", rows...)
	first := a.report("a.results.csv")
	if r := a.run("--report", first, in); r.code != 0 {
		t.Fatalf("org A: exit %d\n%s", r.code, r.stderr)
	}
	b := newEnv(t, gcsim.Options{})
	inB := b.file("resume.csv", rows...)
	r := b.run("--resume", first, "--report", b.report("b.results.csv"), inB)
	if r.code != 0 || len(r.report) != 3 {
		t.Fatalf("org B: exit %d, %d rows\n%s", r.code, len(r.report), r.stderr)
	}
	for _, row := range r.report {
		if row["action"] != "create" || row["status"] != "ok" {
			t.Errorf("org B row %v: want created, not carried from org A's report", row)
		}
	}
	checkAllProvisioned(t, b.srv.Sim, rows)
	if !strings.Contains(r.stderr, "resume: 3 rows ok in the earlier report; 0 carried over; not carried, run again: 3 no longer in the org") {
		t.Errorf("summary does not say why nothing was carried:\n%s", r.stderr)
	}

	// Back in org A, with the file cut to 2 rows and the report's last line torn.
	short := a.file("short.csv", rows[:2]...)
	rep, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(first, rep[:len(rep)-4], 0o600); err != nil {
		t.Fatal(err)
	}
	r = a.run("--resume", first, "--report", a.report("short.results.csv"), short)
	if r.code != 0 || len(r.report) != 2 {
		t.Fatalf("short file: exit %d, %d rows; want 2 rows\n%s", r.code, len(r.report), r.stderr)
	}
	if !strings.Contains(r.stderr, "short.csv: 2 rows: 2 ok") || !strings.Contains(r.stderr, "1 line of the report torn or malformed, skipped") {
		t.Errorf("summary:\n%s", r.stderr)
	}
}

// A run that cannot read the home division has run nothing: exit 2 and no report, as the
// README says, and a report it would have replaced is left as it was.
func TestHomeDivisionFailureWritesNoReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	e.srv.Sim.Script("GET /api/v2/authorization/divisions/home", gcsim.Fault{Status: 403, Message: "missing permission"})
	rep := e.report("home.results.csv")
	const earlier = "line,email,action,status,user_id,error,correlation_id,changes,row_hash\n2,home.0@example.com,create,ok,u1,,,,0123456789abcdef\n"
	if err := os.WriteFile(rep, []byte(earlier), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("--resume", rep, "--report", rep, e.file("home.csv", users(1, "home")...))
	if r.code != exitUnusable || !strings.Contains(r.stderr, "read the home division") {
		t.Fatalf("exit %d, want %d, naming the home division\n%s", r.code, exitUnusable, r.stderr)
	}
	if b, err := os.ReadFile(rep); err != nil || string(b) != earlier {
		t.Errorf("report %q (%v): want the earlier one untouched", b, err)
	}
}
