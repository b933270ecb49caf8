package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/provision"
)

// A fatal error may carry a server's text, which may echo the client secret or a token: it is
// printed without the logger, so it is scrubbed on its own, and keeps its exit code.
func TestFatalErrorScrubbed(t *testing.T) {
	const secret, token = "fatal-secret-not-real", "fatal-token-not-real"
	r := provision.NewRedactor(func() []string { return []string{secret, token} })
	for _, tt := range []struct {
		err  error
		code int
	}{
		{fmt.Errorf("read the home division: server said %q (token %s): %w", secret, token, provision.ErrPartway), exitPartway},
		{fmt.Errorf("token request: %s: %w", secret, provision.ErrAuth), exitAuth},
		{fmt.Errorf("list roles: echo %s", secret), exitUnusable},
	} {
		var out bytes.Buffer
		if code := fail(context.Background(), &out, scrubbed(tt.err, r)); code != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.err, code, tt.code)
		}
		if s := out.String(); strings.Contains(s, secret) || strings.Contains(s, token) || !strings.Contains(s, "[redacted]") {
			t.Errorf("printed %q", s)
		}
	}
	if scrubbed(nil, r) != nil {
		t.Error("scrubbed(nil) is not nil")
	}
}

// A fatal error is one line of at most maxFatalChars characters, whatever the server or the
// file put in it (a 100,000-column header gives a 35 MB error otherwise).
func TestFatalErrorOnOneLine(t *testing.T) {
	var out bytes.Buffer
	long := "line one\nline two\r\x1b[31m" + strings.Repeat("col: unknown column; ", 100_000)
	unusable(&out, fmt.Errorf("%s", long))
	s := out.String()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "[…cut]\n") || strings.ContainsAny(s[:len(s)-1], "\r\x1b") {
		t.Errorf("printed %d bytes, %d lines: %.200q", len(s), strings.Count(s, "\n"), s)
	}
	if n := len([]rune(s)); n > maxFatalChars+len("user-provisioning: \n") {
		t.Errorf("printed %d characters, want at most %d", n, maxFatalChars)
	}
}

// provision names its settings by their Options fields; the command line names their flags.
func TestFatalErrorNamesTheFlag(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&provision.OptionError{Field: "ScopeGroup", Err: errors.New("group 'Sales' not found in org")}, "user-provisioning: --scope-group: group 'Sales' not found in org\n"},
		{fmt.Errorf("sync: %w", &provision.OptionError{Field: "DeactivateMissing", Err: errors.New("needs a scope: ScopeDivision or ScopeGroup")}),
			"user-provisioning: sync: --deactivate-missing: needs a scope: --scope-division or --scope-group\n"},
		{errors.New("plain"), "user-provisioning: plain\n"},
	} {
		var out bytes.Buffer
		if code := fail(context.Background(), &out, tt.err); code != exitUnusable || out.String() != tt.want {
			t.Errorf("%v: exit %d, printed %q; want %q", tt.err, code, out.String(), tt.want)
		}
	}
}
