package provision

import (
	"slices"
	"strings"
)

// Requirement is what an API operation requires of the credentials, as swagger.json's
// x-inin-requires-permissions states it.
type Requirement struct {
	// All: the operation requires every permission of the list (type ALL); otherwise any one
	// of them (type ANY).
	All         bool
	Permissions []string // in swagger's order; none: the operation requires nothing
}

func anyOf(perms ...string) Requirement { return Requirement{Permissions: perms} }
func allOf(perms ...string) Requirement { return Requirement{All: true, Permissions: perms} }

// operations is every API operation the tool calls, by method and swagger path template
// (package proxies says which each Services method calls), with what swagger requires of
// it. permissions_test.go checks every entry against swagger.json.
var operations = map[string]Requirement{
	// Users.
	opSearchUsers:       anyOf("directory:user:view"),
	opListUsers:         {},
	opGetUser:           {},
	opCreateUser:        anyOf("directory:user:add"),
	opPatchUser:         anyOf("admin", "directory:user:edit", "directory:organization:admin"),
	opInvite:            anyOf("admin", "directory:organization:admin", "directory:user:setPassword"),
	opSetDefaultStation: anyOf("telephony:plugin:all", "telephony:phone:assign"),
	opUserQueues:        anyOf("routing:queue:view"),
	opUserSkills:        {},
	opUserLanguages:     {},
	opAddSkills:         anyOf("routing:skill:assign"),
	opSetSkills:         anyOf("routing:skill:assign"),
	opAddLanguages:      anyOf("routing:skill:assign", "routing:language:assign"),
	opRemoveLanguage:    anyOf("routing:skill:assign", "routing:language:assign"),
	// Authorization.
	opHomeDivision:  {},
	opListDivisions: {},
	opMoveUsers:     {},
	opListRoles:     anyOf("authorization:role:view"),
	opGrantRole:     allOf("authorization:grant:add"),
	opRoleGrants:    anyOf("authorization:role:view"),
	opUserGrants:    anyOf("authorization:grant:view"),
	opGrantRoles:    allOf("authorization:grant:add"),
	opRevokeRoles:   allOf("authorization:grant:delete"),
	// Groups.
	opListGroups:         {},
	opGetGroup:           {},
	opGroupIndividuals:   {},
	opAddGroupMembers:    {},
	opRemoveGroupMembers: {},
	// Routing and locations.
	opListQueues:         anyOf("routing:queue:view"),
	opQueueMembers:       anyOf("routing:queue:view", "routing:queue:edit", "routing:queue:readonly", "routing:queueMember:manage"),
	opChangeQueueMembers: anyOf("routing:queue:edit", "routing:queueMember:manage"),
	opListSkills:         {},
	opListLanguages:      {},
	opListLocations:      {},
	// Telephony and stations.
	opListSites:      {},
	opListPhoneBases: anyOf("telephony:plugin:all"),
	opFindPhones:     anyOf("telephony:plugin:all"),
	opCreatePhone:    anyOf("telephony:plugin:all"),
	opFindStations:   {},
	// The preflight's own reads.
	opReadOAuthClient: anyOf("oauth:client:view"),
	opUsersMe:         {},
}

