package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

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
	// ListSeparator restricts the splitting of multi-value cells to "," or ";" ("" = both).
	ListSeparator string
	// SkipInvalidHint ends the error of the rows skipped because others are invalid: how
	// to provision the valid rows alone (the command line names its flag).
	SkipInvalidHint string
	// ValidateOnly runs the offline checks alone: no API call, no name resolution.
	ValidateOnly bool
	Log          *zap.Logger
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
// error when the run could not start (unreadable file, bad header, unwritable report: the
// caller exits 2), when the credentials were rejected (ErrAuth), or when ctx was cancelled.
// An error once the report is opened (the report cannot be written any more, a panic in
// the reading or the report writer) wraps ErrPartway. Row failures, a row's panic among
// them ("internal error: …"), are in the report and the summary, not in the error.
//
// A run reads the file three times, holding one row at a time: pass 1 validates every row
// and resolves every name, pass 2 provisions, and pass 3 sets the managers who are
// themselves in the file, once both people exist.
func Run(ctx context.Context, svc Services, o Options) (sum Summary, err error) {
	o.defaults()
	p := &pipeline{o: o, svc: svc, log: o.Log}
	perm, err := checkPaths(o.File, o.ReportPath)
	if err != nil {
		return sum, err
	}

	if o.Resume != "" {
		paths, err := resumePaths(o.Resume, o.ReportPath)
		if err == nil {
			p.carry, err = readCarry(paths)
		}
		if err != nil {
			return sum, fmt.Errorf("resume: %w", err)
		}
	}

	// Pass 1: every check that needs no write, over the whole file.
	apiCtx, cancelAPI := context.WithCancelCause(ctx)
	defer cancelAPI(nil)
	p.cancelAPI = cancelAPI
	p.apiCtx = apiCtx
	p.names = newNames(apiCtx, svc)
	invalid, err := p.validate()
	if err != nil {
		return sum, err
	}

	// Pass 2: report the invalid rows and provision the others.
	r, err := p.openCSV()
	if err != nil {
		return sum, err
	}
	defer r.Close()
	blocked := o.ValidateOnly || ((len(invalid) > 0 || len(p.badManagers) > 0) && !o.SkipInvalid)
	if !blocked {
		if p.home, err = p.names.home(); err != nil {
			return sum, fmt.Errorf("read the home division: %w", err)
		}
	}
	sources, leftovers, err := resumeSources(o.Resume, o.ReportPath)
	if err != nil {
		return sum, fmt.Errorf("resume: %w", err)
	}
	report, err := createReport(o.ReportPath, perm, newTicker)
	if err != nil {
		return sum, err
	}
	// From here on the report exists: an error means the run failed part-way.
	defer func() { err = partway(err) }()
	report.ScrubFunc(o.Secrets)
	if p.carry != nil {
		// A run that provisions nothing makes no call to confirm the users either.
		if err := p.carryOver(sources, report, &sum, !blocked); err != nil {
			_ = report.Close()
			return sum, fmt.Errorf("resume from %s: %w", o.Resume, err)
		}
		// The carried rows are on disk in the new report: the old copies can go.
		for _, f := range leftovers {
			_ = os.Remove(f)
		}
		st := p.carry.stats
		sum.Resume = &st
		p.log.Info(st.String())
	}
	p.results = make(chan Result)
	p.inflight = make(chan struct{}, o.MaxInFlight)
	p.pass3Skip = map[int]bool{}
	batchers := p.startBatchers(apiCtx)

	writeErr := make(chan error, 1)
	go func() { writeErr <- p.write(report, &sum) }()

	jobs := make(chan *task)
	var workers sync.WaitGroup
	for range o.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for t := range jobs {
				p.process(t)
			}
		}()
	}
	readErr := guard(p.log, func() error { return p.dispatch(r, invalid, blocked, jobs) })
	close(jobs)
	workers.Wait()
	// Every row has done its own calls: send what is left in the batches, then wait for
	// the rows still waiting on a batch or a station.
	for _, b := range batchers {
		b.flushAll()
	}
	p.open.Wait()
	for _, b := range batchers {
		b.wait()
	}
	close(p.results)
	werr := <-writeErr
	if cerr := report.Close(); werr == nil && cerr != nil {
		werr = fmt.Errorf("write report %s: %w", o.ReportPath, cerr)
	}
	switch {
	case werr != nil:
		return sum, werr
	case readErr != nil:
		return sum, readErr
	}

	// Pass 3: managers who are in the file.
	var changes map[int]managerChange
	if !blocked && !o.DryRun && len(p.fileManagers) > 0 && context.Cause(apiCtx) == nil {
		// The invalid rows are there already: write adds every row that did not end ok.
		for line := range p.done {
			p.pass3Skip[line] = true // finished before: nothing to do
		}
		if changes, err = p.setManagers(apiCtx, p.pass3Skip); err != nil {
			return sum, err
		}
	}
	// The report in file order, the managers pass's changes in it.
	if len(changes) > 0 || !report.inFileOrder() {
		final, err := finishReport(o.ReportPath, changes)
		if err != nil {
			return sum, fmt.Errorf("write report %s: %w", o.ReportPath, err)
		}
		final.Resume = sum.Resume
		sum = final
	}
	if !blocked && context.Cause(apiCtx) == nil {
		allOK := !p.stopped() && sum.ByStatus[StatusFailed] == 0 && sum.ByStatus[StatusInvalid] == 0 && sum.ByStatus[StatusSkipped] == 0
		if err := p.deactivate(&sum, allOK); err != nil {
			return sum, fmt.Errorf("write report %s: %w", o.ReportPath, err)
		}
	}
	if cause := context.Cause(apiCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		return sum, cause
	}
	return sum, ctx.Err()
}

