package gcsim

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// This file holds the in-memory org. Every field of world and of the objects it points to is
// guarded by Sim.mu.

type world struct {
	minPassword int
	groupLag    time.Duration           // see consistency.go
	clients     map[string]*oauthClient // by id
	shortName   string                  // orgName of the SAML2 bearer grant
	samlIssuer  string                  // Issuer of the assertions the SAML2 bearer grant accepts
	created     time.Time               // when the org was seeded: the clients' dateCreated
	home        *division
	defaultRole *role // nil when the org has none

	divisions []*division
	roles     []*role
	groups    []*group
	sites     []*site
	bases     []*phoneBase
	users     []*user
	phones    []*phone
	stations  []*station
	queues    []*queue
	skills    []*named // routing skills
	languages []*named // routing languages
	locations []*named

	divisionByID map[string]*division
	roleByID     map[string]*role
	groupByID    map[string]*group
	siteByID     map[string]*site
	baseByID     map[string]*phoneBase
	userByID     map[string]*user
	userByEmail  map[string]*user // lower-cased email; every state, deleted included
	phoneByID    map[string]*phone
	stationByID  map[string]*station
	queueByID    map[string]*queue
	skillByID    map[string]*named
	languageByID map[string]*named
	locationByID map[string]*named
}

type division struct {
	id, name, description string
}

type role struct {
	id, name, description string
	isDefault             bool
	permissions           []string // see permissions.go
}

// oauthClient is an OAuth client of the org. grantType is never "": an org file's empty
// grant type is GrantClientCredentials.
type oauthClient struct {
	id, name, description, secret, grantType string
	validity                                 time.Duration // token lifetime; 0 means Options.TokenTTL
	roles                                    []grant       // held by its client-credentials tokens
}

type group struct {
	id, name, typ string
	version       int             // the version a member add must carry: every accepted change moves it
	versions      []versionAt     // recent versions, oldest first, for GET (see shownVersion)
	members       []string        // direct members' user ids ("individuals"), in the order they were added
	isMember      map[string]bool // the same ids as a set
	owners        []string        // owners' user ids; an owner need not be a member
	dynamic       []string        // user ids included by the group's rules (from the org file only)
	modified      time.Time
	grants        []grant // held by the group, so by its direct members; only from the org file
}

// add makes the user a member; it is a no-op for a member already.
func (g *group) add(userID string) {
	if !g.isMember[userID] {
		g.isMember[userID] = true
		g.members = append(g.members, userID)
	}
}

// changed moves the group to its next version, as every accepted member call does.
func (g *group) changed(now time.Time) {
	g.version++
	g.versions = append(g.versions, versionAt{version: g.version, at: now})
	g.modified = now
}

// remove ends the user's direct membership; it reports whether there was one.
func (g *group) remove(userID string) bool {
	if !g.isMember[userID] {
		return false
	}
	delete(g.isMember, userID)
	g.members = slices.DeleteFunc(g.members, func(id string) bool { return id == userID })
	return true
}

type site struct {
	id, name string
}

// named is a routing skill, a routing language or a location: objects the simulator knows
// by id and name only.
type named struct {
	id, name string
}

type queue struct {
	id, name, divisionID, description string
	created, modified                 time.Time
	members                           []*queueMember // in the order they were added
}

type queueMember struct {
	userID string
	joined bool
}

// member returns the user's membership, or nil.
func (q *queue) member(userID string) *queueMember {
	for _, m := range q.members {
		if m.userID == userID {
			return m
		}
	}
	return nil
}

// add makes the user a joined member; it reports whether the user was not a member yet.
func (q *queue) add(userID string) bool {
	if q.member(userID) != nil {
		return false
	}
	q.members = append(q.members, &queueMember{userID: userID, joined: true})
	return true
}

// remove ends the user's membership; it reports whether there was one.
func (q *queue) remove(userID string) bool {
	n := len(q.members)
	q.members = slices.DeleteFunc(q.members, func(m *queueMember) bool { return m.userID == userID })
	return len(q.members) != n
}

type phoneBase struct {
	id, name, metaBase string
	lines              []OrgLineBase
}

func (b *phoneBase) webRTC() bool { return b.metaBase == webRTCMetaBase }

