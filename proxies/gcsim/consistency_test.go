package gcsim

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// eventually polls until f reports true or 5 s have passed; it fails the test then.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !f(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAuthCacheLag(t *testing.T) {
	const lag = 300 * time.Millisecond
	srv, c := start(t, Options{AuthLag: lag})
	u := c.createUser("Fresh User", "fresh.user@example.com")
	grant := map[string]any{"grants": []map[string]any{{"roleId": agentRoleID, "divisionId": homeDivID}}}

	// Moments after creation the auth service does not know the user: nothing is granted.
	c.do("POST", "/api/v2/authorization/subjects/"+u.ID+"/bulkadd", grant).wantError(t, 404, "general.resource.not.found")
	both := map[string]any{"subjectIds": []string{agentID, u.ID}, "divisionIds": []string{homeDivID}}
	c.do("POST", "/api/v2/authorization/roles/"+commRoleID, both).wantError(t, 404, "general.resource.not.found")
	c.do("POST", "/api/v2/telephony/providers/edges/phones", phoneBody("Fresh_WEBRTC", u.ID)).wantError(t, 404, "general.resource.not.found")
	st, _ := srv.Sim.State().User("fresh.user@example.com")
	if len(st.Grants) != 1 || len(srv.Sim.State().PhonesOf(u.ID)) != 0 { // the default role only
		t.Fatalf("changed while not in the auth cache: %+v", st.Grants)
	}
	if n := srv.Sim.Counters().Lagged["auth-cache"]; n != 3 {
		t.Fatalf("lagged auth-cache %d, want 3", n)
	}
	// An existing user is known: a grant naming only it goes through at once.
	c.do("POST", "/api/v2/authorization/roles/"+commRoleID, map[string]any{"subjectIds": []string{agentID}, "divisionIds": []string{homeDivID}}).want(t, 204)

	eventually(t, "grant after the lag", func() bool {
		return c.do("POST", "/api/v2/authorization/subjects/"+u.ID+"/bulkadd", grant).status == 204
	})
	c.do("POST", "/api/v2/authorization/roles/"+commRoleID, both).want(t, 204)
	c.do("POST", "/api/v2/telephony/providers/edges/phones", phoneBody("Fresh_WEBRTC", u.ID)).want(t, 200)

	// A restore puts the user in the auth cache anew.
	adminClient(t, srv, c).do("DELETE", "/api/v2/users/"+u.ID, nil).want(t, 200)
	gone := getJSON[apiUserOut](c, "/api/v2/users/"+u.ID+"?state=deleted")
	c.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"state": "active", "version": gone.Version}).want(t, 200)
	c.do("POST", "/api/v2/authorization/subjects/"+u.ID+"/bulkadd", grant).wantError(t, 404, "general.resource.not.found")

	_, off := start(t, Options{AuthLag: -1})
	v := off.createUser("Known At Once", "known.at.once@example.com")
	off.do("POST", "/api/v2/authorization/subjects/"+v.ID+"/bulkadd", grant).want(t, 204)
}

func TestStationAssociateLag(t *testing.T) {
	srv, c := start(t, Options{AuthLag: -1, StationDelay: 50 * time.Millisecond, StationAssociateLag: 400 * time.Millisecond})
	u := c.createUser("Station User", "station.user@example.com")
	c.do("POST", "/api/v2/telephony/providers/edges/phones", phoneBody("Station_User_WEBRTC", u.ID)).want(t, 200)
	stationID := srv.Sim.State().PhonesOf(u.ID)[0].StationID
	path := "/api/v2/users/" + u.ID + "/station/defaultstation/" + stationID
	eventually(t, "station visible", func() bool { return c.do("GET", "/api/v2/stations/"+stationID, nil).status == 200 })
	c.do("PUT", path, nil).wantError(t, 409, "general.conflict")
	if n := srv.Sim.Counters().Lagged["station-associating"]; n != 1 {
		t.Fatalf("lagged station-associating %d, want 1", n)
	}
	eventually(t, "default station set", func() bool { return c.do("PUT", path, nil).status == 202 })
	if st, _ := srv.Sim.State().User("station.user@example.com"); st.DefaultStationID != stationID {
		t.Fatalf("default station %q", st.DefaultStationID)
	}
}

