package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// The tests run the whole smoke against the simulator, seeded with testdata/org.json, with
// its default lags and faults.

const prefix = "smoke-20250102-030405-abcdef"

// orgNamesEnv names objects of testdata/org.json.
var orgNamesEnv = map[string]string{
	"GENESYS_SMOKE_DIVISION":   "Sales",
	"GENESYS_SMOKE_ROLE":       "Agent",
	"GENESYS_SMOKE_GROUP":      "Annuities",
	"GENESYS_SMOKE_QUEUE":      "Sales Inbound",
	"GENESYS_SMOKE_SKILLS":     "Billing, Spanish Support",
	"GENESYS_SMOKE_LANGUAGES":  "English,Spanish",
	"GENESYS_SMOKE_LOCATION":   "Indianapolis HQ",
	"GENESYS_SMOKE_SITE":       "My PCV Site",
	"GENESYS_SMOKE_PHONE_BASE": "WebRTC_Base",
}

func loadOrg(t *testing.T) *gcsim.Org {
	t.Helper()
	org, err := gcsim.LoadOrg(filepath.Join("..", "..", "testdata", "org.json"))
	if err != nil {
		t.Fatal(err)
	}
	return org
}

// hermetic blanks every variable the smoke reads, so that the env file alone counts.
func hermetic(t *testing.T) {
	t.Helper()
	for _, v := range []string{"GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_ORG_REGION", "GENESYS_API_URL",
		"GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYSCLOUD_REGION", domainVar} {
		t.Setenv(v, "")
	}
	for _, s := range settings {
		t.Setenv(s.env, "")
	}
}

// envFile writes the simulator's credentials and URL, and vars, to a .env file.
func envFile(t *testing.T, url string, vars map[string]string) string {
	t.Helper()
	hermetic(t)
	var b strings.Builder
	fmt.Fprintf(&b, "GENESYS_CLIENT_ID=test-client\nGENESYS_CLIENT_SECRET=test-secret-not-real\nGENESYS_API_URL=%s\n", url)
	for k, v := range vars {
		fmt.Fprintf(&b, "%s=%q\n", k, v)
	}
	p := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// fast shortens the pipeline's and the smoke's waits to suit the simulator's delays.
var fast = hooks{
	prefix: prefix,
	tune: func(o *provision.Options) {
		o.BatchLinger = 100 * time.Millisecond
		o.StationWait = provision.Backoff{First: 50 * time.Millisecond, Max: 400 * time.Millisecond, Total: 20 * time.Second}
		o.CreateWait = provision.Backoff{First: 50 * time.Millisecond, Max: 500 * time.Millisecond, Total: 20 * time.Second}
		o.SearchSettle = time.Second
	},
	settle: provision.Backoff{First: 50 * time.Millisecond, Max: 500 * time.Millisecond, Total: 20 * time.Second},
}

type result struct {
	code           int
	stdout, stderr string
}

func runSmoke(t *testing.T, env string, args ...string) result {
	t.Helper()
	return runSmokeWith(t, fast, env, args...)
}

func runSmokeWith(t *testing.T, h hooks, env string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--env-file", env, "--rate", "12000", "--dir", t.TempDir(), "--log-format", "json"}, args...)
	code := runWith(context.Background(), full, &out, &errb, h)
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	return result{code, out.String(), errb.String()}
}

func TestSmokePassesAgainstSimulator(t *testing.T) {
	srv := gcsim.NewServer(t, gcsim.Options{Org: loadOrg(t)})
	before := srv.Sim.State()
	start := time.Now()
	r := runSmoke(t, envFile(t, srv.URL, orgNamesEnv), "--phone")
	t.Logf("took %s", time.Since(start))
	if r.code != exitOK || !strings.Contains(r.stdout, "smoke: passed") {
		t.Fatalf("exit %d, want 0 and 'smoke: passed'", r.code)
	}
	for _, want := range []string{"1 provision: 3 rows: 3 ok (3 created)", "2 re-run: 3 rows: 3 ok (3 unchanged)", ", 0 write calls",
		"3 dry run: 3 rows: 3 planned (1 to update, 2 unchanged)", "4 deactivate: 3 of 3 users", "left in place: phone"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}

	// The write calls the smoke counted from the client's stats are the simulator's own count:
	// those of the first run, none in the re-run and the dry run, and one PATCH per deactivation.
	m := regexp.MustCompile(`1 provision: .*; \d+ requests, (\d+) write calls`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatal("no write count for the first run")
	}
	if counted, _ := strconv.Atoi(m[1]); srv.Sim.Counters().Writes != counted+people {
		t.Errorf("the simulator counted %d writes, the smoke %d + %d deactivations", srv.Sim.Counters().Writes, counted, people)
	}

	after := srv.Sim.State()
	seed := map[string]gcsim.UserState{}
	for _, u := range before.Users {
		seed[u.ID] = u
	}
	mine := 0
	for _, u := range after.Users {
		if old, ok := seed[u.ID]; ok {
			if old.Version != u.Version || old.State != u.State {
				t.Errorf("seed user %s changed: version %d → %d, state %s → %s", u.Email, old.Version, u.Version, old.State, u.State)
			}
			continue
		}
		mine++
		if !strings.HasPrefix(u.Email, prefix+"-") || !strings.HasSuffix(u.Email, "@example.com") {
			t.Errorf("user %s created without the prefix", u.Email)
		}
		if u.State != "inactive" {
			t.Errorf("%s is %s, want inactive", u.Email, u.State)
		}
		if u.Division != "Sales" || len(u.Skills) != 2 || len(u.Languages) != 2 {
			t.Errorf("%s: division %s, skills %v, languages %v", u.Email, u.Division, u.Skills, u.Languages)
		}
	}
	if mine != people {
		t.Errorf("%d users created, want %d", mine, people)
	}
	if got := len(after.Phones) - len(before.Phones); got != 1 {
		t.Errorf("%d phones created, want 1", got)
	}
	for _, tok := range srv.Sim.IssuedTokens() {
		if strings.Contains(r.stdout+r.stderr, tok) {
			t.Error("an access token leaked into the output")
		}
	}
	if strings.Contains(r.stdout+r.stderr, "test-secret-not-real") {
		t.Error("the client secret leaked into the output")
	}
}

func TestSmokeWritesNothingWhenAnEmailIsTaken(t *testing.T) {
	org := loadOrg(t)
	taken := prefix + "-2@example.com"
	org.Users = append(org.Users, gcsim.OrgUser{ID: "0e000000-0000-4000-8000-0000000000aa", Name: "Someone Else",
		Email: taken, State: "active", Division: "Home", Title: "Not a smoke user"})
	srv := gcsim.NewServer(t, gcsim.Options{Org: org})
	r := runSmoke(t, envFile(t, srv.URL, orgNamesEnv))
	if r.code != exitDiffers {
		t.Errorf("exit %d, want %d", r.code, exitDiffers)
	}
	if !strings.Contains(r.stdout, "smoke: FAILED: 1 difference") || !strings.Contains(r.stdout, taken+" already belongs to user 0e000000-0000-4000-8000-0000000000aa") {
		t.Errorf("stdout does not name the taken email")
	}
	if w := srv.Sim.Counters().Writes; w != 0 {
		t.Errorf("%d write calls, want none", w)
	}
	for _, u := range srv.Sim.State().Users {
		if u.Email == taken && (u.State != "active" || u.Version != 1 || u.Title != "Not a smoke user") {
			t.Errorf("the other user was touched: %+v", u)
		}
	}
}

// dropGroupAdds answers group member adds as accepted without passing them on: the
// pipeline believes they were done, and only reading the org back shows otherwise.
type dropGroupAdds struct{ next http.Handler }

var groupMembers = regexp.MustCompile(`^/api/v2/groups/[^/]+/members$`)

func (d dropGroupAdds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && groupMembers.MatchString(r.URL.Path) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("{}"))
		return
	}
	d.next.ServeHTTP(w, r)
}