// userFields are the parts of a user that PATCH changes and that the search index copies.
type userFields struct {
	name, email, state, divisionID string
	title, department, managerID   string
	addresses                      []apiContact
	locations                      []userLocation
	employer                       *apiEmployerInfo // nil until set
	version                        int
}

// userLocation is a user's placement at a location: id is the location's (the placement's
// own id is derived, see placementID).
type userLocation struct {
	id, notes   string
	coordinates map[string]float64
}

func (f userFields) clone() userFields {
	f.addresses = slices.Clone(f.addresses)
	f.locations = slices.Clone(f.locations)
	if f.employer != nil {
		e := *f.employer
		f.employer = &e
	}
	return f
}

// indexed is what the user search index held about a user from a point in time on.
type indexed struct {
	at time.Time
	f  userFields
}

type user struct {
	id string
	userFields
	history          []indexed // oldest first; see searchView
	grants           []grant
	defaultStationID string
	skills           map[string]float64 // routing skill id → proficiency
	languages        map[string]float64 // routing language id → proficiency
	invitedAt        time.Time          // last invitation sent; zero if none
	authAt           time.Time          // when it was created or restored, for the auth cache lag
	password         string             // from the org file only, for the password grant; "" cannot log in
}

// record appends the user's current fields to the search history at now.
func (u *user) record(now time.Time) {
	u.history = append(u.history, indexed{at: now, f: u.userFields.clone()})
}

// searchView returns the user as the search index sees it at now: the last version recorded
// at least lag ago. ok is false while the user has not reached the index yet.
func (u *user) searchView(now time.Time, lag time.Duration) (f userFields, ok bool) {
	cut := now.Add(-lag)
	i := len(u.history) - 1
	for i >= 0 && u.history[i].at.After(cut) {
		i--
	}
	if i < 0 {
		return userFields{}, false
	}
	if i > 0 { // older versions can never be seen again
		u.history = slices.Delete(u.history, 0, i)
	}
	return u.history[0].f, true
}

type grant struct {
	roleID, divisionID string // divisionID "*" means every division
	at                 time.Time
}

type phone struct {
	id, name, siteID, baseID string
	lineBaseID               string
	userID                   string // webRtcUser; "" for a phone that is not WebRTC
	state                    string
	lines                    []line
	version                  int
	stationID                string
}

type line struct {
	id, name, lineBaseID string
}

type station struct {
	id, name, userID, lineAppearanceID, phoneID string
	visibleAt                                   time.Time // GET /api/v2/stations shows it from then on
	defaultUserID                               string
}

func (st *station) visible(now time.Time) bool { return !now.Before(st.visibleAt) }

// allDivisions is the divisionId that grants a role in every division, present and future.
const allDivisions = "*"

