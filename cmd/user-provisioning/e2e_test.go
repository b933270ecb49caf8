package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// The tests in this file run the whole program against the simulator over loopback HTTP.

const (
	testClient = "test-client"
	testSecret = "test-secret-not-real"
	password   = "changeMe1234!"
)

type harness struct {
	t       *testing.T
	srv     *gcsim.Server
	dir     string
	envFile string
	outputs []string // every log and report produced, for the secrets check
	tune    func(*provision.Options)
	client  func(*proxies.Config) // set by newEnv: the client reads limits in the simulator's window
	sigs    chan os.Signal
}

// newEnv starts a simulator for one test. Each wrap, if any, puts a handler in front of it
// (conformance_test.go checks the traffic against swagger.json).
func newEnv(t *testing.T, opts gcsim.Options, wrap ...func(http.Handler) http.Handler) *harness {
	t.Helper()
	if opts.StationDelay == 0 {
		opts.StationDelay = 100 * time.Millisecond
	}
	sim := gcsim.New(opts)
	var h http.Handler = sim
	for _, w := range wrap {
		h = w(h)
	}
	srv := gcsim.NewServerHandler(t, sim, h)
	e := &harness{t: t, srv: srv, dir: t.TempDir()}
	if opts.RateWindow > 0 {
		e.client = func(c *proxies.Config) { c.RateWindow = opts.RateWindow }
	}
	e.envFile = e.writeEnv(testSecret)
	t.Cleanup(func() { checkNoSecrets(t, e.outputs, srv.Sim.IssuedTokens()) })
	return e
}

