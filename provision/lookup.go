package provision

import (
	"context"
	"fmt"
	"strings"
)

// findUsers finds the users of at most MaxEmailsPerLookup emails, by lower-cased email. A
// search says who exists and in which state, and one GET /api/v2/users then reads what the
// run compares with the rows: user search honours none of the expansions that carry it
// (groups, skills, languages, locations, employer info), so a row compared with a search
// result would rewrite them all, or remove what it cannot see.
func (p *pipeline) findUsers(ctx context.Context, emails []string) (map[string]*User, error) {
	found, err := p.svc.Users.FindByEmails(ctx, emails)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*User, len(found))
	if len(found) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(found))
	for _, f := range found {
		ids = append(ids, f.ID)
	}
	users, err := p.svc.Users.Read(ctx, ids) // MaxEmailsPerLookup ≤ MaxUsersPerRead
	if err != nil {
		return nil, err
	}
	for email, f := range found {
		u, ok := users[f.ID]
		if !ok {
			return nil, fmt.Errorf("user %s (%s) is in search but could not be read: %w", email, f.ID, ErrNotFound)
		}
		out[email] = &u
	}
	return out, nil
}

// findUser is findUsers for one email; nil when there is no such user.
func (p *pipeline) findUser(ctx context.Context, email string) (*User, error) {
	found, err := p.findUsers(ctx, []string{email})
	if err != nil {
		return nil, err
	}
	return found[strings.ToLower(email)], nil
}

// readUser reads one user by id, whatever its state.
func (p *pipeline) readUser(ctx context.Context, id string) (*User, error) {
	users, err := p.svc.Users.Read(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	u, ok := users[id]
	if !ok {
		return nil, fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	return &u, nil
}