func newWorld(o *Org, now time.Time) *world {
	w := &world{
		minPassword:  o.PasswordPolicy.MinLength,
		clients:      map[string]*oauthClient{},
		shortName:    cmp.Or(o.ShortName, DefaultShortName),
		samlIssuer:   cmp.Or(o.SAMLIssuer, DefaultSAMLIssuer),
		created:      now,
		divisionByID: map[string]*division{},
		roleByID:     map[string]*role{},
		groupByID:    map[string]*group{},
		siteByID:     map[string]*site{},
		baseByID:     map[string]*phoneBase{},
		userByID:     map[string]*user{},
		userByEmail:  map[string]*user{},
		phoneByID:    map[string]*phone{},
		stationByID:  map[string]*station{},
		queueByID:    map[string]*queue{},
		skillByID:    map[string]*named{},
		languageByID: map[string]*named{},
		locationByID: map[string]*named{},
	}
	divByName := map[string]*division{}
	for _, d := range o.Divisions {
		x := &division{id: d.ID, name: d.Name, description: d.Description}
		w.divisions = append(w.divisions, x)
		w.divisionByID[x.id] = x
		divByName[x.name] = x
	}
	w.home = divByName[o.HomeDivision]
	roleByName := map[string]*role{}
	for _, r := range o.Roles {
		x := &role{id: r.ID, name: r.Name, description: r.Description, isDefault: r.Default, permissions: slices.Clone(r.Permissions)}
		w.roles = append(w.roles, x)
		w.roleByID[x.id] = x
		roleByName[x.name] = x
		if x.isDefault {
			w.defaultRole = x
		}
	}
	toGrant := func(og OrgGrant) grant {
		d := allDivisions
		if og.Division != allDivisions {
			d = divByName[og.Division].id
		}
		return grant{roleID: roleByName[og.Role].id, divisionID: d, at: now}
	}
	for _, c := range o.OAuthClients {
		x := &oauthClient{
			id: c.ID, name: cmp.Or(c.Name, c.ID), description: c.Description, secret: c.Secret,
			grantType: cmp.Or(c.GrantType, GrantClientCredentials), validity: time.Duration(c.AccessTokenValiditySeconds) * time.Second,
		}
		for _, og := range c.Roles {
			x.roles = append(x.roles, toGrant(og))
		}
		w.clients[x.id] = x
	}
	groupByName := map[string]*group{}
	for _, g := range o.Groups {
		x := &group{id: g.ID, name: g.Name, typ: g.Type, version: g.Version, modified: now, isMember: map[string]bool{}}
		if x.typ == "" {
			x.typ = "official"
		}
		if x.version < 1 {
			x.version = 1
		}
		x.versions = []versionAt{{version: x.version}}
		for _, og := range g.Grants {
			x.grants = append(x.grants, toGrant(og))
		}
		w.groups = append(w.groups, x)
		w.groupByID[x.id] = x
		groupByName[x.name] = x
	}
	siteByName := map[string]*site{}
	for _, s := range o.Sites {
		x := &site{id: s.ID, name: s.Name}
		w.sites = append(w.sites, x)
		w.siteByID[x.id] = x
		siteByName[x.name] = x
	}
	baseByName := map[string]*phoneBase{}
	for _, b := range o.PhoneBases {
		x := &phoneBase{id: b.ID, name: b.Name, metaBase: b.PhoneMetaBaseID, lines: slices.Clone(b.Lines)}
		w.bases = append(w.bases, x)
		w.baseByID[x.id] = x
		baseByName[x.name] = x
	}
	queueByName := map[string]*queue{}
	for _, q := range o.Queues {
		x := &queue{id: q.ID, name: q.Name, divisionID: divByName[q.Division].id, description: q.Description, created: now, modified: now}
		w.queues = append(w.queues, x)
		w.queueByID[x.id] = x
		queueByName[x.name] = x
	}
	load := func(list []OrgNamed, all *[]*named, byID map[string]*named) map[string]*named {
		byName := map[string]*named{}
		for _, n := range list {
			x := &named{id: n.ID, name: n.Name}
			*all = append(*all, x)
			byID[x.id] = x
			byName[x.name] = x
		}
		return byName
	}
	skillByName := load(o.Skills, &w.skills, w.skillByID)
	languageByName := load(o.Languages, &w.languages, w.languageByID)
	locationByName := load(o.Locations, &w.locations, w.locationByID)
	for _, ou := range o.Users {
		u := &user{id: ou.ID, userFields: userFields{
			name: ou.Name, email: ou.Email, state: ou.State, divisionID: divByName[ou.Division].id,
			title: ou.Title, department: ou.Department, version: 1,
		}, skills: map[string]float64{}, languages: map[string]float64{}, password: ou.Password}
		for _, ln := range ou.Locations {
			u.locations = append(u.locations, userLocation{id: locationByName[ln].id, notes: ou.LocationNotes[ln]})
		}
		for _, a := range ou.Addresses {
			u.addresses = append(u.addresses, apiContact{
				MediaType: a.MediaType, Type: a.Type, Address: a.Address, Extension: a.Extension, CountryCode: a.CountryCode,
			})
		}
		if e := ou.EmployerInfo; e != nil {
			u.employer = &apiEmployerInfo{OfficialName: e.OfficialName, EmployeeID: e.EmployeeID, EmployeeType: e.EmployeeType, DateHire: e.DateHire}
		}
		for n, p := range ou.Skills {
			u.skills[skillByName[n].id] = p
		}
		for n, p := range ou.Languages {
			u.languages[languageByName[n].id] = p
		}
		for _, gn := range ou.Groups {
			groupByName[gn].add(u.id)
		}
		for _, qn := range ou.Queues {
			queueByName[qn].add(u.id)
		}
		for _, qn := range ou.UnjoinedQueues {
			q := queueByName[qn]
			q.add(u.id)
			q.member(u.id).joined = false
		}
		for _, og := range ou.Grants {
			g := toGrant(og)
			u.addGrant(g.roleID, g.divisionID, now)
		}
		w.addUser(u)
		if p := ou.Phone; p != nil {
			b := baseByName[p.PhoneBase]
			ph := &phone{
				id: p.ID, name: p.Name, siteID: siteByName[p.Site].id, baseID: b.id,
				lineBaseID: b.lines[0].ID, userID: u.id, state: "active", version: 1,
				lines:     []line{{id: p.LineID, name: b.lines[0].Name, lineBaseID: b.lines[0].ID}},
				stationID: p.StationID,
			}
			w.phones = append(w.phones, ph)
			w.phoneByID[ph.id] = ph
			st := &station{id: p.StationID, name: p.Name, userID: u.id, lineAppearanceID: p.LineID, phoneID: ph.id}
			w.stations = append(w.stations, st)
			w.stationByID[st.id] = st
			if p.DefaultStation {
				st.defaultUserID = u.id
				u.defaultStationID = st.id
			}
		}
	}
	for i, ou := range o.Users {
		u := w.users[i]
		if ou.Manager != "" {
			u.managerID = w.userByEmail[strings.ToLower(ou.Manager)].id
		}
		// Seed users are in the search index from the start.
		u.history = []indexed{{at: time.Time{}, f: u.userFields.clone()}}
	}
	for _, og := range o.Groups {
		g := groupByName[og.Name]
		for _, e := range og.Owners {
			g.owners = append(g.owners, w.userByEmail[strings.ToLower(e)].id)
		}
		for _, e := range og.DynamicMembers {
			g.dynamic = append(g.dynamic, w.userByEmail[strings.ToLower(e)].id)
		}
	}
	return w
}

