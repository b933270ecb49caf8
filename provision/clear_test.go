package provision

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The marker clears the clearable columns, whatever its case, and nothing parses it as a
// value; in any other column it is an error naming the column and the ones it works in.
func TestCheckClearMarker(t *testing.T) {
	header := "name,email,title,department,phone_work,extension,phone_mobile,email_manager,location_work,employee_id,employee_type,hire_date,roles"
	r, err := newCSVReader(strings.NewReader(header+"\n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	row := Row{Line: 2, Name: "Ann", Email: "ann@x.com", Title: "[clear]", Department: "[CLEAR]", PhoneWork: "[clear]",
		Extension: "[clear]", PhoneMobile: "[Clear]", EmailManager: "[clear]", LocationWork: "[clear]",
		EmployeeID: "[clear]", EmployeeType: "[clear]", HireDate: "[clear]"}
	spec, errs := r.Check(row)
	if len(errs) != 0 {
		t.Fatalf("errors %v", errs)
	}
	for _, col := range clearable {
		if !spec.clears.has(col) {
			t.Errorf("%s is not cleared", col)
		}
	}
	if spec.Title != "" || spec.Manager != "" || spec.Location != "" || spec.HireDate != "" || spec.PhoneWork != "" {
		t.Errorf("a marker was taken for a value: %+v", spec)
	}

	row = Row{Line: 3, Name: "Bea", Email: "bea@x.com", Roles: "[clear]"}
	if _, errs := r.Check(row); len(errs) != 1 || !strings.Contains(errs[0].Error(), "f.csv:3:13") ||
		!strings.Contains(errs[0].Error(), "[clear] clears a field, and only in these columns: title, department") {
		t.Errorf("marker in roles: %v", errs)
	}
}

func TestPlanClears(t *testing.T) {
	full := User{ID: "u1", Title: "Agent", Department: "Sales", ManagerID: "u-boss",
		Addresses: []Contact{{MediaType: "PHONE", Type: "WORK", Address: "+13175550100"}, {MediaType: "PHONE", Type: "MOBILE", Address: "+13175550199"},
			{MediaType: "EMAIL", Type: "WORK", Address: "ann@x.com"}},
		Locations: []Placement{{LocationID: "loc-a"}},
		Employer:  EmployerInfo{OfficialName: "Ann O", EmployeeID: "E1", EmployeeType: "Full-time", DateHire: "2020-01-02"}}
	clear := func(cols ...string) target {
		var s clearSet
		for _, c := range cols {
			s |= clearBit(c)
		}
		return target{spec: Spec{clears: s}}
	}
	runPlanCases(t, planFields, []planCase{
		{name: "title and department", in: planInput{user: full, want: clear("title", "department")},
			notes: []string{"title: 'Agent' → cleared", "department: 'Sales' → cleared"}, kinds: []changeKind{patchFields}},
		{name: "manager and location", in: planInput{user: full, want: clear("email_manager", "location_work")},
			notes: []string{"manager: cleared", "locations: cleared"}, kinds: []changeKind{patchFields}},
		{name: "the mobile", in: planInput{user: full, want: clear("phone_mobile")},
			notes: []string{"phone_mobile: '+13175550199' → cleared"}, kinds: []changeKind{patchFields}},
		{name: "employer fields", in: planInput{user: full, want: clear("employee_id", "hire_date")},
			notes: []string{"employee_id: 'E1' → cleared", "hire_date: '2020-01-02' → cleared"}, kinds: []changeKind{patchFields}},
		{name: "the extension and the employee type", in: planInput{user: withExtension(full), want: clear("extension", "employee_type")},
			notes: []string{"extension: '2001' → cleared", "employee_type: 'Full-time' → cleared"}, kinds: []changeKind{patchFields}},
		{name: "the work phone", in: planInput{user: full, want: clear("phone_work")},
			notes: []string{"phone_work: '+13175550100' → cleared"}, kinds: []changeKind{patchFields}},
		{name: "nothing to clear", in: planInput{user: User{ID: "u2"}, want: clear(clearable...)}},
		{name: "a new user has nothing to clear", in: planInput{user: User{}, created: true, want: clear(clearable...)}},
	})
	c := planFields(planInput{user: full, want: clear("phone_mobile", "employee_id", "location_work", "title", "email_manager")})[0].patch
	wantAddresses := []Contact{full.Addresses[0], full.Addresses[2]}
	if !reflect.DeepEqual(c.Addresses, wantAddresses) {
		t.Errorf("addresses %v, want %v: the others as read", c.Addresses, wantAddresses)
	}
	if c.Title == nil || *c.Title != "" || c.Manager == nil || *c.Manager != "" || c.Locations == nil || len(c.Locations) != 0 {
		t.Errorf("patch %+v: want title and manager \"\", locations []", c)
	}
	if e := c.Employer; e == nil || e.EmployeeID != "" || e.OfficialName != "Ann O" || e.EmployeeType != "Full-time" {
		t.Errorf("employer %+v: want the id cleared and the rest as read", e)
	}
	// Every phone cleared: an empty list, which a PATCH reads as "none", not nil ("leave").
	only := User{ID: "u3", Addresses: []Contact{{MediaType: "PHONE", Type: "WORK", Address: "+13175550100"}}}
	if c := planFields(planInput{user: only, want: clear("phone_work")})[0].patch; c.Addresses == nil || len(c.Addresses) != 0 {
		t.Errorf("addresses %#v, want an empty list", c.Addresses)
	}
}

// withExtension is u with an internal extension too.
func withExtension(u User) User {
	u.Addresses = append(slices.Clone(u.Addresses), Contact{MediaType: "PHONE", Type: "WORK2", Extension: "2001"})
	return u
}
