package gcsim

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	// maxQueueMembersPerCall is SPEC's limit on POST /api/v2/routing/queues/{queueId}/members
	// ("Bulk add or delete up to 100 queue members").
	maxQueueMembersPerCall = 100
	// maxQueueMembersPageSize is SPEC's limit on GET .../members ("Max value is 100").
	maxQueueMembersPageSize = 100
	// maxLevelsPerCall bounds the bodies of the routingskills and routinglanguages bulk
	// calls. SPEC states it for languages ("Max 50 routing languages in request body"); for
	// skills it states none, and TF chunks skills by 50 too ("Bulk API restricts skills adds
	// to 50 per call"). Modelling choice: 50 for both, above it 400 bad.request.
	maxLevelsPerCall = 50

	minProficiency = 0.0
	maxProficiency = 5.0
)

// queueNameMatch applies GET /api/v2/routing/queues' name filter: "Include only queues with
// the given name (leading and trailing asterisks allowed)". Modelling choice: without
// asterisks the match is exact; it is case-insensitive either way, and an asterisk inside
// the name is an ordinary character.
func queueNameMatch(pattern, name string) bool {
	p, n := strings.ToLower(pattern), strings.ToLower(name)
	lead, trail := strings.HasPrefix(p, "*"), strings.HasSuffix(p, "*") && len(p) > 1
	p = strings.TrimSuffix(strings.TrimPrefix(p, "*"), "*")
	switch {
	case lead && trail:
		return strings.Contains(n, p)
	case lead:
		return strings.HasSuffix(n, p)
	case trail:
		return strings.HasPrefix(n, p)
	}
	return n == p
}

