package main

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// TestServerEchoesSecrets has the server echo the client secret and a token into an error
// answer: neither reaches the report nor the debug log (checkNoSecrets, at cleanup).
func TestServerEchoesSecrets(t *testing.T) {
	t.Parallel()
	var sim atomic.Pointer[gcsim.Sim]
	var search, create sync.Once
	echo := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/api/v2/users/search" {
				// The batched lookup fails with the secret echoed: the debug log shows the error.
				search.Do(func() {
					sim.Load().Script("POST /api/v2/users/search", gcsim.Fault{
						Status:  http.StatusBadRequest,
						Message: "echo: secret=" + testSecret,
					})
				})
			}
			if r.Method == http.MethodPost && r.URL.Path == "/api/v2/users" {
				create.Do(func() {
					s := sim.Load()
					// The 401 makes the client fetch a second token; the answer to the retry
					// echoes the secret and the first token, which that request no longer
					// carries (the transport redacts a request's own credentials itself).
					s.Script("POST /api/v2/users", gcsim.Fault{Status: http.StatusUnauthorized}, gcsim.Fault{
						Status:  http.StatusBadRequest,
						Message: "echo: secret=" + testSecret + " tokens=" + strings.Join(s.IssuedTokens(), ","),
					})
				})
			}
			next.ServeHTTP(w, r)
		})
	}
	e := newEnv(t, gcsim.Options{}, echo)
	sim.Store(e.srv.Sim)
	r := e.run("--report", e.report("echo.results.csv"), e.file("echo.csv", users(1, "echo")...))
	if r.code == 0 || len(r.report) != 1 {
		t.Fatalf("exit %d, %d report rows; want a failure and 1 row\n%s", r.code, len(r.report), r.stderr)
	}
	if got := r.report[0]; got["status"] != "failed" || strings.Count(got["error"], "[redacted]") != 2 {
		t.Errorf("report row %v: want failed, the secret and the token [redacted]", got)
	}
	if !strings.Contains(r.stderr, "batched user lookup failed") || !strings.Contains(r.stderr, "secret=[redacted]") {
		t.Errorf("log lacks the failed lookup, the secret redacted:\n%s", r.stderr)
	}
	if n := len(e.srv.Sim.IssuedTokens()); n != 2 {
		t.Errorf("%d tokens issued, want 2", n)
	}
}
