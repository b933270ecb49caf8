package gcsim

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Counters is a snapshot of what the simulator has seen. Every request is counted when it
// arrives, whatever its answer turns out to be (401, 429, 503, 4xx or a dropped connection).
type Counters struct {
	// Requests counts requests per route, keyed by method and pattern as in
	// "POST /api/v2/users", "GET /api/v2/users/{userId}", "POST /oauth/token" or
	// "POST /auth/v3/oauth/token";
	// unmatched ones as "GET (unmatched)".
	Requests map[string]int `json:"requests"`
	// Writes counts attempts at every non-GET API route but the searches (token requests are
	// no API route).
	Writes       int `json:"writes"`
	Unauthorized int `json:"unauthorized"` // 401 answers
	Forbidden    int `json:"forbidden"`    // 403 answers for a missing permission (permissions.go)
	// WritesBySubject counts the requests to write routes (those Writes counts) that passed
	// authentication, the rate limits, the 503 fault and the permission check, by who the
	// token acts as: "client:<clientId>" or "user:<userId>". A scripted status fault is not
	// counted; a scripted drop is.
	WritesBySubject map[string]int `json:"writesBySubject"`
	TooMany         int            `json:"tooMany"`      // 429 answers, token requests included
	Fail503         int            `json:"fail503"`      // 503 fault answers
	Dropped         int            `json:"dropped"`      // requests committed, then closed unanswered
	TokensIssued    int            `json:"tokensIssued"` // tokens minted; the n-th has index n in the ByToken maps
	// TokenTooMany counts the 429s answered to token requests (also in TooMany): the OAuth
	// endpoint's own limit, Options.TokenMintPerMinute, or a scripted fault.
	TokenTooMany int `json:"tokenTooMany"`
	// RequestsByToken counts the authenticated API requests per token, keyed by the token's
	// index: 1 for the first token issued, 2 for the next, ... (never the token itself).
	RequestsByToken map[int]int `json:"requestsByToken"`
	// TooManyByToken counts the 429s answered to API requests per token, keyed like
	// RequestsByToken, whichever window refused them (also in TooMany).
	TooManyByToken map[int]int `json:"tooManyByToken"`
	// MaxConcurrentTokenRequests is the largest number of token requests in flight at
	// the same time.
	MaxConcurrentTokenRequests int `json:"maxConcurrentTokenRequests"`
	// CreateAttempts counts POST /api/v2/users requests per lower-cased body email.
	CreateAttempts map[string]int `json:"createAttempts"`
	// CreateConflicts counts POST /api/v2/users requests refused because a user with the
	// email already existed, per lower-cased email.
	CreateConflicts map[string]int `json:"createConflicts"`
	// PhoneCreateAttempts counts POST .../edges/phones requests per body webRtcUser.id.
	PhoneCreateAttempts map[string]int `json:"phoneCreateAttempts"`
	// Invites counts the invitations sent (POST /api/v2/users/{userId}/invite answered 204)
	// per user id.
	Invites map[string]int `json:"invites"`
	// LimitRejections counts the 400 answers given because one call carried too many items:
	// more than 50 group members (added or removed), 100 queue members, 50 skills or languages, 50 users to move
	// between divisions, 50 search criterion values, 100 user ids or 100 role ids. Page sizes
	// above their maximum are not counted.
	LimitRejections int `json:"limitRejections"`
	// Lagged counts the answers given because of eventual consistency (consistency.go), by
	// reason: "auth-cache" (404 to a grant or a phone for a user created or restored moments
	// ago), "station-associating" (409 to a default station set moments after the station
	// appeared), "group-version" (409 to a member add carrying the version GET showed while
	// the group's last change was still being applied).
	Lagged map[string]int `json:"lagged"`
}

// Counters returns a snapshot of the counters.
func (s *Sim) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.Requests = maps.Clone(c.Requests)
	c.CreateAttempts = maps.Clone(c.CreateAttempts)
	c.CreateConflicts = maps.Clone(c.CreateConflicts)
	c.PhoneCreateAttempts = maps.Clone(c.PhoneCreateAttempts)
	c.Lagged = maps.Clone(c.Lagged)
	c.Invites = maps.Clone(c.Invites)
	c.RequestsByToken = maps.Clone(c.RequestsByToken)
	c.TooManyByToken = maps.Clone(c.TooManyByToken)
	c.WritesBySubject = maps.Clone(c.WritesBySubject)
	return c
}

