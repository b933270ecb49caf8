package gcsim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSAMLGrant(t *testing.T) {
	srv := NewServer(t, Options{})
	c := &client{t: t, base: srv.URL, hc: &http.Client{Timeout: 10 * time.Second}}
	soon := time.Now().Add(time.Minute)
	withOrg := func(org string, assertion string) url.Values {
		f := samlForm(assertion)
		f.Set("orgName", org)
		return f
	}
	unwrapped := Assertion(DefaultSAMLIssuer, "existing.supervisor@example.com", soon)
	// The same assertion inside a SAML protocol Response, as an identity provider POSTs it.
	response := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0">` +
		Assertion(DefaultSAMLIssuer, "existing.agent@example.com", soon) + `</samlp:Response>`
	noNameID := strings.Replace(Assertion(DefaultSAMLIssuer, "x@example.com", soon), "x@example.com", "", 1)
	noConditions := Assertion(DefaultSAMLIssuer, "existing.agent@example.com", soon)
	noConditions = noConditions[:strings.Index(noConditions, "<saml2:Conditions")] + "</saml2:Assertion>"
	wrapped := b64(Assertion(DefaultSAMLIssuer, "placed.agent@example.com", soon))
	wrapped = wrapped[:40] + "\r\n" + wrapped[40:] // identity providers wrap base64 lines
	tests := []struct {
		name, id, secret string
		form             url.Values
		code, desc       string // "" for success
	}{
		{"success", samlClient, samlSecret, samlForm(b64(unwrapped)), "", ""},
		{"reused", samlClient, samlSecret, samlForm(b64(unwrapped)), "invalid_grant", "assertion already used"},
		{"in a SAML response", samlClient, samlSecret, samlForm(b64(response)), "", ""},
		{"wrapped base64 lines", samlClient, samlSecret, samlForm(wrapped), "", ""},
		{"client-credentials client", "test-client", "test-secret-not-real", samlForm(encodedAssertion("existing.agent@example.com")),
			"unauthorized_client", "client is not authorized to use the saml2-bearer grant type"},
		{"password client", passwordClient, passwordSecret, samlForm(encodedAssertion("existing.agent@example.com")),
			"unauthorized_client", "client is not authorized to use the saml2-bearer grant type"},
		{"wrong secret", samlClient, "nope", samlForm(encodedAssertion("existing.agent@example.com")), "invalid_client", "authentication failed"},
		{"wrong orgName", samlClient, samlSecret, withOrg("other-org", encodedAssertion("existing.agent@example.com")), "invalid_grant", "unknown organization"},
		{"no orgName", samlClient, samlSecret, withOrg("", encodedAssertion("existing.agent@example.com")), "invalid_grant", "unknown organization"},
		{"expired", samlClient, samlSecret, samlForm(b64(Assertion(DefaultSAMLIssuer, "existing.agent@example.com", time.Now().Add(-time.Second)))),
			"invalid_grant", "assertion expired"},
		{"other issuer", samlClient, samlSecret, samlForm(b64(Assertion("https://evil.example.com", "existing.agent@example.com", soon))),
			"invalid_grant", "assertion issuer is not trusted"},
		{"not base64", samlClient, samlSecret, samlForm("<not base64>"), "invalid_grant", "assertion is not base64"},
		{"no assertion", samlClient, samlSecret, samlForm(""), "invalid_grant", "assertion is not base64"},
		{"not XML", samlClient, samlSecret, samlForm(b64("hello")), "invalid_grant", "assertion is not XML"},
		{"not an assertion", samlClient, samlSecret, samlForm(b64("<Assertion/>")), "invalid_grant", "not a SAML 2.0 assertion"},
		{"no NameID", samlClient, samlSecret, samlForm(b64(noNameID)), "invalid_grant", "assertion has no NameID"},
		{"no Conditions", samlClient, samlSecret, samlForm(b64(noConditions)), "invalid_grant", "assertion has no Conditions NotOnOrAfter"},
		{"unknown user", samlClient, samlSecret, samlForm(encodedAssertion("nobody@example.com")), "invalid_grant", "no active user has the assertion's NameID"},
		{"inactive user", samlClient, samlSecret, samlForm(encodedAssertion("inactive.agent@example.com")), "invalid_grant", "no active user has the assertion's NameID"},
		{"deleted user", samlClient, samlSecret, samlForm(encodedAssertion("deleted.user@example.com")), "invalid_grant", "no active user has the assertion's NameID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.tokenForm("/oauth/token", tt.id, tt.secret, tt.form)
			if tt.code != "" {
				r.wantOAuthError(t, tt.code, tt.desc)
				return
			}
			r.want(t, http.StatusOK)
			var tok tokenAnswer
			r.decode(t, &tok)
			if tok.AccessToken == "" || tok.TokenType != "bearer" || tok.ExpiresIn != 86399 || tok.RefreshToken != "" || strings.Contains(string(r.body), "refresh_token") {
				t.Fatalf("token answer %s", r.body)
			}
		})
	}
	// Without an ID, the same bytes are the same assertion.
	noID := strings.Replace(Assertion(DefaultSAMLIssuer, "existing.agent@example.com", soon), ` ID="_`, ` Nonce="_`, 1)
	c.tokenForm("/oauth/token", samlClient, samlSecret, samlForm(b64(noID))).want(t, http.StatusOK)
	c.tokenForm("/oauth/token", samlClient, samlSecret, samlForm(b64(noID))).wantOAuthError(t, "invalid_grant", "assertion already used")

	got := srv.Sim.Counters()
	if got.TokensIssued != 4 || got.Requests["POST /oauth/token"] != len(tests)+2 {
		t.Errorf("TokensIssued %d, token requests %d; want 4, %d", got.TokensIssued, got.Requests["POST /oauth/token"], len(tests)+2)
	}
}

