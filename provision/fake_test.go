package provision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// fakeOrg is a hand-written stand-in for the API areas, with Func fields to script
// failures. It is safe for concurrent use.
type fakeOrg struct {
	mu         sync.Mutex
	users      map[string]*User // by lower-cased email
	grants     map[string][]Grant
	phones     map[string]Phone // by user id
	stations   map[string]string
	nextID     int
	writes     int
	creates    map[string]int
	groupCalls [][]string
	roleCalls  [][]string
	bulkCalls  [][]Grant
	hidden     map[string]int // email → searches that still miss it (search lag)
	searches   int            // FindByEmails calls

	CreateFunc     func(in NewUser) error          // runs before a create; an error with commit=true still creates
	CreateCommits  func(in NewUser) bool           // whether CreateFunc's error happens after the commit
	AddMembersFunc func(ids []string) error        // runs before an add
	GrantFunc      func(ids []string) error        // runs before a grant
	FindFunc       func(email string) error        // runs before a lookup
	PhoneFunc      func(in NewPhone) (bool, error) // (committed, err)
	StationFunc    func(userID string) error       // runs before a station lookup
	UpdateFunc     func(p UserPatch) error         // runs before a PATCH
}

func newFakeOrg() *fakeOrg {
	return &fakeOrg{users: map[string]*User{}, grants: map[string][]Grant{}, phones: map[string]Phone{},
		stations: map[string]string{}, creates: map[string]int{}, hidden: map[string]int{}}
}

func (f *fakeOrg) services() Services {
	return Services{Users: fakeUsers{f}, Authorization: fakeAuthz{f}, Groups: fakeGroups{f}, Telephony: fakeTel{f}}
}

func (f *fakeOrg) id() string { f.nextID++; return fmt.Sprintf("id-%d", f.nextID) }

type fakeUsers struct{ f *fakeOrg }

// findByEmail is the fake's search for one email.
func (u fakeUsers) findByEmail(_ context.Context, email string) (*User, error) {
	f := u.f
	if f.FindFunc != nil {
		if err := f.FindFunc(email); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := strings.ToLower(email)
	if f.hidden[key] > 0 {
		f.hidden[key]--
		return nil, nil
	}
	if usr, ok := f.users[key]; ok {
		cp := *usr
		cp.GroupIDs = append([]string(nil), usr.GroupIDs...)
		return &cp, nil
	}
	return nil, nil
}

func (u fakeUsers) Read(_ context.Context, ids []string) (map[string]User, error) {
	f := u.f
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]User{}
	for _, usr := range f.users {
		if slices.Contains(ids, usr.ID) {
			cp := *usr
			cp.GroupIDs = append([]string(nil), usr.GroupIDs...)
			out[usr.ID] = cp
		}
	}
	return out, nil
}

