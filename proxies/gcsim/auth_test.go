package gcsim

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	srv := NewServer(t, Options{})
	c := &client{t: t, base: srv.URL, hc: http.DefaultClient}
	tests := []struct {
		name, id, secret, grant string
		status                  int
		errCode, errDesc        string
	}{
		{"success", "test-client", "test-secret-not-real", "client_credentials", 200, "", ""},
		{"wrong secret", "demo-client", "nope", "client_credentials", 400, "invalid_client", "authentication failed"},
		{"unknown client", "nobody", "demo-secret-not-real", "client_credentials", 400, "invalid_client", "client not found"},
		{"other grant", "demo-client", "demo-secret-not-real", "password", 400, "unsupported_grant_type", "grant type not supported"},
		{"SAML2 bearer client", samlClient, samlSecret, "client_credentials", 400, "unauthorized_client", "client is not authorized to use the client_credential grant type"},
		{"password client", passwordClient, passwordSecret, "client_credentials", 400, "unauthorized_client", "client is not authorized to use the client_credential grant type"},
		{"refresh at /oauth/token", passwordClient, passwordSecret, "refresh_token", 400, "unsupported_grant_type", "grant type not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.tokenRequest(tt.id, tt.secret, tt.grant)
			r.want(t, tt.status)
			var body struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
				Error       string `json:"error"`
				Description string `json:"description"`
				ErrorDesc   string `json:"error_description"`
			}
			r.decode(t, &body)
			if tt.status == 200 {
				if body.AccessToken == "" || body.TokenType != "bearer" || body.ExpiresIn != 86399 {
					t.Fatalf("token answer %s", r.body)
				}
				return
			}
			if body.Error != tt.errCode || body.Description != tt.errDesc || body.ErrorDesc != tt.errDesc {
				t.Fatalf("error answer %s, want %s / %s", r.body, tt.errCode, tt.errDesc)
			}
		})
	}
	if n := srv.Sim.Counters().TokensIssued; n != 1 {
		t.Errorf("TokensIssued = %d, want 1", n)
	}
}

func TestUnauthorized(t *testing.T) {
	srv, c := start(t, Options{TokenTTL: 300 * time.Millisecond})
	c.do("GET", "/api/v2/authorization/divisions/home", nil).want(t, 200)

	expired := newClient(t, srv)
	time.Sleep(350 * time.Millisecond)

	tests := []struct {
		name  string
		setup func() *client
		code  string
	}{
		{"no token", func() *client { return &client{t: t, base: srv.URL, hc: c.hc} }, "authentication.required"},
		{"unknown token", func() *client { return &client{t: t, base: srv.URL, hc: c.hc, token: "not-a-token"} }, "bad.credentials"},
		{"expired token", func() *client { return expired }, "bad.credentials"},
		{"revoked token", func() *client {
			fresh := newClient(t, srv)
			srv.Sim.RevokeTokens()
			return fresh
		}, "bad.credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := tt.setup()
			cl.t = t
			e := cl.do("GET", "/api/v2/authorization/divisions/home", nil).wantError(t, http.StatusUnauthorized, tt.code)
			if tt.code == "bad.credentials" && e.Message != "Invalid login credentials." {
				t.Errorf("message %q", e.Message)
			}
		})
	}
	if n := srv.Sim.Counters().Unauthorized; n != len(tests) {
		t.Errorf("Unauthorized = %d, want %d", n, len(tests))
	}
	// A new token works again after a revocation.
	newClient(t, srv).do("GET", "/api/v2/authorization/divisions/home", nil).want(t, 200)
}

func TestRateLimit(t *testing.T) {
	// 5 requests per second per client; the token request counts in the window.
	srv, c := start(t, Options{RatePerMinute: 5, RateWindow: time.Second})
	for range 4 {
		c.do("GET", "/api/v2/authorization/divisions/home", nil).want(t, 200)
	}
	r := c.do("GET", "/api/v2/authorization/divisions/home", nil)
	// The token's limit states itself, as Genesys's does.
	e := r.wantError(t, http.StatusTooManyRequests, "too.many.requests")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs != 1 {
		t.Fatalf("Retry-After %q, want 1", r.header.Get("Retry-After"))
	}
	if e.Message != "Rate limit exceeded the maximum [5] requests within [1] seconds" {
		t.Errorf("message %q", e.Message)
	}
	// A refused request does not count: after Retry-After the window has room again.
	c.do("GET", "/api/v2/authorization/divisions/home", nil).wantError(t, http.StatusTooManyRequests, "too.many.requests")
	time.Sleep(time.Duration(secs) * time.Second)
	c.do("GET", "/api/v2/authorization/divisions/home", nil).want(t, 200)

	// Another client has its own window.
	other := &client{t: t, base: srv.URL, hc: c.hc}
	other.tokenRequest("demo-client", "demo-secret-not-real", "client_credentials").want(t, 200)

	if n := srv.Sim.Counters().TooMany; n != 2 {
		t.Errorf("TooMany = %d, want 2", n)
	}
}

func TestMaxConcurrentTokenRequests(t *testing.T) {
	srv := NewServer(t, Options{Latency: 100 * time.Millisecond})
	c := &client{t: t, base: srv.URL, hc: &http.Client{}}
	c.tokenRequest("demo-client", "demo-secret-not-real", "client_credentials").want(t, 200)
	c.tokenRequest("demo-client", "demo-secret-not-real", "client_credentials").want(t, 200)
	if n := srv.Sim.Counters().MaxConcurrentTokenRequests; n != 1 {
		t.Fatalf("sequential: MaxConcurrentTokenRequests = %d, want 1", n)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			// Not c.tokenRequest: it may call t.Fatal, which only the test goroutine may.
			req, _ := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("demo-client", "demo-secret-not-real")
			resp, err := c.hc.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("token status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	if n := srv.Sim.Counters().MaxConcurrentTokenRequests; n != 3 {
		t.Fatalf("parallel: MaxConcurrentTokenRequests = %d, want 3", n)
	}
}
