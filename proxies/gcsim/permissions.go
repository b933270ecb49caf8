package gcsim

import (
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Permissions. Every API route requires what swagger.json's x-inin-requires-permissions gives
// for its operation (routePermissions; a test in package spec keeps the two equal): with type
// ANY one of the permissions, with ALL every one, with no entry none. A token holds the
// permissions of roles: a client-credentials token those of its OAuth client's roles
// (OrgClient.Roles), a person's token (SAML2 bearer or password grant) those of the roles the
// person holds, by its own grants and by those of the groups it is a direct member of. A
// request missing what its route requires is answered 403 with the platform's ErrorBody, code
// missing.any.permissions (ANY) or missing.permissions (ALL) and the message swagger.json
// lists for that code, and counts in Counters.Forbidden.
//
// A permission is "domain:entity:action", any part of which may be "*" (all), or a legacy
// single word such as "admin". A held "a:b:c" satisfies a required "x:y:z" when each part is
// equal or the held part is "*"; a single word satisfies only the same word.
//
// Modelling choices: divisions are not modelled for permissions: a role grants its
// permissions whatever the division of the grant, where Genesys checks a division-aware
// permission against the object's division (missing.division.permission). The permissions
// are read from the roles and grants when the request is served, so that a grant changed
// mid-run counts at once (Genesys caches them for a while). The check comes after the rate
// limits and the 503 fault, as a service behind Genesys's gateway would make it: a refused
// request counts in the rate windows. The 403 names the permissions as "[a, b]" (the
// wording of the list is unconfirmed).

// Requirement is what an API route requires, as swagger.json's x-inin-requires-permissions
// gives it for the route's operation.
type Requirement struct {
	Type        string   // RequireAny: one of Permissions is enough; RequireAll: every one is needed
	Permissions []string // in swagger.json's order
}

// Requirement types, as swagger.json spells them.
const (
	RequireAny = "ANY"
	RequireAll = "ALL"
)

// routePermissions is what each route requires, copied from swagger.json (v162); a route
// that requires nothing is absent.
var routePermissions = map[string]Requirement{
	"POST /api/v2/users":                                            {RequireAny, []string{"directory:user:add"}},
	"POST /api/v2/users/search":                                     {RequireAny, []string{"directory:user:view"}},
	"PATCH /api/v2/users/{userId}":                                  {RequireAny, []string{"admin", "directory:user:edit", "directory:organization:admin"}},
	"DELETE /api/v2/users/{userId}":                                 {RequireAny, []string{"admin", "directory:user:delete", "directory:organization:admin"}},
	"POST /api/v2/users/{userId}/password":                          {RequireAny, []string{"directory:user:setPassword"}},
	"PUT /api/v2/users/{userId}/station/defaultstation/{stationId}": {RequireAny, []string{"telephony:plugin:all", "telephony:phone:assign"}},
	"DELETE /api/v2/users/{userId}/station/defaultstation":          {RequireAny, []string{"telephony:plugin:all", "telephony:phone:assign"}},
	"POST /api/v2/users/{userId}/invite":                            {RequireAny, []string{"admin", "directory:organization:admin", "directory:user:setPassword"}},
	"GET /api/v2/users/{userId}/queues":                             {RequireAny, []string{"routing:queue:view"}},
	"PATCH /api/v2/users/{userId}/routingskills/bulk":               {RequireAny, []string{"routing:skill:assign"}},
	"PUT /api/v2/users/{userId}/routingskills/bulk":                 {RequireAny, []string{"routing:skill:assign"}},
	"DELETE /api/v2/users/{userId}/routingskills/{skillId}":         {RequireAll, []string{"routing:skill:assign"}},
	"PATCH /api/v2/users/{userId}/routinglanguages/bulk":            {RequireAny, []string{"routing:skill:assign", "routing:language:assign"}},
	"DELETE /api/v2/users/{userId}/routinglanguages/{languageId}":   {RequireAny, []string{"routing:skill:assign", "routing:language:assign"}},

	"GET /api/v2/authorization/roles":                                                         {RequireAny, []string{"authorization:role:view"}},
	"POST /api/v2/authorization/roles/{roleId}":                                               {RequireAll, []string{"authorization:grant:add"}},
	"GET /api/v2/authorization/roles/{roleId}/subjectgrants":                                  {RequireAny, []string{"authorization:role:view"}},
	"GET /api/v2/authorization/subjects/{subjectId}":                                          {RequireAny, []string{"authorization:grant:view"}},
	"POST /api/v2/authorization/subjects/{subjectId}/bulkadd":                                 {RequireAll, []string{"authorization:grant:add"}},
	"POST /api/v2/authorization/subjects/{subjectId}/bulkremove":                              {RequireAll, []string{"authorization:grant:delete"}},
	"POST /api/v2/authorization/subjects/{subjectId}/bulkreplace":                             {RequireAll, []string{"authorization:grant:add", "authorization:grant:delete"}},
	"DELETE /api/v2/authorization/subjects/{subjectId}/divisions/{divisionId}/roles/{roleId}": {RequireAll, []string{"authorization:grant:delete"}},

	"GET /api/v2/routing/queues":                    {RequireAny, []string{"routing:queue:view"}},
	"GET /api/v2/routing/queues/{queueId}":          {RequireAll, []string{"routing:queue:view"}},
	"GET /api/v2/routing/queues/{queueId}/members":  {RequireAny, []string{"routing:queue:view", "routing:queue:edit", "routing:queue:readonly", "routing:queueMember:manage"}},
	"POST /api/v2/routing/queues/{queueId}/members": {RequireAny, []string{"routing:queue:edit", "routing:queueMember:manage"}},

	"GET /api/v2/telephony/providers/edges/sites/{siteId}":                  {RequireAny, []string{"telephony:plugin:all", "telephony:sites:view"}},
	"GET /api/v2/telephony/providers/edges/phonebasesettings":               {RequireAny, []string{"telephony:plugin:all"}},
	"GET /api/v2/telephony/providers/edges/phonebasesettings/{phoneBaseId}": {RequireAny, []string{"telephony:plugin:all"}},
	"GET /api/v2/telephony/providers/edges/phones":                          {RequireAny, []string{"telephony:plugin:all"}},
	"POST /api/v2/telephony/providers/edges/phones":                         {RequireAny, []string{"telephony:plugin:all"}},
	"GET /api/v2/telephony/providers/edges/phones/{phoneId}":                {RequireAny, []string{"telephony:plugin:all"}},
	"DELETE /api/v2/telephony/providers/edges/phones/{phoneId}":             {RequireAny, []string{"telephony:plugin:all"}},

	"GET /api/v2/oauth/clients/{clientId}": {RequireAny, []string{"oauth:client:view"}},
}

// RoutePermissions returns what each route requires, keyed like Routes; a route that
// requires nothing is absent. The map and its slices are the caller's own.
func RoutePermissions() map[string]Requirement {
	out := maps.Clone(routePermissions)
	for k, r := range out {
		out[k] = Requirement{Type: r.Type, Permissions: slices.Clone(r.Permissions)}
	}
	return out
}

// validPermission reports whether p is "domain:entity:action" with no part empty and "*"
// only as a whole part, or a single word.
func validPermission(p string) bool {
	if p == "" || strings.ContainsAny(p, " \t\r\n") {
		return false
	}
	parts := strings.Split(p, ":")
	if len(parts) != 1 && len(parts) != 3 {
		return false
	}
	for _, part := range parts {
		if part == "" || (part != "*" && strings.Contains(part, "*")) {
			return false
		}
	}
	return true
}

// satisfies reports whether the held permission grants the needed one.
func satisfies(held, need string) bool {
	hp, np := strings.Split(held, ":"), strings.Split(need, ":")
	if len(hp) != len(np) {
		return false
	}
	if len(hp) == 1 {
		return held == need
	}
	for i := range hp {
		if hp[i] != "*" && hp[i] != np[i] {
			return false
		}
	}
	return true
}

// holds reports whether one of the held permissions grants need.
func holds(held []string, need string) bool {
	return slices.ContainsFunc(held, func(h string) bool { return satisfies(h, need) })
}

// missing returns what the 403 names when held does not meet r: every permission of an ANY
// requirement, the missing ones of an ALL one; nil when held meets r.
func (r Requirement) missing(held []string) []string {
	var out []string
	for _, p := range r.Permissions {
		ok := holds(held, p)
		if ok && r.Type == RequireAny {
			return nil
		}
		if !ok || r.Type == RequireAny {
			out = append(out, p)
		}
	}
	return out
}

// authorize checks that the caller's token holds what route key requires. Otherwise it
// answers 403, counts it in Counters.Forbidden and returns false.
func (s *Sim) authorize(c *call, key string) bool {
	req, ok := routePermissions[key]
	if !ok {
		return true
	}
	s.mu.Lock()
	missing := req.missing(s.w.heldPermissions(c.client, c.userID))
	if missing != nil {
		s.counts.Forbidden++
	}
	s.mu.Unlock()
	if missing == nil {
		return true
	}
	list := "[" + strings.Join(missing, ", ") + "]"
	if req.Type == RequireAll {
		c.fail(http.StatusForbidden, "missing.permissions", "Unable to perform the requested action. You are missing the following permission(s): %s", list)
	} else {
		c.fail(http.StatusForbidden, "missing.any.permissions", "Unable to perform the requested action. You must have at least one of the following permissions assigned: %s", list)
	}
	return false
}

// heldPermissions returns the permissions of a token: those of the user's roles when userID
// is set (a person's token), else those of the OAuth client's roles. Sim.mu must be held.
func (w *world) heldPermissions(clientID, userID string) []string {
	var roles []*role
	if userID != "" {
		if u := w.userByID[userID]; u != nil {
			roles = w.userRoles(u)
		}
	} else if cl := w.clients[clientID]; cl != nil {
		roles = w.grantRoles(cl.roles, nil)
	}
	return rolePermissions(roles)
}

// userRoles returns the roles a user holds: by its own grants, then by those of the groups
// it is a direct member of, each role once, whatever the divisions.
func (w *world) userRoles(u *user) []*role {
	roles := w.grantRoles(u.grants, nil)
	for _, g := range w.groupsOf(u.id) {
		roles = w.grantRoles(g.grants, roles)
	}
	return roles
}

// grantRoles appends to roles the roles of grants that it does not hold yet.
func (w *world) grantRoles(grants []grant, roles []*role) []*role {
	for _, g := range grants {
		if r := w.roleByID[g.roleID]; r != nil && !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles
}

// rolePermissions returns the permissions of roles, each once, in the roles' order.
func rolePermissions(roles []*role) []string {
	var out []string
	for _, r := range roles {
		for _, p := range r.permissions {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// apiPermissionPolicy is DomainPermissionPolicy (a role's) and the part of
// ResourcePermissionPolicy (a user's) the simulator fills: the actions one domain and entity
// allow.
type apiPermissionPolicy struct {
	Domain     string   `json:"domain"`
	EntityName string   `json:"entityName"`
	ActionSet  []string `json:"actionSet"`
}

// permissionPolicies splits permissions into the legacy single-word ones and the policies
// of the others, one per domain and entity in the order first seen, with their actions in
// the order given. Neither is nil.
func permissionPolicies(perms []string) (legacy []string, policies []apiPermissionPolicy) {
	legacy, policies = []string{}, []apiPermissionPolicy{}
	for _, p := range perms {
		parts := strings.Split(p, ":")
		if len(parts) != 3 {
			if !slices.Contains(legacy, p) {
				legacy = append(legacy, p)
			}
			continue
		}
		i := slices.IndexFunc(policies, func(pol apiPermissionPolicy) bool {
			return pol.Domain == parts[0] && pol.EntityName == parts[1]
		})
		if i < 0 {
			policies = append(policies, apiPermissionPolicy{Domain: parts[0], EntityName: parts[1], ActionSet: []string{}})
			i = len(policies) - 1
		}
		if !slices.Contains(policies[i].ActionSet, parts[2]) {
			policies[i].ActionSet = append(policies[i].ActionSet, parts[2])
		}
	}
	return legacy, policies
}

// userAuthorization builds the UserAuthorization of a user: the roles it holds (its own
// grants', then its groups'), their permissions flattened and sorted, and the policies they
// make. Modelling choices: unusedRoles is always empty (the simulator does not track use);
// the roles held through groups are listed too, since they give the user their permissions.
func (w *world) userAuthorization(u *user) *apiUserAuthorization {
	roles := w.userRoles(u)
	a := &apiUserAuthorization{Roles: []apiRef{}, UnusedRoles: []apiRef{}}
	for _, r := range roles {
		a.Roles = append(a.Roles, apiRef{ID: r.id, Name: r.name})
	}
	perms := rolePermissions(roles)
	_, a.PermissionPolicies = permissionPolicies(perms)
	a.Permissions = slices.Sorted(slices.Values(perms))
	if a.Permissions == nil {
		a.Permissions = []string{}
	}
	return a
}
