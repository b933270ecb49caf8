package provision

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

// cappedUsers is the fake's users API with a listing that always passes the paging cap.
type cappedUsers struct{ fakeUsers }

func (cappedUsers) List(context.Context, string) ([]User, error) { return nil, ErrPagingCap }

// exportOrg is a fake org of three users in two divisions, one with a manager, a group and
// two grants.
func exportOrg() *fakeOrg {
	f := newFakeOrg()
	f.users["ann@x.com"] = &User{ID: "u1", Name: "Ann", Email: "ann@x.com", State: "active", DivisionID: "home", Title: "Agent",
		ManagerID: "u3", GroupIDs: []string{"g2"}, Skills: map[string]float64{}, Languages: map[string]float64{}}
	f.users["bob@x.com"] = &User{ID: "u2", Name: "Bob", Email: "bob@x.com", State: "active", DivisionID: "d2"}
	f.users["cid@x.com"] = &User{ID: "u3", Name: "Cid", Email: "cid@x.com", State: "active", DivisionID: "d2",
		Employer: EmployerInfo{EmployeeID: "E3", DateHire: "2020-01-02"}}
	f.grants["u1"] = []Grant{{RoleID: "r2", DivisionID: "d2"}, {RoleID: "r1", DivisionID: "*"}}
	return f
}

func exportRecords(t *testing.T, svc Services, o ExportOptions) [][]string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Export(context.Background(), svc, o, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Past the listing's paging cap, the export finds the users division by division and reads
// them: the same file.
func TestExportPastThePagingCap(t *testing.T) {
	f := exportOrg()
	listed := exportRecords(t, f.services(), ExportOptions{})
	svc := f.services()
	svc.Users = cappedUsers{fakeUsers{f}}
	capped := exportRecords(t, svc, ExportOptions{})
	if len(listed) != 4 || strings.Join(flat(listed), "|") != strings.Join(flat(capped), "|") {
		t.Errorf("listed:\n%v\npast the cap:\n%v", listed, capped)
	}
	ann := capped[1]
	if ann[1] != "ann@x.com" || ann[7] != "cid@x.com" || ann[9] != "Home" || ann[10] != "Agent:Sales,Communicate - User:*" || ann[11] != "IRA" {
		t.Errorf("ann's row %q", ann)
	}
	if cid := capped[3]; cid[15] != "2020-01-02" || cid[16] != "E3" {
		t.Errorf("cid's row %q", cid)
	}
}

// The backup's export holds exactly the users asked for, none when none is asked for.
func TestExportUserIDs(t *testing.T) {
	f := exportOrg()
	if recs := exportRecords(t, f.services(), ExportOptions{UserIDs: []string{"u2"}}); len(recs) != 2 || recs[1][1] != "bob@x.com" {
		t.Errorf("export of u2: %v", recs)
	}
	if recs := exportRecords(t, f.services(), ExportOptions{UserIDs: []string{}}); len(recs) != 1 {
		t.Errorf("export of no user: %v", recs)
	}
}

func flat(recs [][]string) []string {
	var out []string
	for _, r := range recs {
		out = append(out, strings.Join(r, ","))
	}
	return out
}

// commaGroups is the fake's groups API with a group whose name holds a comma.
type commaGroups struct{ fakeGroups }

func (commaGroups) ListGroups(context.Context) ([]Ref, error) {
	return []Ref{{ID: "g1", Name: "Annuities"}, {ID: "g2", Name: "Sales, East"}}, nil
}

// A name holding a ',' makes the export separate items with ';', and say so; asking for ','
// then is an error, since the name would split on import.
func TestExportSeparator(t *testing.T) {
	f := exportOrg()
	svc := f.services()
	svc.Groups = commaGroups{fakeGroups{f}}
	var buf bytes.Buffer
	res, err := Export(context.Background(), svc, ExportOptions{}, &buf)
	if err != nil || res.ListSeparator != ";" || !res.SeparatorInNames {
		t.Fatalf("result %+v, %v; want ';' and the names flagged", res, err)
	}
	if !strings.Contains(buf.String(), `Agent:Sales;Communicate - User:*,"Sales, East"`) {
		t.Errorf("export:\n%s", buf.String())
	}
	if _, err := Export(context.Background(), svc, ExportOptions{ListSeparator: ","}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "ListSeparator") {
		t.Errorf("',' with a name holding one: %v", err)
	}
}

// An export whose credentials lack a permission it needs stops before reading any user,
// naming the permission and what needs it; one that holds them all exports.
func TestExportPreflight(t *testing.T) {
	held := []string{"directory:user:view", "authorization:role:view", "routing:queue:view"}
	for _, tc := range []struct {
		name    string
		drop    string // the permission taken away; "" for none
		wantErr string
	}{
		{"all held", "", ""},
		{"no role view", "authorization:role:view", "authorization:role:view, needed for roles"},
		{"no queue view", "routing:queue:view", "routing:queue:view, needed for queues"},
	} {
		f := exportOrg()
		svc := f.services()
		perms := slices.DeleteFunc(slices.Clone(held), func(p string) bool { return p == tc.drop })
		who := &fakeWho{priv: Privileges{Subject: `OAuth client "export" (c1)`, Permissions: perms}}
		svc.Who = who
		var buf bytes.Buffer
		_, err := Export(context.Background(), svc, ExportOptions{}, &buf)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one naming %q", tc.name, err, tc.wantErr)
		case tc.wantErr != "" && buf.Len() != 0:
			t.Errorf("%s: the export wrote %d bytes", tc.name, buf.Len())
		}
		if who.calls.Load() != 1 {
			t.Errorf("%s: %d reads of the privileges, want 1", tc.name, who.calls.Load())
		}
	}
}
