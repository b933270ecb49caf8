package provision

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// A row's plan is what it changes on its user, worked out before anything is written, from
// the row (its target), the user as read and the names resolved: a list of typed changes, one
// small function per kind. A dry run reports the plan; a real run reports the same plan and
// applies it (apply.go). The report's changes column is the plan's notes either way, so the
// two cannot differ.

// changeKind says what a change does, and so which of its fields apply.
type changeKind int

// The kinds of change, in the order a real run applies them.
const (
	restoreUser    changeKind = iota // nothing left to apply: the user was restored before planning
	moveDivision                     // ref: the division (batched)
	patchFields                      // patch; its notes may include a manager the managers pass sets
	grantRoles                       // grants
	revokeRoles                      // revoke
	addGroup                         // ref (batched)
	removeGroup                      // ref (batched)
	removeQueue                      // ref (batched)
	addQueue                         // ref (batched)
	setSkills                        // levels: the row's whole list, the others removed by the same call
	addSkills                        // levels
	removeLanguage                   // ref
	addLanguages                     // levels
	addPhone                         // ref: the site
)

// change is one thing a row changes on its user.
type change struct {
	kind   changeKind
	notes  []string // the report's words for it
	ref    Ref
	patch  UserPatch
	grants []plannedGrant
	revoke []Grant
	levels []Level
}

// plannedGrant is a role grant a row adds.
type plannedGrant struct {
	Grant
	name string // "'Agent' in 'Sales'", for the report and the step's words
	key  string // grantKey: how many rows ask for it decides whether it is batched
}

// plan is a row's changes, in the order a real run applies them.
type plan []change

// notes is the plan in the report's words, in order.
func (pl plan) notes() []string {
	var out []string
	for _, c := range pl {
		out = append(out, c.notes...)
	}
	return out
}

// division is the division the user is in once the plan is applied, given the one it is in.
func (pl plan) division(current string) string {
	for _, c := range pl {
		if c.kind == moveDivision {
			return c.ref.ID
		}
	}
	return current
}

// planInput is what a plan is made from.
type planInput struct {
	want     target
	user     User // as read, restored or (in a dry run) about to be created
	created  bool // the run created the user (or, in a dry run, would)
	restored bool // the run restored the deleted user
	replace  bool // --memberships replace
	dryRun   bool

	grants  []Grant         // the user's grants as read; nil for a new user
	queues  []string        // the user's queues as read: replace mode only
	inQueue map[string]bool // wanted queue id → the user is already a member

	orgManagers  map[string]string // managers in the org: lower-cased email → user id
	fileManagers map[string]bool   // managers only in the file: the managers pass sets them
	names        namer
}

// namer names the objects a plan removes, for the report.
type namer interface {
	// name returns the name of the object of kind ("role", "division", "group", "queue",
	// "skill", "language") with id, or id when it has none.
	name(kind, id string) string
	// isDefaultRole reports whether id is the org's default role, which replace mode keeps.
	isDefaultRole(id string) bool
}

// planSteps make a plan's changes after the division move, in order.
var planSteps = []func(planInput) []change{
	planFields, planGrants, planRevokes, planGroups, planGroupRemovals,
	planQueueRemovals, planQueues, planSkills, planLanguageRemovals, planLanguages, planPhone,
}

// makePlan makes the plan of one row.
func makePlan(in planInput) plan {
	var pl plan
	if in.restored {
		pl = append(pl, change{kind: restoreUser, notes: []string{"state: deleted → active"}})
	}
	if c := planDivision(in); c != nil {
		pl = append(pl, *c)
		in.user.DivisionID = c.ref.ID // the user's own division, for the grants
	}
	for _, step := range planSteps {
		pl = append(pl, step(in)...)
	}
	return pl
}

// planDivision moves an existing user to the row's division.
func planDivision(in planInput) *change {
	d := in.want.division
	if in.created || d.ID == "" || d.ID == in.user.DivisionID {
		return nil
	}
	return &change{kind: moveDivision, ref: d, notes: []string{fmt.Sprintf("division → '%s'", d.Name)}}
}

