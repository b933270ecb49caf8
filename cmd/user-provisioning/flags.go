package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// flags are the command line's settings.
type flags struct {
	envFile     string
	report      string
	dryRun      bool
	validate    bool
	skipInvalid bool
	sendInvite  bool
	listSep     string
	workers     int
	workersSet  bool // --workers was given: --tokens does not scale it
	tokens      int  // 0: GENESYS_TOKENS, or 1
	backup      string
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

// parseFlags reads the command line: the flags, which may come before or after the file
// name, and the file names. A flag's value that cannot be used is an error naming the flag.
func parseFlags(args []string, stderr io.Writer) (flags, []string, error) {
	var f flags
	fs := flag.NewFlagSet("user-provisioning", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: user-provisioning [flags] FILE.csv\n       user-provisioning export [flags] OUT.csv (export --help for its flags)\n\nflags:\n")
		fs.PrintDefaults()
	}
	f.define(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return f, nil, err
	}
	fs.Visit(func(fl *flag.Flag) { f.workersSet = f.workersSet || fl.Name == "workers" })
	if err := f.check(); err != nil {
		return f, nil, err
	}
	return f, files, nil
}

// parseInterleaved parses args with fs, flags before or after the file names, and returns the
// file names in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if args = fs.Args(); len(args) == 0 {
			return files, nil
		}
		files, args = append(files, args[0]), args[1:]
	}
}

// defineConnection declares the flags that the import and the export share: the credentials,
// the pacing, the pool of tokens, the log and the progress display.
func (f *flags) defineConnection(fs *flag.FlagSet) {
	fs.StringVar(&f.envFile, "env-file", ".env", "read credentials from this `file` (a missing default .env is fine)")
	fs.IntVar(&f.rate, "rate", 300, "API requests per minute per access token, token requests included")
	fs.IntVar(&f.tokens, "tokens", 0, "hold `N` access tokens from the one OAuth client, each with its own --rate (1 to 50; default GENESYS_TOKENS, or 1)")
	fs.StringVar(&f.logFormat, "log-format", "", "json or console (default: console on a terminal, json otherwise)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.progress, "progress", "auto", "bar: a live progress bar on stderr; log: a progress log line every 10 s; off: neither; auto: the bar on a terminal, the log line otherwise")
}

// define declares the import's flags on fs, with their defaults and help.
func (f *flags) define(fs *flag.FlagSet) {
	f.defineConnection(fs)
	fs.StringVar(&f.report, "report", "", "write the per-row report to this `path` (default FILE.results.csv)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate and plan with read-only calls; change nothing")
	fs.BoolVar(&f.validate, "validate", false, "offline checks only: no credentials, no API call")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "provision the valid rows even when some rows are invalid")
	fs.BoolVar(&f.sendInvite, "send-invite", false, "send the activation email to the users this run creates")
	fs.StringVar(&f.listSep, "list-separator", "", "split multi-value cells only on this `character` (, or ;) for names that contain the other")
	fs.IntVar(&f.workers, "workers", 4, "rows processed at once (default 4 a token with --tokens)")
	fs.StringVar(&f.mode, "mode", "upsert", "create: leave existing users alone; upsert: also bring existing users in line")
	fs.BoolVar(&f.version, "version", false, "print the version and exit")
	fs.StringVar(&f.memberships, "memberships", "add", "add: only add roles, groups, queues, skills and languages; replace: make them exactly what each non-blank cell lists")
	fs.BoolVar(&f.deactivate, "deactivate-missing", false, "deactivate the active users of the scope that the file does not name (never deletes)")
	fs.StringVar(&f.scopeDiv, "scope-division", "", "the sync scope for --deactivate-missing: the users of this `division`")
	fs.StringVar(&f.scopeGroup, "scope-group", "", "the sync scope for --deactivate-missing: the members of this `group`")
	fs.StringVar(&f.maxDeact, "max-deactivate", "", "refuse to deactivate more than `N` users, or P% of the scope (default 5%, at least 1)")
	fs.StringVar(&f.resume, "resume", "", "skip the rows already ok in this earlier `report` whose row is unchanged and whose user the org confirms; it may be the --report path itself")
	fs.StringVar(&f.backup, "backup", "", "before the first write, save to this `file`, in the export format, every existing user the run will change (import it with --memberships replace to undo)")
	fs.DurationVar(&f.grace, "grace", 30*time.Second, "after SIGINT or SIGTERM, how long rows in flight may take to finish")
}