// listQueues serves GET /api/v2/routing/queues: paging, name, id, divisionId and sortOrder
// (results are sorted by name). Other filters (peerId, hasPeer, ...) are ignored: no
// simulated queue has a peer or a canned response library.
func (s *Sim) listQueues(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	desc, ok := c.sortOrder("asc", "desc")
	if !ok {
		return
	}
	name, ids, divs := q.Get("name"), listParam(q, "id"), listParam(q, "divisionId")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiQueue
	for _, qu := range sortByName(s.w.queues, func(x *queue) string { return x.name }, desc) {
		switch {
		case name != "" && !queueNameMatch(name, qu.name),
			len(ids) > 0 && !slices.Contains(ids, qu.id),
			len(divs) > 0 && !slices.Contains(divs, qu.divisionID):
			continue
		}
		out = append(out, s.w.renderQueue(qu))
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// getQueue serves GET /api/v2/routing/queues/{queueId}.
func (s *Sim) getQueue(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	qu := s.w.queueByID[c.param("queueId")]
	if qu == nil {
		c.fail(http.StatusNotFound, "resource.not.found", "The resource could not be found.")
		return
	}
	c.json(http.StatusOK, s.w.renderQueue(qu))
}

// listQueueMembers serves GET /api/v2/routing/queues/{queueId}/members: paging (pageSize at
// most 100), sortOrder (by name), name (contains, case-insensitive), memberBy, joined and
// expand (the user expand values, applied to each member's user). The answer is a
// QueueMemberEntityListing: no total, pageCount or lastUri, and nextUri only while more
// members remain. Every simulated member is a user (memberBy=group lists nobody). The other
// filters (skills, languages, routingStatus, presence, ...) are ignored.
func (s *Sim) listQueueMembers(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPageMax(maxQueueMembersPageSize)
	if !ok {
		return
	}
	desc, ok := c.sortOrder("asc", "desc")
	if !ok {
		return
	}
	memberBy := q.Get("memberBy")
	if memberBy != "" && memberBy != "user" && memberBy != "group" {
		c.fail(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [memberBy]. Allowable values are: user, group", memberBy)
		return
	}
	var joined *bool
	if q.Get("joined") != "" {
		j, ok := c.boolParam("joined", false)
		if !ok {
			return
		}
		joined = &j
	}
	name := strings.ToLower(q.Get("name"))
	exp := expandParam(listParam(q, "expand"))
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	qu := w.queueByID[c.param("queueId")]
	if qu == nil {
		c.fail(http.StatusNotFound, "resource.not.found", "The resource could not be found.")
		return
	}
	var members []*queueMember
	for _, m := range qu.members {
		u := w.userByID[m.userID]
		switch {
		case memberBy == "group",
			joined != nil && m.joined != *joined,
			name != "" && !strings.Contains(strings.ToLower(u.name), name):
			continue
		}
		members = append(members, m)
	}
	members = sortByName(members, func(m *queueMember) string { return w.userByID[m.userID].name }, desc)
	out := make([]apiQueueMember, 0, len(members))
	for _, m := range members {
		u := w.userByID[m.userID]
		ru := w.renderUser(u, u.userFields, exp)
		out = append(out, apiQueueMember{
			ID: u.id, Name: u.name, User: &ru, RingNumber: 1, Joined: m.joined, MemberBy: "user",
			SelfURI: queueURI(qu.id) + "/members/" + u.id,
		})
	}
	l := paginate(c, out, p)
	c.json(http.StatusOK, memberListing[apiQueueMember]{
		Entities: l.Entities, PageNumber: l.PageNumber, PageSize: l.PageSize, FirstURI: l.FirstURI,
		SelfURI: l.SelfURI, PreviousURI: l.PreviousURI, NextURI: l.NextURI,
	})
}

// changeQueueMembers serves POST /api/v2/routing/queues/{queueId}/members?delete=false|true
// (body WritableEntity[]): add (joined) or remove up to 100 users. Membership is a set:
// adding a member or removing a non-member is a no-op. The request is all or nothing.
// Modelling choice: success is 200 with no body (SPEC lists only a default response; the
// SDK reads no body).
func (s *Sim) changeQueueMembers(c *call) {
	del, ok := c.boolParam("delete", false)
	if !ok {
		return
	}
	var body []struct {
		ID string `json:"id"`
	}
	if !c.decode(&body) {
		return
	}
	// SPEC's 400 bad.request for this operation reads "Make sure you submit a valid number
	// of queue members": used for an empty body and for more than 100 entries.
	if len(body) == 0 {
		c.fail(http.StatusBadRequest, "bad.request", "Invalid request data.  Make sure you submit a valid number of queue members.")
		return
	}
	if len(body) > maxQueueMembersPerCall {
		s.rejectLimit(c, "bad.request", "Invalid request data.  Make sure you submit a valid number of queue members. Up to %d members can be added or deleted at a time; found %d.", maxQueueMembersPerCall, len(body))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	qu := w.queueByID[c.param("queueId")]
	if qu == nil {
		c.fail(http.StatusNotFound, "resource.not.found", "Specified queue could not be found.")
		return
	}
	for _, e := range body {
		if w.liveUser(e.ID) == nil {
			// Modelling choice: SPEC's 400 invalid.id ("A non-UUID value was specified for
			// an ID field") also answers ids of users that do not exist.
			c.fail(http.StatusBadRequest, "invalid.id", "A non-UUID value was specified for an ID field. Unknown user id [%s].", e.ID)
			return
		}
	}
	changed := false
	for _, e := range body {
		if del {
			changed = qu.remove(e.ID) || changed
		} else {
			changed = qu.add(e.ID) || changed
		}
	}
	if changed {
		qu.modified = c.now
	}
	c.empty(http.StatusOK)
}

// listUserQueues serves GET /api/v2/users/{userId}/queues: paging, joined and divisionId.
// Modelling choice: joined defaults to true, as in SPEC, and every simulated member is joined
// (the org file and POST .../members add joined members), so omitting joined lists every
// queue the user is a member of. joined=false lists only the queues the user is an unjoined
// member of, none in practice (SPEC: "Is joined to the queue"; whether false means "all" is
// unconfirmed). Beware: the Go SDK always sends joined, false when the caller leaves it unset.
func (s *Sim) listUserQueues(c *call) {
	p, ok := c.listPage()
	if !ok {
		return
	}
	joined, ok := c.boolParam("joined", true)
	if !ok {
		return
	}
	divs := listParam(c.r.URL.Query(), "divisionId")
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u := w.liveUser(c.param("userId"))
	if u == nil {
		c.notFound()
		return
	}
	var out []apiUserQueue
	for _, qu := range sortByName(w.queuesOf(u.id), func(x *queue) string { return x.name }, false) {
		m := qu.member(u.id)
		if m.joined != joined || (len(divs) > 0 && !slices.Contains(divs, qu.divisionID)) {
			continue
		}
		out = append(out, apiUserQueue{apiQueue: w.renderQueue(qu), Joined: m.joined})
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

func renderRoutingEntity(n *named, uri func(string) string) apiRoutingEntity {
	return apiRoutingEntity{ID: n.id, Name: n.name, State: "active", Version: "1", SelfURI: uri(n.id)}
}

// listSkills serves GET /api/v2/routing/skills: paging, id and name ("Filter for results
// that start with this value"; modelling choice: case-insensitively), sorted by name.
func (s *Sim) listSkills(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	prefix, ids := strings.ToLower(q.Get("name")), listParam(q, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiRoutingEntity
	for _, sk := range sortByName(s.w.skills, func(x *named) string { return x.name }, false) {
		if strings.HasPrefix(strings.ToLower(sk.name), prefix) && (len(ids) == 0 || slices.Contains(ids, sk.id)) {
			out = append(out, renderRoutingEntity(sk, skillURI))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// listLanguages serves GET /api/v2/routing/languages: paging, id, sortOrder and name.
// Modelling choice: name is an exact, case-insensitive match (SPEC says only "Name").
func (s *Sim) listLanguages(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	desc, ok := c.sortOrder("ascending", "descending", "asc", "desc")
	if !ok {
		return
	}
	name, ids := q.Get("name"), listParam(q, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiRoutingEntity
	for _, l := range sortByName(s.w.languages, func(x *named) string { return x.name }, desc) {
		if (name == "" || strings.EqualFold(l.name, name)) && (len(ids) == 0 || slices.Contains(ids, l.id)) {
			out = append(out, renderRoutingEntity(l, languageURI))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// levelKind describes the routing skills or the routing languages of a user, for the
// handlers they share.
type levelKind struct {
	field    string // "skill" or "language", for messages
	byID     func(w *world) map[string]*named
	levels   func(u *user) map[string]float64
	listing  func(w *world, u *user) []any // every level of the user, by name
	notFound string                        // 404 general.resource.not.found message for an unknown id
	round    bool                          // proficiencies are rounded to whole numbers
}

var skillKind = levelKind{
	field:    "skill",
	byID:     func(w *world) map[string]*named { return w.skillByID },
	levels:   func(u *user) map[string]float64 { return u.skills },
	listing:  func(w *world, u *user) []any { return toAny(w.userSkills(u)) },
	notFound: "One or more route skill(s) not found",
}

// languageKind: TF notes that for languages "The API accepts a float, but the backend
// rounds to the nearest int" (resource_genesyscloud_user_schema.go); the simulator does the
// same.
var languageKind = levelKind{
	field:    "language",
	byID:     func(w *world) map[string]*named { return w.languageByID },
	levels:   func(u *user) map[string]float64 { return u.languages },
	listing:  func(w *world, u *user) []any { return toAny(w.userLanguages(u)) },
	notFound: "One or more routing language(s) not found",
	round:    true,
}

// levelsUser finds the user of a user-level routing call; it answers 404 and returns nil
// when there is none. Modelling choice: general.resource.not.found for every such call (SPEC
// lists it with "User not found" for GET .../routinglanguages, and only not.found for the
// others). The caller holds s.mu.
func (s *Sim) levelsUser(c *call) *user {
	u := s.w.liveUser(c.param("userId"))
	if u == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "User not found")
	}
	return u
}

// listUserLevels serves GET /api/v2/users/{userId}/routingskills and .../routinglanguages:
// paging and sortOrder (by name).
func (s *Sim) listUserLevels(c *call, k levelKind) {
	p, ok := c.listPage()
	if !ok {
		return
	}
	desc, ok := c.sortOrder("ascending", "descending", "asc", "desc")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.levelsUser(c)
	if u == nil {
		return
	}
	all := k.listing(s.w, u)
	if desc {
		slices.Reverse(all)
	}
	c.json(http.StatusOK, paginate(c, all, p))
}

func toAny[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func (s *Sim) listUserSkills(c *call)    { s.listUserLevels(c, skillKind) }
func (s *Sim) listUserLanguages(c *call) { s.listUserLevels(c, languageKind) }

// setUserLevels serves the bulk calls (body UserRoutingSkillPost[] or
// UserRoutingLanguagePost[]): PATCH .../routingskills/bulk and .../routinglanguages/bulk add
// or update; PUT .../routingskills/bulk replaces every assignment. The request is all or
// nothing; an id given twice takes its last proficiency. The answer lists every level the
// user now holds, on one page. Modelling choice: these calls leave the user's version alone.
//
// There is no PUT .../routinglanguages/bulk in SPEC: it is answered 404 like any unknown
// route (TF removes languages one by one with DELETE .../routinglanguages/{languageId}).
func (s *Sim) setUserLevels(c *call, k levelKind, replace bool) {
	var body []struct {
		ID          string   `json:"id"`
		Proficiency *float64 `json:"proficiency"`
	}
	if !c.decode(&body) {
		return
	}
	if len(body) > maxLevelsPerCall {
		s.rejectLimit(c, "bad.request", "A maximum of %d %ss are allowed per request; found %d.", maxLevelsPerCall, k.field, len(body))
		return
	}
	for _, e := range body {
		switch {
		case e.ID == "":
			c.fail(http.StatusBadRequest, "bad.request", "Missing required field [id]")
			return
		case e.Proficiency == nil:
			c.fail(http.StatusBadRequest, "bad.request", "Missing required field [proficiency]")
			return
		case math.IsNaN(*e.Proficiency) || *e.Proficiency < minProficiency || *e.Proficiency > maxProficiency:
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%v] is not valid for field type [proficiency]. Allowable values are: 0.0 to 5.0", *e.Proficiency)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.levelsUser(c)
	if u == nil {
		return
	}
	byID := k.byID(s.w)
	for _, e := range body {
		if byID[e.ID] == nil {
			c.fail(http.StatusNotFound, "general.resource.not.found", "%s", k.notFound)
			return
		}
	}
	levels := k.levels(u)
	if replace {
		clear(levels)
	}
	for _, e := range body {
		p := *e.Proficiency
		if k.round {
			p = math.Round(p)
		}
		levels[e.ID] = p
	}
	s.answerLevels(c, k, u)
}

// answerLevels answers a bulk call with every level of the user on one page, linked to the
// GET listing. The caller holds s.mu.
func (s *Sim) answerLevels(c *call, k levelKind, u *user) {
	all := k.listing(s.w, u)
	size := max(len(all), 1)
	link := userURI(u.id) + "/routing" + k.field + "s?pageSize=" + strconv.Itoa(size) + "&pageNumber=1"
	c.json(http.StatusOK, listing[any]{
		Entities: all, PageSize: size, PageNumber: 1, Total: len(all), PageCount: 1,
		FirstURI: link, SelfURI: link, LastURI: link,
	})
}

func (s *Sim) patchUserSkills(c *call)    { s.setUserLevels(c, skillKind, false) }
func (s *Sim) putUserSkills(c *call)      { s.setUserLevels(c, skillKind, true) }
func (s *Sim) patchUserLanguages(c *call) { s.setUserLevels(c, languageKind, false) }

// deleteUserLevel serves DELETE /api/v2/users/{userId}/routingskills/{skillId} (200) and
// .../routinglanguages/{languageId} (204), the successes SPEC gives. A level the user does
// not hold is 404 general.resource.not.found.
func (s *Sim) deleteUserLevel(c *call, k levelKind, id string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.levelsUser(c)
	if u == nil {
		return
	}
	levels := k.levels(u)
	if _, ok := levels[id]; !ok {
		c.fail(http.StatusNotFound, "general.resource.not.found", "The %s was not found on this user.", k.field)
		return
	}
	delete(levels, id)
	c.empty(status) // SPEC declares no body for either
}

func (s *Sim) deleteUserSkill(c *call) {
	s.deleteUserLevel(c, skillKind, c.param("skillId"), http.StatusOK)
}

func (s *Sim) deleteUserLanguage(c *call) {
	s.deleteUserLevel(c, languageKind, c.param("languageId"), http.StatusNoContent)
}
