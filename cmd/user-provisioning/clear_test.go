package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// [clear] empties the user's title, work phone, location and employer fields in the org; the
// report says what was cleared, the other fields and addresses stay as they were, and a
// second run of the same file writes nothing.
func TestClearMarkerEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join(e.dir, "clear.csv")
	header := []string{"name", "email", "title", "phone_work", "location_work", "employee_id", "hire_date"}
	writeRows(t, in, header, [][]string{{"Placed Agent", "placed.agent@example.com", "[clear]", "[CLEAR]", "[clear]", "[clear]", "[clear]"}})
	r := e.run("--report", e.report("clear.results.csv"), in)
	if r.code != 0 || len(r.report) != 1 {
		t.Fatalf("exit %d, %d rows\n%s", r.code, len(r.report), r.stderr)
	}
	for _, want := range []string{"title: 'Agent' → cleared", "phone_work: '+13175550199' → cleared", "locations: cleared",
		"employee_id: 'E-100' → cleared", "hire_date: '2020-01-06' → cleared"} {
		if !strings.Contains(r.report[0]["changes"], want) {
			t.Errorf("changes %q lack %q", r.report[0]["changes"], want)
		}
	}
	u, _ := e.srv.Sim.State().User("placed.agent@example.com")
	if u.Title != "" || len(u.Locations) != 0 || u.EmployeeID != "" || u.DateHire != "" {
		t.Errorf("user %+v: want title, locations, employee id and hire date cleared", u)
	}
	if u.EmployeeType != "Full-time" || u.OfficialName != "Wayne Enterprises Inc." || len(u.Addresses) != 1 || u.Addresses[0].Type != "HOME" {
		t.Errorf("user %+v: want the employee type, official name and home phone kept", u)
	}
	writes := e.srv.Sim.Counters().Writes
	if r := e.run("--report", e.report("again.results.csv"), in); r.code != 0 || r.report[0]["action"] != "none" {
		t.Fatalf("second run: exit %d, %v\n%s", r.code, r.report, r.stderr)
	}
	if w := e.srv.Sim.Counters().Writes - writes; w != 0 {
		t.Errorf("the second run made %d writes, want none", w)
	}
}
