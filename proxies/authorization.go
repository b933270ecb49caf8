package proxies

import (
	"context"
	"fmt"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// authorizationArea implements provision.Authorization.
type authorizationArea struct{ c *Client }

var _ provision.Authorization = (*authorizationArea)(nil)

// rolesPageSize is the page size Genesys's own Terraform provider uses for roles.
const rolesPageSize = 100

// api is the SDK's authorization API for one call, under ctx and the policy opts state.
func (a *authorizationArea) api(ctx context.Context, opts ...callOption) platformclientv2.AuthorizationApi {
	return platformclientv2.AuthorizationApi{Configuration: a.c.cfg(ctx, opts...)}
}

// HomeDivision calls GET /api/v2/authorization/divisions/home.
func (a *authorizationArea) HomeDivision(ctx context.Context) (provision.Ref, error) {
	d, resp, err := a.api(ctx).GetAuthorizationDivisionsHome()
	if err := checkBody("GET /api/v2/authorization/divisions/home", d, resp, err); err != nil {
		return provision.Ref{}, err
	}
	return provision.Ref{ID: deref(d.Id), Name: deref(d.Name)}, nil
}

// ListRoles calls GET /api/v2/authorization/roles, every page.
func (a *authorizationArea) ListRoles(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/authorization/roles"
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		l, resp, err := a.api(ctx).GetAuthorizationRoles(rolesPageSize, n, "", nil, "", "", "", nil, nil, false, nil)
		if err := checkBody(op, l, resp, err); err != nil {
			return nil, 0, err
		}
		var out []provision.Ref
		for _, r := range deref(l.Entities) {
			out = append(out, provision.Ref{ID: deref(r.Id), Name: deref(r.Name), Default: deref(r.VarDefault)})
		}
		return out, deref(l.PageCount), nil
	})
}

// subjectGrantsPageSize is the page size of a role's subject grants. SPEC states no maximum
// for GET /api/v2/authorization/roles/{roleId}/subjectgrants (default 25), nor does the
// reference; 100 is the size TF uses for the other authorization listings (roles, divisions).
const subjectGrantsPageSize = 100

// RoleGrants calls GET /api/v2/authorization/roles/{roleId}/subjectgrants, every page. The
// listing's subjects are users (PC_USER) and groups (PC_GROUP), among others (OAuth clients,
// trustees); only users are kept, since the export writes each user's own grants: a grant
// held through a group belongs to the group, which the export does not write, and the
// group's members get it from their membership. A division "*" (every division) is kept as
// "*", the divisionId the grant calls take for it.
func (a *authorizationArea) RoleGrants(ctx context.Context, roleID string) ([]provision.SubjectGrant, error) {
	const op = "GET /api/v2/authorization/roles/{id}/subjectgrants"
	// Every page's subjects are collected before the others are left out: listAll stops at
	// an empty page, and a page may hold groups only.
	subjects, err := listAll(ctx, op, func(n int) ([]platformclientv2.Subjectdivisiongrants, int, error) {
		l, resp, err := a.api(ctx).GetAuthorizationRoleSubjectgrants(roleID, subjectGrantsPageSize, n, "", nil, "", "")
		if err := checkBody(op, l, resp, err); err != nil {
			return nil, 0, err
		}
		return deref(l.Entities), deref(l.PageCount), nil
	})
	if err != nil {
		return nil, err
	}
	var out []provision.SubjectGrant
	for _, s := range subjects {
		if deref(s.VarType) != "PC_USER" {
			continue
		}
		g := provision.SubjectGrant{UserID: deref(s.Id)}
		for _, d := range deref(s.Divisions) {
			g.DivisionIDs = append(g.DivisionIDs, deref(d.Id))
		}
		out = append(out, g)
	}
	return out, nil
}

// UserGrants calls GET /api/v2/authorization/subjects/{subjectId} and keeps the grants the
// user holds itself (a grant held through a group carries the group's id as its subject).
func (a *authorizationArea) UserGrants(ctx context.Context, userID string) ([]provision.Grant, error) {
	s, resp, err := a.api(ctx).GetAuthorizationSubject(userID, true)
	if err := checkBody("GET /api/v2/authorization/subjects/{id}", s, resp, err); err != nil {
		return nil, err
	}
	var out []provision.Grant
	for _, g := range deref(s.Grants) {
		if sid := deref(g.SubjectId); sid != "" && sid != userID {
			continue
		}
		var gr provision.Grant
		if g.Role != nil {
			gr.RoleID = deref(g.Role.Id)
		}
		if g.Division != nil {
			gr.DivisionID = deref(g.Division.Id)
		}
		out = append(out, gr)
	}
	return out, nil
}