// startBatchers makes the run's membership batchers, which send their batches on ctx, and
// returns them all.
func (p *pipeline) startBatchers(ctx context.Context) []*batcher {
	svc, linger := p.svc, p.o.BatchLinger
	batch := func(max int, send func(ctx context.Context, key string, ids []string) error) *batcher {
		b := newBatcher(ctx, max, linger, send)
		b.log = p.log
		return b
	}
	p.roles = batch(MaxGroupMembersPerCall, func(ctx context.Context, key string, ids []string) error {
		role, div, _ := strings.Cut(key, "|")
		return svc.Authorization.GrantRole(ctx, role, div, ids)
	})
	// Closures, not method values: an area the run does not use may be nil (--validate, tests).
	p.groups = batch(MaxGroupMembersPerCall, func(ctx context.Context, group string, ids []string) error {
		return svc.Groups.AddMembers(ctx, group, ids)
	})
	p.queues = batch(MaxQueueMembersPerCall, func(ctx context.Context, queue string, ids []string) error {
		return svc.Routing.AddQueueMembers(ctx, queue, ids)
	})
	p.moves = batch(MaxDivisionMovesPerCall, func(ctx context.Context, div string, ids []string) error {
		return svc.Authorization.MoveUsers(ctx, div, ids)
	})
	p.groupRemovals = batch(MaxGroupMembersPerCall, func(ctx context.Context, group string, ids []string) error {
		return svc.Groups.RemoveMembers(ctx, group, ids)
	})
	p.queueRemovals = batch(MaxQueueMembersPerCall, func(ctx context.Context, queue string, ids []string) error {
		return svc.Routing.RemoveQueueMembers(ctx, queue, ids)
	})
	return []*batcher{p.roles, p.groups, p.queues, p.moves, p.groupRemovals, p.queueRemovals}
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

// validate is pass 1: it returns the invalid rows by line, with their errors, and sorts
// the managers the file names into those in the org, those only in the file, and those in
// neither.
func (p *pipeline) validate() (map[int]string, error) {
	var seen *Seen
	if p.o.seenHash != nil {
		seen = newHashedSeen(p.o.seenHash)
	} else {
		seen = NewSeen()
	}
	invalid, valid, err := p.check(seen)
	if errors.Is(err, errHashCollision) {
		p.log.Info("two addresses of the file share a hash: checking duplicates exactly")
		invalid, valid, err = p.check(NewExactSeen())
	}
	if err != nil {
		return nil, err
	}
	if pr := p.o.Progress; pr != nil {
		pr.Total.Store(int64(valid + len(invalid)))
	}
	if p.o.ValidateOnly {
		return invalid, nil
	}
	if err := p.sortManagers(p.managers); err != nil {
		return nil, err
	}
	if p.o.DeactivateMissing {
		if err := p.scopeCandidates(); err != nil {
			return nil, err
		}
	}
	return invalid, nil
}

// errHashCollision is check's signal that a hashed Seen joined two different addresses.
var errHashCollision = errors.New("hash collision")

// duplicate is a row whose email probably appeared on an earlier line.
type duplicate struct {
	row  Row // only Line and Email are kept
	errs RowErrors
}

// check reads the file once, checks every row and collects the names to resolve. Rows whose
// email a hashed seen reports as seen before are confirmed with one more read of the file.
// It returns the invalid rows and the number of valid ones.
func (p *pipeline) check(seen *Seen) (map[int]string, int, error) {
	defer seen.Release()
	r, err := p.openCSV()
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	invalid, valid := map[int]string{}, 0
	var dups []duplicate
	p.carry.reset()
	p.managers = map[string]bool{}
	p.grantRows = map[string]int{}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isRecordError(err) {
				invalid[row.Line] = ErrorDetail(err)
				p.carry.see(row.Line, "")
				continue
			}
			return nil, 0, err
		}
		spec, errs := r.Check(row)
		dupOf, dup := seen.Add(row.Email, row.Line)
		var want target
		if len(errs) == 0 && !dup && !p.o.ValidateOnly {
			var bad RowErrors
			if want, bad, err = p.names.resolve(r, row, spec); err != nil {
				return nil, 0, err
			}
			errs = append(errs, bad...)
		}
		if spec.Manager != "" { // set only when the cell parsed
			p.managers[spec.Manager] = true
		}
		switch {
		case dup && dupOf > 0:
			errs = append(errs, r.DuplicateError(row, dupOf))
		case dup:
			dups = append(dups, duplicate{row: Row{Line: row.Line, Email: strings.Clone(row.Email)}, errs: errs})
			p.carry.see(row.Line, "")
			continue
		}
		if len(errs) > 0 {
			invalid[row.Line] = errs.Detail()
			p.carry.see(row.Line, "")
			continue
		}
		if p.carry != nil {
			p.carry.see(row.Line, r.RowHash(row))
		}
		valid++
		for _, g := range want.grants { // none with --validate, which provisions nothing
			p.grantRows[g.key]++
		}
	}
	if len(dups) == 0 {
		return invalid, valid, nil
	}
	first := make(map[string]int, len(dups))
	for _, d := range dups {
		first[strings.ToLower(d.row.Email)] = 0
	}
	if err := p.firstLines(first); err != nil {
		return nil, 0, err
	}
	for _, d := range dups {
		line := first[strings.ToLower(d.row.Email)]
		if line == 0 || line >= d.row.Line {
			return nil, 0, errHashCollision
		}
		invalid[d.row.Line] = append(d.errs, r.DuplicateError(d.row, line)).Detail()
	}
	return invalid, valid, nil
}

