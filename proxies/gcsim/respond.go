package gcsim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// call is one request on its way through the simulator.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	ctxID   string // contextId and ININ-Correlation-Id
	client  string // OAuth client of the token; "" before authentication
	userID  string // the person the token acts as; "" for a client-credentials token
	subject string // token.subject(); "" before authentication
	token   int    // index of the token (token.index); 0 before authentication
	body    []byte
	params  map[string]string // path parameters of the matched route
	now     time.Time
	status  int // status of the answer, for the log
}

func (c *call) param(name string) string { return c.params[name] }

// errorBody is ErrorBody.
type errorBody struct {
	Message   string   `json:"message"`
	Code      string   `json:"code"`
	Status    int      `json:"status"`
	ContextID string   `json:"contextId"`
	Details   []detail `json:"details"`
	Errors    []any    `json:"errors"`
}

// detail is Detail.
type detail struct {
	ErrorCode string `json:"errorCode,omitempty"`
	FieldName string `json:"fieldName,omitempty"`
}

// fail answers with a Genesys error body.
func (c *call) fail(status int, code, format string, args ...any) {
	c.json(status, errorBody{
		Message: fmt.Sprintf(format, args...), Code: code, Status: status, ContextID: c.ctxID,
		Details: []detail{}, Errors: []any{},
	})
}

// notFound answers 404 not.found, Genesys's answer to an unknown route or resource.
func (c *call) notFound() {
	c.fail(http.StatusNotFound, "not.found", "The requested resource was not found.")
}

func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // every value is a plain struct: a failure is a bug in the simulator
		panic(fmt.Sprintf("gcsim: encode answer: %v", err))
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	c.status = status
	_, _ = c.w.Write(b)
}

// empty answers with a status and no body.
func (c *call) empty(status int) {
	c.w.WriteHeader(status)
	c.status = status
}

// decode reads the JSON body into v. On failure it answers 400 bad.request and returns false.
func (c *call) decode(v any) bool {
	if len(bytes.TrimSpace(c.body)) == 0 {
		c.fail(http.StatusBadRequest, "bad.request", "The request could not be understood by the server due to malformed syntax.")
		return false
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		c.fail(http.StatusBadRequest, "bad.request", "The request could not be understood by the server due to malformed syntax: %v", err)
		return false
	}
	return true
}

// listParam returns every value of an array query parameter. The Go SDK joins an array into
// one comma-separated value (expand=groups,station); other clients repeat the parameter.
// Both forms are accepted, and may be mixed.
func listParam(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// sortOrder reads the sortOrder query parameter: "" or one of the allowed values, compared
// case-insensitively. It reports whether the order is descending.
func (c *call) sortOrder(allowed ...string) (desc, ok bool) {
	v := c.r.URL.Query().Get("sortOrder")
	if v == "" {
		return false, true
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return strings.HasPrefix(strings.ToLower(a), "desc"), true
		}
	}
	c.fail(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [sortOrder]. Allowable values are: %s", v, strings.Join(allowed, ", "))
	return false, false
}

// boolParam reads a boolean query parameter (true or false, in any case); def when absent.
func (c *call) boolParam(name string, def bool) (val, ok bool) {
	v := c.r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
		c.fail(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [%s]. Allowable values are: true, false", v, name)
		return false, false
	}
	return strings.EqualFold(v, "true"), true
}

func expandParam(vals []string) expansions {
	e := expansions{}
	for _, v := range vals {
		e[v] = true
	}
	return e
}

const (
	defaultPageSize = 25
	// maxListPageSize: SPEC states no maximum for the list endpoints; Genesys's Terraform
	// provider pages users and groups with 500, so 500 is allowed and more is refused.
	maxListPageSize = 500
)

// page is a pageSize/pageNumber pair.
type page struct{ size, number int }

// listPage reads pageSize and pageNumber from the query. The Go SDK sends 0 for both when the
// caller leaves them unset, so 0 means the default (modelling choice). A page size above
// maxListPageSize is answered 400 invalid.value (modelling choice: no limit is documented).
func (c *call) listPage() (page, bool) { return c.listPageMax(maxListPageSize) }

// listPageMax is listPage with another maximum page size.
func (c *call) listPageMax(maxSize int) (page, bool) {
	q := c.r.URL.Query()
	p := page{size: defaultPageSize, number: 1}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"pageSize", &p.size}, {"pageNumber", &p.number}} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.fail(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [%s]. Allowable values are: positive integers", v, f.name)
			return page{}, false
		}
		if n > 0 {
			*f.dst = n
		}
	}
	if p.size > maxSize {
		c.fail(http.StatusBadRequest, "invalid.value", "Value [%d] is not valid for field type [pageSize]. Allowable values are: 1-%d", p.size, maxSize)
		return page{}, false
	}
	return p, true
}

// paginate cuts items to the page and wraps them in an entity listing whose links keep the
// request's other query parameters.
func paginate[T any](c *call, items []T, p page) listing[T] {
	total := len(items)
	pageCount := (total + p.size - 1) / p.size
	start := min((p.number-1)*p.size, total)
	end := min(start+p.size, total)
	entities := items[start:end]
	if entities == nil {
		entities = []T{}
	}
	link := func(n int) string {
		q := c.r.URL.Query()
		q.Set("pageSize", strconv.Itoa(p.size))
		q.Set("pageNumber", strconv.Itoa(n))
		return c.r.URL.Path + "?" + q.Encode()
	}
	l := listing[T]{
		Entities: entities, PageSize: p.size, PageNumber: p.number, Total: total,
		FirstURI: link(1), SelfURI: link(p.number), LastURI: link(max(pageCount, 1)), PageCount: pageCount,
	}
	if p.number < pageCount {
		l.NextURI = link(p.number + 1)
	}
	if p.number > 1 {
		l.PreviousURI = link(p.number - 1)
	}
	return l
}

// sortByName sorts a copy of items by name, ascending unless desc.
func sortByName[T any](items []T, name func(T) string, desc bool) []T {
	out := slices.Clone(items)
	slices.SortStableFunc(out, func(a, b T) int {
		r := cmp.Compare(strings.ToLower(name(a)), strings.ToLower(name(b)))
		if desc {
			return -r
		}
		return r
	})
	return out
}

// newUUID returns a random version-4 UUID.
func newUUID() string {
	var b [16]byte
	randRead(b[:])
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// rejectLimit answers 400 to a request that exceeds a per-call size limit (too many members,
// levels, ids or values in one call) and counts it in Counters.LimitRejections. The caller
// must not hold s.mu; rejectLimitLocked is for one that does.
func (s *Sim) rejectLimit(c *call, code, format string, args ...any) {
	s.mu.Lock()
	s.counts.LimitRejections++
	s.mu.Unlock()
	c.fail(http.StatusBadRequest, code, format, args...)
}

// rejectLimitLocked is rejectLimit for a caller that holds s.mu.
func (s *Sim) rejectLimitLocked(c *call, code, format string, args ...any) {
	s.counts.LimitRejections++
	c.fail(http.StatusBadRequest, code, format, args...)
}
