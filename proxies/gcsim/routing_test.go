package gcsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Seed ids of the routing objects and locations (testdata/org.json).
const (
	emeaDivID       = "1d1a0000-0000-4000-8000-000000000004"
	billingQueueID  = "40e00000-0000-4000-8000-000000000001"
	salesQueueID    = "40e00000-0000-4000-8000-000000000002"
	tier1QueueID    = "40e00000-0000-4000-8000-000000000003"
	billingSkillID  = "5c000000-0000-4000-8000-000000000001"
	spanishSkillID  = "5c000000-0000-4000-8000-000000000002"
	escalationsID   = "5c000000-0000-4000-8000-000000000003"
	spanishLangID   = "1a000000-0000-4000-8000-000000000001"
	frenchLangID    = "1a000000-0000-4000-8000-000000000002"
	indianapolisID  = "10ca0000-0000-4000-8000-000000000001"
	dublinID        = "10ca0000-0000-4000-8000-000000000002"
	unknownEntityID = "ffffffff-0000-4000-8000-000000000000"
)

type namedListing struct {
	Entities []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		MemberCount int    `json:"memberCount"`
		Joined      *bool  `json:"joined"`
		State       string `json:"state"`
	} `json:"entities"`
	Total     int    `json:"total"`
	PageCount int    `json:"pageCount"`
	NextURI   string `json:"nextUri"`
}

func (l namedListing) names() string {
	var out []string
	for _, e := range l.Entities {
		out = append(out, e.Name)
	}
	return strings.Join(out, ",")
}

func (c *client) list(path string) namedListing {
	c.t.Helper()
	return getJSON[namedListing](c, path)
}

func TestQueuesList(t *testing.T) {
	_, c := start(t, Options{})
	tests := []struct {
		name, path, want string
		total            int
	}{
		{"all, by name", "/api/v2/routing/queues", "Billing,Retention,Sales Inbound,Support Tier 1,Support Tier 2", 5},
		{"descending", "/api/v2/routing/queues?sortOrder=desc&pageSize=2", "Support Tier 2,Support Tier 1", 5},
		{"exact, case-insensitive", "/api/v2/routing/queues?name=billing", "Billing", 1},
		{"exact needs the whole name", "/api/v2/routing/queues?name=Support", "", 0},
		{"trailing asterisk", "/api/v2/routing/queues?name=support*", "Support Tier 1,Support Tier 2", 2},
		{"leading asterisk", "/api/v2/routing/queues?name=*inbound", "Sales Inbound", 1},
		{"both asterisks", "/api/v2/routing/queues?name=*TIER*", "Support Tier 1,Support Tier 2", 2},
		{"division", "/api/v2/routing/queues?divisionId=" + emeaDivID, "Retention", 1},
		{"two divisions", "/api/v2/routing/queues?divisionId=" + emeaDivID + "&divisionId=" + salesDivID, "Retention,Sales Inbound", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := c.list(tt.path)
			if l.names() != tt.want || l.Total != tt.total {
				t.Fatalf("got %q (total %d), want %q (total %d)", l.names(), l.Total, tt.want, tt.total)
			}
		})
	}
	l := c.list("/api/v2/routing/queues?name=Billing")
	if l.Entities[0].ID != billingQueueID || l.Entities[0].MemberCount != 1 {
		t.Fatalf("Billing: %+v", l.Entities[0])
	}
	var q struct {
		ID          string `json:"id"`
		MemberCount int    `json:"memberCount"`
		Division    struct {
			ID string `json:"id"`
		} `json:"division"`
	}
	c.do("GET", "/api/v2/routing/queues/"+billingQueueID, nil).decode(t, &q)
	if q.ID != billingQueueID || q.MemberCount != 1 || q.Division.ID != homeDivID {
		t.Fatalf("queue %+v", q)
	}
	c.do("GET", "/api/v2/routing/queues/"+unknownEntityID, nil).wantError(t, 404, "resource.not.found")
	c.do("GET", "/api/v2/routing/queues?sortOrder=sideways", nil).wantError(t, 400, "invalid.query.param.value")
}

