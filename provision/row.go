package provision

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// task is one row on its way through the pipeline. The worker does the row's own calls;
// batched memberships and the station wait finish later, on other goroutines, and the last
// part to finish reports the row.
type task struct {
	p      *pipeline
	row    Row
	target target
	res    Result

	mu      sync.Mutex
	pending int
	errs    []string
	changes []string // decided by the worker before any batch can finish the row

	// The user as a lookup shared with other rows found it (nil: none); lookedUp is false
	// when that lookup failed and the row must look for itself.
	found    *User
	lookedUp bool
	fresh    bool // this run created the user: it has no phone yet
}

// change notes what the row changes (or would, in a dry run).
func (t *task) change(format string, args ...any) {
	if len(args) == 0 {
		t.changes = append(t.changes, format)
		return
	}
	t.changes = append(t.changes, fmt.Sprintf(format, args...))
}

func (t *task) begin() {
	t.mu.Lock()
	t.pending++
	t.mu.Unlock()
}

// end closes one part of the row; step names it in the report when err is not nil.
func (t *task) end(step string, err error) {
	if err != nil && stopsRun(err) {
		t.p.cancelAPI(err)
	}
	t.mu.Lock()
	if err != nil {
		msg := describe(err)
		if step != "" {
			msg = step + ": " + msg
		}
		t.errs = append(t.errs, msg)
		if t.res.CorrelationID == "" {
			t.res.CorrelationID = correlationOf(err)
		}
	}
	t.pending--
	last := t.pending == 0
	t.mu.Unlock()
	if last {
		t.finish()
	}
}

func (t *task) finish() {
	t.res.Changes = strings.Join(t.changes, "; ")
	switch {
	case len(t.errs) > 0:
		t.res.Status = StatusFailed
		t.res.Err = strings.Join(t.errs, "; ")
	case t.p.o.DryRun:
		t.res.Status = StatusPlanned
	default:
		t.res.Status = StatusOK
	}
	t.p.results <- t.res
}

// describe words an error for the report.
func describe(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	var re *RemoteError
	if errors.As(err, &re) {
		msg := re.Message
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", re.Status)
		}
		if re.Code != "" {
			return fmt.Sprintf("%s (HTTP %d, %s)", msg, re.Status, re.Code)
		}
		return fmt.Sprintf("%s (HTTP %d)", msg, re.Status)
	}
	return err.Error()
}

// process does a row's own calls and schedules the rest.
func (p *pipeline) process(t *task) {
	if cause := context.Cause(p.apiCtx); cause != nil || p.stopped() {
		p.notAttempted(t, cause)
		return
	}
	t.begin()
	var step string
	// A panic fails the row ("internal error: …"); its batches already queued still end.
	err := guard(p.log, func() (err error) {
		step, err = p.provisionRow(p.apiCtx, t)
		return err
	})
	t.end(step, err)
}

// notAttempted reports a row that the run stopped before it started: cause cancelled it, or
// (nil) Stop was closed.
func (p *pipeline) notAttempted(t *task, cause error) {
	t.res.Status, t.res.Err = StatusSkipped, "not attempted: "+p.stopReason(cause)
	p.results <- t.res
}

