package gcsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Sim. The zero value is a fault-free simulator of DefaultOrg with
// 24-hour tokens and no rate limit but the OAuth endpoint's (TokenMintPerMinute) and the
// search limits Developer Center documents.
type Options struct {
	Org *Org // seed org; nil means DefaultOrg()
	// TokenTTL is the lifetime of access tokens whose OAuth client does not set
	// AccessTokenValiditySeconds; 0 means 24h (expires_in 86399).
	TokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of the refresh tokens of the password grant; 0 means
	// 24h. Modelling choice: Genesys Authentication's default is unconfirmed.
	RefreshTokenTTL time.Duration
	RatePerMinute   int           // the token's limit: accepted requests per access token (per OAuth client with RatePerClient) within RateWindow, answered 429 stating it (limits.go); 0 means unlimited
	RateWindow      time.Duration // length of every sliding rate window; 0 means 60s
	// RatePerClient makes RatePerMinute one window shared by every token of an OAuth client,
	// as the simulator counted before it kept one per token. By default each access token
	// has its own window: Genesys's limits page defines client.credentials.token.rate.per.minute
	// (300) as "the maximum number of requests per client credentials grant token per
	// minute", and its own CX as Code keeps a pool of tokens from one client because "each
	// token will have its own rate limit". With one token the two are the same.
	RatePerClient bool
	// TokenMintPerMinute limits the token requests (POST /oauth/token and POST
	// /auth/v3/oauth/token together) of each OAuth client within RateWindow, answered 429
	// too.many.requests.retry.after with Retry-After. Genesys documents that its OAuth
	// endpoint has rate limits of its own (CX as Code warns that a large token pool "can
	// trigger OAuth rate limiting during pool prefill") but not their number; 0 means
	// DefaultTokenMintPerMinute, a negative value lifts the limit.
	TokenMintPerMinute int
	Fail503Ratio       float64       // share of API requests answered 503 before doing anything
	DropRatio          float64       // share of API requests whose effect is committed, then the connection closed unanswered
	Latency            time.Duration // added to every API and token request (before it is authenticated or limited), not to /__sim ones
	StationDelay       time.Duration // a WebRTC phone's station appears this long after the phone
	SearchLag          time.Duration // a user change reaches POST /api/v2/users/search this long after it is made
	// Eventual consistency that Genesys documents and its Terraform provider retries (see
	// consistency.go). Zero means the default; a negative value turns the lag off.
	AuthLag             time.Duration // role grants and phone creation naming a user answer 404 this long after the user is created (default 1 s)
	GroupLag            time.Duration // a group member change (202) takes effect, and moves the group's version, this long later (default 1 s)
	StationAssociateLag time.Duration // setting a new station as default answers 409 this long after it appears (default 1 s)
	// SearchExpandAll makes user search honour every expand value, as GET /api/v2/users does.
	// By default it honours only those Developer Center lists for the users resource.
	SearchExpandAll bool
	Seed            int64 // seeds the random faults and the generated ids
	Logf            func(format string, args ...any)
	// Observe, when set, is told of every token and API request when it is answered:
	// benchmarks read the achieved rate and the 429s off it. It must be safe for concurrent use.
	Observe func(Observed)
	// RouteLimits are per-resource limits (limits.go): accepted requests per OAuth client
	// within RateWindow, by route key ("POST /api/v2/users", as in Counters.Requests),
	// answered 429 too.many.requests.retry.after, which does not state the limit.
	RouteLimits map[string]int
	// SearchLimits replace Developer Center's per-type limits of the /search routes
	// (limits.go), counted for the whole org within RateWindow, by criteria type
	// ("CONTAINS"); a negative value lifts that type's limit.
	SearchLimits map[string]int
}

// DefaultTokenMintPerMinute is the token requests an OAuth client may make within
// RateWindow when Options.TokenMintPerMinute is 0. Genesys does not publish the number
// (shared/reference/genesys-api.md says only that the OAuth endpoint rate-limits a pool's
// prefill); one a second is the stricter reading: enough for a pool of 50 tokens (CX as
// Code's maximum) minted one at a time, not for one minted per request.
const DefaultTokenMintPerMinute = 60

