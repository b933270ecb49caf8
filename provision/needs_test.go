package provision

import (
	"slices"
	"strings"
	"testing"
)

// optionSets are option combinations that between them make every call a run can make.
var optionSets = []Options{
	{},
	{CreateOnly: true},
	{DryRun: true},
	{SendInvite: true, ReplaceMemberships: true, Resume: "r.csv", DeactivateMissing: true, ScopeDivision: "Sales"},
	{ReplaceMemberships: true, DeactivateMissing: true, ScopeGroup: "IRA"},
}

// TestTableHoldsWhatTheToolCalls checks that every operation a run may call is in the
// permission table, and that every entry of the table is called by a run, the export or the
// preflight.
func TestTableHoldsWhatTheToolCalls(t *testing.T) {
	var all []string
	for _, c := range csvColumns {
		all = append(all, c.name)
	}
	called := map[string]bool{
		opRoleGrants:      true, // the export's role holders
		opReadOAuthClient: true, // the preflight (Services.Who)
		opUsersMe:         true,
	}
	for _, o := range optionSets {
		for _, u := range runUses(columnSet(all), o) {
			if _, ok := operations[u.op]; !ok {
				t.Errorf("%s (for %s) is not in the permission table", u.op, u.reason)
			}
			called[u.op] = true
		}
	}
	for op := range operations {
		if !called[op] {
			t.Errorf("%s is in the permission table, but no run calls it", op)
		}
	}
}