// provisionRow finds or creates the user, makes the row's plan and, in a real run, applies
// it. It returns the failing step and its error.
func (p *pipeline) provisionRow(ctx context.Context, t *task) (string, error) {
	if err := context.Cause(ctx); err != nil {
		return "not attempted", err
	}
	want := t.target
	u, st, step, err := p.resolveUser(ctx, t, &want)
	if err != nil || u == nil {
		return step, err
	}
	if st.pwErr != nil {
		// The user exists without the password: report it, and finish its set-up so that
		// a new password is the only thing left to do.
		t.begin()
		defer t.end("password", st.pwErr)
	}
	t.res.UserID = u.ID
	if st.created {
		t.res.Action = ActionCreate
	}
	in := planInput{want: want, user: *u, created: st.created, restored: st.restored,
		replace: p.o.ReplaceMemberships, dryRun: p.o.DryRun,
		orgManagers: p.orgManagers, fileManagers: p.fileManagers, names: p.names}
	if step, err := p.readForPlan(ctx, &in); err != nil {
		return step, err
	}
	pl := makePlan(in)
	t.changes = append(t.changes, pl.notes()...)
	if len(pl) > 0 && !st.created && !st.restored {
		t.res.Action = ActionUpdate
	}
	if p.o.DryRun {
		return "", nil
	}
	u.DivisionID = pl.division(u.DivisionID)
	t.fresh = st.created && st.ours
	return p.apply(ctx, t, *u, pl, t.fresh && p.o.SendInvite)
}

// userState is how resolveUser came by the user.
type userState struct {
	created  bool  // the user is new: created by the run, or (dry run) to be
	ours     bool  // this run's create call made it (not someone else's, found on a conflict)
	restored bool  // the user was deleted, and is restored
	pwErr    error // the user was created but its password refused
}

// resolveUser finds the row's user, or creates or restores it (in a dry run, as it would be).
// want gains the default role of a restored user. A nil user with no error means the row
// has nothing more to do.
func (p *pipeline) resolveUser(ctx context.Context, t *task, want *target) (*User, userState, string, error) {
	var st userState
	u, err := t.found, error(nil)
	if !t.lookedUp {
		if u, err = p.findUser(ctx, t.row.Email); err != nil {
			return nil, st, "look up user", err
		}
	}
	switch {
	case u != nil && p.o.CreateOnly:
		t.res.UserID = u.ID
		t.change("nothing: the user exists, and create mode leaves existing users alone")
		return nil, st, "", nil
	case u != nil && u.State == "deleted":
		// Restore, then bring the user in line like any existing user.
		t.res.UserID, t.res.Action = u.ID, ActionRestore
		st.restored = true
		if u, err = p.restore(ctx, u, want); err != nil {
			return nil, st, "restore user", err
		}
	case u == nil && p.o.DryRun:
		u = &User{DivisionID: p.divisionOf(*want)}
		st.created = true
	case u == nil:
		u, st.ours, st.pwErr, err = p.createUser(ctx, t)
		if err != nil {
			return nil, st, "create user", err
		}
		st.created = st.ours
	}
	return u, st, "", nil
}

// readForPlan reads what the plan compares beyond the user itself: an existing user's
// grants, in replace mode its queues, and whether it is in each queue the row names.
func (p *pipeline) readForPlan(ctx context.Context, in *planInput) (string, error) {
	if in.created {
		return "", nil
	}
	u, want := in.user, in.want
	var err error
	if len(want.grants) > 0 {
		if in.grants, err = p.svc.Authorization.UserGrants(ctx, u.ID); err != nil {
			return "read role grants", err
		}
	}
	if in.replace && len(want.spec.Queues) > 0 {
		if in.queues, err = p.svc.Routing.UserQueues(ctx, u.ID); err != nil {
			return "read the user's queues", err
		}
	}
	in.inQueue = make(map[string]bool, len(want.queues))
	for _, q := range want.queues {
		members, err := p.names.queueMembers(q.ID)
		if err != nil {
			return "read queue members", err
		}
		in.inQueue[q.ID] = members[u.ID]
	}
	return "", nil
}

// restore makes a deleted user active again (in a dry run, as it would be) and returns it
// as it is then. A restore brings back none of what the deletion took (help center,
// user-management FAQ): roles, division, extensions, default station. So the role every new
// user gets is added to want's grants, as for a new user; the rest the row sets as usual.
func (p *pipeline) restore(ctx context.Context, u *User, want *target) (*User, error) {
	if r, ok := p.names.defaultRole(); ok && p.home.ID != "" {
		want.grants = append(slices.Clip(want.grants), grantTarget{role: r, division: p.home})
	}
	if p.o.DryRun {
		u.State, u.DivisionID, u.DefaultStationID = "active", p.home.ID, ""
		return u, nil
	}
	if err := p.svc.Users.Restore(ctx, u.ID); err != nil {
		return nil, err
	}
	u, err := p.readUser(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("read the restored user: %w", err)
	}
	return u, nil
}

