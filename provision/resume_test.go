package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resumeCase is a file provisioned into a fake org, to be run again with --resume from its
// report; searches and writes count the calls of the last resumed run.
type resumeCase struct {
	f        *fakeOrg
	o        Options
	searches int
	writes   int
}

func firstRun(t *testing.T, rows ...string) resumeCase {
	t.Helper()
	f := newFakeOrg()
	o := quick(writeCSV(t, rows...))
	if sum, err := Run(context.Background(), f.services(), o); err != nil || sum.ByStatus[StatusOK] != len(rows) {
		t.Fatalf("first run: %v, %v", sum, err)
	}
	return resumeCase{f: f, o: o}
}

// again runs the file again with --resume from the first run's report.
func (c *resumeCase) again(t *testing.T) Summary {
	t.Helper()
	c.f.mu.Lock()
	searches, writes := c.f.searches, c.f.writes
	c.f.mu.Unlock()
	o := c.o
	o.Resume = o.ReportPath
	sum, err := Run(context.Background(), c.f.services(), o)
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if sum.Resume == nil {
		t.Fatal("resumed run: no ResumeStats")
	}
	c.f.mu.Lock()
	c.searches, c.writes = c.f.searches-searches, c.f.writes-writes
	c.f.mu.Unlock()
	// Every line of the file is in the report once.
	recs := readRecords(t, o.ReportPath)
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		if seen[r[0]] {
			t.Errorf("line %s twice in the report", r[0])
		}
		seen[r[0]] = true
	}
	return sum
}

