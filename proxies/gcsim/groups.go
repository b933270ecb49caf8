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
	g := s.w.groupByID[c.param("groupId")]
	if g == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a group with that groupId")
		return
	}
	c.json(http.StatusOK, renderGroup(g))
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
	w := s.w
	g := w.groupByID[c.param("groupId")]
	switch {
	case g == nil:
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a group with that groupId")
		return
	case len(b.MemberIDs) == 0:
		c.fail(http.StatusBadRequest, "bad.request", "memberIds is required")
		return
	case len(b.MemberIDs) > maxMembersPerCall:
		s.counts.LimitRejections++
		c.fail(http.StatusBadRequest, "bad.request", "A maximum of 50 members are allowed per request.")
		return
	case b.Version == nil || *b.Version != g.version:
		c.fail(http.StatusConflict, "general.conflict", msgBadVersion)
		return
	}
	for _, id := range b.MemberIDs {
		if u := w.userByID[id]; u == nil || u.state == "deleted" {
			c.fail(http.StatusBadRequest, "general.resource.not.found", "Group members were not found.")
			return
		}
	}
	for _, id := range b.MemberIDs {
		g.add(id)
	}
	g.version++
	g.modified = c.now
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
	g := s.w.groupByID[c.param("groupId")]
	switch {
	case g == nil:
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a group with that groupId")
		return
	case len(ids) == 0:
		c.fail(http.StatusBadRequest, "bad.request", "ids is required")
		return
	case len(ids) > maxMembersPerCall:
		s.counts.LimitRejections++
		c.fail(http.StatusBadRequest, "bad.request", "A maximum of 50 members are allowed per request.")
		return
	}
	for _, id := range ids {
		g.remove(id)
	}
	g.version++
	g.modified = c.now
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
	g := w.groupByID[c.param("groupId")]
	if g == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a group with that groupId")
		return
	}
	var members []*user
	for _, id := range g.members {
		if u := w.userByID[id]; u != nil && u.state != "deleted" {
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
	var req searchRequest
	if !c.decode(&req) {
		return
	}
	p, ok := c.searchPage(req)
	if !ok {
		return
	}
	known := func(f string) bool { return f == "id" || f == "name" || f == "state" }
	if !s.checkCriteria(c, req.Query, known) {
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
