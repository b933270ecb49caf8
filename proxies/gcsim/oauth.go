package gcsim

import (
	"cmp"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// OAuth. The simulator mints access tokens three ways, each for an OAuth client of the
// matching grant type (OrgClient.GrantType) authenticated with HTTP Basic:
//
//   - POST /oauth/token, grant_type=client_credentials: a token acting as the client, holding
//     its roles' permissions (shared/reference/genesys-api.md §9);
//   - POST /oauth/token, grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer with orgName
//     and a base64 SAML assertion (saml.go): a token acting as the person the assertion names;
//   - POST /auth/v3/oauth/token, the token endpoint of Genesys Authentication (private
//     edition), grant_type=password with username (the person's email), password and
//     client_id, or grant_type=refresh_token with refresh_token and client_id: a token acting
//     as the person, and a refresh token.
//
// A person's token holds the permissions of the roles the person holds (permissions.go). A
// token lives its client's AccessTokenValiditySeconds, else Options.TokenTTL; a refresh
// token Options.RefreshTokenTTL. Each endpoint is delayed by Options.Latency and limited by
// the client's token window (Options.TokenMintPerMinute, limits.go), and a token minted
// counts as the first request of that token. Errors take the OAuth shape, 400
// {"error","description","error_description"} (the codes and the descriptions of
// invalid_client and unauthorized_client are those observed of Genesys, the others'
// wordings are modelling choices), except the 429, which is the platform's ErrorBody.
//
// Modelling choices: a client asking for a grant other than its own is unauthorized_client;
// /auth/v3/oauth/token serves only the password and refresh-token grants, and /oauth/token
// neither of them (unsupported_grant_type); a refresh token works once: refreshing answers
// a new access token and a new refresh token and the old refresh token stops working
// (rotation); a person who is no longer active can neither log in nor refresh, and its
// tokens stop working.

// authTokenPath is the token endpoint of Genesys Authentication, where the simulator serves
// the password grant.
const authTokenPath = "/auth/v3/oauth/token"

// grantTypeSAML2Bearer is the grant_type of the SAML2 bearer grant.
const grantTypeSAML2Bearer = "urn:ietf:params:oauth:grant-type:saml2-bearer"

// refreshToken is a refresh token of the password grant.
type refreshToken struct {
	client  string // the OAuth client it was issued to, the only one that may use it
	userID  string
	expires time.Time
}

// oauthError answers a token request 400 in the OAuth shape.
func (c *call) oauthError(code, desc string) {
	c.json(http.StatusBadRequest, map[string]string{"error": code, "description": desc, "error_description": desc})
}

// grantFunc serves a token request whose client has been authenticated.
type grantFunc func(c *call, cl *oauthClient, form url.Values)

// serveToken serves a token endpoint, key being its Counters.Requests key: the latency, the
// scripted faults, the client's Basic credentials and token window, then the grant. Clients
// never change after the org is seeded, so cl is read without Sim.mu.
func (s *Sim) serveToken(c *call, key string, grant grantFunc) {
	s.mu.Lock()
	s.counts.Requests[key]++
	s.inFlight++
	s.counts.MaxConcurrentTokenRequests = max(s.counts.MaxConcurrentTokenRequests, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if !sleep(c.r.Context(), s.opts.Latency) {
		return
	}
	if c.r.Method != http.MethodPost {
		c.notFound()
		return
	}
	if !c.readBody() {
		return
	}
	if f, ok := s.nextScripted(key); ok && !f.Drop {
		s.answerScripted(c, f)
		return
	}
	id, secret, ok := c.r.BasicAuth()
	if !ok {
		// Modelling choice: no Basic credentials is treated like a wrong secret.
		c.oauthError("invalid_client", "authentication failed")
		return
	}
	s.mu.Lock()
	cl := s.w.clients[id]
	s.mu.Unlock()
	if cl == nil {
		c.oauthError("invalid_client", "client not found")
		return
	}
	if !s.admit(c, s.tokenWindows(id, key)) {
		return
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(cl.secret)) != 1 {
		c.oauthError("invalid_client", "authentication failed")
		return
	}
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		form = url.Values{} // no grant_type: unsupported_grant_type
	}
	grant(c, cl, form)
}

// loginGrant serves the grants of POST /oauth/token: client credentials and SAML2 bearer.
func (s *Sim) loginGrant(c *call, cl *oauthClient, form url.Values) {
	switch form.Get("grant_type") {
	case "client_credentials":
		if cl.grantType != GrantClientCredentials {
			c.oauthError("unauthorized_client", "client is not authorized to use the client_credential grant type")
			return
		}
		s.issue(c, cl, "", false)
	case grantTypeSAML2Bearer:
		if cl.grantType != GrantSAML2Bearer {
			c.oauthError("unauthorized_client", "client is not authorized to use the saml2-bearer grant type")
			return
		}
		s.samlGrant(c, cl, form)
	default:
		c.oauthError("unsupported_grant_type", "grant type not supported")
	}
}

// samlGrant checks a SAML2 bearer grant's orgName and assertion (saml.go) and mints a token
// acting as the active user whose email the assertion's NameID is. An assertion is accepted
// once: another grant with the same assertion ID (or, without an ID, the same bytes) is
// invalid_grant "assertion already used". An assertion is remembered until its
// NotOnOrAfter, after which it is refused as expired anyway.
func (s *Sim) samlGrant(c *call, cl *oauthClient, form url.Values) {
	s.mu.Lock()
	shortName, issuer := s.w.shortName, s.w.samlIssuer
	s.mu.Unlock()
	if form.Get("orgName") != shortName {
		c.oauthError("invalid_grant", "unknown organization")
		return
	}
	a, err := parseAssertion(form.Get("assertion"))
	if err != nil {
		c.oauthError("invalid_grant", err.Error())
		return
	}
	now := time.Now()
	if desc := a.check(issuer, now); desc != "" {
		c.oauthError("invalid_grant", desc)
		return
	}
	s.mu.Lock()
	for k, until := range s.used {
		if !now.Before(until) {
			delete(s.used, k)
		}
	}
	if _, dup := s.used[a.key]; dup {
		s.mu.Unlock()
		c.oauthError("invalid_grant", "assertion already used")
		return
	}
	u := s.w.userByEmail[strings.ToLower(a.nameID)]
	if u == nil || u.state != "active" {
		s.mu.Unlock()
		c.oauthError("invalid_grant", "no active user has the assertion's NameID")
		return
	}
	s.used[a.key] = a.notOnOrAfter
	s.mu.Unlock()
	s.issue(c, cl, u.id, false)
}

// authGrant serves the grants of POST /auth/v3/oauth/token: password and refresh token.
// client_id must name the client of the Basic credentials.
func (s *Sim) authGrant(c *call, cl *oauthClient, form url.Values) {
	if form.Get("client_id") != cl.id {
		c.oauthError("invalid_client", "client_id does not match the client credentials")
		return
	}
	switch form.Get("grant_type") {
	case "password":
		if cl.grantType != GrantPassword {
			c.oauthError("unauthorized_client", "client is not authorized to use the password grant type")
			return
		}
		password := []byte(form.Get("password"))
		s.mu.Lock()
		u := s.w.userByEmail[strings.ToLower(strings.TrimSpace(form.Get("username")))]
		ok := u != nil && u.state == "active" && u.password != "" && subtle.ConstantTimeCompare(password, []byte(u.password)) == 1
		s.mu.Unlock()
		if !ok {
			// The same answer for an unknown user, a wrong password, an inactive user and
			// one with no password, so that the answer tells nothing of which.
			c.oauthError("invalid_grant", "Bad credentials")
			return
		}
		s.issue(c, cl, u.id, true)
	case "refresh_token":
		key := form.Get("refresh_token")
		now := time.Now()
		s.mu.Lock()
		rt, ok := s.refresh[key]
		ok = ok && rt.client == cl.id
		if ok {
			delete(s.refresh, key) // used, or expired: either way it never works again
		}
		ok = ok && now.Before(rt.expires) && s.w.activeUser(rt.userID) != nil
		s.mu.Unlock()
		if !ok {
			c.oauthError("invalid_grant", "Invalid refresh token")
			return
		}
		s.issue(c, cl, rt.userID, true)
	default:
		c.oauthError("unsupported_grant_type", "grant type not supported")
	}
}

// issue mints an access token of client cl acting as userID ("" for the client itself) and
// answers it; withRefresh adds a refresh token and the scope, as the password grant does.
func (s *Sim) issue(c *call, cl *oauthClient, userID string, withRefresh bool) {
	tok := randomToken()
	ttl := cmp.Or(cl.validity, s.opts.TokenTTL)
	now := time.Now()
	s.mu.Lock()
	s.issued = append(s.issued, tok)
	s.counts.TokensIssued++
	index := s.counts.TokensIssued
	s.tokens[tok] = token{client: cl.id, userID: userID, index: index, expires: now.Add(ttl)}
	s.chargeMint(index)
	var ref string
	if withRefresh {
		ref = randomToken()
		s.issued = append(s.issued, ref)
		s.refresh[ref] = refreshToken{client: cl.id, userID: userID, expires: now.Add(s.opts.RefreshTokenTTL)}
	}
	s.mu.Unlock()
	body := map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": expiresIn(ttl)}
	if withRefresh {
		body["refresh_token"], body["scope"] = ref, "*"
	}
	c.json(http.StatusOK, body)
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var raw [32]byte
	randRead(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// expiresIn is the expires_in of a token living ttl. Genesys reports one second less than
// the lifetime (86399 for 24 h), the second that passed while the token was issued. Lives
// under a minute exist only in tests; they are reported whole (at least 1), so that a test
// can reason about refreshes in whole seconds.
func expiresIn(ttl time.Duration) int {
	if ttl < time.Minute {
		return max(1, int(math.Ceil(ttl.Seconds())))
	}
	return int(ttl/time.Second) - 1
}

// getOAuthClient serves GET /api/v2/oauth/clients/{clientId}: the OAuthClient, with its
// roles as roleDivisions (empty for a client of another grant than client credentials),
// state active and the time the org was seeded as dateCreated; accessTokenValiditySeconds
// only when the org sets it. An unknown id is 404 client.not.found "Client was not found.",
// the code swagger.json lists for this operation (modelling choice: rather than not.found).
//
// Modelling choice: the answer carries the client's secret, as swagger.json's OAuthClient
// has it: the stricter reading for a client that must never print what it reads.
func (s *Sim) getOAuthClient(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := s.w.clients[c.param("clientId")]
	if cl == nil {
		c.fail(http.StatusNotFound, "client.not.found", "Client was not found.")
		return
	}
	out := apiOAuthClient{
		ID: cl.id, Name: cl.name, Description: cl.description, AccessTokenValiditySeconds: int(cl.validity / time.Second),
		Secret: cl.secret, AuthorizedGrantType: cl.grantType, RoleDivisions: []roleDivisionPair{}, State: "active",
		DateCreated: isoTime(s.w.created), SelfURI: "/api/v2/oauth/clients/" + cl.id,
	}
	for _, g := range cl.roles {
		out.RoleDivisions = append(out.RoleDivisions, roleDivisionPair{RoleID: g.roleID, DivisionID: g.divisionID})
	}
	c.json(http.StatusOK, out)
}