func TestQueueMembers(t *testing.T) {
	srv, c := start(t, Options{})
	a := c.createUser("Alice Queue", "alice.queue@example.com")
	b := c.createUser("Bob Queue", "bob.queue@example.com")
	members := "/api/v2/routing/queues/" + billingQueueID + "/members"
	ids := func(ids ...string) []map[string]string {
		out := []map[string]string{}
		for _, id := range ids {
			out = append(out, map[string]string{"id": id})
		}
		return out
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("0e000000-0000-4000-8000-%012d", i+100)
	}
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
	}{
		{"more than 100", members, ids(many...), 400, "bad.request"},
		{"empty", members, ids(), 400, "bad.request"},
		{"unknown queue", "/api/v2/routing/queues/" + unknownEntityID + "/members", ids(a.ID), 404, "resource.not.found"},
		{"unknown user", members, ids(a.ID, unknownEntityID), 400, "invalid.id"},
		{"deleted user", members, ids(deletedID), 400, "invalid.id"},
		{"bad delete flag", members + "?delete=maybe", ids(a.ID), 400, "invalid.query.param.value"},
		{"add", members + "?delete=false", ids(a.ID, b.ID, agentID), 200, ""},
		{"add again", members, ids(a.ID), 200, ""},
		{"remove a non-member", "/api/v2/routing/queues/" + salesQueueID + "/members?delete=true", ids(a.ID), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", tt.path, tt.body)
			if r.wantOutcome(t, tt.status, tt.code) && len(r.body) != 0 {
				t.Fatalf("body %q, want none", r.body)
			}
		})
	}
	if n := srv.Sim.Counters().LimitRejections; n != 1 {
		t.Fatalf("LimitRejections = %d, want 1 (the 101 members)", n)
	}
	if q, _ := srv.Sim.State().Queue("Billing"); strings.Join(q.Members, ",") != strings.Join([]string{agentID, a.ID, b.ID}, ",") {
		t.Fatalf("members %v", q.Members)
	}

	t.Run("paging without total", func(t *testing.T) {
		var pages []string
		for n := 1; n <= 3; n++ {
			r := c.do("GET", fmt.Sprintf("%s?pageSize=2&pageNumber=%d&memberBy=user", members, n), nil)
			r.want(t, 200)
			var raw map[string]json.RawMessage
			r.decode(t, &raw)
			for _, k := range []string{"total", "pageCount", "lastUri"} {
				if _, ok := raw[k]; ok {
					t.Fatalf("page %d has %s: %s", n, k, r.body)
				}
			}
			var l struct {
				Entities []struct {
					ID       string `json:"id"`
					Name     string `json:"name"`
					Joined   bool   `json:"joined"`
					MemberBy string `json:"memberBy"`
					User     struct {
						ID string `json:"id"`
					} `json:"user"`
				} `json:"entities"`
				PageSize int    `json:"pageSize"`
				FirstURI string `json:"firstUri"`
				SelfURI  string `json:"selfUri"`
				NextURI  string `json:"nextUri"`
			}
			r.decode(t, &l)
			var names []string
			for _, e := range l.Entities {
				if !e.Joined || e.MemberBy != "user" || e.User.ID != e.ID {
					t.Fatalf("member %+v", e)
				}
				names = append(names, e.Name)
			}
			pages = append(pages, strings.Join(names, "+"))
			if want := n == 1; (l.NextURI != "") != want || l.FirstURI == "" || l.SelfURI == "" || l.PageSize != 2 {
				t.Fatalf("page %d links: %s", n, r.body)
			}
		}
		if got := strings.Join(pages, "|"); got != "Alice Queue+Bob Queue|Existing Agent|" {
			t.Fatalf("pages %q", got)
		}
	})
	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			n     int
		}{{"joined=true", 3}, {"joined=false", 0}, {"memberBy=group", 0}, {"name=queue", 2}} {
			var l struct {
				Entities []any `json:"entities"`
			}
			c.do("GET", members+"?"+tt.query, nil).decode(t, &l)
			if len(l.Entities) != tt.n {
				t.Errorf("%s: %d members, want %d", tt.query, len(l.Entities), tt.n)
			}
		}
		c.do("GET", members+"?pageSize=101", nil).wantError(t, 400, "invalid.value")
		c.do("GET", members+"?joined=yes", nil).wantError(t, 400, "invalid.query.param.value")
	})
	t.Run("user queues", func(t *testing.T) {
		c.do("POST", "/api/v2/routing/queues/"+tier1QueueID+"/members", ids(a.ID)).want(t, 200)
		l := c.list("/api/v2/users/" + a.ID + "/queues")
		if l.names() != "Billing,Support Tier 1" || l.Total != 2 || l.Entities[0].Joined == nil || !*l.Entities[0].Joined {
			t.Fatalf("user queues %+v", l)
		}
		if l := c.list("/api/v2/users/" + a.ID + "/queues?divisionId=" + supportDivID); l.names() != "Support Tier 1" {
			t.Fatalf("by division: %q", l.names())
		}
		if l := c.list("/api/v2/users/" + a.ID + "/queues?joined=false"); l.Total != 0 {
			t.Fatalf("joined=false: %+v", l)
		}
		c.do("GET", "/api/v2/users/"+unknownEntityID+"/queues", nil).wantError(t, 404, "not.found")
	})
	t.Run("remove", func(t *testing.T) {
		c.do("POST", members+"?delete=true", ids(a.ID, b.ID)).want(t, 200)
		if l := c.list("/api/v2/routing/queues?name=Billing"); l.Entities[0].MemberCount != 1 {
			t.Fatalf("memberCount after removal: %+v", l.Entities[0])
		}
		st, _ := srv.Sim.State().User("alice.queue@example.com")
		if strings.Join(st.Queues, ",") != "Support Tier 1" {
			t.Fatalf("state queues %v", st.Queues)
		}
	})
	t.Run("a deleted user leaves its queues", func(t *testing.T) {
		adminClient(t, srv, c).do("DELETE", "/api/v2/users/"+a.ID, nil).want(t, 200)
		if q, _ := srv.Sim.State().Queue("Support Tier 1"); len(q.Members) != 0 {
			t.Fatalf("members %v", q.Members)
		}
	})
}