func (u fakeUsers) Create(_ context.Context, in NewUser) (User, error) {
	f := u.f
	var ferr error
	if f.CreateFunc != nil {
		ferr = f.CreateFunc(in)
		if ferr != nil && (f.CreateCommits == nil || !f.CreateCommits(in)) {
			f.mu.Lock()
			f.writes++
			f.creates[strings.ToLower(in.Email)]++
			f.mu.Unlock()
			return User{}, ferr
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	key := strings.ToLower(in.Email)
	f.creates[key]++
	if _, ok := f.users[key]; ok {
		return User{}, &RemoteError{Status: 409, Code: "general.conflict", Kind: ErrConflict}
	}
	usr := &User{ID: f.id(), Name: in.Name, Email: in.Email, State: "active", DivisionID: in.DivisionID, Version: 1}
	f.users[key] = usr
	if ferr != nil {
		return User{}, ferr
	}
	return *usr, nil
}

func (u fakeUsers) SetDefaultStation(_ context.Context, userID, stationID string) error {
	f := u.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	for _, usr := range f.users {
		if usr.ID == userID {
			usr.DefaultStationID = stationID
		}
	}
	return nil
}

type fakeAuthz struct{ f *fakeOrg }

func (a fakeAuthz) HomeDivision(context.Context) (Ref, error) {
	return Ref{ID: "home", Name: "Home"}, nil
}
func (a fakeAuthz) ListRoles(context.Context) ([]Ref, error) {
	return []Ref{{ID: "r1", Name: "Communicate - User"}, {ID: "r2", Name: "Agent"}}, nil
}
func (a fakeAuthz) UserGrants(_ context.Context, userID string) ([]Grant, error) {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	return append([]Grant(nil), a.f.grants[userID]...), nil
}
func (a fakeAuthz) GrantRole(_ context.Context, roleID, divisionID string, ids []string) error {
	f := a.f
	if f.GrantFunc != nil {
		if err := f.GrantFunc(ids); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	f.roleCalls = append(f.roleCalls, append([]string(nil), ids...))
	for _, id := range ids {
		f.grants[id] = append(f.grants[id], Grant{RoleID: roleID, DivisionID: divisionID})
	}
	return nil
}

type fakeGroups struct{ f *fakeOrg }

func (g fakeGroups) ListGroups(context.Context) ([]Ref, error) {
	return []Ref{{ID: "g1", Name: "Annuities"}, {ID: "g2", Name: "IRA"}}, nil
}
func (g fakeGroups) AddMembers(_ context.Context, groupID string, ids []string) error {
	f := g.f
	if f.AddMembersFunc != nil {
		if err := f.AddMembersFunc(ids); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	f.groupCalls = append(f.groupCalls, append([]string(nil), ids...))
	for _, usr := range f.users {
		for _, id := range ids {
			if usr.ID == id {
				usr.GroupIDs = append(usr.GroupIDs, groupID)
			}
		}
	}
	return nil
}

type fakeTel struct{ f *fakeOrg }

func (t fakeTel) ListSites(context.Context) ([]Ref, error) {
	return []Ref{{ID: "s1", Name: "Site"}}, nil
}
func (t fakeTel) ListPhoneBases(context.Context) ([]PhoneBase, error) {
	return []PhoneBase{{ID: "pb1", Name: "WebRTC", LineBaseID: "lb1", LineName: "l", PhoneMetaBaseID: "m"}}, nil
}
func (t fakeTel) FindPhoneByUser(_ context.Context, userID string) (*Phone, error) {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	if p, ok := t.f.phones[userID]; ok {
		return &p, nil
	}
	return nil, nil
}
func (t fakeTel) CreatePhone(_ context.Context, in NewPhone) (Phone, error) {
	f := t.f
	var ferr error
	if f.PhoneFunc != nil {
		var committed bool
		committed, ferr = f.PhoneFunc(in)
		if ferr != nil && !committed {
			return Phone{}, ferr
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	p := Phone{ID: f.id(), Name: in.Name, UserID: in.User.ID}
	if _, dup := f.phones[in.User.ID]; dup {
		panic("a second phone for " + in.User.ID)
	}
	f.phones[in.User.ID] = p
	f.stations[in.User.ID] = "st-" + p.ID
	if ferr != nil {
		return Phone{}, ferr
	}
	return p, nil
}
func (t fakeTel) FindStationByUser(_ context.Context, userID string) (string, error) {
	if t.f.StationFunc != nil {
		if err := t.f.StationFunc(userID); err != nil {
			return "", err
		}
	}
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.f.stations[userID], nil
}

func (u fakeUsers) Update(_ context.Context, id string, _ int, p UserPatch) error {
	f := u.f
	if f.UpdateFunc != nil {
		if err := f.UpdateFunc(p); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	for _, usr := range f.users {
		if usr.ID != id {
			continue
		}
		if p.Manager != nil {
			usr.ManagerID = *p.Manager
		}
		if p.Locations != nil {
			usr.Locations = append([]Placement(nil), p.Locations...)
		}
		if p.Employer != nil {
			usr.Employer = *p.Employer
		}
		usr.Version++
	}
	return nil
}

func (u fakeUsers) Invite(context.Context, string) error {
	u.f.mu.Lock()
	defer u.f.mu.Unlock()
	u.f.writes++
	return nil
}

func (a fakeAuthz) ListDivisions(context.Context) ([]Ref, error) {
	return []Ref{{ID: "home", Name: "Home"}, {ID: "d2", Name: "Sales"}, {ID: "d3", Name: "Support"}}, nil
}

func (a fakeAuthz) GrantRoles(_ context.Context, userID string, grants []Grant) error {
	f := a.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	f.bulkCalls = append(f.bulkCalls, append([]Grant(nil), grants...))
	f.grants[userID] = append(f.grants[userID], grants...)
	return nil
}

func (u fakeUsers) Restore(_ context.Context, id string) error { return u.setState(id, "active") }

// setState sets the state of the user with id, in one write.
func (u fakeUsers) setState(id, state string) error {
	u.f.mu.Lock()
	defer u.f.mu.Unlock()
	u.f.writes++
	for _, usr := range u.f.users {
		if usr.ID == id {
			usr.State = state
		}
	}
	return nil
}

func (a fakeAuthz) MoveUsers(_ context.Context, div string, ids []string) error {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	a.f.writes++
	for _, usr := range a.f.users {
		for _, id := range ids {
			if usr.ID == id {
				usr.DivisionID = div
			}
		}
	}
	return nil
}

func (u fakeUsers) Deactivate(_ context.Context, id string) error { return u.setState(id, "inactive") }

func (u fakeUsers) InDivision(_ context.Context, div string) ([]Found, error) {
	u.f.mu.Lock()
	defer u.f.mu.Unlock()
	var out []Found
	for _, usr := range u.f.users {
		if usr.DivisionID == div && usr.State == "active" {
			out = append(out, Found{ID: usr.ID, Email: usr.Email, State: usr.State})
		}
	}
	return out, nil
}

func (a fakeAuthz) RevokeRoles(_ context.Context, userID string, grants []Grant) error {
	f := a.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	var keep []Grant
	for _, g := range f.grants[userID] {
		if !slices.Contains(grants, g) {
			keep = append(keep, g)
		}
	}
	f.grants[userID] = keep
	return nil
}

func (g fakeGroups) RemoveMembers(_ context.Context, groupID string, ids []string) error {
	f := g.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	for _, usr := range f.users {
		if slices.Contains(ids, usr.ID) {
			usr.GroupIDs = slices.DeleteFunc(usr.GroupIDs, func(s string) bool { return s == groupID })
		}
	}
	return nil
}

func (g fakeGroups) Individuals(_ context.Context, groupID string) ([]Found, error) {
	f := g.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Found
	for _, usr := range f.users {
		if slices.Contains(usr.GroupIDs, groupID) {
			out = append(out, Found{ID: usr.ID, Email: usr.Email, State: usr.State})
		}
	}
	return out, nil
}

func (u fakeUsers) FindByEmails(ctx context.Context, emails []string) (map[string]Found, error) {
	if len(emails) > MaxEmailsPerLookup {
		return nil, fmt.Errorf("%d emails: %w", len(emails), ErrRejected)
	}
	u.f.mu.Lock()
	u.f.searches++
	u.f.mu.Unlock()
	out := map[string]Found{}
	for _, e := range emails {
		usr, err := u.findByEmail(ctx, e)
		if err != nil {
			return nil, err
		}
		if usr != nil {
			out[strings.ToLower(e)] = Found{ID: usr.ID, Email: usr.Email, State: usr.State}
		}
	}
	return out, nil
}

// RoleGrants lists the fake's users holding roleID, by division.
func (a fakeAuthz) RoleGrants(_ context.Context, roleID string) ([]SubjectGrant, error) {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	var out []SubjectGrant
	for userID, grants := range a.f.grants {
		var divs []string
		for _, g := range grants {
			if g.RoleID == roleID {
				divs = append(divs, g.DivisionID)
			}
		}
		if len(divs) > 0 {
			out = append(out, SubjectGrant{UserID: userID, DivisionIDs: divs})
		}
	}
	return out, nil
}

// List lists the fake's users in state.
func (u fakeUsers) List(_ context.Context, state string) ([]User, error) {
	u.f.mu.Lock()
	defer u.f.mu.Unlock()
	var out []User
	for _, usr := range u.f.users {
		if usr.State == state {
			out = append(out, *usr)
		}
	}
	return out, nil
}

// fakeWho is a Privileged with a scripted answer; it counts its calls.
type fakeWho struct {
	priv  Privileges
	err   error
	calls atomic.Int32
}

func (w *fakeWho) Privileges(context.Context) (Privileges, error) {
	w.calls.Add(1)
	return w.priv, w.err
}