// GrantRole calls POST /api/v2/authorization/roles/{roleId} with subjectType PC_USER.
// Granting is idempotent, so the transport may repeat it. For users created or restored
// moments ago it answers 404 until the auth service knows them; the call is repeated until
// it settles (TF retries grants on 404: "new roles or divisions have not yet been added to
// the auth service cache").
func (a *authorizationArea) GrantRole(ctx context.Context, roleID, divisionID string, userIDs []string) error {
	body := platformclientv2.Subjectdivisions{SubjectIds: &userIDs, DivisionIds: &[]string{divisionID}}
	return a.c.settle(ctx, notFoundYet, func() error {
		resp, err := a.api(ctx).PostAuthorizationRole(roleID, body, "PC_USER")
		return check("POST /api/v2/authorization/roles/{id}", resp, err)
	})
}

// MoveUsers calls POST /api/v2/authorization/divisions/{divisionId}/objects/USER. Moving is
// idempotent, so the transport may repeat it. A 409 bulk.move.unable.to.move ("One or more of
// the object(s) failed to be moved") does not say which: the users are read again
// (GET /api/v2/users) and the error is a *provision.BatchError naming those not in the
// division.
func (a *authorizationArea) MoveUsers(ctx context.Context, divisionID string, userIDs []string) error {
	if len(userIDs) > provision.MaxDivisionMovesPerCall {
		return fmt.Errorf("move %d users: %w: at most %d per call", len(userIDs), provision.ErrRejected, provision.MaxDivisionMovesPerCall)
	}
	resp, err := a.api(ctx).PostAuthorizationDivisionObject(divisionID, "USER", userIDs)
	err = check("POST /api/v2/authorization/divisions/{id}/objects/USER", resp, err)
	if provision.ErrorCode(err) != "bulk.move.unable.to.move" {
		return err
	}
	users, rerr := (&usersArea{a.c}).Read(ctx, userIDs)
	if rerr != nil {
		return err // the call's own error, for all of them
	}
	partial := &provision.BatchError{Err: err, Failed: map[string]error{}}
	for _, id := range userIDs {
		if u, ok := users[id]; !ok || u.DivisionID != divisionID {
			partial.Failed[id] = err
		}
	}
	if len(partial.Failed) == 0 {
		return nil // every user is in the division after all
	}
	return partial
}

// GrantRoles calls POST /api/v2/authorization/subjects/{subjectId}/bulkadd with subjectType
// PC_USER. Granting is idempotent, so the transport may repeat it; a 404 for a user created
// or restored moments ago is repeated until it settles, as for GrantRole.
func (a *authorizationArea) GrantRoles(ctx context.Context, userID string, grants []provision.Grant) error {
	return a.c.settle(ctx, notFoundYet, func() error {
		resp, err := a.api(ctx).PostAuthorizationSubjectBulkadd(userID, roleGrants(grants), "PC_USER")
		return check("POST /api/v2/authorization/subjects/{id}/bulkadd", resp, err)
	})
}

// RevokeRoles calls POST /api/v2/authorization/subjects/{subjectId}/bulkremove. Removing is
// idempotent, so the transport may repeat it.
func (a *authorizationArea) RevokeRoles(ctx context.Context, userID string, grants []provision.Grant) error {
	resp, err := a.api(ctx).PostAuthorizationSubjectBulkremove(userID, roleGrants(grants))
	return check("POST /api/v2/authorization/subjects/{id}/bulkremove", resp, err)
}

// roleGrants is the body of the bulk grant calls.
func roleGrants(grants []provision.Grant) platformclientv2.Roledivisiongrants {
	pairs := make([]platformclientv2.Roledivisionpair, len(grants))
	for i := range grants {
		pairs[i] = platformclientv2.Roledivisionpair{RoleId: &grants[i].RoleID, DivisionId: &grants[i].DivisionID}
	}
	return platformclientv2.Roledivisiongrants{Grants: &pairs}
}

// ListDivisions calls GET /api/v2/authorization/divisions, every page.
func (a *authorizationArea) ListDivisions(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/authorization/divisions"
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		l, resp, err := a.api(ctx).GetAuthorizationDivisions(rolesPageSize, n, "", nil, "", "", false, nil, "")
		if err := checkBody(op, l, resp, err); err != nil {
			return nil, 0, err
		}
		var out []provision.Ref
		for _, d := range deref(l.Entities) {
			out = append(out, provision.Ref{ID: deref(d.Id), Name: deref(d.Name)})
		}
		return out, deref(l.PageCount), nil
	})
}
