package gcsim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

const (
	msgUserNotFound = "Unable to find a user with that userId"
	msgConflict     = "The request could not be completed by the server due to a conflict"
	msgBadVersion   = "Resource conflict - Unexpected version was provided"
)

// validEmail is a deliberately loose check: something@something.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t\r\n,;")
}

var (
	contactMediaTypes = []string{"PHONE", "EMAIL", "SMS"}
	contactTypes      = []string{"PRIMARY", "WORK", "WORK2", "WORK3", "WORK4", "HOME", "MOBILE", "MAIN", "OTHER"}
)

// checkContacts validates addresses (Contact[]) for POST and PATCH users; on failure it
// answers 400 invalid.value and returns false. mediaType and type must be in SPEC's enums;
// exactly one of address and extension is set (SPEC: extension is "Mutually exclusive with
// the address field"; modelling choice: neither is refused too). display is read-only: it is
// dropped here and derived on every read.
//
// Modelling choice: at most one entry per (mediaType, type) pair. SPEC's UpdateUser.addresses
// says "One entry is allowed per media type", but Genesys's own Terraform provider sends
// several PHONE entries of different types (WORK, MOBILE, ...) in one PATCH, so the simulator
// enforces the looser rule that such a provider can live with.
func (c *call) checkContacts(cs []apiContact) ([]apiContact, bool) {
	out := make([]apiContact, 0, len(cs))
	seen := map[[2]string]bool{}
	for _, a := range cs {
		key := [2]string{a.MediaType, a.Type}
		switch {
		case !slices.Contains(contactMediaTypes, a.MediaType):
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [mediaType]. Allowable values are: %s", a.MediaType, strings.Join(contactMediaTypes, ", "))
		case !slices.Contains(contactTypes, a.Type):
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [type]. Allowable values are: %s", a.Type, strings.Join(contactTypes, ", "))
		case (a.Address == "") == (a.Extension == ""):
			c.fail(http.StatusBadRequest, "invalid.value", "extension: Use internal extension instead of address. Mutually exclusive with the address field.")
		case seen[key]:
			c.fail(http.StatusBadRequest, "invalid.value", "addresses: only one entry is allowed per media type and type; [%s %s] appears twice", a.MediaType, a.Type)
		default:
			seen[key] = true
			a.Display = ""
			out = append(out, a)
			continue
		}
		return nil, false
	}
	return out, true
}

// createUser serves POST /api/v2/users (body CreateUser).
func (s *Sim) createUser(c *call) {
	var b struct {
		Name       string       `json:"name"`
		Email      string       `json:"email"`
		DivisionID string       `json:"divisionId"`
		Password   string       `json:"password"`
		State      string       `json:"state"`
		Title      string       `json:"title"`
		Department string       `json:"department"`
		Addresses  []apiContact `json:"addresses"`
	}
	if !c.decode(&b) {
		return
	}
	name, email := strings.TrimSpace(b.Name), strings.TrimSpace(b.Email)
	// Modelling choice: a missing required field (SPEC: name, email, divisionId) is a 400
	// bad.request naming the field; whether the server defaults divisionId is unconfirmed.
	for _, f := range []struct{ field, value string }{{"name", name}, {"email", email}, {"divisionId", b.DivisionID}} {
		if f.value == "" {
			c.json(http.StatusBadRequest, errorBody{
				Message: "Missing required field [" + f.field + "]", Code: "bad.request", Status: http.StatusBadRequest,
				ContextID: c.ctxID, Details: []detail{{ErrorCode: "required", FieldName: f.field}}, Errors: []any{},
			})
			return
		}
	}
	if !validEmail(email) {
		c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [email]", email)
		return
	}
	addresses, ok := c.checkContacts(b.Addresses)
	if !ok {
		return
	}
	state := b.State
	switch state {
	case "":
		// SPEC: "If not specified, state will be Active if invites are sent, otherwise
		// Inactive". Modelling choice: the simulated org sends no invites.
		state = "inactive"
	case "active", "inactive":
	default:
		// Modelling choice: creating a user directly in state deleted is refused.
		c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [state]. Allowable values are: active, inactive", state)
		return
	}
	s.mu.Lock()
	w := s.w
	if w.divisionByID[b.DivisionID] == nil {
		s.mu.Unlock()
		c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [divisionId]", b.DivisionID)
		return
	}
	if old := w.userByEmail[strings.ToLower(email)]; old != nil {
		s.counts.CreateConflicts[strings.ToLower(email)]++
		s.mu.Unlock()
		// The code is general.conflict either way. UPG says 400 when the email belongs to a
		// deleted user; for an active or inactive one the status is unconfirmed (SPEC lists the
		// code under 400 and 409). Modelling choice: 409 for active and inactive users.
		status := http.StatusConflict
		if old.state == "deleted" {
			status = http.StatusBadRequest
		}
		c.fail(status, "general.conflict", msgConflict)
		return
	}
	u := &user{id: s.newID(), userFields: userFields{
		name: name, email: email, state: state, divisionID: b.DivisionID,
		title: b.Title, department: b.Department, addresses: addresses, version: 1,
	}, skills: map[string]float64{}, languages: map[string]float64{}}
	u.record(c.now)
	u.authAt = c.now
	if w.defaultRole != nil {
		u.addGrant(w.defaultRole.id, w.home.id, c.now) // the org default role, as a real org grants it
	}
	w.addUser(u)
	out := w.renderUser(u, u.userFields, nil)
	short := b.Password != "" && len([]rune(b.Password)) < w.minPassword
	s.mu.Unlock()
	if short {
		c.fail(http.StatusBadRequest, "invalid.password", "The user was created successfully but the provided password does not meet the password policy requirements")
		return
	}
	c.json(http.StatusOK, out)
}

