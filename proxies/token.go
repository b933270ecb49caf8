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

	"go.uber.org/zap"

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

// tokenPool is the access tokens the run holds from its one OAuth client, each with its own
// rate limit (Genesys counts client.credentials.token.rate.per.minute per token): one unless
// Config.Tokens asks for more. The first is minted when the run authenticates; the others
// one at a time, fillSpread apart (fill), so that the OAuth endpoint never sees a burst.
// Each token is renewed on its own schedule, before it expires, and a 401 renews only the
// token it came back on. It is safe for concurrent use.
type tokenPool struct {
	slots []*tokenSource
	ready atomic.Int32 // how many tokens, from the first, have been minted
}

// newTokenPool makes a pool of n tokens (at least one) fetched with fetch.
func newTokenPool(n int, fetch func(ctx context.Context) (string, time.Duration, error), now func() time.Time) *tokenPool {
	p := &tokenPool{}
	for range max(n, 1) {
		p.slots = append(p.slots, &tokenSource{fetch: fetch, now: now})
	}
	return p
}

// slot is the token source of the pool's token i.
func (p *tokenPool) slot(i int) *tokenSource { return p.slots[i] }

// readyCount is how many tokens, from the first, may carry requests: those minted so far,
// and always the first (a request mints it if need be).
func (p *tokenPool) readyCount() int { return max(int(p.ready.Load()), 1) }

// Issued returns the latest tokens of every slot, for scrubbing.
func (p *tokenPool) Issued() []string {
	var out []string
	for _, s := range p.slots {
		out = append(out, s.Issued()...)
	}
	return out
}

// fillSpread is the default time between two mints while the pool fills.
const fillSpread = 2 * time.Second

// fill mints the pool's tokens after the first, one at a time, spread apart, until the pool
// is full or ctx ends. A token that cannot be minted (the OAuth endpoint's own 429, or any
// other failure but refused credentials) is tried again later, waiting longer each time;
// meanwhile the run goes on with the tokens it has.
func (p *tokenPool) fill(ctx context.Context, spread time.Duration, sleep func(context.Context, time.Duration) error, log *zap.Logger) {
	for i := int(p.ready.Load()); i < len(p.slots); i++ {
		wait := spread
		for {
			if sleep(ctx, wait) != nil {
				return
			}
			_, _, err := p.slots[i].Token(ctx)
			if err == nil {
				p.ready.Store(int32(i + 1))
				log.Info("access token added to the pool", zap.Int("tokens", i+1), zap.Int("of", len(p.slots)))
				break
			}
			if ctx.Err() != nil || errors.Is(err, provision.ErrAuth) {
				return
			}
			wait = min(2*wait, time.Minute)
			log.Warn("could not add an access token to the pool; going on with the others", zap.Int("tokens", i),
				zap.Duration("next_try", wait), zap.Error(err))
		}
	}
}
