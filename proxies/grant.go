package proxies

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
)

// The OAuth grants a Client authenticates with, as Config.Grant names them and Client.Grant
// returns them.
const (
	// GrantClientCredentials: the OAuth client acts as itself, with the roles it was given.
	GrantClientCredentials = "client_credentials"
	// GrantSAML2Bearer: a SAML2 assertion from the org's identity provider buys one token
	// acting as the person it names. An assertion serves once: the token cannot be renewed.
	GrantSAML2Bearer = "saml2-bearer"
	// GrantPassword: a person's user name and password buy a token acting as that person;
	// it is renewed with the refresh token, when one is given, or the password again.
	GrantPassword = "password"
)

// grantNames maps what Config.Grant may say, lower-cased, to a grant.
var grantNames = map[string]string{
	"":                   GrantClientCredentials,
	"client_credentials": GrantClientCredentials,
	"client-credentials": GrantClientCredentials,
	"saml2-bearer":       GrantSAML2Bearer,
	"saml2_bearer":       GrantSAML2Bearer,
	"saml2bearer":        GrantSAML2Bearer,
	"password":           GrantPassword,
}

// GrantName is the grant name names (GENESYS_GRANT's value: any case, spaces around, "-" or
// "_"), and whether it names one; "" is the default, GrantClientCredentials.
func GrantName(name string) (string, bool) {
	grant, ok := grantNames[strings.ToLower(strings.TrimSpace(name))]
	return grant, ok
}

// saml2GrantType is the grant_type of the SAML2 bearer grant (RFC 7522).
const saml2GrantType = "urn:ietf:params:oauth:grant-type:saml2-bearer"

// checkGrant validates c for its grant and returns the grant's name and, for the password
// grant, the token URL as checkURL normalises it. Its errors name the environment variable
// to set, never a value but the grant's.
func checkGrant(c Config) (grant, tokenURL string, err error) {
	grant, ok := GrantName(c.Grant)
	if !ok {
		return "", "", fmt.Errorf("GENESYS_GRANT %q: use %s, %s or %s", c.Grant, GrantClientCredentials, GrantSAML2Bearer, GrantPassword)
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return "", "", errors.New("GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET must both be set")
	}
	switch grant {
	case GrantSAML2Bearer:
		switch {
		case c.Assertion == "":
			return "", "", errors.New("GENESYS_SAML2_ASSERTION_FILE must name a file holding the SAML2 assertion (GENESYS_GRANT saml2-bearer)")
		case c.OrgName == "":
			return "", "", errors.New("GENESYS_ORG_NAME must be set to the org's short name (GENESYS_GRANT saml2-bearer)")
		case c.Tokens > 1:
			return "", "", errors.New("GENESYS_TOKENS (--tokens) must be 1 with GENESYS_GRANT saml2-bearer: one assertion gives one token")
		}
	case GrantPassword:
		if c.TokenURL == "" {
			return "", "", errors.New("GENESYS_TOKEN_URL must be set to the token endpoint's URL (GENESYS_GRANT password)")
		}
		if c.Username == "" || c.Password == "" {
			return "", "", errors.New("GENESYS_USERNAME and GENESYS_PASSWORD must both be set (GENESYS_GRANT password)")
		}
		if tokenURL, err = checkURL("GENESYS_TOKEN_URL", "https://login.mypurecloud.com/oauth/token", c.TokenURL); err != nil {
			return "", "", err
		}
	}
	return grant, tokenURL, nil
}

