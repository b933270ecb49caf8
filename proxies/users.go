package proxies

import (
	"context"
	"fmt"
	"strings"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// Users implements provision.Users.
type Users struct{ c *Client }

var _ provision.Users = (*Users)(nil)

func (u *Users) api(ctx context.Context) platformclientv2.UsersApi {
	return platformclientv2.UsersApi{Configuration: u.c.cfg(ctx)}
}

// userExpand is what the pipeline compares with a row. Expansion is best effort on the
// real API; the simulator always honours it.
var userExpand = []string{"groups", "station", "skills", "languages", "locations", "employerInfo"}

// userStates is every state a user can be in: a search without a state criterion returns
// active users only.
var userStates = []string{"active", "inactive", "deleted"}

// FindByEmail is FindByEmails for one email.
func (u *Users) FindByEmail(ctx context.Context, email string) (*provision.User, error) {
	found, err := u.FindByEmails(ctx, []string{email})
	if err != nil {
		return nil, err
	}
	return found[strings.ToLower(email)], nil
}

// FindByEmails calls POST /api/v2/users/search with one exact criterion over many emails
// and every state, paging through the results.
func (u *Users) FindByEmails(ctx context.Context, emails []string) (map[string]*provision.User, error) {
	if len(emails) > provision.MaxEmailsPerLookup {
		return nil, fmt.Errorf("look up %d emails: %w: at most %d per call", len(emails), provision.ErrRejected, provision.MaxEmailsPerLookup)
	}
	found := make(map[string]*provision.User, len(emails))
	if len(emails) == 0 {
		return found, nil
	}
	users, err := u.search(ctx, platformclientv2.Usersearchrequest{
		Expand: &userExpand,
		Query: &[]platformclientv2.Usersearchcriteria{
			{VarType: ptr("EXACT"), Fields: &[]string{"email"}, Values: &emails},
			{VarType: ptr("EXACT"), Fields: &[]string{"state"}, Values: &userStates},
		},
	})
	for i := range users {
		found[strings.ToLower(users[i].Email)] = &users[i]
	}
	return found, err
}

// Get calls GET /api/v2/users/{userId} with userExpand expanded.
func (u *Users) Get(ctx context.Context, id string) (provision.User, error) {
	res, resp, err := u.api(ctx).GetUser(id, userExpand, "", "")
	if err := check("GET /api/v2/users/{id}", resp, err); err != nil {
		return provision.User{}, err
	}
	return toUser(*res), nil
}

// Create calls POST /api/v2/users (state active unless in.State says otherwise). It is
// never retried after an ambiguous failure: the caller looks the email up first.
func (u *Users) Create(ctx context.Context, in provision.NewUser) (provision.User, error) {
	state := in.State
	if state == "" {
		state = "active"
	}
	body := platformclientv2.Createuser{
		Name:       ptr(in.Name),
		Email:      ptr(in.Email),
		DivisionId: ptr(in.DivisionID),
		State:      ptr(state),
		Title:      optional(in.Title),
		Department: optional(in.Department),
		Password:   optional(in.Password),
	}
	if len(in.Addresses) > 0 {
		body.Addresses = toContacts(in.Addresses)
	}
	res, resp, err := u.api(notIdempotent(ctx)).PostUsers(body)
	if err := check("POST /api/v2/users", resp, err); err != nil {
		return provision.User{}, err
	}
	return toUser(*res), nil
}

// SetDefaultStation calls PUT /api/v2/users/{userId}/station/defaultstation/{stationId}.
func (u *Users) SetDefaultStation(ctx context.Context, userID, stationID string) error {
	resp, err := u.api(ctx).PutUserStationDefaultstationStationId(userID, stationID)
	return check("PUT /api/v2/users/{id}/station/defaultstation/{stationId}", resp, err)
}

// Update calls PATCH /api/v2/users/{userId} with the user's version, reading the version
// again (GET /api/v2/users/{userId}) after a conflict.
func (u *Users) Update(ctx context.Context, id string, version int, p provision.UserPatch) error {
	body := platformclientv2.Updateuser{Name: p.Name, Title: p.Title, Department: p.Department, Manager: p.Manager}
	if p.Addresses != nil {
		body.Addresses = toContacts(p.Addresses)
	}
	if p.LocationIDs != nil {
		locs := make([]platformclientv2.Location, len(p.LocationIDs))
		for i := range p.LocationIDs {
			locs[i] = platformclientv2.Location{Id: &p.LocationIDs[i]}
		}
		body.Locations = &locs
	}
	if e := p.Employer; e != nil {
		body.EmployerInfo = &platformclientv2.Employerinfo{
			EmployeeId: optional(e.EmployeeID), EmployeeType: optional(e.EmployeeType), DateHire: optional(e.DateHire),
		}
	}
	read := func() (int, error) {
		cur, err := u.Get(ctx, id)
		return cur.Version, err
	}
	return onVersion(version, read, func(v int) error {
		body.Version = ptr(v)
		return u.patch(ctx, id, body)
	})
}

func (u *Users) patch(ctx context.Context, id string, body platformclientv2.Updateuser) error {
	_, resp, err := u.api(ctx).PatchUser(id, body)
	return check("PATCH /api/v2/users/{id}", resp, err)
}

// Restore reads a deleted user (GET /api/v2/users/{userId}?state=deleted) and calls
// PATCH /api/v2/users/{userId} with state active alone, as the API requires; a version
// conflict reads the user again.
func (u *Users) Restore(ctx context.Context, id string) error {
	read := func() (int, error) {
		cur, resp, err := u.api(ctx).GetUser(id, nil, "", "deleted")
		if err := check("GET /api/v2/users/{id}", resp, err); err != nil {
			return 0, err
		}
		if deref(cur.State) != "deleted" {
			return 0, errSettled
		}
		return deref(cur.Version), nil
	}
	return onVersion(0, read, func(v int) error {
		return u.patch(ctx, id, platformclientv2.Updateuser{State: ptr("active"), Version: ptr(v)})
	})
}

// Deactivate reads the user's version and calls PATCH /api/v2/users/{userId} with state
// inactive alone; a version conflict reads the user again.
func (u *Users) Deactivate(ctx context.Context, id string) error {
	read := func() (int, error) {
		cur, err := u.Get(ctx, id)
		if err == nil && cur.State == "inactive" {
			return 0, errSettled
		}
		return cur.Version, err
	}
	return onVersion(0, read, func(v int) error {
		return u.patch(ctx, id, platformclientv2.Updateuser{State: ptr("inactive"), Version: ptr(v)})
	})
}

// searchPageSize is the page size of user searches (the simulator's limit; Genesys states
// none).
const searchPageSize = 100

// InDivision calls POST /api/v2/users/search for the active users of a division, every page.
func (u *Users) InDivision(ctx context.Context, divisionID string) ([]provision.User, error) {
	return u.search(ctx, platformclientv2.Usersearchrequest{
		SortBy: ptr("id"),
		Query: &[]platformclientv2.Usersearchcriteria{
			{VarType: ptr("EXACT"), Fields: &[]string{"divisionId"}, Value: ptr(divisionID)},
			{VarType: ptr("EXACT"), Fields: &[]string{"state"}, Values: &[]string{"active"}},
		},
	})
}

// search calls POST /api/v2/users/search with req, every page.
func (u *Users) search(ctx context.Context, req platformclientv2.Usersearchrequest) ([]provision.User, error) {
	const op = "POST /api/v2/users/search"
	return listAll(ctx, op, func(n int) ([]provision.User, int, error) {
		req.PageSize, req.PageNumber = ptr(searchPageSize), ptr(n)
		res, resp, err := u.api(ctx).PostUsersSearch(req)
		if err := check(op, resp, err); err != nil {
			return nil, 0, err
		}
		return toUsers(deref(res.Results)), deref(res.PageCount), nil
	})
}

// Invite calls POST /api/v2/users/{userId}/invite without force: an outstanding invitation
// is not sent again.
func (u *Users) Invite(ctx context.Context, id string) error {
	resp, err := u.api(ctx).PostUserInvite(id, false)
	return check("POST /api/v2/users/{id}/invite", resp, err)
}

func toContacts(in []provision.Contact) *[]platformclientv2.Contact {
	out := make([]platformclientv2.Contact, len(in))
	for i, c := range in {
		out[i] = platformclientv2.Contact{
			MediaType: ptr(c.MediaType), VarType: ptr(c.Type),
			Address: optional(c.Address), Extension: optional(c.Extension),
		}
	}
	return &out
}

func toUsers(in []platformclientv2.User) []provision.User {
	var out []provision.User
	for _, r := range in {
		out = append(out, toUser(r))
	}
	return out
}

func toUser(r platformclientv2.User) provision.User {
	out := provision.User{
		ID:         deref(r.Id),
		Name:       deref(r.Name),
		Email:      deref(r.Email),
		State:      deref(r.State),
		Version:    deref(r.Version),
		Title:      deref(r.Title),
		Department: deref(r.Department),
	}
	if m := deref(r.Manager); m != nil {
		out.ManagerID = deref(m.Id)
	}
	for _, l := range deref(r.Locations) {
		out.LocationIDs = append(out.LocationIDs, deref(l.Id))
	}
	if e := r.EmployerInfo; e != nil {
		out.Employer = provision.EmployerInfo{EmployeeID: deref(e.EmployeeId), EmployeeType: deref(e.EmployeeType), DateHire: deref(e.DateHire)}
	}
	for _, c := range deref(r.Addresses) {
		out.Addresses = append(out.Addresses, provision.Contact{
			MediaType: deref(c.MediaType), Type: deref(c.VarType), Address: deref(c.Address), Extension: deref(c.Extension),
		})
	}
	if r.Skills != nil {
		out.Skills = map[string]float64{}
		for _, sk := range *r.Skills {
			out.Skills[deref(sk.Id)] = deref(sk.Proficiency)
		}
	}
	if r.Languages != nil {
		out.Languages = map[string]float64{}
		for _, l := range *r.Languages {
			out.Languages[deref(l.Id)] = deref(l.Proficiency)
		}
	}
	if r.Division != nil {
		out.DivisionID = deref(r.Division.Id)
	}
	for _, g := range deref(r.Groups) {
		out.GroupIDs = append(out.GroupIDs, deref(g.Id))
	}
	if st := deref(r.Station); st != nil && st.DefaultStation != nil {
		out.DefaultStationID = deref(st.DefaultStation.Id)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// optional is nil for "", so that an empty value is left out of a request body.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
