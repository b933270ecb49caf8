package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"go.uber.org/zap"

	"github.com/user-provisioning/user-provisioning/cmd/internal/envconfig"
	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes: the command-line contract (README "Exit codes").
const (
	exitOK          = 0
	exitRowsFailed  = 1
	exitUnusable    = 2
	exitAuth        = 3
	exitPartway     = 4 // the run failed part-way: the report says which rows finished
	exitInterrupted = 130
)

type flags struct {
	envFile     string
	report      string
	dryRun      bool
	validate    bool
	skipInvalid bool
	sendInvite  bool
	listSep     string
	workers     int
	rate        int
	mode        string
	logFormat   string
	logLevel    string
	progress    string
	version     bool
	grace       time.Duration
	resume      string
	memberships string
	deactivate  bool
	scopeDiv    string
	scopeGroup  string
	maxDeact    string
}

func parseFlags(args []string, stderr io.Writer) (flags, []string, error) {
	var f flags
	fs := flag.NewFlagSet("user-provisioning", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: user-provisioning [flags] FILE.csv\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.envFile, "env-file", ".env", "read credentials from this `file` (a missing default .env is fine)")
	fs.StringVar(&f.report, "report", "", "write the per-row report to this `path` (default FILE.results.csv)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate and plan with read-only calls; change nothing")
	fs.BoolVar(&f.validate, "validate", false, "offline checks only: no credentials, no API call")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "provision the valid rows even when some rows are invalid")
	fs.BoolVar(&f.sendInvite, "send-invite", false, "send the activation email to the users this run creates")
	fs.StringVar(&f.listSep, "list-separator", "", "split multi-value cells only on this `character` (, or ;) for names that contain the other")
	fs.IntVar(&f.workers, "workers", 4, "rows processed at once")
	fs.IntVar(&f.rate, "rate", 300, "API requests per minute, token requests included")
	fs.StringVar(&f.mode, "mode", "upsert", "create: leave existing users alone; upsert: also bring existing users in line")
	fs.StringVar(&f.logFormat, "log-format", "", "json or console (default: console on a terminal, json otherwise)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.progress, "progress", "auto", "bar: a live progress bar on stderr; log: a progress log line every 10 s; off: neither; auto: the bar on a terminal, the log line otherwise")
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
	fs.StringVar(&f.memberships, "memberships", "add", "add: only add roles, groups, queues, skills and languages; replace: make them exactly what each non-blank cell lists")
	fs.BoolVar(&f.deactivate, "deactivate-missing", false, "deactivate the active users of the scope that the file does not name (never deletes)")
	fs.StringVar(&f.scopeDiv, "scope-division", "", "the sync scope for --deactivate-missing: the users of this `division`")
	fs.StringVar(&f.scopeGroup, "scope-group", "", "the sync scope for --deactivate-missing: the members of this `group`")
	fs.StringVar(&f.maxDeact, "max-deactivate", "", "refuse to deactivate more than `N` users, or P% of the scope (default 5%, at least 1)")
	fs.StringVar(&f.resume, "resume", "", "skip the rows already ok in this earlier `report` whose row is unchanged and whose user the org confirms; it may be the --report path itself")
	fs.DurationVar(&f.grace, "grace", 30*time.Second, "after SIGINT or SIGTERM, how long rows in flight may take to finish")

	// Flags may come before or after the file name.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return f, nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		files = append(files, args[0])
		args = args[1:]
	}
	switch {
	case f.workers < 1 || f.workers > 64:
		return f, nil, fmt.Errorf("--workers must be between 1 and 64")
	case f.memberships != "add" && f.memberships != "replace":
		return f, nil, fmt.Errorf("--memberships must be add or replace")
	case f.deactivate && (f.scopeDiv == "") == (f.scopeGroup == ""):
		return f, nil, fmt.Errorf("--deactivate-missing needs exactly one of --scope-division and --scope-group")
	case !f.deactivate && (f.scopeDiv != "" || f.scopeGroup != "" || f.maxDeact != ""):
		return f, nil, fmt.Errorf("--scope-division, --scope-group and --max-deactivate go with --deactivate-missing")
	case f.deactivate && f.validate:
		return f, nil, fmt.Errorf("--deactivate-missing needs the org: it does not go with --validate")
	case f.grace < 0:
		return f, nil, fmt.Errorf("--grace must not be negative")
	case f.rate < 1:
		return f, nil, fmt.Errorf("--rate must be at least 1 request per minute")
	case f.mode != "create" && f.mode != "upsert":
		return f, nil, fmt.Errorf("--mode must be create or upsert")
	case f.logFormat != "" && f.logFormat != "json" && f.logFormat != "console":
		return f, nil, fmt.Errorf("--log-format must be json or console")
	case f.progress != "auto" && f.progress != "bar" && f.progress != "log" && f.progress != "off":
		return f, nil, fmt.Errorf("--progress must be auto, bar, log or off")
	case f.listSep != "" && f.listSep != "," && f.listSep != ";":
		return f, nil, fmt.Errorf("--list-separator must be , or ;")
	case f.dryRun && f.validate:
		return f, nil, fmt.Errorf("--dry-run and --validate do not go together: --validate makes no API call at all")
	}
	return f, files, nil
}

