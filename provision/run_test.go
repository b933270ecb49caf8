package provision

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const header = "NAME,EMAIL,PASSWORD,GROUP,ROLE,SITENAME,PHONEBASE"

func writeCSV(t *testing.T, rows ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(p, []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func quick(file string) Options {
	return Options{
		File: file, ReportPath: file + ".report.csv", Workers: 4,
		BatchLinger:  20 * time.Millisecond,
		StationWait:  Backoff{First: time.Millisecond, Max: 5 * time.Millisecond, Total: time.Second},
		CreateWait:   Backoff{First: time.Millisecond, Max: 5 * time.Millisecond, Total: time.Second},
		SearchSettle: 20 * time.Millisecond,
	}
}

// readRecords reads a report's records, header first.
func readRecords(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func readReport(t *testing.T, o Options) map[string]map[string]string {
	t.Helper()
	recs := readRecords(t, o.ReportPath)
	out := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out[m["email"]] = m
	}
	return out
}

func row(name string, extra string) string {
	return fmt.Sprintf("%s,%s@example.com,Passw0rd!x,%s", name, strings.ToLower(name), extra)
}

func TestConflictMeansExists(t *testing.T) {
	f := newFakeOrg()
	// Someone else created the user moments ago: search misses it twice, create conflicts.
	f.users["ann@example.com"] = &User{ID: "u-ann", Email: "ann@example.com", State: "active"}
	f.hidden["ann@example.com"] = 3
	o := quick(writeCSV(t, row("Ann", "Annuities,,,")))
	sum, err := Run(context.Background(), f.services(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := readReport(t, o)["ann@example.com"]
	if got["status"] != "ok" || got["action"] != "update" || got["user_id"] != "u-ann" {
		t.Errorf("row = %v, want update/ok for the existing user", got)
	}
	if f.creates["ann@example.com"] != 1 || sum.ByStatus[StatusOK] != 1 {
		t.Errorf("%d creates, summary %v", f.creates["ann@example.com"], sum)
	}
}

func TestAmbiguousCreateLooksFirst(t *testing.T) {
	transient := &RemoteError{Status: 503, Code: "service.unavailable", Kind: ErrTransient}
	tests := []struct {
		name        string
		commits     bool
		hidden      int // searches that miss the committed user
		wantCreates int
	}{
		{"committed and visible", true, 0, 1},
		{"committed, index lags", true, 2, 1},
		{"not committed", false, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOrg()
			first := true
			f.CreateFunc = func(NewUser) error {
				if first {
					first = false
					return transient
				}
				return nil
			}
			f.CreateCommits = func(NewUser) bool {
				f.hidden["bo@example.com"] = tt.hidden + 1 // +1: the lookup before the create
				return tt.commits
			}
			o := quick(writeCSV(t, row("Bo", "IRA,Agent,Site,WebRTC")))
			if _, err := Run(context.Background(), f.services(), o); err != nil {
				t.Fatal(err)
			}
			got := readReport(t, o)["bo@example.com"]
			if got["status"] != "ok" || got["action"] != "create" {
				t.Errorf("row = %v, want create/ok", got)
			}
			if n := f.creates["bo@example.com"]; n != tt.wantCreates {
				t.Errorf("%d create calls, want %d", n, tt.wantCreates)
			}
			if len(f.phones) != 1 {
				t.Errorf("%d phones, want 1", len(f.phones))
			}
		})
	}
}

func TestAmbiguousPhoneCreateLooksFirst(t *testing.T) {
	f := newFakeOrg()
	calls := 0
	f.PhoneFunc = func(NewPhone) (bool, error) {
		calls++
		if calls == 1 {
			return true, fmt.Errorf("dropped: %w", ErrTransient)
		}
		return false, nil
	}
	o := quick(writeCSV(t, row("Cy", ",,Site,WebRTC")))
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	if got := readReport(t, o)["cy@example.com"]; got["status"] != "ok" {
		t.Errorf("row = %v", got)
	}
	if calls != 1 {
		t.Errorf("%d phone creations, want 1: the committed phone was created again", calls)
	}
	if u := f.users["cy@example.com"]; u.DefaultStationID == "" {
		t.Errorf("no default station")
	}
}

func TestMembershipsBatchedAcrossRows(t *testing.T) {
	f := newFakeOrg()
	var rows []string
	for i := range 120 {
		rows = append(rows, row(fmt.Sprintf("U%03d", i), "Annuities,Agent,,"))
	}
	o := quick(writeCSV(t, rows...))
	o.BatchLinger = time.Hour // only full batches and the final flush send
	o.Workers = 8
	sum, err := Run(context.Background(), f.services(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.ByStatus[StatusOK] != 120 {
		t.Fatalf("summary %v", sum)
	}
	for _, calls := range [][][]string{f.groupCalls, f.roleCalls} {
		if len(calls) != 3 {
			t.Errorf("%d calls, want 3 (50+50+20)", len(calls))
		}
		for _, c := range calls {
			if len(c) > MaxGroupMembersPerCall {
				t.Errorf("a call carried %d ids", len(c))
			}
		}
	}
}

func TestRejectedBatchFailsOnlyTheBadRow(t *testing.T) {
	f := newFakeOrg()
	f.AddMembersFunc = func(ids []string) error {
		for _, id := range ids {
			if f.users["bad@example.com"] != nil && id == f.users["bad@example.com"].ID {
				return &RemoteError{Status: 400, Code: "general.resource.not.found", Message: "Group members were not found.", Kind: ErrRejected}
			}
		}
		return nil
	}
	o := quick(writeCSV(t, row("Good", "IRA,,,"), row("Bad", "IRA,,,"), row("Fine", "IRA,,,")))
	o.BatchLinger = time.Hour
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, o)
	if rep["bad@example.com"]["status"] != "failed" || !strings.Contains(rep["bad@example.com"]["error"], "add to group 'IRA'") {
		t.Errorf("bad row = %v", rep["bad@example.com"])
	}
	if rep["good@example.com"]["status"] != "ok" || rep["fine@example.com"]["status"] != "ok" {
		t.Errorf("good rows = %v, %v", rep["good@example.com"], rep["fine@example.com"])
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	f := newFakeOrg()
	f.users["old@example.com"] = &User{ID: "u-old", Name: "Old", Email: "old@example.com", State: "active", DivisionID: "home", GroupIDs: []string{"g1"}}
	f.grants["u-old"] = []Grant{{RoleID: "r2", DivisionID: "home"}}
	o := quick(writeCSV(t, row("New", "IRA,Agent,Site,WebRTC"), row("Old", "Annuities,Agent,,")))
	o.DryRun = true
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	if f.writes != 0 {
		t.Errorf("%d writes in a dry run", f.writes)
	}
	rep := readReport(t, o)
	if got := rep["new@example.com"]; got["action"] != "create" || got["status"] != "planned" {
		t.Errorf("new row = %v", got)
	}
	if got := rep["old@example.com"]; got["action"] != "none" || got["status"] != "planned" {
		t.Errorf("unchanged row = %v", got)
	}
}

func TestAuthFailureStopsTheRun(t *testing.T) {
	f := newFakeOrg()
	f.FindFunc = func(email string) error {
		if email == "c@example.com" {
			return &RemoteError{Status: 401, Code: "bad.credentials", Kind: ErrAuth}
		}
		return nil
	}
	var rows []string
	for _, n := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
		rows = append(rows, row(n, ",,,"))
	}
	o := quick(writeCSV(t, rows...))
	o.Workers = 1
	sum, err := Run(context.Background(), f.services(), o)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if sum.Total != len(rows) {
		t.Errorf("%d rows reported, want %d: every row is accounted for", sum.Total, len(rows))
	}
	if sum.ByStatus[StatusSkipped] == 0 {
		t.Errorf("no row skipped after the credentials were rejected: %v", sum)
	}
}

func TestRareGrantsGoInOneCallPerUser(t *testing.T) {
	f := newFakeOrg()
	// Agent in Home is shared by both rows: batched. Each row's other grants are its own:
	// one bulk call per user for all of them.
	o := quick(writeCSV(t,
		row("Una", `,"Agent,Communicate - User:Sales,Communicate - User:*",,`),
		row("Dos", `,"Agent,Communicate - User:Support",,`),
	))
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	if len(f.roleCalls) != 1 || len(f.roleCalls[0]) != 2 {
		t.Errorf("batched grant calls %v, want one call for both users", f.roleCalls)
	}
	if len(f.bulkCalls) != 2 {
		t.Errorf("%d bulk grant calls, want one per user", len(f.bulkCalls))
	}
	for _, c := range f.bulkCalls {
		if len(c) != 2 && len(c) != 1 {
			t.Errorf("bulk call %v", c)
		}
	}
	if got := f.grants[f.users["una@example.com"].ID]; !slices.Contains(got, Grant{RoleID: "r1", DivisionID: "*"}) || !slices.Contains(got, Grant{RoleID: "r1", DivisionID: "d2"}) {
		t.Errorf("una's grants %v", got)
	}
}

func TestResumeFromAReportNeverWritten(t *testing.T) {
	f := newFakeOrg()
	o := quick(writeCSV(t, row("Ana", ",,,")))
	o.Resume = o.ReportPath // the killed run died before writing it
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatalf("resume of the same, missing report: %v", err)
	}
	o2 := quick(writeCSV(t, row("Bea", ",,,")))
	o2.Resume = filepath.Join(t.TempDir(), "typo.csv")
	if _, err := Run(context.Background(), f.services(), o2); err == nil {
		t.Errorf("resume from another report that does not exist: no error")
	}
}

// Duplicates are reported with the line of the first row, whether the hashed check confirms
// them with a second read or a hash collision sends the check back to exact addresses.
func TestDuplicateEmails(t *testing.T) {
	file := writeCSV(t, row("Ann", ",,,"), row("Bob", ",,,"), strings.Replace(row("Ann", ",,,"), "ann@", "ANN@", 1), row("Cid", ",,,"), row("Bob", ",,,"))
	for _, tt := range []struct {
		name string
		hash func(string) uint64
	}{
		{"hashed", nil},
		{"every hash colliding", func(string) uint64 { return 42 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := quick(file)
			o.ReportPath = filepath.Join(t.TempDir(), "report.csv")
			o.seenHash = tt.hash
			sum, err := Validate(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, rec := range readRecords(t, o.ReportPath)[1:] {
				got[rec[0]] = rec[5] // line → error
			}
			want := map[string]string{
				"2": "", "3": "", "5": "",
				"4": "column 2 (EMAIL): email 'ANN@example.com' already appears on line 2",
				"6": "column 2 (EMAIL): email 'bob@example.com' already appears on line 3",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("errors by line:\n got %v\nwant %v", got, want)
			}
			if sum.Total != 5 {
				t.Errorf("total %d, want 5", sum.Total)
			}
		})
	}
}