// The operations, by the name of what they do. The preflight's own reads (the OAuth client,
// the user the token acts as) are optional: when they fail, the run goes on unchecked.
const (
	opSearchUsers        = "POST /api/v2/users/search"
	opListUsers          = "GET /api/v2/users"
	opGetUser            = "GET /api/v2/users/{userId}"
	opCreateUser         = "POST /api/v2/users"
	opPatchUser          = "PATCH /api/v2/users/{userId}"
	opInvite             = "POST /api/v2/users/{userId}/invite"
	opSetDefaultStation  = "PUT /api/v2/users/{userId}/station/defaultstation/{stationId}"
	opUserQueues         = "GET /api/v2/users/{userId}/queues"
	opUserSkills         = "GET /api/v2/users/{userId}/routingskills"
	opUserLanguages      = "GET /api/v2/users/{userId}/routinglanguages"
	opAddSkills          = "PATCH /api/v2/users/{userId}/routingskills/bulk"
	opSetSkills          = "PUT /api/v2/users/{userId}/routingskills/bulk"
	opAddLanguages       = "PATCH /api/v2/users/{userId}/routinglanguages/bulk"
	opRemoveLanguage     = "DELETE /api/v2/users/{userId}/routinglanguages/{languageId}"
	opHomeDivision       = "GET /api/v2/authorization/divisions/home"
	opListDivisions      = "GET /api/v2/authorization/divisions"
	opMoveUsers          = "POST /api/v2/authorization/divisions/{divisionId}/objects/{objectType}"
	opListRoles          = "GET /api/v2/authorization/roles"
	opGrantRole          = "POST /api/v2/authorization/roles/{roleId}"
	opRoleGrants         = "GET /api/v2/authorization/roles/{roleId}/subjectgrants"
	opUserGrants         = "GET /api/v2/authorization/subjects/{subjectId}"
	opGrantRoles         = "POST /api/v2/authorization/subjects/{subjectId}/bulkadd"
	opRevokeRoles        = "POST /api/v2/authorization/subjects/{subjectId}/bulkremove"
	opListGroups         = "GET /api/v2/groups"
	opGetGroup           = "GET /api/v2/groups/{groupId}"
	opGroupIndividuals   = "GET /api/v2/groups/{groupId}/individuals"
	opAddGroupMembers    = "POST /api/v2/groups/{groupId}/members"
	opRemoveGroupMembers = "DELETE /api/v2/groups/{groupId}/members"
	opListQueues         = "GET /api/v2/routing/queues"
	opQueueMembers       = "GET /api/v2/routing/queues/{queueId}/members"
	opChangeQueueMembers = "POST /api/v2/routing/queues/{queueId}/members" // adds, and removes with delete=true
	opListSkills         = "GET /api/v2/routing/skills"
	opListLanguages      = "GET /api/v2/routing/languages"
	opListLocations      = "GET /api/v2/locations"
	opListSites          = "GET /api/v2/telephony/providers/edges/sites"
	opListPhoneBases     = "GET /api/v2/telephony/providers/edges/phonebasesettings"
	opFindPhones         = "GET /api/v2/telephony/providers/edges/phones"
	opCreatePhone        = "POST /api/v2/telephony/providers/edges/phones"
	opFindStations       = "GET /api/v2/stations"
	opReadOAuthClient    = "GET /api/v2/oauth/clients/{clientId}"
	opUsersMe            = "GET /api/v2/users/me"
)

// Operations returns the API operations the tool calls, by method and swagger path template
// ("PATCH /api/v2/users/{userId}"), each with what swagger requires of it. The map is the
// caller's.
func Operations() map[string]Requirement {
	out := make(map[string]Requirement, len(operations))
	for op, r := range operations {
		out[op] = Requirement{All: r.All, Permissions: slices.Clone(r.Permissions)}
	}
	return out
}

// isRead reports whether an operation only reads: a GET, or a POST that searches. A dry run
// calls nothing else.
func isRead(op string) bool {
	method, path, _ := strings.Cut(op, " ")
	return method == "GET" || (method == "POST" && strings.HasSuffix(path, "/search"))
}

// grants reports whether a held permission grants a required one. "domain:entity:action"
// grants another of three parts when each part is the same or, held, "*"; a legacy
// single-word permission ("admin") grants only itself.
func grants(held, required string) bool {
	h, r := strings.Split(held, ":"), strings.Split(required, ":")
	if len(h) != len(r) {
		return false
	}
	for i := range h {
		if h[i] != r[i] && (h[i] != "*" || len(h) == 1) {
			return false
		}
	}
	return true
}

// grantsAny reports whether any held permission grants required.
func grantsAny(held []string, required string) bool {
	return slices.ContainsFunc(held, func(h string) bool { return grants(h, required) })
}

// broaderAlternatives are permissions that an operation accepts among narrower ones and that
// reach beyond what the tool does with it: routing:queue:edit edits the queue itself, where
// routing:queueMember:manage manages only its members.
var broaderAlternatives = []string{"routing:queue:edit"}

