package proxies

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/user-provisioning/user-provisioning/provision"
)

// hostileToken is the bearer token the hostile server hands out: long enough that finding
// it in an error message means it leaked.
const hostileToken = "hostile-bearer-token-5f2a9c0e7d"

// hostile is a server that answers the token request properly and every API request with
// api, and counts the API requests.
type hostile struct {
	*httptest.Server
	hits atomic.Int32
}

// setupHostile starts a hostile server and a client for it. token, when not nil, answers
// the token request instead of the well-behaved default.
func setupHostile(t *testing.T, api, token http.HandlerFunc) (*Client, *hostile) {
	t.Helper()
	h := &hostile{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			if token != nil {
				token(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":86399}`, hostileToken)
			return
		}
		h.hits.Add(1)
		api(w, r)
	}))
	t.Cleanup(h.Close)
	c, err := NewClient(Config{BaseURL: h.URL, ClientID: testClient, ClientSecret: testSecret, RatePerMinute: 60000})
	if err != nil {
		t.Fatal(err)
	}
	c.tr.rand = func() float64 { return 0.01 }
	return c, h
}

// noPanic runs f, turning a panic into a test error.
func noPanic(t *testing.T, f func() error) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("panic: %v", p)
			err = fmt.Errorf("panicked: %v", p)
		}
	}()
	return f()
}

func createUser(c *Client) func() error {
	return func() error {
		_, err := (&usersArea{c}).Create(context.Background(), provision.NewUser{
			Name: "A", Email: "a@example.com", DivisionID: "1d1a0000-0000-4000-8000-000000000001",
		})
		return err
	}
}

func homeDivision(c *Client) func() error {
	return func() error {
		_, err := (&authorizationArea{c}).HomeDivision(context.Background())
		return err
	}
}

