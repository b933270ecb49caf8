package gcsim

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
)

// Seed ids the tests rely on (testdata/org.json).
const (
	homeDivID      = "1d1a0000-0000-4000-8000-000000000001"
	salesDivID     = "1d1a0000-0000-4000-8000-000000000002"
	supportDivID   = "1d1a0000-0000-4000-8000-000000000003"
	commRoleID     = "20e50000-0000-4000-8000-000000000001"
	employeeRoleID = "20e50000-0000-4000-8000-000000000002"
	agentRoleID    = "20e50000-0000-4000-8000-000000000003"
	annuitiesID    = "36000000-0000-4000-8000-000000000001"
	iraID          = "36000000-0000-4000-8000-000000000002"
	siteID         = "5e7e0000-0000-4000-8000-000000000001"
	webrtcBaseID   = "9b000000-0000-4000-8000-000000000001"
	webrtcLineID   = "9b000000-0000-4000-8000-000000000011"
	polycomBaseID  = "9b000000-0000-4000-8000-000000000002"
	agentID        = "0e000000-0000-4000-8000-000000000001"
	supervisorID   = "0e000000-0000-4000-8000-000000000002"
	inactiveID     = "0e000000-0000-4000-8000-000000000003"
	deletedID      = "0e000000-0000-4000-8000-000000000004"
	placedID       = "0e000000-0000-4000-8000-000000000005"
	agentStationID = "57a70000-0000-4000-8000-000000000001"
)

// client talks to a simulator with plain net/http.
type client struct {
	t     testing.TB
	base  string
	token string
	hc    *http.Client
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func newClient(t testing.TB, srv *Server) *client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := &client{t: t, base: srv.URL, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	r := c.tokenRequest("test-client", "test-secret-not-real", "client_credentials")
	if r.status != http.StatusOK {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.decode(t, &tok)
	c.token = tok.AccessToken
	return c
}

// clientOf returns a client of the OAuth client id, sharing hc, holding a token of its own.
func clientOf(t testing.TB, srv *Server, hc *http.Client, id, secret string) *client {
	t.Helper()
	a := &client{t: t, base: srv.URL, hc: hc}
	r := a.tokenRequest(id, secret, "client_credentials")
	r.want(t, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.decode(t, &tok)
	a.token = tok.AccessToken
	return a
}

// adminClient returns a client of gcsim-admin-client, whose role holds every permission,
// sharing c's HTTP client: for test setup that user-provisioning's role may not do, such as
// deleting a user.
func adminClient(t testing.TB, srv *Server, c *client) *client {
	return clientOf(t, srv, c.hc, "gcsim-admin-client", "gcsim-admin-secret-not-real")
}

// start returns a server and a client holding a token.
func start(t testing.TB, opts Options) (*Server, *client) {
	t.Helper()
	srv := NewServer(t, opts)
	return srv, newClient(t, srv)
}

func (c *client) tokenRequest(id, secret, grant string) reply {
	c.t.Helper()
	return c.tokenForm("/oauth/token", id, secret, url.Values{"grant_type": {grant}})
}

// tokenForm posts a token request with Basic credentials id and secret to path.
func (c *client) tokenForm(path, id, secret string, form url.Values) reply {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	r, err := c.send(req)
	if err != nil {
		c.t.Fatalf("token request: %v", err)
	}
	return r
}

// Credentials of the default org's person grants (testdata/org.json).
const (
	samlClient, samlSecret         = "gcsim-saml-client", "gcsim-saml-secret-not-real"
	passwordClient, passwordSecret = "gcsim-password-client", "gcsim-password-secret-not-real"
	supervisorPassword             = "supervisor-password-not-real"
	agentPassword                  = "agent-password-not-real"
)

// samlForm is the form of a SAML2 bearer grant for a base64 assertion, orgName gcsim.
func samlForm(assertion string) url.Values {
	return url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:saml2-bearer"}, "orgName": {DefaultShortName},
		"assertion": {assertion},
	}
}

// encodedAssertion is a base64 assertion of the default org's identity provider for email,
// valid for a minute.
func encodedAssertion(email string) string {
	return base64.StdEncoding.EncodeToString([]byte(Assertion(DefaultSAMLIssuer, email, time.Now().Add(time.Minute))))
}

// tokenAnswer is a successful token answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// oauthErr is an OAuth error answer.
type oauthErr struct {
	Error       string `json:"error"`
	Description string `json:"description"`
	ErrorDesc   string `json:"error_description"`
}

// wantOAuthError checks a 400 OAuth error answer.
func (r reply) wantOAuthError(t testing.TB, code, desc string) {
	t.Helper()
	var e oauthErr
	if r.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", r.status, r.body)
	}
	r.decode(t, &e)
	if e.Error != code || e.Description != desc || e.ErrorDesc != desc {
		t.Fatalf("error answer %s, want %s / %s", r.body, code, desc)
	}
}

// person returns a client holding a token that acts as the user with this email, by the
// SAML2 bearer grant; c gives the server and the HTTP client.
func person(t testing.TB, c *client, email string) *client {
	t.Helper()
	p := &client{t: t, base: c.base, hc: c.hc}
	r := p.tokenForm("/oauth/token", samlClient, samlSecret, samlForm(encodedAssertion(email)))
	r.want(t, http.StatusOK)
	var tok tokenAnswer
	r.decode(t, &tok)
	p.token = tok.AccessToken
	return p
}

// try sends a request with the client's token; body is JSON-encoded unless it is a string.
func (c *client) try(method, path string, body any) (reply, error) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.send(req)
}