// divisionOf is the division a new user is created in.
func (p *pipeline) divisionOf(want target) string {
	if want.division.ID != "" {
		return want.division.ID
	}
	return p.home.ID
}

// createUser creates the user, never twice. After an ambiguous failure (timeout, dropped
// connection, 5xx) or a conflict it looks the email up before trying again. ours reports
// whether this run created the user; pwErr is set when the user was created but the
// password was refused.
func (p *pipeline) createUser(ctx context.Context, t *task) (u *User, ours bool, pwErr error, err error) {
	row, s := t.row, t.target.spec
	in := NewUser{
		Name: s.Name, Email: s.Email, Password: s.Password, DivisionID: p.divisionOf(t.target),
		State: cmp.Or(s.State, "active"), Title: s.Title, Department: s.Department, Addresses: contacts(s),
	}
	ambiguous := false
	for wait := newPoll(p.o.CreateWait); ; {
		nu, err := p.svc.Users.Create(ctx, in)
		switch {
		case err == nil:
			return &nu, true, nil, nil
		case ErrorCode(err) == "invalid.password" || ErrorCode(err) == "unable.to.set.password":
			// The user was created; only the password failed. Find its id.
			code := ErrorCode(err)
			u, lerr := p.awaitUser(ctx, row.Email)
			if lerr != nil {
				return nil, false, nil, lerr
			}
			return u, true, passwordRefused(code), nil
		case errors.Is(err, ErrConflict):
			// The email is taken: by this run's earlier attempt, or by someone else.
			u, lerr := p.awaitUser(ctx, row.Email)
			if lerr != nil {
				return nil, false, nil, lerr
			}
			if u.State == "deleted" {
				return nil, false, nil, fmt.Errorf("email belongs to a deleted user (%s); the search did not show it yet: run again to restore it", u.ID)
			}
			return u, ambiguous, nil, nil
		case errors.Is(err, ErrTransient):
			// The user may have been created: give the search index time to show it
			// before trying again.
			ambiguous = true
			u, lerr := p.findSettled(ctx, row.Email)
			if lerr != nil {
				return nil, false, nil, lerr
			}
			if u != nil {
				return u, true, nil, nil
			}
			if !wait.next(ctx) {
				return nil, false, nil, err
			}
		default:
			return nil, false, nil, err
		}
	}
}

// passwordRefused words a refused password; the password itself is never included.
func passwordRefused(code string) error {
	return fmt.Errorf("user created, but its password was refused (%s): set a password that meets the org's policy in the Admin UI", code)
}

// findSettled looks an email up until the search index has had time to show a user created
// moments ago (Options.SearchSettle); nil when none appeared.
func (p *pipeline) findSettled(ctx context.Context, email string) (*User, error) {
	wait := newPoll(Backoff{First: p.o.SearchSettle / 8, Max: p.o.SearchSettle / 2, Total: p.o.SearchSettle})
	for {
		u, err := p.findUser(ctx, email)
		if err != nil || u != nil {
			return u, err
		}
		if !wait.next(ctx) {
			return nil, ctx.Err()
		}
	}
}

// awaitUser looks up an email that is known to exist, waiting for the search index.
func (p *pipeline) awaitUser(ctx context.Context, email string) (*User, error) {
	for wait := newPoll(p.o.CreateWait); ; {
		u, err := p.findUser(ctx, email)
		if err != nil {
			return nil, err
		}
		if u != nil {
			return u, nil
		}
		if !wait.next(ctx) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("user %s exists but did not appear in search within %s", email, p.o.CreateWait.Total)
		}
	}
}

