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
	// "POST /api/v2/users", "GET /api/v2/users/{userId}" or "POST /oauth/token";
	// unmatched ones as "GET (unmatched)".
	Requests map[string]int `json:"requests"`
	// Writes counts attempts at every non-GET API route but the searches and /oauth/token.
	Writes       int `json:"writes"`
	Unauthorized int `json:"unauthorized"` // 401 answers
	TooMany      int `json:"tooMany"`      // 429 answers, /oauth/token included
	Fail503      int `json:"fail503"`      // 503 fault answers
	Dropped      int `json:"dropped"`      // requests committed, then closed unanswered
	TokensIssued int `json:"tokensIssued"`
	// MaxConcurrentTokenRequests is the largest number of /oauth/token requests in flight at
	// the same time.
	MaxConcurrentTokenRequests int `json:"maxConcurrentTokenRequests"`
	// CreateAttempts counts POST /api/v2/users requests per lower-cased body email.
	CreateAttempts map[string]int `json:"createAttempts"`
	// CreateConflicts counts POST /api/v2/users requests refused because a user with the
	// email already existed, per lower-cased email.
	CreateConflicts map[string]int `json:"createConflicts"`
	// PhoneCreateAttempts counts POST .../edges/phones requests per body webRtcUser.id.
	PhoneCreateAttempts map[string]int `json:"phoneCreateAttempts"`
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
	return c
}

// IssuedTokens returns every access token issued so far, revoked ones included, so that a
// test can check that none leaked into a log or a report.
func (s *Sim) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// State is a snapshot of the simulated org, for assertions. Slices are in creation order.
type State struct {
	Users    []UserState    `json:"users"`
	Groups   []GroupState   `json:"groups"`
	Phones   []PhoneState   `json:"phones"`
	Stations []StationState `json:"stations"`
}

// UserState is a user with its memberships, grants and default station.
type UserState struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	Email            string       `json:"email"`
	State            string       `json:"state"`
	DivisionID       string       `json:"divisionId"`
	Division         string       `json:"division"`
	Title            string       `json:"title,omitempty"`
	Department       string       `json:"department,omitempty"`
	ManagerID        string       `json:"managerId,omitempty"`
	Version          int          `json:"version"`
	Groups           []string     `json:"groups"`   // names of the groups the user is a direct member of
	GroupIDs         []string     `json:"groupIds"` // their ids, in the same order
	Grants           []GrantState `json:"grants"`
	DefaultStationID string       `json:"defaultStationId,omitempty"`
}

// GrantState is a role granted in a division. DivisionID "*" is every division.
type GrantState struct {
	RoleID     string `json:"roleId"`
	Role       string `json:"role"`
	DivisionID string `json:"divisionId"`
	Division   string `json:"division"`
}

// GroupState is a group with its members' user ids.
type GroupState struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Version int      `json:"version"`
	Members []string `json:"members"`
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
	out := State{Users: []UserState{}, Groups: []GroupState{}, Phones: []PhoneState{}, Stations: []StationState{}}
	for _, u := range w.users {
		us := UserState{
			ID: u.id, Name: u.name, Email: u.email, State: u.state, DivisionID: u.divisionID,
			Division: w.divisionName(u.divisionID), Title: u.title, Department: u.department,
			ManagerID: u.managerID, Version: u.version, DefaultStationID: u.defaultStationID,
			Groups: []string{}, GroupIDs: []string{}, Grants: []GrantState{},
		}
		for _, g := range w.groupsOf(u.id) {
			us.Groups = append(us.Groups, g.name)
			us.GroupIDs = append(us.GroupIDs, g.id)
		}
		for _, g := range u.grants {
			us.Grants = append(us.Grants, GrantState{
				RoleID: g.roleID, Role: w.roleByID[g.roleID].name, DivisionID: g.divisionID, Division: w.divisionName(g.divisionID),
			})
		}
		out.Users = append(out.Users, us)
	}
	for _, g := range w.groups {
		out.Groups = append(out.Groups, GroupState{ID: g.id, Name: g.name, Version: g.version, Members: append([]string{}, g.members...)})
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
