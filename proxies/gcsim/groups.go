package gcsim

import (
	"net/http"
	"slices"
)

// maxMembersPerCall is SPEC's limit on POST and DELETE /api/v2/groups/{groupId}/members.
const maxMembersPerCall = 50

// listGroups serves GET /api/v2/groups: paging and id; there is no name filter.
func (s *Sim) listGroups(c *call) {
	p, ok := c.listPage()
	if !ok {
		return
	}
	ids := listParam(c.r.URL.Query(), "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiGroup
	for _, g := range s.w.groups {
		if len(ids) == 0 || slices.Contains(ids, g.id) {
			out = append(out, s.w.renderGroup(g, c.now))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// getGroup serves GET /api/v2/groups/{groupId}.
func (s *Sim) getGroup(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.pathGroup(c); g != nil {
		c.json(http.StatusOK, s.w.renderGroup(g, c.now))
	}
}

// pathGroup returns the group the groupId path parameter names, or answers 404 and returns
// nil. The caller holds s.mu.
func (s *Sim) pathGroup(c *call) *group {
	g := s.w.groupByID[c.param("groupId")]
	if g == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a group with that groupId")
	}
	return g
}

// membersGroup is pathGroup for the calls that add or remove members, which also check the
// ids (field names them in the message): none is 400 bad.request, more than
// maxMembersPerCall a limit rejection. The caller holds s.mu.
func (s *Sim) membersGroup(c *call, field string, ids []string) *group {
	g := s.pathGroup(c)
	switch {
	case g == nil:
	case len(ids) == 0:
		c.fail(http.StatusBadRequest, "bad.request", "%s is required", field)
	case len(ids) > maxMembersPerCall:
		s.rejectLimitLocked(c, "bad.request", "A maximum of %d members are allowed per request.", maxMembersPerCall)
	default:
		return g
	}
	return nil
}

// addGroupMembers serves POST /api/v2/groups/{groupId}/members (body GroupMembersUpdate).
// Membership is a set; every accepted call moves the group to the next version. The version
// must be the group's current one; the real update is asynchronous (202), and GET shows the
// new version only after the group lag (consistency.go), so a client that reads the version
// in that time sends a stale one and gets 409. The simulator applies the members at once.
func (s *Sim) addGroupMembers(c *call) {
	var b struct {
		MemberIDs []string `json:"memberIds"`
		Version   *int     `json:"version"`
	}
	if !c.decode(&b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.membersGroup(c, "memberIds", b.MemberIDs)
	if g == nil {
		return
	}
	if b.Version == nil || *b.Version != g.version {
		if b.Version != nil && *b.Version == g.shownVersion(c.now, s.groupLag()) {
			s.lagged("group-version")
		}
		c.fail(http.StatusConflict, "general.conflict", msgBadVersion)
		return
	}
	for _, id := range b.MemberIDs {
		if s.w.liveUser(id) == nil {
			c.fail(http.StatusBadRequest, "general.resource.not.found", "Group members were not found.")
			return
		}
	}
	for _, id := range b.MemberIDs {
		g.add(id)
	}
	g.changed(c.now)
	c.json(http.StatusAccepted, struct{}{})
}

// removeGroupMembers serves DELETE /api/v2/groups/{groupId}/members?ids=a,b,c: remove up to
// 50 direct members, 202 with an empty body, like adding. The call takes no version; every
// accepted call moves the group to the next version, as adding does. The real update is
// asynchronous; the simulator applies it before answering.
//
// Modelling choice (SPEC lists 404 without saying when): an id that is not a direct member is
// ignored, but a call in which none is answers 404 general.resource.not.found, as a repeat of
// a removal that was done already does.
func (s *Sim) removeGroupMembers(c *call) {
	ids := listParam(c.r.URL.Query(), "ids")
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.membersGroup(c, "ids", ids)
	if g == nil {
		return
	}
	removed := false
	for _, id := range ids {
		removed = g.remove(id) || removed
	}
	if !removed {
		c.fail(http.StatusNotFound, "general.resource.not.found", "The resource could not be found.")
		return
	}
	g.changed(c.now)
	c.json(http.StatusAccepted, struct{}{})
}

// listGroupMembers serves GET /api/v2/groups/{groupId}/members: paging (pageSize at most 500,
// as for the other lists), sortOrder (ascending or descending; asc and desc are accepted too)
// and expand (the user expand values): a UserEntityListing that "includes individuals,
// owners, and dynamically included people" (SPEC), each once.
//
// Modelling choice: members are sorted by name (SPEC names no sort key), and deleted users
// are not listed although they stay members (a restored user is listed again); the group's
// memberCount counts the direct members, deleted ones included.
func (s *Sim) listGroupMembers(c *call) {
	p, ok := c.listPage()
	if !ok {
		return
	}
	desc, ok := c.sortOrder("ascending", "descending", "asc", "desc")
	if !ok {
		return
	}
	exp := expandParam(listParam(c.r.URL.Query(), "expand"))
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	g := s.pathGroup(c)
	if g == nil {
		return
	}
	out := w.renderLiveUsers(slices.Concat(g.members, g.owners, g.dynamic), exp, desc)
	c.json(http.StatusOK, paginate(c, out, p))
}

// renderLiveUsers renders the users of ids that are not deleted, each once, sorted by name.
// The caller holds s.mu.
func (w *world) renderLiveUsers(ids []string, exp expansions, desc bool) []apiUser {
	var users []*user
	seen := map[string]bool{}
	for _, id := range ids {
		if u := w.liveUser(id); u != nil && !seen[id] {
			seen[id] = true
			users = append(users, u)
		}
	}
	out := []apiUser{}
	for _, u := range sortByName(users, func(u *user) string { return u.name }, desc) {
		out = append(out, w.renderUser(u, u.userFields, exp))
	}
	return out
}

// listGroupIndividuals serves GET /api/v2/groups/{groupId}/individuals: "Get all individuals
// associated with the group", the direct members, without owners or dynamically included
// people. SPEC gives it no paging parameters: every individual comes in one UserEntityListing
// (modelling choice; TF reads it in one call too), sorted by name; deleted users are not
// listed.
func (s *Sim) listGroupIndividuals(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.pathGroup(c)
	if g == nil {
		return
	}
	out := s.w.renderLiveUsers(g.members, nil, false)
	c.json(http.StatusOK, paginate(c, out, page{size: max(len(out), 1), number: 1}))
}

// searchGroups serves POST /api/v2/groups/search (body GroupSearchRequest): EXACT criteria on
// id, name or state. The group index has no lag in the simulator.
func (s *Sim) searchGroups(c *call) {
	req, p, ok := s.searchBody(c, func(f string) bool { return f == "id" || f == "name" || f == "state" })
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var results []apiGroup
	for _, g := range s.w.groups {
		get := func(f string) string {
			switch f {
			case "id":
				return g.id
			case "name":
				return g.name
			}
			return "active"
		}
		if matchAll(req.Query, get, nil) {
			results = append(results, s.w.renderGroup(g, c.now))
		}
	}
	c.json(http.StatusOK, searchPageOf(results, p, "groups"))
}
