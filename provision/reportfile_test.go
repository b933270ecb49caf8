package provision

import (
	"bytes"
	"context"
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRunRefusesReportThatIsInput(t *testing.T) {
	tests := []struct {
		name   string
		report func(t *testing.T, input string) string
	}{
		{"same path", func(t *testing.T, input string) string { return input }},
		{"symbolic link", func(t *testing.T, input string) string {
			link := filepath.Join(t.TempDir(), "report.csv")
			if err := os.Symlink(input, link); err != nil {
				t.Skip(err)
			}
			return link
		}},
		{"hard link", func(t *testing.T, input string) string {
			link := filepath.Join(filepath.Dir(input), "report.csv")
			if err := os.Link(input, link); err != nil {
				t.Skip(err)
			}
			return link
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := writeCSV(t, row("Ann", ",,,"), row("Bob", ",,,"))
			before, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			o := quick(input)
			o.ReportPath = tt.report(t, input)
			_, err = Run(context.Background(), newFakeOrg().services(), o)
			if err == nil || !strings.Contains(err.Error(), "is the input file") {
				t.Errorf("Run = %v, want a refusal of the report path", err)
			}
			after, _ := os.ReadFile(input)
			if !bytes.Equal(before, after) {
				t.Errorf("input changed:\n%s", after)
			}
			if ents, _ := filepath.Glob(o.ReportPath + ".*"); len(ents) > 0 {
				t.Errorf("files written: %v", ents)
			}
		})
	}
}

func TestReportPermissions(t *testing.T) {
	t.Run("new report is 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.csv")
		w, err := openNewReport(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkPerm(t, path, 0o600)
	})
	t.Run("replaced report keeps its mode", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.csv")
		writeFileMode(t, path, "old\n", 0o640)
		w, err := openNewReport(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkPerm(t, path, 0o640)
	})
	for _, perm := range []fs.FileMode{0o600, 0o640} {
		t.Run("finishReport keeps "+perm.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			writeFileMode(t, path, strings.Join(reportHeader, ",")+"\n2,a@x.com,create,ok,u1,,,,\n", perm)
			if _, err := finishReport(path, map[int]managerChange{2: {updated: true, manager: "m@x.com"}}); err != nil {
				t.Fatal(err)
			}
			checkPerm(t, path, perm)
		})
		t.Run("resume keeps "+perm.String(), func(t *testing.T) {
			input := writeCSV(t, row("Ann", ",,,"))
			o := quick(input)
			o.Resume = o.ReportPath
			writeFileMode(t, o.ReportPath, strings.Join(reportHeader, ",")+"\n2,ann@example.com,create,ok,u1,,,,\n", perm)
			// No API call: only the report's handling matters here.
			if _, err := Validate(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			checkPerm(t, o.ReportPath, perm)
		})
	}
}

func writeFileMode(t *testing.T, path, body string, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // past the umask
		t.Fatal(err)
	}
}

func checkPerm(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

func TestReportReplacesSymlinkNotTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "precious.txt")
	writeFileMode(t, target, "precious\n", 0o644)
	t.Run("openNewReport", func(t *testing.T) {
		link := filepath.Join(dir, "r.csv")
		if err := os.Symlink(target, link); err != nil {
			t.Skip(err)
		}
		w, err := openNewReport(link)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(Result{Line: 2, Email: "a@x.com", Status: StatusOK}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkPerm(t, link, 0o600) // a regular file now
		if b, _ := os.ReadFile(target); string(b) != "precious\n" {
			t.Errorf("link target = %q, want it untouched", b)
		}
	})
	t.Run("finishReport", func(t *testing.T) {
		path := filepath.Join(dir, "m.csv")
		writeFileMode(t, path, strings.Join(reportHeader, ",")+"\n2,a@x.com,create,ok,u1,,,,\n", 0o600)
		// A link where the old code put its temporary file.
		if err := os.Symlink(target, path+".tmp"); err != nil {
			t.Skip(err)
		}
		if _, err := finishReport(path, map[int]managerChange{2: {updated: true, manager: "m@x.com"}}); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(target); string(b) != "precious\n" {
			t.Errorf("link target = %q, want it untouched", b)
		}
	})
}

// TestReportTimedSync checks that a row reaches the disk on the timer when no other row
// comes to trigger a sync.
func TestReportTimedSync(t *testing.T) {
	ticks := make(chan time.Time)
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := createReport(path, 0o600, func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} })
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	synced := make(chan struct{}, 10)
	w.syncFile = func() error { synced <- struct{}{}; return w.file.Sync() }
	w.lastSync.Store(time.Now().Add(time.Hour).UnixNano()) // no sync on rows
	if err := w.Write(Result{Line: 2, Email: "a@x.com", Status: StatusOK}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-synced:
		t.Fatal("synced on the row, before the tick")
	default:
	}
	deadline := time.After(10 * time.Second)
	select {
	case ticks <- time.Now():
	case <-deadline:
		t.Fatal("no timer is running")
	}
	select {
	case <-synced:
	case <-deadline:
		t.Fatal("the tick did not sync the report")
	}
}

