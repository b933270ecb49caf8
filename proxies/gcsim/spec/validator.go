package spec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Violation is one way in which traffic did not conform to the spec, with how often it
// was seen.
type Violation struct {
	// Route is the operation's key ("POST /api/v2/users"). For a request no route of the
	// Checker matched, it is the spec's operation when the spec has one, else the method and
	// the request's path.
	Route string
	// Where is "request" or "response STATUS" ("response 200").
	Where string
	// Message says what is wrong and where, with JSON pointers whose array indexes are
	// written "*" so that one mistake in many items is one violation:
	// `body /entities/*/state: value is not one of the allowed values ["active","inactive","deleted"]`,
	// `query parameter "pageSize" is not declared`.
	Message string
	Count   int
}

// String is "ROUTE: WHERE: MESSAGE", the form the tests' allowlists use.
func (v Violation) String() string { return v.Route + ": " + v.Where + ": " + v.Message }

// Validator is an http.Handler that checks each /api/v2 request against the spec, passes it
// on, and checks the answer. Other requests (/oauth/token and gcsim's /__sim/ control
// routes, which swagger.json does not describe) pass unchecked. It is safe for concurrent
// use.
//
// A request is checked for its path parameters, its query parameters (their types and
// enums, required ones, and any name the operation does not declare) and its body (type,
// required properties, enums, unknown and readOnly properties). An answer is checked for its
// status (declared by the operation, or its default) and its body against that status's
// schema, and for a body where the status declares none. An answer never written (the
// client went away) or whose connection was taken over (gcsim's drop fault) is not checked.
//
// The Go SDK joins the values of an array query parameter with commas whatever its
// collectionFormat (expand=groups,station), and Genesys Cloud accepts that; the Validator
// splits such values at commas before checking them, so that each value is checked.
type Validator struct {
	c    *Checker
	next http.Handler

	mu         sync.Mutex
	violations map[string]*Violation // by Violation.String
	answers    map[string]map[int]int
}

// Wrap returns a Validator in front of next.
func (c *Checker) Wrap(next http.Handler) *Validator {
	return &Validator{c: c, next: next, violations: map[string]*Violation{}, answers: map[string]map[int]int{}}
}

// options are the openapi3filter options of every check. SkipSettingDefaults keeps the
// validation from writing defaults into the request.
var options = &openapi3filter.Options{
	MultiError:                        true,
	SkipSettingDefaults:               true,
	IncludeResponseStatus:             true,
	RejectWhenRequestBodyNotSpecified: true,
	AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
}

func (v *Validator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/v2/") {
		v.next.ServeHTTP(w, r)
		return
	}
	o, params := v.c.match(r.Method, r.URL.Path)
	if o == nil {
		if key, ok := v.c.specKey(r.Method, r.URL.Path); ok {
			v.add(key, "request", "the operation is in swagger.json but not among the routes checked (gcsim does not serve it)")
		} else {
			v.add(r.Method+" "+r.URL.Path, "request", "swagger.json has no such operation")
		}
		v.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		// The client went away mid-body: nothing to check, and the handler sees the same.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		v.next.ServeHTTP(w, r)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	in := v.checkRequest(o, r, params, body)

	rec := &recorder{w: w}
	v.next.ServeHTTP(rec, r)
	if rec.hijacked || rec.status == 0 {
		return
	}
	v.checkResponse(o, in, rec.status, w.Header(), rec.body.Bytes())
}

// checkRequest checks r, whose body has been read into body, against o's operation. It
// returns the validation input, which the response check needs.
func (v *Validator) checkRequest(o *operation, r *http.Request, params map[string]string, body []byte) *openapi3filter.RequestValidationInput {
	rq := r.Clone(r.Context())
	rq.Body = io.NopCloser(bytes.NewReader(body))
	rq.ContentLength = int64(len(body))
	rq.GetBody = nil
	q := rq.URL.Query()
	for _, name := range slices.Sorted(maps.Keys(q)) {
		p := o.query[name]
		if p == nil {
			v.add(o.key, "request", fmt.Sprintf("query parameter %q is not declared", name))
			continue
		}
		if explodedArray(p) {
			var split []string
			for _, val := range q[name] {
				split = append(split, strings.Split(val, ",")...)
			}
			q[name] = split
		}
	}
	rq.URL.RawQuery = q.Encode()
	in := &openapi3filter.RequestValidationInput{
		Request:     rq,
		PathParams:  params,
		QueryParams: q,
		Route:       &routers.Route{Spec: v.c.doc, Path: o.path, PathItem: o.item, Method: r.Method, Operation: o.op},
		Options:     options,
	}
	for _, m := range messages(openapi3filter.ValidateRequest(context.Background(), in)) {
		v.add(o.key, "request", m)
	}
	return in
}

