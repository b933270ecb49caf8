package spec

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

const userID = "0e000000-0000-4000-8000-000000000001"

func checker(t *testing.T) *Checker {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("load swagger.json: %v", err)
	}
	return c
}

// answer is a canned answer of a fake server.
type answer struct {
	status int
	body   string // JSON; "" for none
}

func (a answer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if a.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

// exchange sends one request through a Validator in front of a canned answer and returns
// what it recorded.
func exchange(t *testing.T, method, target, body string, a answer) []string {
	t.Helper()
	v := checker(t).Wrap(a)
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	v.ServeHTTP(w, r)
	if w.Code != a.status || w.Body.String() != a.body {
		t.Errorf("the answer was changed on its way: %d %q, want %d %q", w.Code, w.Body.String(), a.status, a.body)
	}
	var out []string
	for _, vi := range v.Violations() {
		out = append(out, vi.String())
	}
	return out
}

const (
	okUser     = `{"id":"` + userID + `","name":"A","email":"a@example.com","state":"active","version":1,"selfUri":"/api/v2/users/` + userID + `"}`
	okCreate   = `{"name":"A","email":"a@example.com","divisionId":"d1","state":"active","addresses":[{"mediaType":"PHONE","type":"WORK","address":"+13175550100"}]}`
	errorBody  = `{"message":"Not found","code":"not.found","status":404,"contextId":"c1","details":[],"errors":[]}`
	usersRoute = "POST /api/v2/users"
	userRoute  = "GET /api/v2/users/{userId}"
	patchRoute = "PATCH /api/v2/users/{userId}"
)

// TestViolations checks that each kind of departure from swagger.json is caught, on real
// operations, and that conforming traffic gives none.
func TestViolations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		method, target string
		body           string
		answer         answer
		want           []string // every violation, exactly
	}{
		{
			name:   "conforming create",
			method: "POST", target: "/api/v2/users", body: okCreate,
			answer: answer{200, okUser},
		},
		{
			name:   "conforming get with expand joined by commas",
			method: "GET", target: "/api/v2/users/" + userID + "?expand=groups,station,skills",
			answer: answer{200, okUser},
		},
		{
			name:   "conforming error answer",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{404, errorBody},
		},
		{
			name:   "unknown request field",
			method: "POST", target: "/api/v2/users", body: `{"name":"A","email":"a@example.com","divisionId":"d1","nickname":"x"}`,
			answer: answer{200, okUser},
			want:   []string{usersRoute + `: request: body /: property "nickname" is unsupported`},
		},
		{
			name:   "unknown field in a nested request object",
			method: "POST", target: "/api/v2/users", body: `{"name":"A","email":"a@example.com","divisionId":"d1","addresses":[{"mediaType":"PHONE","type":"WORK","number":"1"}]}`,
			answer: answer{200, okUser},
			want:   []string{usersRoute + `: request: body /addresses/*: property "number" is unsupported`},
		},
		{
			name:   "wrong request type",
			method: "POST", target: "/api/v2/users", body: `{"name":5,"email":"a@example.com","divisionId":"d1"}`,
			answer: answer{200, okUser},
			want:   []string{usersRoute + `: request: body /name: value must be a string`},
		},
		{
			name:   "missing required request field",
			method: "POST", target: "/api/v2/users", body: `{"name":"A","email":"a@example.com"}`,
			answer: answer{200, okUser},
			want:   []string{usersRoute + `: request: body /divisionId: property "divisionId" is missing`},
		},
		{
			name:   "request value outside its enum",
			method: "POST", target: "/api/v2/users", body: `{"name":"A","email":"a@example.com","divisionId":"d1","state":"asleep"}`,
			answer: answer{200, okUser},
			want:   []string{usersRoute + `: request: body /state: value is not one of the allowed values ["active","inactive","deleted"]`},
		},
		{
			name:   "readOnly request field",
			method: "PATCH", target: "/api/v2/users/" + userID, body: `{"version":1,"selfUri":"/api/v2/users/x"}`,
			answer: answer{200, okUser},
			want:   []string{patchRoute + `: request: body /selfUri: readOnly property "selfUri" in request`},
		},
		{
			name:   "undeclared query parameter",
			method: "GET", target: "/api/v2/users/" + userID + "?expand=groups&pageSize=10",
			answer: answer{200, okUser},
			want:   []string{userRoute + `: request: query parameter "pageSize" is not declared`},
		},
		{
			name:   "query value outside its enum",
			method: "GET", target: "/api/v2/users/" + userID + "?expand=groups,hobbies",
			answer: answer{200, okUser},
			want:   []string{userRoute + `: request: query parameter "expand" /*: value is not one of the allowed values ` + expandValues},
		},
		{
			name:   "query value of the wrong type",
			method: "GET", target: "/api/v2/users?pageSize=ten",
			answer: answer{200, `{"entities":[],"pageSize":25,"pageNumber":1,"total":0,"pageCount":0}`},
			want:   []string{`GET /api/v2/users: request: query parameter "pageSize": parameter "pageSize" in query has an error: value ten: an invalid integer: invalid syntax`},
		},
		{
			name:   "body on an operation that takes none",
			method: "GET", target: "/api/v2/users/" + userID, body: `{}`,
			answer: answer{200, okUser},
			want:   []string{userRoute + `: request: body: request body not allowed for this request`},
		},
		{
			name:   "unknown answer field",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{200, `{"id":"` + userID + `","version":1,"nickname":"x"}`},
			want:   []string{userRoute + `: response 200: body /: property "nickname" is unsupported`},
		},
		{
			name:   "wrong answer type",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{200, `{"id":"` + userID + `","version":"1"}`},
			want:   []string{userRoute + `: response 200: body /version: value must be an integer`},
		},
		{
			name:   "missing required answer field",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{200, `{"id":"` + userID + `","name":"A"}`},
			want:   []string{userRoute + `: response 200: body /version: property "version" is missing`},
		},
		{
			name:   "answer value outside its enum",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{200, `{"id":"` + userID + `","version":1,"addresses":[{"mediaType":"FAX"}]}`},
			want:   []string{userRoute + `: response 200: body /addresses/*/mediaType: value is not one of the allowed values ["PHONE","EMAIL","SMS"]`},
		},
		{
			name:   "wrong format in an answer",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{200, `{"id":"` + userID + `","version":1,"dateLastLogin":"yesterday"}`},
			want:   []string{userRoute + `: response 200: body /dateLastLogin: string doesn't match the format "date-time" (string doesn't match pattern "` + dateTimePattern + `")`},
		},
		{
			name:   "undeclared status",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{418, errorBody},
			want:   []string{userRoute + `: response 418: body: status is not supported`},
		},
		{
			name:   "no body where one is declared",
			method: "GET", target: "/api/v2/users/" + userID,
			answer: answer{200, ""},
			want:   []string{userRoute + `: response 200: body: response header Content-Type has unexpected value: ""`},
		},
		{
			name:   "body where none is declared",
			method: "POST", target: "/api/v2/groups/36000000-0000-4000-8000-000000000001/members", body: `{"memberIds":["` + userID + `"],"version":1}`,
			answer: answer{409, errorBody},
			want:   []string{"POST /api/v2/groups/{groupId}/members: response 409: body: the status declares no body, but the answer has one"},
		},
		{
			name:   "route fixed where the spec has a parameter",
			method: "POST", target: "/api/v2/authorization/divisions/d1/objects/USER", body: `["` + userID + `"]`,
			answer: answer{204, ""},
		},
		{
			name:   "operation the simulator does not serve",
			method: "GET", target: "/api/v2/users/" + userID + "/adjacents",
			answer: answer{404, errorBody},
			want:   []string{"GET /api/v2/users/{userId}/adjacents: request: the operation is in swagger.json but not among the routes checked (gcsim does not serve it)"},
		},
		{
			name:   "operation swagger.json does not have",
			method: "PUT", target: "/api/v2/users/" + userID + "/routinglanguages/bulk", body: `[]`,
			answer: answer{404, errorBody},
			want:   []string{"PUT /api/v2/users/" + userID + "/routinglanguages/bulk: request: swagger.json has no such operation"},
		},
		{
			name:   "login and control routes pass unchecked",
			method: "POST", target: "/oauth/token", body: `grant_type=client_credentials`,
			answer: answer{200, `{"access_token":"t","token_type":"bearer","expires_in":86399}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := exchange(t, tt.method, tt.target, tt.body, tt.answer)
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
		})
	}
}

// expandValues are the values swagger.json allows for expand on GET /api/v2/users/{userId}.
const expandValues = `["routingStatus","presence","integrationPresence","conversationSummary","outOfOffice","geolocation","station","authorization","lasttokenissued","authorization.unusedRoles","team","workPlanBidRanks","externalContactsSettings","groups","profileSkills","certifications","locations","skills","languages","languagePreference","employerInfo","biography","dateLastLogin","dateWelcomeSent"]`

// dateTimePattern is kin-openapi's RFC 3339 date-time pattern, as its message quotes it.
const dateTimePattern = `^[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[12][0-9]|3[01])T([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)([0-1][0-9]|2[0-3]):[0-5][0-9])$`

// TestCountsAndCoverage checks that repeated violations count once each, and that only a
// 2xx answer covers an operation.
func TestCountsAndCoverage(t *testing.T) {
	t.Parallel()
	c := checker(t)
	v := c.Wrap(answer{200, `{"id":"` + userID + `"}`})
	for range 3 {
		v.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v2/users/"+userID+"?bogus=1", nil))
	}
	v2 := c.Wrap(answer{404, errorBody})
	v2.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v2/stations/s1", nil))

	got := v.Violations()
	if len(got) != 2 || got[0].Count != 3 || got[1].Count != 3 {
		t.Errorf("violations %+v, want 2 seen 3 times each", got)
	}
	cov := c.Coverage(v, v2)
	if !slices.Equal(cov.Covered, []string{userRoute}) {
		t.Errorf("covered %v, want only %s (the station was answered 404)", cov.Covered, userRoute)
	}
	if len(cov.Covered)+len(cov.Uncovered) != len(c.Operations()) {
		t.Errorf("coverage %d+%d, want %d operations", len(cov.Covered), len(cov.Uncovered), len(c.Operations()))
	}
	if s, want := cov.String(), fmt.Sprintf("1 of %d operations the simulator serves checked with a 2xx answer", len(c.Operations())); !strings.HasPrefix(s, want) {
		t.Errorf("coverage = %q", s)
	}
}

// hijacker is a ResponseWriter whose connection can be taken over, as gcsim's drop fault does.
type hijacker struct {
	*httptest.ResponseRecorder
	taken bool
}

func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.taken = true
	c1, c2 := net.Pipe()
	_ = c2.Close()
	return c1, bufio.NewReadWriter(bufio.NewReader(c1), bufio.NewWriter(c1)), nil
}

// TestDroppedAnswerIsNotChecked: an answer whose connection was closed unanswered is not
// checked, whatever the handler buffered.
func TestDroppedAnswerIsNotChecked(t *testing.T) {
	t.Parallel()
	v := checker(t).Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_ = conn.Close()
	}))
	w := &hijacker{ResponseRecorder: httptest.NewRecorder()}
	v.ServeHTTP(w, httptest.NewRequest("GET", "/api/v2/users/"+userID, nil))
	if !w.taken {
		t.Fatal("the Validator's writer did not pass Hijack on")
	}
	if got := v.Violations(); len(got) != 0 {
		t.Errorf("violations %v for an answer never sent", got)
	}
	if n := len(v.Answers()); n != 0 {
		t.Errorf("%d answers recorded, want none", n)
	}
}

// TestSimulatorAnswersBehindValidator runs a real exchange with gcsim through the
// Validator: the request's body must still reach the simulator.
func TestSimulatorAnswersBehindValidator(t *testing.T) {
	t.Parallel()
	sim := gcsim.New(gcsim.Options{AuthLag: -1})
	v := checker(t).Wrap(sim)
	srv := gcsim.NewServerHandler(t, sim, v)
	req, _ := http.NewRequest("POST", srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth("test-client", "test-secret-not-real")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(res.Body).Decode(&tok)
	_ = res.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", res.StatusCode, err)
	}
	req, _ = http.NewRequest("POST", srv.URL+"/api/v2/users", strings.NewReader(`{"name":"B","email":"b@example.com","divisionId":"1d1a0000-0000-4000-8000-000000000001"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create: %d", res.StatusCode)
	}
	if n := v.Answers()[usersRoute][200]; n != 1 {
		t.Errorf("%d answers 200 to %s checked, want 1", n, usersRoute)
	}
}

// TestLoad checks the cut-down spec and reports what loading it costs.
func TestLoad(t *testing.T) {
	p, err := SwaggerPath()
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	c, err := Load(p, gcsim.Routes())
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := c.Stats()
	t.Logf("swagger.json: %d MB, %d paths; kept %d operations and %d definitions (%d KB); %d object schemas made strict, %d left open",
		st.SpecBytes>>20, st.Paths, st.Operations, st.Definitions, st.FilteredBytes>>10, st.Strict, st.Open)
	t.Logf("load took %s, allocated %d MB, %d MB live after", took.Round(time.Millisecond), allocated>>20, int64(after.HeapAlloc-before.HeapAlloc)>>20)
	if st.Operations != len(gcsim.Routes()) || len(c.Absent()) != 0 {
		t.Errorf("%d of %d routes found in swagger.json; absent: %v", st.Operations, len(gcsim.Routes()), c.Absent())
	}
	if st.Strict == 0 {
		t.Errorf("no schema made strict")
	}
	if _, err := Load(p, []string{"users"}); err == nil {
		t.Errorf("Load accepted a route without a method")
	}
}

func TestObjectMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string // name=value
		err  bool
	}{
		{in: `{}`},
		{in: ` { "a" : 1 , "b":[1,{"c":"]}"}] ,"d":"x\"}y", "e\\":true,"f":{"g":"\\"}} `,
			want: []string{`a=1`, `b=[1,{"c":"]}"}]`, `d="x\"}y"`, `e\=true`, `f={"g":"\\"}`}},
		{in: `{"\u0041":null}`, want: []string{`A=null`}},
		{in: `[1]`, err: true},
		{in: `{"a":1`, err: true},
		{in: `{"a" 1}`, err: true},
		{in: `{"a":"1}`, err: true},
		{in: `{"a":{"b":1}`, err: true},
		{in: `{"a":}`, err: true},
		{in: `{a:1}`, err: true},
		{in: ``, err: true},
	}
	for _, tt := range tests {
		ms, err := objectMembers([]byte(tt.in))
		if (err != nil) != tt.err {
			t.Errorf("objectMembers(%s): error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.name+"="+string(m.val))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("objectMembers(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzObjectMembers checks objectMembers against encoding/json on valid objects, and that
// it never panics on anything.
func FuzzObjectMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x\"y","c":[{"d":"]"}]}`, `{"a":{"b":{"c":[]}}}`, `{"a":"\\\\"}`, `{"a":1e5,"b":-0.5}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := objectMembers(b)
		var want map[string]json.RawMessage
		if json.Unmarshal(b, &want) != nil || want == nil {
			return // not an object: any error will do, as long as there is no panic
		}
		if err != nil {
			t.Fatalf("objectMembers(%q): %v; encoding/json reads it", b, err)
		}
		got := map[string]json.RawMessage{}
		for _, m := range ms {
			got[m.name] = m.val
		}
		if len(got) != len(want) {
			t.Fatalf("objectMembers(%q): %d names, encoding/json %d", b, len(got), len(want))
		}
		for k, w := range want {
			if !jsonEqual(got[k], w) {
				t.Fatalf("objectMembers(%q)[%q] = %s, encoding/json %s", b, k, got[k], w)
			}
		}
	})
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, err1 := json.Marshal(x)
	yb, err2 := json.Marshal(y)
	return errors.Join(err1, err2) == nil && string(xb) == string(yb)
}