// run is the whole program; it returns the exit code. The first signal on sigs stops the
// run gracefully: no new row starts, rows in flight finish within --grace; a second signal,
// or the end of the grace period, cancels the requests in flight.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	return runWith(ctx, args, stdout, stderr, sigs, nil, nil)
}

// runWith is run with a hook that adjusts the pipeline's options (tests shorten its waits).
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, sigs <-chan os.Signal, tune func(*provision.Options), tuneClient func(*proxies.Config)) (code int) {
	defer func() {
		// The last resort: a bug outside the pipeline's own recovery.
		if v := recover(); v != nil {
			fmt.Fprintf(stderr, "user-provisioning: internal error: %v\n", v)
			code = exitPartway
		}
	}()
	f, files, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return unusable(stderr, err)
	}
	if f.version {
		fmt.Fprintf(stdout, "user-provisioning %s\n", version)
		return exitOK
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "user-provisioning: give exactly one CSV file (usage: user-provisioning [flags] FILE.csv)\n")
		return exitUnusable
	}
	file := files[0]
	tty := envconfig.IsTerminal(stderr)
	// The logger writes through logOut, which the progress bar, while shown, routes above itself.
	logOut := &logOutput{base: stderr}
	// The client's secrets (the client secret, its tokens) are scrubbed from the log and the
	// report from the moment the client is made.
	var secrets envconfig.ClientSecrets
	redact := provision.NewRedactor(secrets.Secrets) // for the errors printed without the logger
	log, err := envconfig.NewLogger(f.logFormat, f.logLevel, tty, logOut, secrets.Secrets)
	if err != nil {
		return unusable(stderr, err)
	}
	defer func() { _ = log.Sync() }()

	reportPath := f.report
	if reportPath == "" {
		reportPath = strings.TrimSuffix(file, filepath.Ext(file)) + ".results.csv"
	}
	opts := provision.Options{
		File:            file,
		ReportPath:      reportPath,
		Workers:         f.workers,
		SkipInvalid:     f.skipInvalid,
		SkipInvalidHint: " (use --skip-invalid to provision the valid rows)",
		DryRun:          f.dryRun,
		ValidateOnly:    f.validate,
		CreateOnly:      f.mode == "create",
		SendInvite:      f.sendInvite,
		Resume:          f.resume,

		ReplaceMemberships: f.memberships == "replace",
		DeactivateMissing:  f.deactivate,
		ScopeDivision:      f.scopeDiv,
		ScopeGroup:         f.scopeGroup,
		MaxDeactivate:      f.maxDeact,

		ListSeparator: f.listSep,
		Log:           log,
		Secrets:       secrets.Secrets,
	}
	if tune != nil {
		tune(&opts)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := make(chan struct{})
	opts.Stop = stop
	var interrupted atomic.Bool
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
			return
		}
		interrupted.Store(true)
		close(stop)
		log.Warn("interrupted: no new row starts; rows in flight finish (signal again to stop them at once)", zap.Duration("grace", f.grace))
		timer := time.NewTimer(f.grace)
		defer timer.Stop()
		select {
		case <-sigs:
		case <-timer.C:
		case <-ctx.Done():
		}
		cancel()
	}()

	var svc provision.Services
	var client *proxies.Client
	if !f.validate {
		env, err := envconfig.Load(f.envFile, f.envFile == ".env")
		if err != nil {
			return unusable(stderr, err)
		}
		cc, err := envconfig.ClientConfig(env)
		if err != nil {
			return unusable(stderr, err)
		}
		base := cc.BaseURL
		cc.RatePerMinute = f.rate
		cc.Logger = log
		if tuneClient != nil {
			tuneClient(&cc)
		}
		client, err = proxies.NewClient(cc)
		if err != nil {
			return unusable(stderr, err)
		}
		secrets.Set(client)
		// Check the file's header before asking for a token, then the credentials before
		// any row: both fail fast with nothing written.
		if r, err := provision.OpenCSV(file); err != nil {
			return unusable(stderr, err)
		} else {
			_ = r.Close()
		}
		if err := client.Authenticate(ctx); err != nil {
			return fail(ctx, stderr, scrubbed(err, redact))
		}
		log.Info("authenticated", zap.String("api", base))
		svc = client.Services()
	}

	opts.Progress = &provision.Progress{}
	stopProgress := func() {}
	switch progressMode(f.progress, tty) {
	case "bar":
		stopProgress = showProgressBar(stderr, logOut, opts.Progress, client, progressBarEvery)
	case "log":
		stopProgress = reportProgress(log, opts.Progress, client, progressEvery)
	}
	sum, err := provision.Run(ctx, svc, opts)
	stopProgress()
	if err != nil && sum.Total == 0 {
		return fail(ctx, stderr, scrubbed(err, redact))
	}
	if interrupted.Load() && (err == nil || errors.Is(err, context.Canceled)) {
		err = context.Canceled
	}
	line := fmt.Sprintf("%s: %s", file, sum.String())
	if client != nil {
		st := client.Stats()
		line += fmt.Sprintf("; %d API requests (%d throttled, %d retried, %d tokens)", st.Requests, st.Throttled, st.Retries, st.Tokens)
	}
	fmt.Fprintln(stderr, line)
	if sum.Resume != nil {
		fmt.Fprintln(stderr, sum.Resume.String())
	}
	if client != nil && sum.Total > 0 {
		fmt.Fprintf(stderr, "calls per row: %s\n", callsPerRow(client.Stats().ByRoute, sum.Total))
	}
	fmt.Fprintf(stderr, "report: %s\n", reportPath)
	if err != nil {
		return fail(ctx, stderr, scrubbed(err, redact))
	}
	if sum.ByStatus[provision.StatusFailed] > 0 || sum.ByStatus[provision.StatusInvalid] > 0 {
		return exitRowsFailed
	}
	return exitOK
}

