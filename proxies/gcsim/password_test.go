package gcsim

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

const authPath = "/auth/v3/oauth/token"

func passwordForm(username, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}, "client_id": {passwordClient}}
}

func refreshForm(refresh string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {passwordClient}}
}

func TestPasswordGrant(t *testing.T) {
	srv := NewServer(t, Options{})
	c := &client{t: t, base: srv.URL, hc: &http.Client{Timeout: 10 * time.Second}}
	otherClientID := passwordForm("existing.supervisor@example.com", supervisorPassword)
	otherClientID.Set("client_id", "test-client")
	tests := []struct {
		name, id, secret string
		form             url.Values
		code, desc       string // "" for success
	}{
		{"success", passwordClient, passwordSecret, passwordForm("existing.supervisor@example.com", supervisorPassword), "", ""},
		{"email in another case", passwordClient, passwordSecret, passwordForm("Existing.Agent@Example.com", agentPassword), "", ""},
		{"wrong password", passwordClient, passwordSecret, passwordForm("existing.supervisor@example.com", agentPassword), "invalid_grant", "Bad credentials"},
		{"unknown user", passwordClient, passwordSecret, passwordForm("nobody@example.com", agentPassword), "invalid_grant", "Bad credentials"},
		{"user without a password", passwordClient, passwordSecret, passwordForm("placed.agent@example.com", ""), "invalid_grant", "Bad credentials"},
		{"client_id of another client", passwordClient, passwordSecret, otherClientID, "invalid_client", "client_id does not match the client credentials"},
		{"wrong secret", passwordClient, "nope", passwordForm("existing.supervisor@example.com", supervisorPassword), "invalid_client", "authentication failed"},
		{"SAML2 bearer client", samlClient, samlSecret, url.Values{"grant_type": {"password"}, "username": {"existing.agent@example.com"},
			"password": {agentPassword}, "client_id": {samlClient}}, "unauthorized_client", "client is not authorized to use the password grant type"},
		{"client credentials here", "test-client", "test-secret-not-real", url.Values{"grant_type": {"client_credentials"}, "client_id": {"test-client"}},
			"unsupported_grant_type", "grant type not supported"},
		{"unknown refresh token", passwordClient, passwordSecret, refreshForm("not-a-token"), "invalid_grant", "Invalid refresh token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.tokenForm(authPath, tt.id, tt.secret, tt.form)
			if tt.code != "" {
				r.wantOAuthError(t, tt.code, tt.desc)
				return
			}
			r.want(t, http.StatusOK)
			var tok tokenAnswer
			r.decode(t, &tok)
			if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 86399 || tok.Scope != "*" {
				t.Fatalf("token answer %s", r.body)
			}
		})
	}
	// An inactive user cannot log in, even with its password.
	org := DefaultOrg()
	org.Users[2].Password = "inactive-password"
	srv2 := NewServer(t, Options{Org: org})
	(&client{t: t, base: srv2.URL, hc: c.hc}).tokenForm(authPath, passwordClient, passwordSecret, passwordForm("inactive.agent@example.com", "inactive-password")).
		wantOAuthError(t, "invalid_grant", "Bad credentials")

	got := srv.Sim.Counters()
	if got.TokensIssued != 2 || got.Requests["POST "+authPath] != len(tests) {
		t.Errorf("TokensIssued %d, requests %v", got.TokensIssued, got.Requests)
	}
	if n := len(srv.Sim.IssuedTokens()); n != 4 {
		t.Errorf("IssuedTokens: %d, want 2 access and 2 refresh tokens", n)
	}
}

// A refresh token gives a new access token and a new refresh token, once: the old one then
// fails, as an expired one and one presented by another client do.
func TestRefreshRotation(t *testing.T) {
	srv := NewServer(t, Options{RefreshTokenTTL: 300 * time.Millisecond})
	c := &client{t: t, base: srv.URL, hc: &http.Client{Timeout: 10 * time.Second}}
	login := func() tokenAnswer {
		r := c.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.supervisor@example.com", supervisorPassword))
		r.want(t, http.StatusOK)
		var tok tokenAnswer
		r.decode(t, &tok)
		return tok
	}
	first := login()
	r := c.tokenForm(authPath, passwordClient, passwordSecret, refreshForm(first.RefreshToken))
	r.want(t, http.StatusOK)
	var second tokenAnswer
	r.decode(t, &second)
	if second.AccessToken == "" || second.AccessToken == first.AccessToken || second.RefreshToken == "" ||
		second.RefreshToken == first.RefreshToken || second.Scope != "*" {
		t.Fatalf("refresh answer %s", r.body)
	}
	// Both access tokens act as the supervisor.
	for _, tok := range []string{first.AccessToken, second.AccessToken} {
		c.token = tok
		if me := getJSON[apiUserOut](c, "/api/v2/users/me"); me.ID != supervisorID {
			t.Fatalf("users/me %+v", me)
		}
	}
	c.tokenForm(authPath, passwordClient, passwordSecret, refreshForm(first.RefreshToken)).wantOAuthError(t, "invalid_grant", "Invalid refresh token")

	// Another client may not use it, and that does not spend it.
	other := refreshForm(second.RefreshToken)
	other.Set("client_id", samlClient)
	c.tokenForm(authPath, samlClient, samlSecret, other).wantOAuthError(t, "invalid_grant", "Invalid refresh token")
	r = c.tokenForm(authPath, passwordClient, passwordSecret, refreshForm(second.RefreshToken))
	r.want(t, http.StatusOK)
	var third tokenAnswer
	r.decode(t, &third)

	// It expires after RefreshTokenTTL.
	time.Sleep(350 * time.Millisecond)
	c.tokenForm(authPath, passwordClient, passwordSecret, refreshForm(third.RefreshToken)).wantOAuthError(t, "invalid_grant", "Invalid refresh token")

	// RevokeTokens revokes refresh tokens too.
	fourth := login()
	srv.Sim.RevokeTokens()
	c.tokenForm(authPath, passwordClient, passwordSecret, refreshForm(fourth.RefreshToken)).wantOAuthError(t, "invalid_grant", "Invalid refresh token")
}