// do is try that fails the test on a transport error.
func (c *client) do(method, path string, body any) reply {
	c.t.Helper()
	r, err := c.try(method, path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (c *client) send(req *http.Request) (reply, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// errBody is the ErrorBody fields tests look at.
type errBody struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	ContextID string `json:"contextId"`
}

// wantError checks an ErrorBody answer and its correlation header.
func (r reply) wantError(t testing.TB, status int, code string) errBody {
	t.Helper()
	var e errBody
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	r.decode(t, &e)
	if e.Code != code || e.Status != status {
		t.Fatalf("error %s/%d, want %s/%d; body %s", e.Code, e.Status, code, status, r.body)
	}
	if e.ContextID == "" || r.header.Get("ININ-Correlation-Id") != e.ContextID {
		t.Fatalf("contextId %q, ININ-Correlation-Id %q: want equal and set", e.ContextID, r.header.Get("ININ-Correlation-Id"))
	}
	return e
}

func (r reply) want(t testing.TB, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

// wantOutcome checks an answer against a table row: an ErrorBody with code when code is set,
// else the status alone. It reports whether the row expects a success, for further checks.
func (r reply) wantOutcome(t testing.TB, status int, code string) bool {
	t.Helper()
	if code != "" {
		r.wantError(t, status, code)
		return false
	}
	r.want(t, status)
	return true
}

// getJSON GETs path, wants 200 and decodes the answer.
func getJSON[T any](c *client, path string) T {
	c.t.Helper()
	r := c.do("GET", path, nil)
	r.want(c.t, http.StatusOK)
	var v T
	r.decode(c.t, &v)
	return v
}

// apiUserOut is the subset of User the tests read.
type apiUserOut struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Username string `json:"username"`
	State    string `json:"state"`
	Version  int    `json:"version"`
	Division struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"division"`
	Groups *[]struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"groups"`
	Station *struct {
		DefaultStation *struct {
			ID string `json:"id"`
		} `json:"defaultStation"`
	} `json:"station"`
	Authorization *struct {
		Roles []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"roles"`
	} `json:"authorization"`
}

func newUserBody(name, email, divisionID string) map[string]any {
	return map[string]any{"name": name, "email": email, "divisionId": divisionID, "state": "active"}
}

// createUser creates an active user in the home division and returns it.
func (c *client) createUser(name, email string) apiUserOut {
	c.t.Helper()
	r := c.do("POST", "/api/v2/users", newUserBody(name, email, homeDivID))
	r.want(c.t, http.StatusOK)
	var u apiUserOut
	r.decode(c.t, &u)
	return u
}

func emailQuery(email string, states ...string) map[string]any {
	q := []map[string]any{{"type": "EXACT", "fields": []string{"email"}, "value": email}}
	if len(states) > 0 {
		q = append(q, map[string]any{"type": "EXACT", "fields": []string{"state"}, "values": states})
	}
	return map[string]any{"query": q}
}

type searchOut struct {
	Total   int          `json:"total"`
	Results []apiUserOut `json:"results"`
}

func (c *client) search(body any) searchOut {
	c.t.Helper()
	r := c.do("POST", "/api/v2/users/search", body)
	r.want(c.t, http.StatusOK)
	var out searchOut
	r.decode(c.t, &out)
	return out
}

// noLags turns the eventual-consistency lags off (consistency.go), for tests about something
// else; consistency_test.go tests the lags.
func noLags(o Options) Options {
	o.AuthLag, o.GroupLag, o.StationAssociateLag = -1, -1, -1
	return o
}
