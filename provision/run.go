package provision

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// A run reads the file up to four times, holding one row at a time, and the files' names say
// in what order:
//
//   - preflight.go, first of all: the file's header and the options say which permissions
//     the run needs (needs.go, permissions.go); credentials that lack one stop it there;
//   - pass1_check.go: validate every row and resolve every name, before any write;
//   - pass2_rows.go: open the report (carrying over --resume's rows, resume.go), then
//     provision each row: row.go finds or creates its user, plan.go plans its changes and
//     apply.go applies them, the memberships batched across rows (batcher.go);
//   - pass3_managers.go: set the managers who are themselves in the file, once both people
//     exist;
//   - reportfile.go: rewrite the report in file order; pass4_deactivate.go then adds the
//     users of --deactivate-missing's scope that the file does not name.

// Options configures a run.
type Options struct {
	File        string
	ReportPath  string
	Workers     int  // rows processed at once; 0 means 4
	SkipInvalid bool // provision the valid rows even when some rows are invalid
	DryRun      bool // read-only calls only; the report shows the plan
	CreateOnly  bool // --mode create: existing users are left as they are
	SendInvite  bool // send the activation email to the users the run creates
	// DeactivateMissing deactivates the active users of the scope (ScopeDivision or
	// ScopeGroup, by name) that the file does not name, at most MaxDeactivate of them
	// ("N" or "P%"; default 5% of the scope, at least 1).
	DeactivateMissing bool
	ScopeDivision     string
	ScopeGroup        string
	MaxDeactivate     string
	// ReplaceMemberships makes a row's roles, groups, queues, skills and languages exactly
	// what its non-blank cells list, instead of only adding.
	ReplaceMemberships bool
	// Resume names an earlier report: its ok rows whose row is unchanged in the file, and
	// whose users the org confirms, are carried into the new report as they are, at the cost
	// of one search per MaxEmailsPerLookup of them (see ResumeStats). It may be ReportPath
	// itself.
	Resume string
	// Progress, when set, is kept up to date as rows finish, for a progress display.
	Progress *Progress
	// Stop, when closed, stops the run gracefully: no new row starts (the rest are reported
	// skipped), rows in flight and their batches finish. Cancelling Run's ctx stops the
	// requests in flight as well.
	Stop <-chan struct{}
	// StopCause, when set, words why Stop was closed, for the error of the rows the stop
	// skips ("not attempted: the access token ran out"); nil words it "interrupted".
	StopCause func() string
	// ListSeparator restricts the splitting of multi-value cells to "," or ";" ("" = both).
	ListSeparator string
	// SkipInvalidHint ends the error of the rows skipped because others are invalid: how
	// to provision the valid rows alone (the command line names its flag).
	SkipInvalidHint string
	Log             *zap.Logger
	// Secrets, when set, returns the run-wide secrets of the moment (the client secret, the
	// tokens issued so far): the report shows "[redacted]" wherever the server echoed one.
	// It is called before each report row is written, so it must be safe for concurrent use.
	Secrets func() []string

	// Tuning; zero values take the defaults below.
	BatchLinger time.Duration // how long a membership batch waits for more users
	MaxInFlight int           // rows between reading and reporting at once

	seenHash    func(string) uint64 // tests: the duplicate check's hash
	StationWait Backoff             // polling for a new phone's station
	CreateWait  Backoff             // repeating a create after an ambiguous failure or a conflict
	// SearchSettle is how long a user created moments ago may take to show in search.
	SearchSettle time.Duration
}

