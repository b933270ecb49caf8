package provision

import (
	"slices"
)

// A run's needs follow from the columns its file has and its options: which calls each makes
// is written down here once, from what the passes do (row.go, plan.go, apply.go, the
// managers and deactivation passes) and which calls each Services method makes (package
// proxies). The permissions follow from the operations (permissions.go).

// use is an API operation a run may call, and what makes it call it (Need.Reasons).
type use struct {
	op, reason string
}

// Reasons that are not a column.
const (
	reasonRestore    = "restoring deleted users"
	reasonReplace    = " (--memberships replace)"
	reasonInvite     = "--send-invite"
	reasonDeactivate = "--deactivate-missing"
	reasonResume     = "--resume"
)

// uses collects what a run calls.
type uses struct {
	cols   map[string]bool // canonical column names
	o      Options
	upsert bool // not --mode create: existing users are changed, deleted ones restored
	out    []use
}

// add notes that reason makes the run call ops.
func (u *uses) add(reason string, ops ...string) {
	for _, op := range ops {
		u.out = append(u.out, use{op: op, reason: reason})
	}
}

// patch is a PATCH of a user: with the version read first when not known, and again after a
// version conflict.
var patch = []string{opGetUser, opPatchUser}

// runUses lists the API operations a run of a file with columns cols (canonical names) may
// call, with what makes it call each, in the order of the file's columns, then the restores
// of deleted users, then the options.
// A dry run calls only the reads.
func runUses(cols map[string]bool, o Options) []use {
	u := &uses{cols: cols, o: o, upsert: !o.CreateOnly}
	u.users()
	u.profile()
	u.roles()
	u.memberships()
	u.levels()
	u.phone()
	u.restores()
	u.options()
	if o.DryRun {
		u.out = slices.DeleteFunc(u.out, func(x use) bool { return !isRead(x.op) })
	}
	return u.out
}

// users is what every row does: find its user by email (a search, then a read by id, which
// may read the skills and languages on their own), create it in the home division when it is
// missing and, in upsert mode, rename it.
func (u *uses) users() {
	const r = "name/email"
	u.add(r, opSearchUsers, opListUsers, opUserSkills, opUserLanguages, opHomeDivision, opCreateUser)
	if u.upsert {
		u.add(r, patch...)
	}
}

// restores is what a row whose user was deleted does in upsert mode, whatever the columns:
// restore the user (a PATCH of the state, the user read before and after) and grant it the
// org's default role, as a new user has, after reading its grants.
func (u *uses) restores() {
	if u.upsert {
		u.add(reasonRestore, opGetUser, opPatchUser, opListUsers, opListRoles, opUserGrants, opGrantRoles)
	}
}

// profile is the columns of the user's own fields. Those the create call carries need only it
// for a new user, and a PATCH for an existing one; the others need a PATCH for any user.
func (u *uses) profile() {
	for _, c := range []string{"password", "state"} {
		if u.cols[c] {
			u.add(c, opCreateUser)
		}
	}
	for _, c := range []string{"title", "department", "phone_work", "extension", "phone_mobile"} {
		if !u.cols[c] {
			continue
		}
		u.add(c, opCreateUser)
		if u.upsert {
			u.add(c, patch...)
		}
	}
	if u.cols["email_manager"] {
		// Managers are looked up by email; those only in the file in the managers pass.
		u.add("email_manager", opSearchUsers, opListUsers)
		u.add("email_manager", patch...)
	}
	if u.cols["location_work"] {
		u.add("location_work", opListLocations)
		u.add("location_work", patch...)
	}
	for _, c := range []string{"hire_date", "employee_id", "employee_type"} {
		if u.cols[c] {
			u.add(c, patch...)
		}
	}
	if u.cols["division"] {
		u.add("division", opListDivisions, opCreateUser)
		if u.upsert {
			// A move that fails for some users reads them again.
			u.add("division", opMoveUsers, opListUsers)
		}
	}
}

// roles is the roles column: grants batched per role and division, or in one call per user;
// an existing user's grants are read first, and in replace mode the others removed.
func (u *uses) roles() {
	const c = "roles"
	if !u.cols[c] {
		return
	}
	u.add(c, opListRoles, opListDivisions, opGrantRole, opGrantRoles)
	if u.upsert {
		u.add(c, opUserGrants)
		if u.o.ReplaceMemberships {
			u.add(c+reasonReplace, opUserGrants, opRevokeRoles)
		}
	}
}

// memberships is the groups and queues columns: members added in batches (a group's version
// read first), an existing user's queue membership read first, and in replace mode the
// other groups and queues left, the user's queues read first.
func (u *uses) memberships() {
	replace := u.upsert && u.o.ReplaceMemberships
	if u.cols["groups"] {
		u.add("groups", opListGroups, opGetGroup, opAddGroupMembers)
		if replace {
			u.add("groups"+reasonReplace, opRemoveGroupMembers)
		}
	}
	if u.cols["queues"] {
		u.add("queues", opListQueues, opChangeQueueMembers)
		if u.upsert {
			u.add("queues", opQueueMembers)
		}
		if replace {
			u.add("queues"+reasonReplace, opUserQueues, opChangeQueueMembers)
		}
	}
}

// levels is the skills and languages columns: added in bulk, and in replace mode the
// skills set whole and the other languages removed one by one.
func (u *uses) levels() {
	replace := u.upsert && u.o.ReplaceMemberships
	if u.cols["skills"] {
		u.add("skills", opListSkills, opAddSkills)
		if replace {
			u.add("skills"+reasonReplace, opSetSkills)
		}
	}
	if u.cols["languages"] {
		u.add("languages", opListLanguages, opAddLanguages)
		if replace {
			u.add("languages"+reasonReplace, opRemoveLanguage)
		}
	}
}

