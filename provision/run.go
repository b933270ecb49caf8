package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
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
	// ValidateOnly runs the offline checks alone: no API call, no name resolution.
	ValidateOnly bool
	Log          *zap.Logger

	// Tuning; zero values take the defaults below.
	BatchLinger time.Duration // how long a membership batch waits for more users
	MaxInFlight int           // rows between reading and reporting at once
	StationWait Backoff       // polling for a new phone's station
	CreateWait  Backoff       // repeating a create after an ambiguous failure or a conflict
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
		// Long enough for a few rows to join a batch at the default rate, short next to a run.
		o.BatchLinger = 2 * time.Second
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
// Row failures are in the report and the summary, not in the error.
func Run(ctx context.Context, svc Services, o Options) (Summary, error) {
	o.defaults()
	p := &pipeline{o: o, svc: svc, log: o.Log}
	var sum Summary

	// Pass 1: every check that needs no write, over the whole file.
	apiCtx, cancelAPI := context.WithCancelCause(ctx)
	defer cancelAPI(nil)
	p.cancelAPI = cancelAPI
	p.dir = newDirectory(apiCtx, svc)
	invalid, err := p.validate()
	if err != nil {
		return sum, err
	}

	// Pass 2: report the invalid rows and provision the others.
	r, err := OpenCSV(o.File)
	if err != nil {
		return sum, err
	}
	defer r.Close()
	report, err := CreateReport(o.ReportPath)
	if err != nil {
		return sum, err
	}
	var home Ref
	blocked := o.ValidateOnly || (len(invalid) > 0 && !o.SkipInvalid)
	if !blocked {
		if home, err = p.dir.home(); err != nil {
			_ = report.Close()
			return sum, fmt.Errorf("read the home division: %w", err)
		}
	}
	p.home = home
	p.results = make(chan Result)
	p.inflight = make(chan struct{}, o.MaxInFlight)
	p.apiCtx = apiCtx
	p.roles = newBatcher(apiCtx, MaxGroupMembersPerCall, o.BatchLinger, func(ctx context.Context, key string, ids []string) error {
		role, div := splitKey(key)
		return svc.Authorization.GrantRole(ctx, role, div, ids)
	})
	p.groups = newBatcher(apiCtx, MaxGroupMembersPerCall, o.BatchLinger, func(ctx context.Context, group string, ids []string) error {
		return svc.Groups.AddMembers(ctx, group, ids)
	})

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
	readErr := p.dispatch(r, invalid, blocked, jobs)
	close(jobs)
	workers.Wait()
	// Every row has done its own calls: send what is left in the batches, then wait for
	// the rows still waiting on a batch or a station.
	p.roles.flushAll()
	p.groups.flushAll()
	p.open.Wait()
	p.roles.wait()
	p.groups.wait()
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
	if cause := context.Cause(apiCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		return sum, cause
	}
	return sum, ctx.Err()
}

// pipeline is one run's state.
type pipeline struct {
	o         Options
	svc       Services
	log       *zap.Logger
	dir       *directory
	home      Ref
	apiCtx    context.Context
	cancelAPI context.CancelCauseFunc

	roles, groups *batcher
	results       chan Result
	inflight      chan struct{}  // one token per row between dispatch and report
	open          sync.WaitGroup // rows dispatched and not yet reported
}

// validate is pass 1: it returns the invalid rows by line, with their errors.
func (p *pipeline) validate() (map[int]string, error) {
	r, err := OpenCSV(p.o.File)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	invalid := map[int]string{}
	seen := NewSeen()
	for {
		row, err := r.Next()
		if err == io.EOF {
			return invalid, nil
		}
		if err != nil {
			if isRecordError(err) {
				invalid[row.Line] = ErrorDetail(err)
				continue
			}
			return nil, err
		}
		errs := r.Check(row)
		if row.Email != "" {
			if first, dup := seen.Add(row.Email, row.Line); dup {
				errs = append(errs, r.DuplicateError(row, first))
			}
		}
		if len(errs) == 0 && !p.o.ValidateOnly {
			_, bad, err := p.dir.resolve(r, row)
			if err != nil {
				return nil, err
			}
			errs = append(errs, bad...)
		}
		if len(errs) > 0 {
			invalid[row.Line] = errs.Detail()
		}
	}
}

func isRecordError(err error) bool {
	var ie *InputError
	var re RowErrors
	return errors.As(err, &ie) || errors.As(err, &re)
}

// dispatch is pass 2's reader: invalid and blocked rows go straight to the report, the
// others to the workers.
func (p *pipeline) dispatch(r *CSVReader, invalid map[int]string, blocked bool, jobs chan<- *task) error {
	for {
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && !isRecordError(err) {
			return err
		}
		res := Result{Line: row.Line, Email: row.Email, Action: ActionNone}
		if msg, bad := invalid[row.Line]; bad {
			res.Status, res.Err = StatusInvalid, msg
			p.emitNow(res)
			continue
		}
		if blocked {
			res.Status = StatusSkipped
			if !p.o.ValidateOnly {
				res.Err = "not provisioned: other rows are invalid (use --skip-invalid to provision the valid rows)"
			}
			p.emitNow(res)
			continue
		}
		if cause := context.Cause(p.apiCtx); cause != nil {
			res.Status, res.Err = StatusSkipped, "not attempted: "+stopReason(cause)
			p.emitNow(res)
			continue
		}
		names, bad, err := p.dir.resolve(r, row)
		if err != nil || len(bad) > 0 {
			// The names resolved in pass 1, from the same cached lists.
			return fmt.Errorf("line %d: names changed between passes: %v", row.Line, err)
		}
		p.inflight <- struct{}{}
		p.open.Add(1)
		t := &task{p: p, row: row, names: names, res: res}
		jobs <- t
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
			if werr = w.Write(res); werr != nil {
				werr = fmt.Errorf("write report %s: %w", p.o.ReportPath, werr)
				p.cancelAPI(werr)
			}
		}
		sum.Add(res)
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

func splitKey(key string) (string, string) {
	for i := range len(key) {
		if key[i] == '|' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}