// Backoff is a polling schedule: First, doubling up to Max, for at most Total.
type Backoff struct {
	First, Max, Total time.Duration
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.BatchLinger <= 0 {
		// At the rate limit, batches fill by time, not by size: at 1,200 requests a minute
		// (about 10 new users a second) 10 s fills a batch of 50; at the default 300 it fills
		// half of one. Rows wait for their batch before they are reported, so it is also
		// the longest a row's report line lags behind its last call.
		o.BatchLinger = 10 * time.Second
	}
	if o.MaxInFlight <= 0 {
		// Room for several full membership batches while keeping memory bounded.
		o.MaxInFlight = 256
	}
	if o.StationWait.First <= 0 {
		// Stations are indexed after their phone, usually within seconds; Genesys's own
		// Terraform provider waits up to 60 s.
		o.StationWait = Backoff{First: time.Second, Max: 8 * time.Second, Total: 90 * time.Second}
	}
	if o.CreateWait.First <= 0 {
		// User search lags creation by about a second.
		o.CreateWait = Backoff{First: 500 * time.Millisecond, Max: 5 * time.Second, Total: 60 * time.Second}
	}
	if o.SearchSettle <= 0 {
		// Genesys indexes users for search about a second after a change.
		o.SearchSettle = 3 * time.Second
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
}

// Run provisions the users in o.File and writes the report. It returns the summary, and an
// error when the run could not start (unreadable file, bad header, unwritable report,
// credentials that lack a permission the run needs, a *PermissionError: the caller exits 2),
// when the credentials were rejected (ErrAuth), or when ctx was cancelled.
// An error once the report is opened (the report cannot be written any more, a panic in
// the reading or the report writer) wraps ErrPartway. Row failures, a row's panic among
// them ("internal error: …"), are in the report and the summary, not in the error.
func Run(ctx context.Context, svc Services, o Options) (Summary, error) {
	return start(ctx, svc, o, false)
}

// Validate is Run with no API at all: it checks every row of o.File offline (no name is
// resolved) and writes the report, each row invalid or skipped ("valid"), and provisions
// nothing.
func Validate(ctx context.Context, o Options) (Summary, error) {
	return start(ctx, Services{}, o, true)
}

// start makes the run's pipeline and runs it.
func start(ctx context.Context, svc Services, o Options, offline bool) (Summary, error) {
	o.defaults()
	p := &pipeline{o: o, svc: svc, log: o.Log, offline: offline}
	perm, err := checkPaths(o.File, o.ReportPath)
	if err != nil {
		return Summary{}, err
	}
	// Two runs writing one report would interleave its rows and race on the same users.
	unlock, err := LockReport(o.ReportPath)
	if err != nil {
		return Summary{}, err
	}
	defer func() { _ = unlock() }()
	if o.Resume != "" {
		paths, err := resumePaths(o.Resume, o.ReportPath)
		if err == nil {
			p.carry, err = readCarry(paths)
		}
		if err != nil {
			return Summary{}, fmt.Errorf("resume: %w", err)
		}
	}
	apiCtx, cancelAPI := context.WithCancelCause(ctx)
	defer cancelAPI(nil)
	p.apiCtx, p.cancelAPI = apiCtx, cancelAPI
	p.names = newNames(apiCtx, svc)
	if err := p.preflight(); err != nil {
		return Summary{}, err
	}
	sum, err := p.run(perm)
	if err != nil {
		return sum, err
	}
	if cause := context.Cause(apiCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		return sum, cause
	}
	return sum, ctx.Err()
}

// run is the passes, in order.
func (p *pipeline) run(perm fs.FileMode) (sum Summary, err error) {
	invalid, err := p.validate()
	if err != nil {
		return sum, err
	}
	blocked := p.offline || ((len(invalid) > 0 || len(p.badManagers) > 0) && !p.o.SkipInvalid)
	if !blocked {
		if p.home, err = p.names.home(); err != nil {
			return sum, fmt.Errorf("read the home division: %w", err)
		}
	}
	report, err := p.openReport(perm, blocked, &sum)
	if report == nil {
		return sum, err
	}
	// From here on the report exists: an error means the run failed part-way.
	defer func() { err = partway(err) }()
	if err != nil {
		return sum, err
	}
	if err := p.provisionRows(report, invalid, blocked, &sum); err != nil {
		return sum, err
	}
	return p.finish(sum, blocked, report.inFileOrder())
}

// finish runs what follows pass 2: the managers pass, the report's rewrite in file order
// (unless its rows are in order already and the managers pass changed none), and the
// deactivations, in that order. It returns the final summary.
func (p *pipeline) finish(sum Summary, blocked, ordered bool) (Summary, error) {
	live := func() bool { return !blocked && context.Cause(p.apiCtx) == nil }
	var changes map[int]managerChange
	if live() && !p.o.DryRun && len(p.fileManagers) > 0 {
		var err error
		if changes, err = p.setManagers(p.apiCtx); err != nil {
			return sum, err
		}
	}
	// The report in file order, the managers pass's changes in it.
	if len(changes) > 0 || !ordered {
		final, err := finishReport(p.o.ReportPath, changes)
		if err != nil {
			return sum, fmt.Errorf("write report %s: %w", p.o.ReportPath, err)
		}
		final.Resume = sum.Resume
		sum = final
	}
	if live() {
		allOK := !p.stopped() && sum.ByStatus[StatusFailed] == 0 && sum.ByStatus[StatusInvalid] == 0 && sum.ByStatus[StatusSkipped] == 0
		if err := p.deactivate(&sum, allOK); err != nil {
			return sum, fmt.Errorf("write report %s: %w", p.o.ReportPath, err)
		}
	}
	return sum, nil
}

// Progress counts a run's rows as they finish. Its fields are read with their Load methods,
// from any goroutine.
type Progress struct {
	Total  atomic.Int64 // rows in the file, known after the validation pass
	Done   atomic.Int64 // rows reported
	Failed atomic.Int64 // rows reported failed or invalid
}

// pipeline is one run's state.
type pipeline struct {
	o         Options
	offline   bool // Validate: no API call, no name resolved, nothing provisioned
	svc       Services
	log       *zap.Logger
	names     *names
	home      Ref
	apiCtx    context.Context
	cancelAPI context.CancelCauseFunc

	// Managers named in the file, by lower-cased email: one entry per manager, not per row.
	orgManagers  map[string]string // in the org before the run → user id
	fileManagers map[string]bool   // only in the file: set in pass 3
	managers     map[string]bool   // every manager the rows name, from pass 1
	badManagers  map[string]bool   // in neither: the rows naming them are invalid

	// grantRows counts the rows asking for each role in each division (one entry per
	// pair): a grant several rows share is batched across users, the others go in one call
	// per user.
	grantRows map[string]int

	roles, groups, queues, moves *batcher
	groupRemovals, queueRemovals *batcher
	results                      chan Result
	inflight                     chan struct{}  // one token per row between dispatch and report
	open                         sync.WaitGroup // rows dispatched and not yet reported
	pass3Skip                    map[int]bool   // lines the managers pass leaves alone: not ok in pass 2, invalid, or resumed
	done                         map[int]string // lines finished in the run being resumed → email
	carry                        *carry         // what --resume may carry over; nil without it
	missing                      []candidate    // users in the sync scope that the file does not name
}

// checkPaths refuses, before anything is read or written, an input that is not a regular
// file and a report path that is the input file itself (by a symbolic or a hard link too),
// or that is not a regular file. It returns the permissions the report will have.
func checkPaths(file, report string) (fs.FileMode, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return 0, err // *PathError names the path
	}
	if !fi.Mode().IsRegular() {
		return 0, notRegular("open", file, fi.Mode())
	}
	if ri, err := os.Stat(report); err == nil && os.SameFile(fi, ri) {
		return 0, &OptionError{Field: "ReportPath", Err: fmt.Errorf("the report %s is the input file %s: writing it would destroy the input; name another report", report, file)}
	}
	return reportPerm(report)
}

