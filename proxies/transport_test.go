package proxies

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

const (
	testClient = "test-client"
	testSecret = "test-secret-not-real"
)

// setup starts a simulator and a client for it.
func setup(t *testing.T, opts gcsim.Options) (*Client, *gcsim.Sim) {
	t.Helper()
	srv := gcsim.NewServer(t, opts)
	c, err := NewClient(Config{BaseURL: srv.URL, ClientID: testClient, ClientSecret: testSecret, RatePerMinute: 60000})
	if err != nil {
		t.Fatal(err)
	}
	// Tests keep backoff short; the schedule itself is TestBackoffDelay's business.
	c.tr.rand = func() float64 { return 0.01 }
	return c, srv.Sim
}

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		attempt int
		floor   time.Duration
		r       float64
		want    time.Duration
	}{
		{1, 0, 0.5, 250 * time.Millisecond},
		{2, 0, 1, time.Second},
		{3, 0, 0.5, time.Second},
		{10, 0, 0.999, time.Duration(0.999 * float64(backoffCap))},
		{40, 0, 0.5, backoffCap / 2},
		{1, 3 * time.Second, 0.5, 3 * time.Second}, // Retry-After wins over a shorter backoff
		{6, time.Second, 0.9, time.Duration(0.9 * float64(16*time.Second))},
	}
	for _, tt := range tests {
		if got := backoffDelay(tt.attempt, tt.floor, tt.r); got != tt.want {
			t.Errorf("backoffDelay(%d, %s, %v) = %s, want %s", tt.attempt, tt.floor, tt.r, got, tt.want)
		}
	}
}

func TestRetriesIdempotentCalls(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	sim.Script("GET /api/v2/authorization/divisions/home",
		gcsim.Fault{Status: 503}, gcsim.Fault{Status: 500}, gcsim.Fault{Drop: true})
	home, err := c.Services().Authorization.HomeDivision(context.Background())
	if err != nil || home.ID == "" {
		t.Fatalf("HomeDivision = %+v, %v; want success after three faults", home, err)
	}
	if n := sim.Counters().Requests["GET /api/v2/authorization/divisions/home"]; n != 4 {
		t.Errorf("%d attempts, want 4", n)
	}
}

func TestNeverRepeatsCreateAfterAmbiguousFailure(t *testing.T) {
	for _, f := range []gcsim.Fault{{Status: 503}, {Drop: true}} {
		t.Run(f.Code+map[bool]string{true: "drop", false: "503"}[f.Drop], func(t *testing.T) {
			c, sim := setup(t, gcsim.Options{})
			sim.Script("POST /api/v2/users", f)
			_, err := c.Services().Users.Create(context.Background(), provision.NewUser{
				Name: "A", Email: "a@example.com", DivisionID: "1d1a0000-0000-4000-8000-000000000001",
			})
			if !errors.Is(err, provision.ErrTransient) {
				t.Fatalf("Create err = %v, want ErrTransient", err)
			}
			if n := sim.Counters().CreateAttempts["a@example.com"]; n != 1 {
				t.Errorf("%d create attempts, want 1", n)
			}
		})
	}
}

func TestCreateRetriedAfter429(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	sim.Script("POST /api/v2/users", gcsim.Fault{Status: 429, RetryAfter: time.Second})
	u, err := c.Services().Users.Create(context.Background(), provision.NewUser{
		Name: "B", Email: "b@example.com", DivisionID: "1d1a0000-0000-4000-8000-000000000001",
	})
	if err != nil || u.ID == "" {
		t.Fatalf("Create = %+v, %v; a 429 was not processed and may be repeated", u, err)
	}
	if st := c.Stats(); st.Throttled != 1 {
		t.Errorf("Throttled = %d, want 1", st.Throttled)
	}
}

// A pause holds the requests on its route that were already waiting when it began, and a
// shorter pause does not cut a longer one short.
func TestPauseHoldsWaitingRequests(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	var slept []time.Duration
	tr := &transport{
		pace:   newPacer(60000, 1, 0, now),
		tokens: newTokenPool(1, nil, time.Now),
		now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			slept = append(slept, d)
			now = now.Add(d)
			mu.Unlock()
			return nil
		},
	}
	tr.pace.throttled(now, throttle{route: routeA, sentAt: now, wait: 3 * time.Second, stated: 5})
	tr.pace.throttled(now, throttle{route: routeA, sentAt: now, wait: time.Second, stated: 5})
	if _, _, err := tr.waitTurn(context.Background(), routeB); err != nil {
		t.Fatal(err)
	}
	if len(slept) != 1 || slept[0] != 3*time.Second {
		t.Errorf("waitTurn slept %v, want [3s]", slept)
	}
}

