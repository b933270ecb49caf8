package proxies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// TestClientSecrets checks that Secrets holds the client secret and the tokens the
// simulator issued, the latest one after a refresh included.
func TestClientSecrets(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	if got := c.Secrets(); !slices.Equal(got, []string{testSecret}) {
		t.Errorf("before any token: Secrets = %q, want the client secret alone", got)
	}
	ctx := context.Background()
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	_, gen, err := c.tr.tokens.slot(0).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.tr.tokens.slot(0).Invalidate(gen) // as after a 401: the next call fetches a new token
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	issued := sim.IssuedTokens()
	if len(issued) != 2 {
		t.Fatalf("simulator issued %d tokens, want 2", len(issued))
	}
	if got, want := c.Secrets(), append([]string{testSecret}, issued...); !slices.Equal(got, want) {
		t.Errorf("Secrets = %q, want %q", got, want)
	}
}

// TestIssuedKeepsTheLatest checks that a long run keeps only the latest tokens.
func TestIssuedKeepsTheLatest(t *testing.T) {
	n := 0
	s := &tokenSource{now: time.Now, fetch: func(context.Context) (string, time.Duration, error) {
		n++
		return fmt.Sprintf("tok-%d", n), time.Hour, nil
	}}
	for range keptTokens + 3 {
		_, gen, err := s.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s.Invalidate(gen)
	}
	got := s.Issued()
	if len(got) != keptTokens || got[0] != "tok-4" || got[keptTokens-1] != fmt.Sprintf("tok-%d", keptTokens+3) {
		t.Errorf("Issued = %q, want the last %d of %d", got, keptTokens, keptTokens+3)
	}
}

// Secrets holds what each grant was given: the password, the assertion as given.
func TestGrantSecrets(t *testing.T) {
	for name, tt := range map[string]struct {
		mod  func(*Config)
		want []string
	}{
		"saml2":    {saml2, []string{testSecret, testAssertion}},
		"password": {password, []string{testSecret, testPassword}},
	} {
		t.Run(name, func(t *testing.T) {
			c := grantClient(t, "http://127.0.0.1:1", tt.mod)
			if got := c.Secrets(); !slices.Equal(got, tt.want) {
				t.Errorf("Secrets = %q, want %q", got, tt.want)
			}
		})
	}
}

// echoToken answers a token request with status and the OAuth error code, its
// error_description the request as received, headers and form.
func echoToken(status int, code string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		body, _ := json.Marshal(map[string]any{"error": code, "error_description": string(dump)})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// A token endpoint that echoes the request in its refusal leaks none of the form's
// secrets (password, assertion, refresh token) nor the client's into the error.
func TestTokenEchoKeepsSecrets(t *testing.T) {
	const refresh = "refresh+token/secret=="
	tests := []struct {
		name string
		mod  func(*Config)
		// first answers the first token request; nil echoes it.
		first func(w http.ResponseWriter, r *http.Request)
		code  string
	}{
		{"client credentials", nil, nil, "invalid_client"},
		{"saml2", saml2, nil, "invalid_grant"},
		{"password", password, nil, "invalid_grant"},
		{"refresh token", password, func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, `{"access_token":"tok-0","token_type":"bearer","expires_in":3600,"refresh_token":%q}`, refresh)
		}, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 && tt.first != nil {
					tt.first(w, r)
					return
				}
				echoToken(http.StatusBadRequest, tt.code)(w, r)
			}))
			t.Cleanup(srv.Close)
			c := grantClient(t, srv.URL, tt.mod)
			err := c.Authenticate(context.Background())
			if tt.first != nil {
				if err != nil {
					t.Fatal(err)
				}
				c.tr.tokens.slot(0).Invalidate(1) // as after a 401: the next token is a refresh
				_, _, err = c.tr.tokens.slot(0).Token(context.Background())
			}
			if !errors.Is(err, provision.ErrAuth) || !strings.Contains(err.Error(), "grant_type=") {
				t.Fatalf("err = %v, want ErrAuth with the echoed form in it", err)
			}
			for _, s := range []string{testSecret, basicOf(), testPassword, testAssertion, refresh} {
				if strings.Contains(err.Error(), s) || strings.Contains(err.Error(), url.QueryEscape(s)) {
					t.Errorf("err = %q; it holds the secret %q", err, s)
				}
			}
		})
	}
}