// Observed is one request as Options.Observe sees it.
type Observed struct {
	At     time.Time // when the request arrived
	Method string
	Path   string
	Status int // 0 when the connection was dropped unanswered
	// Token is the index of the access token the request carried (1 for the first token
	// issued, as in Counters.TooManyByToken); 0 for token requests and unauthenticated ones.
	Token int
	// Subject is who the token acts as, "client:<clientId>" or "user:<userId>" (as in
	// Counters.WritesBySubject); "" when Token is 0.
	Subject string
}

// Sim is a simulated Genesys Cloud organization: an http.Handler serving the login endpoints
// (/oauth/token, and Genesys Authentication's /auth/v3/oauth/token for the password grant),
// the Platform API routes the provisioning tool calls (/api/v2/...), and the simulator's own
// control routes (/__sim/...). It is safe for concurrent use.
type Sim struct {
	opts   Options
	routes []route

	faultMu  sync.Mutex // guards rng, fail503 and drop
	rng      *mrand.Rand
	fail503  float64
	drop     float64
	idSeqMu  sync.Mutex
	idSeq    uint64
	mu       sync.Mutex // guards everything below
	w        *world
	tokens   map[string]token
	refresh  map[string]refreshToken // the password grant's refresh tokens, see oauth.go
	used     map[string]time.Time    // assertions the SAML2 bearer grant accepted → their NotOnOrAfter
	issued   []string                // every access and refresh token ever issued, for tests that check no token leaks
	windows  windows                 // of the rate limits, see limits.go
	counts   Counters
	scripts  map[string][]Fault // per route key, see Script
	inFlight int                // token requests being served, at either endpoint
}

type token struct {
	client  string // the OAuth client that minted it
	userID  string // the person it acts as (SAML2 bearer, password grant); "" for client credentials
	index   int    // 1 for the first token issued, 2 for the next, ...: its id in Counters
	expires time.Time
}

// subject is who the token acts as: "client:<clientId>" or "user:<userId>".
func (t token) subject() string {
	if t.userID != "" {
		return "user:" + t.userID
	}
	return "client:" + t.client
}

// New returns a simulator seeded with opts.Org. It panics if the org is not valid (see
// Org.Validate): LoadOrg has already checked a loaded org.
func New(opts Options) *Sim {
	if opts.Org == nil {
		opts.Org = DefaultOrg()
	}
	if err := opts.Org.Validate(); err != nil {
		panic("gcsim: invalid org: " + err.Error())
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 24 * time.Hour
	}
	if opts.RefreshTokenTTL <= 0 {
		opts.RefreshTokenTTL = 24 * time.Hour
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.TokenMintPerMinute == 0 {
		opts.TokenMintPerMinute = DefaultTokenMintPerMinute
	}
	s := &Sim{
		opts:    opts,
		rng:     mrand.New(mrand.NewSource(opts.Seed)),
		fail503: opts.Fail503Ratio,
		drop:    opts.DropRatio,
		w:       newWorld(opts.Org, time.Now()),
		tokens:  map[string]token{},
		refresh: map[string]refreshToken{},
		used:    map[string]time.Time{},
		windows: newWindows(),
		scripts: map[string][]Fault{},
		counts: Counters{
			Requests: map[string]int{}, CreateAttempts: map[string]int{}, CreateConflicts: map[string]int{}, PhoneCreateAttempts: map[string]int{},
			Invites: map[string]int{}, Lagged: map[string]int{}, RequestsByToken: map[int]int{}, TooManyByToken: map[int]int{},
			WritesBySubject: map[string]int{},
		},
	}
	s.routes = apiRoutes()
	s.w.groupLag = s.groupLag()
	return s
}

// SetFaults changes the share of API requests answered 503 and the share dropped after being
// committed. Tests turn faults on after their setup calls.
func (s *Sim) SetFaults(fail503, drop float64) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.fail503, s.drop = fail503, drop
}

// RevokeTokens makes every token issued so far invalid: later API calls with an access token
// are answered 401 bad.credentials, and a refresh token is refused invalid_grant.
func (s *Sim) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	clear(s.refresh)
}

// ExpireTokens makes every access token issued so far expire now: later API calls with them
// are answered 401 bad.credentials, as RevokeTokens does, but the refresh tokens of the
// password grant still work, so that a test can watch a client renew its token.
func (s *Sim) ExpireTokens() {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		t.expires = now
		s.tokens[k] = t
	}
}

