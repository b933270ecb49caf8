package proxies

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// usersArea implements provision.Users.
type usersArea struct{ c *Client }

var _ provision.Users = (*usersArea)(nil)

// api is the SDK's users API for one call, under ctx and the policy opts state.
func (u *usersArea) api(ctx context.Context, opts ...callOption) platformclientv2.UsersApi {
	return platformclientv2.UsersApi{Configuration: u.c.cfg(ctx, opts...)}
}

// readExpand is what the pipeline compares with a row. GET /api/v2/users lists every one of
// them in its expand enum; user search honours none of them (Developer Center, "Resource
// search"), so search only finds users and Read reads them.
var readExpand = []string{"groups", "station", "skills", "languages", "locations", "employerInfo"}

// userStates is every state a user can be in: a search without a state criterion returns
// active users only.
var userStates = []string{"active", "inactive", "deleted"}

// FindByEmails calls POST /api/v2/users/search with one exact criterion over at most
// provision.MaxEmailsPerLookup emails and every state, paging through the results. It asks
// for no expansion: only who exists, and in which state.
func (u *usersArea) FindByEmails(ctx context.Context, emails []string) (map[string]provision.Found, error) {
	if len(emails) > provision.MaxEmailsPerLookup {
		return nil, fmt.Errorf("look up %d emails: %w: at most %d per call", len(emails), provision.ErrRejected, provision.MaxEmailsPerLookup)
	}
	found := make(map[string]provision.Found, len(emails))
	if len(emails) == 0 {
		return found, nil
	}
	users, err := u.search(ctx, []platformclientv2.Usersearchcriteria{
		{VarType: ptr("EXACT"), Fields: &[]string{"email"}, Values: &emails},
		{VarType: ptr("EXACT"), Fields: &[]string{"state"}, Values: &userStates},
	})
	for _, f := range users {
		found[strings.ToLower(f.Email)] = f
	}
	return found, err
}

