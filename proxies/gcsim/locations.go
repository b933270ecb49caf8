package gcsim

import (
	"net/http"
	"slices"
)

// maxLocationsPageSize: modelling choice. SPEC states no maximum for GET /api/v2/locations;
// TF pages locations with 100 (where it uses 500 for users and groups), so the simulator
// allows 100 and answers 400 invalid.value above it, to catch a client that asks for more
// than Genesys's own provider does.
const maxLocationsPageSize = 100

// listLocations serves GET /api/v2/locations: paging (pageSize at most 100), id and
// sortOrder (by name).
func (s *Sim) listLocations(c *call) {
	p, ok := c.listPageMax(maxLocationsPageSize)
	if !ok {
		return
	}
	desc, ok := c.sortOrder("asc", "desc")
	if !ok {
		return
	}
	ids := listParam(c.r.URL.Query(), "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiLocationDefinition
	for _, l := range sortByName(s.w.locations, func(x *named) string { return x.name }, desc) {
		if len(ids) == 0 || slices.Contains(ids, l.id) {
			out = append(out, renderLocation(l))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// getLocation serves GET /api/v2/locations/{locationId}.
func (s *Sim) getLocation(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.w.locationByID[c.param("locationId")]
	if l == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Location is not found by given location id.")
		return
	}
	c.json(http.StatusOK, renderLocation(l))
}

// searchLocations serves POST /api/v2/locations/search (body LocationSearchRequest): EXACT
// criteria on id or name, matched case-sensitively like the other simulated EXACT searches.
// The location index has no lag in the simulator.
func (s *Sim) searchLocations(c *call) {
	req, p, ok := s.searchBody(c, func(f string) bool { return f == "id" || f == "name" })
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var results []apiLocationDefinition
	for _, l := range s.w.locations {
		get := func(f string) string {
			if f == "id" {
				return l.id
			}
			return l.name
		}
		if matchAll(req.Query, get, nil) {
			results = append(results, renderLocation(l))
		}
	}
	c.json(http.StatusOK, searchPageOf(results, p, "locations"))
}
