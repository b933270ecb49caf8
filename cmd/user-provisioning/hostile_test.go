package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// The tests in this file run the whole program against the simulator behind a hostile
// middleware: on chosen requests it resets the connection after the headers, stalls the
// body, answers null, {} or a body of gigabytes, redirects to another server, asks for a
// Retry-After of 11 days, or echoes the request, credentials and password included, into
// its error message. Each run must end with its documented exit code, one report row per
// line of the file, no secret in any output (checkNoSecrets, at cleanup), and no panic.
// proxies/hostile_test.go tests the same faults at the transport.

const (
	// hostileTimeout replaces the client's 30 s per-attempt timeout in the cases that stall
	// an answer, so that it fails within the test's time.
	hostileTimeout = time.Second
	// hostileMaxWait replaces the client's 180 s cap on Retry-After.
	hostileMaxWait = 300 * time.Millisecond
	// hostileBody is one byte over the client's cap on an answer (proxies.maxBody).
	hostileBody = 32<<20 + 1
	// Credentials the redirect's Location carries: they must not show in the error.
	redirectPassword = "redirect-password-not-real"
	redirectToken    = "redirect-query-token-not-real"
)

// misbehaviour is what the hostile middleware does with a request it picked.
type misbehaviour func(w http.ResponseWriter, r *http.Request)

// hostileFault picks requests and misbehaves on them.
type hostileFault struct {
	method, path string // the route; a path with "*" matches one id segment there
	// times is how many of the matching requests misbehave, the first ones (0 means 1;
	// -1 means all of them).
	times int
	// commit passes the request to the simulator first, so that its effect is done, and
	// throws the simulator's answer away: the server acted, then misbehaved.
	commit bool
	do     misbehaviour
}

func (f hostileFault) matches(r *http.Request) bool {
	if r.Method != f.method {
		return false
	}
	want, got := strings.Split(f.path, "/"), strings.Split(r.URL.Path, "/")
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i] != "*" && want[i] != got[i] {
			return false
		}
	}
	return true
}

// middleware puts f in front of the simulator; hits counts the requests it misbehaved on.
func (f hostileFault) middleware(hits *atomic.Int32) func(http.Handler) http.Handler {
	limit := int32(max(f.times, 1))
	var seen atomic.Int32
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !f.matches(r) || (f.times >= 0 && seen.Add(1) > limit) {
				next.ServeHTTP(w, r)
				return
			}
			hits.Add(1)
			body, _ := io.ReadAll(r.Body)
			if f.commit {
				r.Body = io.NopCloser(bytes.NewReader(body))
				next.ServeHTTP(httptest.NewRecorder(), r)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			f.do(w, r)
		})
	}
}

// resetAfterHeaders sends the status line and headers of an answer of 1000 bytes, then
// resets the connection (RST, not FIN).
func resetAfterHeaders(status int) misbehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", status, http.StatusText(status))
		_ = buf.Flush()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	}
}

// stallBody sends the headers and the start of the body, then sends nothing more until the
// client hangs up.
func stallBody(status int) misbehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":\"", status, http.StatusText(status))
		_ = buf.Flush()
		_ = conn.SetReadDeadline(time.Now().Add(4 * hostileTimeout))
		_, _ = io.Copy(io.Discard, conn) // until the client closes the connection
	}
}

// answer sends status and body as JSON.
func answer(status int, body string) misbehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// zeroes reads as zero bytes without end.
type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// huge answers 200 with a body over the client's cap: streamed without a length until the
// client hangs up, or declared as 2 GiB (of which it sends 64 KiB).
func huge(declared bool) misbehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if declared {
			w.Header().Set("Content-Length", strconv.Itoa(2<<30))
			_, _ = io.CopyN(w, zeroes{}, 64<<10)
			return
		}
		_, _ = io.CopyN(w, zeroes{}, hostileBody)
	}
}

// redirectTo answers status with a Location on target's host, with credentials in its user
// info and query.
func redirectTo(status int, target string) misbehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		loc := strings.Replace(target, "http://", "http://someone:"+redirectPassword+"@", 1) + r.URL.Path + "?access_token=" + redirectToken
		w.Header().Set("Location", loc)
		w.WriteHeader(status)
	}
}