// IssuedTokens returns every access token and refresh token issued so far, in the order
// issued, revoked ones included, so that a test can check that none leaked into a log or a
// report.
func (s *Sim) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// State is a snapshot of the simulated org, for assertions. Slices are in creation order.
type State struct {
	Users    []UserState    `json:"users"`
	Groups   []GroupState   `json:"groups"`
	Queues   []QueueState   `json:"queues"`
	Phones   []PhoneState   `json:"phones"`
	Stations []StationState `json:"stations"`
}

// UserState is a user with its memberships, grants, routing levels, profile and default
// station.
type UserState struct {
	ID               string             `json:"id"`
	Name             string             `json:"name"`
	Email            string             `json:"email"`
	State            string             `json:"state"`
	DivisionID       string             `json:"divisionId"`
	Division         string             `json:"division"`
	Title            string             `json:"title,omitempty"`
	Department       string             `json:"department,omitempty"`
	ManagerID        string             `json:"managerId,omitempty"`
	ManagerEmail     string             `json:"managerEmail,omitempty"` // the manager's email
	Version          int                `json:"version"`
	Groups           []string           `json:"groups"`                  // names of the groups the user is a direct member of
	GroupIDs         []string           `json:"groupIds"`                // their ids, in the same order
	Queues           []string           `json:"queues"`                  // names of the queues the user is a member of, in org order
	Skills           map[string]float64 `json:"skills"`                  // routing skill name → proficiency
	Languages        map[string]float64 `json:"languages"`               // routing language name → proficiency
	Locations        []string           `json:"locations"`               // names of the user's locations, in the order set
	LocationNotes    map[string]string  `json:"locationNotes,omitempty"` // location name → the placement's notes, when set
	OfficialName     string             `json:"officialName,omitempty"`
	EmployeeID       string             `json:"employeeId,omitempty"`
	EmployeeType     string             `json:"employeeType,omitempty"`
	DateHire         string             `json:"dateHire,omitempty"`
	Addresses        []AddressState     `json:"addresses"`
	Invited          bool               `json:"invited,omitempty"` // an invitation was sent
	Grants           []GrantState       `json:"grants"`
	DefaultStationID string             `json:"defaultStationId,omitempty"`
}