// grantPool makes the token pool of the grant c names (checked by checkGrant): the grant
// supplies the fetch, and whether its tokens can be renewed; the rest is the same for all.
func (c *Client) grantPool(cfg Config, tokenURL string) *tokenPool {
	oc := oauthClient{id: cfg.ClientID, basic: "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.ClientID+":"+cfg.ClientSecret))}
	switch c.grant {
	case GrantSAML2Bearer:
		fetch := c.saml2Bearer(oc, cfg.Assertion, cfg.OrgName)
		return newGrantPool(1, func() fetchFunc { return fetch }, time.Now, newTokenLife(false))
	case GrantPassword:
		mk := func() fetchFunc {
			g := &passwordGrant{c: c, oc: oc, url: tokenURL, username: cfg.Username, password: cfg.Password}
			return g.fetch
		}
		return newGrantPool(cfg.Tokens, mk, time.Now, newTokenLife(true))
	default:
		fetch := c.clientCredentials(oc)
		return newGrantPool(cfg.Tokens, func() fetchFunc { return fetch }, time.Now, newTokenLife(true))
	}
}

// oauthClient is the OAuth client a grant authenticates as: its id, and its Basic
// Authorization header, which holds the secret.
type oauthClient struct{ id, basic string }

// tokenResponse and tokenError are the OAuth token endpoint's answers.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

type tokenError struct {
	Error            string `json:"error"`
	Description      string `json:"description"`
	ErrorDescription string `json:"error_description"`
}

// clientCredentials is the fetch of the client-credentials grant: POST loginURL(base) with
// grant_type=client_credentials. The secret stays in oc; it never reaches an error or a log.
func (c *Client) clientCredentials(oc oauthClient) fetchFunc {
	tokenURL := loginURL(c.base.BasePath)
	return func(ctx context.Context) (string, time.Duration, error) {
		tr, ttl, err := c.postToken(ctx, tokenURL, oc, url.Values{"grant_type": {"client_credentials"}}, "")
		return tr.AccessToken, ttl, err
	}
}

// errAssertionSpent is the SAML2 bearer grant's answer to any fetch after the first.
var errAssertionSpent = fmt.Errorf("%w: a SAML2 assertion serves once", provision.ErrTokenEnded)

// saml2Bearer is the fetch of the SAML2 bearer grant: POST loginURL(base) with
// grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer, the assertion and orgName. The
// assertion is sent by the first fetch only, whatever its outcome; every later one (a
// renewal at expiry, after a 401, after a failure) sends nothing and fails with
// errAssertionSpent, which wraps provision.ErrTokenEnded.
func (c *Client) saml2Bearer(oc oauthClient, assertion, orgName string) fetchFunc {
	tokenURL := loginURL(c.base.BasePath)
	var sent atomic.Bool
	return func(ctx context.Context) (string, time.Duration, error) {
		if sent.Swap(true) {
			return "", 0, errAssertionSpent
		}
		form := url.Values{"grant_type": {saml2GrantType}, "assertion": {assertion}, "orgName": {orgName}}
		tr, ttl, err := c.postToken(ctx, tokenURL, oc, form, "SAML2 assertion")
		return tr.AccessToken, ttl, err
	}
}

// passwordGrant is the fetch of the password grant for one token of the pool: POST
// Config.TokenURL with grant_type=password, username, password and client_id. It keeps the
// refresh token the answer gives, and renews with grant_type=refresh_token, refresh_token and
// client_id; a refresh refused for any reason but the client's own credentials
// (invalid_client) falls back to the password once, whose refusal is ErrAuth. One fetch at
// a time (the token source's single flight); mu guards refresh all the same.
type passwordGrant struct {
	c                       *Client
	oc                      oauthClient
	url, username, password string

	mu      sync.Mutex
	refresh string // the latest refresh token; "" when none is held
}

// fetch fetches a token with the refresh token if one is held, else with the password.
func (g *passwordGrant) fetch(ctx context.Context) (string, time.Duration, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refresh != "" {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {g.refresh}, "client_id": {g.oc.id}}
		tr, ttl, err := g.c.postToken(ctx, g.url, g.oc, form, "refresh token")
		var ae *authError
		switch {
		case err == nil:
			g.keep(tr.RefreshToken)
			return tr.AccessToken, ttl, nil
		case !errors.As(err, &ae) || ae.code == "invalid_client":
			return "", 0, err // transient, or the client's credentials: the refresh token stays
		}
		g.refresh = "" // expired or revoked: the password once more
	}
	form := url.Values{"grant_type": {"password"}, "username": {g.username}, "password": {g.password}, "client_id": {g.oc.id}}
	tr, ttl, err := g.c.postToken(ctx, g.url, g.oc, form, fmt.Sprintf("password of user %q", g.username))
	if err != nil {
		return "", 0, err
	}
	g.keep(tr.RefreshToken)
	return tr.AccessToken, ttl, nil
}