// check refuses flag values that cannot be used, and flags that do not go together.
func (f *flags) check() error {
	if err := f.checkValues(); err != nil {
		return err
	}
	return f.checkTogether()
}

// checkValues refuses values out of their range or not among their choices.
func (f *flags) checkValues() error {
	switch {
	case f.workers < 1 || f.workers > 64:
		return errors.New("--workers must be between 1 and 64")
	case f.grace < 0:
		return errors.New("--grace must not be negative")
	}
	for _, err := range []error{
		f.checkConnection(),
		oneOf("--memberships", f.memberships, "add", "replace"),
		oneOf("--mode", f.mode, "create", "upsert"),
		oneOf("--list-separator", f.listSep, "", ",", ";"),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkConnection refuses values of defineConnection's flags that cannot be used.
func (f *flags) checkConnection() error {
	switch {
	case f.rate < 1:
		return errors.New("--rate must be at least 1 request per minute")
	case f.tokens != 0 && (f.tokens < 1 || f.tokens > maxTokens):
		return fmt.Errorf("--tokens must be between 1 and %d", maxTokens)
	}
	return cmp.Or(oneOf("--log-format", f.logFormat, "", "json", "console"),
		oneOf("--progress", f.progress, "auto", "bar", "log", "off"))
}

// oneOf refuses a value of flag name that is not one of choices ("" among them means the flag
// may be left out).
func oneOf(name, value string, choices ...string) error {
	if slices.Contains(choices, value) {
		return nil
	}
	shown := slices.DeleteFunc(slices.Clone(choices), func(c string) bool { return c == "" })
	last := len(shown) - 1
	return fmt.Errorf("%s must be %s or %s", name, strings.Join(shown[:last], ", "), shown[last])
}

// checkTogether refuses flags that do not go together.
func (f *flags) checkTogether() error {
	scoped := f.scopeDiv != "" || f.scopeGroup != "" || f.maxDeact != ""
	switch {
	case f.deactivate && (f.scopeDiv == "") == (f.scopeGroup == ""):
		return errors.New("--deactivate-missing needs exactly one of --scope-division and --scope-group")
	case !f.deactivate && scoped:
		return errors.New("--scope-division, --scope-group and --max-deactivate go with --deactivate-missing")
	case f.deactivate && f.validate:
		return errors.New("--deactivate-missing needs the org: it does not go with --validate")
	case f.backup != "" && (f.dryRun || f.validate):
		return errors.New("--backup goes with a run that writes: not with --dry-run or --validate")
	case f.dryRun && f.validate:
		return errors.New("--dry-run and --validate do not go together: --validate makes no API call at all")
	}
	return nil
}

// maxTokens is the most access tokens a run holds: Genesys's own CX as Code allows a pool of
// 1 to 50 tokens from one OAuth client.
const maxTokens = 50

// poolSize is the number of access tokens the run holds: --tokens, else GENESYS_TOKENS from
// env (get reads a variable), else 1.
func (f flags) poolSize(get func(keys ...string) string) (int, error) {
	if f.tokens > 0 {
		return f.tokens, nil
	}
	v := get("GENESYS_TOKENS")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxTokens {
		return 0, fmt.Errorf("GENESYS_TOKENS %q: want a number of tokens from 1 to %d", v, maxTokens)
	}
	return n, nil
}

// workersFor is the rows processed at once with a pool of tokens: --workers when given,
// else 4 a token (at most 64), so that every token has requests to send.
func (f flags) workersFor(tokens int) int {
	if f.workersSet {
		return f.workers
	}
	return min(f.workers*tokens, 64)
}