func TestSkillsAndLanguagesLists(t *testing.T) {
	_, c := start(t, Options{})
	tests := []struct {
		name, path, want string
	}{
		{"skills by name", "/api/v2/routing/skills", "Billing,Escalations,Retention Offers,Spanish Support"},
		{"skills start with", "/api/v2/routing/skills?name=spa", "Spanish Support"},
		{"skills need the start", "/api/v2/routing/skills?name=Support", ""},
		{"skills by id", "/api/v2/routing/skills?id=" + escalationsID, "Escalations"},
		{"languages", "/api/v2/routing/languages?pageSize=100", "English,French,German,Spanish"},
		{"languages descending", "/api/v2/routing/languages?sortOrder=descending", "Spanish,German,French,English"},
		{"languages exact", "/api/v2/routing/languages?name=spanish", "Spanish"},
		{"languages not a prefix", "/api/v2/routing/languages?name=Span", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.list(tt.path).names(); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if l := c.list("/api/v2/routing/skills?pageSize=1&pageNumber=2"); l.Total != 4 || l.PageCount != 4 || l.names() != "Escalations" || l.Entities[0].State != "active" {
		t.Fatalf("paging: %+v", l)
	}
}

type levelOut struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Proficiency float64 `json:"proficiency"`
	State       string  `json:"state"`
}

type levelListing struct {
	Entities []levelOut `json:"entities"`
	Total    int        `json:"total"`
}

func (l levelListing) String() string {
	var out []string
	for _, e := range l.Entities {
		out = append(out, fmt.Sprintf("%s=%g", e.Name, e.Proficiency))
	}
	return strings.Join(out, ",")
}

func levels(pairs ...any) []map[string]any {
	out := []map[string]any{}
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, map[string]any{"id": pairs[i], "proficiency": pairs[i+1]})
	}
	return out
}

// tooManyLevels is a bulk body of 51 levels whose ids, made from idPrefix, name nothing.
func tooManyLevels(idPrefix string) []map[string]any {
	out := make([]any, 0, 102)
	for i := range 51 {
		out = append(out, fmt.Sprintf("%s-%012d", idPrefix, i+100), 1)
	}
	return levels(out...)
}

