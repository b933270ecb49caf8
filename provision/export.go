package provision

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"
)

// ExportOptions chooses the users Export writes.
type ExportOptions struct {
	ScopeDivision string   // by name: the users of this division only
	ScopeGroup    string   // by name: the direct members of this group only
	States        []string // "active", "inactive"; none means both. Deleted users never.
	// ListSeparator separates the items of multi-value cells: "," or ";"; "" picks "," unless
	// a name holds one, then ";".
	ListSeparator string
	Progress      *Progress   // Total counts the users once listed, Done those written
	Log           *zap.Logger // where each step says what it read; nil: nowhere
	// UserIDs, when set, are the users to export, whatever their state and scope (a
	// backup: the users a run will change).
	UserIDs []string
}

// ExportResult says what Export wrote.
type ExportResult struct {
	Users         int
	ListSeparator string // what separates the items of multi-value cells
	// SeparatorInNames is set when a name holds the separator the importer splits on by
	// default: the file must be imported with --list-separator ListSeparator.
	SeparatorInNames bool
}

// exportHeader is the export's header: every column the importer reads, by canonical name,
// but the password (never exported). sitename and phonebase are left blank, which the
// importer reads as "leave the phone alone": a phone's site and base would cost a read per
// user.
var exportHeader = []string{"name", "email", "phone_work", "extension", "phone_mobile", "title", "department",
	"email_manager", "location_work", "division", "roles", "groups", "queues", "skills", "languages",
	"hire_date", "employee_id", "employee_type", "state", "sitename", "phonebase"}

// Export writes the org's users in the full dialect to w, one row per user, sorted by email,
// every cell that the importer reads, with names rather than ids. Memberships are read per
// role, per queue and per group rather than per user: the cost is a share of a search and a
// read per user, plus a listing per role and per queue.
func Export(ctx context.Context, svc Services, o ExportOptions, w io.Writer) (ExportResult, error) {
	x := &exporter{svc: svc, names: newNames(ctx, svc), o: o, log: o.Log}
	if x.log == nil {
		x.log = zap.NewNop()
	}
	if svc.Who != nil {
		// An export makes no write, but one that lacks a permission would stop half-way.
		if err := checkPrivileges(ctx, svc.Who, needsOf(exportUses(o)), nil, x.log); err != nil {
			return ExportResult{}, err
		}
	}
	if err := x.listUsers(ctx); err != nil {
		return ExportResult{}, err
	}
	x.log.Info("users read", zap.Int("users", len(x.users)))
	if err := x.readMemberships(ctx); err != nil {
		return ExportResult{}, err
	}
	x.log.Info("role holders and queue members read", zap.Int("users_with_roles", len(x.grants)), zap.Int("users_in_queues", len(x.queues)))
	if err := x.managerEmails(ctx); err != nil {
		return ExportResult{}, err
	}
	sep, inNames, err := x.separator()
	if err != nil {
		return ExportResult{}, err
	}
	if err := x.write(w, sep); err != nil {
		return ExportResult{}, err
	}
	return ExportResult{Users: len(x.users), ListSeparator: sep, SeparatorInNames: inNames}, nil
}

// exporter is one export's state.
type exporter struct {
	svc   Services
	names *names
	o     ExportOptions
	log   *zap.Logger

	users    map[string]User     // by id
	grants   map[string][]string // user id → "Role:Division" items
	queues   map[string][]string // user id → queue names
	managers map[string]string   // user id → email, for the managers the users name
}

// listUsers finds the users of the scope in the states asked for, with everything the
// export writes: without a scope, by listing them (a page of users a call); past the
// listing's cap, or in a scope, by finding them and reading them, MaxUsersPerRead at a time.
func (x *exporter) listUsers(ctx context.Context) error {
	if x.o.UserIDs != nil {
		return x.read(ctx, x.o.UserIDs)
	}
	if x.o.ScopeDivision == "" && x.o.ScopeGroup == "" {
		err := x.listAll(ctx)
		if !errors.Is(err, ErrPagingCap) {
			return err
		}
	}
	found, err := x.scope(ctx)
	if err != nil {
		return err
	}
	var ids []string
	for _, f := range found {
		if slices.Contains(x.states(), f.State) && !slices.Contains(ids, f.ID) {
			ids = append(ids, f.ID)
		}
	}
	return x.read(ctx, ids)
}