func TestDefuseFormula(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"x;=cmd|' /C calc'!A0", "x;'=cmd|' /C calc'!A0"},
		{"a, +b", "a, '+b"},
		{"a,\"@x", "a,\"'@x"},
		{"title: 'A' → 'B'; add queue 'Billing'", "title: 'A' → 'B'; add queue 'Billing'"},
		{"a-b@x.com", "a-b@x.com"},
		{"'=x", "''=x"}, // so that undefuse gives it back
		{"x; ''-y", "x; '''-y"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := defuseFormula(tt.in); got != tt.want {
			t.Errorf("defuseFormula(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := undefuse(defuseFormula(tt.in)); got != tt.in {
			t.Errorf("undefuse(defuseFormula(%q)) = %q", tt.in, got)
		}
	}
}

func TestReportServerCells(t *testing.T) {
	var buf bytes.Buffer
	w := newReportWriter(&buf)
	w.Scrub("tok-123")
	long := strings.Repeat("é", 3*maxCellChars)
	res := Result{Line: 2, Email: "a@x.com", Action: ActionCreate, Status: StatusFailed,
		UserID: "=u1", CorrelationID: "@c1", Changes: "ok; -x",
		Err:    `create user: echo {"password":"S3cr\"t!pw","token":"tok-123"} ` + long,
		secret: `S3cr"t!pw`}
	if err := w.Write(res); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	recs := readCSVString(t, buf.String())
	got := recs[1]
	if got[4] != "'=u1" || got[6] != "'@c1" || got[7] != "ok; '-x" {
		t.Errorf("user_id, correlation_id, changes = %q, %q, %q: want each defused", got[4], got[6], got[7])
	}
	for _, secret := range []string{"S3cr", "tok-123"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("report holds %q: %s", secret, got[5][:100])
		}
	}
	if !strings.Contains(got[5], `"password":"[redacted]"`) {
		t.Errorf("error = %.100q, want the password redacted", got[5])
	}
	if n := utf8.RuneCountInString(got[5]); n > maxCellChars || !strings.HasSuffix(got[5], cutMarker) {
		t.Errorf("error cell: %d characters, ends %q; want at most %d, ending %q", n, got[5][len(got[5])-20:], maxCellChars, cutMarker)
	}
	if again := capCell(got[5]); again != got[5] {
		t.Error("capCell cut a cut cell again")
	}
}

// TestRunScrubsPassword runs a row whose create fails with an error that echoes the
// request, password included.
func TestRunScrubsPassword(t *testing.T) {
	f := newFakeOrg()
	f.CreateFunc = func(in NewUser) error {
		return &RemoteError{Op: "POST /api/v2/users", Status: 400, Code: "bad.request",
			Message: `proxy echo: {"email":"` + in.Email + `","password":"` + in.Password + `"}`, Kind: ErrRejected}
	}
	o := quick(writeCSV(t, row("Ann", ",,,")))
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(o.ReportPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Passw0rd") || !strings.Contains(string(b), "[redacted]") {
		t.Errorf("report:\n%s\nwant the password redacted", b)
	}
}

func readCSVString(t *testing.T, s string) [][]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.csv")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return readRecords(t, path)
}