// firstLines reads the file once more to find the first line of each lower-cased email of
// want (see FirstLines).
func (p *pipeline) firstLines(want map[string]int) error {
	r, err := p.openCSV()
	if err != nil {
		return err
	}
	defer r.Close()
	return FirstLines(r, want)
}

// sortManagers looks the managers up, MaxEmailsPerLookup to a search.
func (p *pipeline) sortManagers(managers map[string]bool) error {
	p.orgManagers, p.fileManagers, p.badManagers = map[string]string{}, map[string]bool{}, map[string]bool{}
	notInOrg := map[string]int{}
	emails := slices.Sorted(maps.Keys(managers))
	for len(emails) > 0 {
		chunk := emails[:min(MaxEmailsPerLookup, len(emails))]
		emails = emails[len(chunk):]
		found, err := p.svc.Users.FindByEmails(p.apiCtx, chunk)
		if err != nil {
			return fmt.Errorf("look up the managers: %w", err)
		}
		for _, email := range chunk {
			switch u, ok := found[email]; {
			case ok && u.State != "deleted":
				p.orgManagers[email] = u.ID
			default:
				notInOrg[email] = 0
			}
		}
	}
	if len(notInOrg) == 0 {
		return nil
	}
	if err := p.firstLines(notInOrg); err != nil {
		return err
	}
	for email, line := range notInOrg {
		if line > 0 {
			p.fileManagers[email] = true
		} else {
			p.badManagers[email] = true
		}
	}
	return nil
}

// grantKey names a role in a division as a row asks for it.
func grantKey(rs RoleSpec, s Spec) string {
	div := rs.Division
	if div == "" {
		div = "=" + s.Division // the user's own division
	}
	return rs.Role + "|" + div
}

func joinErrors(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func isRecordError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie) // a RowErrors unwraps to its *InputErrors
}