// read reads the users ids, MaxUsersPerRead at a time.
func (x *exporter) read(ctx context.Context, ids []string) error {
	if pr := x.o.Progress; pr != nil {
		pr.Total.Store(int64(len(ids)))
	}
	x.users = make(map[string]User, len(ids))
	for chunk := range slices.Chunk(ids, MaxUsersPerRead) {
		read, err := x.svc.Users.Read(ctx, chunk)
		if err != nil {
			return fmt.Errorf("read users: %w", err)
		}
		maps.Copy(x.users, read)
	}
	return nil
}

// listAll lists the users of every state asked for; ErrPagingCap past the listing's cap.
func (x *exporter) listAll(ctx context.Context) error {
	x.users = map[string]User{}
	for _, state := range x.states() {
		users, err := x.svc.Users.List(ctx, state)
		if err != nil {
			return err
		}
		for _, u := range users {
			x.users[u.ID] = u
		}
	}
	if pr := x.o.Progress; pr != nil {
		pr.Total.Store(int64(len(x.users)))
	}
	return nil
}

// states is the states asked for: active and inactive by default.
func (x *exporter) states() []string {
	if len(x.o.States) == 0 {
		return []string{"active", "inactive"}
	}
	return x.o.States
}

// scope lists the users of the scope: a division's, a group's direct members, or every
// division's.
func (x *exporter) scope(ctx context.Context) ([]Found, error) {
	switch {
	case x.o.ScopeGroup != "":
		g, err := find("group", x.o.ScopeGroup, x.names.groups)
		if err != nil {
			return nil, &OptionError{Field: "ScopeGroup", Err: err}
		}
		return x.svc.Groups.Individuals(ctx, g.ID)
	case x.o.ScopeDivision != "":
		d, err := find("division", x.o.ScopeDivision, x.names.divisions)
		if err != nil {
			return nil, &OptionError{Field: "ScopeDivision", Err: err}
		}
		return x.svc.Users.InDivision(ctx, d.ID)
	}
	divs, err := x.names.divisions()
	if err != nil {
		return nil, fmt.Errorf("list divisions: %w", err)
	}
	var all []Found
	for _, name := range slices.Sorted(maps.Keys(divs)) {
		users, err := x.svc.Users.InDivision(ctx, divs[name].ID)
		if err != nil {
			return nil, fmt.Errorf("list the users of division '%s': %w", name, err)
		}
		all = append(all, users...)
	}
	return all, nil
}

// readMemberships reads the role grants per role and the queue members per queue, and keeps
// those of the exported users.
func (x *exporter) readMemberships(ctx context.Context) error {
	roles, err := x.names.roles()
	if err != nil {
		return fmt.Errorf("list roles: %w", err)
	}
	x.grants = map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(roles)) {
		held, err := x.svc.Authorization.RoleGrants(ctx, roles[name].ID)
		if err != nil {
			return fmt.Errorf("list the holders of role '%s': %w", name, err)
		}
		for _, g := range held {
			if _, ok := x.users[g.UserID]; !ok {
				continue
			}
			for _, div := range g.DivisionIDs {
				divName := "*"
				if div != "*" {
					divName = x.names.name("division", div)
				}
				x.grants[g.UserID] = append(x.grants[g.UserID], name+":"+divName)
			}
		}
	}
	x.queues = map[string][]string{}
	if x.names.queues == nil {
		return nil
	}
	queues, err := x.names.queues()
	if err != nil {
		return fmt.Errorf("list queues: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(queues)) {
		members, err := x.svc.Routing.QueueMembers(ctx, queues[name].ID)
		if err != nil {
			return fmt.Errorf("list the members of queue '%s': %w", name, err)
		}
		for _, id := range members {
			if _, ok := x.users[id]; ok {
				x.queues[id] = append(x.queues[id], name)
			}
		}
	}
	return nil
}

