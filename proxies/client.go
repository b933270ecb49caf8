// Package proxies talks to Genesys Cloud through the official Go SDK and implements the
// interfaces of package provision. No SDK type leaves this package.
//
// Every call goes through one transport (transport.go) that owns the rate limiter, the
// bearer token, retries and the caller's context; the SDK itself makes exactly one attempt.
package proxies

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"
	"go.uber.org/zap"

	"github.com/user-provisioning/user-provisioning/provision"
)

// Config is what a Client needs.
type Config struct {
	BaseURL      string // from BaseURL
	ClientID     string // the OAuth client's, whatever the grant
	ClientSecret string
	// Grant is the OAuth grant: "" or GrantClientCredentials (the default),
	// GrantSAML2Bearer or GrantPassword. Only the token requests differ: the rate limit,
	// retries, pacing and pool are the same for all.
	Grant string
	// Assertion (saml2-bearer) is the SAML2 assertion, base64-encoded as the identity
	// provider posts it (the caller encodes raw XML); OrgName is the org's short name.
	Assertion, OrgName string
	// TokenURL (password) is the token endpoint's full URL: https, or http on a loopback
	// host only, as BaseURL allows for the API. Username and Password are the person's.
	TokenURL           string
	Username, Password string

	RatePerMinute int // per access token, token requests included; 0 means 300
	// Tokens is how many access tokens the run holds from the one OAuth client, each with its
	// own RatePerMinute (Genesys counts its limit per token); 0 means 1, and saml2-bearer
	// allows no more (one assertion buys one token). They are minted one at a time,
	// TokenSpread apart (0: 2 s), after the first.
	Tokens      int
	TokenSpread time.Duration
	// RateWindow is the span over which the server counts requests, for reading its limit
	// off a 429; 0 means a minute, as Genesys Cloud does. Tests shorten it with the
	// simulator's window.
	RateWindow time.Duration
	// RequestTimeout bounds one attempt, answer read in full included; 0 means 30 s. Tests
	// shorten it to exercise a stalled answer.
	RequestTimeout time.Duration
	// MaxRetryAfter caps the wait a Retry-After asks for; 0 means 180 s. Tests shorten it to
	// exercise a hostile Retry-After without waiting minutes.
	MaxRetryAfter time.Duration
	Logger        *zap.Logger
}

// Client is a connection to one org. It is safe for concurrent use.
type Client struct {
	base     *platformclientv2.Configuration // never written after NewClient
	tr       *transport
	grant    string // one of the Grant constants
	clientID string
	// secret, password and assertion are the credentials, for Secrets only.
	secret, password, assertion string
	refreshTokens               keptSecrets   // every refresh token issued, the latest few: for Secrets
	spread                      time.Duration // between two mints while the token pool fills
	// groupTurns holds a *groupTurn per group id: member changes to one group take turns,
	// since adds carry its version and two at once from this process only conflict.
	groupTurns sync.Map
	// fills is the pool's background fill (Authenticate), which Close stops and waits for.
	fills     sync.WaitGroup
	stopFills context.CancelFunc
}