// drawFaults decides the faults of one API request. It always draws twice, so that the
// sequence of decisions depends only on the seed and the number of requests.
func (s *Sim) drawFaults() (fail503, drop bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	a, b := s.rng.Float64(), s.rng.Float64()
	return a < s.fail503, b < s.drop
}

// newID returns a UUID-looking id derived from the seed and a counter, so that a run with the
// same seed and the same sequence of creations gets the same ids.
func (s *Sim) newID() string {
	s.idSeqMu.Lock()
	s.idSeq++
	n := s.idSeq
	s.idSeqMu.Unlock()
	sum := sha256.Sum256([]byte(fmt.Sprintf("gcsim/%d/%d", s.opts.Seed, n)))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatUUID(b)
}

func randRead(b []byte) { _, _ = rand.Read(b) } // crypto/rand.Read never fails (Go 1.24+)

func (s *Sim) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// maxBody bounds request bodies; larger ones are answered 413.
const maxBody = 1 << 20

// ServeHTTP serves one request. Every answer carries an ININ-Correlation-Id header equal to
// the contextId of its error body. API requests go through, in order: the configured latency,
// authentication, the rate limit, the 503 fault, the permission check, the route's handler,
// and the drop fault.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{w: w, r: r, ctxID: newUUID(), now: start}
	w.Header().Set("ININ-Correlation-Id", c.ctxID)
	outcome := ""
	switch {
	case strings.HasPrefix(r.URL.Path, "/__sim/"):
		s.serveControl(c)
	case r.URL.Path == "/oauth/token":
		s.serveToken(c, "POST /oauth/token", s.loginGrant)
	case r.URL.Path == authTokenPath:
		s.serveToken(c, "POST "+authTokenPath, s.authGrant)
	default:
		outcome = s.serveAPI(w, c)
	}
	if outcome == "" {
		outcome = strconv.Itoa(c.status)
	}
	if s.opts.Observe != nil && !strings.HasPrefix(r.URL.Path, "/__sim/") {
		status := c.status
		if outcome == "client-gone" || strings.HasSuffix(outcome, "-dropped") {
			status = 0
		}
		s.opts.Observe(Observed{At: start, Method: r.Method, Path: r.URL.Path, Status: status, Token: c.token, Subject: c.subject})
	}
	// Only the method and path are logged: never headers (Authorization), query strings or bodies.
	s.logf("gcsim: %s %s %s %s", r.Method, r.URL.Path, outcome, time.Since(start).Round(time.Millisecond))
}

// sleep waits d, or less if ctx ends first; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// readBody reads the request body into c.body; on failure it answers and returns false.
func (c *call) readBody() bool {
	b, err := io.ReadAll(io.LimitReader(c.r.Body, maxBody+1))
	if err != nil {
		c.fail(http.StatusBadRequest, "client.failed.request", "The client did not produce a request with valid end of stream signaling.")
		return false
	}
	if len(b) > maxBody {
		c.fail(http.StatusRequestEntityTooLarge, "request.entity.too.large", "The request entity is too large.")
		return false
	}
	c.body = b
	return true
}

// serveAPI serves an /api/v2 request and returns a log outcome ("" to log the status).
func (s *Sim) serveAPI(w http.ResponseWriter, c *call) string {
	if !sleep(c.r.Context(), s.opts.Latency) {
		return "client-gone"
	}
	if !c.readBody() {
		return ""
	}
	rt, params := s.match(c.r.Method, c.r.URL.Path)
	c.params = params
	c.now = time.Now()
	s.count(c, rt)
	if !strings.HasPrefix(c.r.URL.Path, "/api/v2/") {
		c.notFound()
		return ""
	}
	if !s.authenticate(c) {
		return ""
	}
	scripted, isScripted := Fault{}, false
	if rt != nil {
		scripted, isScripted = s.nextScripted(rt.key)
	}
	if isScripted && !scripted.Drop {
		s.answerScripted(c, scripted)
		return "scripted-" + strconv.Itoa(c.status)
	}
	key := ""
	if rt != nil {
		key = rt.key
	}
	if !isScripted && !s.admit(c, s.apiWindows(c, key)) {
		return ""
	}
	fail, drop := s.drawFaults()
	if isScripted {
		fail, drop = false, true
	}
	if fail {
		s.mu.Lock()
		s.counts.Fail503++
		s.mu.Unlock()
		c.fail(http.StatusServiceUnavailable, "service.unavailable", "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).")
		return ""
	}
	if rt == nil {
		c.notFound()
		return ""
	}
	if !s.authorize(c, rt.key) {
		return ""
	}
	if rt.write {
		s.mu.Lock()
		s.counts.WritesBySubject[c.subject]++
		s.mu.Unlock()
	}
	buf := &bufferedWriter{header: http.Header{}}
	c.w = buf
	rt.handle(s, c)
	if drop {
		s.mu.Lock()
		s.counts.Dropped++
		s.mu.Unlock()
		closeUnanswered(w)
		return strconv.Itoa(c.status) + "-dropped"
	}
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body.Bytes())
	return ""
}

