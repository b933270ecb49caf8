package proxies

import (
	"context"
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

// userStates is every state a user can be in: a search without a state criterion returns
// active users only.
var userStates = []string{"active", "inactive", "deleted"}

// FindByEmail calls POST /api/v2/users/search with an exact email criterion over every state.
func (u *Users) FindByEmail(ctx context.Context, email string) (*provision.User, error) {
	body := platformclientv2.Usersearchrequest{
		PageSize:   ptr(25),
		PageNumber: ptr(1),
		Expand:     &[]string{"groups", "station"},
		Query: &[]platformclientv2.Usersearchcriteria{
			{VarType: ptr("EXACT"), Fields: &[]string{"email"}, Value: ptr(email)},
			{VarType: ptr("EXACT"), Fields: &[]string{"state"}, Values: &userStates},
		},
	}
	res, resp, err := u.api(ctx).PostUsersSearch(body)
	if err := check("POST /api/v2/users/search", resp, err); err != nil {
		return nil, err
	}
	for _, r := range deref(res.Results) {
		if strings.EqualFold(deref(r.Email), email) {
			out := toUser(r)
			return &out, nil
		}
	}
	return nil, nil
}

// Get calls GET /api/v2/users/{userId} with groups and station expanded. A deleted user is
// read with state=deleted.
func (u *Users) Get(ctx context.Context, id string) (provision.User, error) {
	res, resp, err := u.api(ctx).GetUser(id, []string{"groups", "station"}, "", "")
	if err := check("GET /api/v2/users/{id}", resp, err); err != nil {
		return provision.User{}, err
	}
	return toUser(*res), nil
}

// Create calls POST /api/v2/users with state active. It is never retried after an
// ambiguous failure: the caller looks the email up first.
func (u *Users) Create(ctx context.Context, in provision.NewUser) (provision.User, error) {
	body := platformclientv2.Createuser{
		Name:       ptr(in.Name),
		Email:      ptr(in.Email),
		DivisionId: ptr(in.DivisionID),
		State:      ptr("active"),
	}
	if in.Password != "" {
		body.Password = ptr(in.Password)
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

func toUser(r platformclientv2.User) provision.User {
	out := provision.User{
		ID:      deref(r.Id),
		Name:    deref(r.Name),
		Email:   deref(r.Email),
		State:   deref(r.State),
		Version: deref(r.Version),
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

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