// ExpireTokens ends every access token but leaves the refresh tokens working.
func TestExpireTokens(t *testing.T) {
	srv, c := start(t, Options{})
	p := &client{t: t, base: srv.URL, hc: c.hc}
	r := p.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.agent@example.com", agentPassword))
	r.want(t, http.StatusOK)
	var tok tokenAnswer
	r.decode(t, &tok)
	p.token = tok.AccessToken
	p.do("GET", home, nil).want(t, http.StatusOK)

	resp, err := c.hc.Post(srv.URL+"/__sim/expire-tokens", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("expire-tokens: %d", resp.StatusCode)
	}
	p.do("GET", home, nil).wantError(t, http.StatusUnauthorized, "bad.credentials")
	c.do("GET", home, nil).wantError(t, http.StatusUnauthorized, "bad.credentials")
	r = p.tokenForm(authPath, passwordClient, passwordSecret, refreshForm(tok.RefreshToken))
	r.want(t, http.StatusOK)
	r.decode(t, &tok)
	p.token = tok.AccessToken
	p.do("GET", home, nil).want(t, http.StatusOK)
}

// The password endpoint shares the client's token window and the latency with /oauth/token.
func TestPasswordGrantLimits(t *testing.T) {
	const latency = 100 * time.Millisecond
	srv := NewServer(t, Options{TokenMintPerMinute: 2, RateWindow: 5 * time.Second, Latency: latency})
	c := &client{t: t, base: srv.URL, hc: &http.Client{Timeout: 10 * time.Second}}
	t0 := time.Now()
	c.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.agent@example.com", agentPassword)).want(t, http.StatusOK)
	if took := time.Since(t0); took < latency {
		t.Errorf("took %s, want at least %s", took, latency)
	}
	c.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.agent@example.com", agentPassword)).want(t, http.StatusOK)
	wantRetryAfter(t, c.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.agent@example.com", agentPassword)), 5*time.Second)
	if got := srv.Sim.Counters(); got.TokenTooMany != 1 || got.MaxConcurrentTokenRequests != 1 {
		t.Errorf("TokenTooMany %d, MaxConcurrentTokenRequests %d; want 1, 1", got.TokenTooMany, got.MaxConcurrentTokenRequests)
	}
}

// A person's token stops working once the person is no longer active, and the refresh
// token with it.
func TestPersonDeactivated(t *testing.T) {
	srv, c := start(t, noLags(Options{}))
	p := &client{t: t, base: srv.URL, hc: c.hc}
	r := p.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.agent@example.com", agentPassword))
	r.want(t, http.StatusOK)
	var tok tokenAnswer
	r.decode(t, &tok)
	p.token = tok.AccessToken
	p.do("GET", "/api/v2/users/me", nil).want(t, http.StatusOK)
	c.do("PATCH", "/api/v2/users/"+agentID, map[string]any{"state": "inactive", "version": 1}).want(t, http.StatusOK)
	p.do("GET", "/api/v2/users/me", nil).wantError(t, http.StatusUnauthorized, "bad.credentials")
	p.tokenForm(authPath, passwordClient, passwordSecret, refreshForm(tok.RefreshToken)).wantOAuthError(t, "invalid_grant", "Invalid refresh token")
	if !slices.Contains(srv.Sim.IssuedTokens(), tok.RefreshToken) {
		t.Error("IssuedTokens lacks the refresh token")
	}
}

// Options.RouteLimits applies to each token endpoint by its own key.
func TestPasswordGrantRouteLimit(t *testing.T) {
	srv := NewServer(t, Options{RouteLimits: map[string]int{"POST " + authPath: 1}, RateWindow: 5 * time.Second})
	c := &client{t: t, base: srv.URL, hc: &http.Client{Timeout: 10 * time.Second}}
	c.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.agent@example.com", agentPassword)).want(t, http.StatusOK)
	wantRetryAfter(t, c.tokenForm(authPath, passwordClient, passwordSecret, passwordForm("existing.agent@example.com", agentPassword)), 5*time.Second)
	c.tokenForm("/oauth/token", samlClient, samlSecret, samlForm(encodedAssertion("existing.agent@example.com"))).want(t, http.StatusOK)
	c.tokenForm("/oauth/token", samlClient, samlSecret, samlForm(encodedAssertion("existing.agent@example.com"))).want(t, http.StatusOK)
}