func TestSmokeReportsADroppedChange(t *testing.T) {
	sim := gcsim.New(gcsim.Options{Org: loadOrg(t)})
	srv := httptest.NewServer(dropGroupAdds{sim})
	t.Cleanup(srv.Close)
	h := fast
	h.settle.Total = 4 * time.Second // the group never shows: wait long enough for the simulator's 1 s lag only
	r := runSmokeWith(t, h, envFile(t, srv.URL, orgNamesEnv))
	if r.code != exitDiffers {
		t.Errorf("exit %d, want %d", r.code, exitDiffers)
	}
	for _, want := range []string{
		"smoke: FAILED:",
		"1 provision: " + prefix + "-1@example.com: not a member of group 'Annuities'",
		"2 re-run: " + prefix + "-3@example.com: update/ok, expected none/ok",
		"2 re-run: 1 write call, expected none: POST /api/v2/groups/{id}/members 1",
		"3 dry run: " + prefix + "-1@example.com: update/planned, expected none/planned",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	// The users were still deactivated.
	n := 0
	for _, u := range sim.State().Users {
		if strings.HasPrefix(u.Email, prefix) {
			n++
			if u.State != "inactive" {
				t.Errorf("%s is %s, want inactive", u.Email, u.State)
			}
		}
	}
	if n != people {
		t.Errorf("%d smoke users, want %d", n, people)
	}
}

func TestSmokeNeedsTheNames(t *testing.T) {
	srv := gcsim.NewServer(t, gcsim.Options{Org: loadOrg(t)})
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want []string
		not  []string
	}{
		{name: "none set", want: []string{"set these variables", "GENESYS_SMOKE_DIVISION", "GENESYS_SMOKE_ROLE", "GENESYS_SMOKE_GROUP",
			"GENESYS_SMOKE_QUEUE", "GENESYS_SMOKE_SKILLS", "GENESYS_SMOKE_LANGUAGES", "GENESYS_SMOKE_LOCATION", "GENESYS_SMOKE_EMAIL_DOMAIN"},
			not: []string{"GENESYS_SMOKE_SITE"}},
		{name: "phone without site", args: []string{"--phone"}, vars: without(orgNamesEnv, "GENESYS_SMOKE_SITE", "GENESYS_SMOKE_PHONE_BASE"),
			want: []string{"GENESYS_SMOKE_SITE", "GENESYS_SMOKE_PHONE_BASE"}, not: []string{"GENESYS_SMOKE_ROLE"}},
		{name: "unknown names", vars: with(orgNamesEnv, map[string]string{"GENESYS_SMOKE_GROUP": "Annuity", "GENESYS_SMOKE_SKILLS": "Billing,Biling"}),
			want: []string{"GENESYS_SMOKE_GROUP: no group named 'Annuity'", "GENESYS_SMOKE_SKILLS: no skill named 'Biling'"}, not: []string{"'Billing'"}},
		{name: "bad domain", vars: with(orgNamesEnv, map[string]string{domainVar: "user@example.com"}), want: []string{domainVar}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runSmoke(t, envFile(t, srv.URL, tc.vars), tc.args...)
			if r.code != exitUnusable {
				t.Errorf("exit %d, want %d", r.code, exitUnusable)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(r.stderr, w) {
					t.Errorf("stderr has %q", w)
				}
			}
		})
	}
	if w := srv.Sim.Counters().Writes; w != 0 {
		t.Errorf("%d write calls, want none", w)
	}
}