// liveUser returns the user with this id unless there is none or it is deleted.
func (w *world) liveUser(id string) *user {
	if u := w.userByID[id]; u != nil && u.state != "deleted" {
		return u
	}
	return nil
}

// activeUser returns the user with this id if it is active, else nil.
func (w *world) activeUser(id string) *user {
	if u := w.userByID[id]; u != nil && u.state == "active" {
		return u
	}
	return nil
}

func (w *world) addUser(u *user) {
	w.users = append(w.users, u)
	w.userByID[u.id] = u
	w.userByEmail[strings.ToLower(u.email)] = u
}

// addGrant adds a grant unless the user already holds it; it reports whether it added one.
func (u *user) addGrant(roleID, divisionID string, now time.Time) bool {
	for _, g := range u.grants {
		if g.roleID == roleID && g.divisionID == divisionID {
			return false
		}
	}
	u.grants = append(u.grants, grant{roleID: roleID, divisionID: divisionID, at: now})
	return true
}

// removeGrant removes one of the user's own grants; it reports whether the user held it.
func (u *user) removeGrant(roleID, divisionID string) bool {
	n := len(u.grants)
	u.grants = slices.DeleteFunc(u.grants, func(g grant) bool { return g.roleID == roleID && g.divisionID == divisionID })
	return len(u.grants) != n
}

// groupsOf returns the groups the user is a direct member of, in org order.
func (w *world) groupsOf(userID string) []*group {
	var out []*group
	for _, g := range w.groups {
		if g.isMember[userID] {
			out = append(out, g)
		}
	}
	return out
}

// queuesOf returns the queues the user is a member of, in org order.
func (w *world) queuesOf(userID string) []*queue {
	var out []*queue
	for _, q := range w.queues {
		if q.member(userID) != nil {
			out = append(out, q)
		}
	}
	return out
}

// divisionName returns a division's name, "All Divisions" for "*", or "" if unknown.
func (w *world) divisionName(id string) string {
	if id == allDivisions {
		return "All Divisions"
	}
	if d := w.divisionByID[id]; d != nil {
		return d.name
	}
	return ""
}