// TestFinishReport checks the rewrite at the end of a run: rows by line, the rows of no line
// (deactivations) last in the order written, the managers pass's changes applied, records
// with line breaks in a cell and a last line without one copied whole, and the rows counted.
func TestFinishReport(t *testing.T) {
	head := strings.Join(reportHeader, ",") + "\n"
	incremental := head +
		"5,e@x.com,create,ok,u5,,,,h5\n" +
		"3,c@x.com,none,ok,u3,,,,h3\n" +
		",old1@x.com,deactivate,ok,u8,,,state: active → inactive,\n" +
		"2,b@x.com,update,failed,,\"two\nlines, quoted\",c-1,,h2\n" +
		"4,d@x.com,create,ok,u4,,,\"title: 'a' → 'b'\",h4\n" +
		",old2@x.com,deactivate,ok,u9,,,state: active → inactive,\n" +
		"6,f@x.com,create,ok,u6,,,,h6" // no line break: copied with one
	want := head +
		"2,b@x.com,update,failed,,\"two\nlines, quoted\",c-1,,h2\n" +
		"3,c@x.com,update,ok,u3,,,manager → boss@x.com,h3\n" +
		"4,d@x.com,create,failed,u4,set manager: boom,,title: 'a' → 'b',h4\n" +
		"5,e@x.com,create,ok,u5,,,,h5\n" +
		"6,f@x.com,create,ok,u6,,,,h6\n" +
		",old1@x.com,deactivate,ok,u8,,,state: active → inactive,\n" +
		",old2@x.com,deactivate,ok,u9,,,state: active → inactive,\n"
	path := filepath.Join(t.TempDir(), "r.csv")
	writeFileMode(t, path, incremental, 0o640)
	sum, err := finishReport(path, map[int]managerChange{
		3: {updated: true, manager: "boss@x.com"},
		4: {err: "set manager: boom"},
		9: {updated: true, manager: "not@x.com"}, // a line not in the report
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Errorf("report:\n%s\nwant:\n%s", b, want)
	}
	checkPerm(t, path, 0o640)
	if got, want := sum.String(), "7 rows: 5 ok (2 created, 1 updated, 2 deactivated), 2 failed"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if ents, _ := filepath.Glob(path + ".tmp-*"); len(ents) > 0 {
		t.Errorf("left behind: %v", ents)
	}

	t.Run("in order and unchanged: left as it is", func(t *testing.T) {
		before, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := finishReport(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		after, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !os.SameFile(before, after) {
			t.Error("report rewritten, want it left as it is")
		}
		if sum.Total != 7 || sum.ByStatus[StatusFailed] != 2 {
			t.Errorf("summary %v", sum)
		}
	})
	t.Run("not a report", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.csv")
		writeFileMode(t, bad, "name,email\nx,y\n", 0o600)
		if _, err := finishReport(bad, nil); err == nil || !strings.Contains(err.Error(), "not a report") {
			t.Errorf("finishReport = %v, want not a report", err)
		}
	})
}

// TestRunReportInFileOrder resumes a run killed after it reported its last rows first: the
// report it left is in the order rows finished, with a torn last line. The resumed run
// carries those rows, runs the others, sets a manager in the managers pass and deactivates
// the users missing from the file; its report is in file order, the deactivations last.
func TestRunReportInFileOrder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users.csv")
	body := "NAME,EMAIL,PASSWORD,EMAIL_MANAGER\n" +
		"Boss,boss@example.com,Passw0rd!x,\n" +
		"Emp,emp@example.com,Passw0rd!x,boss@example.com\n" +
		"Cy,cy@example.com,Passw0rd!x,\n" +
		"Di,di@example.com,Passw0rd!x,\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFakeOrg()
	o := quick(p)
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	first := map[string][]string{} // by line
	for _, r := range readRecords(t, o.ReportPath) {
		first[r[0]] = r
	}
	if len(first) != 5 {
		t.Fatalf("first report: %q", first)
	}

	// The killed run's report: lines 5 and 4 ok, then a torn line.
	var b strings.Builder
	cw := csv.NewWriter(&b)
	_ = cw.Write(first["line"])
	_ = cw.Write(first["5"])
	_ = cw.Write(first["4"])
	cw.Flush()
	b.WriteString("2,boss@example.com,cre")
	writeFileMode(t, o.ReportPath, b.String(), 0o600)
	// Since then, Emp lost the manager, and two users of the scope left the file.
	f.mu.Lock()
	f.users["emp@example.com"].ManagerID = ""
	home := f.users["boss@example.com"].DivisionID
	for _, e := range []string{"gone1@example.com", "gone2@example.com"} {
		f.users[e] = &User{ID: f.id(), Email: e, State: "active", DivisionID: home, Version: 1}
	}
	f.mu.Unlock()

	o.Resume = o.ReportPath
	o.DeactivateMissing, o.ScopeDivision, o.MaxDeactivate = true, map[string]string{"home": "Home", "d2": "Sales", "d3": "Support"}[home], "2"
	sum, err := Run(context.Background(), f.services(), o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Resume == nil || sum.Resume.Carried != 2 || sum.Resume.Torn != 1 {
		t.Errorf("resume %+v, want 2 carried and 1 torn line", sum.Resume)
	}
	if got, want := sum.String(), "6 rows: 6 ok (2 created, 1 updated, 2 deactivated, 1 unchanged)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	recs := readRecords(t, o.ReportPath)
	var order []string
	for _, r := range recs[1:] {
		order = append(order, r[0]+" "+r[1])
	}
	want := []string{"2 boss@example.com", "3 emp@example.com", "4 cy@example.com", "5 di@example.com",
		" gone1@example.com", " gone2@example.com"}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		// The deactivations follow the order the org lists them in: compare them as a set.
		if len(order) != len(want) || strings.Join(order[:4], "|") != strings.Join(want[:4], "|") ||
			!sameStrings(order[4:], want[4:]) {
			t.Errorf("report rows:\n%s\nwant:\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
		}
	}
	rep := readReport(t, o)
	if got := rep["emp@example.com"]; got["status"] != "ok" || !strings.Contains(got["changes"], "manager → boss@example.com") {
		t.Errorf("emp row %v, want the manager set", got)
	}
	if got := rep["di@example.com"]; got["action"] != "create" || got["user_id"] != first["5"][4] {
		t.Errorf("di row %v, want it carried from %v", got, first["5"])
	}
	checkPerm(t, o.ReportPath, 0o600)
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
