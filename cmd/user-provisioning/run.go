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
	"strconv"
	"strings"
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

// run is the whole program; it returns the exit code. The first signal on sigs stops the
// run gracefully: no new row starts, rows in flight finish within --grace; a second signal,
// or the end of the grace period, cancels the requests in flight.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	return runWith(ctx, args, stdout, stderr, sigs, nil, nil)
}

// runWith is run with a hook that adjusts the pipeline's options (tests shorten its waits)
// and one that adjusts the client's configuration.
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, sigs <-chan os.Signal, tune func(*provision.Options), tuneClient func(*proxies.Config)) (code int) {
	// The client's secrets (the client secret, its tokens) are scrubbed from the log, the
	// report and a panic's message from the moment the configuration is read.
	var secrets envconfig.ClientSecrets
	defer func() {
		// The last resort: a bug outside the pipeline's own recovery.
		if v := recover(); v != nil {
			printFatal(stderr, fmt.Errorf("internal error: %s", provision.NewRedactor(secrets.Secrets).Redact(fmt.Sprint(v))))
			code = exitPartway
		}
	}()
	if len(args) > 0 && args[0] == "export" {
		return runExport(ctx, args[1:], stdout, stderr, &secrets, tuneClient)
	}
	f, file, code, ok := commandLine(args, stdout, stderr)
	if !ok {
		return code
	}
	tty := envconfig.IsTerminal(stderr)
	// The logger writes through logOut, which the progress bar, while shown, routes above itself.
	logOut := &logOutput{base: stderr}
	redact := provision.NewRedactor(secrets.Secrets) // for the errors printed without the logger
	log, err := envconfig.NewLogger(f.logFormat, f.logLevel, tty, logOut, secrets.Secrets)
	if err != nil {
		return unusable(stderr, err)
	}
	defer func() { _ = log.Sync() }()

	opts := f.options(file, log, secrets.Secrets)
	if tune != nil {
		tune(&opts)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := newRunStop()
	opts.Stop, opts.StopCause = stop.ch, stop.stopCause
	watchSignals(ctx, sigs, stop, cancel, f.grace, log)

	var svc provision.Services
	var client *proxies.Client
	if !f.validate {
		client, err = connect(ctx, f, file, log, &secrets, tuneClient)
		if client != nil {
			defer client.Close()
		}
		if err != nil {
			return fail(ctx, stderr, scrubbed(err, redact))
		}
		svc = client.Services()
		opts.Workers = f.workersFor(client.PoolSize())
		noteTokenLife(client, file, f.rate, log)
		watchTokenEnd(ctx, client, stop, log)
	}

	opts.Progress = &provision.Progress{}
	stopProgress := startProgress(f.progress, tty, stderr, logOut, log, opts.Progress, client)
	if f.backup != "" {
		n, err := backup(ctx, svc, opts, f.backup)
		if err != nil {
			return unusable(stderr, scrubbed(fmt.Errorf("--backup %s: %w; nothing was written", f.backup, err), redact))
		}
		log.Info("backup written", zap.String("file", f.backup), zap.Int("users", n))
	}
	var sum provision.Summary
	if f.validate {
		sum, err = provision.Validate(ctx, opts)
	} else {
		sum, err = provision.Run(ctx, svc, opts)
	}
	stopProgress()
	if err != nil && sum.Total == 0 {
		return fail(ctx, stderr, scrubbed(err, redact))
	}
	if stop.Cause() == causeSignal && (err == nil || errors.Is(err, context.Canceled)) {
		err = context.Canceled
	}
	printSummary(stderr, file, opts.ReportPath, sum, client)
	if err != nil {
		return fail(ctx, stderr, scrubbed(err, redact))
	}
	if stoppedByToken(stop, sum) {
		fmt.Fprintln(stderr, tokenEndedAdvice)
		return exitAuth
	}
	if sum.ByStatus[provision.StatusFailed] > 0 || sum.ByStatus[provision.StatusInvalid] > 0 {
		return exitRowsFailed
	}
	return exitOK
}

// commandLine reads the command line. When the program has nothing more to do (--help,
// --version, a usage error), ok is false and code is the exit code.
func commandLine(args []string, stdout, stderr io.Writer) (f flags, file string, code int, ok bool) {
	f, files, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return f, "", exitOK, false
	case err != nil:
		return f, "", unusable(stderr, err), false
	case f.version:
		fmt.Fprintf(stdout, "user-provisioning %s\n", version)
		return f, "", exitOK, false
	case len(files) != 1:
		fmt.Fprintf(stderr, "user-provisioning: give exactly one CSV file (usage: user-provisioning [flags] FILE.csv)\n")
		return f, "", exitUnusable, false
	}
	return f, files[0], exitOK, true
}

