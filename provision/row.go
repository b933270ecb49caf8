package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// task is one row on its way through the pipeline. The worker does the row's own calls;
// batched memberships and the station wait finish later, on other goroutines, and the last
// part to finish reports the row.
type task struct {
	p     *pipeline
	row   Row
	names resolved
	res   Result

	mu      sync.Mutex
	pending int
	errs    []string
}

func (t *task) begin() {
	t.mu.Lock()
	t.pending++
	t.mu.Unlock()
}

// end closes one part of the row; step names it in the report when err is not nil.
func (t *task) end(step string, err error) {
	if err != nil && errors.Is(err, ErrAuth) {
		t.p.cancelAPI(err)
	}
	t.mu.Lock()
	if err != nil {
		t.errs = append(t.errs, step+": "+describe(err))
		if t.res.CorrelationID == "" {
			t.res.CorrelationID = CorrelationID(err)
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
	t.begin()
	step, err := p.provisionRow(p.apiCtx, t)
	t.end(step, err)
}

// provisionRow finds or creates the user, then queues the role grant and group membership
// and starts the phone. It returns the failing step and its error.
func (p *pipeline) provisionRow(ctx context.Context, t *task) (string, error) {
	row := t.row
	if err := context.Cause(ctx); err != nil {
		return "not attempted", err
	}
	u, err := p.svc.Users.FindByEmail(ctx, row.Email)
	if err != nil {
		return "look up user", err
	}
	created, ours := false, false
	switch {
	case u != nil && u.State == "deleted":
		t.res.UserID = u.ID
		return "user", fmt.Errorf("email belongs to a deleted user (%s); restoring deleted users is not supported yet: restore it in the Admin UI, then run again", u.ID)
	case u != nil && p.o.CreateOnly:
		t.res.UserID = u.ID
		return "", nil
	case u == nil && p.o.DryRun:
		t.res.Action = ActionCreate
		return "", nil
	case u == nil:
		var pwErr error
		u, ours, pwErr, err = p.createUser(ctx, row)
		if err != nil {
			return "create user", err
		}
		created = ours
		if pwErr != nil {
			// The user exists without the password: report it, and finish its set-up so
			// that a new password is the only thing left to do.
			t.begin()
			defer t.end("password", pwErr)
		}
	}
	t.res.UserID = u.ID
	if created {
		t.res.Action = ActionCreate
	}

	changed := false
	if r := t.names.role; r.ID != "" {
		has := false
		if !created {
			grants, err := p.svc.Authorization.UserGrants(ctx, u.ID)
			if err != nil {
				return "read role grants", err
			}
			for _, g := range grants {
				has = has || (g.RoleID == r.ID && g.DivisionID == p.home.ID)
			}
		}
		if !has {
			changed = true
			if !p.o.DryRun {
				t.begin()
				p.roles.add(r.ID+"|"+p.home.ID, u.ID, func(err error) { t.end("grant role '"+r.Name+"'", err) })
			}
		}
	}
	if g := t.names.group; g.ID != "" && (created || !contains(u.GroupIDs, g.ID)) {
		changed = true
		if !p.o.DryRun {
			t.begin()
			p.groups.add(g.ID, u.ID, func(err error) { t.end("add to group '"+g.Name+"'", err) })
		}
	}
	if t.names.site.ID != "" && u.DefaultStationID == "" {
		changed = true
		if !p.o.DryRun {
			if err := p.startPhone(ctx, t, *u, created && ours); err != nil {
				return "phone", err
			}
		}
	}
	if changed && !created {
		t.res.Action = ActionUpdate
	}
	return "", nil
}

// createUser creates the user, never twice. After an ambiguous failure (timeout, dropped
// connection, 5xx) or a conflict it looks the email up before trying again. ours reports
// whether this run created the user; pwErr is set when the user was created but the
// password was refused.
func (p *pipeline) createUser(ctx context.Context, row Row) (u *User, ours bool, pwErr error, err error) {
	in := NewUser{Name: row.Name, Email: row.Email, Password: row.Password, DivisionID: p.home.ID}
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
				return nil, false, nil, fmt.Errorf("email belongs to a deleted user (%s); restoring deleted users is not supported yet", u.ID)
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
		u, err := p.svc.Users.FindByEmail(ctx, email)
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
		u, err := p.svc.Users.FindByEmail(ctx, email)
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
			time.AfterFunc(d, check)
		}
	}
	d, _ := poll.delay()
	time.AfterFunc(d, check)
	return nil
}

// phoneName is unique per user, since phone names are unique in an org.
func phoneName(row Row) string {
	return fmt.Sprintf("%s WebRTC (%s)", row.Name, row.Email)
}

// createPhone creates the phone, never twice: after an ambiguous failure or a conflict it
// looks for the user's phone before trying again.
func (p *pipeline) createPhone(ctx context.Context, t *task, u User) (*Phone, error) {
	in := NewPhone{Name: phoneName(t.row), Site: t.names.site, PhoneBase: t.names.phoneBase, User: Ref{ID: u.ID, Name: u.Name}}
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
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