// cutOff answers 200 with a Content-Length larger than what it sends. Before it sends the
// rest of the answer, it either drops the connection (stall false) or waits until the client
// gives up (stall true).
func cutOff(stall bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"+`{"id":"`)
		_ = buf.Flush()
		if stall {
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.Copy(io.Discard, conn) // until the client closes the connection
		}
	}
}

func TestHostileConnectionReset(t *testing.T) {
	t.Run("idempotent call is retried", func(t *testing.T) {
		c, h := setupHostile(t, cutOff(false), nil)
		err := noPanic(t, homeDivision(c))
		if !errors.Is(err, provision.ErrTransient) {
			t.Fatalf("HomeDivision err = %v, want ErrTransient", err)
		}
		if n := h.hits.Load(); n != maxAttempts {
			t.Errorf("%d attempts, want %d", n, maxAttempts)
		}
	})
	t.Run("create is not repeated", func(t *testing.T) {
		c, h := setupHostile(t, cutOff(false), nil)
		err := noPanic(t, createUser(c))
		if !errors.Is(err, provision.ErrTransient) {
			t.Fatalf("Create err = %v, want ErrTransient", err)
		}
		if n := h.hits.Load(); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})
}

func TestHostileStalledBody(t *testing.T) {
	c, h := setupHostile(t, cutOff(true), nil)
	c.tr.http.Timeout = 200 * time.Millisecond
	err := noPanic(t, createUser(c))
	if !errors.Is(err, provision.ErrTransient) {
		t.Fatalf("Create err = %v, want ErrTransient", err)
	}
	if n := h.hits.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestHostileEmptyAnswers sends success answers without the body they must carry: every
// proxy method that reads one fails with ErrTransient instead of dereferencing nil.
func TestHostileEmptyAnswers(t *testing.T) {
	const id = "0a0a0000-0000-4000-8000-000000000001"
	calls := map[string]func(c *Client) error{
		"Users.Create": func(c *Client) error { return createUser(c)() },
		"Users.Read": func(c *Client) error {
			_, err := (&usersArea{c}).Read(context.Background(), []string{id})
			return err
		},
		"Users.FindByEmails": func(c *Client) error {
			_, err := (&usersArea{c}).FindByEmails(context.Background(), []string{"a@example.com"})
			return err
		},
		"Users.Deactivate":           func(c *Client) error { return (&usersArea{c}).Deactivate(context.Background(), id) },
		"Users.Restore":              func(c *Client) error { return (&usersArea{c}).Restore(context.Background(), id) },
		"Authorization.HomeDivision": func(c *Client) error { return homeDivision(c)() },
		"Authorization.ListRoles": func(c *Client) error {
			_, err := (&authorizationArea{c}).ListRoles(context.Background())
			return err
		},
		"Authorization.ListDivisions": func(c *Client) error {
			_, err := (&authorizationArea{c}).ListDivisions(context.Background())
			return err
		},
		"Authorization.UserGrants": func(c *Client) error {
			_, err := (&authorizationArea{c}).UserGrants(context.Background(), id)
			return err
		},
		"Groups.ListGroups": func(c *Client) error {
			_, err := (&groupsArea{c}).ListGroups(context.Background())
			return err
		},
		"Groups.Individuals": func(c *Client) error {
			_, err := (&groupsArea{c}).Individuals(context.Background(), id)
			return err
		},
		"Groups.AddMembers": func(c *Client) error {
			return (&groupsArea{c}).AddMembers(context.Background(), id, []string{id})
		},
		"Routing.ListSkills": func(c *Client) error {
			_, err := (&routingArea{c}).ListSkills(context.Background())
			return err
		},
		"Routing.ListLanguages": func(c *Client) error {
			_, err := (&routingArea{c}).ListLanguages(context.Background())
			return err
		},
		"Routing.ListQueues": func(c *Client) error {
			_, err := (&routingArea{c}).ListQueues(context.Background())
			return err
		},
		"Routing.UserQueues": func(c *Client) error {
			_, err := (&routingArea{c}).UserQueues(context.Background(), id)
			return err
		},
		"Locations.ListLocations": func(c *Client) error {
			_, err := (&locationsArea{c}).ListLocations(context.Background())
			return err
		},
		"Telephony.ListSites": func(c *Client) error {
			_, err := (&telephonyArea{c}).ListSites(context.Background())
			return err
		},
		"Telephony.ListPhoneBases": func(c *Client) error {
			_, err := (&telephonyArea{c}).ListPhoneBases(context.Background())
			return err
		},
		"Telephony.FindPhoneByUser": func(c *Client) error {
			_, err := (&telephonyArea{c}).FindPhoneByUser(context.Background(), id)
			return err
		},
		"Telephony.FindStationByUser": func(c *Client) error {
			_, err := (&telephonyArea{c}).FindStationByUser(context.Background(), id)
			return err
		},
		"Telephony.CreatePhone": func(c *Client) error {
			_, err := (&telephonyArea{c}).CreatePhone(context.Background(), provision.NewPhone{Name: "p"})
			return err
		},
	}
	// "{}" is a well-formed empty object: an error only where the object needs an id.
	needID := map[string]bool{"Users.Create": true, "Telephony.CreatePhone": true}
	for _, body := range []string{"", "null", " null\n", "{}"} {
		for name, call := range calls {
			if body == "{}" && !needID[name] {
				continue
			}
			t.Run(fmt.Sprintf("%s/%q", name, body), func(t *testing.T) {
				c, _ := setupHostile(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusOK)
					io.WriteString(w, body)
				}, nil)
				err := noPanic(t, func() error { return call(c) })
				if !errors.Is(err, provision.ErrTransient) {
					t.Fatalf("err = %v, want ErrTransient", err)
				}
			})
		}
	}
}

// zeros yields zero bytes without end.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestHostileHugeBody(t *testing.T) {
	const sent = 3 * maxBody
	for _, declared := range []bool{false, true} {
		t.Run(map[bool]string{false: "chunked", true: "declared"}[declared], func(t *testing.T) {
			c, h := setupHostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if declared {
					w.Header().Set("Content-Length", strconv.Itoa(sent))
				}
				_, _ = io.CopyN(w, zeros{}, sent)
			}, nil)
			if err := c.Authenticate(context.Background()); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := noPanic(t, homeDivision(c))
			runtime.ReadMemStats(&after)
			// Reading up to the cap, growing by doubling, costs about twice the cap.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*maxBody+8<<20 {
				t.Errorf("allocated %d MiB for a %d MiB answer; want at most %d MiB", alloc>>20, sent>>20, (2*maxBody+8<<20)>>20)
			}
			if !errors.Is(err, provision.ErrRejected) || !strings.Contains(err.Error(), "larger than 32 MiB") {
				t.Fatalf("err = %v, want ErrRejected saying the answer is too large", err)
			}
			if n := h.hits.Load(); n != 1 {
				t.Errorf("%d attempts, want 1", n)
			}
		})
	}
}

func TestHostileRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"d1","name":"Home","access_token":"x","token_type":"bearer","expires_in":60}`)
	}))
	t.Cleanup(other.Close)
	target, _ := url.Parse(other.URL)
	target.User = url.UserPassword("someone", "redirect-password")
	target.RawQuery = "access_token=redirect-query-token"
	redirect := func(w http.ResponseWriter, r *http.Request) {
		to := *target
		to.Path = r.URL.Path
		w.Header().Set("Location", to.String())
		w.WriteHeader(http.StatusTemporaryRedirect)
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("err = nil, want an error naming the redirect")
		}
		if msg := err.Error(); !strings.Contains(msg, other.Listener.Addr().String()) ||
			strings.Contains(msg, "redirect-password") || strings.Contains(msg, "redirect-query-token") {
			t.Errorf("err = %q; want the Location's host named, without its credentials", msg)
		}
		if n := elsewhere.Load(); n != 0 {
			t.Errorf("the redirect was followed: %d requests elsewhere", n)
		}
	}
	t.Run("API", func(t *testing.T) {
		c, h := setupHostile(t, redirect, nil)
		err := noPanic(t, homeDivision(c))
		check(t, err)
		if !errors.Is(err, provision.ErrRejected) {
			t.Errorf("err = %v, want ErrRejected", err)
		}
		if n := h.hits.Load(); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})
	t.Run("token", func(t *testing.T) {
		c, _ := setupHostile(t, nil, redirect)
		check(t, noPanic(t, func() error { return c.Authenticate(context.Background()) }))
	})
}

