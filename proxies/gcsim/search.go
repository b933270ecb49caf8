package gcsim

import (
	"net/http"
	"strings"
)

// maxCriteriaValues: modelling choice; SPEC names 400 search.criteria.values.exceed.limit
// without its limit.
const maxCriteriaValues = 100

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
		c.fail(http.StatusBadRequest, "too.many.requested.results", "too many requested results")
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

// checkCriteria accepts only what the simulator implements: EXACT criteria on known fields,
// with value or values. Anything else is a 400, so that a client relying on an unsimulated
// search feature notices. More than maxCriteriaValues values count in LimitRejections. The
// caller must not hold s.mu.
func (s *Sim) checkCriteria(c *call, qs []searchCriteria, known func(field string) bool) bool {
	for _, q := range qs {
		switch {
		case q.Type != "EXACT":
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [type]. The simulator supports EXACT only", q.Type)
		case len(q.Group) > 0:
			c.fail(http.StatusBadRequest, "invalid.value", "Nested criteria groups are not supported by the simulator")
		case len(q.Fields) == 0:
			c.fail(http.StatusBadRequest, "bad.request", "A search criterion needs fields")
		case q.Value == "" && len(q.Values) == 0:
			c.fail(http.StatusBadRequest, "bad.request", "A search criterion needs value or values")
		case len(q.Values) > maxCriteriaValues:
			s.rejectLimit(c, "search.criteria.values.exceed.limit", "search criteria values exceeded limit")
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
// equals one of its values (case-insensitively for the fields in fold).
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
				if have == v || (fold[f] && strings.EqualFold(have, v)) {
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
		Types: []string{typ}, Results: results[start:end],
	}
}
