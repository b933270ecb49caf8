package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const nightly = `OAuth client "Nightly import" (c1)`

// client is a fakeWho of the OAuth client "Nightly import", holding perms.
func client(perms ...string) *fakeWho {
	return &fakeWho{priv: Privileges{Subject: nightly, Name: "Nightly import", Roles: []string{"User provisioning"},
		Permissions: perms, TokenLifetime: time.Hour}}
}

// needed is the first permission of each need of a run with o of a file with the test
// header (run_test.go), and extra.
func needed(o Options, extra ...string) []string {
	var out []string
	for _, n := range RunNeeds(strings.Split(header, ","), o) {
		out = append(out, n.Permissions[0])
	}
	return append(out, extra...)
}

// checked runs o's file with f's services and who, and returns the run's logs and error.
func checked(t *testing.T, f *fakeOrg, who *fakeWho, o Options) (*observer.ObservedLogs, error) {
	t.Helper()
	logs := observed(&o)
	svc := f.services()
	svc.Who = who
	_, err := Run(context.Background(), svc, o)
	return logs, err
}

// warnings returns the messages logged at warn level.
func warnings(logs *observer.ObservedLogs) []string {
	var out []string
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		out = append(out, e.Message)
	}
	return out
}

// noRun checks that nothing was read but the credentials' privileges, nothing written, and no
// report created.
func noRun(t *testing.T, f *fakeOrg, o Options) {
	t.Helper()
	if _, err := os.Stat(o.ReportPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the report exists (%v), want none", err)
	}
	if f.writes != 0 || f.searches != 0 {
		t.Errorf("%d writes, %d searches; want none", f.writes, f.searches)
	}
}

func TestPreflightMissingPermissions(t *testing.T) {
	const hdr = "NAME,EMAIL,SKILLS,SITENAME,PHONEBASE"
	p := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(p, []byte(hdr+"\nAnn,ann@example.com,Billing:4,Site,WebRTC\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"real run", Options{}, nightly + " lacks 2 permissions this run needs: routing:skill:assign, needed for skills; telephony:plugin:all, needed for sitename/phonebase"},
		{"dry run", Options{DryRun: true}, nightly + " lacks 1 permission this run needs: telephony:plugin:all, needed for sitename/phonebase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var held []string
			for _, n := range RunNeeds(strings.Split(hdr, ","), Options{}) {
				if p := n.Permissions[0]; p != "routing:skill:assign" && p != "telephony:plugin:all" {
					held = append(held, p)
				}
			}
			f, who := newFakeOrg(), client(held...)
			o := quick(p)
			o.DryRun = tt.o.DryRun
			_, err := checked(t, f, who, o)
			var pe *PermissionError
			if !errors.As(err, &pe) || err.Error() != tt.want {
				t.Fatalf("Run = %v, want a *PermissionError %q", err, tt.want)
			}
			if who.calls.Load() != 1 {
				t.Errorf("privileges read %d times, want 1", who.calls.Load())
			}
			noRun(t, f, o)
		})
	}
}

func TestPreflightAllHeld(t *testing.T) {
	f, who := newFakeOrg(), client(needed(Options{})...)
	o := quick(writeCSV(t, row("Ann", "IRA,Agent,Site,WebRTC")))
	logs, err := checked(t, f, who, o)
	if err != nil {
		t.Fatal(err)
	}
	if w := warnings(logs); len(w) > 0 {
		t.Errorf("warnings %q, want none", w)
	}
	info := logs.FilterMessage("permissions checked: 7 needed, all held").All()
	if len(info) != 1 {
		t.Fatalf("no info line, logs: %v", logs.All())
	}
	fields := info[0].ContextMap()
	if fields["subject"] != nightly || fmt.Sprint(fields["roles"]) != "[User provisioning]" {
		t.Errorf("info fields = %v", fields)
	}
	if got := readReport(t, o)["ann@example.com"]; got["status"] != "ok" {
		t.Errorf("row = %v, want ok", got)
	}
}

func TestPreflightReadFails(t *testing.T) {
	forbidden := &RemoteError{Op: "GET /api/v2/oauth/clients/{clientId}", Status: 403, Code: "missing.any.permissions",
		Message: "You are missing the following permission(s): [oauth:client:view]", Kind: ErrForbidden}
	tests := []struct {
		name string
		who  *fakeWho
		want string
	}{
		{"client without oauth:client:view", &fakeWho{err: forbidden},
			"could not read the OAuth client's roles (GET /api/v2/oauth/clients/{clientId}: You are missing the following permission(s): [oauth:client:view] (403 missing.any.permissions)); permissions not checked: reading them needs oauth:client:view"},
		{"person", &fakeWho{priv: Privileges{Person: true}, err: errors.New("GET /api/v2/users/me: unreadable response")},
			"could not read the user's roles (GET /api/v2/users/me: unreadable response); permissions not checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOrg()
			o := quick(writeCSV(t, row("Ann", "IRA,Agent,,")))
			logs, err := checked(t, f, tt.who, o)
			if err != nil {
				t.Fatalf("Run = %v, want the run to go on", err)
			}
			if w := warnings(logs); len(w) != 1 || w[0] != tt.want {
				t.Errorf("warnings = %q, want %q", w, tt.want)
			}
			if got := readReport(t, o)["ann@example.com"]; got["status"] != "ok" || f.writes == 0 {
				t.Errorf("row = %v after %d writes, want ok", got, f.writes)
			}
		})
	}
}