// Read calls GET /api/v2/users with at most provision.MaxUsersPerRead ids, state any (so
// inactive and deleted users come too) and readExpand. Expansions are "resolved with a best
// effort approach" (SPEC): a user whose skills or languages did not come is read again from
// GET /api/v2/users/{userId}/routingskills and .../routinglanguages.
func (u *usersArea) Read(ctx context.Context, ids []string) (map[string]provision.User, error) {
	const op = "GET /api/v2/users"
	if len(ids) > provision.MaxUsersPerRead {
		return nil, fmt.Errorf("read %d users: %w: at most %d per call", len(ids), provision.ErrRejected, provision.MaxUsersPerRead)
	}
	out := make(map[string]provision.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	l, resp, err := u.api(ctx).GetUsers(provision.MaxUsersPerRead, 1, ids, nil, "", readExpand, "", "any")
	if err := checkBody(op, l, resp, err); err != nil {
		return nil, err
	}
	for _, r := range deref(l.Entities) {
		usr := toUser(r)
		if err := u.fillLevels(ctx, &usr, r); err != nil {
			return nil, err
		}
		out[usr.ID] = usr
	}
	return out, nil
}

// listPageSize is the page of GET /api/v2/users when it lists every user.
const listPageSize = 100

// List calls GET /api/v2/users?state=…&expand=… page by page, with what Read expands. Past the
// 10,000th user the API answers 400: that is provision.ErrPagingCap.
func (u *usersArea) List(ctx context.Context, state string) ([]provision.User, error) {
	const op = "GET /api/v2/users"
	raw, err := listAll(ctx, op, func(n int) ([]platformclientv2.User, int, error) {
		if (n-1)*listPageSize >= maxListedUsers {
			return nil, 0, fmt.Errorf("%s: %w", op, provision.ErrPagingCap)
		}
		l, resp, err := u.api(ctx).GetUsers(listPageSize, n, nil, nil, "", readExpand, "", state)
		if err := checkBody(op, l, resp, err); err != nil {
			return nil, 0, err
		}
		return deref(l.Entities), deref(l.PageCount), nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]provision.User, 0, len(raw))
	for _, r := range raw {
		usr := toUser(r)
		if err := u.fillLevels(ctx, &usr, r); err != nil {
			return nil, err
		}
		out = append(out, usr)
	}
	return out, nil
}

// maxListedUsers is how far GET /api/v2/users pages (Genesys's Terraform provider: "inactive
// GetUsers requests return 400 beyond 10,000 users"; taken for every state).
const maxListedUsers = 10000

// fillLevels reads the skills and languages that a best-effort expansion left out.
func (u *usersArea) fillLevels(ctx context.Context, usr *provision.User, r platformclientv2.User) error {
	rt := &routingArea{u.c}
	var err error
	if r.Skills == nil {
		usr.Skills, err = rt.userLevels(ctx, usr.ID, "routingskills")
		if err != nil {
			return err
		}
	}
	if r.Languages == nil {
		usr.Languages, err = rt.userLevels(ctx, usr.ID, "routinglanguages")
	}
	return err
}

// get calls GET /api/v2/users/{userId}: the user's version and state, nothing expanded.
func (u *usersArea) get(ctx context.Context, id string) (provision.User, error) {
	res, resp, err := u.api(ctx).GetUser(id, nil, "", "")
	if err := checkBody("GET /api/v2/users/{id}", res, resp, err); err != nil {
		return provision.User{}, err
	}
	return toUser(*res), nil
}

// Create calls POST /api/v2/users (state active unless in.State says otherwise). It is
// never retried after an ambiguous failure: the caller looks the email up first.
func (u *usersArea) Create(ctx context.Context, in provision.NewUser) (provision.User, error) {
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
	const op = "POST /api/v2/users"
	res, resp, err := u.api(ctx, notIdempotent()).PostUsers(body)
	if err := checkBody(op, res, resp, err); err != nil {
		return provision.User{}, err
	}
	if deref(res.Id) == "" {
		// Created or not, the answer does not say which user: the caller looks first.
		return provision.User{}, fmt.Errorf("%s: %w: created user without an id", op, provision.ErrTransient)
	}
	return toUser(*res), nil
}

// SetDefaultStation calls PUT /api/v2/users/{userId}/station/defaultstation/{stationId}. A
// station that appeared moments ago is still being associated with its phone and answers 409
// or 400 meanwhile; the call is repeated until it settles (TF retries 400, 408 and 409 here).
func (u *usersArea) SetDefaultStation(ctx context.Context, userID, stationID string) error {
	return u.c.settle(ctx, stationAssociating, func() error {
		resp, err := u.api(ctx).PutUserStationDefaultstationStationId(userID, stationID)
		return check("PUT /api/v2/users/{id}/station/defaultstation/{stationId}", resp, err)
	})
}

// stationAssociating reports the answers of a default station set while the station is
// being associated: 409 (not userservice.stationalreadyhasdefaultuser, which is another
// user's station and stays so) and 400.
func stationAssociating(err error) bool {
	var re *provision.RemoteError
	return errors.As(err, &re) && (re.Status == http.StatusBadRequest ||
		(re.Status == http.StatusConflict && re.Code != "userservice.stationalreadyhasdefaultuser"))
}

// Update calls PATCH /api/v2/users/{userId} with the user's version, reading the version
// again (GET /api/v2/users/{userId}) after a conflict.
func (u *usersArea) Update(ctx context.Context, id string, version int, p provision.UserPatch) error {
	body := platformclientv2.Updateuser{Name: p.Name, Title: p.Title, Department: p.Department, Manager: p.Manager}
	if p.Addresses != nil {
		body.Addresses = toContacts(p.Addresses)
	}
	if p.Locations != nil {
		// A placement is written with its location's id in id, as Genesys's Terraform
		// provider writes it; it reads back with the location as locationDefinition.
		locs := make([]platformclientv2.Location, len(p.Locations))
		for i, l := range p.Locations {
			locs[i] = platformclientv2.Location{Id: ptr(l.LocationID), Notes: optional(l.Notes)}
			if len(l.Coordinates) > 0 {
				locs[i].Coordinates = &l.Coordinates
			}
		}
		body.Locations = &locs
	}
	if e := p.Employer; e != nil {
		body.EmployerInfo = &platformclientv2.Employerinfo{
			OfficialName: optional(e.OfficialName),
			EmployeeId:   optional(e.EmployeeID), EmployeeType: optional(e.EmployeeType), DateHire: optional(e.DateHire),
		}
	}
	read := func() (int, error) {
		cur, err := u.get(ctx, id)
		return cur.Version, err
	}
	return u.c.onVersion(ctx, version, read, func(v int) error {
		body.Version = ptr(v)
		return u.patch(ctx, id, body)
	})
}

// patch calls PATCH /api/v2/users/{userId} with body.
func (u *usersArea) patch(ctx context.Context, id string, body platformclientv2.Updateuser) error {
	_, resp, err := u.api(ctx).PatchUser(id, body)
	return check("PATCH /api/v2/users/{id}", resp, err)
}

// Restore reads a deleted user (GET /api/v2/users/{userId}?state=deleted) and calls
// PATCH /api/v2/users/{userId} with state active alone, as the API requires; a version
// conflict reads the user again.
func (u *usersArea) Restore(ctx context.Context, id string) error {
	read := func() (int, error) {
		cur, resp, err := u.api(ctx).GetUser(id, nil, "", "deleted")
		if err := checkBody("GET /api/v2/users/{id}", cur, resp, err); err != nil {
			return 0, err
		}
		if deref(cur.State) != "deleted" {
			return 0, errSettled
		}
		return deref(cur.Version), nil
	}
	return u.c.onVersion(ctx, 0, read, func(v int) error {
		return u.patch(ctx, id, platformclientv2.Updateuser{State: ptr("active"), Version: ptr(v)})
	})
}

// Deactivate reads the user's version and calls PATCH /api/v2/users/{userId} with state
// inactive alone; a version conflict reads the user again.
func (u *usersArea) Deactivate(ctx context.Context, id string) error {
	read := func() (int, error) {
		cur, err := u.get(ctx, id)
		if err == nil && cur.State == "inactive" {
			return 0, errSettled
		}
		return cur.Version, err
	}
	return u.c.onVersion(ctx, 0, read, func(v int) error {
		return u.patch(ctx, id, platformclientv2.Updateuser{State: ptr("inactive"), Version: ptr(v)})
	})
}

// searchPageSize is the largest page of a search (Developer Center, "Search limits").
const searchPageSize = 100

// maxSearchResults is how far a search pages: "You can page through a maximum of 10,000
// results" (Developer Center, "Search limits").
const maxSearchResults = 10000

// InDivision calls POST /api/v2/users/search for the active users of a division, every page.
// A search pages through at most 10,000 results, so a larger division is listed in parts: the
// users whose id starts with each hexadecimal digit, and so on down while a part is still too
// large (ids are UUIDs, which spread evenly).
func (u *usersArea) InDivision(ctx context.Context, divisionID string) ([]provision.Found, error) {
	inDivision := []platformclientv2.Usersearchcriteria{
		{VarType: ptr("EXACT"), Fields: &[]string{"divisionId"}, Value: ptr(divisionID)},
		{VarType: ptr("EXACT"), Fields: &[]string{"state"}, Values: &[]string{"active"}},
	}
	var list func(prefix string) ([]provision.Found, error)
	list = func(prefix string) ([]provision.Found, error) {
		q := inDivision
		if prefix != "" {
			q = append(slices.Clip(q), platformclientv2.Usersearchcriteria{VarType: ptr("STARTS_WITH"), Fields: &[]string{"id"}, Value: ptr(prefix)})
		}
		found, err := u.search(ctx, q)
		if !errors.Is(err, errTooManyResults) {
			return found, err
		}
		if len(prefix) >= 32 {
			return nil, fmt.Errorf("list the users of division %s: more than %d share the id prefix %q", divisionID, maxSearchResults, prefix)
		}
		var all []provision.Found
		for _, d := range "0123456789abcdef" {
			part, err := list(prefix + string(d))
			if err != nil {
				return nil, err
			}
			all = append(all, part...)
		}
		return all, nil
	}
	return list("")
}

// errTooManyResults is search's signal that its results run past maxSearchResults.
var errTooManyResults = errors.New("more results than a search pages through")

// search calls POST /api/v2/users/search with the criteria, sorted by id, every page, and
// returns what it found. It returns errTooManyResults, before reading any further page, when
// the first page says there are more than maxSearchResults.
func (u *usersArea) search(ctx context.Context, q []platformclientv2.Usersearchcriteria) ([]provision.Found, error) {
	const op = "POST /api/v2/users/search"
	req := platformclientv2.Usersearchrequest{SortBy: ptr("id"), SortOrder: ptr("ASC"), Query: &q}
	return listAll(ctx, op, func(n int) ([]provision.Found, int, error) {
		req.PageSize, req.PageNumber = ptr(searchPageSize), ptr(n)
		res, resp, err := u.api(ctx).PostUsersSearch(req)
		if err := checkBody(op, res, resp, err); err != nil {
			return nil, 0, err
		}
		if deref(res.Total) > maxSearchResults {
			return nil, 0, errTooManyResults
		}
		var out []provision.Found
		for _, r := range deref(res.Results) {
			out = append(out, provision.Found{ID: deref(r.Id), Email: deref(r.Email), State: deref(r.State)})
		}
		return out, deref(res.PageCount), nil
	})
}

// Invite calls POST /api/v2/users/{userId}/invite without force: an outstanding invitation
// is not sent again, and its 409 (an invitation is outstanding, e.g. from the org's Auto
// Invite, or from this call's first attempt when the connection dropped) is success.
func (u *usersArea) Invite(ctx context.Context, id string) error {
	resp, err := u.api(ctx).PostUserInvite(id, false)
	err = check("POST /api/v2/users/{id}/invite", resp, err)
	var re *provision.RemoteError
	if errors.As(err, &re) && re.Status == http.StatusConflict {
		return nil
	}
	return err
}

// toContacts is the addresses of a request: every field as the pipeline holds it (an entry
// read from the org goes back whole), display left out (it is read-only).
func toContacts(in []provision.Contact) *[]platformclientv2.Contact {
	out := make([]platformclientv2.Contact, len(in))
	for i, c := range in {
		out[i] = platformclientv2.Contact{
			MediaType: ptr(c.MediaType), VarType: ptr(c.Type),
			Address: optional(c.Address), Extension: optional(c.Extension),
			CountryCode: optional(c.CountryCode), Integration: optional(c.Integration),
		}
	}
	return &out
}

// toUser is the SDK's user as the pipeline reads it.
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
		// The placement's own id is not the location's: the location is locationDefinition.
		if l.LocationDefinition == nil || deref(l.LocationDefinition.Id) == "" {
			continue
		}
		out.Locations = append(out.Locations, provision.Placement{
			LocationID: deref(l.LocationDefinition.Id), Notes: deref(l.Notes), Coordinates: deref(l.Coordinates),
		})
	}
	if e := r.EmployerInfo; e != nil {
		out.Employer = provision.EmployerInfo{
			OfficialName: deref(e.OfficialName), EmployeeID: deref(e.EmployeeId), EmployeeType: deref(e.EmployeeType), DateHire: deref(e.DateHire),
		}
	}
	for _, c := range deref(r.Addresses) {
		out.Addresses = append(out.Addresses, provision.Contact{
			MediaType: deref(c.MediaType), Type: deref(c.VarType), Address: deref(c.Address), Extension: deref(c.Extension),
			CountryCode: deref(c.CountryCode), Integration: deref(c.Integration),
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

// ptr is a pointer to a copy of v, for the SDK's optional fields.
func ptr[T any](v T) *T { return &v }

// optional is nil for "", so that an empty value is left out of a request body.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// deref is *p, or the zero value when p is nil: the SDK leaves out what the answer lacks.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