func TestHostileRetryAfter(t *testing.T) {
	date := func() string { return time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat) }
	tests := []struct {
		name       string
		status     int
		retryAfter func() string
		min, max   time.Duration // the longest wait
		warn       bool
	}{
		{"429 seconds too long", 429, func() string { return "999999" }, maxRetryAfter, maxRetryAfter, true},
		{"503 seconds too long", 503, func() string { return "999999" }, maxRetryAfter, maxRetryAfter, true},
		{"429 date", 429, date, 5 * time.Second, 10 * time.Second, false},
		{"503 date", 503, date, 5 * time.Second, 10 * time.Second, false},
		{"429 date too far", 429, func() string { return time.Now().Add(time.Hour).UTC().Format(http.TimeFormat) }, maxRetryAfter, maxRetryAfter, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first atomic.Bool
			c, h := setupHostile(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if !first.Swap(true) {
					w.Header().Set("Retry-After", tt.retryAfter())
					w.WriteHeader(tt.status)
					io.WriteString(w, `{"code":"too.many.requests.retry.after","message":"later"}`)
					return
				}
				io.WriteString(w, `{"id":"d1","name":"Home"}`)
			}, nil)
			core, logs := observer.New(zapcore.WarnLevel)
			c.tr.log = zap.New(core)
			var mu sync.Mutex
			now := time.Now()
			var longest time.Duration
			c.tr.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			c.tr.sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				longest = max(longest, d)
				now = now.Add(d)
				return ctx.Err()
			}
			if err := noPanic(t, homeDivision(c)); err != nil {
				t.Fatalf("HomeDivision: %v, want success after the wait", err)
			}
			if n := h.hits.Load(); n != 2 {
				t.Errorf("%d attempts, want 2", n)
			}
			if longest < tt.min || longest > tt.max {
				t.Errorf("longest wait %s, want within [%s, %s]", longest, tt.min, tt.max)
			}
			if warned := logs.FilterMessageSnippet("Retry-After").Len() > 0; warned != tt.warn {
				t.Errorf("warned = %v, want %v", warned, tt.warn)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		capped bool
	}{
		{"", time.Second, false},
		{"soon", time.Second, false},
		{"-3", time.Second, false},
		{"0", 0, false},
		{"7", 7 * time.Second, false},
		{"180", maxRetryAfter, false},
		{"181", maxRetryAfter, true},
		{"999999999999999999999", time.Second, false}, // not a number Go can hold: unreadable
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, false},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, false},
		{now.Add(time.Hour).Format(http.TimeFormat), maxRetryAfter, true},
		{now.Add(30 * time.Second).Format(time.RFC850), 30 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, capped := parseRetryAfter(tt.in, now)
			if got != tt.want || capped != tt.capped {
				t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, capped, tt.want, tt.capped)
			}
		})
	}
}

// echo answers with the request it received, headers and body, inside an error message.
func echo(status int, field string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		body, _ := json.Marshal(map[string]any{field: string(dump), "code": "bad.request", "error": "invalid_request", "status": status})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

func TestHostileEchoKeepsCredentials(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(testClient + ":" + testSecret))
	leaks := func(t *testing.T, err error) {
		t.Helper()
		for _, s := range []string{hostileToken, testSecret, basic} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("err = %q; it holds a credential %q", err, s)
			}
		}
	}
	t.Run("API", func(t *testing.T) {
		c, _ := setupHostile(t, echo(http.StatusBadRequest, "message"), nil)
		err := noPanic(t, createUser(c))
		if !errors.Is(err, provision.ErrRejected) {
			t.Fatalf("err = %v, want ErrRejected", err)
		}
		if !strings.Contains(err.Error(), "POST /api/v2/users") {
			t.Errorf("err = %q; want the echoed request in it, credentials left out", err)
		}
		leaks(t, err)
	})
	t.Run("token", func(t *testing.T) {
		c, _ := setupHostile(t, nil, echo(http.StatusBadRequest, "error_description"))
		err := noPanic(t, func() error { return c.Authenticate(context.Background()) })
		if !errors.Is(err, provision.ErrAuth) {
			t.Fatalf("err = %v, want ErrAuth", err)
		}
		leaks(t, err)
	})
}
