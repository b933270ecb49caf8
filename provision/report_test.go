package provision

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gocarina/gocsv"
)

func TestReportWriter(t *testing.T) {
	const header = "line,email,action,status,user_id,error,correlation_id,changes,row_hash\n"
	tests := []struct {
		name    string
		results []Result
		want    string
	}{
		{name: "empty report has its header", want: header},
		{name: "ok and failed", results: []Result{
			{Line: 2, Email: "sk367@wayne.enterprises.com", Action: ActionCreate, Status: StatusOK, UserID: "u-1"},
			{Line: 4, Email: "bw367@wayne.enterprises.com", Action: ActionCreate, Status: StatusFailed,
				Err: "ROLE: role 'Comunicate - User' not found in org", CorrelationID: "c-9"},
		}, want: header +
			"2,sk367@wayne.enterprises.com,create,ok,u-1,,,,\n" +
			"4,bw367@wayne.enterprises.com,create,failed,,ROLE: role 'Comunicate - User' not found in org,c-9,,\n"},
		{name: "quoting", results: []Result{
			{Line: 3, Email: "a@x.com", Action: ActionNone, Status: StatusInvalid, Err: "NAME: a \" inside a cell, here"},
		}, want: header + "3,a@x.com,none,invalid,,\"NAME: a \"\" inside a cell, here\",,,\n"},
		{name: "formula injection", results: []Result{
			{Line: 2, Email: "=HYPERLINK(\"http://evil\")", Action: ActionNone, Status: StatusInvalid, Err: "=1+1"},
			{Line: 3, Email: "+1", Action: ActionNone, Status: StatusInvalid, Err: "-1"},
			{Line: 4, Email: "@SUM(A1)", Action: ActionNone, Status: StatusInvalid, Err: "\tx"},
			{Line: 5, Email: "a-b@x.com", Action: ActionNone, Status: StatusSkipped, UserID: "-id-"},
		}, want: header +
			"2,\"'=HYPERLINK(\"\"http://evil\"\")\",none,invalid,,'=1+1,,,\n" +
			"3,'+1,none,invalid,,'-1,,,\n" +
			"4,'@SUM(A1),none,invalid,,'\tx,,,\n" +
			"5,a-b@x.com,none,skipped,'-id-,,,,\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := newReportWriter(&buf)
			for _, r := range tt.results {
				if err := w.Write(r); err != nil {
					t.Fatalf("Write: %v", err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("report:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestReportHeader checks the header that reportRow's tags make (scripts read these names),
// and that a row is written as gocsv would write it.
func TestReportHeader(t *testing.T) {
	want := []string{"line", "email", "action", "status", "user_id", "error", "correlation_id", "changes", "row_hash"}
	if !slices.Equal(reportHeader, want) {
		t.Errorf("header %q, want %q", reportHeader, want)
	}
	row := reportRow{Line: "2", Email: "e", Action: "a", Status: "s", UserID: "u", Error: "x",
		CorrelationID: "c", Changes: "ch", RowHash: "h"}
	var gocsvRec headerOnly
	if err := gocsv.MarshalCSVWithoutHeaders([]reportRow{row}, &gocsvRec); err != nil {
		t.Fatal(err)
	}
	if got := row.appendRecord(nil); !slices.Equal(got, gocsvRec.header) {
		t.Errorf("record %q, gocsv writes %q", got, gocsvRec.header)
	}
	var back []reportRow
	if err := decodeRows([][]string{row.appendRecord(nil)}, &back); err != nil || len(back) != 1 || back[0] != row {
		t.Errorf("read back as %+v, %v", back, err)
	}
}

func TestReportWriterFlushesEachRow(t *testing.T) {
	var buf bytes.Buffer
	w := newReportWriter(&buf)
	if err := w.Write(Result{Line: 2, Email: "a@x.com", Action: ActionCreate, Status: StatusOK}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(buf.String(), "2,a@x.com,create,ok,,,,,\n") {
		t.Errorf("row not flushed: %q", buf.String())
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestReportWriterErrors(t *testing.T) {
	full := errors.New("no space left on device")
	t.Run("write", func(t *testing.T) {
		w := newReportWriter(failingWriter{full})
		err := w.Write(Result{Line: 2, Email: "a@x.com", Status: StatusOK})
		if !errors.Is(err, full) {
			t.Errorf("Write = %v, want %v", err, full)
		}
	})
	t.Run("close", func(t *testing.T) {
		w := newReportWriter(failingWriter{full})
		if err := w.Close(); !errors.Is(err, full) {
			t.Errorf("Close = %v, want %v", err, full)
		}
		if err := w.Close(); err != nil {
			t.Errorf("second Close = %v, want nil", err)
		}
		if err := w.Write(Result{}); err == nil {
			t.Error("Write after Close succeeded")
		}
	})
}

func TestCreateReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.results.csv")
	if err := os.WriteFile(path, []byte("old content that must go away\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := openNewReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Result{Line: 2, Email: "a@x.com", Action: ActionUpdate, Status: StatusOK, UserID: "u1"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const want = "line,email,action,status,user_id,error,correlation_id,changes,row_hash\n2,a@x.com,update,ok,u1,,,,\n"
	if string(b) != want {
		t.Errorf("report = %q, want %q", b, want)
	}

	bad := filepath.Join(dir, "missing-dir", "r.csv")
	if _, err := openNewReport(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("openNewReport(%s) = %v, want an error naming the path", bad, err)
	}
}

func TestSummaryString(t *testing.T) {
	tests := []struct {
		name    string
		results []Result
		want    string
	}{
		{name: "empty", want: "0 rows"},
		{name: "one", results: []Result{{Action: ActionCreate, Status: StatusOK}}, want: "1 row: 1 ok (1 created)"},
		{name: "brief example", results: []Result{
			{Action: ActionCreate, Status: StatusOK},
			{Action: ActionNone, Status: StatusOK},
			{Action: ActionCreate, Status: StatusFailed},
			{Action: ActionCreate, Status: StatusOK},
		}, want: "4 rows: 3 ok (2 created, 1 unchanged), 1 failed"},
		{name: "every action", results: []Result{
			{Action: ActionNone, Status: StatusOK},
			{Action: ActionDeactivate, Status: StatusOK},
			{Action: ActionRestore, Status: StatusOK},
			{Action: ActionUpdate, Status: StatusOK},
			{Action: ActionCreate, Status: StatusOK},
		}, want: "5 rows: 5 ok (1 created, 1 updated, 1 restored, 1 deactivated, 1 unchanged)"},
		{name: "dry run", results: []Result{
			{Action: ActionCreate, Status: StatusPlanned},
			{Action: ActionUpdate, Status: StatusPlanned},
			{Action: ActionNone, Status: StatusPlanned},
		}, want: "3 rows: 3 planned (1 to create, 1 to update, 1 unchanged)"},
		{name: "invalid blocks the run", results: []Result{
			{Action: ActionNone, Status: StatusInvalid},
			{Action: ActionNone, Status: StatusSkipped},
			{Action: ActionNone, Status: StatusSkipped},
		}, want: "3 rows: 1 invalid, 2 skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Summary
			for _, r := range tt.results {
				s.Add(r)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if s.Total != len(tt.results) {
				t.Errorf("Total = %d, want %d", s.Total, len(tt.results))
			}
		})
	}
}

func TestSummaryCounts(t *testing.T) {
	s := Summary{ByStatus: map[Status]int{}} // partly initialised by hand: Add must cope
	s.Add(Result{Action: ActionCreate, Status: StatusOK})
	s.Add(Result{Action: ActionCreate, Status: StatusFailed})
	if s.ByStatus[StatusOK] != 1 || s.ByStatus[StatusFailed] != 1 || s.ByAction[ActionCreate] != 2 {
		t.Errorf("counts = %+v", s)
	}
}