func (c *resumeCase) rewriteFile(t *testing.T, rows ...string) {
	t.Helper()
	if err := os.WriteFile(c.o.File, []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (c *resumeCase) editReport(t *testing.T, edit func(string) string) {
	t.Helper()
	b, err := os.ReadFile(c.o.ReportPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.o.ReportPath, []byte(edit(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
}

func people(n int) []string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = row(fmt.Sprintf("P%03d", i), ",,,")
	}
	return rows
}

func TestResumeCarriesUnchangedRowsAfterOneSearchPer50(t *testing.T) {
	c := firstRun(t, people(120)...)
	sum := c.again(t)
	rs := *sum.Resume
	if rs.OK != 120 || rs.Carried != 120 || !rs.Checked || rs.Searches != 3 {
		t.Errorf("resume stats %+v, want 120 carried after 3 searches", rs)
	}
	if c.searches != 3 || c.writes != 0 {
		t.Errorf("%d searches, %d writes; want 3 and none", c.searches, c.writes)
	}
	if sum.Total != 120 || sum.ByStatus[StatusOK] != 120 {
		t.Errorf("summary %v", sum)
	}
	if got := rs.String(); !strings.Contains(got, "120 carried over (confirmed in the org by 3 searches)") {
		t.Errorf("String() = %q", got)
	}
}

func TestResumeRunsChangedRowsAgain(t *testing.T) {
	rows := people(3)
	c := firstRun(t, rows...)
	const hdr = "NAME,EMAIL,PASSWORD,GROUP,ROLE,SITENAME,PHONEBASE,TITLE"
	lines := []string{hdr, rows[0] + ",", rows[1] + ",Boss", strings.Replace(rows[2], "Passw0rd!x", "Other0ne!y", 1) + ","}
	if err := os.WriteFile(c.o.File, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A new column changes every row's hash: nothing is carried.
	sum := c.again(t)
	if rs := *sum.Resume; rs.Carried != 0 || rs.Changed != 3 {
		t.Errorf("after a column was added: %+v, want 3 changed", rs)
	}
	// Titles set by a plain run; then line 3's title changes, and line 4's password only
	// (a password matters when a user is created, and no more).
	lines = []string{hdr, rows[0] + ",", rows[1] + ",Boss", rows[2] + ",Chief"}
	if err := os.WriteFile(c.o.File, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.o.Resume = ""
	if _, err := Run(context.Background(), c.f.services(), c.o); err != nil {
		t.Fatal(err)
	}
	lines[3] = strings.Replace(rows[2], "Passw0rd!x", "Other0ne!y", 1) + ",Chief"
	lines[2] = rows[1] + ",Big Boss"
	if err := os.WriteFile(c.o.File, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum = c.again(t)
	if rs := *sum.Resume; rs.Carried != 2 || rs.Changed != 1 {
		t.Errorf("resume stats %+v, want 2 carried (one with only its password changed), 1 changed", rs)
	}
	if c.writes != 1 {
		t.Errorf("%d writes, want 1 (the changed title)", c.writes)
	}
	if got := readReport(t, c.o)["p001@example.com"]; got["status"] != "ok" || !strings.Contains(got["changes"], "Big Boss") {
		t.Errorf("changed row %v: want it run again", got)
	}
}

func TestResumeDropsLinesNotInTheFileAndTornLines(t *testing.T) {
	rows := people(3)
	c := firstRun(t, rows...)
	// The last line torn mid-cell, as a run killed mid-write leaves it: its hash is cut.
	c.editReport(t, func(s string) string { return s[:len(s)-5] })
	sum := c.again(t)
	rs := *sum.Resume
	if rs.Carried != 2 || rs.OK != 2 || rs.Torn != 1 || rs.NotInFile != 0 {
		t.Errorf("resume stats %+v, want 2 carried, 1 torn line", rs)
	}
	if sum.Total != 3 || sum.ByStatus[StatusOK] != 3 || c.writes != 0 {
		t.Errorf("summary %v, %d writes: want the torn line's row run again, without a write", sum, c.writes)
	}

	c = firstRun(t, rows...)
	c.rewriteFile(t, rows[:2]...)
	sum = c.again(t)
	if rs := *sum.Resume; rs.Carried != 2 || rs.NotInFile != 1 || sum.Total != 2 {
		t.Errorf("resume stats %+v, summary %v: want 2 carried, 1 not in the file, 2 rows", rs, sum)
	}
}

func TestResumeConfirmsUsersInTheOrg(t *testing.T) {
	rows := people(4)
	c := firstRun(t, rows...)
	// Another org (a report copied across): its user ids are not this org's.
	c.f.mu.Lock()
	delete(c.f.users, "p000@example.com")
	c.f.users["p001@example.com"].State = "deleted"
	c.f.mu.Unlock()
	// An edited copy: another user's id.
	c.editReport(t, func(s string) string {
		id := c.f.users["p003@example.com"].ID
		return strings.Replace(s, ","+id+",", ",someone-else,", 1)
	})
	sum := c.again(t)
	rs := *sum.Resume
	if rs.Carried != 1 || rs.Gone != 3 || rs.Searches != 1 {
		t.Errorf("resume stats %+v, want 1 carried, 3 gone, 1 search", rs)
	}
	rep := readReport(t, c.o)
	if got := rep["p000@example.com"]; got["action"] != "create" || got["status"] != "ok" {
		t.Errorf("user missing from the org: %v, want created again", got)
	}
	if got := rep["p001@example.com"]; got["action"] != "restore" {
		t.Errorf("deleted user: %v, want restored", got)
	}
}

func TestResumeIgnoresReportsWithoutRowHash(t *testing.T) {
	c := firstRun(t, people(2)...)
	c.editReport(t, func(s string) string {
		var out []string
		for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			out = append(out, l[:strings.LastIndexByte(l, ',')]) // the 8-column layout
		}
		return strings.Join(out, "\n") + "\n"
	})
	sum := c.again(t)
	if rs := *sum.Resume; rs.Carried != 0 || rs.Old != 2 || !strings.Contains(rs.String(), "2 from a report without row_hash") {
		t.Errorf("resume stats %+v (%s), want 2 old lines, none carried", rs, rs)
	}
	if c.writes != 0 || sum.ByStatus[StatusOK] != 2 {
		t.Errorf("%d writes, summary %v: want the rows run again, unchanged", c.writes, sum)
	}
}

func TestResumeOfAnotherFile(t *testing.T) {
	c := firstRun(t, people(2)...)
	other := filepath.Join(t.TempDir(), "other.csv")
	if err := os.WriteFile(other, []byte(header+"\n"+row("Zed", ",,,")+"\n"+row("Yan", ",,,")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.o.File = other
	c.o.Resume, c.o.ReportPath = c.o.ReportPath, other+".report.csv"
	sum, err := Run(context.Background(), c.f.services(), c.o)
	if err != nil {
		t.Fatal(err)
	}
	if rs := *sum.Resume; rs.Carried != 0 || rs.Changed != 2 || sum.ByAction[ActionCreate] != 2 {
		t.Errorf("resume stats %+v, summary %v: want none carried, both created", rs, sum)
	}
}

func TestResumeWithInvalidRowsCarriesWithoutSearching(t *testing.T) {
	rows := people(2)
	c := firstRun(t, rows...)
	c.rewriteFile(t, rows[0], rows[1], "No Email,,x,,,,")
	sum := c.again(t) // checks each line is reported once
	rs := *sum.Resume
	if rs.Carried != 2 || rs.Checked || c.searches != 0 {
		t.Errorf("resume stats %+v, %d searches: want 2 carried, unconfirmed, no search in a blocked run", rs, c.searches)
	}
	if sum.Total != 3 || sum.ByStatus[StatusInvalid] != 1 {
		t.Errorf("summary %v", sum)
	}
}
