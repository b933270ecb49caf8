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
			out = append(out, renderGroup(g))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// getGroup serves GET /api/v2/groups/{groupId}.
func (s *Sim) getGroup(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.pathGroup(c); g != nil {
		c.json(http.StatusOK, renderGroup(g))
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
// Membership is a set; every accepted call moves the group to the next version. The real
// update is asynchronous; the simulator applies it before answering 202.
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
// 50 direct members, 202 with an empty body, like adding. Membership is a set: an id that is
// not a member (or names no user) is ignored. The call takes no version; every accepted call
// moves the group to the next version, as adding does. The real update is asynchronous; the
// simulator applies it before answering.
func (s *Sim) removeGroupMembers(c *call) {
	ids := listParam(c.r.URL.Query(), "ids")
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.membersGroup(c, "ids", ids)
	if g == nil {
		return
	}
	for _, id := range ids {
		g.remove(id)
	}
	g.changed(c.now)
	c.json(http.StatusAccepted, struct{}{})
}

// listGroupMembers serves GET /api/v2/groups/{groupId}/members: paging (pageSize at most 500,
// as for the other lists), sortOrder (ascending or descending; asc and desc are accepted too)
// and expand (the user expand values): a UserEntityListing of the group's direct members. The
// simulator has no dynamic members or owners, so those are all.
//
// Modelling choice: members are sorted by name (SPEC names no sort key), and deleted users
// are not listed although they stay members (a restored user is listed again); the group's
// memberCount still counts them.
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
	var members []*user
	for _, id := range g.members {
		if u := w.liveUser(id); u != nil {
			members = append(members, u)
		}
	}
	out := []apiUser{}
	for _, u := range sortByName(members, func(u *user) string { return u.name }, desc) {
		out = append(out, w.renderUser(u, u.userFields, exp))
	}
	c.json(http.StatusOK, paginate(c, out, p))
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
			results = append(results, renderGroup(g))
		}
	}
	c.json(http.StatusOK, searchPageOf(results, p, "groups"))
}