// An assertion whose NotBefore is to come is refused; Assertion itself starts a minute ago.
func TestSAMLNotBefore(t *testing.T) {
	_, c := start(t, Options{})
	later := strings.Replace(Assertion(DefaultSAMLIssuer, "existing.agent@example.com", time.Now().Add(time.Hour)),
		`NotBefore="`, `NotBefore="`+time.Now().Add(30*time.Minute).UTC().Format(time.RFC3339)+`" Old="`, 1)
	c.tokenForm("/oauth/token", samlClient, samlSecret, samlForm(b64(later))).wantOAuthError(t, "invalid_grant", "assertion not yet valid")
}

// A SAML token acts as the person, lives the client's AccessTokenValiditySeconds (shorter
// than swagger.json's 5 minutes from Go code), and the Org's short name and issuer apply.
func TestSAMLTokenLifetime(t *testing.T) {
	org := DefaultOrg()
	org.ShortName, org.SAMLIssuer = "acme", "https://idp.acme.example"
	for i := range org.OAuthClients {
		if org.OAuthClients[i].ID == samlClient {
			org.OAuthClients[i].AccessTokenValiditySeconds = 1
		}
	}
	srv := NewServer(t, Options{Org: org})
	c := &client{t: t, base: srv.URL, hc: &http.Client{Timeout: 10 * time.Second}}
	c.tokenForm("/oauth/token", samlClient, samlSecret, samlForm(encodedAssertion("existing.supervisor@example.com"))).
		wantOAuthError(t, "invalid_grant", "unknown organization")
	form := samlForm(b64(Assertion("https://idp.acme.example", "existing.supervisor@example.com", time.Now().Add(time.Minute))))
	form.Set("orgName", "acme")
	r := c.tokenForm("/oauth/token", samlClient, samlSecret, form)
	r.want(t, http.StatusOK)
	var tok tokenAnswer
	r.decode(t, &tok)
	if tok.ExpiresIn != 1 {
		t.Fatalf("expires_in %d, want 1", tok.ExpiresIn)
	}
	c.token = tok.AccessToken
	me := getJSON[apiUserOut](c, "/api/v2/users/me")
	if me.ID != supervisorID {
		t.Fatalf("users/me %+v, want the supervisor", me)
	}
	time.Sleep(1100 * time.Millisecond)
	c.do("GET", "/api/v2/users/me", nil).wantError(t, http.StatusUnauthorized, "bad.credentials")
}
