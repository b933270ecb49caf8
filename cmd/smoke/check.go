package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/user-provisioning/user-provisioning/provision"
)

// checkUser reads user id back from the org (the user with its expansions, its own role
// grants, its queues and, with a phone, its phone and station) and returns, one line each,
// how it differs from what x asked for. managerID is the id the manager must have.
func (s *smoke) checkUser(ctx context.Context, x person, id, managerID string) []string {
	var diffs []string
	add := func(format string, args ...any) {
		diffs = append(diffs, x.email+": "+fmt.Sprintf(format, args...))
	}
	u, err := s.readUser(ctx, id)
	if err != nil {
		add("read the user: %v", err)
		return diffs
	}
	field := func(name, got, want string) {
		if got != want {
			add("%s is '%s', expected '%s'", name, got, want)
		}
	}
	ref := func(kind, got string, want provision.Ref) {
		if got != want.ID {
			add("%s is %s, expected '%s' (%s)", kind, s.nameOf(got), want.Name, want.ID)
		}
	}
	field("name", u.Name, x.name)
	field("email", strings.ToLower(u.Email), x.email)
	field("state", u.State, "active")
	field("title", u.Title, x.title)
	field("department", u.Department, x.department)
	ref("division", u.DivisionID, s.plan.org.division)
	if u.ManagerID != managerID {
		add("manager is %s, expected %s", s.nameOf(u.ManagerID), s.nameOf(managerID))
	}
	var locations []string
	for _, l := range u.Locations {
		locations = append(locations, l.LocationID)
	}
	if !slices.Contains(locations, s.plan.org.location.ID) {
		add("location '%s' missing (locations: %s)", s.plan.org.location.Name, s.namesOf(locations))
	}
	field("employee id", u.Employer.EmployeeID, x.employeeID)
	field("employee type", u.Employer.EmployeeType, x.employeeType)
	field("hire date", u.Employer.DateHire, x.hireDate)
	work := provision.Contact{MediaType: "PHONE", Type: "WORK", Address: x.phoneE164}
	if !slices.ContainsFunc(u.Addresses, func(c provision.Contact) bool {
		return c.MediaType == work.MediaType && c.Type == work.Type && c.Address == work.Address
	}) {
		add("work phone %s missing (addresses: %v)", x.phoneE164, u.Addresses)
	}
	if !slices.Contains(u.GroupIDs, s.plan.org.group.ID) {
		add("not a member of group '%s' (groups: %s)", s.plan.org.group.Name, s.namesOf(u.GroupIDs))
	}
	levels := func(kind string, have map[string]float64, want []provision.Ref, proficiency float64) {
		for _, r := range want {
			got, ok := have[r.ID]
			switch {
			case !ok:
				add("%s '%s' missing", kind, r.Name)
			case got != proficiency:
				add("%s '%s' at %s, expected %s", kind, r.Name, fmtLevel(got), fmtLevel(proficiency))
			}
		}
	}
	levels("skill", u.Skills, s.plan.org.skills, x.skill)
	levels("language", u.Languages, s.plan.org.languages, x.language)

	grant := provision.Grant{RoleID: s.plan.org.role.ID, DivisionID: s.plan.org.division.ID}
	if grants, err := s.svc.Authorization.UserGrants(ctx, id); err != nil {
		add("read the role grants: %v", err)
	} else if !slices.Contains(grants, grant) {
		add("role '%s' in '%s' missing (grants: %d)", s.plan.org.role.Name, s.plan.org.division.Name, len(grants))
	}
	if queues, err := s.svc.Routing.UserQueues(ctx, id); err != nil {
		add("read the queues: %v", err)
	} else if !slices.Contains(queues, s.plan.org.queue.ID) {
		add("not a member of queue '%s' (queues: %s)", s.plan.org.queue.Name, s.namesOf(queues))
	}
	if x.phone {
		ph, err := s.svc.Telephony.FindPhoneByUser(ctx, id)
		switch {
		case err != nil:
			add("look up the phone: %v", err)
		case ph == nil:
			add("no WebRTC phone")
		default:
			s.phones[id] = *ph
		}
		station, err := s.svc.Telephony.FindStationByUser(ctx, id)
		switch {
		case err != nil:
			add("look up the station: %v", err)
		case u.DefaultStationID == "":
			add("no default station")
		case station != u.DefaultStationID:
			add("default station is %s, expected the phone's station %s", u.DefaultStationID, station)
		}
	}
	return diffs
}

// checkSearch returns how user search, through which the pipeline finds users, still lags
// behind the users this run created: each must be found, with its id, and active.
func (s *smoke) checkSearch(ctx context.Context) []string {
	found, err := s.svc.Users.FindByEmails(ctx, s.plan.emails())
	if err != nil {
		return []string{fmt.Sprintf("search the users: %v", err)}
	}
	var diffs []string
	for i, x := range s.plan.people {
		u, ok := found[x.email]
		switch {
		case !ok:
			diffs = append(diffs, x.email+": not found by user search")
		case u.ID != s.ids[i]:
			diffs = append(diffs, fmt.Sprintf("%s: user search finds id %s, the run created %s", x.email, u.ID, s.ids[i]))
		case u.State != "active":
			diffs = append(diffs, fmt.Sprintf("%s: user search shows state %s", x.email, u.State))
		}
	}
	return diffs
}

// readUser reads one user by id, whatever its state.
func (s *smoke) readUser(ctx context.Context, id string) (provision.User, error) {
	users, err := s.svc.Users.Read(ctx, []string{id})
	if err != nil {
		return provision.User{}, err
	}
	u, ok := users[id]
	if !ok {
		return u, fmt.Errorf("user %s: %w", id, provision.ErrNotFound)
	}
	return u, nil
}

// nameOf words an id of the org for a message: the name the smoke knows it by, else the id.
func (s *smoke) nameOf(id string) string {
	if id == "" {
		return "none"
	}
	if n, ok := s.names[id]; ok {
		return "'" + n + "'"
	}
	return id
}

func (s *smoke) namesOf(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = s.nameOf(id)
	}
	return strings.Join(out, ", ")
}

func fmtLevel(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