func TestPreflightRejectedCredentials(t *testing.T) {
	f := newFakeOrg()
	o := quick(writeCSV(t, row("Ann", "IRA,Agent,,")))
	_, err := checked(t, f, &fakeWho{err: &RemoteError{Status: 401, Kind: ErrAuth}}, o)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("Run = %v, want ErrAuth", err)
	}
	noRun(t, f, o)
}

func TestPreflightOverPrivileged(t *testing.T) {
	advice := "don't over-privilege the OAuth client (best practice 4): give it a role with only the permissions the README's 'Setting up the OAuth client' lists"
	tests := []struct {
		name string
		who  *fakeWho
		want string
	}{
		{"admin-level and wildcards", client(needed(Options{}, "*:*:*", "admin", "directory:organization:admin", "authorization:role:edit",
			"oauth:client:add", "directory:user:delete", "routing:*:*", "admin", "routing:queue:view")...),
			nightly + " holds 7 permissions broader than this run needs: *:*:*, admin, directory:organization:admin, authorization:role:edit, oauth:client:add and 2 more; " + advice},
		{"a wildcard alone", client("*:*:*"),
			nightly + " holds 1 permission broader than this run needs: *:*:*; " + advice},
		{"a person", &fakeWho{priv: Privileges{Subject: "user ann@example.com", Person: true, Permissions: needed(Options{}, "directory:*:*")}},
			"user ann@example.com holds 1 permission broader than this run needs: directory:*:*; don't run the tool as an over-privileged user (best practice 4): run it as a user whose roles hold only the permissions the README's 'Setting up the OAuth client' lists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := quick(writeCSV(t, row("Ann", "IRA,Agent,Site,WebRTC")))
			logs, err := checked(t, newFakeOrg(), tt.who, o)
			if err != nil {
				t.Fatalf("Run = %v, want the run to go on", err)
			}
			if w := warnings(logs); len(w) != 1 || w[0] != tt.want {
				t.Errorf("warnings =\n%q\nwant\n%q", w, tt.want)
			}
			if got := readReport(t, o)["ann@example.com"]; got["status"] != "ok" {
				t.Errorf("row = %v, want ok", got)
			}
		})
	}
}

func TestPreflightTokenLifetime(t *testing.T) {
	note := func(d string) string {
		return "tokens of this OAuth client live " + d + "; a lifetime of 1 hour or less is enough: the tool renews tokens before they end (best practice 5: be aggressive with token time-outs)"
	}
	tests := []struct {
		name     string
		lifetime time.Duration
		person   bool
		want     string // "": no note
	}{
		{"a day", 24 * time.Hour, false, note("24h")},
		{"90 minutes", 90 * time.Minute, false, note("90m")},
		{"an hour", time.Hour, false, ""},
		{"unknown", 0, false, ""},
		{"a person's", 24 * time.Hour, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			who := client(needed(Options{DryRun: true})...)
			who.priv.TokenLifetime, who.priv.Person = tt.lifetime, tt.person
			o := quick(writeCSV(t, row("Ann", "IRA,Agent,,")))
			o.DryRun = true
			logs, err := checked(t, newFakeOrg(), who, o)
			if err != nil {
				t.Fatal(err)
			}
			got := logs.FilterMessageSnippet("best practice 5").All()
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("note %q, want none", got[0].Message)
			case tt.want != "" && (len(got) != 1 || got[0].Message != tt.want || got[0].Level != zapcore.InfoLevel):
				t.Errorf("notes = %v, want %q at info level", got, tt.want)
			}
		})
	}
}

// TestDryRunNeedsOnlyReads checks that credentials that may only read pass a dry run, with
// a warning of what a real run would lack, and stop a real run.
func TestDryRunNeedsOnlyReads(t *testing.T) {
	reads := needed(Options{DryRun: true})
	o := quick(writeCSV(t, row("Ann", "IRA,Agent,Site,WebRTC")))
	o.DryRun = true
	f := newFakeOrg()
	logs, err := checked(t, f, client(reads...), o)
	if err != nil {
		t.Fatalf("dry run = %v", err)
	}
	want := nightly + " lacks 3 permissions a real run of this file needs: directory:user:add, needed for name/email, password; " +
		"directory:user:edit (or admin, directory:organization:admin), needed for name/email, restoring deleted users; " +
		"authorization:grant:add, needed for roles, restoring deleted users"
	if w := warnings(logs); len(w) != 1 || w[0] != want {
		t.Errorf("warnings =\n%q\nwant\n%q", w, want)
	}
	if got := readReport(t, o)["ann@example.com"]; got["status"] != "planned" {
		t.Errorf("row = %v, want planned", got)
	}
	o.DryRun = false
	o.ReportPath += ".real"
	_, err = checked(t, f, client(reads...), o)
	var pe *PermissionError
	if !errors.As(err, &pe) || len(pe.Missing) != 3 {
		t.Errorf("real run = %v, want a *PermissionError of 3", err)
	}
}
