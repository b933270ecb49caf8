package proxies

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
)

const (
	testAssertion = "PHNhbWxwOlJlc3BvbnNlPg+/assertion=="
	testOrg       = "acme"
	testUser      = "ann@example.com"
	testPassword  = "correct horse+battery/staple"
	// passwordPath is the password grant's token endpoint on an oauthServer.
	passwordPath = "/custom/token"
)

// tokenCall is one request an oauthServer's token endpoint received.
type tokenCall struct {
	path       string
	form       url.Values
	user, pass string // the Basic pair
}

// tokenAnswer is the token endpoint's answer to its n-th request (from 0).
type tokenAnswer func(n int, form url.Values) (status int, body string)

// issue answers every token request with a new bearer token "tok-N" living ttl seconds.
func issue(ttl int) tokenAnswer {
	return func(n int, _ url.Values) (int, string) {
		return http.StatusOK, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"bearer","expires_in":%d}`, n, ttl)
	}
}

// oauthServer is an httptest server for the grants. Its token endpoints (/oauth/token, and
// passwordPath for the password grant) record every request and answer with answer;
// GET /api/v2/authorization/divisions/home answers 200 to any bearer token but the revoked
// ones, and 401 to those; anything else goes to api, when set.
type oauthServer struct {
	*httptest.Server
	answer tokenAnswer
	api    http.HandlerFunc

	mu      sync.Mutex
	calls   []tokenCall
	revoked map[string]bool
}

func newOAuthServer(t *testing.T, answer tokenAnswer, api http.HandlerFunc) *oauthServer {
	t.Helper()
	s := &oauthServer{answer: answer, api: api, revoked: map[string]bool{}}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *oauthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/oauth/token" || r.URL.Path == passwordPath:
		_ = r.ParseForm()
		user, pass, _ := r.BasicAuth()
		s.mu.Lock()
		n := len(s.calls)
		s.calls = append(s.calls, tokenCall{path: r.URL.Path, form: r.PostForm, user: user, pass: pass})
		s.mu.Unlock()
		status, body := s.answer(n, r.PostForm)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	case r.URL.Path == "/api/v2/authorization/divisions/home":
		s.mu.Lock()
		revoked := s.revoked[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		s.mu.Unlock()
		if revoked {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Invalid login credentials.","code":"bad.credentials","status":401}`)
			return
		}
		fmt.Fprint(w, `{"id":"home","name":"Home"}`)
	case s.api != nil:
		s.api(w, r)
	default:
		http.NotFound(w, r)
	}
}

// tokenCalls returns the token requests received so far.
func (s *oauthServer) tokenCalls() []tokenCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]tokenCall(nil), s.calls...)
}

// revoke makes the API answer 401 to tok.
func (s *oauthServer) revoke(tok string) {
	s.mu.Lock()
	s.revoked[tok] = true
	s.mu.Unlock()
}

// grantClient is a client of the server at base with the grant mod sets.
func grantClient(t *testing.T, base string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: base, ClientID: testClient, ClientSecret: testSecret, RatePerMinute: 60000}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.tr.rand = func() float64 { return 0.01 }
	return c
}

func saml2(c *Config) { c.Grant, c.Assertion, c.OrgName = "saml2-bearer", testAssertion, testOrg }

// password sets the password grant, its token endpoint on the server at c.BaseURL.
func password(c *Config) {
	c.Grant, c.TokenURL, c.Username, c.Password = "password", c.BaseURL+passwordPath, testUser, testPassword
}

// fakeClock is a clock that moves only when told. It is safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// onFakeClock puts c's token on clock, and records the timer its ending arms instead of
// arming it: the returned func reports the last one's delay.
func onFakeClock(c *Client, clock *fakeClock) func() time.Duration {
	var mu sync.Mutex
	var armed time.Duration
	c.tr.tokens.slot(0).now = clock.Now
	c.tr.tokens.life.after = func(d time.Duration, _ func()) { mu.Lock(); armed = d; mu.Unlock() }
	return func() time.Duration { mu.Lock(); defer mu.Unlock(); return armed }
}

// homeDivisionOf calls an API that needs the token.
func homeDivisionOf(c *Client) error {
	_, err := c.Services().Authorization.HomeDivision(context.Background())
	return err
}

