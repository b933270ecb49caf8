package proxies

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"
	"go.uber.org/zap"

	"github.com/user-provisioning/user-provisioning/provision"
)

// requestTimeout bounds one attempt, like the SDK's own 16 s client timeout, with room for a
// slow search.
const requestTimeout = 30 * time.Second

// transport is the one place where HTTP requests leave the program. It waits on the pacer
// before every attempt (the shared rate limiter, and a route's own once a 429 slowed it),
// injects the bearer token, refreshes it once on a 401, hands every 429 to the pacer, which
// pauses everyone or only the route for Retry-After (see pacer), and backs off on 5xx and
// network errors. It reads every answer whole before returning it (readBody): an answer cut
// off or stalled counts as a network error, one over maxBody fails the call, and a redirect
// is an error, never followed. It is safe for concurrent use.
type transport struct {
	http   *http.Client
	pace   *pacer
	tokens *tokenPool
	log    *zap.Logger

	mu    sync.Mutex
	stats Stats

	// Injected for tests.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	rand  func() float64
	// maxRetryAfter, when positive and below maxRetryAfter, caps Retry-After instead
	// (Config.MaxRetryAfter).
	maxRetryAfter time.Duration
}

// Stats counts what the transport did.
type Stats struct {
	Requests     int            // attempts sent, token requests included
	ByRoute      map[string]int // attempts by "METHOD /path" with ids replaced
	Throttled    int            // 429 answers
	Retries      int            // attempts repeated: after 429, 5xx or network errors, version conflicts, and while the org settles
	Unauthorized int            // 401 answers
	Tokens       int            // token requests
	Pool         int            // access tokens held: minted so far, of Config.Tokens
	// ThrottledByToken is the 429s answered to the requests on each token of the pool.
	ThrottledByToken []int
}

// do sends one call under policy p, repeating it as retryClassOf and p allow: it waits for
// its turn with the pacer before every attempt, refreshes the token once on a 401, hands a
// 429 to the pacer and waits its Retry-After, and backs off after an unknown outcome. It
// returns the last answer, read whole, or the error that ended the call.
func (t *transport) do(ctx context.Context, p callPolicy, method string, u *url.URL, header http.Header, body []byte) (*http.Response, error) {
	rt := route(method, u.Path)
	refreshed := false
	for attempt := 1; ; attempt++ {
		slot, sentAt, err := t.waitTurn(ctx, rt)
		if err != nil {
			return nil, err
		}
		resp, gen, err := t.send(ctx, slot, p.login, method, u, header, body, rt)
		var failed *failedExchange
		if errors.As(err, &failed) {
			// A failed exchange, or an answer cut off or stalled: the server may have acted.
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			err = fmt.Errorf("%w: %s %s: %v", provision.ErrTransient, method, u.Path, redactURLError(failed.err))
			if !p.repeats(attempt, unknownOutcome) {
				return nil, err
			}
			if err := t.backoff(ctx, attempt, 0); err != nil {
				return nil, err
			}
			p.markRepeated()
			continue
		}
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && !p.login {
			t.note(func(s *Stats) { s.Unauthorized++ })
			if refreshed {
				return resp, nil // a 401 on a fresh token: the caller reports ErrAuth
			}
			refreshed = true
			drain(resp)
			t.tokens.slot(slot).Invalidate(gen) // the other tokens are not concerned
			attempt--                           // a token refresh is not a retry
			continue
		}
		class := retryClassOf(resp.StatusCode)
		var wait time.Duration
		if class == throttled {
			wait = t.onThrottled(resp, slot, rt, sentAt)
		}
		if !p.repeats(attempt, class) {
			return resp, nil
		}
		drain(resp)
		if class == unknownOutcome {
			wait = t.retryAfter(resp.Header, rt)
		}
		if err := t.backoff(ctx, attempt, wait); err != nil {
			return nil, err
		}
		if class == unknownOutcome {
			p.markRepeated()
		}
	}
}

// failedExchange is send's error for an exchange that failed, or an answer cut off or
// stalled: unlike send's other errors, the server may have acted, and the call may be
// repeated.
type failedExchange struct{ err error }

// Error is the failure's own message.
func (f *failedExchange) Error() string { return f.err.Error() }