// throttledServer answers POST /api/v2/users with a 429 carrying body and Retry-After 30,
// and everything else 200.
func throttledServer(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v2/users" {
			w.Header().Set("Retry-After", "30")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, body)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A 429 that states no limit holds back its own route only; one that states the token's
// limit holds back every route. The clock is fake and every sleep blocks until the test
// ends, so a request that has to wait shows as a sleep, and one that does not comes back.
func TestThrottleHoldsBack(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		otherHeld bool
	}{
		{"per-resource limit", `{"message":"Rate limit exceeded the maximum. Retry the request in [30] seconds","code":"too.many.requests.retry.after","status":429}`, false},
		{"token limit", `{"message":"Rate limit exceeded the maximum [300] requests within [60] seconds","code":"too.many.requests","status":429}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := throttledServer(t, tt.body)
			now := time.Unix(1000, 0)
			slept := make(chan time.Duration, 16)
			tr := &transport{
				http: srv.Client(),
				pace: newPacer(60000, 1, 0, now),
				tokens: newTokenPool(1, func(context.Context) (string, time.Duration, error) {
					return "tok", time.Hour, nil
				}, time.Now),
				log: zap.NewNop(),
				now: func() time.Time { return now }, // never moves: the pauses never end
				sleep: func(ctx context.Context, d time.Duration) error {
					slept <- d
					<-ctx.Done()
					return ctx.Err()
				},
				rand: func() float64 { return 0.01 },
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			u := func(path string) *url.URL { v, _ := url.Parse(srv.URL + path); return v }
			call := func(method, path string) chan int {
				done := make(chan int, 1)
				go func() {
					resp, err := tr.do(ctx, callPolicy{}, method, u(path), http.Header{}, nil)
					if err != nil {
						done <- 0
						return
					}
					drain(resp)
					done <- resp.StatusCode
				}()
				return done
			}
			wantSleep := func(what string) {
				t.Helper()
				select {
				case d := <-slept:
					if d != 30*time.Second {
						t.Errorf("%s: slept %s, want Retry-After's 30s", what, d)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: went ahead without waiting for Retry-After", what)
				}
			}

			call("POST", "/api/v2/users")
			wantSleep("the throttled call")
			// Another call on the same route waits for the pause.
			call("POST", "/api/v2/users")
			wantSleep("a second call on the throttled route")

			other := call("GET", "/api/v2/groups")
			if tt.otherHeld {
				wantSleep("a call on another route")
				return
			}
			select {
			case code := <-other:
				if code != http.StatusOK {
					t.Errorf("the call on another route: %d", code)
				}
			case d := <-slept:
				t.Fatalf("a call on another route was held back %s by a 429 that stated no limit", d)
			case <-time.After(10 * time.Second):
				t.Fatal("a call on another route did not come back")
			}
		})
	}
}

func TestStatedLimit(t *testing.T) {
	tests := []struct {
		name, body string
		want       float64 // requests a second
	}{
		{"token limit", `{"message":"Rate limit exceeded the maximum [300] requests within [60] seconds","code":"too.many.requests","status":429,"contextId":"x","details":[],"errors":[]}`, 5},
		{"short window", `{"message":"Rate limit exceeded the maximum [40] requests within [2] seconds","code":"too.many.requests"}`, 20},
		{"other limit", `{"message":"Rate limit exceeded the maximum. Retry the request in [42] seconds","code":"too.many.requests.retry.after","status":429}`, 0},
		// The code decides: a stated-looking message under another code is not a limit.
		{"numbers under another code", `{"message":"Rate limit exceeded the maximum [300] requests within [60] seconds","code":"too.many.requests.retry.after"}`, 0},
		{"code without numbers", `{"message":"Rate limit exceeded","code":"too.many.requests"}`, 0},
		{"zero seconds", `{"message":"Rate limit exceeded the maximum [300] requests within [0] seconds","code":"too.many.requests"}`, 0},
		{"not JSON", `<html>Too Many Requests</html>`, 0},
		{"empty", ``, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statedLimit([]byte(tt.body)); got != tt.want {
				t.Errorf("statedLimit = %v, want %v", got, tt.want)
			}
		})
	}
}

// peek leaves the whole body to the caller, however long.
func TestPeek(t *testing.T) {
	body := strings.Repeat("x", 3*maxErrorBody)
	resp := &http.Response{Body: io.NopCloser(strings.NewReader(body))}
	if head := peek(resp, maxErrorBody); len(head) != maxErrorBody {
		t.Errorf("peeked %d bytes, want %d", len(head), maxErrorBody)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != body {
		t.Errorf("the caller read %d bytes, want %d", len(b), len(body))
	}
}

func TestTokenRefreshOn401IsSingleFlight(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	ctx := context.Background()
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	sim.RevokeTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Services().Authorization.HomeDivision(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call after revocation: %v", err)
		}
	}
	cn := sim.Counters()
	if cn.TokensIssued != 2 {
		t.Errorf("%d tokens issued, want 2 (one before, one after the revocation)", cn.TokensIssued)
	}
	if cn.MaxConcurrentTokenRequests != 1 {
		t.Errorf("%d token requests at once, want 1", cn.MaxConcurrentTokenRequests)
	}
}

func Test401OnFreshTokenIsFatal(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	sim.Script("GET /api/v2/authorization/divisions/home", gcsim.Fault{Status: 401}, gcsim.Fault{Status: 401})
	_, err := c.Services().Authorization.HomeDivision(context.Background())
	if !errors.Is(err, provision.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if n := sim.Counters().TokensIssued; n != 2 {
		t.Errorf("%d tokens issued, want 2: the first 401 must trigger one refresh", n)
	}
}

func TestWrongSecret(t *testing.T) {
	srv := gcsim.NewServer(t, gcsim.Options{})
	const wrong = "wrong-secret-value"
	c, err := NewClient(Config{BaseURL: srv.URL, ClientID: testClient, ClientSecret: wrong})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Authenticate(context.Background())
	var ae *authError
	if !errors.As(err, &ae) || !errors.Is(err, provision.ErrAuth) || ae.code != "invalid_client" {
		t.Fatalf("err = %v, want an invalid_client authError", err)
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("error shows the secret: %v", err)
	}
	// Later calls fail the same way without asking again.
	_, err = c.Services().Authorization.HomeDivision(context.Background())
	if !errors.Is(err, provision.ErrAuth) || srv.Sim.Counters().TokensIssued != 0 || srv.Sim.Counters().Requests["POST /oauth/token"] != 1 {
		t.Errorf("second call: %v, token requests %d", err, srv.Sim.Counters().Requests["POST /oauth/token"])
	}
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	now := time.Unix(0, 0)
	fetches := 0
	s := &tokenSource{
		now: func() time.Time { return now },
		fetch: func(context.Context) (string, time.Duration, error) {
			fetches++
			return "tok", 40 * time.Minute, nil
		},
	}
	ctx := context.Background()
	for _, step := range []struct {
		at   time.Duration
		want int
	}{{0, 1}, {34 * time.Minute, 1}, {35*time.Minute + time.Second, 2}, {69 * time.Minute, 2}, {71 * time.Minute, 3}} {
		now = time.Unix(0, 0).Add(step.at)
		if _, _, err := s.Token(ctx); err != nil {
			t.Fatal(err)
		}
		if fetches != step.want {
			t.Errorf("at %s: %d fetches, want %d", step.at, fetches, step.want)
		}
	}
	if m := refreshMargin(48 * time.Hour); m != 5*time.Minute {
		t.Errorf("margin for 48 h = %s, want 5m", m)
	}
	if m := refreshMargin(2 * time.Second); m != 500*time.Millisecond {
		t.Errorf("margin for 2 s = %s, want 500ms", m)
	}
}

func TestCancelStopsRequestsInFlight(t *testing.T) {
	c, _ := setup(t, gcsim.Options{Latency: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Services().Authorization.HomeDivision(ctx)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not stop when its context was cancelled")
	}
}

func TestChunks(t *testing.T) {
	var sizes []int
	for c := range chunks(make([]int, 120), 50) {
		sizes = append(sizes, len(c))
	}
	if len(sizes) != 3 || sizes[0] != 50 || sizes[1] != 50 || sizes[2] != 20 {
		t.Errorf("chunks of 120 by 50 = %v", sizes)
	}
}