// ended reports whether ch is closed.
func ended(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Each grant posts its own form to its token endpoint, with the client's Basic pair.
func TestGrantRequests(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		path string
		form url.Values
	}{
		{"client credentials", nil, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}},
		{"saml2 bearer", saml2, "/oauth/token", url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:saml2-bearer"}, "assertion": {testAssertion}, "orgName": {testOrg}}},
		{"password", password, passwordPath, url.Values{
			"grant_type": {"password"}, "username": {testUser}, "password": {testPassword}, "client_id": {testClient}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newOAuthServer(t, issue(3600), nil)
			c := grantClient(t, srv.URL, tt.mod)
			if err := c.Authenticate(context.Background()); err != nil {
				t.Fatal(err)
			}
			calls := srv.tokenCalls()
			if len(calls) != 1 {
				t.Fatalf("%d token requests, want 1", len(calls))
			}
			got := calls[0]
			if got.path != tt.path || got.user != testClient || got.pass != testSecret {
				t.Errorf("token request to %s as %q:%q; want %s as the client's Basic pair", got.path, got.user, got.pass, tt.path)
			}
			if got.form.Encode() != tt.form.Encode() {
				t.Errorf("form %q, want %q", got.form.Encode(), tt.form.Encode())
			}
			if c.TokenLifetime() != time.Hour {
				t.Errorf("TokenLifetime = %s, want 1h", c.TokenLifetime())
			}
			if st := c.Stats(); st.Tokens != 1 || st.ByRoute["POST "+tt.path] != 1 {
				t.Errorf("stats %+v: the token request must go through the transport", st)
			}
		})
	}
}

// A SAML2 assertion is sent once: a 401 ends the token, the calls after it fail with
// ErrTokenEnded, not ErrAuth, and nothing asks the token endpoint again.
func TestSAML2AssertionSentOnceAcross401(t *testing.T) {
	srv := newOAuthServer(t, issue(3600), nil)
	c := grantClient(t, srv.URL, saml2)
	if c.TokenLifetime() != 0 {
		t.Errorf("TokenLifetime before authenticating = %s, want 0", c.TokenLifetime())
	}
	if err := homeDivisionOf(c); err != nil {
		t.Fatal(err)
	}
	if ended(c.TokenEnding()) {
		t.Fatal("TokenEnding closed with a fresh token")
	}
	srv.revoke("tok-0")
	for i := range 2 {
		err := homeDivisionOf(c)
		if !errors.Is(err, provision.ErrTokenEnded) || errors.Is(err, provision.ErrAuth) {
			t.Fatalf("call %d after the 401: err = %v, want ErrTokenEnded (not ErrAuth)", i, err)
		}
		if !strings.Contains(err.Error(), "401") {
			t.Errorf("err = %q; want it to say the token was refused", err)
		}
	}
	if !ended(c.TokenEnding()) {
		t.Error("TokenEnding still open after the 401")
	}
	if n := len(srv.tokenCalls()); n != 1 {
		t.Errorf("%d token requests, want 1: the assertion serves once", n)
	}
	if c.Grant() != GrantSAML2Bearer {
		t.Errorf("Grant = %q", c.Grant())
	}
}

