package spec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// TestEverySimulatorRoute sends a conforming request to every route the simulator serves,
// through a Validator, so that its answers are checked whether or not the tool calls them.
func TestEverySimulatorRoute(t *testing.T) {
	t.Parallel()
	chk := checker(t)
	sim := gcsim.New(gcsim.Options{AuthLag: -1, GroupLag: -1, StationAssociateLag: -1})
	v := chk.Wrap(sim)
	srv := gcsim.NewServerHandler(t, sim, v)
	c := &simClient{t: t, base: srv.URL}
	c.login("test-client", "test-secret-not-real")

	home := c.id("GET", "/api/v2/authorization/divisions/home", "", "")
	sales := c.listed("/api/v2/authorization/divisions", "Sales")
	c.ok("GET", "/api/v2/authorization/divisions/"+sales, "")
	agentRole := c.listed("/api/v2/authorization/roles", "Agent")
	commRole := c.listed("/api/v2/authorization/roles", "Communicate - User")
	annuities := c.listed("/api/v2/groups", "Annuities")
	c.ok("GET", "/api/v2/groups/"+annuities, "")
	c.ok("POST", "/api/v2/groups/search", `{"query":[{"type":"EXACT","fields":["name"],"value":"Annuities"}],"pageSize":25,"pageNumber":1}`)
	c.ok("POST", "/api/v2/groups/search", `{"query":[{"type":"EXACT","fields":["name"],"value":"No Such Group"}]}`)
	billingQueue := c.listed("/api/v2/routing/queues", "Billing")
	c.ok("GET", "/api/v2/routing/queues/"+billingQueue, "")
	billingSkill := c.listed("/api/v2/routing/skills", "Billing")
	escalations := c.listed("/api/v2/routing/skills", "Escalations")
	spanish := c.listed("/api/v2/routing/languages", "Spanish")
	remote := c.listed("/api/v2/locations", "Remote")
	c.ok("GET", "/api/v2/locations/"+remote, "")
	c.ok("POST", "/api/v2/locations/search", `{"query":[{"type":"EXACT","fields":["name"],"value":"Remote"}],"pageSize":25,"pageNumber":1}`)
	c.ok("POST", "/api/v2/locations/search", `{"query":[{"type":"EXACT","fields":["name"],"value":"No Such Place"}]}`)
	site := c.listed("/api/v2/telephony/providers/edges/sites", "My PCV Site")
	c.ok("GET", "/api/v2/telephony/providers/edges/sites/"+site, "")
	base := c.listed("/api/v2/telephony/providers/edges/phonebasesettings", "WebRTC_Base")
	var pb struct {
		Lines []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"lines"`
		PhoneMetaBase struct {
			ID string `json:"id"`
		} `json:"phoneMetaBase"`
	}
	c.decode(c.ok("GET", "/api/v2/telephony/providers/edges/phonebasesettings/"+base, ""), &pb)
	if len(pb.Lines) == 0 {
		t.Fatalf("phone base %s has no line", base)
	}
	c.ok("GET", "/api/v2/telephony/providers/edges/phones?pageSize=25&pageNumber=1", "")
	c.ok("GET", "/api/v2/stations?pageSize=25&pageNumber=1", "")
	c.ok("GET", "/api/v2/users?pageSize=25&pageNumber=1&expand=groups,station,skills,languages,locations,employerInfo&state=any", "")
	supervisor := c.searchUser("existing.supervisor@example.com")
	c.ok("POST", "/api/v2/users/search", `{"query":[{"type":"EXACT","fields":["email"],"values":["nobody@example.com"]}]}`)

	uid := c.id("POST", "/api/v2/users", `{"name":"Route User","email":"route.user@example.com","divisionId":"`+home+`","state":"active",`+
		`"addresses":[{"mediaType":"PHONE","type":"WORK","address":"+13175550100"}]}`, "")
	c.ok("GET", "/api/v2/users/"+uid+"?expand=groups,station,skills,languages,locations,employerInfo", "")
	c.ok("PATCH", "/api/v2/users/"+uid, `{"version":1,"title":"Agent","manager":"`+supervisor+`","locations":[{"id":"`+remote+`"}],`+
		`"employerInfo":{"employeeId":"E1","employeeType":"Full-time","dateHire":"2024-01-08"}}`)
	c.ok("POST", "/api/v2/users/"+uid+"/password", `{"newPassword":"Welcome2024!"}`)
	c.ok("POST", "/api/v2/users/"+uid+"/invite", "")
	c.ok("POST", "/api/v2/users/search", `{"query":[{"type":"EXACT","fields":["email"],"values":["route.user@example.com"]},`+
		`{"type":"EXACT","fields":["state"],"values":["active","inactive","deleted"]}],"expand":["groups"],"pageSize":25,"pageNumber":1}`)

	c.ok("POST", "/api/v2/authorization/divisions/"+sales+"/objects/USER", `["`+uid+`"]`)
	c.ok("POST", "/api/v2/authorization/roles/"+agentRole, `{"subjectIds":["`+uid+`"],"divisionIds":["`+sales+`"]}`)
	c.ok("POST", "/api/v2/authorization/subjects/"+uid+"/bulkadd", `{"grants":[{"roleId":"`+commRole+`","divisionId":"`+home+`"},`+
		`{"roleId":"`+agentRole+`","divisionId":"*"}]}`)
	c.ok("GET", "/api/v2/authorization/subjects/"+uid+"?includeDuplicates=true", "")
	c.ok("GET", "/api/v2/authorization/roles/"+agentRole+"/subjectgrants?pageSize=25&pageNumber=1", "")
	c.ok("POST", "/api/v2/authorization/subjects/"+uid+"/bulkremove", `{"grants":[{"roleId":"`+commRole+`","divisionId":"`+home+`"}]}`)
	c.ok("POST", "/api/v2/authorization/subjects/"+uid+"/bulkreplace", `{"grants":[{"roleId":"`+agentRole+`","divisionId":"`+home+`"}]}`)
	c.ok("DELETE", "/api/v2/authorization/subjects/"+uid+"/divisions/"+home+"/roles/"+agentRole, "")

	c.ok("POST", "/api/v2/groups/"+annuities+"/members", `{"memberIds":["`+uid+`"],"version":`+c.groupVersion(annuities)+`}`)
	c.ok("GET", "/api/v2/groups/"+annuities+"/members?pageSize=25&pageNumber=1", "")
	c.ok("GET", "/api/v2/groups/"+annuities+"/individuals", "")
	c.ok("DELETE", "/api/v2/groups/"+annuities+"/members?ids="+uid, "")

	c.ok("POST", "/api/v2/routing/queues/"+billingQueue+"/members", `[{"id":"`+uid+`"}]`)
	c.ok("GET", "/api/v2/routing/queues/"+billingQueue+"/members?pageSize=25&pageNumber=1", "")
	c.ok("GET", "/api/v2/users/"+uid+"/queues?pageSize=25&pageNumber=1", "")
	c.ok("POST", "/api/v2/routing/queues/"+billingQueue+"/members?delete=true", `[{"id":"`+uid+`"}]`)

	c.ok("PATCH", "/api/v2/users/"+uid+"/routingskills/bulk", `[{"id":"`+billingSkill+`","proficiency":4}]`)
	c.ok("PUT", "/api/v2/users/"+uid+"/routingskills/bulk", `[{"id":"`+billingSkill+`","proficiency":3},{"id":"`+escalations+`","proficiency":2.5}]`)
	c.ok("GET", "/api/v2/users/"+uid+"/routingskills?pageSize=25&pageNumber=1", "")
	c.ok("DELETE", "/api/v2/users/"+uid+"/routingskills/"+escalations, "")
	c.ok("PATCH", "/api/v2/users/"+uid+"/routinglanguages/bulk", `[{"id":"`+spanish+`","proficiency":3}]`)
	c.ok("GET", "/api/v2/users/"+uid+"/routinglanguages?pageSize=25&pageNumber=1", "")
	c.ok("DELETE", "/api/v2/users/"+uid+"/routinglanguages/"+spanish, "")

	line := `{"id":"` + pb.Lines[0].ID + `"}`
	phone := c.id("POST", "/api/v2/telephony/providers/edges/phones", `{"name":"Route User WebRTC","site":{"id":"`+site+`"},`+
		`"phoneBaseSettings":{"id":"`+base+`"},"lineBaseSettings":`+line+`,"phoneMetaBase":{"id":"`+pb.PhoneMetaBase.ID+`"},`+
		`"lines":[{"name":"`+pb.Lines[0].Name+`","lineBaseSettings":`+line+`}],"webRtcUser":{"id":"`+uid+`"}}`, "")
	c.ok("GET", "/api/v2/telephony/providers/edges/phones/"+phone, "")
	station := c.id("GET", "/api/v2/stations?pageSize=25&pageNumber=1&webRtcUserId="+uid, "", "entities")
	c.ok("GET", "/api/v2/stations/"+station, "")
	c.ok("PUT", "/api/v2/users/"+uid+"/station/defaultstation/"+station, "")
	c.ok("GET", "/api/v2/users/"+uid+"/station", "")
	c.ok("DELETE", "/api/v2/users/"+uid+"/station/defaultstation", "")
	c.ok("DELETE", "/api/v2/telephony/providers/edges/phones/"+phone, "")

	// Who acts: the OAuth client's definition, and the person of a SAML2 bearer token.
	c.ok("GET", "/api/v2/oauth/clients/test-client", "")
	c.status(400, "GET", "/api/v2/users/me?expand=authorization", "")
	person := &simClient{t: t, base: srv.URL}
	person.loginSAML("existing.supervisor@example.com")
	person.ok("GET", "/api/v2/users/me?expand=authorization,groups", "")
	person.ok("GET", "/api/v2/users/me", "")

	// test-client's role may not delete a user (403 missing.any.permissions); an admin may.
	admin := &simClient{t: t, base: srv.URL}
	admin.login("gcsim-admin-client", "gcsim-admin-secret-not-real")
	c.status(403, "DELETE", "/api/v2/users/"+uid, "")
	admin.ok("DELETE", "/api/v2/users/"+uid, "")

	// Error answers: ErrorBody, with the statuses the operations declare.
	c.status(404, "GET", "/api/v2/users/"+uid+"0", "")
	c.status(404, "GET", "/api/v2/authorization/roles/no-such-role/subjectgrants", "")
	c.status(400, "POST", "/api/v2/users", `{"name":"Bad Division","email":"bad.division@example.com","divisionId":"no-such-division"}`)
	c.status(409, "POST", "/api/v2/users", `{"name":"Existing Agent","email":"existing.agent@example.com","divisionId":"`+home+`"}`)
	c.status(409, "POST", "/api/v2/groups/"+annuities+"/members", `{"memberIds":["`+supervisor+`"],"version":1000}`)
	c.status(404, "GET", "/api/v2/oauth/clients/no-such-client", "")
	token := c.token
	c.token = "not-a-token"
	c.status(401, "GET", "/api/v2/authorization/divisions/home", "")
	c.token = token

	cov := chk.Coverage(v)
	if len(cov.Uncovered) > 0 {
		t.Errorf("routes never answered 2xx: %v", cov.Uncovered)
	}
	Report(t, v.Violations())
	t.Log(cov)
}

// simClient talks to a simulator with plain net/http.
type simClient struct {
	t     *testing.T
	base  string
	token string
}

// login gets a client-credentials token of the OAuth client id.
func (c *simClient) login(id, secret string) {
	c.token = c.grant(id, secret, url.Values{"grant_type": {"client_credentials"}})
}

// loginSAML gets a token acting as the user with this email, by the SAML2 bearer grant.
func (c *simClient) loginSAML(email string) {
	org := gcsim.DefaultOrg()
	assertion := gcsim.Assertion(org.SAMLIssuer, email, time.Now().Add(time.Minute))
	c.token = c.grant("gcsim-saml-client", "gcsim-saml-secret-not-real", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:saml2-bearer"}, "orgName": {org.ShortName},
		"assertion": {base64.StdEncoding.EncodeToString([]byte(assertion))},
	})
}

// grant sends a token request to /oauth/token and returns the access token.
func (c *simClient) grant(id, secret string, form url.Values) string {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.decode(c.send(req, 0), &tok)
	return tok.AccessToken
}

// ok sends a request and fails the test unless it is answered 2xx; it returns the body.
func (c *simClient) ok(method, path, body string) []byte {
	c.t.Helper()
	return c.status(0, method, path, body)
}

// status sends a request and fails the test unless it is answered want (0: any 2xx); it
// returns the body.
func (c *simClient) status(want int, method, path, body string) []byte {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	return c.send(req, want)
}

func (c *simClient) send(req *http.Request, want int) []byte {
	c.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	if err != nil || want == 0 && res.StatusCode/100 != 2 || want != 0 && res.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s %v", req.Method, req.URL.Path, res.StatusCode, b, err)
	}
	return b
}

func (c *simClient) decode(b []byte, v any) {
	c.t.Helper()
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		c.t.Fatalf("decode %s: %v", b, err)
	}
}

// id sends a request and returns the id of the answer, or of the first item of its list
// member when list is not "".
func (c *simClient) id(method, path, body, list string) string {
	c.t.Helper()
	b := c.ok(method, path, body)
	var one struct {
		ID string `json:"id"`
	}
	if list != "" {
		var members map[string]json.RawMessage
		c.decode(b, &members)
		var items []json.RawMessage
		c.decode(members[list], &items)
		if len(items) == 0 {
			c.t.Fatalf("%s %s: no %s in %s", method, path, list, b)
		}
		b = items[0]
	}
	c.decode(b, &one)
	if one.ID == "" {
		c.t.Fatalf("%s %s: no id in %s", method, path, b)
	}
	return one.ID
}

// listed returns the id of the item named name in a listing.
func (c *simClient) listed(path, name string) string {
	c.t.Helper()
	var l struct {
		Entities []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"entities"`
	}
	c.decode(c.ok("GET", path+"?pageSize=100&pageNumber=1", ""), &l)
	for _, e := range l.Entities {
		if e.Name == name {
			return e.ID
		}
	}
	c.t.Fatalf("GET %s: no %q", path, name)
	return ""
}

// searchUser returns the id of the user with this email.
func (c *simClient) searchUser(email string) string {
	c.t.Helper()
	var r struct {
		Results []struct {
			ID string `json:"id"`
		} `json:"results"`
	}
	c.decode(c.ok("POST", "/api/v2/users/search", `{"query":[{"type":"EXACT","fields":["email"],"values":["`+email+`"]}]}`), &r)
	if len(r.Results) != 1 {
		c.t.Fatalf("search %s: %d results", email, len(r.Results))
	}
	return r.Results[0].ID
}

// groupVersion returns a group's version, as JSON.
func (c *simClient) groupVersion(id string) string {
	c.t.Helper()
	var g struct {
		Version json.Number `json:"version"`
	}
	c.decode(c.ok("GET", "/api/v2/groups/"+id, ""), &g)
	return g.Version.String()
}