func (e *harness) writeEnv(secret string) string {
	p := filepath.Join(e.dir, fmt.Sprintf("env-%d", time.Now().UnixNano()))
	body := fmt.Sprintf("GENESYS_CLIENT_ID=%s\nGENESYS_CLIENT_SECRET=%s\nGENESYS_API_URL=%s\n", testClient, secret, e.srv.URL)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// fast shortens the pipeline's waits to suit the simulator's short delays.
func fast(o *provision.Options) {
	o.BatchLinger = 200 * time.Millisecond
	o.StationWait = provision.Backoff{First: 50 * time.Millisecond, Max: 400 * time.Millisecond, Total: 20 * time.Second}
	o.CreateWait = provision.Backoff{First: 50 * time.Millisecond, Max: 500 * time.Millisecond, Total: 20 * time.Second}
	o.SearchSettle = time.Second
}

type result struct {
	code   int
	stdout string
	stderr string
	report []map[string]string
	took   time.Duration
}

// run runs the program with --env-file, --log-level debug and a high --rate added; a test's
// own --rate comes later and wins.
func (e *harness) run(args ...string) result {
	e.t.Helper()
	return e.runCtx(context.Background(), args...)
}

func (e *harness) runCtx(ctx context.Context, args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--env-file", e.envFile, "--log-level", "debug", "--log-format", "json", "--rate", "12000"}, args...)
	start := time.Now()
	tune := e.tune
	if tune == nil {
		tune = fast
	}
	code := runWith(ctx, full, &out, &errb, e.sigs, tune, e.client)
	r := result{code: code, stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	e.outputs = append(e.outputs, r.stdout, r.stderr)
	for i, a := range full {
		if a == "--report" && i+1 < len(full) {
			if b, err := os.ReadFile(full[i+1]); err == nil {
				e.outputs = append(e.outputs, string(b))
				r.report = parseReport(e.t, b)
			}
		}
	}
	return r
}

func parseReport(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("report is not CSV: %v", err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

// file writes a CSV in the starting guide's dialect.
func (e *harness) file(name string, lines ...string) string {
	p := filepath.Join(e.dir, name)
	body := "NAME,EMAIL,PASSWORD,GROUP,ROLE,SITENAME,PHONEBASE\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// users makes n rows of new users, alternating between two groups.
func users(n int, prefix string) []string {
	var rows []string
	for i := range n {
		group := []string{"Annuities", "IRA"}[i%2]
		rows = append(rows, fmt.Sprintf("%s User %d,%s.%d@example.com,%s,%s,Communicate - User,My PCV Site,WebRTC_Base", prefix, i, prefix, i, password, group))
	}
	return rows
}

func (e *harness) report(name string) string { return filepath.Join(e.dir, name) }

// checkAllProvisioned asserts that every email in rows exists with the role in the home
// division, the group, one phone and a default station that is that phone's.
func checkAllProvisioned(t *testing.T, sim *gcsim.Sim, rows []string) {
	t.Helper()
	st := sim.State()
	home := ""
	for _, u := range st.Users {
		if u.Email == "existing.agent@example.com" {
			home = u.DivisionID
		}
	}
	for _, line := range rows {
		f := strings.Split(line, ",")
		email, group := f[1], f[3]
		u, ok := st.User(email)
		if !ok {
			t.Errorf("%s: not created", email)
			continue
		}
		if u.State != "active" || u.DivisionID != home {
			t.Errorf("%s: state %s division %s, want active in home %s", email, u.State, u.DivisionID, home)
		}
		if !slices.Contains(u.Groups, group) {
			t.Errorf("%s: groups %v, want %s", email, u.Groups, group)
		}
		granted := false
		for _, g := range u.Grants {
			granted = granted || (g.Role == "Communicate - User" && g.DivisionID == home)
		}
		if !granted {
			t.Errorf("%s: grants %+v lack Communicate - User in the home division", email, u.Grants)
		}
		phones := st.PhonesOf(u.ID)
		if len(phones) != 1 {
			t.Errorf("%s: %d phones, want 1", email, len(phones))
			continue
		}
		if u.DefaultStationID == "" || u.DefaultStationID != phones[0].StationID {
			t.Errorf("%s: default station %q, want the phone's station %q", email, u.DefaultStationID, phones[0].StationID)
		}
	}
}

func statuses(rep []map[string]string) map[string]int {
	m := map[string]int{}
	for _, r := range rep {
		m[r["action"]+"/"+r["status"]]++
	}
	return m
}

// safeMentions are the phrases that name a credential without carrying one: a server's echo
// of a request after redaction (hostile_test.go), and the tool's own words.
var safeMentions = strings.NewReplacer("Bearer [redacted]", "", "Basic [redacted]", "", "no access_token in the answer", "")

// checkNoSecrets fails if a secret, a password or a token shows in any output.
func checkNoSecrets(t *testing.T, outputs, tokens []string) {
	t.Helper()
	bads := append([]string{testSecret, "wrong-secret-not-real", password, "Bearer ", "access_token", "refresh_token", "Basic ",
		samlSecret, pwSecret, personPassword, "gcsim-admin-secret-not-real", "<saml"}, tokens...)
	for _, o := range outputs {
		o = safeMentions.Replace(o)
		for _, bad := range bads {
			if strings.Contains(o, bad) {
				t.Errorf("output contains %q:\n%s", bad, o)
			}
		}
	}
}

func TestStartingGuideSample(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "userdata.csv"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(e.dir, "userdata.csv")
	if err := os.WriteFile(in, src, 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("--report", e.report("first.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	if len(r.report) != 4 {
		t.Fatalf("report has %d rows, want 4", len(r.report))
	}
	lines := map[string]bool{}
	for _, row := range r.report {
		lines[row["line"]] = true
		if row["action"] != "create" || row["status"] != "ok" || row["user_id"] == "" {
			t.Errorf("report row %v, want create/ok with a user id", row)
		}
	}
	if len(lines) != 4 || !lines["2"] || !lines["5"] {
		t.Errorf("report lines %v, want 2..5", lines)
	}
	rows := strings.Split(strings.TrimSpace(string(src)), "\n")[1:]
	for i := range rows {
		rows[i] = strings.ReplaceAll(rows[i], `"`, "")
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
	if !strings.Contains(r.stderr, "4 rows: 4 ok (4 created)") {
		t.Errorf("summary missing from stderr:\n%s", r.stderr)
	}

	// The same file again changes nothing and makes no write call.
	writes := e.srv.Sim.Counters().Writes
	r = e.run("--report", e.report("second.csv"), in)
	if r.code != 0 {
		t.Fatalf("second run: exit %d\n%s", r.code, r.stderr)
	}
	if got := e.srv.Sim.Counters().Writes - writes; got != 0 {
		t.Errorf("second run made %d write calls, want 0", got)
	}
	if s := statuses(r.report); s["none/ok"] != 4 {
		t.Errorf("second run report %v, want 4 none/ok", s)
	}
}

func TestTokenExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	e := newEnv(t, gcsim.Options{TokenTTL: ttl})
	rows := users(12, "ttl")
	in := e.file("ttl.csv", rows...)
	go func() {
		time.Sleep(3 * time.Second)
		e.srv.Sim.RevokeTokens()
	}()
	r := e.run("--rate", "600", "--report", e.report("ttl.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	if r.took < 6*time.Second {
		t.Fatalf("the run took %s; the test needs more than 6 s to span several token lives", r.took)
	}
	c := e.srv.Sim.Counters()
	limit := int(r.took/(ttl/2)) + 3
	if c.TokensIssued > limit {
		t.Errorf("%d tokens issued in %s, want at most %d", c.TokensIssued, r.took, limit)
	}
	if c.TokensIssued < 3 {
		t.Errorf("%d tokens issued in %s: the token was not refreshed", c.TokensIssued, r.took)
	}
	if c.MaxConcurrentTokenRequests != 1 {
		t.Errorf("%d token requests in flight at once, want 1", c.MaxConcurrentTokenRequests)
	}
	if c.Unauthorized == 0 {
		t.Errorf("no 401 after the tokens were revoked: the revocation was not exercised")
	}
	if s := statuses(r.report); s["create/ok"] != len(rows) {
		t.Errorf("report %v, want %d create/ok", s, len(rows))
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
}

func TestServerLimitBelowRate(t *testing.T) {
	t.Parallel()
	// The server allows 40 requests per 2 s (1,200 a minute); the tool asks for 3,000 a
	// minute: the same 2:5 ratio as 120 against 300, on a shorter clock.
	e := newEnv(t, gcsim.Options{RatePerMinute: 40, RateWindow: 2 * time.Second})
	rows := users(20, "limit")
	in := e.file("limit.csv", rows...)
	r := e.run("--rate", "3000", "--report", e.report("limit.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%v", r.code, r.stderr, r.report)
	}
	c := e.srv.Sim.Counters()
	if c.TooMany == 0 {
		t.Errorf("no 429 answered: the limit was not exercised")
	}
	t.Logf("%d of %d requests answered 429, in %s", c.TooMany, total(c.Requests), r.took)
	if len(c.CreateConflicts) != 0 {
		t.Errorf("emails POSTed again after their creation committed: %v", c.CreateConflicts)
	}
	if s := statuses(r.report); s["create/ok"] != len(rows) {
		t.Errorf("report %v, want %d create/ok", s, len(rows))
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{Seed: 7, SearchLag: 200 * time.Millisecond})
	e.srv.Sim.SetFaults(0.10, 0.05)
	// Make sure some committed user and phone creations lose their answer.
	drop := gcsim.Fault{Drop: true}
	e.srv.Sim.Script("POST /api/v2/users", drop, drop, drop)
	e.srv.Sim.Script("POST /api/v2/telephony/providers/edges/phones", drop, drop, drop)
	rows := users(40, "fault")
	in := e.file("fault.csv", rows...)
	r := e.run("--rate", "6000", "--report", e.report("fault.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%v", r.code, r.stderr, r.report)
	}
	e.srv.Sim.SetFaults(0, 0)
	c := e.srv.Sim.Counters()
	if c.Fail503 == 0 || c.Dropped == 0 {
		t.Fatalf("faults not exercised: %d 503s, %d dropped", c.Fail503, c.Dropped)
	}
	if len(c.CreateConflicts) != 0 {
		t.Errorf("emails POSTed again after their creation committed: %v", c.CreateConflicts)
	}
	if s := statuses(r.report); s["create/ok"] != len(rows) {
		t.Errorf("report %v, want %d create/ok", s, len(rows))
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
	t.Logf("%d 503s and %d dropped connections absorbed", c.Fail503, c.Dropped)
}

func TestWrongSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	const wrong = "wrong-secret-not-real"
	e.envFile = e.writeEnv(wrong)
	in := e.file("u.csv", users(2, "secret")...)
	r := e.run("--report", e.report("secret.results.csv"), in)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "invalid_client") {
		t.Errorf("stderr should be one line naming invalid_client, got:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, wrong) || strings.Contains(r.stderr, "goroutine") {
		t.Errorf("output shows the secret or a stack trace:\n%s", r.stderr)
	}
	if _, err := os.Stat(e.report("secret.results.csv")); err == nil {
		t.Errorf("a report was written")
	}
	if w := e.srv.Sim.Counters().Writes; w != 0 {
		t.Errorf("%d write calls with a wrong secret", w)
	}
}

func TestMissingEmailHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join("..", "..", "testdata", "bad_missing_email.csv")
	rep := e.report("missing.results.csv")
	r := e.run("--report", rep, in)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "EMAIL") && !strings.Contains(r.stderr, "email") {
		t.Errorf("stderr does not name the missing column:\n%s", r.stderr)
	}
	if _, err := os.Stat(rep); err == nil {
		t.Errorf("a report was written")
	}
	if c := e.srv.Sim.Counters(); c.Writes != 0 || c.TokensIssued != 0 {
		t.Errorf("%d writes and %d tokens for a file with a bad header", c.Writes, c.TokensIssued)
	}
}

func TestMalformedRows(t *testing.T) {
	t.Parallel()
	in := filepath.Join("..", "..", "testdata", "bad_rows.csv")
	wantInvalid := map[string]string{ // line → what the error must mention
		"4": "column",
		"5": "EMAIL",
		"7": "line 6",
		"8": "did you mean 'Communicate - User'",
	}
	t.Run("default writes nothing", func(t *testing.T) {
		e := newEnv(t, gcsim.Options{})
		r := e.run("--report", e.report("bad.results.csv"), in)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		if w := e.srv.Sim.Counters().Writes; w != 0 {
			t.Errorf("%d write calls, want 0", w)
		}
		checkInvalid(t, r.report, wantInvalid, "skipped")
	})
	t.Run("skip-invalid provisions the rest", func(t *testing.T) {
		e := newEnv(t, gcsim.Options{})
		r := e.run("--skip-invalid", "--report", e.report("bad.results.csv"), in)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
		}
		checkInvalid(t, r.report, wantInvalid, "ok")
	})
}

// checkInvalid asserts the invalid rows and that every other row has status other.
func checkInvalid(t *testing.T, rep []map[string]string, want map[string]string, other string) {
	t.Helper()
	if len(rep) != 9 {
		t.Errorf("report has %d rows, want 9", len(rep))
	}
	for _, row := range rep {
		mention, bad := want[row["line"]]
		switch {
		case bad && row["status"] != "invalid":
			t.Errorf("line %s: status %s, want invalid", row["line"], row["status"])
		case bad && !strings.Contains(row["error"], mention):
			t.Errorf("line %s: error %q should mention %q", row["line"], row["error"], mention)
		case !bad && row["status"] != other:
			t.Errorf("line %s: status %s (%s), want %s", row["line"], row["status"], row["error"], other)
		}
	}
}

func TestRefusedPasswordAndRestoredUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("pw.csv",
		"Short Pw,short.pw@example.com,abc,Annuities,Communicate - User,My PCV Site,WebRTC_Base",
		"Gone User,deleted.user@example.com,"+password+",IRA,Communicate - User,,",
		"Fine User,fine@example.com,"+password+",IRA,Communicate - User,,",
	)
	r := e.run("--report", e.report("pw.results.csv"), in)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	byLine := map[string]map[string]string{}
	for _, row := range r.report {
		byLine[row["line"]] = row
	}
	st := e.srv.Sim.State()
	short, ok := st.User("short.pw@example.com")
	if !ok {
		t.Fatal("the user with the refused password does not exist")
	}
	if got := byLine["2"]; got["status"] != "failed" || got["user_id"] != short.ID || !strings.Contains(got["error"], "password") {
		t.Errorf("refused password row = %v, want failed with the user id %s and a password message", got, short.ID)
	}
	if n := e.srv.Sim.Counters().CreateAttempts["short.pw@example.com"]; n != 1 {
		t.Errorf("%d create attempts for the refused password, want 1", n)
	}
	if !slices.Contains(short.Groups, "Annuities") || short.DefaultStationID == "" {
		t.Errorf("the user with the refused password was not finished: %+v", short)
	}
	if got := byLine["3"]; got["status"] != "ok" || got["action"] != "restore" || !strings.Contains(got["changes"], "state: deleted → active") {
		t.Errorf("deleted user row = %v, want restore/ok", got)
	}
	if gone, _ := st.User("deleted.user@example.com"); gone.State != "active" || !slices.Contains(gone.Groups, "IRA") {
		t.Errorf("restored user = %+v, want active and in IRA", gone)
	}
	if n := e.srv.Sim.Counters().CreateAttempts["deleted.user@example.com"]; n != 0 {
		t.Errorf("%d create attempts for a deleted user's email, want 0", n)
	}
	if got := byLine["4"]; got["status"] != "ok" || got["action"] != "create" {
		t.Errorf("valid row = %v, want create/ok", got)
	}
}

func TestValidateMakesNoCall(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	e.envFile = filepath.Join(e.dir, "no-such.env") // --validate needs no credentials
	good := e.run("--validate", "--report", e.report("good.csv"), filepath.Join("..", "..", "testdata", "userdata.csv"))
	if good.code != 0 {
		t.Errorf("valid file: exit %d\n%s", good.code, good.stderr)
	}
	bad := e.run("--validate", "--report", e.report("bad.csv"), filepath.Join("..", "..", "testdata", "bad_rows.csv"))
	if bad.code != 1 {
		t.Errorf("invalid file: exit %d\n%s", bad.code, bad.stderr)
	}
	if s := statuses(bad.report); s["none/invalid"] != 3 {
		t.Errorf("report %v, want the 3 offline errors (the unknown role needs the org)", s)
	}
	if n := len(e.srv.Sim.Counters().Requests); n != 0 {
		t.Errorf("--validate made requests: %v", e.srv.Sim.Counters().Requests)
	}
}

func TestDryRunPlansWhatTheRunDoes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("plan.csv", append(users(3, "plan"),
		"Existing Agent,existing.agent@example.com,,Annuities,Communicate - User,My PCV Site,WebRTC_Base",
		"Existing Supervisor,existing.supervisor@example.com,,IRA,,,",
		"Deleted User,deleted.user@example.com,,IRA,Agent,,")...)
	plan := e.run("--dry-run", "--report", e.report("plan.results.csv"), in)
	if plan.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", plan.code, plan.stderr)
	}
	if w := e.srv.Sim.Counters().Writes; w != 0 {
		t.Errorf("dry run made %d write calls", w)
	}
	real := e.run("--report", e.report("real.results.csv"), in)
	if real.code != 0 {
		t.Fatalf("run: exit %d\n%s", real.code, real.stderr)
	}
	planned := map[string]map[string]string{}
	for _, r := range plan.report {
		if r["status"] != "planned" {
			t.Errorf("dry-run row %v, want status planned", r)
		}
		planned[r["line"]] = r
	}
	for _, r := range real.report {
		p := planned[r["line"]]
		if p["action"] != r["action"] || !sameSet(strings.Split(p["changes"], "; "), strings.Split(r["changes"], "; ")) {
			t.Errorf("line %s: planned %s %q, did %s %q", r["line"], p["action"], p["changes"], r["action"], r["changes"])
		}
	}
	if s := statuses(real.report); s["create/ok"] != 3 || s["none/ok"] != 1 || s["update/ok"] != 1 || s["restore/ok"] != 1 {
		t.Errorf("run report %v, want 3 create, 1 none, 1 update, 1 restore", s)
	}
}

func TestDryRunOfMixedFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := filepath.Join("..", "..", "testdata", "mixed.csv")
	plan := e.run("--dry-run", "--skip-invalid", "--report", e.report("plan.csv"), in)
	if w := e.srv.Sim.Counters().Writes; w != 0 || plan.code != 1 {
		t.Fatalf("dry run: exit %d, %d writes\n%s", plan.code, w, plan.stderr)
	}
	real := e.run("--skip-invalid", "--report", e.report("real.csv"), in)
	planned := map[string]map[string]string{}
	for _, r := range plan.report {
		planned[r["line"]] = r
	}
	for _, r := range real.report {
		p := planned[r["line"]]
		if p["action"] != r["action"] || !sameSet(strings.Split(p["changes"], "; "), strings.Split(r["changes"], "; ")) {
			t.Errorf("line %s: planned %s %q, did %s %q", r["line"], p["action"], p["changes"], r["action"], r["changes"])
		}
	}
}

func TestInterruptFinishesRowsInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	// Batches only flush when full or at the end, so the stop finds them pending.
	e.tune = func(o *provision.Options) { fast(o); o.BatchLinger = time.Minute }
	e.sigs = make(chan os.Signal, 2)
	rows := users(60, "sigint")
	in := e.file("sigint.csv", rows...)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		e.sigs <- os.Interrupt
	}()
	r := e.run("--rate", "900", "--report", e.report("sigint.results.csv"), in)
	if r.code != 130 {
		t.Fatalf("exit %d, want 130\n%s", r.code, r.stderr)
	}
	if len(r.report) != len(rows) {
		t.Fatalf("report has %d rows, want %d", len(r.report), len(rows))
	}
	s := statuses(r.report)
	if s["create/ok"] == 0 || s["none/skipped"] == 0 || s["create/ok"]+s["none/skipped"] != len(rows) {
		t.Fatalf("report %v, want some create/ok and the rest skipped", s)
	}
	var done []string
	for i, row := range r.report {
		if row["status"] == "skipped" && row["error"] != "not attempted: interrupted" {
			t.Errorf("skipped row %v, want error 'not attempted: interrupted'", row)
		}
		if row["status"] == "ok" {
			done = append(done, rows[atoi(row["line"])-2])
		}
		_ = i
	}
	// No membership batch is lost: every finished row has its group, role and phone.
	checkAllProvisioned(t, e.srv.Sim, done)
}