func TestGroupVersionLag(t *testing.T) {
	const lag = 300 * time.Millisecond
	srv, c := start(t, Options{AuthLag: -1, GroupLag: lag})
	a := c.createUser("Group A", "group.a@example.com")
	b := c.createUser("Group B", "group.b@example.com")
	version := func() int {
		var g struct {
			Version int `json:"version"`
		}
		c.do("GET", "/api/v2/groups/"+iraID, nil).decode(t, &g)
		return g.Version
	}
	path := "/api/v2/groups/" + iraID + "/members"
	c.do("POST", path, map[string]any{"memberIds": []string{a.ID}, "version": version()}).want(t, 202)
	// The add is asynchronous: GET still shows version 1, and adding with it conflicts.
	if v := version(); v != 1 {
		t.Fatalf("version right after the add %d, want 1", v)
	}
	c.do("POST", path, map[string]any{"memberIds": []string{b.ID}, "version": 1}).wantError(t, 409, "general.conflict")
	if n := srv.Sim.Counters().Lagged["group-version"]; n != 1 {
		t.Fatalf("lagged group-version %d, want 1", n)
	}
	eventually(t, "version 2 shown", func() bool { return version() == 2 })
	c.do("POST", path, map[string]any{"memberIds": []string{b.ID}, "version": 2}).want(t, 202)
	if g, _ := srv.Sim.State().Group("IRA"); g.Version != 3 || len(g.Members) != 2 {
		t.Fatalf("group %+v", g)
	}
}

// A deleted user loses its roles and moves to the home division; a restore brings back
// neither, nor its extensions and default station (help center, user-management FAQ).
func TestDeleteAndRestore(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	r := c.do("POST", "/api/v2/users", map[string]any{
		"name": "Leaving Agent", "email": "leaving.agent@example.com", "divisionId": salesDivID, "state": "active",
		"addresses": []map[string]any{
			{"mediaType": "PHONE", "type": "WORK", "address": "+13175550100", "countryCode": "US"},
			{"mediaType": "PHONE", "type": "WORK2", "extension": "2001"},
		},
	})
	r.want(t, 200)
	var u apiUserOut
	r.decode(t, &u)
	c.do("POST", "/api/v2/authorization/subjects/"+u.ID+"/bulkadd", map[string]any{"grants": []map[string]any{{"roleId": agentRoleID, "divisionId": salesDivID}}}).want(t, 204)
	c.do("POST", "/api/v2/telephony/providers/edges/phones", phoneBody("Leaving_WEBRTC", u.ID)).want(t, 200)
	stationID := srv.Sim.State().PhonesOf(u.ID)[0].StationID
	c.do("PUT", "/api/v2/users/"+u.ID+"/station/defaultstation/"+stationID, nil).want(t, 202)

	adminClient(t, srv, c).do("DELETE", "/api/v2/users/"+u.ID, nil).want(t, 200)
	check := func(when string) {
		t.Helper()
		st, _ := srv.Sim.State().User("leaving.agent@example.com")
		if len(st.Grants) != 0 || st.Division != "Home" || st.DefaultStationID != "" ||
			len(st.Addresses) != 1 || st.Addresses[0].Type != "WORK" || st.Addresses[0].CountryCode != "US" {
			t.Fatalf("%s: %+v", when, st)
		}
		for _, s := range srv.Sim.State().Stations {
			if s.ID == stationID && s.DefaultUserID != "" {
				t.Fatalf("%s: station still the default of %s", when, s.DefaultUserID)
			}
		}
	}
	check("deleted")
	deleted := getJSON[apiUserOut](c, "/api/v2/users/"+u.ID+"?state=deleted")
	c.do("PATCH", "/api/v2/users/"+u.ID, map[string]any{"state": "active", "version": deleted.Version}).want(t, 200)
	check("restored")
	if st, _ := srv.Sim.State().User("leaving.agent@example.com"); st.State != "active" || len(srv.Sim.State().PhonesOf(u.ID)) != 1 {
		t.Fatalf("restored: state %s, phones %d (phones are kept)", st.State, len(srv.Sim.State().PhonesOf(u.ID)))
	}
}

