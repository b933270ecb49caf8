package provision

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"go.uber.org/zap"
)

// Pass 2 opens the report, carrying over the rows --resume trusts, and then reports the
// invalid rows and provisions the others: one reader hands rows to a pool of workers in
// chunks, after one user search for the whole chunk; each worker does a row's own calls
// (row.go, plan.go, apply.go) and queues its memberships in the batchers; one writer owns the
// report.

// openReport creates the report and carries --resume's rows into it. It returns a nil report
// when none was created; an error with a report means the run failed part-way.
func (p *pipeline) openReport(perm fs.FileMode, blocked bool, sum *Summary) (*reportWriter, error) {
	sources, leftovers, err := resumeSources(p.o.Resume, p.o.ReportPath)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	report, err := createReport(p.o.ReportPath, perm, newTicker)
	if err != nil {
		return nil, err
	}
	report.ScrubFunc(p.o.Secrets)
	if p.carry == nil {
		return report, nil
	}
	// A run that provisions nothing makes no call to confirm the users either.
	if err := p.carryOver(sources, report, sum, !blocked); err != nil {
		_ = report.Close()
		return report, fmt.Errorf("resume from %s: %w", p.o.Resume, err)
	}
	// The carried rows are on disk in the new report: the old copies can go.
	for _, f := range leftovers {
		_ = os.Remove(f)
	}
	st := p.carry.stats
	sum.Resume = &st
	p.log.Info(st.String())
	return report, nil
}

// provisionRows is pass 2 proper: every row of the file ends in the report, or was carried
// over. It returns once every row is reported and the report is closed.
func (p *pipeline) provisionRows(report *reportWriter, invalid map[int]string, blocked bool, sum *Summary) error {
	p.results = make(chan Result)
	p.inflight = make(chan struct{}, p.o.MaxInFlight)
	p.pass3Skip = map[int]bool{}
	for line := range p.done {
		p.pass3Skip[line] = true // finished before: nothing for the managers pass to do
	}
	batchers := p.startBatchers(p.apiCtx)
	writeErr := make(chan error, 1)
	go func() { writeErr <- p.write(report, sum) }()

	workers := startPool(p.o.Workers, p.process)
	readErr := guard(p.log, func() error { return p.dispatch(invalid, blocked, workers) })
	workers.wait()
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
		werr = fmt.Errorf("write report %s: %w", p.o.ReportPath, cerr)
	}
	return cmp.Or(werr, readErr)
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

// dispatch is pass 2's reader: invalid and blocked rows go straight to the report, the
// others to the workers, in chunks, after one user search for the whole chunk.
func (p *pipeline) dispatch(invalid map[int]string, blocked bool, workers *pool[*task]) error {
	var chunk []*task
	send := func() {
		if len(chunk) == 0 {
			return
		}
		p.lookup(chunk)
		for _, t := range chunk {
			if !workers.send(p.apiCtx, t) {
				p.notAttempted(t, context.Cause(p.apiCtx))
			}
		}
		chunk = chunk[:0]
	}
	size := min(MaxEmailsPerLookup, p.o.MaxInFlight/2)
	err := p.eachRow(func(r *CSVReader, row Row, rowErr error) error {
		t, err := p.admit(r, row, rowErr, invalid, blocked)
		if t == nil || err != nil {
			return err
		}
		if chunk = append(chunk, t); len(chunk) >= size {
			send()
		}
		return nil
	})
	send()
	return err
}

// admit decides what becomes of a row in pass 2: carried over from the run being resumed,
// reported at once (invalid, or skipped), or a task for the workers, which it returns.
func (p *pipeline) admit(r *CSVReader, row Row, rowErr error, invalid map[int]string, blocked bool) (*task, error) {
	if email, ok := p.done[row.Line]; ok && rowErr == nil && strings.EqualFold(email, row.Email) {
		return nil, nil // finished in the run being resumed: its report row is carried over
	}
	res := Result{Line: row.Line, Email: row.Email, Action: ActionNone, secret: row.Password}
	if rowErr == nil {
		res.RowHash = r.RowHash(row)
	}
	msg, bad := invalid[row.Line]
	if m := strings.ToLower(row.EmailManager); p.badManagers[m] {
		col, field := r.Column("email_manager")
		e := &inputError{Line: row.Line, Column: col, Field: field, Msg: fmt.Sprintf("manager '%s' is neither in the org nor in this file", m)}
		msg, bad = joinErrors(msg, e.Detail()), true
	}
	cause := context.Cause(p.apiCtx)
	switch {
	case bad:
		res.Status, res.Err = StatusInvalid, msg
	case blocked && p.offline:
		res.Status = StatusSkipped
	case blocked:
		res.Status, res.Err = StatusSkipped, "not provisioned: other rows are invalid"+p.o.SkipInvalidHint
	case cause != nil || p.stopped():
		res.Status, res.Err = StatusSkipped, "not attempted: "+p.stopReason(cause)
	default:
		return p.newTask(r, row, res)
	}
	p.emitNow(res)
	return nil, nil
}

// newTask makes the task of a row that passed pass 1, resolved again from the cached names.
func (p *pipeline) newTask(r *CSVReader, row Row, res Result) (*task, error) {
	spec, errs := r.Check(row)
	want, unknown, err := p.names.resolve(r, row, spec)
	if err != nil || len(errs)+len(unknown) > 0 {
		// The row passed both in pass 1, against the same cached lists.
		return nil, fmt.Errorf("line %d: the row changed between passes: %v", row.Line, err)
	}
	p.inflight <- struct{}{}
	p.open.Add(1)
	return &task{p: p, row: row, target: want, res: res}, nil
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
		if stopsRun(err) {
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
func (p *pipeline) write(w *reportWriter, sum *Summary) error {
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