// planFields is what a PATCH must change for the user to match the row: for a user this run
// created, what the create call cannot carry; for an existing one, every field the row sets
// that differs, and every field its ClearMarker cells clear. A blank cell leaves its field
// alone. A manager who is only in the file is set in the managers pass, once every row has
// run: a dry run notes it here.
func planFields(in planInput) []change {
	s, u, created := in.want.spec, in.user, in.created
	var patch UserPatch
	var notes []string
	if !created {
		patch, notes = planProfile(in)
	}
	if id, ok := in.orgManagers[s.Manager]; ok && id != u.ManagerID {
		patch.Manager = &id
		notes = append(notes, "manager → "+s.Manager)
	}
	if in.dryRun && in.fileManagers[s.Manager] {
		notes = append(notes, "manager → "+s.Manager) // set by the managers pass in a real run
	}
	if l := in.want.location; l.ID != "" && !slices.ContainsFunc(u.Locations, func(pl Placement) bool { return pl.LocationID == l.ID }) {
		// The whole list goes back: the other placements as read, notes and all.
		patch.Locations = append(slices.Clone(u.Locations), Placement{LocationID: l.ID})
		notes = append(notes, fmt.Sprintf("add location '%s'", l.Name))
	}
	if employer, more := planEmployer(in); employer != nil {
		patch.Employer = employer
		notes = append(notes, more...)
	}
	if patch.Empty() && len(notes) == 0 {
		return nil
	}
	return []change{{kind: patchFields, patch: patch, notes: notes}}
}

// planProfile is the part of an existing user's PATCH that its profile cells make: name,
// title, department, phones, and the clears of title, department, phones, manager and
// locations.
func planProfile(in planInput) (UserPatch, []string) {
	s, u := in.want.spec, in.user
	var patch UserPatch
	var notes []string
	field := func(name, have, want string, clear bool) *string {
		switch {
		case clear && have != "":
			notes = append(notes, clearedNote(name, have))
			return new(string)
		case want == "" || want == have:
			return nil
		}
		notes = append(notes, fmt.Sprintf("%s: '%s' → '%s'", name, have, want))
		return &want
	}
	patch.Name = field("name", u.Name, s.Name, false)
	patch.Title = field("title", u.Title, s.Title, s.clears.has("title"))
	patch.Department = field("department", u.Department, s.Department, s.clears.has("department"))
	have, dropped := dropContacts(u.Addresses, s.clears)
	if patch.Addresses = mergeContacts(have, contacts(s)); patch.Addresses != nil {
		notes = append(notes, "phone numbers")
	} else if len(dropped) > 0 {
		patch.Addresses = have
		if have == nil {
			patch.Addresses = []Contact{} // none left: an empty list, not "leave alone"
		}
	}
	notes = append(notes, dropped...)
	if s.clears.has("email_manager") && u.ManagerID != "" {
		patch.Manager = new(string)
		notes = append(notes, "manager: cleared")
	}
	if s.clears.has("location_work") && len(u.Locations) > 0 {
		patch.Locations = []Placement{}
		notes = append(notes, "locations: cleared")
	}
	return patch, notes
}

// planEmployer is the employerInfo a row makes, nil when it changes nothing, with the notes
// of what changed. employerInfo is replaced whole: the fields no cell sets go back as read,
// and a cleared field goes back empty.
func planEmployer(in planInput) (*EmployerInfo, []string) {
	s, e, created := in.want.spec, in.user.Employer, in.created
	pick := func(want, have, column string) string {
		if !created && s.clears.has(column) {
			return ""
		}
		return cmp.Or(want, have)
	}
	next := EmployerInfo{
		OfficialName: e.OfficialName, // no column sets it
		EmployeeID:   pick(s.EmployeeID, e.EmployeeID, "employee_id"),
		EmployeeType: pick(s.EmployeeType, e.EmployeeType, "employee_type"),
		DateHire:     pick(s.HireDate, e.DateHire, "hire_date"),
	}
	if next == e {
		return nil, nil
	}
	if created {
		return &next, []string{"employer info"}
	}
	var notes []string
	for _, f := range []struct{ name, have, want string }{
		{"employee_id", e.EmployeeID, next.EmployeeID},
		{"employee_type", e.EmployeeType, next.EmployeeType},
		{"hire_date", e.DateHire, next.DateHire},
	} {
		switch {
		case f.want == f.have:
		case f.want == "":
			notes = append(notes, clearedNote(f.name, f.have))
		default:
			notes = append(notes, fmt.Sprintf("%s: '%s' → '%s'", f.name, f.have, f.want))
		}
	}
	return &next, notes
}

