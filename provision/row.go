package provision

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
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
	if err != nil && errors.Is(err, ErrAuth) {
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
	cause := context.Cause(p.apiCtx)
	if cause == nil && p.stopped() {
		cause = context.Canceled
	}
	if cause != nil {
		// The run stopped before this row started: it was not attempted.
		t.res.Status, t.res.Err = StatusSkipped, "not attempted: "+stopReason(cause)
		p.results <- t.res
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

// provisionRow finds or creates the user, brings its fields in line, queues its batched
// memberships and starts its phone. It returns the failing step and its error.
func (p *pipeline) provisionRow(ctx context.Context, t *task) (string, error) {
	row, want := t.row, t.target
	if err := context.Cause(ctx); err != nil {
		return "not attempted", err
	}
	u, err := t.found, error(nil)
	if !t.lookedUp {
		if u, err = p.findUser(ctx, row.Email); err != nil {
			return "look up user", err
		}
	}
	created, ours, restored := false, false, false
	write := !p.o.DryRun
	switch {
	case u != nil && p.o.CreateOnly:
		t.res.UserID = u.ID
		t.change("nothing: the user exists, and --mode create leaves existing users alone")
		return "", nil
	case u != nil && u.State == "deleted":
		// Restore, then bring the user in line like any existing user.
		t.res.UserID, t.res.Action = u.ID, ActionRestore
		t.change("state: deleted → active")
		restored = true
		if u, err = p.restore(ctx, u, &want); err != nil {
			return "restore user", err
		}
	case u == nil && p.o.DryRun:
		t.res.Action = ActionCreate
		u = &User{DivisionID: p.divisionOf(want)}
		created = true
	case u == nil:
		var pwErr error
		u, ours, pwErr, err = p.createUser(ctx, t)
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
	replace := p.o.ReplaceMemberships

	if d := want.division; !created && d.ID != "" && d.ID != u.DivisionID {
		changed = true
		t.change("division → '%s'", d.Name)
		if write {
			t.begin()
			p.moves.add(d.ID, u.ID, func(err error) { t.end("move to division '"+d.Name+"'", err) })
		}
		u.DivisionID = d.ID // the user's own division, for the grants below
	}
	patch, notes := p.fieldPatch(*u, want, created)
	t.changes = append(t.changes, notes...)
	changed = changed || len(notes) > 0
	if !patch.Empty() && write {
		if err := p.svc.Users.Update(ctx, u.ID, u.Version, patch); err != nil {
			return "update user", err
		}
	}
	if created && ours && p.o.SendInvite && write {
		if err := p.svc.Users.Invite(ctx, u.ID); err != nil {
			return "send invite", err
		}
	}

	// Role grants: those several rows share are batched per role and division across
	// users; the row's others go in one call for this user. Either way a grant costs at
	// most one call, and usually a share of one.
	if len(want.grants) > 0 {
		var have []Grant
		if !created {
			if have, err = p.svc.Authorization.UserGrants(ctx, u.ID); err != nil {
				return "read role grants", err
			}
		}
		var direct, wanted []Grant
		var directNames []string
		for _, g := range want.grants {
			div := g.division
			if div.ID == "" {
				div = Ref{ID: u.DivisionID}
			}
			grant := Grant{RoleID: g.role.ID, DivisionID: div.ID}
			wanted = append(wanted, grant)
			if slices.Contains(have, grant) {
				continue
			}
			changed = true
			name := fmt.Sprintf("'%s'", g.role.Name)
			if div.Name != "" {
				name += fmt.Sprintf(" in '%s'", div.Name)
			}
			t.change("add role %s", name)
			if !write {
				continue
			}
			if p.grantRows[g.key] < 2 {
				direct = append(direct, grant)
				directNames = append(directNames, name)
				continue
			}
			t.begin()
			p.roles.add(grant.RoleID+"|"+grant.DivisionID, u.ID, func(err error) { t.end("grant role "+name, err) })
		}
		if len(direct) > 0 {
			if err := p.svc.Authorization.GrantRoles(ctx, u.ID, direct); err != nil {
				return "grant roles " + strings.Join(directNames, ", "), err
			}
		}
		if replace && !created {
			var revoke []Grant
			for _, g := range have {
				if !slices.Contains(wanted, g) && !p.names.isDefaultRole(g.RoleID) {
					revoke = append(revoke, g)
					t.change("remove role '%s' in '%s'", p.names.nameOf(p.names.roles, g.RoleID), p.names.divisionName(g.DivisionID))
				}
			}
			if len(revoke) > 0 {
				changed = true
				if write {
					if err := p.svc.Authorization.RevokeRoles(ctx, u.ID, revoke); err != nil {
						return "remove roles", err
					}
				}
			}
		}
	}
	for _, g := range want.groups {
		if !created && slices.Contains(u.GroupIDs, g.ID) {
			continue
		}
		changed = true
		t.change("add group '%s'", g.Name)
		if write {
			t.begin()
			p.groups.add(g.ID, u.ID, func(err error) { t.end("add to group '"+g.Name+"'", err) })
		}
	}
	if replace && !created && len(want.spec.Groups) > 0 {
		changed = p.removeOthers(t, u.ID, "group", u.GroupIDs, want.groups, p.names.groups, p.groupRemovals) || changed
	}
	if replace && !created && len(want.spec.Queues) > 0 {
		have, err := p.svc.Routing.UserQueues(ctx, u.ID)
		if err != nil {
			return "read the user's queues", err
		}
		changed = p.removeOthers(t, u.ID, "queue", have, want.queues, p.names.queues, p.queueRemovals) || changed
	}
	for _, q := range want.queues {
		if !created {
			members, err := p.names.queueMembers(q.ID)
			if err != nil {
				return "read queue members", err
			}
			if members[u.ID] {
				continue
			}
		}
		changed = true
		t.change("add queue '%s'", q.Name)
		if write {
			t.begin()
			p.queues.add(q.ID, u.ID, func(err error) { t.end("add to queue '"+q.Name+"'", err) })
		}
	}
	if extra := extraLevels(u.Skills, want.skills); replace && !created && len(want.spec.Skills) > 0 && len(extra) > 0 {
		// One call makes the skills exactly the row's.
		changed = true
		t.changes = append(t.changes, levelNotes("skill", u.Skills, missingLevels(u.Skills, want.skills))...)
		for _, id := range extra {
			t.change("remove skill '%s'", p.names.nameOf(p.names.skills, id))
		}
		if write {
			if err := p.svc.Routing.SetSkills(ctx, u.ID, want.skills); err != nil {
				return "set skills", err
			}
		}
	} else if add := missingLevels(u.Skills, want.skills); len(add) > 0 {
		changed = true
		t.changes = append(t.changes, levelNotes("skill", u.Skills, add)...)
		if write {
			if err := p.svc.Routing.AddSkills(ctx, u.ID, add); err != nil {
				return "add skills", err
			}
		}
	}
	if replace && !created && len(want.spec.Languages) > 0 {
		for _, id := range extraLevels(u.Languages, want.languages) {
			changed = true
			t.change("remove language '%s'", p.names.nameOf(p.names.languages, id))
			if write {
				if err := p.svc.Routing.RemoveLanguage(ctx, u.ID, id); err != nil {
					return "remove language", err
				}
			}
		}
	}
	if add := missingLevels(u.Languages, roundLevels(want.languages)); len(add) > 0 {
		changed = true
		t.changes = append(t.changes, levelNotes("language", u.Languages, add)...)
		if write {
			if err := p.svc.Routing.AddLanguages(ctx, u.ID, add); err != nil {
				return "add languages", err
			}
		}
	}
	if want.site.ID != "" && u.DefaultStationID == "" {
		changed = true
		t.change("add phone on '%s'", want.site.Name)
		if write {
			if err := p.startPhone(ctx, t, *u, created && ours); err != nil {
				return "phone", err
			}
		}
	}
	if changed && !created && !restored {
		t.res.Action = ActionUpdate
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

// removeOthers takes the user out of each group or queue (kind) of have that want does not
// list, through b; load names them for the report. It reports whether there was any.
func (p *pipeline) removeOthers(t *task, userID, kind string, have []string, want []Ref, load func() (map[string]Ref, error), b *batcher) bool {
	changed := false
	for _, id := range have {
		if slices.ContainsFunc(want, func(r Ref) bool { return r.ID == id }) {
			continue
		}
		changed = true
		name := p.names.nameOf(load, id)
		t.change("remove %s '%s'", kind, name)
		if !p.o.DryRun {
			t.begin()
			b.add(id, userID, func(err error) { t.end("remove from "+kind+" '"+name+"'", err) })
		}
	}
	return changed
}

// levelNotes words skill or language changes: "add skill 'Billing':4", "skill 'Billing': 2 → 4".
func levelNotes(kind string, have map[string]float64, add []Level) []string {
	var out []string
	for _, l := range add {
		if old, ok := have[l.ID]; ok {
			out = append(out, fmt.Sprintf("%s '%s': %s → %s", kind, l.Name, formatLevel(old), formatLevel(l.Proficiency)))
		} else {
			out = append(out, fmt.Sprintf("add %s '%s':%s", kind, l.Name, formatLevel(l.Proficiency)))
		}
	}
	return out
}

// divisionOf is the division a new user is created in.
func (p *pipeline) divisionOf(want target) string {
	if want.division.ID != "" {
		return want.division.ID
	}
	return p.home.ID
}

// fieldPatch is what a PATCH must change for the user to match the row: for a user this
// run created, what the create call cannot carry; for an existing one, every field the row
// sets that differs. A blank cell leaves its field alone. A manager who is only in the
// file is set in the managers pass, once every row has run.
func (p *pipeline) fieldPatch(u User, want target, created bool) (UserPatch, []string) {
	s := want.spec
	var patch UserPatch
	var notes []string
	field := func(name string, have, wantV string) *string {
		if wantV == "" || wantV == have {
			return nil
		}
		if !created {
			notes = append(notes, fmt.Sprintf("%s: '%s' → '%s'", name, have, wantV))
		}
		return &wantV
	}
	if !created {
		patch.Name = field("name", u.Name, s.Name)
		patch.Title = field("title", u.Title, s.Title)
		patch.Department = field("department", u.Department, s.Department)
		if patch.Addresses = mergeContacts(u.Addresses, contacts(s)); patch.Addresses != nil {
			notes = append(notes, "phone numbers")
		}
	}
	if id, ok := p.orgManagers[s.Manager]; ok && id != u.ManagerID {
		patch.Manager = &id
		notes = append(notes, "manager → "+s.Manager)
	}
	if p.o.DryRun && p.fileManagers[s.Manager] {
		notes = append(notes, "manager → "+s.Manager) // set by the managers pass in a real run
	}
	if l := want.location; l.ID != "" && !slices.ContainsFunc(u.Locations, func(pl Placement) bool { return pl.LocationID == l.ID }) {
		// The whole list goes back: the other placements as read, notes and all.
		patch.Locations = append(slices.Clone(u.Locations), Placement{LocationID: l.ID})
		notes = append(notes, fmt.Sprintf("add location '%s'", l.Name))
	}
	e := u.Employer
	next := EmployerInfo{
		OfficialName: e.OfficialName, // no column sets it; employerInfo is replaced whole
		EmployeeID:   cmp.Or(s.EmployeeID, e.EmployeeID),
		EmployeeType: cmp.Or(s.EmployeeType, e.EmployeeType),
		DateHire:     cmp.Or(s.HireDate, e.DateHire),
	}
	if next != e {
		patch.Employer = &next
		field("employee_id", e.EmployeeID, s.EmployeeID)
		field("employee_type", e.EmployeeType, s.EmployeeType)
		field("hire_date", e.DateHire, s.HireDate)
		if created {
			notes = append(notes, "employer info")
		}
	}
	return patch, notes
}

// roundLevels rounds language proficiencies to whole numbers, as Genesys stores them (its
// Terraform provider notes that the backend rounds), so that a re-run of 3.5 compares
// with the 4 the org holds.
func roundLevels(in []Level) []Level {
	out := make([]Level, len(in))
	for i, l := range in {
		out[i] = Level{ID: l.ID, Name: l.Name, Proficiency: math.Round(l.Proficiency)}
	}
	return out
}

// extraLevels returns the ids the user holds that want does not list.
func extraLevels(have map[string]float64, want []Level) []string {
	var out []string
	for id := range have {
		if !slices.ContainsFunc(want, func(l Level) bool { return l.ID == id }) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// missingLevels returns the wanted skills or languages the user lacks or holds at another
// proficiency.
func missingLevels(have map[string]float64, want []Level) []Level {
	var out []Level
	for _, l := range want {
		if p, ok := have[l.ID]; !ok || p != l.Proficiency {
			out = append(out, l)
		}
	}
	return out
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
// cancelled gets the panic as an error (ErrInternal).
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