// getUser serves GET /api/v2/users/{userId}. Query state is active (the default: active and
// inactive users) or deleted.
func (s *Sim) getUser(c *call) {
	q := c.r.URL.Query()
	state := q.Get("state")
	if state != "" && state != "active" && state != "deleted" {
		c.fail(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [state]. Allowable values are: active, deleted", state)
		return
	}
	exp := expandParam(listParam(q, "expand"))
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.userByID[c.param("userId")]
	// Modelling choice: state=deleted returns the user whatever its state; the default hides
	// deleted users and shows inactive ones (unconfirmed).
	if u == nil || (u.state == "deleted" && state != "deleted") {
		c.fail(http.StatusNotFound, "general.resource.not.found", msgUserNotFound)
		return
	}
	c.json(http.StatusOK, s.w.renderUser(u, u.userFields, exp))
}

// getMe serves GET /api/v2/users/me (UserMe) with expand, as GET /api/v2/users/{userId} does:
// the person a SAML2 bearer or password token acts as; with expand=authorization, the roles
// the person holds, their permissions and their policies (permissions.go). A
// client-credentials token has no person: 400 not.a.user "This request requires a user
// context. Client credentials cannot be used for requests to this resource.", the code and
// message swagger.json lists for this operation.
func (s *Sim) getMe(c *call) {
	exp := expandParam(listParam(c.r.URL.Query(), "expand"))
	if c.userID == "" {
		c.fail(http.StatusBadRequest, "not.a.user", "This request requires a user context. Client credentials cannot be used for requests to this resource.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.activeUser(c.userID)
	if u == nil { // authenticate refuses the token of a person no longer active
		c.fail(http.StatusNotFound, "general.resource.not.found", "The requested userID could not be found.")
		return
	}
	c.json(http.StatusOK, s.w.renderUser(u, u.userFields, exp))
}

// listUsers serves GET /api/v2/users: paging, id (at most 100), state (active by default,
// inactive, deleted or any) and expand.
// maxListUsers is how far GET /api/v2/users pages: 10,000 users.
const maxListUsers = 10000

func (s *Sim) listUsers(c *call) {
	q := c.r.URL.Query()
	p, ok := c.listPage()
	if !ok {
		return
	}
	ids := listParam(q, "id")
	if len(ids) > 100 {
		s.rejectLimit(c, "max.user.ids", "Only 100 users can be requested at a time.")
		return
	}
	// Genesys's own Terraform provider notes that GET /api/v2/users answers 400 past 10,000
	// users (DEVTOOLING-862, for inactive users); the stricter reading applies it to every
	// state: no page reaches past the 10,000th user.
	if p.number*p.size > maxListUsers && len(ids) == 0 {
		s.rejectLimit(c, "too.many.requested.results", "too many requested results: a listing pages through at most %d users", maxListUsers)
		return
	}
	state := q.Get("state")
	switch state {
	case "":
		state = "active"
	case "active", "inactive", "deleted", "any":
	default:
		c.fail(http.StatusBadRequest, "invalid.query.param.value", "Value [%s] is not valid for parameter [state]. Allowable values are: active, inactive, deleted, any", state)
		return
	}
	exp := expandParam(listParam(q, "expand"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []apiUser
	for _, u := range s.w.users {
		// Modelling choice: state filters id lookups too, and paging applies to them
		// (both unconfirmed); ask for state=any and pageSize=100.
		if state != "any" && u.state != state {
			continue
		}
		if len(ids) > 0 && !slices.Contains(ids, u.id) {
			continue
		}
		out = append(out, s.w.renderUser(u, u.userFields, exp))
	}
	c.json(http.StatusOK, paginate(c, out, p))
}

// patchUser serves PATCH /api/v2/users/{userId} (body UpdateUser): name, email, title,
// department, manager (a user id; "" clears it), addresses (replaced as a whole), locations
// (replaced as a whole), employerInfo (replaced as a whole) and state. version is required
// and must be the current one; state, if present, must be the only field changed. Other
// UpdateUser fields are accepted and ignored.
func (s *Sim) patchUser(c *call) {
	var raw map[string]json.RawMessage
	if !c.decode(&raw) {
		return
	}
	vraw, ok := raw["version"]
	var version int
	if !ok || string(vraw) == "null" || json.Unmarshal(vraw, &version) != nil {
		c.fail(http.StatusBadRequest, "bad.request", "Missing required field [version]")
		return
	}
	_, hasState := raw["state"]
	if hasState {
		for k := range raw {
			if k != "version" && k != "state" && k != "id" {
				c.fail(http.StatusBadRequest, "bad.request", "If state is specified, it is the only modifiable field; found [%s]", k)
				return
			}
		}
	}
	var b struct {
		Name       *string       `json:"name"`
		Email      *string       `json:"email"`
		Title      *string       `json:"title"`
		Department *string       `json:"department"`
		State      *string       `json:"state"`
		Manager    *string       `json:"manager"`
		Addresses  *[]apiContact `json:"addresses"`
		Locations  *[]struct {
			ID          string             `json:"id"`
			Notes       string             `json:"notes"`
			Coordinates map[string]float64 `json:"coordinates"`
		} `json:"locations"`
		EmployerInfo *apiEmployerInfo `json:"employerInfo"`
	}
	if err := json.Unmarshal(c.body, &b); err != nil {
		c.fail(http.StatusBadRequest, "bad.request", "The request could not be understood by the server due to malformed syntax: %v", err)
		return
	}
	var addresses []apiContact
	if b.Addresses != nil {
		var ok bool
		if addresses, ok = c.checkContacts(*b.Addresses); !ok {
			return
		}
	}
	if e := b.EmployerInfo; e != nil && e.DateHire != "" {
		if _, err := time.Parse(time.DateOnly, e.DateHire); err != nil {
			c.fail(http.StatusBadRequest, "invalid.date", "Dates must be specified as ISO-8601 strings. For example: yyyy-MM-dd. Value [%s] is not valid for field [employerInfo.dateHire]", e.DateHire)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	u := w.userByID[c.param("userId")]
	// Modelling choice: a deleted user can only be restored (PATCH with state); any other
	// change finds no user.
	if u == nil || (u.state == "deleted" && !hasState) {
		c.fail(http.StatusNotFound, "general.resource.not.found", msgUserNotFound+".")
		return
	}
	if version != u.version {
		c.fail(http.StatusConflict, "general.conflict", msgBadVersion)
		return
	}
	f := u.userFields.clone()
	if b.State != nil {
		switch *b.State {
		case "active", "inactive", "deleted":
			f.state = *b.State
		default:
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [state]. Allowable values are: active, inactive, deleted", *b.State)
			return
		}
	}
	if b.Name != nil {
		if strings.TrimSpace(*b.Name) == "" {
			c.fail(http.StatusBadRequest, "invalid.value", "Value [] is not valid for field type [name]")
			return
		}
		f.name = strings.TrimSpace(*b.Name)
	}
	if b.Email != nil {
		email := strings.TrimSpace(*b.Email)
		if !validEmail(email) {
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [email]", email)
			return
		}
		if other := w.userByEmail[strings.ToLower(email)]; other != nil && other != u {
			c.fail(http.StatusConflict, "general.conflict", msgConflict)
			return
		}
		f.email = email
	}
	if b.Title != nil {
		f.title = *b.Title
	}
	if b.Department != nil {
		f.department = *b.Department
	}
	if b.Manager != nil {
		m := *b.Manager
		if m == u.id {
			// Modelling choice: the code is unconfirmed.
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [manager]: a user cannot be their own manager", m)
			return
		}
		if m != "" && w.liveUser(m) == nil {
			c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [manager]", m)
			return
		}
		f.managerID = m
	}
	if b.Addresses != nil {
		f.addresses = addresses
	}
	if b.Locations != nil {
		f.locations = nil
		for _, l := range *b.Locations {
			if w.locationByID[l.ID] == nil {
				c.fail(http.StatusBadRequest, "invalid.value", "Value [%s] is not valid for field type [locations]", l.ID)
				return
			}
			// Modelling choice: a location listed twice is kept once, with its first notes.
			if !slices.ContainsFunc(f.locations, func(x userLocation) bool { return x.id == l.ID }) {
				f.locations = append(f.locations, userLocation{id: l.ID, notes: l.Notes, coordinates: l.Coordinates})
			}
		}
	}
	if b.EmployerInfo != nil {
		e := *b.EmployerInfo
		f.employer = &e
	}
	if !strings.EqualFold(f.email, u.email) {
		delete(w.userByEmail, strings.ToLower(u.email))
		w.userByEmail[strings.ToLower(f.email)] = u
	}
	if u.state == "deleted" && f.state != "deleted" {
		u.authAt = c.now // a restored user reaches the auth cache anew
	}
	f.version++
	u.userFields = f
	u.record(c.now)
	c.json(http.StatusOK, w.renderUser(u, u.userFields, nil))
}

// deleteUser serves DELETE /api/v2/users/{userId}: a soft delete (see world.delete).
func (s *Sim) deleteUser(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.liveUser(c.param("userId"))
	if u == nil {
		c.fail(http.StatusNotFound, "general.resource.not.found", msgUserNotFound+". ")
		return
	}
	s.w.delete(u, c.now)
	c.json(http.StatusOK, struct{}{})
}

// inviteUser serves POST /api/v2/users/{userId}/invite?force=false: "Send an activation
// email to the user", 204. Counters.Invites counts the invitations sent.
//
// Modelling choice: nobody ever accepts an invitation in the simulator, so once sent it stays
// outstanding; another invitation without force=true is 409 request.conflict (SPEC lists the
// code; what triggers it is unconfirmed). Inviting does not change the user's state.
func (s *Sim) inviteUser(c *call) {
	force, ok := c.boolParam("force", false)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.liveUser(c.param("userId"))
	if u == nil {
		c.notFound()
		return
	}
	if !u.invitedAt.IsZero() && !force {
		c.fail(http.StatusConflict, "request.conflict", "An invitation is already outstanding for this user; use force=true to resend it.")
		return
	}
	u.invitedAt = c.now
	s.counts.Invites[u.id]++
	c.empty(http.StatusNoContent)
}

// setPassword serves POST /api/v2/users/{userId}/password (body ChangePasswordRequest).
// Modelling choice: the password is checked against the policy but never stored, so only the
// passwords of the org file work with the password grant.
func (s *Sim) setPassword(c *call) {
	var b struct {
		NewPassword string `json:"newPassword"`
	}
	if !c.decode(&b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.liveUser(c.param("userId"))
	switch {
	case u == nil:
		c.fail(http.StatusNotFound, "general.resource.not.found", msgUserNotFound)
	case b.NewPassword == "":
		c.fail(http.StatusBadRequest, "password.empty", "The password is empty.")
	case len([]rune(b.NewPassword)) < s.w.minPassword:
		c.fail(http.StatusBadRequest, "password.too.short", "The password is too short.")
	default:
		c.empty(http.StatusNoContent) // the password itself is never stored
	}
}

// searchableUserFields are the user fields EXACT criteria may name.
var searchableUserFields = map[string]func(u *user, f userFields) string{
	"id":         func(u *user, _ userFields) string { return u.id },
	"email":      func(_ *user, f userFields) string { return f.email },
	"username":   func(_ *user, f userFields) string { return f.email },
	"name":       func(_ *user, f userFields) string { return f.name },
	"state":      func(_ *user, f userFields) string { return f.state },
	"divisionId": func(_ *user, f userFields) string { return f.divisionID },
	"title":      func(_ *user, f userFields) string { return f.title },
	"department": func(_ *user, f userFields) string { return f.department },
}

// foldUserFields are matched case-insensitively.
var foldUserFields = map[string]bool{"email": true, "username": true}

// searchUserExpands are the expand values user search honours, as Developer Center's
// "Resource search" page lists them for the users resource. The page does not say what
// becomes of the others; the simulator leaves them out of the results (the search itself
// succeeds), so that a client relying on them reads, for instance, a user without groups.
// Options.SearchExpandAll honours every value instead.
var searchUserExpands = []string{"authorization", "conversationSummary", "geolocation", "outOfOffice", "presence", "routingStatus", "station"}

// searchUsers serves POST /api/v2/users/search (body UserSearchRequest). It sees the search
// index, which lags Options.SearchLag behind the users.
func (s *Sim) searchUsers(c *call) {
	req, p, ok := s.searchBody(c, func(f string) bool { return searchableUserFields[f] != nil })
	if !ok {
		return
	}
	hasState := false
	for _, q := range req.Query {
		if slices.Contains(q.Fields, "state") {
			hasState = true
		}
	}
	exp := expandParam(req.Expand)
	if !s.opts.SearchExpandAll {
		maps.DeleteFunc(exp, func(v string, _ bool) bool { return !slices.Contains(searchUserExpands, v) })
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var results []apiUser
	for _, u := range s.w.users {
		f, visible := u.searchView(c.now, s.opts.SearchLag)
		if !visible {
			continue
		}
		// Modelling choice: without a state criterion only active users match (TF adds an
		// explicit state criterion to find deleted users; inactive ones are hidden too).
		if !hasState && f.state != "active" {
			continue
		}
		if !matchAll(req.Query, func(field string) string { return searchableUserFields[field](u, f) }, foldUserFields) {
			continue
		}
		results = append(results, s.w.renderUser(u, f, exp))
	}
	// Modelling choice: no match is 200 with total 0 and no results (SPEC also lists 404
	// resource.not.found, which real clients do not report seeing).
	c.json(http.StatusOK, searchPageOf(results, p, "users"))
}

// delete soft-deletes a user as the help center's user-management FAQ describes it: the user
// loses its permissions (every role it held itself), a user in another division moves to the
// home division, and "extensions, default stations, and permissions are not reassigned when a
// user is restored", so its extensions and its default station go too. Modelling choice: it
// also leaves every queue (restoring does not bring the memberships back); its group
// memberships, skills, languages and phones are kept (the FAQ says nothing of them).
func (w *world) delete(u *user, now time.Time) {
	u.state = "deleted"
	u.grants = nil
	u.divisionID = w.home.id
	u.addresses = slices.DeleteFunc(u.addresses, func(a apiContact) bool { return a.Extension != "" })
	if st := w.stationByID[u.defaultStationID]; st != nil && st.defaultUserID == u.id {
		st.defaultUserID = ""
	}
	u.defaultStationID = ""
	u.version++
	u.record(now)
	for _, q := range w.queues {
		if q.remove(u.id) {
			q.modified = now
		}
	}
}