// interruptTwice sends the next run an interrupt after 1 s, and another 300 ms later.
func (e *harness) interruptTwice() {
	e.sigs = make(chan os.Signal, 2)
	go func() {
		time.Sleep(time.Second)
		e.sigs <- os.Interrupt
		time.Sleep(300 * time.Millisecond)
		e.sigs <- os.Interrupt
	}()
}

func TestSecondInterruptStopsAtOnce(t *testing.T) {
	t.Parallel()
	// Stations never appear, so rows wait; the auth cache lag is off, so that every row has
	// started (its phone created) before the first signal.
	e := newEnv(t, gcsim.Options{StationDelay: time.Hour, AuthLag: -1})
	in := e.file("twice.csv", users(6, "twice")...)
	e.interruptTwice()
	start := time.Now()
	r := e.run("--report", e.report("twice.results.csv"), in)
	if r.code != 130 {
		t.Fatalf("exit %d, want 130\n%s", r.code, r.stderr)
	}
	if time.Since(start) > 15*time.Second {
		t.Errorf("the second signal did not stop the run at once")
	}
	if len(r.report) != 6 {
		t.Fatalf("report has %d rows, want 6", len(r.report))
	}
	for _, row := range r.report {
		if row["status"] != "failed" || !strings.Contains(row["error"], "interrupted") {
			t.Errorf("row %v, want failed: interrupted", row)
		}
	}
}

func TestCallsPerRow(t *testing.T) {
	t.Parallel()
	got := callsPerRow(map[string]int{"POST /api/v2/users": 4, "POST /oauth/token": 1, "POST /api/v2/users/search": 1}, 4)
	if want := "1.50 in all: POST /api/v2/users 1.00, POST /api/v2/users/search 0.25, POST /oauth/token 0.25"; got != want {
		t.Errorf("callsPerRow = %q, want %q", got, want)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestProgressLog(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.InfoLevel)
	pr := &provision.Progress{}
	pr.Total.Store(10)
	pr.Done.Store(4)
	pr.Failed.Store(1)
	stop := reportProgress(zap.New(core), pr, nil, 20*time.Millisecond)
	time.Sleep(120 * time.Millisecond)
	stop()
	entries := logs.FilterMessage("progress").All()
	if len(entries) == 0 {
		t.Fatal("no progress line")
	}
	f := entries[0].ContextMap()
	if f["done"] != int64(4) || f["total"] != int64(10) || f["failed"] != int64(1) || f["eta"] == nil {
		t.Errorf("progress fields %v", f)
	}
}
