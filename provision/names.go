package provision

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// names resolves the names in a file to ids. Each kind of object is listed once per run,
// on first use, however many rows ask at once (each list is loaded by a sync.OnceValues);
// names match exactly, as Genesys matches them, and a near miss suggests the real name. It
// is safe for concurrent use.
type names struct {
	home       func() (Ref, error)
	divisions  func() (map[string]Ref, error)
	roles      func() (map[string]Ref, error)
	groups     func() (map[string]Ref, error)
	queues     func() (map[string]Ref, error)
	skills     func() (map[string]Ref, error)
	languages  func() (map[string]Ref, error)
	locations  func() (map[string]Ref, error)
	sites      func() (map[string]Ref, error)
	phoneBases func() (map[string]PhoneBase, error)

	mu      sync.Mutex
	members map[string]func() (map[string]bool, error) // queue id → its members, loaded once
	listMem func(ctx context.Context, queueID string) ([]string, error)
	ctx     context.Context
}

func newNames(ctx context.Context, svc Services) *names {
	if svc.Authorization == nil {
		return &names{} // --validate: no API, no names
	}
	list := func(f func(context.Context) ([]Ref, error)) func() (map[string]Ref, error) {
		return listOnce(ctx, f, func(r Ref) string { return r.Name })
	}
	n := &names{
		home:       sync.OnceValues(func() (Ref, error) { return svc.Authorization.HomeDivision(ctx) }),
		divisions:  list(svc.Authorization.ListDivisions),
		roles:      list(svc.Authorization.ListRoles),
		groups:     list(svc.Groups.ListGroups),
		sites:      list(svc.Telephony.ListSites),
		members:    map[string]func() (map[string]bool, error){},
		ctx:        ctx,
		phoneBases: listOnce(ctx, svc.Telephony.ListPhoneBases, func(pb PhoneBase) string { return pb.Name }),
	}
	if svc.Routing != nil {
		n.queues = list(svc.Routing.ListQueues)
		n.skills = list(svc.Routing.ListSkills)
		n.languages = list(svc.Routing.ListLanguages)
		n.listMem = svc.Routing.QueueMembers
	}
	if svc.Locations != nil {
		n.locations = list(svc.Locations.ListLocations)
	}
	return n
}

// listOnce returns a function that lists objects with f on its first call, and from then
// on returns them by name.
func listOnce[T any](ctx context.Context, f func(context.Context) ([]T, error), name func(T) string) func() (map[string]T, error) {
	return sync.OnceValues(func() (map[string]T, error) {
		l, err := f(ctx)
		if err != nil {
			return nil, err
		}
		m := make(map[string]T, len(l))
		for _, v := range l {
			m[name(v)] = v
		}
		return m, nil
	})
}

// queueMembers returns the members of a queue as a set, listed once per run.
func (n *names) queueMembers(queueID string) (map[string]bool, error) {
	n.mu.Lock()
	load, ok := n.members[queueID]
	if !ok {
		load = sync.OnceValues(func() (map[string]bool, error) {
			ids, err := n.listMem(n.ctx, queueID)
			if err != nil {
				return nil, err
			}
			set := make(map[string]bool, len(ids))
			for _, id := range ids {
				set[id] = true
			}
			return set, nil
		})
		n.members[queueID] = load
	}
	n.mu.Unlock()
	return load()
}

// notFoundError says that a name is not in the org, with a suggestion when a name is near.
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

// find looks name up in the list load returns; a miss is a *notFoundError, a failure to
// list is returned as is.
func find[T any](kind, name string, load func() (map[string]T, error)) (T, error) {
	var zero T
	if load == nil {
		return zero, fmt.Errorf("no API for %ss", kind)
	}
	m, err := load()
	if err != nil {
		return zero, fmt.Errorf("list %ss: %w", kind, err)
	}
	if v, ok := m[name]; ok {
		return v, nil
	}
	return zero, &notFoundError{kind: kind, name: name, suggestion: closest(name, m)}
}

// closest returns the name in m nearest to name: the same but for case and spacing, or
// within two edits of it (a third of the name's length for short names); "" when none is
// that near.
func closest[T any](name string, m map[string]T) string {
	fold := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	want := fold(name)
	limit := min(2, len([]rune(want))/3)
	best, bestDist := "", limit+1
	for k := range m {
		d := editDistance(want, fold(k))
		if d < bestDist || (d == bestDist && k < best) {
			best, bestDist = k, d
		}
	}
	return best
}

// nameOf finds the name of the object with id in a list, or returns the id when it is not
// there; it serves the report, for the few objects a run removes.
func (n *names) nameOf(load func() (map[string]Ref, error), id string) string {
	if load == nil {
		return id
	}
	m, err := load()
	if err != nil {
		return id
	}
	for _, r := range m {
		if r.ID == id {
			return r.Name
		}
	}
	return id
}

// divisionName is nameOf for divisions, with "*" named.
func (n *names) divisionName(id string) string {
	if id == "*" {
		return "all divisions"
	}
	return n.nameOf(n.divisions, id)
}

// defaultRole returns the org's default role, the one every new user gets; false when the
// org has none or the roles could not be listed.
func (n *names) defaultRole() (Ref, bool) {
	if n.roles == nil {
		return Ref{}, false
	}
	m, err := n.roles()
	if err != nil {
		return Ref{}, false
	}
	for _, r := range m {
		if r.Default {
			return r, true
		}
	}
	return Ref{}, false
}

// isDefaultRole reports whether id is the org's default role, which replace mode keeps.
func (n *names) isDefaultRole(id string) bool {
	m, err := n.roles()
	if err != nil {
		return true // when in doubt, keep
	}
	for _, r := range m {
		if r.ID == id {
			return r.Default
		}
	}
	return false
}

// name is namer's: the name of the object of kind with id, or id.
func (n *names) name(kind, id string) string {
	switch kind {
	case "role":
		return n.nameOf(n.roles, id)
	case "division":
		return n.divisionName(id)
	case "group":
		return n.nameOf(n.groups, id)
	case "queue":
		return n.nameOf(n.queues, id)
	case "skill":
		return n.nameOf(n.skills, id)
	case "language":
		return n.nameOf(n.languages, id)
	}
	return id
}