// stopped reports whether a graceful stop was asked for.
func (p *pipeline) stopped() bool {
	select {
	case <-p.o.Stop:
		return true
	default:
		return false
	}
}

// openCSV opens the file with the run's list separator.
func (p *pipeline) openCSV() (*CSVReader, error) {
	r, err := OpenCSV(p.o.File)
	if err != nil {
		return nil, err
	}
	if err := r.SetListSeparator(p.o.ListSeparator); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

// stopText words why Stop was closed: Options.StopCause, or "interrupted".
func (p *pipeline) stopText() string {
	if p.o.StopCause != nil {
		if s := p.o.StopCause(); s != "" {
			return s
		}
	}
	return "interrupted"
}

// stopReason words why a row was not attempted: the run stopped (Stop closed) or was
// cancelled, or cause cut its calls short.
func (p *pipeline) stopReason(cause error) string {
	switch {
	case cause == nil || (errors.Is(cause, context.Canceled) && p.stopped()):
		return p.stopText()
	case errors.Is(cause, context.Canceled):
		return "interrupted"
	}
	return "the run stopped: " + cause.Error()
}

// stopsRun reports whether a call's error stops the run: the credentials were rejected. A
// token that ended and cannot be renewed (ErrTokenEnded) fails only the row, even when it came
// as a rejection: the caller stops the run gracefully (Options.Stop).
func stopsRun(err error) bool {
	return errors.Is(err, ErrAuth) && !errors.Is(err, ErrTokenEnded)
}

func joinErrors(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func isRecordError(err error) bool {
	var ie *inputError
	return errors.As(err, &ie) // a rowErrors unwraps to its *InputErrors
}