// callsPerRow words the calls made for each route, per row of the file, most first:
// "POST /api/v2/users 1.00, PATCH /api/v2/users/{id}/routingskills/bulk 1.00, …".
func callsPerRow(byRoute map[string]int, rows int) string {
	routes := make([]string, 0, len(byRoute))
	for r := range byRoute {
		routes = append(routes, r)
	}
	sort.Slice(routes, func(i, j int) bool {
		if byRoute[routes[i]] != byRoute[routes[j]] {
			return byRoute[routes[i]] > byRoute[routes[j]]
		}
		return routes[i] < routes[j]
	})
	parts := make([]string, len(routes))
	total := 0
	for i, r := range routes {
		parts[i] = fmt.Sprintf("%s %.2f", r, float64(byRoute[r])/float64(rows))
		total += byRoute[r]
	}
	return fmt.Sprintf("%.2f in all: %s", float64(total)/float64(rows), strings.Join(parts, ", "))
}

// scrubbed is err with the client's secrets replaced in its message (a fatal error may carry
// a server's text, which may echo them); errors.Is and errors.As still see err.
func scrubbed(err error, r *provision.Redactor) error {
	if err == nil {
		return nil
	}
	return rewordedError{err: err, msg: r.Redact(err.Error())}
}

// rewordedError is an error with its message replaced (scrubbed of secrets, or in the
// command line's words), its chain kept for errors.Is and errors.As.
type rewordedError struct {
	err error
	msg string
}

func (e rewordedError) Error() string { return e.msg }
func (e rewordedError) Unwrap() error { return e.err }

// fail prints a fatal error on one line and picks its exit code.
func fail(ctx context.Context, stderr io.Writer, err error) int {
	err = inFlags(err)
	switch {
	case errors.Is(err, provision.ErrAuth):
		printFatal(stderr, err)
		return exitAuth
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "user-provisioning: interrupted\n")
		return exitInterrupted
	case errors.Is(err, provision.ErrPartway):
		printFatal(stderr, err)
		return exitPartway
	default:
		return unusable(stderr, err)
	}
}

// optionFlags names the flag that sets each provision.Options field a provision error may
// name (provision.OptionError).
var optionFlags = map[string]string{
	"DeactivateMissing": "--deactivate-missing",
	"MaxDeactivate":     "--max-deactivate",
	"ReportPath":        "--report",
	"ScopeDivision":     "--scope-division",
	"ScopeGroup":        "--scope-group",
}

// fieldsToFlags rewrites the Options field names an OptionError's text may use as flags.
var fieldsToFlags = func() *strings.Replacer {
	var pairs []string
	for field, flag := range optionFlags {
		pairs = append(pairs, field, flag)
	}
	return strings.NewReplacer(pairs...)
}()

// inFlags words an error about an Options setting in the command line's terms: "--max-deactivate:
// 12 of the 40 active users…" for provision's "MaxDeactivate: 12 of the 40 active users…".
func inFlags(err error) error {
	var oe *provision.OptionError
	if !errors.As(err, &oe) {
		return err
	}
	flag, ok := optionFlags[oe.Field]
	if !ok {
		return err
	}
	words := flag + ": " + fieldsToFlags.Replace(oe.Err.Error())
	return rewordedError{err: err, msg: strings.Replace(err.Error(), oe.Error(), words, 1)}
}

// unusable prints why the run cannot start, or go on, and gives exit code 2.
func unusable(stderr io.Writer, err error) int {
	printFatal(stderr, err)
	return exitUnusable
}

// maxFatalChars caps a fatal error's line, as the logger caps its messages: the error may
// quote a server's answer.
const maxFatalChars = 2000

// printFatal prints err as one line of at most maxFatalChars characters: any line break or
// other control character a server put in its text becomes a space, so it cannot forge
// lines of its own on stderr.
func printFatal(stderr io.Writer, err error) {
	msg := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, err.Error())
	fmt.Fprintf(stderr, "user-provisioning: %s\n", provision.Cut(msg, maxFatalChars, " […cut]"))
}
