package gcsim

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
)

// listSites serves GET /api/v2/telephony/providers/edges/sites: paging and name.
// Modelling choice: name is an exact, case-insensitive match (its semantics are undocumented;
// TF compares exactly on the client). managed is ignored: the Go SDK always sends it (false
// when unset), and every simulated site is unmanaged.
func (s *Sim) listSites(c *call) {
	p, ok := c.listPage()
	if !ok {
		return
	}
	name := c.r.URL.Query().Get("name")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiSite
	for _, st := range s.w.sites {
		if name == "" || strings.EqualFold(st.name, name) {
			out = append(out, renderSite(st))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

func renderSite(st *site) apiSite {
	return apiSite{
		ID: st.id, Name: st.name, State: "active", Version: 1, MediaModel: "Cloud", SelfURI: siteURI(st.id),
		// The location of DefaultOrg's "Indianapolis HQ", whatever the org.
		Location: &apiRef{ID: "10ca0000-0000-4000-8000-000000000001", Name: "Indianapolis HQ"},
	}
}

// getSite serves GET /api/v2/telephony/providers/edges/sites/{siteId}.
func (s *Sim) getSite(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.w.siteByID[c.param("siteId")]
	if st == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a site with that id")
		return
	}
	c.json(http.StatusOK, renderSite(st))
}

// listPhoneBases serves GET /api/v2/telephony/providers/edges/phonebasesettings: paging and
// name (exact, case-insensitive, as for sites). SPEC offers expand=lines, yet requires lines
// (each with its required name) in every PhoneBase: they are always listed, expanded or not.
func (s *Sim) listPhoneBases(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	name := q.Get("name")
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiPhoneBase
	for _, b := range s.w.bases {
		if name == "" || strings.EqualFold(b.name, name) {
			out = append(out, renderPhoneBase(b))
		}
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// getPhoneBase serves GET /api/v2/telephony/providers/edges/phonebasesettings/{phoneBaseId},
// lines included.
func (s *Sim) getPhoneBase(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.w.baseByID[c.param("phoneBaseId")]
	if b == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a Phone Base Settings with that id.")
		return
	}
	c.json(http.StatusOK, renderPhoneBase(b))
}

// wildcardMatch matches s against a pattern in which * stands for any run of characters,
// case-insensitively.
func wildcardMatch(pattern, s string) bool {
	pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// listPhones serves GET /api/v2/telephony/providers/edges/phones. Filters, with SPEC's names:
// webRtcUser.id, site.id, phoneBaseSettings.id, name (comma-separated, * wildcards); sortBy
// name (default) or id. Deleted phones are skipped. Modelling choice: webRtcUser is in the
// answer only when fields contains webRtcUser (TF always asks for it).
//
// Unknown query parameters are ignored, as a web API does. Beware: the v162 Go SDK sends the
// filters as webRtcUserId and siteId, which are not SPEC's names, so they filter nothing here.
func (s *Sim) listPhones(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	userID, siteID, baseID := q.Get("webRtcUser.id"), q.Get("site.id"), q.Get("phoneBaseSettings.id")
	names := listParam(q, "name")
	withUser := slices.Contains(listParam(q, "fields"), "webRtcUser")
	byID := q.Get("sortBy") == "id"
	s.mu.Lock()
	defer s.mu.Unlock()
	var phones []*phone
	for _, ph := range s.w.phones {
		switch {
		case ph.state == "deleted",
			userID != "" && !wildcardMatch(userID, ph.userID),
			siteID != "" && !wildcardMatch(siteID, ph.siteID),
			baseID != "" && !wildcardMatch(baseID, ph.baseID),
			len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return wildcardMatch(n, ph.name) }):
			continue
		}
		phones = append(phones, ph)
	}
	slices.SortStableFunc(phones, func(a, b *phone) int {
		if byID {
			return cmp.Compare(a.id, b.id)
		}
		return cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
	})
	out := make([]apiPhone, 0, len(phones))
	for _, ph := range phones {
		out = append(out, s.w.renderPhone(ph, withUser))
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// getPhone serves GET /api/v2/telephony/providers/edges/phones/{phoneId}.
func (s *Sim) getPhone(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ph := s.w.phoneByID[c.param("phoneId")]
	if ph == nil || ph.state == "deleted" {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to find a phone with that id.")
		return
	}
	c.json(http.StatusOK, s.w.renderPhone(ph, true))
}

// createPhone serves POST /api/v2/telephony/providers/edges/phones (body Phone). A WebRTC
// phone gets a station that GET /api/v2/stations shows Options.StationDelay later.
func (s *Sim) createPhone(c *call) {
	var b apiPhone
	if !c.decode(&b) {
		return
	}
	name := strings.TrimSpace(b.Name)
	switch {
	case name == "":
		c.fail(http.StatusBadRequest, "bad.request", "Missing required field [name]")
		return
	case b.PhoneBaseSettings == nil || b.PhoneBaseSettings.ID == "":
		c.fail(http.StatusBadRequest, "base.settings.required", "A base setting must be assigned to create a phone.")
		return
	case len(b.Lines) == 0:
		c.fail(http.StatusBadRequest, "lines.required", "A phone cannot be created without a line.")
		return
	case b.Site == nil || b.Site.ID == "":
		c.fail(http.StatusBadRequest, "bad.request", "Missing required field [site]")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	st := w.siteByID[b.Site.ID]
	if st == nil {
		c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [site]", b.Site.ID)
		return
	}
	base := w.baseByID[b.PhoneBaseSettings.ID]
	if base == nil {
		c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [phoneBaseSettings]", b.PhoneBaseSettings.ID)
		return
	}
	var owner *user
	if b.WebRtcUser != nil && b.WebRtcUser.ID != "" {
		owner = w.liveUser(b.WebRtcUser.ID)
		if owner == nil {
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [webRtcUser]", b.WebRtcUser.ID)
			return
		}
	}
	if base.webRTC() && owner == nil {
		c.fail(http.StatusBadRequest, "webrtc.user.required", "A webRtcUser is required.")
		return
	}
	if owner != nil && !s.inAuthCache(owner, c.now) {
		// TF retries phone creation on 404: the new user is not known everywhere yet.
		s.notInAuthCache(c)
		return
	}
	for _, ph := range w.phones {
		// Modelling choice: phone names are unique (UPG), case-insensitively, among phones
		// not deleted; a duplicate is 409 general.conflict (unconfirmed).
		if ph.state != "deleted" && strings.EqualFold(ph.name, name) {
			c.fail(http.StatusConflict, "general.conflict", "A phone with the name [%s] already exists.", name)
			return
		}
	}
	lineBase := func(ref *apiRef) (OrgLineBase, bool) {
		if ref == nil || ref.ID == "" {
			return base.lines[0], true
		}
		for _, lb := range base.lines {
			if lb.ID == ref.ID {
				return lb, true
			}
		}
		return OrgLineBase{}, false
	}
	phoneLB, ok := lineBase(b.LineBaseSettings)
	if !ok {
		c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [lineBaseSettings]", b.LineBaseSettings.ID)
		return
	}
	ph := &phone{id: s.newID(), name: name, siteID: st.id, baseID: base.id, lineBaseID: phoneLB.ID, state: "active", version: 1}
	for _, l := range b.Lines {
		lb, ok := lineBase(l.LineBaseSettings)
		if !ok {
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [lineBaseSettings]", l.LineBaseSettings.ID)
			return
		}
		ln := line{id: s.newID(), name: l.Name, lineBaseID: lb.ID}
		if ln.name == "" {
			ln.name = lb.Name
		}
		ph.lines = append(ph.lines, ln)
	}
	if owner != nil {
		ph.userID = owner.id
	}
	if base.webRTC() {
		// Modelling choice: the station's lineAppearanceId is the phone's first line id
		// (their relation is unconfirmed), and its name is the phone's.
		stn := &station{
			id: s.newID(), name: name, userID: owner.id, lineAppearanceID: ph.lines[0].id, phoneID: ph.id,
			visibleAt: c.now.Add(s.opts.StationDelay),
		}
		ph.stationID = stn.id
		w.stations = append(w.stations, stn)
		w.stationByID[stn.id] = stn
	}
	w.phones = append(w.phones, ph)
	w.phoneByID[ph.id] = ph
	c.json(http.StatusOK, w.renderPhone(ph, true))
}

// deletePhone serves DELETE /api/v2/telephony/providers/edges/phones/{phoneId}. The phone's
// station disappears with it, and stops being anyone's default station.
func (s *Sim) deletePhone(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	ph := w.phoneByID[c.param("phoneId")]
	if ph == nil || ph.state == "deleted" {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Unable to delete Phone with that id.")
		return
	}
	ph.state = "deleted"
	if stn := w.stationByID[ph.stationID]; stn != nil {
		if u := w.userByID[stn.defaultUserID]; u != nil {
			u.defaultStationID = ""
		}
		delete(w.stationByID, stn.id)
		w.stations = slices.DeleteFunc(w.stations, func(x *station) bool { return x == stn })
	}
	c.empty(http.StatusOK)
}

// listStations serves GET /api/v2/stations: paging, webRtcUserId, id (comma-separated), name
// (exact) and lineAppearanceId, sorted by name. A station is listed only once its delay has
// passed.
func (s *Sim) listStations(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	userID, name, lineID := q.Get("webRtcUserId"), q.Get("name"), q.Get("lineAppearanceId")
	ids := listParam(q, "id")
	s.mu.Lock()
	defer s.mu.Unlock()
	var sts []*station
	for _, st := range s.w.stations {
		switch {
		case !st.visible(c.now),
			userID != "" && st.userID != userID,
			name != "" && st.name != name,
			lineID != "" && st.lineAppearanceID != lineID,
			len(ids) > 0 && !slices.Contains(ids, st.id):
			continue
		}
		sts = append(sts, st)
	}
	slices.SortStableFunc(sts, func(a, b *station) int { return cmp.Compare(a.name, b.name) })
	out := make([]apiStation, 0, len(sts))
	for _, st := range sts {
		out = append(out, s.w.renderStation(st))
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// getStation serves GET /api/v2/stations/{stationId}.
func (s *Sim) getStation(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.w.stationByID[c.param("stationId")]
	if st == nil || !st.visible(c.now) {
		c.fail(http.StatusNotFound, "general.resource.not.found", "Specified station resource not found.")
		return
	}
	c.json(http.StatusOK, s.w.renderStation(st))
}

// getUserStation serves GET /api/v2/users/{userId}/station (UserStations).
func (s *Sim) getUserStation(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.liveUser(c.param("userId"))
	if u == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", msgUserNotFound)
		return
	}
	c.json(http.StatusOK, s.w.renderUserStations(u))
}

// setDefaultStation serves PUT /api/v2/users/{userId}/station/defaultstation/{stationId}.
// Modelling choice: setting the station that is already the user's default is 202 again
// (unconfirmed). A user's previous default station is released. A station that appeared
// moments ago answers 409 (see consistency.go).
func (s *Sim) setDefaultStation(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u := w.liveUser(c.param("userId"))
	if u == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", msgUserNotFound)
		return
	}
	st := w.stationByID[c.param("stationId")]
	if st == nil || !st.visible(c.now) {
		c.fail(http.StatusNotFound, "userservice.station.notfound", "The Station could not be found.")
		return
	}
	if st.defaultUserID != "" && st.defaultUserID != u.id {
		c.fail(http.StatusConflict, "userservice.stationalreadyhasdefaultuser", "Station is already associated")
		return
	}
	if c.now.Before(st.visibleAt.Add(s.stationAssociateLag())) {
		// The station is still being associated with its phone (TF retries 400, 408 and
		// 409 here). Modelling choice: SPEC's 409 general.conflict.
		s.lagged("station-associating")
		c.fail(http.StatusConflict, "general.conflict", "The station is being associated; try again shortly.")
		return
	}
	if old := w.stationByID[u.defaultStationID]; old != nil && old != st {
		old.defaultUserID = ""
	}
	st.defaultUserID = u.id
	u.defaultStationID = st.id
	c.empty(http.StatusAccepted)
}

// clearDefaultStation serves DELETE /api/v2/users/{userId}/station/defaultstation.
func (s *Sim) clearDefaultStation(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u := w.liveUser(c.param("userId"))
	if u == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", msgUserNotFound)
		return
	}
	if old := w.stationByID[u.defaultStationID]; old != nil {
		old.defaultUserID = ""
	}
	u.defaultStationID = ""
	c.empty(http.StatusAccepted)
}
