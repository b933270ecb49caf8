package proxies

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// poolClient is a client holding tokens access tokens from the simulator behind srv, minted
// spread apart.
func poolClient(t *testing.T, url string, tokens int, spread time.Duration) *Client {
	t.Helper()
	// 600 a minute a token: back-to-back calls find the token they used busy for 100 ms,
	// and go to another one.
	c, err := NewClient(Config{BaseURL: url, ClientID: testClient, ClientSecret: testSecret, RatePerMinute: 600,
		Tokens: tokens, TokenSpread: spread, MaxRetryAfter: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.tr.rand = func() float64 { return 0.01 }
	return c
}

// waitPool waits until the client holds n tokens.
func waitPool(t *testing.T, c *Client, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.Stats().Pool < n; {
		if time.Now().After(deadline) {
			t.Fatalf("the pool holds %d tokens after 10 s, want %d", c.Stats().Pool, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The pool fills one token at a time, spread apart, after the first; the requests use every
// token once they are there.
func TestPoolFillsGradually(t *testing.T) {
	srv := gcsim.NewServer(t, gcsim.Options{})
	c := poolClient(t, srv.URL, 3, 150*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.Sim.Counters().TokensIssued; n != 1 || c.Stats().Pool != 1 {
		t.Fatalf("after Authenticate: %d tokens issued, pool %d; want the first one only", n, c.Stats().Pool)
	}
	waitPool(t, c, 3)
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("3 tokens in %s: not spread 150 ms apart", took)
	}
	for range 9 {
		if _, err := c.Services().Authorization.HomeDivision(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if by := srv.Sim.Counters().RequestsByToken; len(by) != 3 {
		t.Errorf("requests by token %v: want all 3 tokens used", by)
	}
}

// A 429 from the OAuth endpoint while the pool fills is waited out: the run goes on with the
// tokens it has, and the pool fills later.
func TestPoolSurvivesTokenEndpoint429(t *testing.T) {
	srv := gcsim.NewServer(t, gcsim.Options{TokenMintPerMinute: 1, RateWindow: time.Second})
	c := poolClient(t, srv.URL, 2, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := c.Services().Authorization.HomeDivision(ctx); err != nil {
			t.Fatalf("a call while the pool could not fill: %v", err)
		}
	}
	waitPool(t, c, 2)
	cn := srv.Sim.Counters()
	if cn.TokenTooMany == 0 || cn.TokensIssued != 2 {
		t.Errorf("token requests answered 429: %d, tokens issued %d; want at least one 429, then 2 tokens", cn.TokenTooMany, cn.TokensIssued)
	}
}

// A 401 renews only the token it came back on.
func TestPoolRenewsARevokedTokenAlone(t *testing.T) {
	sim := gcsim.New(gcsim.Options{})
	var revoked atomic.Value // the token the server no longer takes
	revoked.Store("")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "); tok != "" && tok == revoked.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		sim.ServeHTTP(w, r)
	})
	srv := gcsim.NewServerHandler(t, sim, h)
	c := poolClient(t, srv.URL, 3, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	waitPool(t, c, 3)
	revoked.Store(sim.IssuedTokens()[1])
	for range 12 {
		if _, err := c.Services().Authorization.HomeDivision(ctx); err != nil {
			t.Fatalf("a call after the revocation: %v", err)
		}
	}
	if n := sim.Counters().TokensIssued; n != 4 {
		t.Errorf("%d tokens issued, want 4: the 3 of the pool and one for the revoked one alone", n)
	}
	if p := c.Stats().Pool; p != 3 {
		t.Errorf("pool of %d, want 3", p)
	}
}

// Close stops the pool's fill and waits for it: nothing of the client runs after Close,
// however long the next mint would wait.
func TestCloseStopsTheFill(t *testing.T) {
	srv := gcsim.NewServer(t, gcsim.Options{})
	c := poolClient(t, srv.URL, 3, time.Hour)
	if err := c.Authenticate(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return: the fill goes on")
	}
	if n := srv.Sim.Counters().TokensIssued; n != 1 {
		t.Errorf("%d tokens issued, want the first only", n)
	}
}