// retryAfter answers status with Retry-After: 999999 (11 days).
func retryAfter(status int) misbehaviour {
	return answerWith(status, map[string]string{"Retry-After": "999999"},
		fmt.Sprintf(`{"message":"come back in 11 days","code":"too.many.requests.retry.after","status":%d}`, status))
}

func answerWith(status int, header map[string]string, body string) misbehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		answer(status, body)(w, r)
	}
}

// echoRequest answers status with the whole request, headers and body, in the error
// message: the API's ErrorBody message, or the token endpoint's error_description.
func echoRequest(status int) misbehaviour {
	return func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		b, _ := json.Marshal(map[string]any{
			"message": "bad request: " + string(dump), "code": "bad.request", "status": status,
			"error": "invalid_request", "error_description": "bad request: " + string(dump),
		})
		answer(status, string(b))(w, r)
	}
}

// hostileRows is the number of rows in each hostile case's file.
const hostileRows = 5

// hostileCase is one run of the program against a hostile server.
type hostileCase struct {
	name  string
	fault hostileFault
	code  int
	// ok and failed are the rows expected with those statuses; the rest of the
	// file's rows must be reported too (noReport: exit 2 or 3 writes none).
	ok, failed int
	noReport   bool
	errHas     string   // what each failed row's error, or stderr when there is no report, must say
	logHas     []string // what the debug log must say
	stalls     bool     // the client's timeout is cut to hostileTimeout
	oneLine    bool     // with noReport: stderr is the fatal error, on one line
}

// hostileCases returns the cases of TestHostileServer; elsewhere is the URL of the server
// the redirects point to.
func hostileCases(elsewhere string) []hostileCase {
	const (
		rows    = hostileRows
		create  = "/api/v2/users"
		search  = "/api/v2/users/search"
		members = "/api/v2/groups/*/members"
		token   = "/oauth/token"
	)
	post := func(path string, do misbehaviour) hostileFault {
		return hostileFault{method: http.MethodPost, path: path, do: do}
	}
	committed := func(f hostileFault) hostileFault { f.commit = true; return f }
	every := func(f hostileFault) hostileFault { f.times = -1; return f }

	// The warning of a capped Retry-After, and the wait capped to hostileMaxWait.
	retryAfterCapped := []string{"Retry-After too long, capped", `"retry_after":"999999"`, `"waiting":0.3`}
	return []hostileCase{
		// Reset after the headers. A create that the server committed is found, not
		// repeated; idempotent calls and the token request are retried.
		{name: "reset/create committed", fault: committed(post(create, resetAfterHeaders(200))), code: 0, ok: rows},
		{name: "reset/group members", fault: post(members, resetAfterHeaders(200)), code: 0, ok: rows},
		{name: "reset/token", fault: post(token, resetAfterHeaders(200)), code: 0, ok: rows},

		// A body stalled until the client's timeout: an ambiguous failure, like the reset.
		{name: "stall/search", fault: post(search, stallBody(200)), code: 0, ok: rows, stalls: true},
		{name: "stall/create committed", fault: committed(post(create, stallBody(200))), code: 0, ok: rows, stalls: true},

		// null and {} where an object is due: the call may have been done. A create answered
		// {} must not be reported ok without the user's id.
		{name: "null/create committed", fault: committed(post(create, answer(200, "null"))), code: 0, ok: rows},
		{name: "null/search", fault: post(search, answer(200, "null")), code: 0, ok: rows,
			logHas: []string{"batched user lookup failed"}},
		{name: "{}/create committed", fault: committed(post(create, answer(200, "{}"))), code: 0, ok: rows},
		{name: "{}/create", fault: post(create, answer(200, "{}")), code: 0, ok: rows},
		{name: "null/token", fault: post(token, answer(200, "null")), code: exitUnusable, noReport: true,
			errHas: "no access_token", oneLine: true},

		// More than the client reads of one answer: refused, not retried, not read to the end.
		{name: "huge/search", fault: post(search, huge(false)), code: 0, ok: rows,
			logHas: []string{"batched user lookup failed", "larger than 32 MiB"}},
		{name: "huge/create 2 GiB declared", fault: post(create, huge(true)), code: exitRowsFailed, ok: rows - 1, failed: 1,
			errHas: "larger than 32 MiB"},

		// A redirect to another server over http: never followed, its credentials never shown.
		{name: "redirect/create", fault: post(create, redirectTo(http.StatusTemporaryRedirect, elsewhere)),
			code: exitRowsFailed, ok: rows - 1, failed: 1, errHas: "a redirect to " + elsewhere + "/api/v2/users, which is not followed"},
		{name: "redirect/group members", fault: every(post(members, redirectTo(http.StatusFound, elsewhere))),
			code: exitRowsFailed, failed: rows, errHas: "which is not followed"},
		{name: "redirect/token", fault: post(token, redirectTo(http.StatusFound, elsewhere)), code: exitUnusable, noReport: true,
			errHas: "which is not followed", oneLine: true},

		// Retry-After: 999999 is capped (here at hostileMaxWait; 180 s in the program) with a
		// warning, and the run goes on.
		{name: "retry-after/429 create", fault: post(create, retryAfter(http.StatusTooManyRequests)), code: 0, ok: rows,
			logHas: retryAfterCapped},
		{name: "retry-after/503 group members", fault: post(members, retryAfter(http.StatusServiceUnavailable)), code: 0, ok: rows,
			logHas: retryAfterCapped},
		{name: "retry-after/429 token", fault: post(token, retryAfter(http.StatusTooManyRequests)), code: 0, ok: rows,
			logHas: retryAfterCapped},

		// The request echoed into the error message: the token, the client secret and the
		// password come out [redacted].
		{name: "echo/create", fault: post(create, echoRequest(http.StatusBadRequest)), code: exitRowsFailed, ok: rows - 1, failed: 1,
			errHas: "[redacted]"},
		{name: "echo/group members", fault: every(post(members, echoRequest(http.StatusBadRequest))), code: exitRowsFailed, failed: rows,
			errHas: "[redacted]"},
		{name: "echo/token", fault: post(token, echoRequest(http.StatusBadRequest)), code: exitAuth, noReport: true,
			errHas: "[redacted]"},
		{name: "echo/home division", fault: hostileFault{method: http.MethodGet, path: "/api/v2/authorization/divisions/home", times: -1, do: echoRequest(http.StatusBadRequest)},
			code: exitUnusable, noReport: true, errHas: "[redacted]"},
		{name: "echo/token fatal error on one line", fault: post(token, echoRequest(http.StatusBadRequest)), code: exitAuth, noReport: true,
			errHas: "[redacted]", oneLine: true},
	}
}