// wantedGrants is the grants the row asks for, "the user's division" made the division the
// user is in.
func wantedGrants(in planInput) []plannedGrant {
	out := make([]plannedGrant, 0, len(in.want.grants))
	for _, g := range in.want.grants {
		div := g.division
		if div.ID == "" {
			div = Ref{ID: in.user.DivisionID}
		}
		name := fmt.Sprintf("'%s'", g.role.Name)
		if div.Name != "" {
			name += fmt.Sprintf(" in '%s'", div.Name)
		}
		out = append(out, plannedGrant{Grant: Grant{RoleID: g.role.ID, DivisionID: div.ID}, name: name, key: g.key})
	}
	return out
}

// planGrants adds the grants the row asks for that the user lacks.
func planGrants(in planInput) []change {
	c := change{kind: grantRoles}
	for _, g := range wantedGrants(in) {
		if slices.Contains(in.grants, g.Grant) {
			continue
		}
		c.grants = append(c.grants, g)
		c.notes = append(c.notes, "add role "+g.name)
	}
	if len(c.grants) == 0 {
		return nil
	}
	return []change{c}
}

// planRevokes, in replace mode, removes an existing user's grants that the row does not ask
// for, the org's default role aside. A row that names no role leaves the grants alone.
func planRevokes(in planInput) []change {
	if !in.replace || in.created || len(in.want.grants) == 0 {
		return nil
	}
	wanted := wantedGrants(in)
	c := change{kind: revokeRoles}
	for _, g := range in.grants {
		if slices.ContainsFunc(wanted, func(w plannedGrant) bool { return w.Grant == g }) || in.names.isDefaultRole(g.RoleID) {
			continue
		}
		c.revoke = append(c.revoke, g)
		c.notes = append(c.notes, fmt.Sprintf("remove role '%s' in '%s'", in.names.name("role", g.RoleID), in.names.name("division", g.DivisionID)))
	}
	if len(c.revoke) == 0 {
		return nil
	}
	return []change{c}
}

// planGroups adds the user to the row's groups it is not in.
func planGroups(in planInput) []change {
	var out []change
	for _, g := range in.want.groups {
		if !in.created && slices.Contains(in.user.GroupIDs, g.ID) {
			continue
		}
		out = append(out, change{kind: addGroup, ref: g, notes: []string{fmt.Sprintf("add group '%s'", g.Name)}})
	}
	return out
}

// planGroupRemovals, in replace mode, takes an existing user out of the groups the row does
// not list, when its groups cell is not blank.
func planGroupRemovals(in planInput) []change {
	if !in.replace || in.created || len(in.want.spec.Groups) == 0 {
		return nil
	}
	return removals(in, removeGroup, "group", in.user.GroupIDs, in.want.groups)
}

// planQueueRemovals is planGroupRemovals for queues.
func planQueueRemovals(in planInput) []change {
	if !in.replace || in.created || len(in.want.spec.Queues) == 0 {
		return nil
	}
	return removals(in, removeQueue, "queue", in.queues, in.want.queues)
}

// removals is one change of kind for each id of have that want does not list.
func removals(in planInput, kind changeKind, noun string, have []string, want []Ref) []change {
	var out []change
	for _, id := range have {
		if slices.ContainsFunc(want, func(r Ref) bool { return r.ID == id }) {
			continue
		}
		name := in.names.name(noun, id)
		out = append(out, change{kind: kind, ref: Ref{ID: id, Name: name}, notes: []string{fmt.Sprintf("remove %s '%s'", noun, name)}})
	}
	return out
}

