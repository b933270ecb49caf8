// Package spec checks HTTP traffic against the Genesys Cloud Platform API's OpenAPI 2 spec,
// the swagger.json that ships at the root of the Go SDK module, so that the simulator's
// answers and the client's requests cannot drift from the real API unnoticed.
//
// Load reads swagger.json once, keeps only the operations the simulator serves and the
// definitions they reach, converts them to OpenAPI 3 with kin-openapi's openapi2conv and
// makes every object schema that lists its properties strict (no other property allowed).
// Checker.Wrap puts a Validator in front of an http.Handler (a gcsim.Sim): it checks each
// /api/v2 request and the answer written to it with kin-openapi's openapi3filter and
// records what does not conform. The schema checks are kin-openapi's; this package only
// routes requests to their operation, tightens the schemas, and reports.
//
// Default loads the spec for gcsim.Routes once per process, for tests.
package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// SDKModule is the Go module whose root holds swagger.json.
const SDKModule = "github.com/mypurecloud/platform-client-sdk-go/v162"

// SwaggerPath returns the path of swagger.json in the module cache, from `go list -m`, run
// in the current directory (which must be inside a module that requires SDKModule, as
// tests are). It fails when the go command or the module is not there.
func SwaggerPath() (string, error) {
	var stderr bytes.Buffer
	// go test puts its own GOROOT/bin first in PATH.
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", SDKModule)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w: %s", SDKModule, err, strings.TrimSpace(stderr.String()))
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("go list -m %s: the module is not downloaded (go mod download)", SDKModule)
	}
	p := filepath.Join(dir, "swagger.json")
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// Checker is a loaded spec. It is immutable and safe for concurrent use; each Validator
// it makes records on its own.
type Checker struct {
	doc    *openapi3.T
	ops    []*operation        // the routes found in the spec, in the order given to Load
	absent []string            // the routes given to Load that the spec lacks
	allOps map[string][]string // every path of the whole spec → its methods
	stats  LoadStats
}

// operation is one route and its OpenAPI 3 operation.
type operation struct {
	key      string   // the route: "POST /api/v2/authorization/divisions/{divisionId}/objects/USER"
	path     string   // the spec's template: "/api/v2/authorization/divisions/{divisionId}/objects/{objectType}"
	segs     []string // the route's path split at "/": requests are matched against it
	specSegs []string // path split at "/": path parameters take their names from it
	item     *openapi3.PathItem
	op       *openapi3.Operation
	// query lists the query parameters the operation declares, by name.
	query map[string]*openapi3.Parameter
}

// LoadStats says what Load did.
type LoadStats struct {
	SpecBytes     int           // size of swagger.json
	FilteredBytes int           // size of the cut-down Swagger 2 document
	Paths         int           // paths in the whole spec
	Definitions   int           // definitions kept (those the operations reach)
	Operations    int           // operations kept: routes found in the spec
	Strict        int           // object schemas made strict
	Open          int           // object schemas left open because of allOf/anyOf/oneOf
	Took          time.Duration // reading, filtering, decoding and converting
}

// Load reads the Swagger 2 spec at path and keeps the operations that serve routes, keys of
// the form "METHOD /path/{param}" (gcsim.Routes). A route may fix a segment that the spec
// leaves a parameter: "POST .../divisions/{divisionId}/objects/USER" is served by the
// spec's ".../objects/{objectType}"; a request matches the route's own segments. Routes
// the spec lacks are reported by Absent, not an error.
//
// Every kept object schema that declares properties and says nothing of
// additionalProperties is made strict, so that an unknown field is a violation. Schemas
// that take part in allOf, anyOf or oneOf are left open, since closing one part would
// reject the properties of the others (swagger.json v162 has none). readOnly properties
// stay as the spec marks them: a request that carries one is a violation.
func Load(path string, routes []string) (*Checker, error) {
	start := time.Now()
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for _, r := range routes {
		method, p, ok := strings.Cut(r, " ")
		if !ok || !strings.HasPrefix(p, "/") || method != strings.ToUpper(method) {
			return nil, fmt.Errorf("route %q: want \"METHOD /path\"", r)
		}
	}
	f, err := filterSwagger(src, routes)
	if err != nil {
		return nil, err
	}
	var doc2 openapi2.T
	if err := doc2.UnmarshalJSON(f.doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("%s: convert to OpenAPI 3: %w", path, err)
	}
	c := &Checker{doc: doc, allOps: f.allOps}
	for _, r := range routes {
		method, rp, _ := strings.Cut(r, " ")
		p := f.specPath[r]
		item := doc.Paths.Value(p)
		var op *openapi3.Operation
		if item != nil {
			op = item.GetOperation(method)
		}
		if op == nil {
			c.absent = append(c.absent, r)
			continue
		}
		o := &operation{
			key: r, path: p, segs: strings.Split(rp, "/"), specSegs: strings.Split(p, "/"),
			item: item, op: op, query: map[string]*openapi3.Parameter{},
		}
		for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
			for _, pr := range params {
				if pr.Value != nil && pr.Value.In == openapi3.ParameterInQuery {
					o.query[pr.Value.Name] = pr.Value
				}
			}
		}
		c.ops = append(c.ops, o)
	}
	strict, open := tighten(doc)
	c.stats = LoadStats{
		SpecBytes: len(src), FilteredBytes: len(f.doc), Paths: len(f.allOps), Definitions: f.definitions,
		Operations: len(c.ops), Strict: strict, Open: open, Took: time.Since(start),
	}
	return c, nil
}

var defaultChecker = sync.OnceValues(func() (*Checker, error) {
	p, err := SwaggerPath()
	if err != nil {
		return nil, err
	}
	return Load(p, gcsim.Routes())
})

