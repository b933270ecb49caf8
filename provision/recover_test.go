package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// observed gives o a logger that the test can read.
func observed(o *Options) *observer.ObservedLogs {
	core, logs := observer.New(zapcore.DebugLevel)
	o.Log = zap.New(core)
	return logs
}

// checkInternal checks that the row failed with an internal error naming the panic, with no
// stack in the report, and that the stack was logged at error level.
func checkInternal(t *testing.T, got map[string]string, logs *observer.ObservedLogs, want string) {
	t.Helper()
	if got["status"] != "failed" || !strings.Contains(got["error"], want) {
		t.Errorf("row = %v, want failed with %q", got, want)
	}
	if strings.Contains(got["error"], "goroutine") || strings.Contains(got["error"], ".go:") {
		t.Errorf("the report holds a stack: %q", got["error"])
	}
	entries := logs.FilterLevelExact(zapcore.ErrorLevel).FilterMessage("internal error").All()
	if len(entries) == 0 || !strings.Contains(entries[0].ContextMap()["stack"].(string), "goroutine") {
		t.Errorf("the panic's stack was not logged at error level: %v", entries)
	}
}

func TestPanicInRowFailsThatRowOnly(t *testing.T) {
	f := newFakeOrg()
	f.CreateFunc = func(in NewUser) error {
		if in.Email == "bad@example.com" {
			panic("boom")
		}
		return nil
	}
	o := quick(writeCSV(t, row("Good", "IRA,Agent,,"), row("Bad", "IRA,Agent,,"), row("Fine", "Annuities,,,")))
	logs := observed(&o)
	sum, err := Run(context.Background(), f.services(), o)
	if err != nil {
		t.Fatalf("Run = %v, want nil: a row's panic is the row's failure", err)
	}
	rep := readReport(t, o)
	if len(rep) != 3 || sum.Total != 3 || sum.ByStatus[StatusFailed] != 1 {
		t.Errorf("report has %d rows, summary %+v; want 3 rows, 1 failed", len(rep), sum)
	}
	checkInternal(t, rep["bad@example.com"], logs, "internal error: boom")
	if got := rep["bad@example.com"]["error"]; got != "internal error: boom" {
		t.Errorf("error = %q, want %q", got, "internal error: boom")
	}
	for _, e := range []string{"good@example.com", "fine@example.com"} {
		if rep[e]["status"] != "ok" {
			t.Errorf("%s = %v, want ok", e, rep[e])
		}
	}
}

func TestPanicInBatchFailsItsRowsOnly(t *testing.T) {
	f := newFakeOrg()
	f.AddMembersFunc = func(ids []string) error {
		f.mu.Lock()
		bad := f.users["bad@example.com"]
		f.mu.Unlock()
		for _, id := range ids {
			if bad != nil && id == bad.ID {
				panic("batch boom")
			}
		}
		return nil
	}
	// Good and Bad share the IRA batch; Fine's group is another batch.
	o := quick(writeCSV(t, row("Good", "IRA,,,"), row("Bad", "IRA,,,"), row("Fine", "Annuities,,,")))
	o.BatchLinger = time.Hour
	logs := observed(&o)
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, o)
	if len(rep) != 3 {
		t.Errorf("report has %d rows, want 3", len(rep))
	}
	for _, e := range []string{"good@example.com", "bad@example.com"} {
		checkInternal(t, rep[e], logs, "add to group 'IRA': internal error: batch boom")
	}
	if rep["fine@example.com"]["status"] != "ok" {
		t.Errorf("fine row = %v, want ok", rep["fine@example.com"])
	}
}

func TestPanicInStationPollFailsThatRow(t *testing.T) {
	f := newFakeOrg()
	f.StationFunc = func(string) error { panic("station boom") }
	o := quick(writeCSV(t, row("Cy", ",,Site,WebRTC"), row("Di", "IRA,,,")))
	logs := observed(&o)
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, o)
	checkInternal(t, rep["cy@example.com"], logs, "find station: internal error: station boom")
	if rep["di@example.com"]["status"] != "ok" {
		t.Errorf("other row = %v, want ok", rep["di@example.com"])
	}
}

// managersFile writes a file whose second row's manager is the first row.
func managersFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "users.csv")
	body := "NAME,EMAIL,PASSWORD,EMAIL_MANAGER\n" +
		"Boss,boss@example.com,Passw0rd!x,\n" +
		"Emp,emp@example.com,Passw0rd!x,boss@example.com\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPanicInManagersPassFailsThatRow(t *testing.T) {
	f := newFakeOrg()
	f.UpdateFunc = func(p UserPatch) error {
		if p.Manager != nil {
			panic("manager boom")
		}
		return nil
	}
	o := quick(managersFile(t))
	logs := observed(&o)
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, o)
	checkInternal(t, rep["emp@example.com"], logs, "set manager: internal error: manager boom")
	if rep["boss@example.com"]["status"] != "ok" {
		t.Errorf("boss row = %v, want ok", rep["boss@example.com"])
	}
}

// TestPanicInReadingFailsPartway checks that a panic on Run's own goroutine once rows are
// reported (here the managers pass's lookup) ends the run with ErrPartway, and that the
// report keeps the rows that finished.
func TestPanicInReadingFailsPartway(t *testing.T) {
	f := newFakeOrg()
	f.FindFunc = func(email string) error {
		f.mu.Lock()
		created := f.users["boss@example.com"] != nil
		f.mu.Unlock()
		if email == "boss@example.com" && created {
			panic("lookup boom")
		}
		return nil
	}
	o := quick(managersFile(t))
	observed(&o)
	_, err := Run(context.Background(), f.services(), o)
	if !errors.Is(err, ErrPartway) || !errors.Is(err, errInternal) || !strings.Contains(err.Error(), "lookup boom") {
		t.Fatalf("Run = %v, want ErrPartway from an internal error", err)
	}
	rep := readReport(t, o)
	if len(rep) != 2 || rep["boss@example.com"]["status"] != "ok" || rep["emp@example.com"]["status"] != "ok" {
		t.Errorf("report = %v, want both rows ok", rep)
	}
}

// panicWriter panics on every write.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("disk boom") }

// TestPanicInReportWriterDrains checks that the report writer turns a panic into its error
// and still takes every result, so that no row waits for it forever.
func TestPanicInReportWriterDrains(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	p := &pipeline{o: Options{ReportPath: "r.csv"}, log: zap.NewNop(), cancelAPI: cancel,
		results: make(chan Result), inflight: make(chan struct{}, 4)}
	done := make(chan error, 1)
	var sum Summary
	go func() { done <- p.write(newReportWriter(panicWriter{}), &sum) }()
	for i := range 3 {
		p.inflight <- struct{}{}
		p.open.Add(1)
		p.results <- Result{Line: i + 2, Email: "a@example.com", Status: StatusOK}
	}
	close(p.results)
	err := <-done
	p.open.Wait()
	if !errors.Is(err, errInternal) || !strings.Contains(err.Error(), "disk boom") {
		t.Errorf("write = %v, want an internal error", err)
	}
	if !errors.Is(context.Cause(ctx), errInternal) {
		t.Errorf("the run was not stopped: cause %v", context.Cause(ctx))
	}
	if sum.Total != 3 {
		t.Errorf("summary counts %d rows, want 3", sum.Total)
	}
}
