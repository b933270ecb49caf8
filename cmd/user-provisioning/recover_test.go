package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

func TestFailExitCodes(t *testing.T) {
	partway := func(err error) error { return fmt.Errorf("%w: %w", provision.ErrPartway, err) }
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"part-way", partway(errors.New("write report r.csv: no space left on device")), exitPartway},
		{"part-way, credentials rejected", partway(fmt.Errorf("token: %w", provision.ErrAuth)), exitAuth},
		{"part-way, interrupted", partway(context.Canceled), exitInterrupted},
		{"before the report", errors.New("open users.csv: no such file"), exitUnusable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errb bytes.Buffer
			if got := fail(context.Background(), &errb, tt.err); got != tt.want {
				t.Errorf("fail(%v) = %d, want %d", tt.err, got, tt.want)
			}
			if n := strings.Count(errb.String(), "\n"); n != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", n, errb.String())
			}
		})
	}
}

// TestPanicOutsideThePipelineExits4 checks runWith's last resort.
func TestPanicOutsideThePipelineExits4(t *testing.T) {
	dir := t.TempDir()
	e := &harness{t: t, dir: dir}
	in := e.file("users.csv", "Ann,ann@example.com,"+password+",,,,")
	var out, errb bytes.Buffer
	code := runWith(context.Background(), []string{"--validate", "--log-level", "error", in}, &out, &errb, nil,
		func(*provision.Options) { panic("tune boom") }, nil)
	if code != exitPartway {
		t.Errorf("exit %d, want %d", code, exitPartway)
	}
	if got := errb.String(); got != "user-provisioning: internal error: tune boom\n" {
		t.Errorf("stderr = %q, want one line naming the panic", got)
	}
}

// panicOn wraps a core: writing an entry with message msg panics, as a bug in the code that
// logs it would.
type panicOn struct {
	zapcore.Core
	msg string
}

func (c panicOn) With(f []zapcore.Field) zapcore.Core { return panicOn{c.Core.With(f), c.msg} }

func (c panicOn) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Message == c.msg {
		return ce.AddCore(e, c)
	}
	return c.Core.Check(e, ce)
}

func (c panicOn) Write(e zapcore.Entry, _ []zapcore.Field) error {
	panic("logger boom at " + e.Message)
}

// TestPanicInRowExits1 checks that a panic while a row is processed (here in the client,
// on the one 429 of a create) fails that row only, with an internal error, and exits 1.
func TestPanicInRowExits1(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	e.srv.Sim.Script("POST /api/v2/users", gcsim.Fault{Status: 429})
	e.client = func(c *proxies.Config) {
		c.Logger = c.Logger.WithOptions(zap.WrapCore(func(core zapcore.Core) zapcore.Core { return panicOn{core, "throttled"} }))
	}
	rows := users(4, "pan")
	r := e.run("--report", e.report("pan.results.csv"), e.file("pan.csv", rows...))
	if r.code != exitRowsFailed {
		t.Fatalf("exit %d, want %d\n%s", r.code, exitRowsFailed, r.stderr)
	}
	if len(r.report) != len(rows) {
		t.Fatalf("report has %d rows, want %d", len(r.report), len(rows))
	}
	if s := statuses(r.report); s["none/failed"]+s["create/failed"] != 1 || s["create/ok"] != len(rows)-1 {
		t.Errorf("report %v, want one failed row, the others created", s)
	}
	for _, row := range r.report {
		if row["status"] == "failed" && row["error"] != "internal error: logger boom at throttled" {
			t.Errorf("failed row error = %q, want the internal error", row["error"])
		}
	}
}

// TestPanicLeaksNoSecret: a panic whose message holds the configuration's secrets (the
// client secret and, with the password grant, the password) prints them [redacted], in the
// import and in the export, even before the client exists.
func TestPanicLeaksNoSecret(t *testing.T) {
	e := &harness{t: t, dir: t.TempDir()}
	env := filepath.Join(e.dir, "env")
	body := "GENESYS_GRANT=password\nGENESYS_CLIENT_ID=c\nGENESYS_CLIENT_SECRET=" + testSecret +
		"\nGENESYS_TOKEN_URL=http://127.0.0.1:1/auth/v3/oauth/token\nGENESYS_USERNAME=ann@example.com\nGENESYS_PASSWORD=" + personPassword +
		"\nGENESYS_API_URL=http://127.0.0.1:1\n"
	if err := os.WriteFile(env, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := func(c *proxies.Config) { panic("boom: " + c.ClientSecret + " " + c.Password) }
	in := e.file("users.csv", "Ann,ann@example.com,"+password+",,,,")
	for _, args := range [][]string{{"--env-file", env, in}, {"export", "--env-file", env, "-"}} {
		var out, errb bytes.Buffer
		code := runWith(context.Background(), args, &out, &errb, nil, nil, boom)
		if code != exitPartway || errb.String() != "user-provisioning: internal error: boom: [redacted] [redacted]\n" {
			t.Errorf("%s: exit %d, stderr %q; want 4 and the secrets [redacted]", args[0], code, errb.String())
		}
	}
}