// AddressState is one of a user's addresses (Contact): Address or Extension is set.
type AddressState struct {
	MediaType   string `json:"mediaType"`
	Type        string `json:"type"`
	Address     string `json:"address,omitempty"`
	Extension   string `json:"extension,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
}

// QueueState is a queue with its members' user ids, in the order they were added.
type QueueState struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	DivisionID string   `json:"divisionId"`
	Division   string   `json:"division"`
	Members    []string `json:"members"`
}

// GrantState is a role granted in a division. DivisionID "*" is every division.
type GrantState struct {
	RoleID     string `json:"roleId"`
	Role       string `json:"role"`
	DivisionID string `json:"divisionId"`
	Division   string `json:"division"`
}

// GroupState is a group with its direct members' user ids, in the order they were added, and
// the grants the group holds (its members hold them through it; UserState.Grants has only a
// user's own grants).
type GroupState struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Version int          `json:"version"`
	Members []string     `json:"members"`
	Owners  []string     `json:"owners,omitempty"`
	Grants  []GrantState `json:"grants"`
}

// PhoneState is a phone, deleted ones included.
type PhoneState struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	State        string `json:"state"`
	SiteID       string `json:"siteId"`
	PhoneBaseID  string `json:"phoneBaseId"`
	WebRtcUserID string `json:"webRtcUserId,omitempty"`
	StationID    string `json:"stationId,omitempty"`
}

// StationState is a station; Visible is false while its delay has not passed.
type StationState struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	WebRtcUserID  string `json:"webRtcUserId"`
	PhoneID       string `json:"phoneId"`
	DefaultUserID string `json:"defaultUserId,omitempty"`
	Visible       bool   `json:"visible"`
}

// State returns a snapshot of the org.
func (s *Sim) State() State {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	out := State{Users: []UserState{}, Groups: []GroupState{}, Queues: []QueueState{}, Phones: []PhoneState{}, Stations: []StationState{}}
	for _, u := range w.users {
		us := UserState{
			ID: u.id, Name: u.name, Email: u.email, State: u.state, DivisionID: u.divisionID,
			Division: w.divisionName(u.divisionID), Title: u.title, Department: u.department,
			ManagerID: u.managerID, Version: u.version, DefaultStationID: u.defaultStationID,
			Groups: []string{}, GroupIDs: []string{}, Grants: []GrantState{},
			Queues: []string{}, Skills: map[string]float64{}, Languages: map[string]float64{},
			Locations: []string{}, Addresses: []AddressState{}, Invited: !u.invitedAt.IsZero(),
		}
		if m := w.userByID[u.managerID]; m != nil {
			us.ManagerEmail = m.email
		}
		for _, q := range w.queuesOf(u.id) {
			us.Queues = append(us.Queues, q.name)
		}
		for id, p := range u.skills {
			us.Skills[w.skillByID[id].name] = p
		}
		for id, p := range u.languages {
			us.Languages[w.languageByID[id].name] = p
		}
		for _, l := range u.locations {
			name := w.locationByID[l.id].name
			us.Locations = append(us.Locations, name)
			if l.notes != "" {
				if us.LocationNotes == nil {
					us.LocationNotes = map[string]string{}
				}
				us.LocationNotes[name] = l.notes
			}
		}
		if e := u.employer; e != nil {
			us.OfficialName, us.EmployeeID, us.EmployeeType, us.DateHire = e.OfficialName, e.EmployeeID, e.EmployeeType, e.DateHire
		}
		for _, a := range u.addresses {
			us.Addresses = append(us.Addresses, AddressState{MediaType: a.MediaType, Type: a.Type, Address: a.Address, Extension: a.Extension, CountryCode: a.CountryCode})
		}
		for _, g := range w.groupsOf(u.id) {
			us.Groups = append(us.Groups, g.name)
			us.GroupIDs = append(us.GroupIDs, g.id)
		}
		us.Grants = w.grantStates(u.grants)
		out.Users = append(out.Users, us)
	}
	for _, g := range w.groups {
		out.Groups = append(out.Groups, GroupState{
			ID: g.id, Name: g.name, Version: g.version, Members: append([]string{}, g.members...),
			Owners: slices.Clone(g.owners), Grants: w.grantStates(g.grants),
		})
	}
	for _, q := range w.queues {
		qs := QueueState{ID: q.id, Name: q.name, DivisionID: q.divisionID, Division: w.divisionName(q.divisionID), Members: []string{}}
		for _, m := range q.members {
			qs.Members = append(qs.Members, m.userID)
		}
		out.Queues = append(out.Queues, qs)
	}
	for _, p := range w.phones {
		out.Phones = append(out.Phones, PhoneState{
			ID: p.id, Name: p.name, State: p.state, SiteID: p.siteID, PhoneBaseID: p.baseID, WebRtcUserID: p.userID, StationID: p.stationID,
		})
	}
	for _, st := range w.stations {
		out.Stations = append(out.Stations, StationState{
			ID: st.id, Name: st.name, WebRtcUserID: st.userID, PhoneID: st.phoneID, DefaultUserID: st.defaultUserID, Visible: st.visible(now),
		})
	}
	return out
}

// grantStates describes grants; never nil.
func (w *world) grantStates(gs []grant) []GrantState {
	out := []GrantState{}
	for _, g := range gs {
		out = append(out, GrantState{
			RoleID: g.roleID, Role: w.roleByID[g.roleID].name, DivisionID: g.divisionID, Division: w.divisionName(g.divisionID),
		})
	}
	return out
}

// User returns the user with this email (case-insensitive), whatever its state.
func (st State) User(email string) (UserState, bool) {
	for _, u := range st.Users {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return UserState{}, false
}

// Group returns the group with this name.
func (st State) Group(name string) (GroupState, bool) {
	for _, g := range st.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return GroupState{}, false
}

// Queue returns the queue with this name.
func (st State) Queue(name string) (QueueState, bool) {
	for _, q := range st.Queues {
		if q.Name == name {
			return q, true
		}
	}
	return QueueState{}, false
}

// PhonesOf returns the phones, not deleted, whose webRtcUser is the user.
func (st State) PhonesOf(userID string) []PhoneState {
	var out []PhoneState
	for _, p := range st.Phones {
		if p.WebRtcUserID == userID && p.State != "deleted" {
			out = append(out, p)
		}
	}
	return out
}
