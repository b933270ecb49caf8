package provision

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// managerChange is what the managers pass did to a row.
type managerChange struct {
	err     string // the manager could not be set
	updated bool   // the manager was set
	manager string // the manager's email
}

// setManagers is pass 3: it sets the managers who are only in the file, now that every
// row has run and both people exist, for the rows pass 2 left ok (not those of
// p.pass3Skip). It streams the file again and keeps only the rows it changed, so memory does
// not grow with the file. The rows' users are found MaxEmailsPerLookup at a time (a search
// and a read), and their managers likewise (a search), so that a row costs a share of those
// and its PATCH.
func (p *pipeline) setManagers(ctx context.Context) (map[int]managerChange, error) {
	var mu sync.Mutex
	changes := map[int]managerChange{}
	workers := startPool(p.o.Workers, func(j managerJob) {
		change, ok := p.setManagerGuarded(ctx, j)
		if ok {
			mu.Lock()
			changes[j.line] = change
			mu.Unlock()
		}
	})
	ids := map[string]string{} // manager email → id; one entry per manager
	var chunk []managerJob
	send := func() error {
		defer func() { chunk = chunk[:0] }()
		if err := guard(p.log, func() error { return p.lookUpManaged(ctx, chunk, ids) }); err != nil {
			return err
		}
		for _, j := range chunk {
			if !workers.send(ctx, j) {
				return ctx.Err()
			}
		}
		return nil
	}
	readErr := p.eachRow(func(r *CSVReader, row Row, rowErr error) error {
		if rowErr != nil || p.pass3Skip[row.Line] || row.EmailManager == "" {
			return nil
		}
		spec, errs := r.Check(row)
		if len(errs) > 0 || !p.fileManagers[spec.Manager] {
			return nil
		}
		chunk = append(chunk, managerJob{line: row.Line, email: row.Email, manager: spec.Manager})
		if len(chunk) < MaxEmailsPerLookup {
			return nil
		}
		return send()
	})
	if readErr == nil && len(chunk) > 0 {
		readErr = send()
	}
	workers.wait()
	return changes, readErr
}

// setManagerGuarded is setManager with a panic made the row's failure.
func (p *pipeline) setManagerGuarded(ctx context.Context, j managerJob) (change managerChange, ok bool) {
	if err := guard(p.log, func() error { change, ok = p.setManager(ctx, j); return nil }); err != nil {
		return managerChange{err: "set manager: " + describe(err)}, true
	}
	return change, ok
}

// managerJob is a row whose manager is one of the file's own people.
type managerJob struct {
	line           int
	email, manager string
	user           *User  // nil: not found (the row failed before; its report says why)
	managerID      string // "": the manager was not found
	err            error  // the lookup of the users or of the managers failed
}

// lookUpManaged finds the users of jobs and the ids of their managers (ids caches them),
// waiting for search to show people created moments ago. A failed lookup fails its jobs.
func (p *pipeline) lookUpManaged(ctx context.Context, jobs []managerJob, ids map[string]string) error {
	emails := make([]string, len(jobs))
	var managers []string
	for i, j := range jobs {
		emails[i] = j.email
		if _, ok := ids[j.manager]; !ok && !slices.Contains(managers, j.manager) {
			managers = append(managers, j.manager)
		}
	}
	users, uerr := settled(ctx, p, emails, p.findUsers)
	found, merr := settled(ctx, p, managers, p.svc.Users.FindByEmails)
	if err := ctx.Err(); err != nil {
		return err
	}
	for email, f := range found {
		if f.State != "deleted" {
			ids[email] = f.ID
		}
	}
	for i := range jobs {
		j := &jobs[i]
		j.user, j.managerID, j.err = users[strings.ToLower(j.email)], ids[j.manager], cmp.Or(uerr, merr)
	}
	return nil
}

// settled looks emails up with find until each is found or the search index has had time to
// show a user created moments ago (Options.SearchSettle). It returns what it found.
func settled[T any](ctx context.Context, p *pipeline, emails []string, find func(context.Context, []string) (map[string]T, error)) (map[string]T, error) {
	out := map[string]T{}
	wait := newPoll(Backoff{First: p.o.SearchSettle / 8, Max: p.o.SearchSettle / 2, Total: p.o.SearchSettle})
	for len(emails) > 0 {
		found, err := find(ctx, emails)
		if err != nil {
			return out, err
		}
		emails = slices.DeleteFunc(emails, func(e string) bool {
			v, ok := found[strings.ToLower(e)]
			if ok {
				out[strings.ToLower(e)] = v
			}
			return ok
		})
		if len(emails) == 0 || !wait.next(ctx) {
			break
		}
	}
	return out, nil
}

// setManager sets one row's manager; ok is false when the row needs no report change.
func (p *pipeline) setManager(ctx context.Context, j managerJob) (managerChange, bool) {
	fail := func(err error) (managerChange, bool) {
		return managerChange{err: "set manager: " + describe(err)}, true
	}
	switch {
	case j.err != nil:
		return fail(j.err)
	case j.user == nil:
		return managerChange{}, false // the row failed before: its report says why
	case j.managerID == "":
		return fail(fmt.Errorf("manager %s was not created", j.manager))
	case j.user.ManagerID == j.managerID:
		return managerChange{}, false
	}
	if err := p.svc.Users.Update(ctx, j.user.ID, j.user.Version, UserPatch{Manager: &j.managerID}); err != nil {
		return fail(err)
	}
	return managerChange{updated: true, manager: j.manager}, true
}

// apply puts what the managers pass did into the row's report line (see finishReport): a
// failure fails the row, a manager set is one more change.
func (c managerChange) apply(l *reportRow) {
	switch {
	case c.err != "":
		l.Status = string(StatusFailed)
		l.Error = capCell(joinErrors(l.Error, defuseFormula(c.err)))
	case c.updated:
		if l.Action == string(ActionNone) {
			l.Action = string(ActionUpdate)
		}
		l.Changes = capCell(joinErrors(l.Changes, defuseFormula("manager → "+c.manager)))
	}
}
