package provision

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// directory resolves names to ids. Each kind of object is listed once per run, on first
// use, however many rows ask at once; names match exactly, as Genesys matches them. It is
// safe for concurrent use.
type directory struct {
	home       func() (Ref, error)
	roles      func() (map[string]Ref, error)
	groups     func() (map[string]Ref, error)
	sites      func() (map[string]Ref, error)
	phoneBases func() (map[string]PhoneBase, error)
}

func newDirectory(ctx context.Context, svc Services) *directory {
	return &directory{
		home: sync.OnceValues(func() (Ref, error) { return svc.Authorization.HomeDivision(ctx) }),
		roles: sync.OnceValues(func() (map[string]Ref, error) {
			return byName(svc.Authorization.ListRoles(ctx))
		}),
		groups: sync.OnceValues(func() (map[string]Ref, error) {
			return byName(svc.Groups.ListGroups(ctx))
		}),
		sites: sync.OnceValues(func() (map[string]Ref, error) {
			return byName(svc.Telephony.ListSites(ctx))
		}),
		phoneBases: sync.OnceValues(func() (map[string]PhoneBase, error) {
			list, err := svc.Telephony.ListPhoneBases(ctx)
			if err != nil {
				return nil, err
			}
			m := make(map[string]PhoneBase, len(list))
			for _, pb := range list {
				m[pb.Name] = pb
			}
			return m, nil
		}),
	}
}

func byName(list []Ref, err error) (map[string]Ref, error) {
	if err != nil {
		return nil, err
	}
	m := make(map[string]Ref, len(list))
	for _, r := range list {
		m[r.Name] = r
	}
	return m, nil
}

// notFoundError says that a name is not in the org, with a suggestion when a name differs
// only by case or spacing.
type notFoundError struct {
	kind, name, suggestion string
}

func (e *notFoundError) Error() string {
	msg := fmt.Sprintf("%s '%s' not found in org", e.kind, e.name)
	if e.suggestion != "" {
		msg += fmt.Sprintf("; did you mean '%s'?", e.suggestion)
	}
	return msg
}

// lookup finds name in m; a miss is a *notFoundError, a failure to list is returned as is.
func lookup[T any](kind, name string, load func() (map[string]T, error)) (T, error) {
	var zero T
	m, err := load()
	if err != nil {
		return zero, fmt.Errorf("list %ss: %w", kind, err)
	}
	if v, ok := m[name]; ok {
		return v, nil
	}
	nf := &notFoundError{kind: kind, name: name, suggestion: closest(name, m)}
	return zero, nf
}

// closest returns the name in m nearest to name: the same but for case and spacing, or
// within two edits of it; "" when none is that near.
func closest[T any](name string, m map[string]T) string {
	fold := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	want := fold(name)
	best, bestDist := "", 3
	for k := range m {
		d := editDistance(want, fold(k))
		if d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	return best
}

// resolved is what a row's names stand for.
type resolved struct {
	role      Ref
	group     Ref
	site      Ref
	phoneBase PhoneBase
}

// resolve looks up every name in the row. Names that are not in the org come back as
// RowErrors naming their columns; a failure to list a kind of object is returned as is.
func (d *directory) resolve(r *CSVReader, row Row) (resolved, RowErrors, error) {
	var out resolved
	var bad RowErrors
	try := func(column string, err error) error {
		if err == nil {
			return nil
		}
		if nf, ok := err.(*notFoundError); ok {
			idx, header := r.Column(column)
			bad = append(bad, &InputError{File: r.name, Line: row.Line, Column: idx, Field: header, Msg: nf.Error()})
			return nil
		}
		return err
	}
	var err error
	if row.Role != "" {
		out.role, err = lookup("role", row.Role, d.roles)
		if err = try("role", err); err != nil {
			return out, nil, err
		}
	}
	if row.Group != "" {
		out.group, err = lookup("group", row.Group, d.groups)
		if err = try("group", err); err != nil {
			return out, nil, err
		}
	}
	if row.SiteName != "" {
		out.site, err = lookup("site", row.SiteName, d.sites)
		if err = try("sitename", err); err != nil {
			return out, nil, err
		}
	}
	if row.PhoneBase != "" {
		out.phoneBase, err = lookup("phone base", row.PhoneBase, d.phoneBases)
		if err = try("phonebase", err); err != nil {
			return out, nil, err
		}
	}
	return out, bad, nil
}
