package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// The simulator's default org has a SAML2 bearer client, a password-grant client, and a
// supervisor who may provision the contact center's people (proxies/gcsim/org.go).
const (
	samlClient     = "gcsim-saml-client"
	samlSecret     = "gcsim-saml-secret-not-real"
	pwClient       = "gcsim-password-client"
	pwSecret       = "gcsim-password-secret-not-real"
	person         = "existing.supervisor@example.com"
	personID       = "0e000000-0000-4000-8000-000000000002"
	personPassword = "supervisor-password-not-real"
)

// useEnv makes the harness's runs read an env file with the simulator's URL and lines.
func (e *harness) useEnv(lines ...string) {
	e.t.Helper()
	p := filepath.Join(e.dir, fmt.Sprintf("env-%d", time.Now().UnixNano()))
	body := "GENESYS_API_URL=" + e.srv.URL + "\n" + strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.envFile = p
}

// useAssertion writes a fresh assertion for person, as raw XML (the tool encodes it), and
// makes the runs use the SAML2 bearer grant with it. It returns the assertion as sent, for
// the no-leak check.
func (e *harness) useAssertion() (sent string) {
	e.t.Helper()
	xml := gcsim.Assertion(gcsim.DefaultSAMLIssuer, person, time.Now().Add(10*time.Minute))
	p := filepath.Join(e.dir, fmt.Sprintf("assertion-%d.xml", time.Now().UnixNano()))
	if err := os.WriteFile(p, []byte(xml), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.useEnv("GENESYS_GRANT=saml2-bearer", "GENESYS_CLIENT_ID="+samlClient, "GENESYS_CLIENT_SECRET="+samlSecret,
		"GENESYS_SAML2_ASSERTION_FILE="+p, "GENESYS_ORG_NAME="+gcsim.DefaultShortName)
	return base64.StdEncoding.EncodeToString([]byte(xml))
}

// checkNotIn fails if secret shows in any output of r.
func checkNotIn(t *testing.T, r result, secret string) {
	t.Helper()
	for _, o := range []string{r.stdout, r.stderr, fmt.Sprint(r.report)} {
		if strings.Contains(o, secret) {
			t.Errorf("an output holds a secret (%d characters)", len(secret))
		}
	}
}

// onlyWriter checks that every accepted write was made as subject.
func onlyWriter(t *testing.T, sim *gcsim.Sim, subject string) {
	t.Helper()
	by := sim.Counters().WritesBySubject
	if by[subject] == 0 {
		t.Errorf("no write by %s: %v", subject, by)
	}
	for s, n := range by {
		if s != subject {
			t.Errorf("%d writes by %s, want every write by %s", n, s, subject)
		}
	}
}

// TestSAML2GrantActsAsThePerson: the writes of a run with the SAML2 bearer grant are the
// person's, and the assertion serves once.
func TestSAML2GrantActsAsThePerson(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	sent := e.useAssertion()
	rows := users(3, "saml")
	in := e.file("saml.csv", rows...)
	r := e.run("--report", e.report("saml.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
	onlyWriter(t, e.srv.Sim, "user:"+personID)
	if !strings.Contains(r.stderr, "the SAML2 access token is good for 23h59m59s and cannot be renewed") {
		t.Errorf("the log does not say for how long the token is good:\n%s", r.stderr)
	}
	checkNotIn(t, r, sent)

	// The same assertion again is refused: exit 3, and the assertion is not printed.
	r = e.run("--report", e.report("again.results.csv"), in)
	if r.code != exitAuth || !strings.Contains(r.stderr, "invalid_grant") {
		t.Errorf("a used assertion: exit %d, want 3 naming invalid_grant\n%s", r.code, r.stderr)
	}
	checkNotIn(t, r, sent)
}

// TestSAML2TokenRunsOut: a token that cannot be renewed ends the run as SIGTERM does, with
// a complete report and exit 3; a fresh assertion and --resume finish the job.
func TestSAML2TokenRunsOut(t *testing.T) {
	t.Parallel()
	org := gcsim.DefaultOrg()
	for i := range org.OAuthClients {
		if org.OAuthClients[i].ID == samlClient {
			org.OAuthClients[i].AccessTokenValiditySeconds = 8 // under the org file's minimum: tests only
		}
	}
	e := newEnv(t, gcsim.Options{Org: org})
	first := e.useAssertion()
	// No phones: a phone's station takes a while to appear, longer than this token lives.
	var rows []string
	for i := range 60 {
		rows = append(rows, fmt.Sprintf("Short User %d,short.%d@example.com,%s,Communicate - User", i, i, []string{"Annuities", "IRA"}[i%2]))
	}
	in := filepath.Join(e.dir, "short.csv")
	if err := os.WriteFile(in, []byte("NAME,EMAIL,GROUP,ROLE\n"+strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep := e.report("short.results.csv")
	r := e.run("--rate", "300", "--report", rep, in)
	if r.code != exitAuth {
		t.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
	}
	if len(r.report) != len(rows) {
		t.Fatalf("the report has %d rows, want all %d", len(r.report), len(rows))
	}
	if s := statuses(r.report); s["create/ok"] == 0 || s["none/skipped"] == 0 {
		t.Errorf("report %v: want some rows created before the token ran out and the rest skipped", s)
	}
	for _, row := range r.report {
		if row["status"] == "skipped" && row["error"] != "not attempted: the access token ran out" {
			t.Errorf("skipped row %v: want the cause named", row)
			break
		}
	}
	lastLine := strings.TrimSpace(r.stderr[strings.LastIndex(strings.TrimSpace(r.stderr), "\n")+1:])
	if !strings.Contains(lastLine, "SAML2 access token ran out") || !strings.Contains(lastLine, "--resume") {
		t.Errorf("the last line does not tell to re-run with a fresh assertion and --resume: %q", lastLine)
	}
	if !strings.Contains(r.stderr, "more than the token's") {
		t.Errorf("no warning that 60 rows at --rate 300 outlast an 8 s token:\n%s", r.stderr)
	}
	checkNotIn(t, r, first)

	second := e.useAssertion()
	r = e.run("--resume", rep, "--report", rep, in)
	if r.code != 0 {
		t.Fatalf("re-run with a fresh assertion: exit %d, want 0\n%s", r.code, r.stderr)
	}
	ok := 0
	for _, row := range r.report {
		if row["status"] == "ok" {
			ok++
		}
	}
	if ok != len(rows) {
		t.Errorf("re-run report %v: want every row ok", statuses(r.report))
	}
	for _, u := range e.srv.Sim.State().Users {
		if strings.HasPrefix(u.Email, "short.") && (len(u.Groups) != 1 || u.State != "active") {
			t.Errorf("user %s: state %s, groups %v; want active in one group", u.Email, u.State, u.Groups)
		}
	}
	onlyWriter(t, e.srv.Sim, "user:"+personID)
	checkNotIn(t, r, second)
}

// TestPasswordGrant: the password grant at a custom token URL provisions as the user, renews
// its token with the refresh token, and never prints the password.
func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{TokenTTL: 2 * time.Second})
	e.useEnv("GENESYS_GRANT=password", "GENESYS_CLIENT_ID="+pwClient, "GENESYS_CLIENT_SECRET="+pwSecret,
		"GENESYS_TOKEN_URL="+e.srv.URL+"/auth/v3/oauth/token", "GENESYS_USERNAME="+person, "GENESYS_PASSWORD="+personPassword)
	rows := users(12, "pw")
	r := e.run("--rate", "600", "--report", e.report("pw.results.csv"), e.file("pw.csv", rows...))
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	checkAllProvisioned(t, e.srv.Sim, rows)
	onlyWriter(t, e.srv.Sim, "user:"+personID)
	c := e.srv.Sim.Counters()
	if c.Requests["POST /oauth/token"] != 0 || c.TokensIssued < 2 {
		t.Errorf("token requests %d at /oauth/token, %d tokens issued: want every token from the custom URL, renewed at least once",
			c.Requests["POST /oauth/token"], c.TokensIssued)
	}

	// A wrong password is refused (exit 3), and neither password is printed.
	e.useEnv("GENESYS_GRANT=password", "GENESYS_CLIENT_ID="+pwClient, "GENESYS_CLIENT_SECRET="+pwSecret,
		"GENESYS_TOKEN_URL="+e.srv.URL+"/auth/v3/oauth/token", "GENESYS_USERNAME="+person, "GENESYS_PASSWORD=wrong-"+personPassword)
	r = e.run("--report", e.report("pw2.results.csv"), e.file("pw2.csv", users(1, "pw2")...))
	if r.code != exitAuth || !strings.Contains(r.stderr, "invalid_grant") {
		t.Errorf("a wrong password: exit %d, want 3 naming invalid_grant\n%s", r.code, r.stderr)
	}
	checkNotIn(t, r, "wrong-"+personPassword)
}

// withRole returns the default org with the User Provisioning role's permissions changed by
// edit.
func withRole(edit func([]string) []string) *gcsim.Org {
	org := gcsim.DefaultOrg()
	for i, r := range org.Roles {
		if r.Name == "User Provisioning" {
			org.Roles[i].Permissions = edit(slices.Clone(r.Permissions))
		}
	}
	return org
}

// without returns an edit that drops perm.
func without(perm string) func([]string) []string {
	return func(p []string) []string {
		return slices.DeleteFunc(p, func(s string) bool { return s == perm })
	}
}

// TestPreflightMissingPermission: a permission the file needs and the client lacks stops
// the run before any write and any report, naming the permission and its columns.
func TestPreflightMissingPermission(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{Org: withRole(without("telephony:plugin:all"))})
	in := e.file("phones.csv", users(2, "phones")...)
	for _, dry := range []bool{false, true} {
		args := []string{"--report", e.report("phones.results.csv"), in}
		if dry {
			args = append([]string{"--dry-run"}, args...)
		}
		r := e.run(args...)
		if r.code != exitUnusable {
			t.Fatalf("dry run %v: exit %d, want 2\n%s", dry, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "telephony:plugin:all, needed for sitename/phonebase") {
			t.Errorf("dry run %v: stderr does not name the permission and its columns:\n%s", dry, r.stderr)
		}
		if _, err := os.Stat(e.report("phones.results.csv")); !os.IsNotExist(err) {
			t.Errorf("dry run %v: a report was written (%v)", dry, err)
		}
	}
	if c := e.srv.Sim.Counters(); c.Writes != 0 || c.Forbidden != 0 {
		t.Errorf("%d writes and %d 403s: want the run stopped before either", c.Writes, c.Forbidden)
	}
}

// TestPreflightWarnings: an over-privileged client and a long token lifetime draw a warning
// and a note; a client whose roles cannot be read draws a warning; both runs go on.
func TestPreflightWarnings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	e.useEnv("GENESYS_CLIENT_ID=gcsim-admin-client", "GENESYS_CLIENT_SECRET=gcsim-admin-secret-not-real")
	r := e.run("--report", e.report("admin.results.csv"), e.file("admin.csv", users(1, "admin")...))
	if r.code != 0 {
		t.Fatalf("over-privileged: exit %d, want 0\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"best practice 4", "*:*:*", "best practice 5"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("over-privileged client with 24-hour tokens: the log lacks %q:\n%s", want, r.stderr)
		}
	}

	u := newEnv(t, gcsim.Options{Org: withRole(without("oauth:client:view"))})
	r = u.run("--report", u.report("blind.results.csv"), u.file("blind.csv", users(1, "blind")...))
	if r.code != 0 {
		t.Fatalf("unreadable client: exit %d, want 0\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "could not read the OAuth client's roles") || !strings.Contains(r.stderr, "oauth:client:view") {
		t.Errorf("unreadable client: no warning naming oauth:client:view:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "best practice 4") {
		t.Errorf("the exact role drew an over-privilege warning:\n%s", r.stderr)
	}
}

// echoTokenForm answers the token request at path with an OAuth refusal that quotes the
// request's form, raw and decoded, and its Authorization header: what a careless gateway
// might do.
func echoTokenForm(path string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				next.ServeHTTP(w, r)
				return
			}
			body, _ := io.ReadAll(r.Body)
			form, _ := url.ParseQuery(string(body))
			desc := fmt.Sprintf("refused %s; form %v; auth %s", body, form, r.Header.Get("Authorization"))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": desc, "description": desc})
		})
	}
}