// TestColumnNeeds is what each column and option needs, in a real run and in a dry run:
// the needs a file of name, email and that column has for it.
func TestColumnNeeds(t *testing.T) {
	const edit = "directory:user:edit (or admin, directory:organization:admin)"
	create, dry := Options{CreateOnly: true}, Options{DryRun: true}
	replace := Options{ReplaceMemberships: true}
	tests := []struct {
		name   string
		column string // besides name and email
		o      Options
		reason string
		want   []string
	}{
		{"every row", "", Options{}, "name/email", []string{"directory:user:view", "directory:user:add", edit}},
		{"every row, create mode", "", create, "name/email", []string{"directory:user:view", "directory:user:add"}},
		{"every row, dry run", "", dry, "name/email", []string{"directory:user:view"}},
		{"restores", "", Options{}, reasonRestore, []string{edit, "authorization:role:view", "authorization:grant:view", "authorization:grant:add"}},
		{"restores, dry run", "", dry, reasonRestore, []string{"authorization:role:view", "authorization:grant:view"}},
		{"no restore in create mode", "", create, reasonRestore, nil},
		{"password", "password", Options{}, "password", []string{"directory:user:add"}},
		{"state", "state", Options{}, "state", []string{"directory:user:add"}},
		{"title", "title", Options{}, "title", []string{"directory:user:add", edit}},
		{"title, create mode", "title", create, "title", []string{"directory:user:add"}},
		{"title, dry run", "title", dry, "title", nil},
		{"department", "department", Options{}, "department", []string{"directory:user:add", edit}},
		{"phone_work", "phone_work", Options{}, "phone_work", []string{"directory:user:add", edit}},
		{"extension", "extension", Options{}, "extension", []string{"directory:user:add", edit}},
		{"phone_mobile", "phone_mobile", Options{}, "phone_mobile", []string{"directory:user:add", edit}},
		{"email_manager", "email_manager", Options{}, "email_manager", []string{"directory:user:view", edit}},
		{"email_manager, create mode", "email_manager", create, "email_manager", []string{"directory:user:view", edit}},
		{"email_manager, dry run", "email_manager", dry, "email_manager", []string{"directory:user:view"}},
		{"location_work", "location_work", create, "location_work", []string{edit}},
		{"hire_date", "hire_date", create, "hire_date", []string{edit}},
		{"employee_id", "employee_id", Options{}, "employee_id", []string{edit}},
		{"employee_type", "employee_type", Options{}, "employee_type", []string{edit}},
		{"division", "division", Options{}, "division", []string{"directory:user:add"}},
		{"division, dry run", "division", dry, "division", nil},
		{"roles", "roles", Options{}, "roles", []string{"authorization:role:view", "authorization:grant:add", "authorization:grant:view"}},
		{"roles, create mode", "role", create, "roles", []string{"authorization:role:view", "authorization:grant:add"}},
		{"roles, dry run", "roles_divisions", dry, "roles", []string{"authorization:role:view", "authorization:grant:view"}},
		{"roles replaced", "roles", replace, "roles" + reasonReplace, []string{"authorization:grant:view", "authorization:grant:delete"}},
		{"roles replaced, create mode", "roles", Options{CreateOnly: true, ReplaceMemberships: true}, "roles" + reasonReplace, nil},
		{"groups", "groups", replace, "groups", nil},
		{"queues", "queues", Options{}, "queues", []string{"routing:queue:view", "routing:queueMember:manage (or routing:queue:edit)"}},
		{"queues, dry run", "queues", dry, "queues", []string{"routing:queue:view"}},
		{"queues replaced", "queues", replace, "queues" + reasonReplace, []string{"routing:queue:view", "routing:queueMember:manage (or routing:queue:edit)"}},
		{"skills", "skills", Options{}, "skills", []string{"routing:skill:assign"}},
		{"skills, dry run", "skills", dry, "skills", nil},
		{"skills replaced", "skills", replace, "skills" + reasonReplace, []string{"routing:skill:assign"}},
		{"languages", "languages", Options{}, "languages", []string{"routing:skill:assign (or routing:language:assign)"}},
		{"languages replaced", "languages", replace, "languages" + reasonReplace, []string{"routing:skill:assign (or routing:language:assign)"}},
		{"phone", "sitename", Options{}, "sitename/phonebase", []string{"telephony:plugin:all"}},
		{"phone, dry run", "phonebase", dry, "sitename/phonebase", []string{"telephony:plugin:all"}},
		{"invite", "", Options{SendInvite: true}, reasonInvite, []string{"directory:user:setPassword (or admin, directory:organization:admin)"}},
		{"invite, dry run", "", Options{SendInvite: true, DryRun: true}, reasonInvite, nil},
		{"deactivate in a division", "", Options{DeactivateMissing: true, ScopeDivision: "Sales"}, reasonDeactivate, []string{"directory:user:view", edit}},
		{"deactivate in a group", "", Options{DeactivateMissing: true, ScopeGroup: "IRA"}, reasonDeactivate, []string{edit}},
		{"deactivate, dry run", "", Options{DeactivateMissing: true, ScopeDivision: "Sales", DryRun: true}, reasonDeactivate, []string{"directory:user:view"}},
		{"resume", "", Options{Resume: "r.csv"}, reasonResume, []string{"directory:user:view"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols := []string{"NAME", "Email"}
			if tt.column != "" {
				cols = append(cols, tt.column)
			}
			var got []string
			for _, n := range RunNeeds(cols, tt.o) {
				if slices.Contains(n.Reasons, tt.reason) {
					got = append(got, n.Words())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("needs for %s = %q, want %q", tt.reason, got, tt.want)
			}
		})
	}
}

// TestNeedsMerge checks that a need another one implies is left out, its reasons joining
// the other's, and that an operation that requires ALL of its permissions needs each.
func TestNeedsMerge(t *testing.T) {
	needs := RunNeeds([]string{"name", "email", "skills", "languages", "sitename", "phonebase"}, Options{CreateOnly: true})
	var got []string
	for _, n := range needs {
		got = append(got, n.String())
	}
	want := []string{
		"directory:user:view, needed for name/email",
		"directory:user:add, needed for name/email",
		"routing:skill:assign, needed for skills, languages",
		"telephony:plugin:all, needed for sitename/phonebase",
	}
	if !slices.Equal(got, want) {
		t.Errorf("needs =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	table := map[string]Requirement{"POST /x": allOf("a:b:c", "d:e:f"), "POST /y": anyOf("d:e:f", "g:h:i")}
	if n := needsIn(table, []use{{op: "POST /x", reason: "x"}}); len(n) != 2 || n[0].Words() != "a:b:c" || n[1].Words() != "d:e:f" {
		t.Errorf("ALL of two = %v, want a need of each", n)
	}
	if n := needsIn(table, []use{{op: "POST /y", reason: "y"}, {op: "POST /x", reason: "x"}}); len(n) != 2 || n[1].String() != "d:e:f, needed for x, y" {
		t.Errorf("ANY implied by ALL = %v, want d:e:f for x and y", n)
	}
}

// TestRunOperations checks the operations listed with their requirements and reasons.
func TestRunOperations(t *testing.T) {
	ops := RunOperations([]string{"NAME", "EMAIL", "PHONEBASE", "SITENAME"}, Options{DryRun: true})
	var got []string
	for _, u := range ops {
		if !isRead(u.Op) {
			t.Errorf("a dry run calls %s", u.Op)
		}
		got = append(got, u.Op)
	}
	if !slices.Contains(got, opListPhoneBases) || slices.Contains(got, opCreatePhone) {
		t.Errorf("dry run operations = %v, want the phone bases listed and no phone created", got)
	}
	i := slices.Index(got, opListPhoneBases)
	if u := ops[i]; !slices.Equal(u.Reasons, []string{"sitename/phonebase"}) || !slices.Equal(u.Requires.Permissions, []string{"telephony:plugin:all"}) {
		t.Errorf("%s = %+v", opListPhoneBases, u)
	}
}

// TestPermissionTable checks the README's table: one row per column or option, each column
// in a row, the dry run's part, and the narrowest alternative named first.
func TestPermissionTable(t *testing.T) {
	rows := PermissionTable()
	byFor := map[string]PermissionRow{}
	for _, r := range rows {
		byFor[r.For] = r
	}
	if rows[0].For != "name/email" {
		t.Errorf("first row is %q, want name/email", rows[0].For)
	}
	for _, c := range csvColumns {
		if !slices.ContainsFunc(rows, func(r PermissionRow) bool { return slices.Contains(strings.Split(r.For, "/"), c.name) }) {
			t.Errorf("no row for column %s", c.name)
		}
	}
	for _, o := range []string{reasonInvite, reasonDeactivate, reasonResume, reasonRestore, "roles" + reasonReplace} {
		if _, ok := byFor[o]; !ok {
			t.Errorf("no row for %s", o)
		}
	}
	checks := []struct {
		row           string
		needs, dryRun []string
	}{
		{"sitename/phonebase", []string{"telephony:plugin:all"}, []string{"telephony:plugin:all"}},
		{reasonInvite, []string{"directory:user:setPassword (or admin, directory:organization:admin)"}, nil},
		{"groups", nil, nil},
		{reasonDeactivate, []string{"directory:user:view", "directory:user:edit (or admin, directory:organization:admin)"}, []string{"directory:user:view"}},
	}
	for _, c := range checks {
		r := byFor[c.row]
		if !slices.Equal(r.Needs, c.needs) || !slices.Equal(r.DryRun, c.dryRun) {
			t.Errorf("%s: needs %q, dry run %q; want %q, %q", c.row, r.Needs, r.DryRun, c.needs, c.dryRun)
		}
	}
}

// TestGrants is how a held permission matches a required one.
func TestGrants(t *testing.T) {
	tests := []struct {
		held, required string
		want           bool
	}{
		{"directory:user:edit", "directory:user:edit", true},
		{"directory:user:*", "directory:user:edit", true},
		{"directory:*:edit", "directory:user:edit", true},
		{"*:*:*", "routing:skill:assign", true},
		{"directory:user:view", "directory:user:edit", false},
		{"routing:skill:*", "directory:user:edit", false},
		{"directory:user:edit", "directory:user:*", false}, // only the held side's "*" is a wildcard
		{"directory:*", "directory:user:edit", false},
		{"admin", "admin", true},
		{"admin", "directory:user:edit", false},
		{"directory:user:edit", "admin", false},
		{"*", "admin", false},
		{"*:*:*", "admin", false},
	}
	for _, tt := range tests {
		if got := grants(tt.held, tt.required); got != tt.want {
			t.Errorf("grants(%q, %q) = %v, want %v", tt.held, tt.required, got, tt.want)
		}
	}
}

// TestAnyAlternatives checks that a held permission matching any alternative satisfies an
// ANY requirement, and that the narrowest is named first.
func TestAnyAlternatives(t *testing.T) {
	title := RunNeeds([]string{"name", "email", "title"}, Options{})[2]
	if title.Words() != "directory:user:edit (or admin, directory:organization:admin)" {
		t.Fatalf("title's need = %q", title.Words())
	}
	for _, held := range [][]string{{"directory:user:edit"}, {"admin"}, {"directory:organization:admin"}, {"directory:*:*"}} {
		if !title.HeldBy(held) {
			t.Errorf("%v does not satisfy %s", held, title.Words())
		}
	}
	if title.HeldBy([]string{"directory:user:view", "directory:user:add"}) {
		t.Errorf("view and add satisfy %s", title.Words())
	}
	langs := RunNeeds([]string{"name", "email", "languages"}, Options{CreateOnly: true})[2]
	if !langs.HeldBy([]string{"routing:language:assign"}) || !langs.HeldBy([]string{"routing:skill:assign"}) {
		t.Errorf("either assign permission should satisfy %s", langs.Words())
	}
	q := needsOf([]use{{op: opChangeQueueMembers, reason: "queues"}, {op: opSetDefaultStation, reason: "phone"}})
	if q[0].Words() != "routing:queueMember:manage (or routing:queue:edit)" || q[1].Words() != "telephony:phone:assign (or telephony:plugin:all)" {
		t.Errorf("alternatives = %q, %q", q[0].Words(), q[1].Words())
	}
}