// A token that cannot be renewed is used until it expires, not cut at the refresh margin;
// its end is signalled min(lifetime/4, 2 min) before; from its expiry on, calls fail with
// ErrTokenEnded and the assertion is not sent again.
func TestSAML2TokenEndsAtExpiry(t *testing.T) {
	srv := newOAuthServer(t, issue(600), nil)
	c := grantClient(t, srv.URL, saml2)
	t0 := time.Unix(1_000_000, 0)
	clock := &fakeClock{t: t0}
	armed := onFakeClock(c, clock)
	if err := c.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := armed(); d != 8*time.Minute {
		t.Errorf("ending armed after %s, want 8m (10 min less 2)", d)
	}
	steps := []struct {
		at    time.Duration
		ended bool
		err   error
	}{
		{7*time.Minute + 45*time.Second, false, nil}, // past the usual refresh margin (7.5 min): still the token
		{8*time.Minute + time.Second, true, nil},
		{10*time.Minute - time.Second, true, nil},
		{10 * time.Minute, true, provision.ErrTokenEnded},
		{11 * time.Minute, true, provision.ErrTokenEnded},
	}
	for _, s := range steps {
		clock.Set(t0.Add(s.at))
		err := homeDivisionOf(c)
		if (s.err == nil && err != nil) || !errors.Is(err, s.err) || errors.Is(err, provision.ErrAuth) {
			t.Errorf("at %s: err = %v, want %v", s.at, err, s.err)
		}
		if got := ended(c.TokenEnding()); got != s.ended {
			t.Errorf("at %s: TokenEnding closed %v, want %v", s.at, got, s.ended)
		}
	}
	if n := len(srv.tokenCalls()); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// The ending timer closes TokenEnding with no call in flight; a token too short-lived for
// any margin ends at once; a renewable grant never ends.
func TestTokenLifeEnding(t *testing.T) {
	l := newTokenLife(false)
	var fire func()
	l.after = func(_ time.Duration, f func()) { fire = f }
	l.issued(time.Now(), time.Hour)
	if ended(l.ending) || fire == nil {
		t.Fatal("ended before the timer fired, or no timer armed")
	}
	fire()
	fire() // once only
	if !ended(l.ending) || l.lifetime() != time.Hour {
		t.Errorf("after the timer: ended %v, lifetime %s", ended(l.ending), l.lifetime())
	}
	short := newTokenLife(false)
	short.issued(time.Now(), 0)
	if !ended(short.ending) {
		t.Error("a token of no lifetime did not end at once")
	}
	revoked := &tokenSource{life: newTokenLife(false), now: time.Now, fetch: func(context.Context) (string, time.Duration, error) {
		return "tok", time.Hour, nil
	}}
	_, gen, _ := revoked.Token(context.Background())
	revoked.Invalidate(gen)
	if !ended(revoked.life.ending) {
		t.Error("a 401 did not end a token that cannot be renewed")
	}
	renewable := newTokenLife(true)
	renewable.issued(time.Now(), time.Second)
	renewable.end()
	if ended(renewable.ending) {
		t.Error("a renewable grant's TokenEnding was closed")
	}
}

// With a grant that renews, a 401 renews the token and TokenEnding stays open.
func TestRenewableGrantNeverEnds(t *testing.T) {
	srv := newOAuthServer(t, issue(3600), nil)
	c := grantClient(t, srv.URL, nil)
	if err := homeDivisionOf(c); err != nil {
		t.Fatal(err)
	}
	srv.revoke("tok-0")
	if err := homeDivisionOf(c); err != nil {
		t.Fatalf("call after the 401: %v", err)
	}
	if ended(c.TokenEnding()) || len(srv.tokenCalls()) != 2 {
		t.Errorf("TokenEnding closed %v, %d token requests; want open, 2", ended(c.TokenEnding()), len(srv.tokenCalls()))
	}
}

// refreshing answers the password grant with tok-N and refresh-N, a refresh with the
// refresh token refused (400 invalid_grant) for those in refused, and with the next pair
// for the others.
func refreshing(refused ...string) tokenAnswer {
	return func(n int, form url.Values) (int, string) {
		if form.Get("grant_type") == "refresh_token" && slices.Contains(refused, form.Get("refresh_token")) {
			return http.StatusBadRequest, `{"error":"invalid_grant","error_description":"refresh token expired"}`
		}
		return http.StatusOK, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"bearer","expires_in":3600,"refresh_token":"refresh-%d"}`, n, n)
	}
}

// The password grant renews with the refresh token it was given, and asks with the
// password again once a refresh is refused.
func TestPasswordGrantRefreshes(t *testing.T) {
	srv := newOAuthServer(t, refreshing("refresh-1"), nil)
	c := grantClient(t, srv.URL, password)
	if err := homeDivisionOf(c); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"tok-0", "tok-1"} {
		srv.revoke(tok)
		if err := homeDivisionOf(c); err != nil {
			t.Fatalf("call after %s was revoked: %v", tok, err)
		}
	}
	var got []string
	for _, call := range srv.tokenCalls() {
		f := call.form
		got = append(got, f.Get("grant_type")+" "+f.Get("refresh_token")+f.Get("password"))
		if f.Get("client_id") != testClient || call.user != testClient || call.pass != testSecret || call.path != passwordPath {
			t.Errorf("token request %q: client_id %q, Basic %q:%q, path %s", f.Get("grant_type"), f.Get("client_id"), call.user, call.pass, call.path)
		}
	}
	want := []string{"password " + testPassword, "refresh_token refresh-0", "refresh_token refresh-1", "password " + testPassword}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("token requests %q, want %q", got, want)
	}
	secrets := strings.Join(c.Secrets(), " ")
	for _, s := range []string{testSecret, testPassword, "tok-0", "tok-3", "refresh-0", "refresh-1", "refresh-3"} {
		if !strings.Contains(secrets, s) {
			t.Errorf("Secrets %q lacks %q", c.Secrets(), s)
		}
	}
}

// A password refused after a refused refresh is ErrAuth, and says whose password it was.
func TestPasswordRefusedAfterRefresh(t *testing.T) {
	srv := newOAuthServer(t, func(n int, form url.Values) (int, string) {
		if n == 0 {
			return http.StatusOK, `{"access_token":"tok-0","token_type":"bearer","expires_in":3600,"refresh_token":"refresh-0"}`
		}
		return http.StatusBadRequest, `{"error":"invalid_grant","error_description":"bad credentials"}`
	}, nil)
	c := grantClient(t, srv.URL, password)
	if err := homeDivisionOf(c); err != nil {
		t.Fatal(err)
	}
	srv.revoke("tok-0")
	err := homeDivisionOf(c)
	if !errors.Is(err, provision.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	want := fmt.Sprintf("password of user %q refused for OAuth client %q: invalid_grant (bad credentials)", testUser, testClient)
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), testPassword) {
		t.Errorf("err = %q, want it to hold %q and no password", err, want)
	}
	if n := len(srv.tokenCalls()); n != 3 {
		t.Errorf("%d token requests, want 3: password, refresh, password once", n)
	}
	if ended(c.TokenEnding()) {
		t.Error("TokenEnding closed for the password grant")
	}
}

// A refused assertion is ErrAuth, and the message says it was the assertion.
func TestSAML2AssertionRefused(t *testing.T) {
	srv := newOAuthServer(t, func(int, url.Values) (int, string) {
		return http.StatusBadRequest, `{"error":"invalid_grant","error_description":"assertion already used"}`
	}, nil)
	c := grantClient(t, srv.URL, saml2)
	err := c.Authenticate(context.Background())
	want := fmt.Sprintf("SAML2 assertion refused for OAuth client %q: invalid_grant (assertion already used)", testClient)
	if !errors.Is(err, provision.ErrAuth) || err.Error() != want {
		t.Fatalf("err = %v, want ErrAuth %q", err, want)
	}
	if err := homeDivisionOf(c); !errors.Is(err, provision.ErrAuth) || len(srv.tokenCalls()) != 1 {
		t.Errorf("the call after: %v, %d token requests; want the same ErrAuth, 1 request", err, len(srv.tokenCalls()))
	}
}

// NewClient names the variable to set, and never a secret.
func TestNewClientValidation(t *testing.T) {
	base := "http://127.0.0.1:1"
	tests := []struct {
		name string
		mod  func(*Config)
		want string // "" for no error
	}{
		{"default grant", func(*Config) {}, ""},
		{"unknown grant", func(c *Config) { c.Grant = "implicit" }, "GENESYS_GRANT"},
		{"no secret", func(c *Config) { saml2(c); c.ClientSecret = "" }, "GENESYS_CLIENT_SECRET"},
		{"saml2", saml2, ""},
		{"saml2 no assertion", func(c *Config) { saml2(c); c.Assertion = "" }, "GENESYS_SAML2_ASSERTION_FILE"},
		{"saml2 no org", func(c *Config) { saml2(c); c.OrgName = "" }, "GENESYS_ORG_NAME"},
		{"saml2 pool", func(c *Config) { saml2(c); c.Tokens = 2 }, "one assertion gives one token"},
		{"password", password, ""},
		{"password no token URL", func(c *Config) { password(c); c.TokenURL = "" }, "GENESYS_TOKEN_URL"},
		{"password no user", func(c *Config) { password(c); c.Username = "" }, "GENESYS_USERNAME"},
		{"password no password", func(c *Config) { password(c); c.Password = "" }, "GENESYS_PASSWORD"},
		{"password plain http", func(c *Config) { password(c); c.TokenURL = "http://login.example.com/oauth/token" }, "GENESYS_TOKEN_URL"},
		{"password URL with credentials", func(c *Config) {
			password(c)
			c.TokenURL = "https://u:" + testSecret + "@login.example.com/oauth/token"
		}, "GENESYS_TOKEN_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{BaseURL: base, ClientID: testClient, ClientSecret: testSecret}
			tt.mod(&cfg)
			_, err := NewClient(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
			for _, s := range []string{testSecret, testPassword, testAssertion} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("err = %q shows a secret", err)
				}
			}
		})
	}
}

// Grant names are normalised.
func TestGrantNames(t *testing.T) {
	for in, want := range map[string]string{"": GrantClientCredentials, "Client_Credentials": GrantClientCredentials,
		" SAML2-Bearer ": GrantSAML2Bearer, "saml2_bearer": GrantSAML2Bearer, "PASSWORD": GrantPassword} {
		cfg := Config{BaseURL: "http://127.0.0.1:1", ClientID: testClient, ClientSecret: testSecret}
		saml2(&cfg)
		password(&cfg)
		cfg.Grant = in
		c, err := NewClient(cfg)
		if err != nil {
			t.Errorf("Grant %q: %v", in, err)
			continue
		}
		if c.Grant() != want {
			t.Errorf("Grant %q: Grant() = %q, want %q", in, c.Grant(), want)
		}
	}
}

// basicOf is the Basic credential of the test client.
func basicOf() string {
	return base64.StdEncoding.EncodeToString([]byte(testClient + ":" + testSecret))
}