// breadth ranks a permission among an operation's alternatives, the narrowest 0: 3 for a
// legacy single word ("admin") and an "admin" action, 2 for a wildcard or an "all" action,
// 1 for broaderAlternatives.
func breadth(p string) int {
	parts := strings.Split(p, ":")
	switch {
	case len(parts) == 1 || parts[len(parts)-1] == "admin":
		return 3
	case slices.Contains(parts, "*") || parts[len(parts)-1] == "all":
		return 2
	case slices.Contains(broaderAlternatives, p):
		return 1
	}
	return 0
}

// Need is one permission a run needs: holding any one of Permissions satisfies it.
type Need struct {
	// Permissions are the alternatives, the narrowest first; most needs have one. An
	// operation that requires ALL of several permissions makes one Need of each.
	Permissions []string
	// Reasons are what makes the run need it, in the order of the file's columns: a column
	// ("title"), two that go together ("sitename/phonebase"), a column with an option
	// ("roles (--memberships replace)"), an option ("--send-invite"), or what a row may
	// meet ("restoring deleted users").
	Reasons []string
}

// HeldBy reports whether the held permissions satisfy the need.
func (n Need) HeldBy(held []string) bool {
	return slices.ContainsFunc(n.Permissions, func(p string) bool { return grantsAny(held, p) })
}

// Words names the permission, and its alternatives in parentheses:
// "directory:user:edit (or admin, directory:organization:admin)".
func (n Need) Words() string {
	if len(n.Permissions) < 2 {
		return strings.Join(n.Permissions, "")
	}
	return n.Permissions[0] + " (or " + strings.Join(n.Permissions[1:], ", ") + ")"
}

// String is the need with its reasons: "telephony:plugin:all, needed for sitename/phonebase".
func (n Need) String() string {
	return n.Words() + ", needed for " + strings.Join(n.Reasons, ", ")
}

// needsOf makes the needs of uses, merged by permission, in the order they first appear. A
// need with alternatives is left out when another need asks for one of them alone: holding
// that one satisfies both, and its reasons join that need's.
func needsOf(uses []use) []Need { return needsIn(operations, uses) }

// needsIn is needsOf with the requirements of table.
func needsIn(table map[string]Requirement, uses []use) []Need {
	var needs []Need
	at := map[string]int{} // alternatives joined → index in needs
	add := func(alts []string, reason string) {
		key := strings.Join(alts, " ")
		i, ok := at[key]
		if !ok {
			i = len(needs)
			at[key] = i
			needs = append(needs, Need{Permissions: alts})
		}
		if !slices.Contains(needs[i].Reasons, reason) {
			needs[i].Reasons = append(needs[i].Reasons, reason)
		}
	}
	for _, u := range uses {
		req := table[u.op]
		if req.All {
			for _, p := range req.Permissions {
				add([]string{p}, u.reason)
			}
			continue
		}
		if len(req.Permissions) > 0 {
			alts := slices.Clone(req.Permissions)
			slices.SortStableFunc(alts, func(a, b string) int { return breadth(a) - breadth(b) })
			add(alts, u.reason)
		}
	}
	return implied(needs)
}

// implied drops the needs with alternatives of which one is another need's only permission,
// and adds their reasons to that need.
func implied(needs []Need) []Need {
	single := map[string]int{}
	for i, n := range needs {
		if len(n.Permissions) == 1 {
			single[n.Permissions[0]] = i
		}
	}
	dropped := map[int]bool{}
	for i, n := range needs {
		if len(n.Permissions) < 2 {
			continue
		}
		for _, p := range n.Permissions {
			if j, ok := single[p]; ok {
				for _, r := range n.Reasons {
					if !slices.Contains(needs[j].Reasons, r) {
						needs[j].Reasons = append(needs[j].Reasons, r)
					}
				}
				dropped[i] = true
				break
			}
		}
	}
	out := make([]Need, 0, len(needs)-len(dropped))
	for i, n := range needs {
		if !dropped[i] {
			out = append(out, n)
		}
	}
	return out
}