// keep holds a refresh token an answer gave, under g.mu. An answer without one leaves the
// one held: it stays valid.
func (g *passwordGrant) keep(refresh string) {
	if refresh != "" {
		g.refresh = refresh
	}
}

// postToken posts form to the token endpoint at tokenURL with oc's Basic Authorization,
// through the transport as the token request (the rate limiter, the pacer and the retries
// apply; no bearer token), and decodes the answer. A 400, 401 or 403 is an *authError
// (ErrAuth) whose refused names what the form presented besides the client's credentials;
// other failures are ErrTransient. The form's secrets (password, assertion, refresh token)
// are scrubbed from whatever the server says back, as the transport scrubs the Basic pair.
// Every refresh token issued is kept for Client.Secrets. ttl is 5 minutes when the answer
// states none.
func (c *Client) postToken(ctx context.Context, tokenURL string, oc oauthClient, form url.Values, refused string) (tokenResponse, time.Duration, error) {
	c.tr.note(func(s *Stats) { s.Tokens++ })
	headers := map[string]string{"Authorization": oc.basic, "Accept": "application/json"}
	cfg := c.cfg(ctx, tokenRequest())
	resp, err := cfg.APIClient.CallAPI(tokenURL, "POST", nil, headers, nil, form, "", nil, "login")
	if resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, provision.ErrTransient) {
			return tokenResponse{}, 0, fmt.Errorf("token request: %w", err)
		}
		return tokenResponse{}, 0, fmt.Errorf("token request: %w: %v", provision.ErrTransient, err)
	}
	hide := formScrubber(form)
	if resp.StatusCode != 200 {
		return tokenResponse{}, 0, tokenRefusal(resp.StatusCode, resp.RawBody, hide, oc.id, refused)
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.RawBody, &tr); err != nil || tr.AccessToken == "" {
		return tokenResponse{}, 0, fmt.Errorf("token request: %w: no access_token in the answer", provision.ErrTransient)
	}
	c.refreshTokens.add(tr.RefreshToken)
	if !strings.EqualFold(tr.TokenType, "bearer") && tr.TokenType != "" {
		return tokenResponse{}, 0, fmt.Errorf("token request: unexpected token type %q", hide.Replace(tr.TokenType))
	}
	ttl := time.Duration(tr.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	return tr, ttl, nil
}

// tokenRefusal is the error for a token request answered status with body: an *authError
// for 400, 401 and 403 (invalid_client, unauthorized_client, invalid_grant: the
// credentials, or what the grant presented, or the client's grant type are wrong), with the
// server's words scrubbed by hide; ErrTransient for any other status.
func tokenRefusal(status int, body []byte, hide *strings.Replacer, clientID, refused string) error {
	if status != 400 && status != 401 && status != 403 {
		return fmt.Errorf("token request: %w: HTTP %d", provision.ErrTransient, status)
	}
	var te tokenError
	_ = json.Unmarshal(body, &te)
	desc := te.ErrorDescription
	if desc == "" {
		desc = te.Description
	}
	return &authError{code: hide.Replace(te.Error), description: hide.Replace(desc), clientID: clientID, refused: refused}
}

// formScrubber replaces the secrets a token request's form carries (password, assertion,
// refresh_token), as they are and form-encoded, with "[redacted]".
func formScrubber(form url.Values) *strings.Replacer {
	var pairs []string
	for _, k := range []string{"password", "assertion", "refresh_token"} {
		for _, v := range form[k] {
			if v == "" {
				continue
			}
			pairs = append(pairs, v, "[redacted]")
			if e := url.QueryEscape(v); e != v {
				pairs = append(pairs, e, "[redacted]")
			}
		}
	}
	return strings.NewReplacer(pairs...)
}

// keptSecrets is the latest few secrets of one kind (keptTokens of them), for scrubbing. It
// is safe for concurrent use.
type keptSecrets struct {
	mu   sync.Mutex
	list []string // oldest first
}

// add keeps s, dropping the oldest past keptTokens; "" is not kept.
func (k *keptSecrets) add(s string) {
	if s == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.list) == keptTokens {
		k.list = slices.Delete(k.list, 0, 1)
	}
	k.list = append(k.list, s)
}

// all returns the secrets kept, oldest first.
func (k *keptSecrets) all() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.list)
}
