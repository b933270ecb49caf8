package provision

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// OptionError is a problem with one of Options' settings, named by its field, such as
// "ScopeDivision": the command line names the flag that sets it.
type OptionError struct {
	Field string
	Err   error
}

func (e *OptionError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

// candidate is a user in the sync scope who is absent from the file.
type candidate struct {
	id, email string
}

// scopeCandidates lists the active users of the sync scope that the file does not name,
// and checks the guard. It runs in pass 1, before any write.
func (p *pipeline) scopeCandidates() error {
	o := p.o
	var users []Found
	var scope string
	switch {
	case o.ScopeDivision != "":
		d, err := find("division", o.ScopeDivision, p.names.divisions)
		if err != nil {
			return &OptionError{Field: "ScopeDivision", Err: err}
		}
		scope = fmt.Sprintf("division '%s'", d.Name)
		if users, err = p.svc.Users.InDivision(p.apiCtx, d.ID); err != nil {
			return fmt.Errorf("list the users of %s: %w", scope, err)
		}
	case o.ScopeGroup != "":
		g, err := find("group", o.ScopeGroup, p.names.groups)
		if err != nil {
			return &OptionError{Field: "ScopeGroup", Err: err}
		}
		// Its direct members only: an owner or a person its rules include is not in the
		// group by the HR file's say, and is never a candidate.
		scope = fmt.Sprintf("group '%s'", g.Name)
		if users, err = p.svc.Groups.Individuals(p.apiCtx, g.ID); err != nil {
			return fmt.Errorf("list the members of %s: %w", scope, err)
		}
	default:
		return &OptionError{Field: "DeactivateMissing", Err: errors.New("needs a scope: ScopeDivision or ScopeGroup")}
	}
	// One more read of the file tells exactly which of them it names.
	inFile := map[string]int{}
	for _, u := range users {
		if u.State == "active" {
			inFile[strings.ToLower(u.Email)] = 0
		}
	}
	if err := p.firstLines(inFile); err != nil {
		return err
	}
	inScope := 0
	for _, u := range users {
		if u.State != "active" {
			continue
		}
		inScope++
		if inFile[strings.ToLower(u.Email)] == 0 {
			p.missing = append(p.missing, candidate{id: u.ID, email: u.Email})
		}
	}
	limit, err := deactivateLimit(o.MaxDeactivate, inScope)
	if err != nil {
		return err
	}
	if len(p.missing) > limit {
		return &OptionError{Field: "MaxDeactivate", Err: fmt.Errorf("%d of the %d active users in %s are not in the file, more than the %d allowed (by default 5%% of the users in scope); nothing was written. Check that the file is complete, or raise the limit",
			len(p.missing), inScope, scope, limit)}
	}
	return nil
}

// deactivateLimit reads Options.MaxDeactivate: a number, or a percentage of the users in scope
// rounded down; the default is 5%. The limit is at least 1.
func deactivateLimit(s string, inScope int) (int, error) {
	if s == "" {
		s = "5%"
	}
	var n int
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(pct, 64)
		if err != nil || f < 0 || f > 100 {
			return 0, &OptionError{Field: "MaxDeactivate", Err: fmt.Errorf("%q: write a number of users or a percentage such as 5%%", s)}
		}
		n = int(math.Floor(f / 100 * float64(inScope)))
	} else {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return 0, &OptionError{Field: "MaxDeactivate", Err: fmt.Errorf("%q: write a number of users or a percentage such as 5%%", s)}
		}
		n = v
	}
	return max(n, 1), nil
}

// deactivate handles the users absent from the file, once every row has run: they are
// deactivated only when every row succeeded (a failed row may mean an incomplete file),
// each in a report row with an empty line, after the rows of the file.
func (p *pipeline) deactivate(sum *Summary, allOK bool) error {
	if len(p.missing) == 0 {
		return nil
	}
	w, err := appendReport(p.o.ReportPath)
	if err != nil {
		return err
	}
	w.ScrubFunc(p.o.Secrets)
	for _, c := range p.missing {
		res := Result{Email: c.email, UserID: c.id, Action: ActionDeactivate}
		switch {
		case p.o.DryRun:
			res.Status, res.Changes = StatusPlanned, "state: active → inactive"
		case !allOK:
			res.Status, res.Err = StatusSkipped, "deactivation skipped: not every row of the file succeeded, so the file may be incomplete"
		default:
			if err := p.svc.Users.Deactivate(p.apiCtx, c.id); err != nil {
				res.Status, res.Err, res.CorrelationID = StatusFailed, "deactivate: "+describe(err), correlationOf(err)
			} else {
				res.Status, res.Changes = StatusOK, "state: active → inactive"
			}
		}
		if err := w.Write(res); err != nil {
			_ = w.Close()
			return err
		}
		sum.Add(res)
	}
	return w.Close()
}
