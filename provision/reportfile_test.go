package provision

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
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
		w, err := CreateReport(path)
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
		w, err := CreateReport(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkPerm(t, path, 0o640)
	})
	for _, perm := range []fs.FileMode{0o600, 0o640} {
		t.Run("mergeReport keeps "+perm.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.csv")
			writeFileMode(t, path, strings.Join(reportHeader, ",")+"\n2,a@x.com,create,ok,u1,,,,\n", perm)
			if _, err := mergeReport(path, map[int]managerChange{2: {updated: true, manager: "m@x.com"}}); err != nil {
				t.Fatal(err)
			}
			checkPerm(t, path, perm)
		})
		t.Run("resume keeps "+perm.String(), func(t *testing.T) {
			input := writeCSV(t, row("Ann", ",,,"))
			o := quick(input)
			o.ValidateOnly = true // no API call: only the report's handling matters here
			o.Resume = o.ReportPath
			writeFileMode(t, o.ReportPath, strings.Join(reportHeader, ",")+"\n2,ann@example.com,create,ok,u1,,,,\n", perm)
			if _, err := Run(context.Background(), newFakeOrg().services(), o); err != nil {
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
	t.Run("CreateReport", func(t *testing.T) {
		link := filepath.Join(dir, "r.csv")
		if err := os.Symlink(target, link); err != nil {
			t.Skip(err)
		}
		w, err := CreateReport(link)
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
	t.Run("mergeReport", func(t *testing.T) {
		path := filepath.Join(dir, "m.csv")
		writeFileMode(t, path, strings.Join(reportHeader, ",")+"\n2,a@x.com,create,ok,u1,,,,\n", 0o600)
		// A link where the old code put its temporary file.
		if err := os.Symlink(target, path+".tmp"); err != nil {
			t.Skip(err)
		}
		if _, err := mergeReport(path, map[int]managerChange{2: {updated: true, manager: "m@x.com"}}); err != nil {
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
	w := NewReportWriter(&buf)
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