func TestHostileServer(t *testing.T) {
	t.Parallel()
	other := startElsewhere(t)
	for _, tt := range hostileCases(other) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runHostileCase(t, tt)
		})
	}
}

// startElsewhere starts the redirects' target and returns its URL. It must never see a
// request: at cleanup, the test fails if one reached it.
func startElsewhere(t *testing.T) string {
	t.Helper()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"elsewhere-token","token_type":"bearer","expires_in":60,"id":"x"}`)
	}))
	t.Cleanup(func() {
		other.Close()
		if n := elsewhere.Load(); n != 0 {
			t.Errorf("a redirect was followed: %d requests reached %s", n, other.URL)
		}
	})
	return other.URL
}

// runHostileCase runs the program on a file of hostileRows rows against the simulator behind
// tt's fault, and checks the run, then its report (or that there is none).
func runHostileCase(t *testing.T, tt hostileCase) {
	var hits atomic.Int32
	// No auth cache lag: phones are created at the first attempt, which keeps each run
	// short; the faults are the hostile server's alone.
	e := newEnv(t, gcsim.Options{AuthLag: -1}, tt.fault.middleware(&hits))
	e.client = func(c *proxies.Config) {
		c.MaxRetryAfter = hostileMaxWait
		if tt.stalls {
			c.RequestTimeout = hostileTimeout
		}
	}
	prefix := strings.NewReplacer("/", "", " ", "", "{}", "obj", "-", "").Replace(tt.name)
	in := e.file("hostile.csv", users(hostileRows, prefix)...)
	rep := e.report("hostile.results.csv")
	r := e.run("--report", rep, in)

	if hits.Load() == 0 {
		t.Fatalf("the fault was never triggered: no %s %s", tt.fault.method, tt.fault.path)
	}
	checkHostileRun(t, tt, r)
	if tt.noReport {
		checkHostileNoReport(t, e, tt, r, rep)
		return
	}
	checkHostileReport(t, e, tt, r)
}

// checkHostileRun checks what every hostile run must show: the exit code, a run under 10 s,
// no panic on stderr, no redirect credentials nor the elsewhere token in the output, and
// the expected lines in the debug log.
func checkHostileRun(t *testing.T, tt hostileCase, r result) {
	t.Helper()
	if r.code != tt.code {
		t.Errorf("exit %d, want %d\n%s", r.code, tt.code, r.stderr)
	}
	if r.took > 10*time.Second {
		t.Errorf("the run took %s, want under 10 s", r.took)
	}
	// No panic: neither the program's last resort nor a row's recovery fired.
	for _, s := range []string{"internal error", "panic", "goroutine "} {
		if strings.Contains(r.stderr, s) {
			t.Errorf("stderr shows %q:\n%s", s, r.stderr)
		}
	}
	for _, bad := range []string{redirectPassword, redirectToken, "elsewhere-token"} {
		if strings.Contains(r.stderr+r.stdout, bad) {
			t.Errorf("output shows %q:\n%s", bad, r.stderr)
		}
	}
	for _, s := range tt.logHas {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("the log lacks %q:\n%s", s, r.stderr)
		}
	}
}

// checkHostileNoReport checks a run that could not start: no report at rep, stderr ending
// with the fatal error naming tt.errHas (on one line if tt.oneLine), and no write call.
func checkHostileNoReport(t *testing.T, e *harness, tt hostileCase, r result, rep string) {
	t.Helper()
	if b, err := os.ReadFile(rep); err == nil {
		t.Errorf("exit %d wrote a report:\n%s", r.code, b)
	}
	// The fatal error is the last thing printed, and the only one unless the
	// pipeline started.
	if i := strings.LastIndex(r.stderr, "user-provisioning: "); i < 0 || !strings.Contains(r.stderr[i:], tt.errHas) {
		t.Errorf("stderr should end with the error, naming %q:\n%s", tt.errHas, r.stderr)
	}
	if tt.oneLine && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("stderr should be the fatal error on one line:\n%s", r.stderr)
	}
	if w := e.srv.Sim.Counters().Writes; w != 0 {
		t.Errorf("%d write calls in a run that could not start", w)
	}
}

// checkHostileReport checks the report of a run that started: one row per line of the file,
// each ok row naming its email's user, each failed row's error saying tt.errHas, no error
// showing an internal error or redirect credentials, tt.ok and tt.failed rows with those
// statuses, and no email POSTed again after its creation committed.
func checkHostileReport(t *testing.T, e *harness, tt hostileCase, r result) {
	t.Helper()
	checkEveryRow(t, r.report, hostileRows)
	st := e.srv.Sim.State()
	s := map[string]int{}
	for _, row := range r.report {
		s[row["status"]]++
		switch row["status"] {
		case "ok":
			// An ok row names the user it provisioned, and it is that email's user.
			u, found := st.User(row["email"])
			if !found || row["user_id"] == "" || row["user_id"] != u.ID {
				t.Errorf("line %s: ok with user_id %q; the org's user is %q (found %v)", row["line"], row["user_id"], u.ID, found)
			}
		case "failed":
			if !strings.Contains(row["error"], tt.errHas) {
				t.Errorf("line %s: error %q, want it to say %q", row["line"], row["error"], tt.errHas)
			}
		}
		for _, bad := range []string{"internal error", redirectPassword, redirectToken} {
			if strings.Contains(row["error"], bad) {
				t.Errorf("line %s: error %q shows %q", row["line"], row["error"], bad)
			}
		}
	}
	if s["ok"] != tt.ok || s["failed"] != tt.failed {
		t.Errorf("report statuses %v, want %d ok and %d failed", s, tt.ok, tt.failed)
	}
	if c := e.srv.Sim.Counters(); len(c.CreateConflicts) != 0 {
		t.Errorf("emails POSTed again after their creation committed: %v", c.CreateConflicts)
	}
}

// checkEveryRow asserts that the report has one row for each line 2..n+1 of the file and
// nothing else.
func checkEveryRow(t *testing.T, rep []map[string]string, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, row := range rep {
		seen[row["line"]]++
	}
	for line := 2; line <= n+1; line++ {
		if k := strconv.Itoa(line); seen[k] != 1 {
			t.Errorf("line %d is in the report %d times, want once", line, seen[k])
		}
		delete(seen, strconv.Itoa(line))
	}
	if len(seen) != 0 || len(rep) != n {
		t.Errorf("report has %d rows (other lines %v), want %d", len(rep), seen, n)
	}
}
