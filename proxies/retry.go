package proxies

import (
	"net/http"
	"strconv"
	"time"
)

// This file is the one place that decides what is repeated and how long to wait first:
// retryClassOf says which answers are worth repeating, parseRetryAfter and retryAfterOf read
// Retry-After. The transport (transport.go) acts on both, and the error classification
// (classify.go) reports them; neither decides either again.

// Retry constants.
const (
	// maxAttempts bounds retries of 429, 5xx and network errors: with the backoff below it
	// spans about a minute, longer than a typical Genesys blip.
	maxAttempts = 8
	// backoffBase and backoffCap shape exponential backoff with full jitter.
	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second
)

// retryClass is what an answer, or a failed exchange, says about repeating the call.
type retryClass int

const (
	// finalAnswer: the answer stands; repeating the call will not change it.
	finalAnswer retryClass = iota
	// throttled: a 429. The server did not act: the call is repeated, idempotent or not,
	// after the wait the pacer imposes.
	throttled
	// unknownOutcome: a 408, a 5xx other than 501, or a failed exchange (a timeout, a dropped
	// connection, an answer cut off). The server may have acted: only a call that may be
	// repeated is (see callPolicy.noRetry).
	unknownOutcome
)

// retryClassOf is the table of the statuses worth repeating a call for: 429 (too.many.requests,
// not processed), and 408 (client.timeout) and 5xx (internal.server.error,
// service.unavailable, request.timeout), whose outcome is unknown, except 501: not implemented
// will stay so. Any other status is final. A 401 is final here too: the transport refreshes
// the token once, which is not a retry.
func retryClassOf(status int) retryClass {
	switch {
	case status == http.StatusTooManyRequests:
		return throttled
	case status == http.StatusRequestTimeout, status >= 500 && status != http.StatusNotImplemented:
		return unknownOutcome
	default:
		return finalAnswer
	}
}

// repeats reports whether a call under policy p is repeated after its attempt-th attempt
// ended in class: never after a final answer or the last attempt, and after an unknown
// outcome only when the call may be repeated.
func (p callPolicy) repeats(attempt int, class retryClass) bool {
	switch {
	case class == finalAnswer, attempt >= maxAttempts:
		return false
	case class == unknownOutcome:
		return !p.noRetry
	default:
		return true
	}
}

// backoffDelay is max(floor, r × min(cap, base × 2^(attempt-1))) for r in [0,1).
func backoffDelay(attempt int, floor time.Duration, r float64) time.Duration {
	d := backoffCap
	if attempt < 16 {
		d = min(backoffCap, backoffBase<<(attempt-1))
	}
	return max(floor, time.Duration(r*float64(d)))
}

// maxRetryAfter caps the wait a Retry-After asks for. The SDK's own retry policy gives up on
// a Retry-After over 180 s rather than wait that long; a longer one is a broken or hostile
// server, and the capped wait still backs off, while the attempt cap bounds the whole.
const maxRetryAfter = 180 * time.Second

// retryAfterOf reads the Retry-After header of an answer (parseRetryAfter) at now. stated
// reports that the answer has one; without it, d is parseRetryAfter's default of 1 s.
func retryAfterOf(h http.Header, now time.Time) (d time.Duration, stated, capped bool) {
	v := h.Get("Retry-After")
	d, capped = parseRetryAfter(v, now)
	return d, v != "", capped
}

// parseRetryAfter reads Retry-After in either form RFC 9110 allows, delay-seconds or an
// HTTP-date (a date in the past is no wait), 1 s when absent or unreadable, and at most
// maxRetryAfter; capped reports that the header asked for more.
func parseRetryAfter(v string, now time.Time) (d time.Duration, capped bool) {
	d = time.Second
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		d = time.Duration(n) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = max(0, at.Sub(now))
	}
	if d > maxRetryAfter {
		return maxRetryAfter, true
	}
	return d, false
}
