package gcsim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// profileOut is the part of User that the profile tests read.
type profileOut struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Title   string `json:"title"`
	Manager *struct {
		ID      string `json:"id"`
		SelfURI string `json:"selfUri"`
	} `json:"manager"`
	Addresses []struct {
		Address   string `json:"address"`
		Extension string `json:"extension"`
		Display   string `json:"display"`
		MediaType string `json:"mediaType"`
		Type      string `json:"type"`
	} `json:"addresses"`
	Locations *[]struct {
		ID                 string `json:"id"`
		Notes              string `json:"notes"`
		LocationDefinition struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"locationDefinition"`
	} `json:"locations"`
	EmployerInfo *struct {
		OfficialName string `json:"officialName"`
		EmployeeID   string `json:"employeeId"`
		EmployeeType string `json:"employeeType"`
		DateHire     string `json:"dateHire"`
	} `json:"employerInfo"`
	Skills          *[]levelOut `json:"skills"`
	Languages       *[]levelOut `json:"languages"`
	DateWelcomeSent string      `json:"dateWelcomeSent"`
}

func (c *client) profile(path string) profileOut {
	c.t.Helper()
	return getJSON[profileOut](c, path)
}

func phoneContact(typ, address, extension string) map[string]string {
	m := map[string]string{"mediaType": "PHONE", "type": typ}
	if address != "" {
		m["address"] = address
	}
	if extension != "" {
		m["extension"] = extension
	}
	return m
}

func TestAddresses(t *testing.T) {
	srv, c := start(t, Options{})
	u := c.createUser("Addressed", "addressed@example.com")
	tests := []struct {
		name      string
		addresses []map[string]string
		code      string // "" for success
	}{
		{"address and extension", []map[string]string{phoneContact("WORK", "+13175550100", "1234")}, "invalid.value"},
		{"neither", []map[string]string{phoneContact("WORK", "", "")}, "invalid.value"},
		{"bad media type", []map[string]string{{"mediaType": "FAX", "type": "WORK", "address": "+13175550100"}}, "invalid.value"},
		{"bad type", []map[string]string{{"mediaType": "PHONE", "type": "DESK", "address": "+13175550100"}}, "invalid.value"},
		{"missing type", []map[string]string{{"mediaType": "PHONE", "address": "+13175550100"}}, "invalid.value"},
		{"same media type and type twice", []map[string]string{phoneContact("WORK", "+13175550100", ""), phoneContact("WORK", "", "1234")}, "invalid.value"},
		// Several PHONE entries of different types, as Genesys's Terraform provider sends them.
		{"phones of different types", []map[string]string{
			phoneContact("WORK", "+13175550100", ""), phoneContact("WORK2", "", "1234"), phoneContact("MOBILE", "+13175550199", ""),
			{"mediaType": "SMS", "type": "MOBILE", "address": "+13175550199"},
			{"mediaType": "EMAIL", "type": "WORK", "address": "other@example.com", "display": "ignored"},
		}, ""},
	}
	version := u.Version
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"addresses": tt.addresses, "version": version})
			if tt.code != "" {
				e := r.wantError(t, 400, tt.code)
				if strings.HasPrefix(tt.name, "address and") && e.Message != "extension: Use internal extension instead of address. Mutually exclusive with the address field." {
					t.Fatalf("message %q", e.Message)
				}
				return
			}
			r.want(t, 200)
			version++
		})
	}
	p := c.profile("/api/v2/users/" + u.ID)
	if len(p.Addresses) != 5 {
		t.Fatalf("addresses %+v", p.Addresses)
	}
	for _, a := range p.Addresses {
		if want := a.Address + a.Extension; a.Display != want {
			t.Fatalf("display %q, want %q (%+v)", a.Display, want, a)
		}
	}
	st, _ := srv.Sim.State().User("addressed@example.com")
	if len(st.Addresses) != 5 || st.Addresses[1] != (AddressState{MediaType: "PHONE", Type: "WORK2", Extension: "1234"}) {
		t.Fatalf("state addresses %+v", st.Addresses)
	}

	t.Run("on create", func(t *testing.T) {
		body := newUserBody("Created With Phone", "created.phone@example.com", homeDivID)
		body["title"], body["department"] = "Agent", "Billing"
		body["addresses"] = []map[string]string{phoneContact("WORK", "+13175550111", "")}
		r := c.do("POST", "/api/v2/users", body)
		r.want(t, 200)
		var p profileOut
		r.decode(t, &p)
		if len(p.Addresses) != 1 || p.Addresses[0].Display != "+13175550111" || p.Title != "Agent" {
			t.Fatalf("created %s", r.body)
		}
		body = newUserBody("Bad Phone", "bad.phone@example.com", homeDivID)
		body["addresses"] = []map[string]string{phoneContact("WORK", "+13175550111", "12")}
		c.do("POST", "/api/v2/users", body).wantError(t, 400, "invalid.value")
		if _, ok := srv.Sim.State().User("bad.phone@example.com"); ok {
			t.Fatal("a user with invalid addresses was created")
		}
	})
}

func TestPatchProfile(t *testing.T) {
	srv, c := start(t, Options{})
	u := c.createUser("Profiled", "profiled@example.com")
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"self as manager", map[string]any{"manager": u.ID}, 400, "invalid.value"},
		{"unknown manager", map[string]any{"manager": unknownEntityID}, 400, "invalid.value"},
		{"deleted manager", map[string]any{"manager": deletedID}, 400, "invalid.value"},
		{"unknown location", map[string]any{"locations": []map[string]string{{"id": indianapolisID}, {"id": unknownEntityID}}}, 400, "invalid.value"},
		{"bad hire date", map[string]any{"employerInfo": map[string]string{"dateHire": "03/15/2024"}}, 400, "invalid.date"},
		{"hire date with time", map[string]any{"employerInfo": map[string]string{"dateHire": "2024-03-15T00:00:00Z"}}, 400, "invalid.date"},
		{"impossible hire date", map[string]any{"employerInfo": map[string]string{"dateHire": "2024-02-30"}}, 400, "invalid.date"},
		{"location with state", map[string]any{"state": "active", "locations": []map[string]string{{"id": indianapolisID}}}, 400, "bad.request"},
		{"everything", map[string]any{
			"manager":    supervisorID,
			"title":      "Senior Agent",
			"department": "Billing",
			"locations":  []map[string]string{{"id": dublinID, "notes": "2nd floor"}, {"id": indianapolisID}},
			"employerInfo": map[string]string{
				"officialName": "Profiled Person", "employeeId": "E-1001", "employeeType": "Full-time", "dateHire": "2024-03-15",
			},
		}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.body["version"] = 1
			r := c.do("PATCH", "/api/v2/users/"+u.ID, tt.body)
			r.wantOutcome(t, tt.status, tt.code)
		})
	}
	plain := c.profile("/api/v2/users/" + u.ID)
	if plain.Version != 2 || plain.Manager == nil || plain.Manager.ID != supervisorID || plain.Manager.SelfURI == "" {
		t.Fatalf("manager without expand: %+v", plain)
	}
	if plain.Locations != nil || plain.EmployerInfo != nil || plain.Skills != nil || plain.Languages != nil {
		t.Fatalf("expansions without expand: %+v", plain)
	}
	p := c.profile("/api/v2/users/" + u.ID + "?expand=locations,employerInfo&expand=skills&expand=languages")
	// A placement has an id of its own; the location is its locationDefinition.
	if p.Locations == nil || len(*p.Locations) != 2 || (*p.Locations)[0].LocationDefinition.Name != "Dublin Office" ||
		(*p.Locations)[0].LocationDefinition.ID != dublinID || (*p.Locations)[0].ID == dublinID || (*p.Locations)[0].ID == "" ||
		(*p.Locations)[0].Notes != "2nd floor" {
		t.Fatalf("locations %+v", p.Locations)
	}
	if again := c.profile("/api/v2/users/" + u.ID + "?expand=locations"); (*again.Locations)[0].ID != (*p.Locations)[0].ID {
		t.Fatalf("placement id changed between reads: %+v", again.Locations)
	}
	if p.EmployerInfo == nil || p.EmployerInfo.EmployeeID != "E-1001" || p.EmployerInfo.DateHire != "2024-03-15" {
		t.Fatalf("employerInfo %+v", p.EmployerInfo)
	}
	if p.Skills == nil || len(*p.Skills) != 0 || p.Languages == nil {
		t.Fatalf("skills %v languages %v", p.Skills, p.Languages)
	}
	st, _ := srv.Sim.State().User("profiled@example.com")
	if st.ManagerEmail != "existing.supervisor@example.com" || st.Title != "Senior Agent" || st.Department != "Billing" ||
		strings.Join(st.Locations, ",") != "Dublin Office,Indianapolis HQ" || st.EmployeeID != "E-1001" ||
		st.EmployeeType != "Full-time" || st.DateHire != "2024-03-15" || st.OfficialName != "Profiled Person" {
		t.Fatalf("state %+v", st)
	}

	// Lists and search carry the same fields.
	var l struct {
		Entities []profileOut `json:"entities"`
	}
	c.do("GET", "/api/v2/users?id="+u.ID+"&expand=employerInfo,locations", nil).decode(t, &l)
	if len(l.Entities) != 1 || l.Entities[0].EmployerInfo == nil || l.Entities[0].Locations == nil || l.Entities[0].Manager == nil {
		t.Fatalf("list %+v", l)
	}
	body := emailQuery("profiled@example.com")
	body["expand"] = []string{"locations"}
	r := c.do("POST", "/api/v2/users/search", body)
	var sr struct {
		Results []profileOut `json:"results"`
	}
	r.decode(t, &sr)
	// User search does not honour expand=locations (Developer Center's list): it is left out.
	if len(sr.Results) != 1 || sr.Results[0].Locations != nil || sr.Results[0].Manager == nil {
		t.Fatalf("search %s", r.body)
	}

	t.Run("seed manager", func(t *testing.T) {
		if p := c.profile("/api/v2/users/" + agentID); p.Manager == nil || p.Manager.ID != supervisorID {
			t.Fatalf("existing agent's manager %+v", p.Manager)
		}
		if st, _ := srv.Sim.State().User("existing.agent@example.com"); st.ManagerEmail != "existing.supervisor@example.com" || strings.Join(st.Queues, ",") != "Billing" {
			t.Fatalf("existing agent %+v", st)
		}
	})
	t.Run("clear manager and locations", func(t *testing.T) {
		c.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"manager": "", "locations": []any{}, "version": 2}).want(t, 200)
		if st, _ := srv.Sim.State().User("profiled@example.com"); st.ManagerID != "" || len(st.Locations) != 0 || st.EmployeeID != "E-1001" {
			t.Fatalf("state %+v", st)
		}
	})
}

func TestInvite(t *testing.T) {
	srv, c := start(t, Options{})
	u := c.createUser("Invitee", "invitee@example.com")
	path := "/api/v2/users/" + u.ID + "/invite"
	if p := c.profile("/api/v2/users/" + u.ID + "?expand=dateWelcomeSent"); p.DateWelcomeSent != "" {
		t.Fatalf("dateWelcomeSent before any invite: %q", p.DateWelcomeSent)
	}
	c.do("POST", path+"?force=false", nil).want(t, 204)
	c.do("POST", path, nil).wantError(t, 409, "request.conflict")
	c.do("POST", path+"?force=true", nil).want(t, 204)
	c.do("POST", path+"?force=perhaps", nil).wantError(t, 400, "invalid.query.param.value")
	c.do("POST", "/api/v2/users/"+deletedID+"/invite", nil).wantError(t, 404, "not.found")
	p := c.profile("/api/v2/users/" + u.ID + "?expand=dateWelcomeSent")
	if _, err := time.Parse(time.RFC3339, p.DateWelcomeSent); err != nil {
		t.Fatalf("dateWelcomeSent %q: %v", p.DateWelcomeSent, err)
	}
	if p := c.profile("/api/v2/users/" + u.ID); p.DateWelcomeSent != "" {
		t.Fatalf("dateWelcomeSent without expand: %q", p.DateWelcomeSent)
	}
	cnt := srv.Sim.Counters()
	if cnt.Invites[u.ID] != 2 || len(cnt.Invites) != 1 {
		t.Fatalf("Invites %v, want 2 for %s", cnt.Invites, u.ID)
	}
	if st, _ := srv.Sim.State().User("invitee@example.com"); !st.Invited {
		t.Fatal("state: not invited")
	}
}

func TestAllDivisionsGrants(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	u := c.createUser("Everywhere", "everywhere@example.com")
	c.do("POST", "/api/v2/authorization/subjects/"+u.ID+"/bulkadd", map[string]any{"grants": []map[string]string{
		{"roleId": agentRoleID, "divisionId": "*"}, {"roleId": commRoleID, "divisionId": emeaDivID},
	}}).want(t, 204)
	c.do("POST", "/api/v2/authorization/roles/"+commRoleID, map[string]any{"subjectIds": []string{u.ID}, "divisionIds": []string{"*"}}).want(t, 204)
	c.do("POST", "/api/v2/authorization/subjects/"+u.ID+"/bulkadd", map[string]any{"grants": []map[string]string{
		{"roleId": agentRoleID, "divisionId": unknownEntityID},
	}}).wantError(t, 400, "bad.role.divisions")
	c.do("POST", "/api/v2/authorization/roles/"+commRoleID, map[string]any{"subjectIds": []string{u.ID}, "divisionIds": []string{"*", unknownEntityID}}).wantError(t, 400, "bad.role.divisions")
	var subj struct {
		Grants []struct {
			Role     struct{ ID string }       `json:"role"`
			Division struct{ ID, Name string } `json:"division"`
		} `json:"grants"`
	}
	c.do("GET", "/api/v2/authorization/subjects/"+u.ID, nil).decode(t, &subj)
	var got []string
	for _, g := range subj.Grants {
		got = append(got, g.Role.ID[len(g.Role.ID)-1:]+"@"+g.Division.ID)
	}
	want := []string{"2@" + homeDivID, "3@*", "1@" + emeaDivID, "1@*"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("grants %v, want %v", got, want)
	}
	st, _ := srv.Sim.State().User("everywhere@example.com")
	if len(st.Grants) != 4 || st.Grants[1].DivisionID != "*" || st.Grants[1].Division != "All Divisions" {
		t.Fatalf("state grants %+v", st.Grants)
	}
}

func TestMoveUsersToDivision(t *testing.T) {
	srv, c := start(t, Options{SearchLag: 100 * time.Millisecond})
	a := c.createUser("Mover A", "mover.a@example.com")
	b := c.createUser("Mover B", "mover.b@example.com")
	path := func(div string) string { return "/api/v2/authorization/divisions/" + div + "/objects/USER" }
	many := make([]string, 51)
	for i := range many {
		many[i] = a.ID
	}
	c.do("POST", path(emeaDivID), many).wantError(t, 400, "too.many.bulk.division.updates")
	c.do("POST", path(emeaDivID), []string{}).wantError(t, 400, "empty.bulk.division.update")
	c.do("POST", path(unknownEntityID), []string{a.ID}).wantError(t, 404, "general.resource.not.found")
	c.do("POST", "/api/v2/authorization/divisions/"+emeaDivID+"/objects/QUEUE", []string{billingQueueID}).wantError(t, 404, "not.found")
	r := c.do("POST", path(emeaDivID), []string{a.ID})
	r.want(t, 204)
	if len(r.body) != 0 {
		t.Fatalf("body %q", r.body)
	}
	// One unknown id: the others move, the answer is 409.
	c.do("POST", path(salesDivID), []string{b.ID, unknownEntityID}).wantError(t, 409, "bulk.move.unable.to.move")
	st := srv.Sim.State()
	if ua, _ := st.User("mover.a@example.com"); ua.DivisionID != emeaDivID || ua.Division != "EMEA" || ua.Version != 1 {
		t.Fatalf("a %+v", ua)
	}
	if ub, _ := st.User("mover.b@example.com"); ub.DivisionID != salesDivID {
		t.Fatalf("b %+v", ub)
	}
	var u apiUserOut
	c.do("GET", "/api/v2/users/"+a.ID, nil).decode(t, &u)
	if u.Division.ID != emeaDivID {
		t.Fatalf("GET division %+v", u.Division)
	}
	time.Sleep(150 * time.Millisecond)
	q := map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"divisionId"}, "value": emeaDivID}}}
	if got := c.search(q); got.Total != 1 || got.Results[0].ID != a.ID {
		t.Fatalf("search by division %+v", got)
	}
	cnt := srv.Sim.Counters()
	if cnt.LimitRejections != 1 || cnt.Requests["POST /api/v2/authorization/divisions/{divisionId}/objects/USER"] != 5 {
		t.Fatalf("counters %+v", cnt)
	}
}

// TestLimitRejections checks that every per-call size limit counts in LimitRejections, and
// that nothing else does.
func TestLimitRejections(t *testing.T) {
	srv, c := start(t, Options{})
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("0e000000-0000-4000-8000-%012d", i+100)
		}
		return out
	}
	writes := srv.Sim.Counters().Writes
	c.do("POST", "/api/v2/groups/"+iraID+"/members", map[string]any{"memberIds": ids(51), "version": 1}).wantError(t, 400, "bad.request")
	c.do("POST", "/api/v2/users/search", map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"email"}, "values": ids(101)}}}).wantError(t, 400, "search.criteria.values.exceed.limit")
	c.do("GET", "/api/v2/users?id="+strings.Join(ids(101), ","), nil).wantError(t, 400, "max.user.ids")
	c.do("GET", "/api/v2/authorization/roles?id="+strings.Join(ids(101), ","), nil).wantError(t, 400, "max.role.ids")
	// Not size limits: page sizes, and calls within the limits.
	c.do("GET", "/api/v2/users?pageSize=501", nil).wantError(t, 400, "invalid.value")
	c.do("GET", "/api/v2/users?id="+strings.Join(ids(100), ",")+"&pageSize=100", nil).want(t, 200)
	c.do("POST", "/api/v2/groups/"+iraID+"/members", map[string]any{"memberIds": []string{agentID}, "version": 1}).want(t, 202)
	cnt := srv.Sim.Counters()
	if cnt.LimitRejections != 4 {
		t.Fatalf("LimitRejections = %d, want 4", cnt.LimitRejections)
	}
	if got := cnt.Writes - writes; got != 2 {
		t.Fatalf("Writes grew by %d, want 2 (the two group member calls)", got)
	}
}