// send makes one attempt: it builds the request, adds the bearer token of the pool's token
// slot unless the call is the token request (login), and reads the answer whole (receive).
// gen is the token's generation, for Invalidate after a 401. A *failedExchange error is a failed exchange; any other error
// ends the call: a request that cannot be built, no token, or an answer refused.
func (t *transport) send(ctx context.Context, slot int, login bool, method string, u *url.URL, header http.Header, body []byte, rt string) (resp *http.Response, gen uint64, err error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", provision.ErrRejected, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if !login {
		var tok string
		if tok, gen, err = t.tokens.slot(slot).Token(ctx); err != nil {
			return nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	t.count(rt)
	resp, err = t.http.Do(req)
	if err == nil {
		var refused error
		if refused, err = receive(req, resp); refused != nil {
			return nil, 0, refused
		}
	}
	if err != nil {
		return nil, 0, &failedExchange{err}
	}
	return resp, gen, nil
}

// onThrottled handles a 429 on route whose attempt left at sentAt on token slot: it counts
// it, reads its Retry-After, hands both and the limit its body states to the pacer, which
// pauses the token or only the route, and logs what changed. It returns the wait.
func (t *transport) onThrottled(resp *http.Response, slot int, route string, sentAt time.Time) time.Duration {
	t.note(func(s *Stats) { s.Throttled++ })
	wait := t.retryAfter(resp.Header, route)
	v := t.pace.throttled(t.now(), throttle{slot: slot, route: route, sentAt: sentAt, wait: wait, stated: statedLimit(peek(resp, maxErrorBody))})
	t.logThrottled(route, wait, v)
	return wait
}

// waitTurn waits until a request on route may leave, and picks the token it leaves on: out
// of any 429 pause of the route, then for the route's own limiter if it has one, then for
// the turn of the token that can send soonest (out of its own pause). A pause that began
// meanwhile is waited out too. It returns the token and when the request left, for the
// pacer's counts.
func (t *transport) waitTurn(ctx context.Context, route string) (int, time.Time, error) {
	for {
		for {
			d := t.pace.routePausedFor(route, t.now())
			if d <= 0 {
				break
			}
			if err := t.sleep(ctx, d); err != nil {
				return 0, time.Time{}, err
			}
		}
		if own := t.pace.turn(route, t.now()); own != nil {
			if err := own.Wait(ctx); err != nil {
				return 0, time.Time{}, err
			}
		}
		slot, pause, delay, cancel := t.pace.pick(t.tokens.readyCount(), t.now())
		if err := t.waitPicked(ctx, pause, delay); err != nil {
			cancel()
			return 0, time.Time{}, err
		}
		if now := t.now(); t.pace.sent(slot, route, now) {
			return slot, now, nil
		}
	}
}

// waitPicked waits out a picked token's pause (on the transport's clock), then its limiter's
// delay (on the real one, as rate.Limiter.Wait does), or until ctx ends.
func (t *transport) waitPicked(ctx context.Context, pause, delay time.Duration) error {
	if pause > 0 {
		if err := t.sleep(ctx, pause); err != nil {
			return err
		}
	}
	if delay <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// logThrottled logs a 429 at debug level, and what it changed at info level: a slower
// pacing is what a person watching the run needs to know.
func (t *transport) logThrottled(route string, wait time.Duration, v verdict) {
	scope := "route"
	if v.everyone {
		scope = "everyone"
	}
	t.log.Debug("throttled", zap.String("route", route), zap.Duration("retry_after", wait),
		zap.String("paused", scope), zap.Float64("pacing", v.perMinute))
	if v.changed {
		t.log.Info("pacing slowed after a 429", zap.String("route", route), zap.String("paused", scope),
			zap.Float64("per_minute", math.Round(v.perMinute*10)/10), zap.Bool("ceiling", v.ceiling))
	}
}

// backoff waits before attempt+1: exponential with full jitter, and at least floor.
func (t *transport) backoff(ctx context.Context, attempt int, floor time.Duration) error {
	t.note(func(s *Stats) { s.Retries++ })
	return t.sleep(ctx, backoffDelay(attempt, floor, t.rand()))
}

// maxErrorBody bounds what is read of a 429's body to find a stated limit: an ErrorBody is
// a few hundred bytes.
const maxErrorBody = 4 << 10

// statedLimit reads the limit a 429's ErrorBody states, in requests a second; 0 when it
// states none. Genesys answers its token limit with code too.many.requests and the message
// "Rate limit exceeded the maximum [300] requests within [60] seconds", and its other limits
// with too.many.requests.retry.after, whose message states only the wait. The code decides;
// the message is read only for the two numbers, which no other field carries.
func statedLimit(body []byte) float64 {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Code != "too.many.requests" {
		return 0
	}
	m := statedPattern.FindStringSubmatch(e.Message)
	if m == nil {
		return 0
	}
	n, err1 := strconv.ParseFloat(m[1], 64)
	secs, err2 := strconv.ParseFloat(m[2], 64)
	if err1 != nil || err2 != nil || n <= 0 || secs <= 0 {
		return 0
	}
	return n / secs
}

var statedPattern = regexp.MustCompile(`maximum \[([0-9]+(?:\.[0-9]+)?)\] requests within \[([0-9]+(?:\.[0-9]+)?)\] seconds`)

// peek reads up to n bytes of resp's body and puts them back in front of the rest, so that
// the caller still reads the whole body.
func peek(resp *http.Response, n int64) []byte {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, n))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return head
}