// options are the pipeline's options for file, as the flags set them.
func (f flags) options(file string, log *zap.Logger, secrets func() []string) provision.Options {
	reportPath := f.report
	if reportPath == "" {
		reportPath = strings.TrimSuffix(file, filepath.Ext(file)) + ".results.csv"
	}
	return provision.Options{
		File:            file,
		ReportPath:      reportPath,
		Workers:         f.workers,
		SkipInvalid:     f.skipInvalid,
		SkipInvalidHint: " (use --skip-invalid to provision the valid rows)",
		DryRun:          f.dryRun,
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
		Secrets:       secrets,
	}
}

// watchSignals stops the run gracefully at the first signal on sigs (s.stop), unless it
// stopped already, and cancels it at a second signal or once grace has passed.
func watchSignals(ctx context.Context, sigs <-chan os.Signal, s *runStop, cancel func(), grace time.Duration, log *zap.Logger) {
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
			return
		}
		s.stop(causeSignal)
		log.Warn("interrupted: no new row starts; rows in flight finish (signal again to stop them at once)", zap.Duration("grace", grace))
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-sigs:
		case <-timer.C:
		case <-ctx.Done():
		}
		cancel()
	}()
}

// connect reads the credentials, makes the client (whose secrets are scrubbed from then on),
// checks the file's header (unless file is "") and then the credentials: both fail fast,
// before anything is written.
func connect(ctx context.Context, f flags, file string, log *zap.Logger, secrets *envconfig.ClientSecrets, tuneClient func(*proxies.Config)) (*proxies.Client, error) {
	env, err := envconfig.Load(f.envFile, f.envFile == ".env")
	if err != nil {
		return nil, err
	}
	cc, err := envconfig.ClientConfig(env)
	if err != nil {
		return nil, err
	}
	secrets.Add(cc.ClientSecret, cc.Password, cc.Assertion)
	base := cc.BaseURL
	cc.RatePerMinute = f.rate
	if cc.Tokens, err = f.poolSize(env.Get); err != nil {
		return nil, err
	}
	cc.Logger = log
	if tuneClient != nil {
		tuneClient(&cc)
	}
	client, err := proxies.NewClient(cc)
	if err != nil {
		return nil, err
	}
	secrets.Set(client)
	if file != "" {
		r, err := provision.OpenCSV(file)
		if err != nil {
			return nil, err
		}
		_ = r.Close()
	}
	if err := client.Authenticate(ctx); err != nil {
		return client, err
	}
	log.Info("authenticated", zap.String("api", base), zap.Int("tokens", cc.Tokens))
	return client, nil
}

// printSummary prints the run's summary lines on stderr: the rows by outcome and the
// requests made, what --resume carried over, the calls per row, and where the report is.
func printSummary(stderr io.Writer, file, reportPath string, sum provision.Summary, client *proxies.Client) {
	line := fmt.Sprintf("%s: %s", file, sum.String())
	if client != nil {
		st := client.Stats()
		line += fmt.Sprintf("; %d API requests (%d throttled, %d retried, %d tokens)", st.Requests, st.Throttled, st.Retries, st.Tokens)
		if n := client.PoolSize(); n > 1 {
			line += fmt.Sprintf("; a pool of %d access tokens (%d minted), 429s by token: %s", n, st.Pool, joinInts(st.ThrottledByToken))
		}
	}
	fmt.Fprintln(stderr, line)
	if sum.Resume != nil {
		fmt.Fprintln(stderr, sum.Resume.String())
	}
	if client != nil && sum.Total > 0 {
		fmt.Fprintf(stderr, "calls per row: %s\n", callsPerRow(client.Stats().ByRoute, sum.Total))
	}
	fmt.Fprintf(stderr, "report: %s\n", reportPath)
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
	case errors.Is(err, provision.ErrTokenEnded):
		printFatal(stderr, rewordedError{err: err, msg: err.Error() + "; " + freshAssertion})
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
	"ListSeparator":     "--list-separator",
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

// joinInts words counts as "0, 1, 0".
func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}
