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
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
)

// tokenSource holds the client-credentials bearer token. It fetches a token when there is
// none, some time before the current one expires, and after Invalidate; one fetch at a
// time (single-flight), however many workers ask. It is safe for concurrent use.
type tokenSource struct {
	fetch func(ctx context.Context) (token string, ttl time.Duration, err error)
	now   func() time.Time

	mu        sync.Mutex
	token     string
	gen       uint64        // bumped by every new token
	refreshAt time.Time     // when to fetch the next one
	fetching  chan struct{} // closed when the fetch in flight ends; nil when none is
	fatal     error         // set once the credentials are rejected: every caller gets it
	issued    []string      // the last keptTokens tokens, oldest first: see Issued
}

// keptTokens is how many of the latest tokens Issued returns: one a token lifetime, so
// enough for the ones a server can still echo back without keeping every token of a long run.
const keptTokens = 8

// Issued returns the last tokens fetched, oldest first, so that they can be scrubbed from
// what the server says.
func (s *tokenSource) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// Token returns a valid token and its generation, fetching one if needed.
func (s *tokenSource) Token(ctx context.Context) (string, uint64, error) {
	s.mu.Lock()
	for {
		if s.fatal != nil {
			s.mu.Unlock()
			return "", 0, s.fatal
		}
		if s.token != "" && s.now().Before(s.refreshAt) {
			tok, gen := s.token, s.gen
			s.mu.Unlock()
			return tok, gen, nil
		}
		if s.fetching == nil {
			break
		}
		wait := s.fetching
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", 0, ctx.Err()
		}
		s.mu.Lock()
	}
	done := make(chan struct{})
	s.fetching = done
	s.mu.Unlock()

	tok, ttl, err := s.fetch(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetching = nil
	close(done)
	if err != nil {
		if errors.Is(err, provision.ErrAuth) {
			s.fatal = err
		}
		return "", 0, err
	}
	s.token = tok
	s.gen++
	if len(s.issued) == keptTokens {
		s.issued = slices.Delete(s.issued, 0, 1)
	}
	s.issued = append(s.issued, tok)
	s.refreshAt = s.now().Add(ttl - refreshMargin(ttl))
	return s.token, s.gen, nil
}

// Invalidate drops the token of generation gen after a 401, unless a newer one already
// replaced it.
func (s *tokenSource) Invalidate(gen uint64) {
	s.mu.Lock()
	if gen == s.gen {
		s.token = ""
	}
	s.mu.Unlock()
}

// refreshMargin is how long before expiry a token is replaced: a quarter of its life, at
// most five minutes. Real tokens live between 5 minutes and 48 hours, so a long run fetches
// one token per lifetime, and a short-lived one is still replaced before it lapses.
func refreshMargin(ttl time.Duration) time.Duration {
	return min(ttl/4, 5*time.Minute)
}

// tokenResponse and tokenError are the OAuth token endpoint's answers.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

type tokenError struct {
	Error            string `json:"error"`
	Description      string `json:"description"`
	ErrorDescription string `json:"error_description"`
}

// clientCredentials builds the fetch function for the client-credentials grant. The secret
// stays in the closure; it never reaches an error or a log.
func (c *Client) clientCredentials(clientID, secret string) func(ctx context.Context) (string, time.Duration, error) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(clientID+":"+secret))
	tokenURL := loginURL(c.base.BasePath)
	return func(ctx context.Context) (string, time.Duration, error) {
		c.tr.note(func(s *Stats) { s.Tokens++ })
		form := url.Values{"grant_type": {"client_credentials"}}
		headers := map[string]string{"Authorization": basic}
		cfg := c.cfg(ctx, tokenRequest())
		resp, err := cfg.APIClient.CallAPI(tokenURL, "POST", nil, headers, nil, form, "", nil, "login")
		if resp == nil {
			if err == nil {
				err = errors.New("no response")
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, provision.ErrTransient) {
				return "", 0, fmt.Errorf("token request: %w", err)
			}
			return "", 0, fmt.Errorf("token request: %w: %v", provision.ErrTransient, err)
		}
		if resp.StatusCode != 200 {
			var te tokenError
			_ = json.Unmarshal(resp.RawBody, &te)
			switch {
			case resp.StatusCode == 400 || resp.StatusCode == 401 || resp.StatusCode == 403:
				// invalid_client, unauthorized_client, invalid_grant: the credentials or the
				// client's grant type are wrong.
				desc := te.ErrorDescription
				if desc == "" {
					desc = te.Description
				}
				return "", 0, &authError{code: te.Error, description: desc, clientID: clientID}
			default:
				return "", 0, fmt.Errorf("token request: %w: HTTP %d", provision.ErrTransient, resp.StatusCode)
			}
		}
		var tr tokenResponse
		if err := json.Unmarshal(resp.RawBody, &tr); err != nil || tr.AccessToken == "" {
			return "", 0, fmt.Errorf("token request: %w: no access_token in the answer", provision.ErrTransient)
		}
		if !strings.EqualFold(tr.TokenType, "bearer") && tr.TokenType != "" {
			return "", 0, fmt.Errorf("token request: unexpected token type %q", tr.TokenType)
		}
		ttl := time.Duration(tr.ExpiresIn) * time.Second
		if ttl <= 0 {
			ttl = 5 * time.Minute
		}
		return tr.AccessToken, ttl, nil
	}
}

// authError is a refused token request. It matches provision.ErrAuth.
type authError struct {
	code        string // OAuth error, e.g. invalid_client
	description string
	clientID    string
}

// Error names the OAuth client and says why its credentials were refused; never the secret.
func (e *authError) Error() string {
	msg := fmt.Sprintf("credentials rejected for OAuth client %q: %s", e.clientID, e.code)
	if e.description != "" {
		msg += " (" + e.description + ")"
	}
	return msg
}

// Is reports that an authError is provision.ErrAuth.
func (e *authError) Is(target error) bool { return target == provision.ErrAuth }