// Default returns the spec loaded for gcsim.Routes, loading it on the first call only: a
// test binary pays for it once however many tests use it.
func Default() (*Checker, error) { return defaultChecker() }

// Stats says what Load did.
func (c *Checker) Stats() LoadStats { return c.stats }

// Operations returns the keys of the routes found in the spec, in the order given to Load.
func (c *Checker) Operations() []string {
	keys := make([]string, len(c.ops))
	for i, o := range c.ops {
		keys[i] = o.key
	}
	return keys
}

// Permissions returns what swagger.json's x-inin-requires-permissions says the operation of
// route requires: its type ("ANY": one of the permissions; "ALL": every one) and its
// permissions, "" and nil when the operation lists none. ok is false when route is not one
// of the Checker's operations (see Operations), or its extension cannot be read.
func (c *Checker) Permissions(route string) (typ string, perms []string, ok bool) {
	for _, o := range c.ops {
		if o.key != route {
			continue
		}
		ext, has := o.op.Extensions["x-inin-requires-permissions"]
		if !has {
			return "", nil, true
		}
		// The extension is kept as decoded JSON; a round trip reads it whatever its Go type.
		raw, err := json.Marshal(ext)
		if err != nil {
			return "", nil, false
		}
		var req struct {
			Type        string   `json:"type"`
			Permissions []string `json:"permissions"`
		}
		if err := json.Unmarshal(raw, &req); err != nil {
			return "", nil, false
		}
		return req.Type, req.Permissions, true
	}
	return "", nil, false
}

// Absent returns the routes given to Load that the spec does not have.
func (c *Checker) Absent() []string { return slices.Clone(c.absent) }

// tighten makes strict every object schema reachable from doc that declares properties
// and leaves additionalProperties unsaid, and counts those it makes strict and those it
// leaves open because they are, or are parts of, an allOf, anyOf or oneOf. Schemas are
// shared between operations after $ref resolution; each is visited once.
func tighten(doc *openapi3.T) (strict, open int) {
	seen := map[*openapi3.Schema]bool{}
	composed := map[*openapi3.Schema]bool{} // schemas that a closing would break
	var all []*openapi3.Schema
	var visit func(ref *openapi3.SchemaRef)
	visit = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		all = append(all, s)
		for _, parts := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			if len(parts) > 0 {
				composed[s] = true
			}
			for _, p := range parts {
				if p != nil && p.Value != nil {
					composed[p.Value] = true
				}
				visit(p)
			}
		}
		visit(s.Not)
		visit(s.Items)
		visit(s.AdditionalProperties.Schema)
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			visit(s.Properties[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		visit(doc.Components.Schemas[name])
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value != nil {
					visit(p.Value.Schema)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					visit(mt.Schema)
				}
			}
			for _, r := range op.Responses.Map() {
				if r.Value != nil {
					for _, mt := range r.Value.Content {
						visit(mt.Schema)
					}
				}
			}
		}
	}
	no := false
	for _, s := range all {
		if len(s.Properties) == 0 || s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil {
			continue
		}
		if composed[s] {
			open++
			continue
		}
		s.AdditionalProperties.Has = &no
		strict++
	}
	return strict, open
}

// match finds the operation for a request: among those whose path template fits, the one
// with the most literal segments (".../divisions/home" before ".../divisions/{divisionId}"),
// as gcsim routes. It returns the path parameters too.
func (c *Checker) match(method, path string) (*operation, map[string]string) {
	segs := strings.Split(path, "/")
	var best *operation
	bestLiterals := -1
	for _, o := range c.ops {
		if !strings.HasPrefix(o.key, method+" ") {
			continue
		}
		if n, ok := fits(o.segs, segs); ok && n > bestLiterals {
			best, bestLiterals = o, n
		}
	}
	if best == nil {
		return nil, nil
	}
	params := map[string]string{}
	for j, p := range best.specSegs {
		if isParam(p) {
			params[strings.Trim(p, "{}")] = segs[j]
		}
	}
	return best, params
}

// specKey returns the key of the whole spec's operation for a request that no kept route
// matched, and whether the spec has one.
func (c *Checker) specKey(method, path string) (string, bool) {
	p, ok := specTemplate(c.allOps, method, path)
	return method + " " + p, ok
}

// Coverage is which of a Checker's operations some Validators saw answered with a 2xx
// status, and so checked against the success schema.
type Coverage struct {
	Covered   []string // operations answered 2xx at least once
	Uncovered []string // operations never answered 2xx
	Absent    []string // routes given to Load that the spec lacks
}

// Coverage merges what the validators saw.
func (c *Checker) Coverage(vs ...*Validator) Coverage {
	ok := map[string]bool{}
	for _, v := range vs {
		for k := range v.succeeded() {
			ok[k] = true
		}
	}
	cov := Coverage{Absent: c.Absent()}
	for _, o := range c.ops {
		if ok[o.key] {
			cov.Covered = append(cov.Covered, o.key)
		} else {
			cov.Uncovered = append(cov.Uncovered, o.key)
		}
	}
	return cov
}

// String is "N of M operations the simulator serves checked with a 2xx answer", M being its routes that
// the spec has, followed by the uncovered ones and the routes the spec lacks.
func (cov Coverage) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d operations the simulator serves checked with a 2xx answer", len(cov.Covered), len(cov.Covered)+len(cov.Uncovered))
	if len(cov.Uncovered) > 0 {
		fmt.Fprintf(&b, "; not covered: %s", strings.Join(cov.Uncovered, ", "))
	}
	if len(cov.Absent) > 0 {
		fmt.Fprintf(&b, "; not in swagger.json: %s", strings.Join(cov.Absent, ", "))
	}
	return b.String()
}