// planQueues adds the user to the row's queues it is not a member of.
func planQueues(in planInput) []change {
	var out []change
	for _, q := range in.want.queues {
		if !in.created && in.inQueue[q.ID] {
			continue
		}
		out = append(out, change{kind: addQueue, ref: q, notes: []string{fmt.Sprintf("add queue '%s'", q.Name)}})
	}
	return out
}

// planSkills adds the skills the user lacks or holds at another proficiency. In replace mode,
// when the user holds skills the row does not list, one call sets the row's list instead.
func planSkills(in planInput) []change {
	u, want := in.user, in.want.skills
	add := missingLevels(u.Skills, want)
	if extra := extraLevels(u.Skills, want); in.replace && !in.created && len(in.want.spec.Skills) > 0 && len(extra) > 0 {
		notes := levelNotes("skill", u.Skills, add)
		for _, id := range extra {
			notes = append(notes, fmt.Sprintf("remove skill '%s'", in.names.name("skill", id)))
		}
		return []change{{kind: setSkills, levels: want, notes: notes}}
	}
	if len(add) == 0 {
		return nil
	}
	return []change{{kind: addSkills, levels: add, notes: levelNotes("skill", u.Skills, add)}}
}

// planLanguageRemovals, in replace mode, removes the languages the row does not list, when
// its languages cell is not blank: one call each.
func planLanguageRemovals(in planInput) []change {
	if !in.replace || in.created || len(in.want.spec.Languages) == 0 {
		return nil
	}
	var out []change
	for _, id := range extraLevels(in.user.Languages, in.want.languages) {
		name := in.names.name("language", id)
		out = append(out, change{kind: removeLanguage, ref: Ref{ID: id, Name: name}, notes: []string{fmt.Sprintf("remove language '%s'", name)}})
	}
	return out
}

// planLanguages adds the languages the user lacks or holds at another proficiency, rounded
// as Genesys stores them.
func planLanguages(in planInput) []change {
	add := missingLevels(in.user.Languages, roundLevels(in.want.languages))
	if len(add) == 0 {
		return nil
	}
	return []change{{kind: addLanguages, levels: add, notes: levelNotes("language", in.user.Languages, add)}}
}

// planPhone gives the user a WebRTC phone on the row's site when it has no default station.
func planPhone(in planInput) []change {
	if in.want.site.ID == "" || in.user.DefaultStationID != "" {
		return nil
	}
	return []change{{kind: addPhone, ref: in.want.site, notes: []string{fmt.Sprintf("add phone on '%s'", in.want.site.Name)}}}
}

// levelNotes words skill or language changes: "add skill 'Billing':4", "skill 'Billing': 2 → 4".
func levelNotes(kind string, have map[string]float64, add []Level) []string {
	var out []string
	for _, l := range add {
		if old, ok := have[l.ID]; ok {
			out = append(out, fmt.Sprintf("%s '%s': %s → %s", kind, l.Name, formatLevel(old), formatLevel(l.Proficiency)))
		} else {
			out = append(out, fmt.Sprintf("add %s '%s':%s", kind, l.Name, formatLevel(l.Proficiency)))
		}
	}
	return out
}

// roundLevels rounds language proficiencies to whole numbers, as Genesys stores them (its
// Terraform provider notes that the backend rounds), so that a re-run of 3.5 compares
// with the 4 the org holds.
func roundLevels(in []Level) []Level {
	out := make([]Level, len(in))
	for i, l := range in {
		out[i] = Level{ID: l.ID, Name: l.Name, Proficiency: math.Round(l.Proficiency)}
	}
	return out
}

// extraLevels returns the ids the user holds that want does not list.
func extraLevels(have map[string]float64, want []Level) []string {
	var out []string
	for id := range have {
		if !slices.ContainsFunc(want, func(l Level) bool { return l.ID == id }) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// missingLevels returns the wanted skills or languages the user lacks or holds at another
// proficiency.
func missingLevels(have map[string]float64, want []Level) []Level {
	var out []Level
	for _, l := range want {
		if p, ok := have[l.ID]; !ok || p != l.Proficiency {
			out = append(out, l)
		}
	}
	return out
}