// startPhone makes sure the user has a WebRTC phone, then waits for its station on a timer,
// not on the worker, and makes the station the user's default.
func (p *pipeline) startPhone(ctx context.Context, t *task, u User, fresh bool) error {
	var phone *Phone
	if !fresh {
		ph, err := p.svc.Telephony.FindPhoneByUser(ctx, u.ID)
		if err != nil {
			return err
		}
		phone = ph
	}
	if phone == nil {
		ph, err := p.createPhone(ctx, t, u)
		if err != nil {
			return err
		}
		phone = ph
	}
	t.begin()
	poll := newPoll(p.o.StationWait)
	var check func()
	check = func() {
		sid, err := p.svc.Telephony.FindStationByUser(ctx, u.ID)
		switch {
		case err != nil:
			t.end("find station", err)
		case sid != "":
			t.end("set default station", p.svc.Users.SetDefaultStation(ctx, u.ID, sid))
		default:
			d, ok := poll.delay()
			if !ok {
				t.end("find station", fmt.Errorf("the station of phone '%s' did not appear within %s; run again to finish", phone.Name, p.o.StationWait.Total))
				return
			}
			p.later(ctx, d, check, func(err error) { t.end("find station", err) })
		}
	}
	d, _ := poll.delay()
	p.later(ctx, d, check, func(err error) { t.end("find station", err) })
	return nil
}

// later runs f after d on its own goroutine, or cancelled with ctx's error if ctx ends
// first: a wait holds no worker, and a cancelled run does not wait for it. If f panics,
// cancelled gets the panic as an error (errInternal).
func (p *pipeline) later(ctx context.Context, d time.Duration, f func(), cancelled func(error)) {
	go func() {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
			if err := guard(p.log, func() error { f(); return nil }); err != nil {
				cancelled(err)
			}
		case <-ctx.Done():
			cancelled(ctx.Err())
		}
	}()
}

// phoneName is unique per user, since phone names are unique in an org.
func phoneName(row Row) string {
	return fmt.Sprintf("%s WebRTC (%s)", row.Name, row.Email)
}

// createPhone creates the phone, never twice: after an ambiguous failure or a conflict it
// looks for the user's phone before trying again.
func (p *pipeline) createPhone(ctx context.Context, t *task, u User) (*Phone, error) {
	in := NewPhone{Name: phoneName(t.row), Site: t.target.site, PhoneBase: t.target.phoneBase, User: Ref{ID: u.ID, Name: u.Name}}
	for wait := newPoll(p.o.CreateWait); ; {
		ph, err := p.svc.Telephony.CreatePhone(ctx, in)
		if err == nil {
			return &ph, nil
		}
		if !errors.Is(err, ErrTransient) && !errors.Is(err, ErrConflict) {
			return nil, err
		}
		found, lerr := p.svc.Telephony.FindPhoneByUser(ctx, u.ID)
		if lerr == nil && found != nil {
			return found, nil
		}
		if errors.Is(err, ErrConflict) {
			return nil, fmt.Errorf("a phone named '%s' already exists and belongs to someone else: %w", in.Name, err)
		}
		if !wait.next(ctx) {
			return nil, err
		}
	}
}

// poll steps through a Backoff.
type poll struct {
	b       Backoff
	next_   time.Duration
	elapsed time.Duration
}

func newPoll(b Backoff) *poll { return &poll{b: b, next_: b.First} }

// delay returns the next wait, or false once Total would be exceeded.
func (w *poll) delay() (time.Duration, bool) {
	d := w.next_
	if w.elapsed+d > w.b.Total {
		return 0, false
	}
	w.elapsed += d
	w.next_ = min(2*d, w.b.Max)
	return d, true
}

// next sleeps for the next wait; false when the schedule is over or ctx is done.
func (w *poll) next(ctx context.Context) bool {
	d, ok := w.delay()
	if !ok {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
