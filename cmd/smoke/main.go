// Command smoke checks the tool against a live sandbox org, one round of everything: it
// provisions three users under a unique prefix and reads them back, runs the same file
// again (no write may happen), runs a dry run with one change (exactly that change is
// planned), and deactivates the users it created. It never touches another user and never
// deletes. Every difference from what was expected is listed, and the exit code is 1.
//
//	smoke [--phone] [--env-file .env]
//
// Credentials come from the environment or .env as for user-provisioning; the names it uses
// in the org from GENESYS_SMOKE_* (see .env.example). `make smoke` builds and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/user-provisioning/user-provisioning/cmd/internal/envconfig"
	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
)

// Exit codes, as user-provisioning's where they mean the same.
const (
	exitOK          = 0
	exitDiffers     = 1 // the org did not do what was expected: the list is on stdout
	exitUnusable    = 2 // nothing could run: flags, variables, names not in the org; nothing written
	exitAuth        = 3
	exitInterrupted = 130
)

// cleanupTime bounds the deactivation after the run was interrupted or timed out.
const cleanupTime = 2 * time.Minute

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once, with the default action
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, hooks{})
}

// hooks are what tests change: a fixed prefix, shorter waits.
type hooks struct {
	prefix string                   // "": a new unique prefix
	tune   func(*provision.Options) // the pipeline's waits
	settle provision.Backoff        // zero: the smoke's default
}

// options are the command line's.
type options struct {
	envFile, dir, logFormat, logLevel string
	phone                             bool
	rate, workers                     int
	timeout                           time.Duration
}

// parseFlags reads the command line; done is true when the command should end with code.
func parseFlags(args []string, stderr io.Writer) (o options, code int, done bool) {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: smoke [flags]\n\nChecks user-provisioning against the sandbox org in .env; see README.md.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.envFile, "env-file", ".env", "read credentials and GENESYS_SMOKE_* from this `file` (a missing default .env is fine)")
	fs.BoolVar(&o.phone, "phone", false, "also give the first user a WebRTC phone (GENESYS_SMOKE_SITE, GENESYS_SMOKE_PHONE_BASE); the phone is left in place")
	fs.StringVar(&o.dir, "dir", "", "keep the CSV files and reports in this `directory` (default: a temporary one, removed when the smoke passes)")
	fs.IntVar(&o.rate, "rate", 300, "API requests per minute, token requests included")
	fs.IntVar(&o.workers, "workers", 4, "rows processed at once")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "give up after this long (the users created are still deactivated)")
	fs.StringVar(&o.logFormat, "log-format", "", "json or console (default: console on a terminal, json otherwise)")
	fs.StringVar(&o.logLevel, "log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, exitOK, true
		}
		return o, exitUnusable, true
	}
	var bad error
	switch {
	case fs.NArg() > 0:
		bad = fmt.Errorf("no arguments expected, got %q", fs.Args())
	case o.rate < 1:
		bad = errors.New("--rate must be at least 1 request per minute")
	case o.workers < 1 || o.workers > 64:
		bad = errors.New("--workers must be between 1 and 64")
	case o.logFormat != "" && o.logFormat != "json" && o.logFormat != "console":
		bad = errors.New("--log-format must be json or console")
	}
	if bad != nil {
		return o, unusable(stderr, bad), true
	}
	return o, 0, false
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, h hooks) int {
	o, code, done := parseFlags(args, stderr)
	if done {
		return code
	}
	var secrets envconfig.ClientSecrets
	log, err := envconfig.NewLogger(o.logFormat, o.logLevel, envconfig.IsTerminal(stderr), stderr, secrets.Secrets)
	if err != nil {
		return unusable(stderr, err)
	}
	defer func() { _ = log.Sync() }()

	env, err := envconfig.Load(o.envFile, o.envFile == ".env")
	if err != nil {
		return unusable(stderr, err)
	}
	names, err := readNames(env, o.phone)
	if err != nil {
		return unusable(stderr, err)
	}
	cc, err := envconfig.ClientConfig(env)
	if err != nil {
		return unusable(stderr, err)
	}
	cc.RatePerMinute, cc.Logger = o.rate, log
	client, err := proxies.NewClient(cc)
	if err != nil {
		return unusable(stderr, err)
	}
	secrets.Set(client)
	cleanup, cancelCleanup := context.WithTimeout(context.WithoutCancel(ctx), cleanupTime+o.timeout)
	defer cancelCleanup()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := client.Authenticate(ctx); err != nil {
		return fail(ctx, stderr, err)
	}
	svc := client.Services()
	org, err := resolve(ctx, svc, names, o.phone)
	if err != nil {
		return fail(ctx, stderr, err)
	}

	prefix := h.prefix
	if prefix == "" {
		prefix = newPrefix(time.Now())
	}
	workDir, temp := o.dir, o.dir == ""
	if temp {
		if workDir, err = os.MkdirTemp("", prefix+"-"); err != nil {
			return unusable(stderr, err)
		}
	} else if err := os.MkdirAll(workDir, 0o755); err != nil {
		return unusable(stderr, err)
	}

	s := newSmoke(svc, client, newPlan(prefix, names, org, o.phone))
	s.dir, s.out, s.log, s.workers, s.tune = workDir, stdout, log, o.workers, h.tune
	if h.settle.First > 0 {
		s.settle = h.settle
	}
	fmt.Fprintf(stdout, "smoke: %s, users %s-{1..%d}@%s, files in %s\n", cc.BaseURL, prefix, people, names.domain, workDir)
	s.run(ctx, cleanup)
	return verdict(ctx, stdout, s.diffs, workDir, temp)
}

// verdict prints the outcome of a smoke run and picks the exit code; a passing run's
// temporary directory goes.
func verdict(ctx context.Context, stdout io.Writer, diffs []string, workDir string, temp bool) int {
	if len(diffs) > 0 || ctx.Err() != nil {
		if ctx.Err() != nil {
			diffs = append(diffs, "stopped: "+context.Cause(ctx).Error())
		}
		fmt.Fprintf(stdout, "smoke: FAILED: %d %s from what was expected:\n", len(diffs), plural(len(diffs), "difference"))
		for _, d := range diffs {
			fmt.Fprintf(stdout, "  - %s\n", strings.ReplaceAll(d, "\n", "\n    "))
		}
		fmt.Fprintf(stdout, "files and reports: %s\n", workDir)
		if errors.Is(ctx.Err(), context.Canceled) {
			return exitInterrupted
		}
		return exitDiffers
	}
	if temp {
		_ = os.RemoveAll(workDir)
	}
	fmt.Fprintf(stdout, "smoke: passed\n")
	return exitOK
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// fail prints why the smoke could not start and picks the exit code; nothing was written.
func fail(ctx context.Context, stderr io.Writer, err error) int {
	switch {
	case errors.Is(err, provision.ErrAuth):
		fmt.Fprintf(stderr, "smoke: %v\n", err)
		return exitAuth
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "smoke: %v\n", context.Cause(ctx))
		if errors.Is(ctx.Err(), context.Canceled) {
			return exitInterrupted
		}
		return exitUnusable
	default:
		return unusable(stderr, err)
	}
}

func unusable(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "smoke: %v\n", err)
	return exitUnusable
}
