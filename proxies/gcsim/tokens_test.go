package gcsim

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

const home = "/api/v2/authorization/divisions/home"

// sameClient returns another client of c's OAuth client (test-client) holding a token of
// its own.
func sameClient(t *testing.T, srv *Server, c *client) *client {
	return clientOf(t, srv, c.hc, "test-client", "test-secret-not-real")
}

// wantTokenLimit checks the 429 of the token's limit, which states itself.
func wantTokenLimit(t *testing.T, r reply, max int, window string) {
	t.Helper()
	e := r.wantError(t, http.StatusTooManyRequests, "too.many.requests")
	if want := "Rate limit exceeded the maximum [" + strconv.Itoa(max) + "] requests within [" + window + "] seconds"; e.Message != want {
		t.Errorf("message %q, want %q", e.Message, want)
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// By default each access token has its own window, even two of one OAuth client.
func TestRatePerToken(t *testing.T) {
	var mu sync.Mutex
	byToken := map[int]int{}
	srv, c := start(t, Options{RatePerMinute: 3, RateWindow: 5 * time.Second, Observe: func(o Observed) {
		mu.Lock()
		byToken[o.Token]++
		mu.Unlock()
	}})
	// The first token's window holds its token request and two more.
	c.do("GET", home, nil).want(t, http.StatusOK)
	c.do("GET", home, nil).want(t, http.StatusOK)
	wantTokenLimit(t, c.do("GET", home, nil), 3, "5")

	// A second token of the same client gets its full window.
	d := sameClient(t, srv, c)
	d.do("GET", home, nil).want(t, http.StatusOK)
	d.do("GET", home, nil).want(t, http.StatusOK)
	wantTokenLimit(t, d.do("GET", home, nil), 3, "5")
	wantTokenLimit(t, c.do("GET", home, nil), 3, "5")

	got := srv.Sim.Counters()
	if got.TokensIssued != 2 || got.TooMany != 3 || got.TokenTooMany != 0 {
		t.Errorf("TokensIssued %d, TooMany %d, TokenTooMany %d; want 2, 3, 0", got.TokensIssued, got.TooMany, got.TokenTooMany)
	}
	if want := map[int]int{1: 2, 2: 1}; !maps.Equal(got.TooManyByToken, want) {
		t.Errorf("TooManyByToken %v, want %v", got.TooManyByToken, want)
	}
	if want := map[int]int{1: 4, 2: 3}; !maps.Equal(got.RequestsByToken, want) {
		t.Errorf("RequestsByToken %v, want %v", got.RequestsByToken, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := map[int]int{0: 2, 1: 4, 2: 3}; !maps.Equal(byToken, want) {
		t.Errorf("observed by token %v, want %v (0: the token requests)", byToken, want)
	}
}

// With RatePerClient the tokens of a client share one window, token requests included.
func TestRatePerClient(t *testing.T) {
	srv, c := start(t, Options{RatePerMinute: 5, RateWindow: 5 * time.Second, RatePerClient: true})
	d := sameClient(t, srv, c)
	c.do("GET", home, nil).want(t, http.StatusOK)
	d.do("GET", home, nil).want(t, http.StatusOK)
	c.do("GET", home, nil).want(t, http.StatusOK)
	wantTokenLimit(t, d.do("GET", home, nil), 5, "5")
	wantTokenLimit(t, c.do("GET", home, nil), 5, "5")
	// The window is full: a token request is refused by it too, stating the limit.
	wantTokenLimit(t, c.tokenRequest("test-client", "test-secret-not-real", "client_credentials"), 5, "5")
	// Another client has its own.
	otherClient(t, srv, c.hc).do("GET", home, nil).want(t, http.StatusOK)

	got := srv.Sim.Counters()
	if want := map[int]int{1: 1, 2: 1}; !maps.Equal(got.TooManyByToken, want) {
		t.Errorf("TooManyByToken %v, want %v", got.TooManyByToken, want)
	}
	if got.TooMany != 3 || got.TokenTooMany != 1 {
		t.Errorf("TooMany %d, TokenTooMany %d; want 3, 1", got.TooMany, got.TokenTooMany)
	}
}

// Minting is limited per OAuth client: past the limit /oauth/token answers 429 with
// Retry-After and the platform's error body; the tokens already minted go on.
func TestTokenMintLimit(t *testing.T) {
	srv, c := start(t, Options{TokenMintPerMinute: 2, RateWindow: time.Second})
	sameClient(t, srv, c)
	r := c.tokenRequest("test-client", "test-secret-not-real", "client_credentials")
	wantRetryAfter(t, r, time.Second)
	if r.header.Get("ININ-Correlation-Id") == "" {
		t.Error("no ININ-Correlation-Id")
	}
	// The tokens minted still work, and another client mints its own.
	c.do("GET", home, nil).want(t, http.StatusOK)
	otherClient(t, srv, c.hc)

	got := srv.Sim.Counters()
	if got.TokensIssued != 3 || got.TokenTooMany != 1 || got.TooMany != 1 || len(got.TooManyByToken) != 0 {
		t.Errorf("TokensIssued %d, TokenTooMany %d, TooMany %d, TooManyByToken %v; want 3, 1, 1, none",
			got.TokensIssued, got.TokenTooMany, got.TooMany, got.TooManyByToken)
	}
	// After Retry-After the client mints again.
	secs, _ := strconv.Atoi(r.header.Get("Retry-After"))
	time.Sleep(time.Duration(secs) * time.Second)
	sameClient(t, srv, c)
}

func TestTokenMintDefault(t *testing.T) {
	srv := NewServer(t, Options{})
	c := &client{t: t, base: srv.URL, hc: &http.Client{}}
	for i := range DefaultTokenMintPerMinute {
		if r := c.tokenRequest("test-client", "test-secret-not-real", "client_credentials"); r.status != http.StatusOK {
			t.Fatalf("token %d of %d: status %d", i+1, DefaultTokenMintPerMinute, r.status)
		}
	}
	wantRetryAfter(t, c.tokenRequest("test-client", "test-secret-not-real", "client_credentials"), time.Minute)

	// A negative limit lifts it.
	srv = NewServer(t, Options{TokenMintPerMinute: -1})
	c.base = srv.URL
	for i := range DefaultTokenMintPerMinute + 10 {
		if r := c.tokenRequest("test-client", "test-secret-not-real", "client_credentials"); r.status != http.StatusOK {
			t.Fatalf("unlimited: token %d: status %d", i+1, r.status)
		}
	}
}

// A scripted 429 counts against the token it was answered on.
func TestScriptedTooManyByToken(t *testing.T) {
	srv, c := start(t, Options{})
	d := sameClient(t, srv, c)
	srv.Sim.Script("GET "+home, Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	d.do("GET", home, nil).want(t, http.StatusTooManyRequests)
	srv.Sim.Script("POST /oauth/token", Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	c.tokenRequest("test-client", "test-secret-not-real", "client_credentials").want(t, http.StatusTooManyRequests)
	got := srv.Sim.Counters()
	if want := map[int]int{2: 1}; !maps.Equal(got.TooManyByToken, want) || got.TokenTooMany != 1 || got.TooMany != 2 {
		t.Errorf("TooManyByToken %v, TokenTooMany %d, TooMany %d; want %v, 1, 2", got.TooManyByToken, got.TokenTooMany, got.TooMany, want)
	}
}

// Latency delays every API request, answered or refused, and token requests.
func TestLatency(t *testing.T) {
	const latency = 150 * time.Millisecond
	start0 := time.Now()
	srv, c := start(t, Options{Latency: latency, RatePerMinute: 3})
	if took := time.Since(start0); took < latency {
		t.Errorf("token request took %s, want at least %s", took, latency)
	}
	for _, tt := range []struct {
		name   string
		c      *client
		path   string
		status int
	}{
		{"answered", c, home, http.StatusOK},
		{"unknown route", c, "/api/v2/nothing", http.StatusNotFound},
		{"rate limited", c, home, http.StatusTooManyRequests},
		{"no token", &client{t: t, base: srv.URL, hc: c.hc}, home, http.StatusUnauthorized},
	} {
		t0 := time.Now()
		tt.c.do("GET", tt.path, nil).want(t, tt.status)
		if took := time.Since(t0); took < latency {
			t.Errorf("%s: took %s, want at least %s", tt.name, took, latency)
		}
	}
}