// phone is the sitename and phonebase columns: the user's phone looked for, or created, its
// station waited for and made the user's default.
func (u *uses) phone() {
	if !u.cols["sitename"] && !u.cols["phonebase"] {
		return
	}
	u.add("sitename/phonebase", opListSites, opListPhoneBases, opFindPhones, opCreatePhone, opFindStations, opSetDefaultStation)
}

// options is what the options add: the invitations, the deactivation pass (the scope listed,
// then each user deactivated by a PATCH) and --resume's confirming searches.
func (u *uses) options() {
	o := u.o
	if o.SendInvite {
		u.add(reasonInvite, opInvite)
	}
	if o.DeactivateMissing {
		switch {
		case o.ScopeDivision != "":
			u.add(reasonDeactivate, opListDivisions, opSearchUsers)
		case o.ScopeGroup != "":
			u.add(reasonDeactivate, opListGroups, opGroupIndividuals)
		}
		u.add(reasonDeactivate, patch...)
	}
	if o.Resume != "" {
		u.add(reasonResume, opSearchUsers)
	}
}

// columnSet maps a header's columns, by any name the reader takes, to their canonical names;
// unknown ones are left out.
func columnSet(columns []string) map[string]bool {
	set := make(map[string]bool, len(columns))
	for _, c := range columns {
		if hn, ok := headerNames[normalizeHeader(c)]; ok {
			set[csvColumns[hn.col].name] = true
		}
	}
	return set
}

// OperationUse is an API operation a run may call, with what swagger requires of it and
// what makes the run call it.
type OperationUse struct {
	Op       string // "PATCH /api/v2/users/{userId}"
	Requires Requirement
	Reasons  []string // as Need.Reasons
}

// RunOperations lists the API operations a run of a file whose header has columns (by any
// name the reader takes: "ROLE", "roles_divisions") may call with options o, in the order
// the file's columns and then the options first call for them. A dry run's are the reads.
func RunOperations(columns []string, o Options) []OperationUse {
	var out []OperationUse
	at := map[string]int{}
	for _, x := range runUses(columnSet(columns), o) {
		i, ok := at[x.op]
		if !ok {
			i = len(out)
			at[x.op] = i
			req := operations[x.op]
			out = append(out, OperationUse{Op: x.op, Requires: Requirement{All: req.All, Permissions: slices.Clone(req.Permissions)}})
		}
		if !slices.Contains(out[i].Reasons, x.reason) {
			out[i].Reasons = append(out[i].Reasons, x.reason)
		}
	}
	return out
}

// RunNeeds lists the permissions a run of a file whose header has columns may need with
// options o, each with what needs it, merged so that holding each Need's first permission
// is enough. A dry run needs only what its reads require.
func RunNeeds(columns []string, o Options) []Need {
	return needsOf(runUses(columnSet(columns), o))
}

// PermissionRow is one line of the permissions table: what a column or an option needs.
type PermissionRow struct {
	For    string   // as Need.Reasons words it: "title", "sitename/phonebase", "--send-invite"
	Needs  []string // what a run needs for it, each as Need.Words words it
	DryRun []string // what a --dry-run needs for it: the part of Needs its reads require
}

// PermissionTable is, for a file with every column, what a run in the default mode (upsert)
// needs for each column and option, every option on: one row each, in the order of the
// columns, the options last. A row may need nothing (groups: swagger states no permission
// for group membership calls). It is what the README's table of permissions shows.
func PermissionTable() []PermissionRow {
	all := make(map[string]bool, len(csvColumns))
	for _, c := range csvColumns {
		all[c.name] = true
	}
	full := Options{SendInvite: true, ReplaceMemberships: true, DeactivateMissing: true, Resume: "report.csv"}
	byDivision, byGroup := full, full
	byDivision.ScopeDivision, byGroup.ScopeGroup = "division", "group"
	us := append(runUses(all, byDivision), runUses(all, byGroup)...)
	var rows []PermissionRow
	for _, reason := range reasonsOf(us) {
		mine := slices.DeleteFunc(slices.Clone(us), func(x use) bool { return x.reason != reason })
		reads := slices.DeleteFunc(slices.Clone(mine), func(x use) bool { return !isRead(x.op) })
		rows = append(rows, PermissionRow{For: reason, Needs: wordsOf(needsOf(mine)), DryRun: wordsOf(needsOf(reads))})
	}
	return rows
}

// reasonsOf returns the reasons of uses, each once, in order.
func reasonsOf(us []use) []string {
	var out []string
	for _, x := range us {
		if !slices.Contains(out, x.reason) {
			out = append(out, x.reason)
		}
	}
	return out
}

func wordsOf(needs []Need) []string {
	out := make([]string, len(needs))
	for i, n := range needs {
		out[i] = n.Words()
	}
	return out
}

// exportUses lists what an export calls, with what makes it call each: the users' pages
// (or their reads by id), user search for a scope or past the listing's 10,000 users, the
// group of --scope-group, and the listings that turn ids into names, roles and queues
// with their holders and members. An export writes nothing.
func exportUses(o ExportOptions) []use {
	u := &uses{}
	u.add("the users", opListUsers, opSearchUsers, opListDivisions)
	if o.ScopeGroup != "" {
		u.add("--scope-group", opListGroups, opGroupIndividuals)
	}
	u.add("roles", opListRoles, opRoleGrants)
	u.add("groups", opListGroups)
	u.add("queues", opListQueues, opQueueMembers)
	u.add("skills", opListSkills)
	u.add("languages", opListLanguages)
	u.add("location_work", opListLocations)
	return u.out
}
