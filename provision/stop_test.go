package provision

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestStopCause checks the error of the rows a stop skips: Options.StopCause's words, or
// "interrupted", whether the stop came before the rows were read or while they waited for
// a worker.
func TestStopCause(t *testing.T) {
	tests := []struct {
		name   string
		cause  func() string
		during bool // Stop closes while the first row runs, not before the run
		want   string
	}{
		{"before, no cause", nil, false, "not attempted: interrupted"},
		{"before, a cause", func() string { return "the access token ran out" }, false, "not attempted: the access token ran out"},
		{"during, a cause", func() string { return "the access token ran out" }, true, "not attempted: the access token ran out"},
		{"during, no cause", nil, true, "not attempted: interrupted"},
		{"an empty cause", func() string { return "" }, false, "not attempted: interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOrg()
			stop := make(chan struct{})
			var once sync.Once
			if tt.during {
				f.CreateFunc = func(NewUser) error { once.Do(func() { close(stop) }); return nil }
			} else {
				close(stop)
			}
			o := quick(writeCSV(t, row("Ann", "IRA,,,"), row("Bo", "IRA,,,"), row("Cy", "IRA,,,")))
			o.Workers, o.Stop, o.StopCause = 1, stop, tt.cause
			if _, err := Run(context.Background(), f.services(), o); err != nil {
				t.Fatal(err)
			}
			rep := readReport(t, o)
			for _, email := range []string{"bo@example.com", "cy@example.com"} {
				if got := rep[email]; got["status"] != "skipped" || got["error"] != tt.want {
					t.Errorf("%s = %v, want skipped with %q", email, got, tt.want)
				}
			}
			if ann := rep["ann@example.com"]; tt.during && ann["status"] != "ok" {
				t.Errorf("ann = %v, want ok: it ran before the stop", ann)
			}
		})
	}
}

// TestTokenEndedFailsTheRowOnly checks that a call failing because the token ended and
// cannot be renewed fails its row and no other, even when the error is a rejection as well:
// unlike rejected credentials, it does not cancel the run (the caller stops it gracefully).
func TestTokenEndedFailsTheRowOnly(t *testing.T) {
	ended := fmt.Errorf("%w: %w", ErrTokenEnded, &RemoteError{Op: "POST /api/v2/users", Status: 401, Message: "token expired", Kind: ErrAuth})
	tests := []struct {
		name   string
		script func(f *fakeOrg)
		step   string
	}{
		{"a row's own call", func(f *fakeOrg) {
			f.CreateFunc = func(in NewUser) error {
				if in.Email == "ann@example.com" {
					return ended
				}
				return nil
			}
		}, "create user: "},
		{"the batched lookup", func(f *fakeOrg) {
			f.FindFunc = func(email string) error {
				if strings.EqualFold(email, "ann@example.com") {
					return ended
				}
				return nil
			}
		}, "look up user: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOrg()
			tt.script(f)
			o := quick(writeCSV(t, row("Ann", "IRA,,,"), row("Bo", "IRA,,,"), row("Cy", "IRA,,,")))
			o.Workers = 1 // Ann first: a cancelled run would skip the others
			sum, err := Run(context.Background(), f.services(), o)
			if err != nil {
				t.Fatalf("Run = %v, want nil: the row fails, the run goes on", err)
			}
			rep := readReport(t, o)
			if ann := rep["ann@example.com"]; ann["status"] != "failed" || !strings.HasPrefix(ann["error"], tt.step) {
				t.Errorf("ann = %v, want failed at %q", ann, tt.step)
			}
			if sum.ByStatus[StatusOK] != 2 {
				t.Errorf("summary %+v, want Bo and Cy ok; report %v", sum, rep)
			}
		})
	}
}
