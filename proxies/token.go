package proxies

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/user-provisioning/user-provisioning/provision"
)

// fetchFunc fetches a new access token and says how long it lives.
type fetchFunc func(ctx context.Context) (token string, ttl time.Duration, err error)

// tokenSource holds one bearer token. It fetches a token when there is none, some time
// before the current one expires, and after Invalidate; one fetch at a time (single-flight),
// however many workers ask. A token that cannot be renewed (see tokenLife) is used until it
// expires. It is safe for concurrent use.
type tokenSource struct {
	fetch fetchFunc
	now   func() time.Time
	// life is what the pool's tokens share: whether they can be renewed, the first one's
	// lifetime, the signal that the token is ending. nil: renewable, nothing recorded.
	life *tokenLife

	mu        sync.Mutex
	token     string
	gen       uint64        // bumped by every new token
	refreshAt time.Time     // when to fetch the next one: for a token that cannot be renewed, its expiry
	revoked   bool          // the token was dropped after a 401 (Invalidate)
	fetching  chan struct{} // closed when the fetch in flight ends; nil when none is
	fatal     error         // set once the credentials are rejected or the token ended for good: every caller gets it
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

// Token returns a valid token and its generation, fetching one if needed. A fetch refused
// (ErrAuth) or that cannot be made (ErrTokenEnded) is final: every later call returns its
// error without asking again.
func (s *tokenSource) Token(ctx context.Context) (string, uint64, error) {
	s.mu.Lock()
	for {
		if s.fatal != nil {
			s.mu.Unlock()
			return "", 0, s.fatal
		}
		if now := s.now(); s.token != "" && now.Before(s.refreshAt) {
			tok, gen := s.token, s.gen
			s.mu.Unlock()
			s.life.check(now)
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
		return "", 0, s.failed(err)
	}
	s.token = tok
	s.gen++
	s.revoked = false
	if len(s.issued) == keptTokens {
		s.issued = slices.Delete(s.issued, 0, 1)
	}
	s.issued = append(s.issued, tok)
	now := s.now()
	s.refreshAt = now.Add(ttl - s.life.margin(ttl))
	s.life.issued(now, ttl)
	return s.token, s.gen, nil
}

// failed records a failed fetch, under s.mu, and returns its error: refused credentials and
// a token that cannot be renewed are final, and the latter signals the token's end.
func (s *tokenSource) failed(err error) error {
	if errors.Is(err, provision.ErrTokenEnded) {
		if s.revoked {
			err = fmt.Errorf("access token refused (401): %w", err)
		}
		s.fatal = err
		s.life.end()
		return err
	}
	if errors.Is(err, provision.ErrAuth) {
		s.fatal = err
	}
	return err
}

// Invalidate drops the token of generation gen after a 401, unless a newer one already
// replaced it. For a token that cannot be renewed, a 401 is its end (tokenLife.end).
func (s *tokenSource) Invalidate(gen uint64) {
	s.mu.Lock()
	if gen == s.gen {
		s.token = ""
		s.revoked = true
	}
	s.mu.Unlock()
	s.life.end()
}

// refreshMargin is how long before expiry a token is replaced: a quarter of its life, at
// most five minutes. Real tokens live between 5 minutes and 48 hours, so a long run fetches
// one token per lifetime, and a short-lived one is still replaced before it lapses.
func refreshMargin(ttl time.Duration) time.Duration {
	return min(ttl/4, 5*time.Minute)
}

// endingMargin is how long before a token that cannot be renewed expires its end is
// signalled (Client.TokenEnding): a quarter of its life, at most two minutes, time for the
// run to finish the rows in flight and stop.
func endingMargin(ttl time.Duration) time.Duration {
	return min(ttl/4, 2*time.Minute)
}

// tokenLife is what the tokens of a pool share: whether the grant can renew them, the first
// token's lifetime, and, for a token that cannot be renewed, the signal that it is ending.
// A nil *tokenLife is a renewable grant that records nothing. It is safe for concurrent use.
type tokenLife struct {
	renewable bool
	// after runs f once d has passed: time.AfterFunc outside tests.
	after func(d time.Duration, f func())

	first  atomic.Int64  // the first token's lifetime, in nanoseconds; 0 before it
	ending chan struct{} // closed by end, never for a renewable grant
	once   sync.Once

	mu     sync.Mutex
	endsAt time.Time // when the ending is due; zero before the token
}

// newTokenLife makes the shared state of a pool whose grant can, or cannot, renew tokens.
func newTokenLife(renewable bool) *tokenLife {
	return &tokenLife{
		renewable: renewable,
		after:     func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		ending:    make(chan struct{}),
	}
}

// margin is how long before its expiry a token of ttl is replaced: refreshMargin, or none
// for a token that cannot be renewed, which is used until it expires.
func (l *tokenLife) margin(ttl time.Duration) time.Duration {
	if l == nil || l.renewable {
		return refreshMargin(ttl)
	}
	return 0
}

// issued records a token of ttl issued at now: the first one's lifetime, and for a token
// that cannot be renewed, when its end is signalled.
func (l *tokenLife) issued(now time.Time, ttl time.Duration) {
	if l == nil {
		return
	}
	l.first.CompareAndSwap(0, int64(ttl))
	if l.renewable {
		return
	}
	d := ttl - endingMargin(ttl)
	l.mu.Lock()
	l.endsAt = now.Add(d)
	l.mu.Unlock()
	if d <= 0 {
		l.end()
		return
	}
	l.after(d, l.end)
}

// check signals the end once it is due at now, should the timer armed by issued not have
// fired yet (the tests' clock is not the timer's).
func (l *tokenLife) check(now time.Time) {
	if l == nil || l.renewable {
		return
	}
	l.mu.Lock()
	due := !l.endsAt.IsZero() && !now.Before(l.endsAt)
	l.mu.Unlock()
	if due {
		l.end()
	}
}

// end closes the ending channel, once; it does nothing for a renewable grant.
func (l *tokenLife) end() {
	if l == nil || l.renewable {
		return
	}
	l.once.Do(func() { close(l.ending) })
}

// lifetime is the first token's lifetime; 0 before it.
func (l *tokenLife) lifetime() time.Duration {
	if l == nil {
		return 0
	}
	return time.Duration(l.first.Load())
}

// authError is a refused token request. It matches provision.ErrAuth.
type authError struct {
	code        string // OAuth error, e.g. invalid_client
	description string
	clientID    string
	// refused names what the grant presented besides the client's credentials, for the
	// message: "SAML2 assertion", `password of user "ann@example.com"`; "" for none.
	refused string
}

// Error names the OAuth client and says what was refused and why; never a secret.
func (e *authError) Error() string {
	var msg string
	switch {
	case e.refused == "" || e.code == "invalid_client":
		msg = fmt.Sprintf("credentials rejected for OAuth client %q: %s", e.clientID, e.code)
	case e.code == "unauthorized_client":
		msg = fmt.Sprintf("OAuth client %q may not use this grant (%s refused): %s", e.clientID, e.refused, e.code)
	default:
		msg = fmt.Sprintf("%s refused for OAuth client %q: %s", e.refused, e.clientID, e.code)
	}
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
	life  *tokenLife   // shared by the slots
	ready atomic.Int32 // how many tokens, from the first, have been minted
}

// newTokenPool makes a pool of n renewable tokens (at least one) all fetched with fetch.
func newTokenPool(n int, fetch fetchFunc, now func() time.Time) *tokenPool {
	return newGrantPool(n, func() fetchFunc { return fetch }, now, newTokenLife(true))
}

// newGrantPool makes a pool of n tokens (at least one), each slot fetched with its own
// fetch function from mk (a grant that keeps a refresh token keeps one a slot), sharing
// life.
func newGrantPool(n int, mk func() fetchFunc, now func() time.Time, life *tokenLife) *tokenPool {
	p := &tokenPool{life: life}
	for range max(n, 1) {
		p.slots = append(p.slots, &tokenSource{fetch: mk(), now: now, life: life})
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
			if ctx.Err() != nil || errors.Is(err, provision.ErrAuth) || errors.Is(err, provision.ErrTokenEnded) {
				return
			}
			wait = min(2*wait, time.Minute)
			log.Warn("could not add an access token to the pool; going on with the others", zap.Int("tokens", i),
				zap.Duration("next_try", wait), zap.Error(err))
		}
	}
}