// explodedArray reports whether p is an array sent as a repeated parameter (Swagger 2
// collectionFormat multi), the form whose values the SDK joins with commas anyway.
func explodedArray(p *openapi3.Parameter) bool {
	if p.Schema == nil || p.Schema.Value == nil || !p.Schema.Value.Type.Is(openapi3.TypeArray) {
		return false
	}
	sm, err := p.SerializationMethod()
	return err == nil && sm.Explode
}

// checkResponse checks an answer to the request of in.
func (v *Validator) checkResponse(o *operation, in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) {
	where := "response " + strconv.Itoa(status)
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options:                options,
	}
	out.SetBodyBytes(body)
	for _, m := range messages(openapi3filter.ValidateResponse(context.Background(), out)) {
		v.add(o.key, where, m)
	}
	declared := o.op.Responses.Status(status)
	if declared == nil {
		declared = o.op.Responses.Default()
	}
	if declared != nil && declared.Value != nil && len(declared.Value.Content) == 0 && len(bytes.TrimSpace(body)) > 0 {
		v.add(o.key, where, "body: the status declares no body, but the answer has one")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.answers[o.key] == nil {
		v.answers[o.key] = map[int]int{}
	}
	v.answers[o.key][status]++
}

func (v *Validator) add(route, where, msg string) {
	vi := Violation{Route: route, Where: where, Message: msg}
	k := vi.String()
	v.mu.Lock()
	defer v.mu.Unlock()
	if old := v.violations[k]; old != nil {
		old.Count++
		return
	}
	vi.Count = 1
	v.violations[k] = &vi
}

// Violations returns what was seen so far, sorted by route, where and message.
func (v *Validator) Violations() []Violation {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]Violation, 0, len(v.violations))
	for _, vi := range v.violations {
		out = append(out, *vi)
	}
	slices.SortFunc(out, func(a, b Violation) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// Answers returns, per operation key, how many answers of each status were checked.
func (v *Validator) Answers() map[string]map[int]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]map[int]int, len(v.answers))
	for k, m := range v.answers {
		out[k] = make(map[int]int, len(m))
		for s, n := range m {
			out[k][s] = n
		}
	}
	return out
}

// succeeded returns the operations answered 2xx at least once.
func (v *Validator) succeeded() map[string]bool {
	ok := map[string]bool{}
	for k, m := range v.Answers() {
		for s := range m {
			if s >= 200 && s < 300 {
				ok[k] = true
			}
		}
	}
	return ok
}

// messages flattens a validation error of openapi3filter into one line per problem:
// "body /pointer: reason", "query parameter \"x\": reason", "status: ...".
func messages(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	var walk func(err error, prefix string)
	walk = func(err error, prefix string) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, e := range e {
				walk(e, prefix)
			}
		case *openapi3filter.RequestError:
			p := "body"
			if e.Parameter != nil {
				p = fmt.Sprintf("%s parameter %q", e.Parameter.In, e.Parameter.Name)
			}
			if e.Err == nil || !isSchemaError(e.Err) {
				out = append(out, p+": "+e.Error())
				return
			}
			walk(e.Err, p)
		case *openapi3filter.ResponseError:
			if e.Err == nil || !isSchemaError(e.Err) {
				out = append(out, "body: "+e.Error())
				return
			}
			walk(e.Err, "body")
		case *openapi3.SchemaError:
			out = append(out, fmt.Sprintf("%s %s: %s", prefix, pointer(e.JSONPointer()), e.Reason))
		default:
			out = append(out, strings.TrimSpace(prefix+" "+err.Error()))
		}
	}
	walk(err, "")
	slices.Sort(out)
	return slices.Compact(out)
}

