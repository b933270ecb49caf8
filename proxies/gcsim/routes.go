package gcsim

import "strings"

// route is one API operation. key ("POST /api/v2/users") is the Counters.Requests key.
type route struct {
	key    string
	method string
	segs   []string
	write  bool // counts in Counters.Writes
	handle func(*Sim, *call)
}

// apiRoutes lists every /api/v2 operation the simulator serves. Anything else is answered
// 404 not.found, also a known path with another method (Genesys answers unknown routes 404).
func apiRoutes() []route {
	table := []struct {
		pattern string
		handle  func(*Sim, *call)
	}{
		// Users.
		{"POST /api/v2/users", (*Sim).createUser},
		{"GET /api/v2/users", (*Sim).listUsers},
		{"POST /api/v2/users/search", (*Sim).searchUsers},
		{"GET /api/v2/users/me", (*Sim).getMe},
		{"GET /api/v2/users/{userId}", (*Sim).getUser},
		{"PATCH /api/v2/users/{userId}", (*Sim).patchUser},
		{"DELETE /api/v2/users/{userId}", (*Sim).deleteUser},
		{"POST /api/v2/users/{userId}/password", (*Sim).setPassword},
		{"GET /api/v2/users/{userId}/station", (*Sim).getUserStation},
		{"PUT /api/v2/users/{userId}/station/defaultstation/{stationId}", (*Sim).setDefaultStation},
		{"DELETE /api/v2/users/{userId}/station/defaultstation", (*Sim).clearDefaultStation},
		{"POST /api/v2/users/{userId}/invite", (*Sim).inviteUser},
		{"GET /api/v2/users/{userId}/queues", (*Sim).listUserQueues},
		{"GET /api/v2/users/{userId}/routingskills", (*Sim).listUserSkills},
		{"PATCH /api/v2/users/{userId}/routingskills/bulk", (*Sim).patchUserSkills},
		{"PUT /api/v2/users/{userId}/routingskills/bulk", (*Sim).putUserSkills},
		{"DELETE /api/v2/users/{userId}/routingskills/{skillId}", (*Sim).deleteUserSkill},
		{"GET /api/v2/users/{userId}/routinglanguages", (*Sim).listUserLanguages},
		{"PATCH /api/v2/users/{userId}/routinglanguages/bulk", (*Sim).patchUserLanguages},
		{"DELETE /api/v2/users/{userId}/routinglanguages/{languageId}", (*Sim).deleteUserLanguage},
		// Authorization.
		{"GET /api/v2/authorization/divisions", (*Sim).listDivisions},
		{"GET /api/v2/authorization/divisions/home", (*Sim).homeDivision},
		{"GET /api/v2/authorization/divisions/{divisionId}", (*Sim).getDivision},
		{"POST /api/v2/authorization/divisions/{divisionId}/objects/USER", (*Sim).moveUsers},
		{"GET /api/v2/authorization/roles", (*Sim).listRoles},
		{"POST /api/v2/authorization/roles/{roleId}", (*Sim).grantRole},
		{"GET /api/v2/authorization/roles/{roleId}/subjectgrants", (*Sim).listRoleSubjectGrants},
		{"GET /api/v2/authorization/subjects/{subjectId}", (*Sim).getSubject},
		{"POST /api/v2/authorization/subjects/{subjectId}/bulkadd", (*Sim).bulkAddGrants},
		{"POST /api/v2/authorization/subjects/{subjectId}/bulkremove", (*Sim).bulkRemoveGrants},
		{"POST /api/v2/authorization/subjects/{subjectId}/bulkreplace", (*Sim).bulkReplaceGrants},
		{"DELETE /api/v2/authorization/subjects/{subjectId}/divisions/{divisionId}/roles/{roleId}", (*Sim).deleteGrant},
		// Groups.
		{"GET /api/v2/groups", (*Sim).listGroups},
		{"POST /api/v2/groups/search", (*Sim).searchGroups},
		{"GET /api/v2/groups/{groupId}", (*Sim).getGroup},
		{"GET /api/v2/groups/{groupId}/members", (*Sim).listGroupMembers},
		{"GET /api/v2/groups/{groupId}/individuals", (*Sim).listGroupIndividuals},
		{"POST /api/v2/groups/{groupId}/members", (*Sim).addGroupMembers},
		{"DELETE /api/v2/groups/{groupId}/members", (*Sim).removeGroupMembers},
		// Routing.
		{"GET /api/v2/routing/queues", (*Sim).listQueues},
		{"GET /api/v2/routing/queues/{queueId}", (*Sim).getQueue},
		{"GET /api/v2/routing/queues/{queueId}/members", (*Sim).listQueueMembers},
		{"POST /api/v2/routing/queues/{queueId}/members", (*Sim).changeQueueMembers},
		{"GET /api/v2/routing/skills", (*Sim).listSkills},
		{"GET /api/v2/routing/languages", (*Sim).listLanguages},
		// Locations.
		{"GET /api/v2/locations", (*Sim).listLocations},
		{"POST /api/v2/locations/search", (*Sim).searchLocations},
		{"GET /api/v2/locations/{locationId}", (*Sim).getLocation},
		// Telephony.
		{"GET /api/v2/telephony/providers/edges/sites", (*Sim).listSites},
		{"GET /api/v2/telephony/providers/edges/sites/{siteId}", (*Sim).getSite},
		{"GET /api/v2/telephony/providers/edges/phonebasesettings", (*Sim).listPhoneBases},
		{"GET /api/v2/telephony/providers/edges/phonebasesettings/{phoneBaseId}", (*Sim).getPhoneBase},
		{"GET /api/v2/telephony/providers/edges/phones", (*Sim).listPhones},
		{"POST /api/v2/telephony/providers/edges/phones", (*Sim).createPhone},
		{"GET /api/v2/telephony/providers/edges/phones/{phoneId}", (*Sim).getPhone},
		{"DELETE /api/v2/telephony/providers/edges/phones/{phoneId}", (*Sim).deletePhone},
		// Stations.
		{"GET /api/v2/stations", (*Sim).listStations},
		{"GET /api/v2/stations/{stationId}", (*Sim).getStation},
		// OAuth.
		{"GET /api/v2/oauth/clients/{clientId}", (*Sim).getOAuthClient},
	}
	out := make([]route, 0, len(table))
	for _, t := range table {
		method, path, _ := strings.Cut(t.pattern, " ")
		out = append(out, route{
			key: t.pattern, method: method, segs: strings.Split(path, "/"), handle: t.handle,
			write: method != "GET" && !strings.HasSuffix(path, "/search"),
		})
	}
	return out
}

// match finds the route for a request: among the routes whose pattern fits the path, the one
// with the most literal segments (".../divisions/home" before ".../divisions/{divisionId}").
func (s *Sim) match(method, path string) (*route, map[string]string) {
	segs := strings.Split(path, "/")
	var best *route
	bestLiterals := -1
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for j, p := range rt.segs {
			if strings.HasPrefix(p, "{") {
				if segs[j] == "" {
					ok = false
					break
				}
				continue
			}
			if p != segs[j] {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = rt, literals
		}
	}
	if best == nil {
		return nil, nil
	}
	params := map[string]string{}
	for j, p := range best.segs {
		if strings.HasPrefix(p, "{") {
			params[strings.Trim(p, "{}")] = segs[j]
		}
	}
	return best, params
}