func with(m, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

func without(m map[string]string, keys ...string) map[string]string {
	out := with(m, nil)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func TestSmokeRejectedCredentials(t *testing.T) {
	srv := gcsim.NewServer(t, gcsim.Options{Org: loadOrg(t)})
	env := envFile(t, srv.URL, orgNamesEnv)
	t.Setenv("GENESYS_CLIENT_SECRET", "wrong-secret") // the environment wins over the file
	r := runSmoke(t, env)
	if r.code != exitAuth {
		t.Errorf("exit %d, want %d", r.code, exitAuth)
	}
}

// fakeUsers serves Read from a map and records Deactivate calls.
type fakeUsers struct {
	provision.Users
	users       map[string]provision.User
	deactivated []string
}

func (f *fakeUsers) FindByEmails(context.Context, []string) (map[string]provision.Found, error) {
	return map[string]provision.Found{}, nil
}

func (f *fakeUsers) Read(_ context.Context, ids []string) (map[string]provision.User, error) {
	out := map[string]provision.User{}
	for _, id := range ids {
		if u, ok := f.users[id]; ok {
			out[id] = u
		}
	}
	return out, nil
}

func (f *fakeUsers) Deactivate(_ context.Context, id string) error {
	f.deactivated = append(f.deactivated, id)
	u := f.users[id]
	u.State = "inactive"
	f.users[id] = u
	return nil
}

func TestDeactivateChecksTheEmailBeforeEachWrite(t *testing.T) {
	p := newPlan(prefix, orgNames{domain: "example.com"}, orgObjects{}, false)
	users := &fakeUsers{users: map[string]provision.User{
		"mine":    {ID: "mine", Email: strings.ToUpper(prefix) + "-1@EXAMPLE.COM", State: "active"},
		"changed": {ID: "changed", Email: "someone@example.com", State: "active"},
		"other":   {ID: "other", Email: prefix + "-3@example.org", State: "active"},
	}}
	s := newSmoke(provision.Services{Users: users}, nil, p)
	s.settle = provision.Backoff{First: time.Millisecond, Max: time.Millisecond, Total: 10 * time.Millisecond}
	s.created = map[string]string{"mine": prefix + "-1@example.com", "changed": prefix + "-2@example.com", "other": prefix + "-3@example.com"}
	s.deactivate(context.Background())
	if len(users.deactivated) != 1 || users.deactivated[0] != "mine" {
		t.Errorf("deactivated %v, want only [mine]", users.deactivated)
	}
	if len(s.diffs) != 2 {
		t.Fatalf("diffs %q, want 2", s.diffs)
	}
	for _, d := range s.diffs {
		if !strings.Contains(d, "refused to deactivate") {
			t.Errorf("diff %q does not refuse", d)
		}
	}
}

func TestIsWrite(t *testing.T) {
	for route, want := range map[string]bool{
		"GET /api/v2/users/{id}":                 false,
		"POST /api/v2/users/search":              false,
		"POST /api/v2/groups/search":             false,
		"POST /oauth/token":                      false,
		"POST /api/v2/users":                     true,
		"PATCH /api/v2/users/{id}":               true,
		"POST /api/v2/groups/{id}/members":       true,
		"DELETE /api/v2/groups/{id}/members":     true,
		"PUT /api/v2/users/{id}/routingskills/x": true,
	} {
		if got := isWrite(route); got != want {
			t.Errorf("isWrite(%q) = %v, want %v", route, got, want)
		}
	}
}