// isSchemaError reports whether err is made of schema errors only, which messages can
// show one by one with their JSON pointer.
func isSchemaError(err error) bool {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, e := range e {
			if !isSchemaError(e) {
				return false
			}
		}
		return true
	case *openapi3.SchemaError:
		return true
	}
	return false
}

// pointer writes a JSON pointer with its array indexes as "*".
func pointer(path []string) string {
	if len(path) == 0 {
		return "/"
	}
	parts := make([]string, len(path))
	for i, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			p = "*"
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	return "/" + strings.Join(parts, "/")
}

// recorder passes an answer through to the client and keeps a copy.
type recorder struct {
	w        http.ResponseWriter
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (r *recorder) Header() http.Header { return r.w.Header() }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 && status >= 200 {
		r.status = status
	}
	r.w.WriteHeader(status)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(p)
	return r.w.Write(p)
}

// Hijack hands the connection over (gcsim's drop fault closes it unanswered); the answer
// is then not checked.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("spec: the response writer cannot be hijacked")
	}
	r.hijacked = true
	return hj.Hijack()
}

// Unwrap gives http.ResponseController the client's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Merge returns the violations of several validators, each once, with their counts added,
// sorted as Violations sorts them.
func Merge(vs ...*Validator) []Violation {
	byKey := map[string]*Violation{}
	for _, v := range vs {
		for _, vi := range v.Violations() {
			if old := byKey[vi.String()]; old != nil {
				old.Count += vi.Count
				continue
			}
			byKey[vi.String()] = &vi
		}
	}
	out := make([]Violation, 0, len(byKey))
	for _, vi := range byKey {
		out = append(out, *vi)
	}
	slices.SortFunc(out, func(a, b Violation) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// Tolerance is a way in which the simulator's answers, or the SDK's requests, depart from
// swagger.json on purpose: where the spec contradicts itself or what Genesys is known to do.
type Tolerance struct {
	Match *regexp.Regexp // matched against Violation.String
	Why   string
}

// Tolerated is every such departure; every conformance test uses this one list. An entry
// goes when the spec, the simulator or the SDK changes.
var Tolerated = []Tolerance{
	{regexp.MustCompile(`: request: query parameter "includeDuplicates" /: value is not one of the allowed values`),
		`SPEC types includeDuplicates as a boolean with the enum ["true","false"], strings that no boolean equals; the SDK sends a valid boolean`},
	{regexp.MustCompile(`: response 200: body .*/(manager|defaultUser)/version: property "version" is missing$`),
		"SPEC types User.manager and UserStation.defaultUser as a whole User, whose version is required; Genesys answers a reference {id, selfUri} (its Terraform provider reads manager.id only), and so does gcsim"},
	{regexp.MustCompile(`^POST /api/v2/groups/\{groupId\}/members: response 409: body: the status declares no body`),
		"SPEC declares no body for this 409 (DELETE on the same path has ErrorBody); Genesys answers every error with ErrorBody, and so does gcsim"},
}

// Triage sorts violations by tolerances: those none matches, those one matches, and the
// tolerances that matched none of got (fixed, or not exercised).
func Triage(got []Violation, tolerated []Tolerance) (unexpected, expected []Violation, unseen []Tolerance) {
	used := make([]bool, len(tolerated))
	for _, vi := range got {
		i := slices.IndexFunc(tolerated, func(t Tolerance) bool { return t.Match.MatchString(vi.String()) })
		if i < 0 {
			unexpected = append(unexpected, vi)
			continue
		}
		used[i] = true
		expected = append(expected, vi)
	}
	for i, t := range tolerated {
		if !used[i] {
			unseen = append(unseen, t)
		}
	}
	return unexpected, expected, unseen
}

// Report fails t for each violation of got that no tolerance matches, and logs the tolerated
// ones and the tolerances none of got met.
func Report(t testing.TB, got []Violation) {
	t.Helper()
	unexpected, expected, unseen := Triage(got, Tolerated)
	for _, vi := range unexpected {
		t.Errorf("violation (%d times): %s", vi.Count, vi)
	}
	for _, vi := range expected {
		t.Logf("tolerated (%d times): %s", vi.Count, vi)
	}
	for _, tol := range unseen {
		t.Logf("tolerance not met (fixed, or not exercised): %s", tol.Match)
	}
}
