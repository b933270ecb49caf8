package proxies

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// whoArea implements provision.Privileged: what the credentials the client acts with may do.
type whoArea struct{ c *Client }

var _ provision.Privileged = (*whoArea)(nil)

// rolesPerCall is how many role ids one GET /api/v2/authorization/roles asks for: a page of
// rolesPageSize holds them all.
const rolesPerCall = rolesPageSize

// Privileges reads what the credentials may do: with the client-credentials grant, the
// OAuth client's own roles (clientPrivileges); with a grant that acts as a person, that
// person's (personPrivileges). Roles and permissions come back sorted, without duplicates.
// Errors are classified as for any call (a 403 is provision.ErrForbidden).
func (w *whoArea) Privileges(ctx context.Context) (provision.Privileges, error) {
	if w.c.grant == GrantClientCredentials {
		return w.clientPrivileges(ctx)
	}
	return w.personPrivileges(ctx)
}

// oauthClientBody is what is read of an OAuth client. The answer also carries the client's
// secret; it has no field here, so that it is dropped as the answer is decoded.
type oauthClientBody struct {
	ID                         string   `json:"id"`
	Name                       string   `json:"name"`
	Description                string   `json:"description"`
	AccessTokenValiditySeconds int      `json:"accessTokenValiditySeconds"`
	RoleIDs                    []string `json:"roleIds"`
	RoleDivisions              []struct {
		RoleID string `json:"roleId"`
	} `json:"roleDivisions"`
}

// clientPrivileges calls GET /api/v2/oauth/clients/{clientId}, then the client's roles
// (roles). TokenLifetime is the client's accessTokenValiditySeconds, or when it states none
// the first token's lifetime. It reads the answer itself (getJSON) rather than through the
// SDK's Oauthclient, which would hold the secret.
func (w *whoArea) clientPrivileges(ctx context.Context) (provision.Privileges, error) {
	var oc oauthClientBody
	path := "/api/v2/oauth/clients/" + url.PathEscape(w.c.clientID)
	if err := w.c.getJSON(ctx, "GET /api/v2/oauth/clients/{id}", path, nil, &oc); err != nil {
		return provision.Privileges{}, err
	}
	ids := slices.Clone(oc.RoleIDs)
	for _, rd := range oc.RoleDivisions {
		ids = append(ids, rd.RoleID)
	}
	roles, err := w.roles(ctx, sortedSet(ids))
	if err != nil {
		return provision.Privileges{}, err
	}
	p := provision.Privileges{
		Subject:       fmt.Sprintf("OAuth client %q (%s)", oc.Name, w.c.clientID),
		Name:          oc.Name,
		Description:   oc.Description,
		TokenLifetime: time.Duration(oc.AccessTokenValiditySeconds) * time.Second,
	}
	var names, perms []string
	for _, r := range roles {
		names = append(names, r.Name)
		perms = append(perms, r.Permissions...)
		for _, pp := range r.PermissionPolicies {
			perms = append(perms, expandPolicy(pp.Domain, pp.EntityName, pp.ActionSet)...)
		}
	}
	p.Roles, p.Permissions = sortedSet(names), sortedSet(perms)
	if p.TokenLifetime <= 0 {
		p.TokenLifetime = w.c.TokenLifetime()
	}
	return p, nil
}

// roleBody is what is read of a role.
type roleBody struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Permissions        []string `json:"permissions"` // legacy single-word permissions
	PermissionPolicies []struct {
		Domain     string   `json:"domain"`
		EntityName string   `json:"entityName"`
		ActionSet  []string `json:"actionSet"`
	} `json:"permissionPolicies"`
}

// roles calls GET /api/v2/authorization/roles?id=…&id=…, rolesPerCall ids a call, every
// page, and returns the roles found (an id that names no role is left out).
func (w *whoArea) roles(ctx context.Context, ids []string) ([]roleBody, error) {
	const op = "GET /api/v2/authorization/roles"
	var out []roleBody
	for batch := range chunks(ids, rolesPerCall) {
		roles, err := listAll(ctx, op, func(n int) ([]roleBody, int, error) {
			q := url.Values{"id": batch, "pageSize": {strconv.Itoa(rolesPageSize)}, "pageNumber": {strconv.Itoa(n)}}
			var l struct {
				Entities  []roleBody `json:"entities"`
				PageCount int        `json:"pageCount"`
			}
			if err := w.c.getJSONValues(ctx, op, "/api/v2/authorization/roles", q, &l); err != nil {
				return nil, 0, err
			}
			return l.Entities, l.PageCount, nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, roles...)
	}
	return out, nil
}

// personPrivileges calls GET /api/v2/users/me?expand=authorization: the roles and
// permissions of the person the token acts as. TokenLifetime is the first token's lifetime.
func (w *whoArea) personPrivileges(ctx context.Context) (provision.Privileges, error) {
	const op = "GET /api/v2/users/me"
	api := platformclientv2.UsersApi{Configuration: w.c.cfg(ctx)}
	me, resp, err := api.GetUsersMe([]string{"authorization"}, "")
	if err := checkBody(op, me, resp, err); err != nil {
		return provision.Privileges{}, err
	}
	p := provision.Privileges{Subject: "user " + deref(me.Email), Person: true}
	if a := me.Authorization; a != nil {
		var names []string
		for _, r := range deref(a.Roles) {
			names = append(names, deref(r.Name))
		}
		perms := slices.Clone(deref(a.Permissions))
		for _, pp := range deref(a.PermissionPolicies) {
			perms = append(perms, expandPolicy(deref(pp.Domain), deref(pp.EntityName), deref(pp.ActionSet))...)
		}
		p.Roles, p.Permissions = sortedSet(names), sortedSet(perms)
	}
	p.TokenLifetime = w.c.TokenLifetime()
	return p, nil
}

// expandPolicy is a permission policy as permissions: "domain:entity:action" for every
// action of its set, a "*" part kept as it is.
func expandPolicy(domain, entity string, actions []string) []string {
	out := make([]string, 0, len(actions))
	for _, a := range actions {
		out = append(out, domain+":"+entity+":"+a)
	}
	return out
}

// sortedSet is s sorted, without duplicates or empty strings.
func sortedSet(s []string) []string {
	out := slices.DeleteFunc(slices.Clone(s), func(v string) bool { return v == "" })
	slices.Sort(out)
	return slices.Compact(out)
}