// dispatch is pass 2's reader: invalid and blocked rows go straight to the report, the
// others to the workers.
func (p *pipeline) dispatch(r *CSVReader, invalid map[int]string, blocked bool, jobs chan<- *task) error {
	// Rows go to the workers in chunks, after one user search for the whole chunk.
	var chunk []*task
	send := func() {
		if len(chunk) == 0 {
			return
		}
		p.lookup(chunk)
		for _, t := range chunk {
			jobs <- t
		}
		chunk = chunk[:0]
	}
	defer send()
	size := min(MaxEmailsPerLookup, p.o.MaxInFlight/2)
	for {
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && !isRecordError(err) {
			return err
		}
		if email, ok := p.done[row.Line]; ok && err == nil && strings.EqualFold(email, row.Email) {
			continue // finished in the run being resumed: its report row is carried over
		}
		res := Result{Line: row.Line, Email: row.Email, Action: ActionNone, secret: row.Password}
		if err == nil {
			res.RowHash = r.RowHash(row)
		}
		msg, bad := invalid[row.Line]
		if m := strings.ToLower(row.EmailManager); p.badManagers[m] {
			col, field := r.Column("email_manager")
			e := &InputError{Line: row.Line, Column: col, Field: field, Msg: fmt.Sprintf("manager '%s' is neither in the org nor in this file", m)}
			msg, bad = joinErrors(msg, e.Detail()), true
		}
		if bad {
			res.Status, res.Err = StatusInvalid, msg
			p.emitNow(res)
			continue
		}
		if blocked {
			res.Status = StatusSkipped
			if !p.o.ValidateOnly {
				res.Err = "not provisioned: other rows are invalid" + p.o.SkipInvalidHint
			}
			p.emitNow(res)
			continue
		}
		if cause := context.Cause(p.apiCtx); cause != nil {
			res.Status, res.Err = StatusSkipped, "not attempted: "+stopReason(cause)
			p.emitNow(res)
			continue
		}
		if p.stopped() {
			res.Status, res.Err = StatusSkipped, "not attempted: interrupted"
			p.emitNow(res)
			continue
		}
		spec, errs := r.Check(row)
		want, unknown, err := p.names.resolve(r, row, spec)
		if err != nil || len(errs)+len(unknown) > 0 {
			// The row passed both in pass 1, against the same cached lists.
			return fmt.Errorf("line %d: the row changed between passes: %v", row.Line, err)
		}
		p.inflight <- struct{}{}
		p.open.Add(1)
		chunk = append(chunk, &task{p: p, row: row, target: want, res: res})
		if len(chunk) >= size {
			send()
		}
	}
}

// lookup finds the users of a chunk of rows in one search and one read. If it fails, each
// row looks for itself.
func (p *pipeline) lookup(chunk []*task) {
	emails := make([]string, len(chunk))
	for i, t := range chunk {
		emails[i] = t.row.Email
	}
	var found map[string]*User
	err := guard(p.log, func() (err error) {
		found, err = p.findUsers(p.apiCtx, emails)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrAuth) {
			p.cancelAPI(err)
		}
		p.log.Debug("batched user lookup failed; rows look up one by one", zap.Error(err))
		return
	}
	for _, t := range chunk {
		t.found, t.lookedUp = found[strings.ToLower(t.row.Email)], true
	}
}

// emitNow reports a row that needs no work.
func (p *pipeline) emitNow(res Result) {
	p.inflight <- struct{}{}
	p.open.Add(1)
	p.results <- res
}

// write is the one goroutine that owns the report.
func (p *pipeline) write(w *ReportWriter, sum *Summary) error {
	var werr error
	for res := range p.results {
		if werr == nil {
			if werr = guard(p.log, func() error { return w.Write(res) }); werr != nil {
				werr = fmt.Errorf("write report %s: %w", p.o.ReportPath, werr)
				p.cancelAPI(werr)
			}
		}
		sum.Add(res)
		if pr := p.o.Progress; pr != nil {
			pr.Done.Add(1)
			if res.Status == StatusFailed || res.Status == StatusInvalid {
				pr.Failed.Add(1)
			}
		}
		if len(p.fileManagers) > 0 && res.Status != StatusOK && res.Status != StatusPlanned && res.Line > 0 {
			p.pass3Skip[res.Line] = true // pass 3 leaves these rows alone
		}
		p.open.Done()
		<-p.inflight
	}
	return werr
}

func stopReason(cause error) string {
	if errors.Is(cause, context.Canceled) {
		return "interrupted"
	}
	return "the run stopped: " + cause.Error()
}