// retryAfter is the wait the Retry-After of a 429 or 5xx on route asks for (retryAfterOf),
// capped at Config.MaxRetryAfter when that is set. A header over maxRetryAfter is warned of.
func (t *transport) retryAfter(h http.Header, route string) time.Duration {
	d, _, capped := retryAfterOf(h, t.now())
	if t.maxRetryAfter > 0 && d > t.maxRetryAfter {
		d = t.maxRetryAfter
	}
	if capped {
		t.log.Warn("Retry-After too long, capped", zap.String("route", route),
			zap.String("retry_after", h.Get("Retry-After")), zap.Duration("waiting", d))
	}
	return d
}

// receive reads resp's body whole (readBody). refused is an answer that must not be used or
// retried: a redirect (never followed) or a body over maxBody. readErr is a body cut off or
// stalled, which counts as a failed exchange. An error answer's echo of req's credentials is
// redacted.
func receive(req *http.Request, resp *http.Response) (refused, readErr error) {
	if isRedirect(resp.StatusCode) {
		drain(resp)
		return fmt.Errorf("%w: %s %s: answered %d, a redirect to %s, which is not followed",
			provision.ErrRejected, req.Method, req.URL.Path, resp.StatusCode, redirectTarget(resp)), nil
	}
	err := readBody(resp)
	if errors.Is(err, errTooLarge) {
		return fmt.Errorf("%w: %s %s: %v", provision.ErrRejected, req.Method, req.URL.Path, err), nil
	}
	if err == nil && resp.StatusCode >= 300 {
		redactCredentials(resp, req.Header)
	}
	return nil, err
}

// maxBody bounds what is read of one answer. The largest answers the tool asks for are
// listings of 500 entities (groups, queues) with their expansions, a few MiB at most; 32 MiB
// is room to spare, and a server sending more is broken or hostile.
const maxBody = 32 << 20

// errTooLarge is readBody's answer to a body over maxBody.
var errTooLarge = fmt.Errorf("answer larger than %d MiB", maxBody>>20)

// readBody reads resp's body whole, at most maxBody bytes, and puts the bytes read in its
// place, so that the SDK, which ignores read errors, sees a body that was read to the end.
// A read error, or fewer bytes than Content-Length, is returned (the answer was cut off);
// a body over maxBody is errTooLarge, and is not read past the cap.
func readBody(resp *http.Response) error {
	defer resp.Body.Close()
	if resp.ContentLength > maxBody {
		return errTooLarge
	}
	// Grown by doubling up to maxBody, so that a body of unknown length costs at most about
	// twice the cap; one that states its length is read into a buffer of that size.
	size := int64(64 << 10)
	if resp.ContentLength >= 0 {
		size = resp.ContentLength
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			// Full: one byte more tells whether the body ends here, before growing.
			var one [1]byte
			n, err := io.ReadFull(resp.Body, one[:])
			if n == 0 {
				if err == io.EOF {
					break
				}
				return err
			}
			if len(buf) >= maxBody {
				return errTooLarge
			}
			grown := make([]byte, len(buf), min(max(2*cap(buf), 512), maxBody))
			copy(grown, buf)
			buf = append(grown, one[0])
			continue
		}
		n, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if resp.ContentLength >= 0 && int64(len(buf)) < resp.ContentLength {
		return fmt.Errorf("answer cut off: %d of %d bytes: %w", len(buf), resp.ContentLength, io.ErrUnexpectedEOF)
	}
	resp.Body = io.NopCloser(bytes.NewReader(buf))
	return nil
}

