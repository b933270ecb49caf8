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
		c.fail(http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	c.json(http.StatusOK, s.w.renderDivision(d))
}

// listRoles serves GET /api/v2/authorization/roles: paging, id (at most 100) and name.
// Modelling choice: name matches roles whose name contains it, case-insensitively; the
// semantics are undocumented, and TF compares names exactly on the client.
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
		out = append(out, apiRole{
			ID: r.id, Name: r.name, Description: r.description, Permissions: []string{}, UserCount: n,
			Default: r.isDefault, SelfURI: "/api/v2/authorization/roles/" + r.id,
		})
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// checkSubjectType accepts subjectType PC_USER (the default). Modelling choice: the simulator
// has no grants for groups or OAuth clients, so other types are 400 invalid.subject.type.
func (c *call) checkSubjectType() bool {
	if t := c.r.URL.Query().Get("subjectType"); t != "" && t != "PC_USER" {
		c.fail(http.StatusBadRequest, "invalid.subject.type", "Value [%s] is not a supported subject type", t)
		return false
	}
	return true
}

// grantRole serves POST /api/v2/authorization/roles/{roleId} (body SubjectDivisions): grant
// the role to every subject in every division. Grants are a set: granting again is a no-op.
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
		c.fail(http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	for _, d := range b.DivisionIDs {
		if d != allDivisions && w.divisionByID[d] == nil {
			c.fail(http.StatusBadRequest, "bad.role.divisions", "Invalid role divisions in request.")
			return
		}
	}
	users := make([]*user, 0, len(b.SubjectIDs))
	for _, id := range b.SubjectIDs {
		u := w.userByID[id]
		if u == nil || u.state == "deleted" {
			// Modelling choice: an unknown subject is 400 invalid.value (unconfirmed).
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [subjectIds]", id)
			return
		}
		users = append(users, u)
	}
	for _, u := range users {
		for _, d := range b.DivisionIDs {
			u.addGrant(r.id, d, c.now)
		}
	}
	c.empty(http.StatusNoContent)
}

// bulkAddGrants serves POST /api/v2/authorization/subjects/{subjectId}/bulkadd (body
// RoleDivisionGrants).
func (s *Sim) bulkAddGrants(c *call) {
	if !c.checkSubjectType() {
		return
	}
	var b struct {
		Grants []struct {
			RoleID     string `json:"roleId"`
			DivisionID string `json:"divisionId"`
		} `json:"grants"`
	}
	if !c.decode(&b) {
		return
	}
	if len(b.Grants) == 0 {
		c.fail(http.StatusBadRequest, "bad.request", "grants is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u := w.userByID[c.param("subjectId")]
	if u == nil || u.state == "deleted" {
		// Modelling choice: an unknown subject is 404 not.found.
		c.fail(http.StatusNotFound, "not.found", "The requested resource was not found.")
		return
	}
	for _, g := range b.Grants {
		if g.RoleID == "" || g.DivisionID == "" {
			c.fail(http.StatusBadRequest, "bad.request", "roleId and divisionId are required in every grant")
			return
		}
		if w.roleByID[g.RoleID] == nil || (g.DivisionID != allDivisions && w.divisionByID[g.DivisionID] == nil) {
			c.fail(http.StatusBadRequest, "bad.role.divisions", "Invalid role divisions in request.")
			return
		}
	}
	for _, g := range b.Grants {
		u.addGrant(g.RoleID, g.DivisionID, c.now)
	}
	c.empty(http.StatusNoContent)
}

// getSubject serves GET /api/v2/authorization/subjects/{subjectId}. Only users hold grants in
// the simulator, so every grant's subjectId is the user's own id; a group answers no grants.
// Modelling choice: a grant in every division ("*") names its division "All Divisions".
func (s *Sim) getSubject(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	id := c.param("subjectId")
	if g := w.groupByID[id]; g != nil {
		c.json(http.StatusOK, apiAuthzSubject{ID: g.id, Name: g.name, Grants: []apiGrant{}, Version: 1, SelfURI: "/api/v2/authorization/subjects/" + id})
		return
	}
	u := w.userByID[id]
	if u == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a subject with that id")
		return
	}
	out := apiAuthzSubject{ID: u.id, Name: u.name, Grants: []apiGrant{}, Version: 1, SelfURI: "/api/v2/authorization/subjects/" + id}
	for _, g := range u.grants {
		r := w.roleByID[g.roleID]
		div := apiDivision{ID: g.divisionID, Name: w.divisionName(g.divisionID)}
		if d := w.divisionByID[g.divisionID]; d != nil {
			div = w.renderDivision(d)
		}
		out.Grants = append(out.Grants, apiGrant{
			SubjectID: u.id, Division: div, GrantMadeAt: isoTime(g.at),
			Role: apiGrantRole{ID: r.id, Name: r.name, Description: r.description, Default: r.isDefault},
		})
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
		u := w.userByID[id]
		if u == nil || u.state == "deleted" {
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