// NewClient prepares a client; it makes no request (the first call fetches a token). Its
// errors name the environment variable to set (GENESYS_GRANT, GENESYS_CLIENT_ID, …), never
// a secret.
func NewClient(c Config) (*Client, error) {
	if c.BaseURL == "" {
		return nil, errors.New("no API base URL")
	}
	grant, tokenURL, err := checkGrant(c)
	if err != nil {
		return nil, err
	}
	perMin := c.RatePerMinute
	if perMin <= 0 {
		perMin = 300
	}
	log := c.Logger
	if log == nil {
		log = zap.NewNop()
	}
	cfg := sdkConfiguration() // a copy: this client's own
	cfg.BasePath = c.BaseURL

	timeout := c.RequestTimeout
	if timeout <= 0 {
		timeout = requestTimeout
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	hc := &http.Client{
		Timeout: timeout,
		// No redirect is followed: the API and the token endpoint never redirect, and a
		// redirect followed would carry the request, and its credentials, elsewhere. The
		// transport turns a 3xx into an error.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		},
	}
	tr := &transport{
		http:  hc,
		pace:  newPacer(perMin, c.Tokens, c.RateWindow, time.Now()),
		log:   log,
		now:   time.Now,
		sleep: sleepCtx,
		rand:  rand.Float64,

		maxRetryAfter: c.MaxRetryAfter,
	}
	cl := &Client{base: &cfg, tr: tr, spread: c.TokenSpread, grant: grant, clientID: c.ClientID,
		secret: c.ClientSecret, password: c.Password, assertion: c.Assertion}
	if cl.spread <= 0 {
		cl.spread = fillSpread
	}
	tr.tokens = cl.grantPool(c, tokenURL)
	return cl, nil
}

// sdkConfiguration makes the SDK's configuration once per process: creating one writes the
// SDK's package-level logger, which is a data race when two clients are made at once. A
// config file path that cannot exist keeps the SDK from reading ~/.genesyscloudgo through
// its global viper and from starting a file watcher. The SDK's token refresh, retries and
// logging stay off: the transport does all three.
var sdkConfiguration = sync.OnceValue(func() platformclientv2.Configuration {
	cfg := platformclientv2.NewConfigurationWithConfigFile(filepath.Join(os.DevNull, "none"), false)
	cfg.AutomaticTokenRefresh = false
	cfg.ShouldRefreshAccessToken = false
	cfg.RetryConfiguration = nil
	cfg.LoggingConfiguration.LogLevel = platformclientv2.LNone
	return *cfg
})

// cfg returns a copy of the SDK configuration for one call, whose HTTP client carries ctx
// and the policy opts state (see callPolicy) to the transport. The copy is cheap (a struct
// copy) and keeps the shared configuration free of per-call state.
func (c *Client) cfg(ctx context.Context, opts ...callOption) *platformclientv2.Configuration {
	cp := *c.base
	_ = cp.APIClient.SetHttpClient(sdkClient{t: c.tr, ctx: ctx, policy: policyOf(opts)})
	return &cp
}

// Authenticate fetches a token now, so that wrong credentials stop the run before any row.
// With a pool of tokens, the others are then minted in the background, one at a time,
// until the pool is full or ctx ends.
func (c *Client) Authenticate(ctx context.Context) error {
	pool := c.tr.tokens
	if _, _, err := pool.slot(0).Token(ctx); err != nil {
		return err
	}
	if pool.ready.CompareAndSwap(0, 1) && len(pool.slots) > 1 {
		ctx, cancel := context.WithCancel(ctx)
		c.stopFills = cancel
		c.fills.Go(func() { pool.fill(ctx, c.spread, c.tr.sleep, c.tr.log) })
	}
	return nil
}

// Close stops minting the pool's tokens in the background and waits until it has stopped,
// so that nothing the client does outlives it (a log line after the run's summary). The
// client must not be used after Close.
func (c *Client) Close() {
	if c.stopFills != nil {
		c.stopFills()
	}
	c.fills.Wait()
}

// Secrets returns the secrets the client holds, for scrubbing from reports and logs: the
// client secret, the password and the SAML2 assertion (as given) when the grant has them,
// the latest access tokens issued (at most keptTokens a token of the pool) and the latest
// refresh tokens (at most keptTokens). It is safe for concurrent use.
func (c *Client) Secrets() []string {
	out := []string{c.secret}
	for _, s := range []string{c.password, c.assertion} {
		if s != "" {
			out = append(out, s)
		}
	}
	out = append(out, c.tr.tokens.Issued()...)
	return append(out, c.refreshTokens.all()...)
}

// Grant is the OAuth grant the client authenticates with: GrantClientCredentials,
// GrantSAML2Bearer or GrantPassword.
func (c *Client) Grant() string { return c.grant }

// TokenLifetime is the first access token's lifetime (its expires_in); 0 before the client
// authenticated.
func (c *Client) TokenLifetime() time.Duration { return c.tr.tokens.life.lifetime() }

// TokenEnding is closed once the access token is ending and cannot be renewed (the SAML2
// bearer grant): when it is within min(lifetime/4, 2 min) of its expiry, when a 401 came
// back on it, or when a token request failed with provision.ErrTokenEnded. From its expiry,
// or the 401, on, every call fails with an error wrapping provision.ErrTokenEnded. For a
// grant that renews its tokens the channel is never closed.
func (c *Client) TokenEnding() <-chan struct{} { return c.tr.tokens.life.ending }

// Stats reports what the client's transport did so far.
func (c *Client) Stats() Stats { return c.tr.Stats() }

// PoolSize is how many access tokens the client holds once its pool is full.
func (c *Client) PoolSize() int { return len(c.tr.tokens.slots) }

// Pacing is the current pacing of all the tokens together, requests per minute, for
// progress lines and logs.
func (c *Client) Pacing() float64 { return c.tr.pace.perMinute() }

// groupTurn is one group's turn: a one-slot channel that member changes to it take in
// turn, and the version the group is at after this process's last add (0: unknown, read
// it). Member adds answer 202 and GET shows the new version only after a moment, so an add
// that follows another reads a stale version; the one that went before knows better.
// version is guarded by holding the turn.
type groupTurn struct {
	slot    chan struct{}
	version int
}

// groupTurn returns groupID's turn.
func (c *Client) groupTurn(groupID string) *groupTurn {
	t, ok := c.groupTurns.Load(groupID)
	if !ok {
		t, _ = c.groupTurns.LoadOrStore(groupID, &groupTurn{slot: make(chan struct{}, 1)})
	}
	return t.(*groupTurn)
}

// take waits for the turn, or for ctx.
func (t *groupTurn) take(ctx context.Context) error {
	select {
	case t.slot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives the turn back, to the next member change to the group waiting in take.
func (t *groupTurn) release() { <-t.slot }

// Services returns the API areas as the pipeline consumes them.
func (c *Client) Services() provision.Services {
	return provision.Services{
		Users:         &usersArea{c},
		Authorization: &authorizationArea{c},
		Groups:        &groupsArea{c},
		Telephony:     &telephonyArea{c},
		Routing:       &routingArea{c},
		Locations:     &locationsArea{c},
		Who:           &whoArea{c},
	}
}

var idSegment = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// route names a request for counters and logs: "POST /api/v2/users/{id}/roles".
func route(method, path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if idSegment.MatchString(p) {
			parts[i] = "{id}"
		}
	}
	return method + " " + strings.Join(parts, "/")
}