// TestTokenEndpointEchoesCredentials: a token endpoint that quotes the request's password or
// assertion in its refusal leaks neither to stdout, stderr or the report (the report is not
// even written: exit 3).
func TestTokenEndpointEchoesCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{}, echoTokenForm("/auth/v3/oauth/token"))
	e.useEnv("GENESYS_GRANT=password", "GENESYS_CLIENT_ID="+pwClient, "GENESYS_CLIENT_SECRET="+pwSecret,
		"GENESYS_TOKEN_URL="+e.srv.URL+"/auth/v3/oauth/token", "GENESYS_USERNAME="+person, "GENESYS_PASSWORD=p@ss+w0rd&x="+personPassword)
	r := e.run("--report", e.report("echo.results.csv"), e.file("echo.csv", users(1, "echo")...))
	if r.code != exitAuth || !strings.Contains(r.stderr, "[redacted]") {
		t.Errorf("password grant echoed: exit %d, want 3 with the credentials [redacted]\n%s", r.code, r.stderr)
	}
	for _, s := range []string{"p@ss+w0rd&x=" + personPassword, url.QueryEscape("p@ss+w0rd&x=" + personPassword), pwSecret} {
		checkNotIn(t, r, s)
	}

	s := newEnv(t, gcsim.Options{}, echoTokenForm("/oauth/token"))
	sent := s.useAssertion()
	r = s.run("--report", s.report("echo.results.csv"), s.file("echo.csv", users(1, "echo")...))
	if r.code != exitAuth || !strings.Contains(r.stderr, "[redacted]") {
		t.Errorf("SAML2 grant echoed: exit %d, want 3 with the credentials [redacted]\n%s", r.code, r.stderr)
	}
	raw, _ := base64.StdEncoding.DecodeString(sent)
	for _, secret := range []string{sent, url.QueryEscape(sent), string(raw), samlSecret} {
		checkNotIn(t, r, secret)
	}
}

// TestUnknownGrant: an unknown GENESYS_GRANT is a configuration error, exit 2, before any
// request.
func TestUnknownGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	e.useEnv("GENESYS_GRANT=implicit", "GENESYS_CLIENT_ID="+testClient, "GENESYS_CLIENT_SECRET="+testSecret)
	r := e.run("--report", e.report("x.results.csv"), e.file("x.csv", users(1, "x")...))
	if r.code != exitUnusable || !strings.Contains(r.stderr, `GENESYS_GRANT "implicit"`) {
		t.Errorf("exit %d, want 2 naming GENESYS_GRANT\n%s", r.code, r.stderr)
	}
	if n := e.srv.Sim.Counters().Requests["POST /oauth/token"]; n != 0 {
		t.Errorf("%d token requests, want none", n)
	}
}
