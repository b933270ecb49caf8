package gcsim

import (
	"net/http"
	"slices"
)

// maxMembersPerCall is SPEC's limit on POST /api/v2/groups/{groupId}/members.
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