// redactCredentials removes from an error answer's body the credentials the request carried
// in its Authorization header (a bearer token; a Basic pair, its secret too), should the
// server echo the request into its message: the message reaches errors, reports and logs.
// The body has been read whole (readBody).
func redactCredentials(resp *http.Response, reqHeader http.Header) {
	_, cred, ok := strings.Cut(reqHeader.Get("Authorization"), " ")
	if !ok || cred == "" {
		return
	}
	secrets := []string{cred}
	if pair, err := base64.StdEncoding.DecodeString(cred); err == nil {
		if _, secret, ok := strings.Cut(string(pair), ":"); ok && secret != "" {
			secrets = append(secrets, string(pair), secret)
		}
	}
	body, _ := io.ReadAll(resp.Body)
	for _, s := range secrets {
		body = bytes.ReplaceAll(body, []byte(s), []byte("[redacted]"))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
}

// isRedirect reports a 3xx. The client follows none (see NewClient): the API never
// redirects, and following one would send the request, and its token, elsewhere.
func isRedirect(code int) bool { return code >= 300 && code < 400 }

// redirectTarget is a redirect's Location for an error message: resolved against the
// request, without user info, query or fragment, which may carry credentials.
func redirectTarget(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "no Location"
	}
	u, err := url.Parse(loc)
	if err == nil && resp.Request != nil && resp.Request.URL != nil {
		u = resp.Request.URL.ResolveReference(u)
	}
	if err != nil {
		return "an unreadable Location"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// count counts an attempt on route r.
func (t *transport) count(r string) {
	t.note(func(s *Stats) {
		s.Requests++
		if s.ByRoute == nil {
			s.ByRoute = map[string]int{}
		}
		s.ByRoute[r]++
	})
}

// note applies f to the counters, under the lock: the transport is shared by every worker.
func (t *transport) note(f func(*Stats)) {
	t.mu.Lock()
	f(&t.stats)
	t.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (t *transport) Stats() Stats {
	t.mu.Lock()
	s := t.stats
	s.ByRoute = make(map[string]int, len(t.stats.ByRoute))
	for k, v := range t.stats.ByRoute {
		s.ByRoute[k] = v
	}
	t.mu.Unlock()
	if t.tokens != nil {
		s.Pool = t.tokens.readyCount()
	}
	if t.pace != nil {
		s.ThrottledByToken = t.pace.throttledByToken()
	}
	return s
}

// drain reads what is left of a body that will not be used, up to 1 MiB, and closes it, so
// that the connection can be reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
}

// redactURLError drops the URL from a *url.Error: the message keeps the cause only.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// sleepCtx waits d, or until ctx ends (its error then); the transport's sleep outside tests.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// sdkClient adapts the transport to the SDK's AbstractHttpClient for one call, carrying
// that call's context and policy (Client.cfg makes one per call). The SDK's retry settings
// are ignored: it makes one attempt and every retry is the transport's.
type sdkClient struct {
	t      *transport
	ctx    context.Context
	policy callPolicy
}

var _ platformclientv2.AbstractHttpClient = sdkClient{}

// Do sends the SDK's request through the transport, under the call's context and policy.
func (c sdkClient) Do(o *platformclientv2.HTTPRequestOptions) (*http.Response, error) {
	rr, err := o.ToRetryableRequest()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", provision.ErrRejected, err)
	}
	body, err := rr.BodyBytes()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", provision.ErrRejected, err)
	}
	return c.t.do(c.ctx, c.policy, o.GetMethod(), o.GetUrl(), http.Header(o.GetHeaders()), body)
}

// The SDK's retry, hook and transport settings do nothing: the transport owns all of them.
func (sdkClient) SetRetryMax(int)                                                          {}
func (sdkClient) SetRetryWaitMax(time.Duration)                                            {}
func (sdkClient) SetRetryWaitMin(time.Duration)                                            {}
func (sdkClient) SetPreHook(func(retryablehttp.Logger, *http.Request, int))                {}
func (sdkClient) SetPostHook(func(retryablehttp.Logger, *http.Response))                   {}
func (sdkClient) SetCheckRetry(func(context.Context, *http.Response, error) (bool, error)) {}
func (sdkClient) SetTransport(*http.Transport)                                             {}
func (sdkClient) SetHttpsAgent(*platformclientv2.ProxyAgent)                               {}
