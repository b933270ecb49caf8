package proxies

import "sync/atomic"

// callPolicy is what one call asks of the transport beyond its request: whether it is the
// token request, whether it may be repeated after an attempt whose outcome is unknown, and
// where to report that it was. The zero value is an ordinary API call: idempotent, with a
// bearer token, and nobody asking whether it was repeated.
//
// A call site states its policy with call options, passed to the method that prepares the
// SDK for the call (Client.cfg, and each area's api, which wraps it): for example
// u.api(ctx, notIdempotent()).PostUsers(body). Client.cfg gives each call its own SDK client
// (sdkClient), which carries the policy to transport.do along with the call's context, so
// that no policy travels in the context: the SDK sits between the call site and the
// transport, but the policy does not have to go through it.
type callPolicy struct {
	// login: the call is the token request itself, which carries the client's credentials
	// rather than a bearer token, and whose 401 is an answer, not a token to refresh.
	login bool
	// noRetry: the call is not idempotent (a create): it is never repeated after an attempt
	// whose outcome is unknown (5xx, timeout, dropped connection). 429 and 401 are still
	// retried: the server did not act on those.
	noRetry bool
	// repeated, when set, is set by the transport when it repeats the call after an attempt
	// whose outcome is unknown: the server may then have acted on an earlier attempt.
	repeated *atomic.Bool
}

// callOption sets one part of a call's policy.
type callOption func(*callPolicy)

// policyOf is the policy that opts state, applied in order to the zero policy.
func policyOf(opts []callOption) callPolicy {
	var p callPolicy
	for _, o := range opts {
		o(&p)
	}
	return p
}

// tokenRequest marks the token request itself: no bearer token is fetched for it.
func tokenRequest() callOption { return func(p *callPolicy) { p.login = true } }

// notIdempotent marks a call that must never be repeated after a failure whose outcome is
// unknown (5xx, timeout, dropped connection): a create, which would create twice. 429 and
// 401 are still retried: the server did not act on those.
func notIdempotent() callOption { return func(p *callPolicy) { p.noRetry = true } }

// reportRepeats has the transport set flag when it sends the call again after an attempt
// whose outcome was unknown (a 5xx, a timeout, a dropped connection): the server may then
// have acted on an earlier attempt. A removal that comes back 404 on such a repeat has been
// done (see removed).
func reportRepeats(flag *atomic.Bool) callOption {
	return func(p *callPolicy) { p.repeated = flag }
}

// markRepeated records, for whoever asked (reportRepeats), that the call is being sent again
// after an attempt whose outcome was unknown.
func (p callPolicy) markRepeated() {
	if p.repeated != nil {
		p.repeated.Store(true)
	}
}
