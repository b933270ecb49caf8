package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// leastCase is a file of a few columns, and options, run by a client that holds exactly
// what the preflight says the run needs.
type leastCase struct {
	name string
	cols []string // besides name and email
	args []string
	// keep, when set, is the rows of the update's file: the others are left out of it.
	keep int
}

// TestLeastPrivilegeSuffices runs, for each column and option, a file of that column with a
// client whose role holds exactly what provision.RunNeeds says (the first of any
// alternatives) against the simulator, which enforces swagger.json's permissions on every
// call: the updates of users an admin client created first, then the creation of new ones.
// A permission the table forgets is a 403 here; one it adds for nothing shows in the README
// table (TestREADMEPermissions).
func TestLeastPrivilegeSuffices(t *testing.T) {
	t.Parallel()
	var cases []leastCase
	for _, c := range fullHeader[2:] {
		switch c {
		case "sitename", "phonebase":
			continue
		}
		cases = append(cases, leastCase{name: c, cols: []string{c}})
	}
	cases = append(cases,
		leastCase{name: "sitename/phonebase", cols: []string{"sitename", "phonebase"}},
		leastCase{name: "replace", cols: []string{"roles", "groups", "queues", "skills", "languages"}, args: []string{"--memberships", "replace"}},
		leastCase{name: "invite", args: []string{"--send-invite"}},
		leastCase{name: "deactivate", args: []string{"--deactivate-missing", "--scope-division", "EMEA", "--max-deactivate", "100%"}, keep: 6},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runLeast(t, tc)
		})
	}
}

// runLeast runs one leastCase: see TestLeastPrivilegeSuffices.
func runLeast(t *testing.T, tc leastCase) {
	header := append([]string{"name", "email"}, tc.cols...)
	need := provision.RunNeeds(header, optionsOf(tc.args))
	perms := []string{"oauth:client:view"} // to read its own roles: the preflight then checks
	for _, n := range need {
		perms = append(perms, n.Permissions[0])
	}
	e := newEnv(t, gcsim.Options{Org: withRole(func([]string) []string { return perms })})

	// An admin client creates the users with every column.
	all := fullRows(10)
	e.useEnv("GENESYS_CLIENT_ID=gcsim-admin-client", "GENESYS_CLIENT_SECRET=gcsim-admin-secret-not-real")
	full := filepath.Join(e.dir, "full.csv")
	writeRows(t, full, fullHeader, all)
	if r := e.run("--report", e.report("full.results.csv"), full); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}

	// The narrow client updates them: each row takes the next row's cells.
	e.useEnv("GENESYS_CLIENT_ID="+testClient, "GENESYS_CLIENT_SECRET="+testSecret)
	update := project(rotate(all), header)
	if tc.keep > 0 {
		update = update[:tc.keep]
	}
	in := filepath.Join(e.dir, "update.csv")
	writeRows(t, in, header, update)
	forbidden := e.srv.Sim.Counters().Forbidden
	r := e.run(append(tc.args, "--report", e.report("update.results.csv"), in)...)
	checkLeast(t, "update", r, e.srv.Sim.Counters().Forbidden-forbidden, perms)

	// And it creates new users.
	fresh := project(fullRows(10), header)
	for _, row := range fresh {
		row[1] = "new." + row[1]
	}
	in = filepath.Join(e.dir, "create.csv")
	writeRows(t, in, header, fresh)
	forbidden = e.srv.Sim.Counters().Forbidden
	r = e.run(append(tc.args, "--report", e.report("create.results.csv"), in)...)
	checkLeast(t, "create", r, e.srv.Sim.Counters().Forbidden-forbidden, perms)
	checkOperationsKnown(t, e.srv.Sim.Counters().Requests)
}

// checkOperationsKnown fails for an API call the tool made (as the simulator counted it)
// that the preflight's table of operations lacks: its permissions would go unchecked.
func checkOperationsKnown(t *testing.T, requests map[string]int) {
	t.Helper()
	ops := provision.Operations()
	checked := 0
	for route := range requests {
		if !strings.Contains(route, " /api/v2/") {
			continue // the token endpoints
		}
		checked++
		op := strings.Replace(route, "/objects/USER", "/objects/{objectType}", 1)
		if _, ok := ops[op]; !ok {
			t.Errorf("the tool called %s, which the preflight's table of operations lacks", route)
		}
	}
	if checked < 5 {
		t.Errorf("only %d API routes counted: the check sees nothing", checked)
	}
}

func checkLeast(t *testing.T, step string, r result, forbidden int, perms []string) {
	t.Helper()
	if r.code != 0 || forbidden != 0 {
		t.Errorf("%s with exactly %v: exit %d, %d 403s; want 0 and none\n%s", step, perms, r.code, forbidden, r.stderr)
	}
	if !strings.Contains(r.stderr, "all held") {
		t.Errorf("%s: the preflight did not check the permissions\n%s", step, r.stderr)
	}
}

// optionsOf is the provision options the arguments of a leastCase set, for RunNeeds.
func optionsOf(args []string) provision.Options {
	var o provision.Options
	o.SendInvite = slices.Contains(args, "--send-invite")
	o.ReplaceMemberships = slices.Contains(args, "replace")
	if slices.Contains(args, "--deactivate-missing") {
		o.DeactivateMissing, o.ScopeDivision = true, "EMEA"
	}
	return o
}

// rotate gives each row the cells of the next one, its name and email kept, so that a run of
// it changes every user. A manager who would manage itself gets the org's supervisor.
func rotate(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i := range rows {
		next := rows[(i+1)%len(rows)]
		out[i] = append([]string{rows[i][0], rows[i][1]}, next[2:]...)
		if m := slices.Index(fullHeader, "email_manager"); out[i][m] == out[i][1] {
			out[i][m] = "existing.supervisor@example.com"
		}
	}
	return out
}

// project keeps the columns of header, in its order, from rows of the full format.
func project(rows [][]string, header []string) [][]string {
	out := make([][]string, len(rows))
	for i, row := range rows {
		for _, c := range header {
			out[i] = append(out[i], row[slices.Index(fullHeader, c)])
		}
	}
	return out
}