// closeUnanswered closes the client's connection without writing a byte.
func closeUnanswered(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection without an answer
}

// bufferedWriter holds a handler's answer until the drop fault has been decided.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// authenticate checks the bearer token and sets c.client, c.userID, c.subject and c.token.
// On failure it answers 401 and returns false.
func (s *Sim) authenticate(c *call) bool {
	h := c.r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(h, " ")
	if h == "" || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" {
		s.mu.Lock()
		s.counts.Unauthorized++
		s.mu.Unlock()
		c.fail(http.StatusUnauthorized, "authentication.required", "No authentication bearer token specified in authorization header.")
		return false
	}
	s.mu.Lock()
	t, ok := s.tokens[strings.TrimSpace(tok)]
	// Modelling choice: an expired token gets bad.credentials like an unknown one (the code
	// for expiry, bad.credentials or credentials.expired, is unconfirmed). So does a person's
	// token once the person is no longer active (unconfirmed; the stricter reading).
	if !ok || !c.now.Before(t.expires) || (t.userID != "" && s.w.activeUser(t.userID) == nil) {
		s.counts.Unauthorized++
		s.mu.Unlock()
		c.fail(http.StatusUnauthorized, "bad.credentials", "Invalid login credentials.")
		return false
	}
	s.counts.RequestsByToken[t.index]++
	s.mu.Unlock()
	c.client, c.userID, c.subject, c.token = t.client, t.userID, t.subject(), t.index
	return true
}

// count records a request in the counters before anything can refuse it.
func (s *Sim) count(c *call, rt *route) {
	key := c.r.Method + " (unmatched)"
	if rt != nil {
		key = rt.key
	}
	var email, webRTCUser string
	if rt != nil && rt.key == "POST /api/v2/users" {
		var b struct {
			Email string `json:"email"`
		}
		if json.Unmarshal(c.body, &b) == nil {
			email = strings.ToLower(strings.TrimSpace(b.Email))
		}
	}
	if rt != nil && rt.key == "POST /api/v2/telephony/providers/edges/phones" {
		var b struct {
			WebRtcUser *struct {
				ID string `json:"id"`
			} `json:"webRtcUser"`
		}
		if json.Unmarshal(c.body, &b) == nil && b.WebRtcUser != nil {
			webRTCUser = b.WebRtcUser.ID
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Requests[key]++
	if rt != nil && rt.write {
		s.counts.Writes++
	}
	if email != "" {
		s.counts.CreateAttempts[email]++
	}
	if webRTCUser != "" {
		s.counts.PhoneCreateAttempts[webRTCUser]++
	}
}

// serveControl serves the simulator's own routes. They need no token and are neither rate
// limited nor faulted.
func (s *Sim) serveControl(c *call) {
	switch c.r.Method + " " + c.r.URL.Path {
	case "GET /__sim/state":
		c.json(http.StatusOK, s.State())
	case "GET /__sim/counters":
		c.json(http.StatusOK, s.Counters())
	case "POST /__sim/revoke-tokens":
		s.RevokeTokens()
		c.empty(http.StatusNoContent)
	case "POST /__sim/expire-tokens":
		s.ExpireTokens()
		c.empty(http.StatusNoContent)
	default:
		c.notFound()
	}
}