func TestSearchLimits(t *testing.T) {
	srv, c := start(t, Options{})
	values := make([]string, 51)
	for i := range values {
		values[i] = fmt.Sprintf("user%d@example.com", i)
	}
	criterion := func(vals []string) map[string]any {
		return map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{"email"}, "values": vals}}}
	}
	before := srv.Sim.Counters().LimitRejections
	c.do("POST", "/api/v2/users/search", criterion(values)).wantError(t, 400, "search.criteria.values.exceed.limit")
	if got := c.search(criterion(values[:50])); got.Total != 0 {
		t.Fatalf("50 values: %+v", got)
	}
	if n := srv.Sim.Counters().LimitRejections - before; n != 1 {
		t.Fatalf("limit rejections %d, want 1", n)
	}
	c.do("POST", "/api/v2/users/search", criterion([]string{strings.Repeat("a", 301)})).wantError(t, 400, "invalid.value")

	paged := func(size, number int) map[string]any {
		b := criterion([]string{"existing.agent@example.com"})
		b["pageSize"], b["pageNumber"] = size, number
		return b
	}
	c.do("POST", "/api/v2/users/search", paged(100, 100)).want(t, 200) // results 9,901 to 10,000
	c.do("POST", "/api/v2/users/search", paged(100, 101)).wantError(t, 400, "too.many.requested.results")
	c.do("POST", "/api/v2/users/search", paged(25, 401)).wantError(t, 400, "too.many.requested.results")
	c.do("POST", "/api/v2/users/search", paged(101, 1)).wantError(t, 400, "too.many.requested.results")

	// STARTS_WITH, as a client partitioning a large result set by id prefix uses it.
	byPrefix := func(prefix string) searchOut {
		return c.search(map[string]any{"query": []map[string]any{
			{"type": "STARTS_WITH", "fields": []string{"id"}, "value": prefix},
			{"type": "EXACT", "fields": []string{"state"}, "values": []string{"active", "inactive", "deleted"}},
		}})
	}
	if got := byPrefix("0e000000-0000-4000-8000-00000000000"); got.Total != 5 {
		t.Fatalf("STARTS_WITH: total %d, want the 5 seed users", got.Total)
	}
	if got := byPrefix("0e000000-0000-4000-8000-000000000002"); got.Total != 1 || got.Results[0].ID != supervisorID {
		t.Fatalf("STARTS_WITH a whole id: %+v", got)
	}
	c.do("POST", "/api/v2/users/search", map[string]any{"query": []map[string]any{{"type": "CONTAINS", "fields": []string{"id"}, "value": "0e"}}}).wantError(t, 400, "invalid.value")
}

// The seed's Placed Agent is a joined member of Support Tier 2 and a member, not joined, of
// Sales Inbound; GET /api/v2/users/{userId}/queues lists joined queues unless asked.
func TestUserQueuesJoinedDefault(t *testing.T) {
	_, c := start(t, Options{})
	names := func(path string) string {
		var l struct {
			Entities []struct {
				Name   string `json:"name"`
				Joined bool   `json:"joined"`
			} `json:"entities"`
		}
		c.do("GET", path, nil).decode(t, &l)
		var out []string
		for _, e := range l.Entities {
			out = append(out, fmt.Sprintf("%s:%v", e.Name, e.Joined))
		}
		return strings.Join(out, ",")
	}
	base := "/api/v2/users/" + placedID + "/queues"
	if got := names(base); got != "Support Tier 2:true" {
		t.Fatalf("default (joined=true): %q", got)
	}
	if got := names(base + "?joined=false"); got != "Sales Inbound:false" {
		t.Fatalf("joined=false: %q", got)
	}
}

// Nested objects are replaced whole by a PATCH: what the client leaves out is gone.
func TestPatchReplacesNestedObjects(t *testing.T) {
	srv, c := start(t, Options{})
	placed := func() UserState {
		st, _ := srv.Sim.State().User("placed.agent@example.com")
		return st
	}
	before := placed()
	if before.OfficialName != "Wayne Enterprises Inc." || before.LocationNotes["Indianapolis HQ"] != "Desk 4B" ||
		len(before.Addresses) != 2 || before.Addresses[0].CountryCode != "US" {
		t.Fatalf("seed %+v", before)
	}
	c.do("PATCH", "/api/v2/users/"+placedID, map[string]any{
		"version":      1,
		"employerInfo": map[string]any{"employeeId": "E-200"},
		"locations":    []map[string]any{{"id": "10ca0000-0000-4000-8000-000000000002"}},
		"addresses":    []map[string]any{{"mediaType": "PHONE", "type": "WORK", "address": "+13175550199"}},
	}).want(t, 200)
	after := placed()
	if after.OfficialName != "" || after.EmployeeType != "" || after.EmployeeID != "E-200" ||
		strings.Join(after.Locations, ",") != "Dublin Office" || len(after.LocationNotes) != 0 ||
		len(after.Addresses) != 1 || after.Addresses[0].CountryCode != "" {
		t.Fatalf("after a partial PATCH %+v", after)
	}
}