// managerEmails finds the email of every manager the users name: an exported user's, or
// read, MaxUsersPerRead at a time.
func (x *exporter) managerEmails(ctx context.Context) error {
	x.managers = map[string]string{}
	var missing []string
	for _, u := range x.users {
		if id := u.ManagerID; id != "" {
			if m, ok := x.users[id]; ok {
				x.managers[id] = m.Email
			} else if !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
		}
	}
	for chunk := range slices.Chunk(missing, MaxUsersPerRead) {
		read, err := x.svc.Users.Read(ctx, chunk)
		if err != nil {
			return fmt.Errorf("read managers: %w", err)
		}
		for id, m := range read {
			x.managers[id] = m.Email
		}
	}
	return nil
}

// separator picks what separates the items of multi-value cells: the option, else "," or,
// when a name holds a ",", ";". inNames is set when a name holds a "," or a ";", which the
// importer splits on by default. A name that holds the separator is an error.
func (x *exporter) separator() (sep string, inNames bool, err error) {
	var items []string
	for id := range x.users {
		items = append(items, x.grants[id]...)
		items = append(items, x.queues[id]...)
		items = append(items, x.itemNames(x.users[id])...)
	}
	hasComma := slices.ContainsFunc(items, func(s string) bool { return strings.Contains(s, ",") })
	hasSemi := slices.ContainsFunc(items, func(s string) bool { return strings.Contains(s, ";") })
	sep = x.o.ListSeparator
	if sep == "" {
		sep = ","
		if hasComma {
			sep = ";"
		}
	}
	if (sep == "," && hasComma) || (sep == ";" && hasSemi) {
		return "", false, &OptionError{Field: "ListSeparator", Err: fmt.Errorf("a name holds %q, which would split it on import; choose the other separator", sep)}
	}
	return sep, hasComma || hasSemi, nil
}

// itemNames is the names of the user's groups, skills and languages.
func (x *exporter) itemNames(u User) []string {
	var out []string
	for _, id := range u.GroupIDs {
		out = append(out, x.names.name("group", id))
	}
	for id := range u.Skills {
		out = append(out, x.names.name("skill", id))
	}
	for id := range u.Languages {
		out = append(out, x.names.name("language", id))
	}
	return out
}

// write writes the header and the users, sorted by email.
func (x *exporter) write(w io.Writer, sep string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return err
	}
	users := slices.SortedFunc(maps.Values(x.users), func(a, b User) int {
		return strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
	})
	for _, u := range users {
		if err := cw.Write(x.row(u, sep)); err != nil {
			return err
		}
		if pr := x.o.Progress; pr != nil {
			pr.Done.Add(1)
		}
	}
	cw.Flush()
	return cw.Error()
}

// row is one user's cells, in exportHeader's order.
func (x *exporter) row(u User, sep string) []string {
	join := func(items []string) string {
		slices.Sort(items)
		return strings.Join(items, sep)
	}
	var groups []string
	for _, id := range u.GroupIDs {
		groups = append(groups, x.names.name("group", id))
	}
	location := ""
	if len(u.Locations) > 0 {
		location = x.names.nameOf(x.names.locations, u.Locations[0].LocationID)
	}
	return []string{
		u.Name, u.Email,
		contactOf(u.Addresses, "WORK").Address, contactOf(u.Addresses, "WORK2").Extension, contactOf(u.Addresses, "MOBILE").Address,
		u.Title, u.Department, x.managers[u.ManagerID], location, x.names.name("division", u.DivisionID),
		join(x.grants[u.ID]), join(groups), join(x.queues[u.ID]),
		join(levelItems(u.Skills, func(id string) string { return x.names.name("skill", id) })),
		join(levelItems(u.Languages, func(id string) string { return x.names.name("language", id) })),
		u.Employer.DateHire, u.Employer.EmployeeID, u.Employer.EmployeeType, u.State,
		"", "", // sitename, phonebase: see exportHeader
	}
}

// contactOf is the user's phone address of type typ (WORK, WORK2, MOBILE); zero when none.
func contactOf(addresses []Contact, typ string) Contact {
	for _, c := range addresses {
		if c.MediaType == "PHONE" && c.Type == typ {
			return c
		}
	}
	return Contact{}
}

// levelItems words proficiencies as the importer reads them: "Billing:4".
func levelItems(levels map[string]float64, name func(id string) string) []string {
	out := make([]string, 0, len(levels))
	for id, v := range levels {
		out = append(out, name(id)+":"+formatLevel(v))
	}
	return out
}