func TestUserSkills(t *testing.T) {
	srv, c := start(t, Options{})
	u := c.createUser("Skilled", "skilled@example.com")
	path := "/api/v2/users/" + u.ID + "/routingskills"
	many := tooManyLevels("5c000000-0000-4000-8000")
	errs := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
	}{
		{"more than 50", "PATCH", path + "/bulk", many, 400, "bad.request"},
		{"more than 50 replacing", "PUT", path + "/bulk", many, 400, "bad.request"},
		{"proficiency above 5", "PATCH", path + "/bulk", levels(billingSkillID, 5.1), 400, "invalid.value"},
		{"negative proficiency", "PATCH", path + "/bulk", levels(billingSkillID, -1), 400, "invalid.value"},
		{"missing proficiency", "PATCH", path + "/bulk", []map[string]any{{"id": billingSkillID}}, 400, "bad.request"},
		{"unknown skill", "PATCH", path + "/bulk", levels(billingSkillID, 3, unknownEntityID, 2), 404, "general.resource.not.found"},
		{"unknown user", "PATCH", "/api/v2/users/" + unknownEntityID + "/routingskills/bulk", levels(billingSkillID, 3), 404, "general.resource.not.found"},
		{"not an array", "PATCH", path + "/bulk", map[string]any{"id": billingSkillID}, 400, "bad.request"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			c.do(tt.method, tt.path, tt.body).wantError(t, tt.status, tt.code)
		})
	}
	if n := srv.Sim.Counters().LimitRejections; n != 2 {
		t.Fatalf("LimitRejections = %d, want 2", n)
	}
	if st, _ := srv.Sim.State().User("skilled@example.com"); len(st.Skills) != 0 {
		t.Fatalf("a refused call changed skills: %v", st.Skills)
	}

	steps := []struct {
		name   string
		method string
		body   any
		want   string
	}{
		{"add", "PATCH", levels(spanishSkillID, 4, billingSkillID, 2.5), "Billing=2.5,Spanish Support=4"},
		{"update and add", "PATCH", levels(billingSkillID, 5, escalationsID, 0), "Billing=5,Escalations=0,Spanish Support=4"},
		{"empty patch", "PATCH", levels(), "Billing=5,Escalations=0,Spanish Support=4"},
		{"replace", "PUT", levels(escalationsID, 1.5), "Escalations=1.5"},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(tt.method, path+"/bulk", tt.body)
			r.want(t, 200)
			var l levelListing
			r.decode(t, &l)
			if l.String() != tt.want || l.Total != len(l.Entities) {
				t.Fatalf("got %s (total %d), want %s", l, l.Total, tt.want)
			}
		})
	}
	c.do("PATCH", path+"/bulk", levels(billingSkillID, 3, spanishSkillID, 2)).want(t, 200)
	var l levelListing
	c.do("GET", path+"?pageSize=2&pageNumber=2", nil).decode(t, &l)
	if l.String() != "Spanish Support=2" || l.Total != 3 || l.Entities[0].State != "active" {
		t.Fatalf("GET page 2: %+v", l)
	}
	c.do("DELETE", path+"/"+escalationsID, nil).want(t, 200)
	c.do("DELETE", path+"/"+escalationsID, nil).wantError(t, 404, "general.resource.not.found")
	var ux struct {
		Skills []levelOut `json:"skills"`
	}
	c.do("GET", "/api/v2/users/"+u.ID+"?expand=skills", nil).decode(t, &ux)
	if len(ux.Skills) != 2 || ux.Skills[0].Name != "Billing" || ux.Skills[0].Proficiency != 3 {
		t.Fatalf("expand=skills: %+v", ux.Skills)
	}
	st, _ := srv.Sim.State().User("skilled@example.com")
	if len(st.Skills) != 2 || st.Skills["Billing"] != 3 || st.Skills["Spanish Support"] != 2 {
		t.Fatalf("state skills %v", st.Skills)
	}
	if st.Version != 1 {
		t.Fatalf("skill calls changed the user's version to %d", st.Version)
	}
}

