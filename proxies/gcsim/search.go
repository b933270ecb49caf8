package gcsim

import (
	"net/http"
	"slices"
	"strings"
)

// Developer Center's "Search limits" page, for most search resources: at most 50 values in
// one criterion (400 search.criteria.values.exceed.limit), a value of at most 300
// characters, pages of at most 100, and no paging past 10,000 results.
const (
	maxCriteriaValues = 50
	maxValueLength    = 300
	maxSearchPageSize = 100
	maxSearchResults  = 10000
	searchExact       = "EXACT"
	searchStartsWith  = "STARTS_WITH"
)

// searchPage reads the paging of a search body. 0 means the default, as for lists.
func (c *call) searchPage(req searchRequest) (page, bool) {
	p := page{size: req.PageSize, number: req.PageNumber}
	if p.size < 0 || p.number < 0 {
		c.fail(http.StatusBadRequest, "invalid.value", "pageSize and pageNumber must be positive")
		return page{}, false
	}
	if p.size == 0 {
		p.size = defaultPageSize
	}
	if p.number == 0 {
		p.number = 1
	}
	if p.size > maxSearchPageSize {
		c.fail(http.StatusBadRequest, "too.many.requested.results", "too many requested results: the page size is at most %d", maxSearchPageSize)
		return page{}, false
	}
	// Modelling choice: the page that would reach past the 10,000th result is refused with
	// SPEC's code for too many results (the limit is documented, its answer is not).
	if p.number*p.size > maxSearchResults {
		c.fail(http.StatusBadRequest, "too.many.requested.results", "too many requested results: a search pages through at most %d results", maxSearchResults)
		return page{}, false
	}
	return p, true
}

// searchBody reads a search request: the body, its paging and its criteria, which may name
// only the fields known accepts. On failure it answers 400 and returns false. The caller must
// not hold s.mu.
func (s *Sim) searchBody(c *call, known func(field string) bool) (searchRequest, page, bool) {
	var req searchRequest
	if !c.decode(&req) {
		return req, page{}, false
	}
	p, ok := c.searchPage(req)
	if !ok || !s.checkCriteria(c, req.Query, known) {
		return req, page{}, false
	}
	return req, p, true
}

// checkCriteria accepts only what the simulator implements: EXACT and STARTS_WITH criteria on
// known fields, with value or values. Anything else is a 400, so that a client relying on an
// unsimulated search feature notices. More than maxCriteriaValues values count in
// LimitRejections. The caller must not hold s.mu.
func (s *Sim) checkCriteria(c *call, qs []searchCriteria, known func(field string) bool) bool {
	for _, q := range qs {
		long := len(q.Value) > maxValueLength || slices.ContainsFunc(q.Values, func(v string) bool { return len(v) > maxValueLength })
		switch {
		case q.Type != searchExact && q.Type != searchStartsWith:
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [type]. The simulator supports EXACT and STARTS_WITH only", q.Type)
		case len(q.Group) > 0:
			c.fail(http.StatusBadRequest, "invalid.value", "Nested criteria groups are not supported by the simulator")
		case len(q.Fields) == 0:
			c.fail(http.StatusBadRequest, "bad.request", "A search criterion needs fields")
		case q.Value == "" && len(q.Values) == 0:
			c.fail(http.StatusBadRequest, "bad.request", "A search criterion needs value or values")
		case len(q.Values) > maxCriteriaValues:
			s.rejectLimit(c, "search.criteria.values.exceed.limit", "search criteria values exceeded limit (at most %d values in one criterion)", maxCriteriaValues)
		case long:
			c.fail(http.StatusBadRequest, "invalid.value", "A search value is at most %d characters", maxValueLength)
		default:
			for _, f := range q.Fields {
				if !known(f) {
					c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not a searchable field", f)
					return false
				}
			}
			continue
		}
		return false
	}
	return true
}

// matchAll reports whether an object matches every criterion: one of the criterion's fields
// equals (EXACT) or starts with (STARTS_WITH) one of its values, case-insensitively for the
// fields in fold.
func matchAll(qs []searchCriteria, get func(field string) string, fold map[string]bool) bool {
	for _, q := range qs {
		vals := q.Values
		if q.Value != "" {
			vals = append([]string{q.Value}, vals...)
		}
		hit := false
		for _, f := range q.Fields {
			have := get(f)
			for _, v := range vals {
				h, want := have, v
				if fold[f] {
					h, want = strings.ToLower(h), strings.ToLower(want)
				}
				if h == want || (q.Type == searchStartsWith && strings.HasPrefix(h, want)) {
					hit = true
				}
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// searchPageOf cuts results to the page.
func searchPageOf[T any](results []T, p page, typ string) searchResponse[T] {
	total := len(results)
	start := min((p.number-1)*p.size, total)
	end := min(start+p.size, total)
	return searchResponse[T]{
		Total: total, PageCount: (total + p.size - 1) / p.size, PageSize: p.size, PageNumber: p.number,
		Types: []string{typ}, Results: append([]T{}, results[start:end]...),
	}
}
