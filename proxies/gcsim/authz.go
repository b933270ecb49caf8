package gcsim

import (
	"net/http"
	"slices"
	"strings"
)

// listDivisions serves GET /api/v2/authorization/divisions: paging, id, and name (exact,
// case-insensitive: "Search term to filter by division name" is not more precise).
func (s *Sim) listDivisions(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	name, ids := q.Get("name"), listParam(q, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiDivision
	for _, d := range s.w.divisions {
		if (name == "" || strings.EqualFold(d.name, name)) && (len(ids) == 0 || slices.Contains(ids, d.id)) {
			out = append(out, s.w.renderDivision(d))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// homeDivision serves GET /api/v2/authorization/divisions/home.
func (s *Sim) homeDivision(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.json(http.StatusOK, s.w.renderDivision(s.w.home))
}

// getDivision serves GET /api/v2/authorization/divisions/{divisionId}.
func (s *Sim) getDivision(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.w.divisionByID[c.param("divisionId")]
	if d == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.w.renderDivision(d))
}

// listRoles serves GET /api/v2/authorization/roles: paging, id (at most 100) and name. A
// role's permissionPolicies group its "domain:entity:action" permissions by domain and
// entity; its permissions are its legacy single-word ones ("admin").
// Modelling choice: name matches roles whose name contains it, case-insensitively; the
// semantics are undocumented, and TF compares names exactly on the client. userCount counts
// the users (not deleted) that hold the role themselves, not through a group.
func (s *Sim) listRoles(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	ids := listParam(q, "id")
	if len(ids) > 100 {
		s.rejectLimit(c, "max.role.ids", "Only 100 roles can be requested at a time")
		return
	}
	name := strings.ToLower(q.Get("name"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiRole
	for _, r := range s.w.roles {
		if !strings.Contains(strings.ToLower(r.name), name) || (len(ids) > 0 && !slices.Contains(ids, r.id)) {
			continue
		}
		n := 0
		for _, u := range s.w.users {
			if u.state != "deleted" && slices.ContainsFunc(u.grants, func(g grant) bool { return g.roleID == r.id }) {
				n++
			}
		}
		legacy, policies := permissionPolicies(r.permissions)
		out = append(out, apiRole{
			ID: r.id, Name: r.name, Description: r.description, Permissions: legacy, PermissionPolicies: policies,
			UserCount: n, Default: r.isDefault, SelfURI: "/api/v2/authorization/roles/" + r.id,
		})
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// listRoleSubjectGrants serves GET /api/v2/authorization/roles/{roleId}/subjectgrants ("Get
// the subjects' granted divisions in the specified role. Includes the divisions for which the
// subject has a grant."), a SubjectDivisionGrantsEntityListing paged like the other listings
// (pageSize default 25; SPEC states no maximum, so listPage's 500 applies). An unknown role is
// 404 not.found.
//
// Modelling choices: the subjects are the users (not deleted) that hold the role themselves,
// type PC_USER, in org order, then the groups that hold it, type PC_GROUP, in org order; each
// lists the divisions of its grants of the role in the order they were granted, "*" (every
// division) as {"id":"*","name":"All Divisions"}. A user who holds the role only through a
// group is not listed: the group is the subject of that grant (whether Genesys lists such
// users is unconfirmed). sortBy, expand, nextPage and previousPage are accepted and ignored.
func (s *Sim) listRoleSubjectGrants(c *call) {
	p, ok := c.listPage()
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	r := w.roleByID[c.param("roleId")]
	if r == nil {
		c.notFound()
		return
	}
	divisions := func(grants []grant) []apiDivisionID {
		var out []apiDivisionID
		for _, g := range grants {
			if g.roleID != r.id {
				continue
			}
			d := apiDivisionID{ID: g.divisionID, Name: w.divisionName(g.divisionID)}
			if g.divisionID != allDivisions {
				d.SelfURI = divisionURI(g.divisionID)
			}
			out = append(out, d)
		}
		return out
	}
	var out []apiSubjectDivisionGrants
	for _, u := range w.users {
		if divs := divisions(u.grants); u.state != "deleted" && len(divs) > 0 {
			out = append(out, apiSubjectDivisionGrants{
				ID: u.id, Name: u.name, Divisions: divs, Type: "PC_USER", SelfURI: "/api/v2/authorization/subjects/" + u.id,
			})
		}
	}
	for _, g := range w.groups {
		if divs := divisions(g.grants); len(divs) > 0 {
			out = append(out, apiSubjectDivisionGrants{
				ID: g.id, Name: g.name, Divisions: divs, Type: "PC_GROUP", SelfURI: "/api/v2/authorization/subjects/" + g.id,
			})
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// checkSubjectType accepts subjectType PC_USER (the default). Modelling choice: the routes
// that change grants change only users' grants (groups' grants and OAuth clients' roles come
// from the org file only), so other types are 400 invalid.subject.type.
func (c *call) checkSubjectType() bool {
	if t := c.r.URL.Query().Get("subjectType"); t != "" && t != "PC_USER" {
		c.fail(http.StatusBadRequest, "invalid.subject.type", "Value [%s] is not a supported subject type", t)
		return false
	}
	return true
}

// grantRole serves POST /api/v2/authorization/roles/{roleId} (body SubjectDivisions): grant
// the role to every subject in every division. Grants are a set: granting again is a no-op.
// If any subject was created or restored moments ago, nothing is granted and the answer is
// 404 (see consistency.go).
func (s *Sim) grantRole(c *call) {
	if !c.checkSubjectType() {
		return
	}
	var b struct {
		SubjectIDs  []string `json:"subjectIds"`
		DivisionIDs []string `json:"divisionIds"`
	}
	if !c.decode(&b) {
		return
	}
	if len(b.SubjectIDs) == 0 || len(b.DivisionIDs) == 0 {
		c.fail(http.StatusBadRequest, "bad.request", "subjectIds and divisionIds are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	r := w.roleByID[c.param("roleId")]
	if r == nil {
		c.notFound()
		return
	}
	for _, d := range b.DivisionIDs {
		if !w.grantable(r.id, d) {
			c.fail(http.StatusBadRequest, "bad.role.divisions", "Invalid role divisions in request.")
			return
		}
	}
	users := make([]*user, 0, len(b.SubjectIDs))
	for _, id := range b.SubjectIDs {
		u := w.liveUser(id)
		if u == nil {
			// Modelling choice: an unknown subject is 400 invalid.value (unconfirmed).
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [subjectIds]", id)
			return
		}
		users = append(users, u)
	}
	for _, u := range users {
		if !s.inAuthCache(u, c.now) {
			s.notInAuthCache(c)
			return
		}
	}
	for _, u := range users {
		for _, d := range b.DivisionIDs {
			u.addGrant(r.id, d, c.now)
		}
	}
	c.empty(http.StatusNoContent)
}

// roleDivisionPair is RoleDivisionPair.
type roleDivisionPair struct {
	RoleID     string `json:"roleId"`
	DivisionID string `json:"divisionId"`
}

// decodeGrants reads a RoleDivisionGrants body. grants is required; an empty list is refused
// unless allowEmpty. On failure it answers 400 and returns false.
func (c *call) decodeGrants(allowEmpty bool) ([]roleDivisionPair, bool) {
	var b struct {
		Grants []roleDivisionPair `json:"grants"`
	}
	if !c.decode(&b) {
		return nil, false
	}
	if b.Grants == nil || (len(b.Grants) == 0 && !allowEmpty) {
		c.fail(http.StatusBadRequest, "bad.request", "grants is required")
		return nil, false
	}
	return b.Grants, true
}

// grantSubject returns the user a grant route names by subjectId, or answers 404 and returns
// nil. Modelling choice: an unknown subject is 404 not.found; a group is one too, since the
// simulator's groups hold only the grants of the org file and no route changes them.
// The caller holds s.mu.
func (s *Sim) grantSubject(c *call) *user {
	u := s.w.liveUser(c.param("subjectId"))
	if u == nil {
		c.notFound()
	}
	return u
}

// grantable reports whether a role and a division are known ("*" is every division).
func (w *world) grantable(roleID, divisionID string) bool {
	return w.roleByID[roleID] != nil && (divisionID == allDivisions || w.divisionByID[divisionID] != nil)
}

// checkPairs checks that every pair names a known role and a known division. On failure it
// answers 400 and returns false. The caller holds s.mu.
func (w *world) checkPairs(c *call, pairs []roleDivisionPair) bool {
	for _, g := range pairs {
		if g.RoleID == "" || g.DivisionID == "" {
			c.fail(http.StatusBadRequest, "bad.request", "roleId and divisionId are required in every grant")
			return false
		}
		if !w.grantable(g.RoleID, g.DivisionID) {
			c.fail(http.StatusBadRequest, "bad.role.divisions", "Invalid role divisions in request.")
			return false
		}
	}
	return true
}

// changeGrants serves the bulk grant routes (body RoleDivisionGrants): it checks the
// subjectType if checkType, reads the grants (an empty list only if allowEmpty), finds the
// user and checks the pairs, then applies the change and answers 204; apply may answer
// instead and return false.
func (s *Sim) changeGrants(c *call, checkType, allowEmpty bool, apply func(u *user, pairs []roleDivisionPair) bool) {
	if checkType && !c.checkSubjectType() {
		return
	}
	pairs, ok := c.decodeGrants(allowEmpty)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.grantSubject(c)
	if u == nil || !s.w.checkPairs(c, pairs) {
		return
	}
	if apply(u, pairs) {
		c.empty(http.StatusNoContent)
	}
}

// bulkAddGrants serves POST /api/v2/authorization/subjects/{subjectId}/bulkadd (body
// RoleDivisionGrants). For a user created or restored moments ago it answers 404 (see
// consistency.go), as TF's retry of this call on 404 expects.
func (s *Sim) bulkAddGrants(c *call) {
	s.changeGrants(c, true, false, func(u *user, pairs []roleDivisionPair) bool {
		if !s.inAuthCache(u, c.now) {
			s.notInAuthCache(c)
			return false
		}
		for _, g := range pairs {
			u.addGrant(g.RoleID, g.DivisionID, c.now)
		}
		return true
	})
}

// bulkRemoveGrants serves POST /api/v2/authorization/subjects/{subjectId}/bulkremove (body
// RoleDivisionGrants): remove those of the user's own grants, 204 "Bulk Grants Deleted". A
// grant the user does not hold is ignored, so a repeated call is harmless; grants held
// through a group are never touched. The org default role is a grant like any other: removing
// it is the client's decision.
//
// Modelling choice: an unknown role or division is 400 bad.role.divisions, as for bulkadd
// (SPEC lists no such code for bulkremove), and an empty list is 400 bad.request. The call has
// no subjectType parameter in SPEC, so none is checked.
func (s *Sim) bulkRemoveGrants(c *call) {
	s.changeGrants(c, false, false, func(u *user, pairs []roleDivisionPair) bool {
		for _, g := range pairs {
			u.removeGrant(g.RoleID, g.DivisionID)
		}
		return true
	})
}

// bulkReplaceGrants serves POST /api/v2/authorization/subjects/{subjectId}/bulkreplace (body
// RoleDivisionGrants), 204 "Bulk Grants Replaced": the user's own grants become exactly the
// list. SPEC: "This operation will not remove grants that are inherited from group
// membership. It will only set the grants directly applied to the subject." Grants kept keep
// their grantMadeAt.
//
// Modelling choice: grants must be present, but an empty list is accepted and removes every
// grant the user holds directly (the org default role included).
func (s *Sim) bulkReplaceGrants(c *call) {
	s.changeGrants(c, true, true, func(u *user, pairs []roleDivisionPair) bool {
		u.grants = slices.DeleteFunc(u.grants, func(g grant) bool {
			return !slices.Contains(pairs, roleDivisionPair{RoleID: g.roleID, DivisionID: g.divisionID})
		})
		for _, g := range pairs {
			u.addGrant(g.RoleID, g.DivisionID, c.now)
		}
		return true
	})
}

// deleteGrant serves DELETE /api/v2/authorization/subjects/{subjectId}/divisions/{divisionId}/roles/{roleId}:
// remove one of the user's own grants.
//
// Modelling choice: success is 200 with no body (SPEC lists only a default response; the SDK
// reads no body). A grant the user does not hold is a 200 no-op, like bulkremove, so that a
// repeated call is harmless; an unknown role or division in the path is 404 not.found (the
// only 404 code SPEC lists).
func (s *Sim) deleteGrant(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.grantSubject(c)
	if u == nil {
		return
	}
	roleID, divID := c.param("roleId"), c.param("divisionId")
	if !s.w.grantable(roleID, divID) {
		c.notFound()
		return
	}
	u.removeGrant(roleID, divID)
	c.empty(http.StatusOK)
}

// renderGrant builds the AuthzGrant of g held by the subject subjectID.
func (w *world) renderGrant(subjectID string, g grant) apiGrant {
	r := w.roleByID[g.roleID]
	div := apiDivision{ID: g.divisionID, Name: w.divisionName(g.divisionID)}
	if d := w.divisionByID[g.divisionID]; d != nil {
		div = w.renderDivision(d)
	}
	return apiGrant{
		SubjectID: subjectID, Division: div, GrantMadeAt: isoTime(g.at),
		Role: apiGrantRole{ID: r.id, Name: r.name, Description: r.description, Default: r.isDefault},
	}
}

// getSubject serves GET /api/v2/authorization/subjects/{subjectId}?includeDuplicates=. For a
// group, its own grants (subjectId the group's id). For a user, the user's own grants
// (subjectId the user's id), then the grants of the groups the user is a direct member of, in
// org order, each with subjectId the group's id (the reference infers this from the
// includeDuplicates wording and from TF, which keeps the grants whose subjectId is the user's).
//
// Modelling choice: with includeDuplicates=false (the default) a role and division pair is
// listed once, the user's own grant first, else the first group's; with true, once per
// subject. A grant in every division ("*") names its division "All Divisions".
func (s *Sim) getSubject(c *call) {
	dups, ok := c.boolParam("includeDuplicates", false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	id := c.param("subjectId")
	if g := w.groupByID[id]; g != nil {
		out := apiAuthzSubject{ID: g.id, Name: g.name, Grants: []apiGrant{}, Version: 1, SelfURI: "/api/v2/authorization/subjects/" + id}
		for _, gr := range g.grants {
			out.Grants = append(out.Grants, w.renderGrant(g.id, gr))
		}
		c.json(http.StatusOK, out)
		return
	}
	u := w.userByID[id]
	if u == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a subject with that id")
		return
	}
	out := apiAuthzSubject{ID: u.id, Name: u.name, Grants: []apiGrant{}, Version: 1, SelfURI: "/api/v2/authorization/subjects/" + id}
	seen := map[roleDivisionPair]bool{}
	add := func(subjectID string, g grant) {
		key := roleDivisionPair{RoleID: g.roleID, DivisionID: g.divisionID}
		if seen[key] && !dups {
			return
		}
		seen[key] = true
		out.Grants = append(out.Grants, w.renderGrant(subjectID, g))
	}
	for _, g := range u.grants {
		add(u.id, g)
	}
	for _, grp := range w.groupsOf(u.id) {
		for _, g := range grp.grants {
			add(grp.id, g)
		}
	}
	c.json(http.StatusOK, out)
}

// maxDivisionMoves: modelling choice. SPEC names 400 too.many.bulk.division.updates ("the
// request contained too many objects") without its limit, and TF moves one object per call;
// the simulator allows 50 ids per call, like the other bulk user calls.
const maxDivisionMoves = 50

// moveUsers serves POST /api/v2/authorization/divisions/{divisionId}/objects/USER (body: a
// JSON array of user ids): move the users to the division, 204. Other object types are not
// simulated (404 not.found, like any unknown route).
//
// Modelling choice: the ids that name no user (or a deleted one) are not moved, the others
// are, and the answer is then 409 bulk.move.unable.to.move ("One or more of the object(s)
// failed to be moved"; whether such a call moves the others is unconfirmed). A move reaches
// user search after Options.SearchLag and leaves the user's version alone.
func (s *Sim) moveUsers(c *call) {
	var ids []string
	if !c.decode(&ids) {
		return
	}
	if len(ids) == 0 {
		c.fail(http.StatusBadRequest, "empty.bulk.division.update", "Unable to move object because the request contained an empty object.")
		return
	}
	if len(ids) > maxDivisionMoves {
		s.rejectLimit(c, "too.many.bulk.division.updates", "Unable to move objects because the request contained too many objects (at most %d).", maxDivisionMoves)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	d := w.divisionByID[c.param("divisionId")]
	if d == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Requested resource is not available.")
		return
	}
	failed := false
	for _, id := range ids {
		u := w.liveUser(id)
		if u == nil {
			failed = true
			continue
		}
		if u.divisionID != d.id {
			u.divisionID = d.id
			u.record(c.now)
		}
	}
	if failed {
		c.fail(http.StatusConflict, "bulk.move.unable.to.move", "One or more of the object(s) failed to be moved to the destination division")
		return
	}
	c.empty(http.StatusNoContent)
}