func TestUserLanguages(t *testing.T) {
	srv, c := start(t, Options{})
	u := c.createUser("Lingual", "lingual@example.com")
	path := "/api/v2/users/" + u.ID + "/routinglanguages"
	c.do("PATCH", path+"/bulk", tooManyLevels("1a000000-0000-4000-8000")).wantError(t, 400, "bad.request")
	c.do("PATCH", path+"/bulk", levels(spanishLangID, 6)).wantError(t, 400, "invalid.value")
	c.do("PATCH", path+"/bulk", levels(unknownEntityID, 2)).wantError(t, 404, "general.resource.not.found")
	// There is no PUT .../routinglanguages/bulk in SPEC.
	c.do("PUT", path+"/bulk", levels(spanishLangID, 2)).wantError(t, 404, "not.found")

	r := c.do("PATCH", path+"/bulk", levels(spanishLangID, 4.4, frenchLangID, 2.5))
	r.want(t, 200)
	var l levelListing
	r.decode(t, &l)
	if l.String() != "French=3,Spanish=4" {
		t.Fatalf("languages %s (proficiencies are rounded)", l)
	}
	c.do("DELETE", path+"/"+frenchLangID, nil).want(t, 204)
	c.do("GET", path, nil).decode(t, &l)
	if l.String() != "Spanish=4" || l.Total != 1 {
		t.Fatalf("after delete: %s", l)
	}
	st, _ := srv.Sim.State().User("lingual@example.com")
	if len(st.Languages) != 1 || st.Languages["Spanish"] != 4 {
		t.Fatalf("state languages %v", st.Languages)
	}
	if n := srv.Sim.Counters().LimitRejections; n != 1 {
		t.Fatalf("LimitRejections = %d, want 1", n)
	}
}

func TestLocations(t *testing.T) {
	srv, c := start(t, Options{})
	if l := c.list("/api/v2/locations?pageSize=100"); l.names() != "Dublin Office,Indianapolis HQ,Remote" || l.Total != 3 || l.Entities[0].State != "active" {
		t.Fatalf("locations %+v", l)
	}
	c.do("GET", "/api/v2/locations?pageSize=101", nil).wantError(t, 400, "invalid.value")
	var loc struct {
		ID, Name, State string
	}
	c.do("GET", "/api/v2/locations/"+dublinID, nil).decode(t, &loc)
	if loc.ID != dublinID || loc.Name != "Dublin Office" || loc.State != "active" {
		t.Fatalf("location %+v", loc)
	}
	c.do("GET", "/api/v2/locations/"+unknownEntityID, nil).wantError(t, 404, "general.resource.not.found")

	query := func(field, value string) map[string]any {
		return map[string]any{"query": []map[string]any{{"type": "EXACT", "fields": []string{field}, "value": value}}}
	}
	tests := []struct {
		name  string
		body  any
		total int
	}{
		{"by name", query("name", "Indianapolis HQ"), 1},
		{"name is exact", query("name", "Indianapolis"), 0},
		{"by id", query("id", dublinID), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("POST", "/api/v2/locations/search", tt.body)
			r.want(t, 200)
			var out struct {
				Total   int `json:"total"`
				Results []struct {
					ID string `json:"id"`
				} `json:"results"`
			}
			r.decode(t, &out)
			if out.Total != tt.total || len(out.Results) != tt.total {
				t.Fatalf("%s", r.body)
			}
		})
	}
	c.do("POST", "/api/v2/locations/search", query("notes", "x")).wantError(t, 400, "invalid.value")
	if w := srv.Sim.Counters().Writes; w != 0 {
		t.Fatalf("location reads and searches counted as %d writes", w)
	}
}

// Omitting joined lists every queue the user is a member of: SPEC's default is joined=true,
// and every simulated member is joined.
func TestUserQueuesWithoutJoined(t *testing.T) {
	_, c := start(t, Options{})
	u := c.createUser("Queued", "queued@example.com")
	for _, q := range []string{salesQueueID, billingQueueID, tier1QueueID} {
		c.do("POST", "/api/v2/routing/queues/"+q+"/members", []map[string]string{{"id": u.ID}}).want(t, 200)
	}
	const all = "Billing,Sales Inbound,Support Tier 1"
	for _, q := range []string{"", "?joined=true", "?joined=TRUE&pageSize=500"} {
		l := c.list("/api/v2/users/" + u.ID + "/queues" + q)
		if l.names() != all || l.Total != 3 || l.PageCount != 1 {
			t.Fatalf("queues%s: %q total %d", q, l.names(), l.Total)
		}
		for _, e := range l.Entities {
			if e.Joined == nil || !*e.Joined {
				t.Fatalf("queues%s: %s not joined", q, e.Name)
			}
		}
	}
	if l := c.list("/api/v2/users/" + u.ID + "/queues?pageSize=2&pageNumber=2"); l.names() != "Support Tier 1" || l.Total != 3 || l.PageCount != 2 {
		t.Fatalf("second page: %+v", l)
	}
	if l := c.list("/api/v2/users/" + agentID + "/queues"); l.names() != "Billing" {
		t.Fatalf("seed agent queues %q", l.names())
	}
}
