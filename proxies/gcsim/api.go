package gcsim

import (
	"slices"
	"strings"
	"time"
)

// The wire types below carry the field names of the SDK's swagger.json definitions named in
// their comments, so that the Go SDK decodes them. Only the fields the simulator fills exist.

// apiRef is DomainEntityRef (also Division and the small User references).
type apiRef struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	SelfURI string `json:"selfUri,omitempty"`
}

// apiContact is Contact.
type apiContact struct {
	Address     string `json:"address,omitempty"`
	Display     string `json:"display,omitempty"`
	MediaType   string `json:"mediaType,omitempty"`
	Type        string `json:"type,omitempty"`
	Extension   string `json:"extension,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
	Integration string `json:"integration,omitempty"`
}

// apiUser is User.
type apiUser struct {
	ID                 string                `json:"id"`
	Name               string                `json:"name,omitempty"`
	Division           *apiRef               `json:"division,omitempty"`
	Department         string                `json:"department,omitempty"`
	Email              string                `json:"email,omitempty"`
	PrimaryContactInfo []apiContact          `json:"primaryContactInfo"`
	Addresses          []apiContact          `json:"addresses"`
	State              string                `json:"state"`
	Title              string                `json:"title,omitempty"`
	Username           string                `json:"username,omitempty"`
	Manager            *apiRef               `json:"manager,omitempty"`
	Version            int                   `json:"version"`
	Station            *apiUserStations      `json:"station,omitempty"`
	Authorization      *apiUserAuthorization `json:"authorization,omitempty"`
	Groups             *[]apiGroup           `json:"groups,omitempty"`
	Skills             *[]apiUserSkill       `json:"skills,omitempty"`
	Languages          *[]apiUserLanguage    `json:"languages,omitempty"`
	Locations          *[]apiLocation        `json:"locations,omitempty"`
	EmployerInfo       *apiEmployerInfo      `json:"employerInfo,omitempty"`
	DateWelcomeSent    string                `json:"dateWelcomeSent,omitempty"`
	AcdAutoAnswer      bool                  `json:"acdAutoAnswer"`
	SelfURI            string                `json:"selfUri"`
}

// apiEmployerInfo is EmployerInfo, for both the request and the response.
type apiEmployerInfo struct {
	OfficialName string `json:"officialName,omitempty"`
	EmployeeID   string `json:"employeeId,omitempty"`
	EmployeeType string `json:"employeeType,omitempty"`
	DateHire     string `json:"dateHire,omitempty"`
}

// apiLocation is Location, a user's placement at a location.
type apiLocation struct {
	ID                 string                 `json:"id"`
	Notes              string                 `json:"notes,omitempty"`
	Coordinates        map[string]float64     `json:"coordinates,omitempty"`
	LocationDefinition *apiLocationDefinition `json:"locationDefinition,omitempty"`
}

// apiLocationDefinition is LocationDefinition.
type apiLocationDefinition struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	State           string   `json:"state"`
	Version         int      `json:"version"`
	Path            []string `json:"path"`
	AddressVerified bool     `json:"addressVerified"`
	SelfURI         string   `json:"selfUri"`
}

// apiUserSkill is UserRoutingSkill.
type apiUserSkill struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Proficiency float64 `json:"proficiency"`
	State       string  `json:"state"`
	SkillURI    string  `json:"skillUri"`
	SelfURI     string  `json:"selfUri"`
}

// apiUserLanguage is UserRoutingLanguage.
type apiUserLanguage struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Proficiency float64 `json:"proficiency"`
	State       string  `json:"state"`
	LanguageURI string  `json:"languageUri"`
	SelfURI     string  `json:"selfUri"`
}

// apiRoutingEntity is RoutingSkill and Language.
type apiRoutingEntity struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	DateModified string `json:"dateModified,omitempty"`
	State        string `json:"state"`
	Version      string `json:"version"`
	SelfURI      string `json:"selfUri"`
}

// apiQueue is Queue.
type apiQueue struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	Division          *apiRef `json:"division,omitempty"`
	Description       string  `json:"description,omitempty"`
	DateCreated       string  `json:"dateCreated,omitempty"`
	DateModified      string  `json:"dateModified,omitempty"`
	MemberCount       int     `json:"memberCount"`
	UserMemberCount   int     `json:"userMemberCount"`
	JoinedMemberCount int     `json:"joinedMemberCount"`
	SelfURI           string  `json:"selfUri"`
}

// apiUserQueue is UserQueue: the queue's fields and the user's joined flag.
type apiUserQueue struct {
	apiQueue
	Joined bool `json:"joined"`
}

// apiQueueMember is QueueMember.
type apiQueueMember struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	User       *apiUser `json:"user,omitempty"`
	RingNumber int      `json:"ringNumber"`
	Joined     bool     `json:"joined"`
	MemberBy   string   `json:"memberBy"`
	SelfURI    string   `json:"selfUri"`
}

// apiUserStations is UserStations.
type apiUserStations struct {
	AssociatedStation     *apiUserStation `json:"associatedStation,omitempty"`
	EffectiveStation      *apiUserStation `json:"effectiveStation,omitempty"`
	DefaultStation        *apiUserStation `json:"defaultStation,omitempty"`
	LastAssociatedStation *apiUserStation `json:"lastAssociatedStation,omitempty"`
}

// apiUserStation is UserStation.
type apiUserStation struct {
	ID                    string  `json:"id"`
	Name                  string  `json:"name,omitempty"`
	Type                  string  `json:"type,omitempty"`
	DefaultUser           *apiRef `json:"defaultUser,omitempty"`
	WebRtcCallAppearances int     `json:"webRtcCallAppearances,omitempty"`
}

// apiUserAuthorization is UserAuthorization. Its roles are DomainRole: id and name.
type apiUserAuthorization struct {
	Roles              []apiRef              `json:"roles"`
	UnusedRoles        []apiRef              `json:"unusedRoles"`
	Permissions        []string              `json:"permissions"`
	PermissionPolicies []apiPermissionPolicy `json:"permissionPolicies"`
}

// apiGroup is Group.
type apiGroup struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	DateModified string `json:"dateModified,omitempty"`
	MemberCount  int    `json:"memberCount"`
	State        string `json:"state"`
	Version      int    `json:"version"`
	Type         string `json:"type"`
	RulesVisible bool   `json:"rulesVisible"`
	Visibility   string `json:"visibility"`
	SelfURI      string `json:"selfUri"`
}

// apiDivision is AuthzDivision.
type apiDivision struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	HomeDivision bool   `json:"homeDivision"`
	SelfURI      string `json:"selfUri,omitempty"`
}

// apiRole is DomainOrganizationRole. Permissions holds the role's legacy single-word
// permissions, PermissionPolicies the others.
type apiRole struct {
	ID                 string                `json:"id"`
	Name               string                `json:"name"`
	Description        string                `json:"description,omitempty"`
	Permissions        []string              `json:"permissions"`
	PermissionPolicies []apiPermissionPolicy `json:"permissionPolicies"`
	UserCount          int                   `json:"userCount"`
	Base               bool                  `json:"base"`
	Default            bool                  `json:"default"`
	SelfURI            string                `json:"selfUri"`
}

// apiOAuthClient is OAuthClient.
type apiOAuthClient struct {
	ID                         string             `json:"id"`
	Name                       string             `json:"name"`
	Description                string             `json:"description,omitempty"`
	AccessTokenValiditySeconds int                `json:"accessTokenValiditySeconds,omitempty"`
	Secret                     string             `json:"secret"`
	AuthorizedGrantType        string             `json:"authorizedGrantType"`
	RoleDivisions              []roleDivisionPair `json:"roleDivisions"`
	State                      string             `json:"state"`
	DateCreated                string             `json:"dateCreated"`
	SelfURI                    string             `json:"selfUri"`
}

// apiSubjectDivisionGrants is SubjectDivisionGrants: a subject holding a role, and the
// divisions it holds it in.
type apiSubjectDivisionGrants struct {
	ID        string          `json:"id"`
	Name      string          `json:"name,omitempty"`
	Divisions []apiDivisionID `json:"divisions"`
	Type      string          `json:"type"`
	SelfURI   string          `json:"selfUri"`
}

// apiDivisionID is Division: a division's id, name and selfUri, and nothing else (unlike
// AuthzDivision). The every-division grant ("*") has no selfUri.
type apiDivisionID struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SelfURI string `json:"selfUri,omitempty"`
}

// apiAuthzSubject is AuthzSubject.
type apiAuthzSubject struct {
	ID      string     `json:"id"`
	Name    string     `json:"name,omitempty"`
	Grants  []apiGrant `json:"grants"`
	Version int        `json:"version"`
	SelfURI string     `json:"selfUri"`
}

// apiGrant is AuthzGrant.
type apiGrant struct {
	SubjectID   string       `json:"subjectId"`
	Division    apiDivision  `json:"division"`
	Role        apiGrantRole `json:"role"`
	GrantMadeAt string       `json:"grantMadeAt,omitempty"`
}

// apiGrantRole is AuthzGrantRole.
type apiGrantRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Default     bool   `json:"default"`
}

// apiSite is Site.
type apiSite struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	State      string  `json:"state"`
	Version    int     `json:"version"`
	Location   *apiRef `json:"location,omitempty"`
	MediaModel string  `json:"mediaModel"`
	Managed    bool    `json:"managed"`
	SelfURI    string  `json:"selfUri"`
}

// apiPhoneBase is PhoneBase.
type apiPhoneBase struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	State         string        `json:"state"`
	Version       int           `json:"version"`
	PhoneMetaBase apiRef        `json:"phoneMetaBase"`
	Lines         []apiLineBase `json:"lines"`
	SelfURI       string        `json:"selfUri"`
}

// apiLineBase is LineBase.
type apiLineBase struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	State   string `json:"state"`
	Version int    `json:"version"`
	SelfURI string `json:"selfUri"`
}

// apiPhone is Phone, for both the request and the response.
type apiPhone struct {
	ID                string          `json:"id,omitempty"`
	Name              string          `json:"name,omitempty"`
	State             string          `json:"state,omitempty"`
	Version           int             `json:"version,omitempty"`
	Site              *apiRef         `json:"site,omitempty"`
	PhoneBaseSettings *apiRef         `json:"phoneBaseSettings,omitempty"`
	LineBaseSettings  *apiRef         `json:"lineBaseSettings,omitempty"`
	PhoneMetaBase     *apiRef         `json:"phoneMetaBase,omitempty"`
	Lines             []apiLine       `json:"lines,omitempty"`
	Capabilities      *apiCapabilites `json:"capabilities,omitempty"`
	WebRtcUser        *apiRef         `json:"webRtcUser,omitempty"`
	SelfURI           string          `json:"selfUri,omitempty"`
}

// apiCapabilites is PhoneCapabilities; the simulator answers with fixed WebRTC values.
type apiCapabilites struct {
	Provisions     bool     `json:"provisions"`
	Registers      bool     `json:"registers"`
	DualRegisters  bool     `json:"dualRegisters"`
	HardwareIDType string   `json:"hardwareIdType,omitempty"`
	AllowReboot    bool     `json:"allowReboot"`
	MediaCodecs    []string `json:"mediaCodecs,omitempty"`
}

// apiLine is Line.
type apiLine struct {
	ID               string  `json:"id,omitempty"`
	Name             string  `json:"name,omitempty"`
	State            string  `json:"state,omitempty"`
	Version          int     `json:"version,omitempty"`
	LineBaseSettings *apiRef `json:"lineBaseSettings,omitempty"`
	Site             *apiRef `json:"site,omitempty"`
	SelfURI          string  `json:"selfUri,omitempty"`
}

// apiStation is Station.
type apiStation struct {
	ID                    string `json:"id"`
	Name                  string `json:"name"`
	Status                string `json:"status"`
	UserID                string `json:"userId,omitempty"`
	WebRtcUserID          string `json:"webRtcUserId,omitempty"`
	Type                  string `json:"type"`
	LineAppearanceID      string `json:"lineAppearanceId,omitempty"`
	WebRtcCallAppearances int    `json:"webRtcCallAppearances,omitempty"`
	SelfURI               string `json:"selfUri"`
}

// listing is every *EntityListing: UserEntityListing, GroupEntityListing, and so on.
type listing[T any] struct {
	Entities    []T    `json:"entities"`
	PageSize    int    `json:"pageSize"`
	PageNumber  int    `json:"pageNumber"`
	Total       int    `json:"total"`
	FirstURI    string `json:"firstUri"`
	SelfURI     string `json:"selfUri"`
	NextURI     string `json:"nextUri,omitempty"`
	PreviousURI string `json:"previousUri,omitempty"`
	LastURI     string `json:"lastUri"`
	PageCount   int    `json:"pageCount"`
}

// memberListing is QueueMemberEntityListing: unlike the other listings it has no total,
// pageCount or lastUri.
type memberListing[T any] struct {
	Entities    []T    `json:"entities"`
	PageNumber  int    `json:"pageNumber"`
	PageSize    int    `json:"pageSize"`
	FirstURI    string `json:"firstUri"`
	SelfURI     string `json:"selfUri"`
	PreviousURI string `json:"previousUri,omitempty"`
	NextURI     string `json:"nextUri,omitempty"`
}

// searchResponse is UsersSearchResponse, GroupsSearchResponse and LocationsSearchResponse.
type searchResponse[T any] struct {
	Total      int      `json:"total"`
	PageCount  int      `json:"pageCount"`
	PageSize   int      `json:"pageSize"`
	PageNumber int      `json:"pageNumber"`
	Types      []string `json:"types"`
	Results    []T      `json:"results"` // required by SPEC, [] when empty
}

// searchCriteria is UserSearchCriteria and GroupSearchCriteria.
type searchCriteria struct {
	Type     string           `json:"type"`
	Fields   []string         `json:"fields"`
	Value    string           `json:"value"`
	Values   []string         `json:"values"`
	Operator string           `json:"operator"`
	Group    []searchCriteria `json:"group"`
}

// searchRequest is UserSearchRequest and GroupSearchRequest.
type searchRequest struct {
	PageSize   int              `json:"pageSize"`
	PageNumber int              `json:"pageNumber"`
	Expand     []string         `json:"expand"`
	Query      []searchCriteria `json:"query"`
}

const stationTypeWebRTC = "inin_webrtc_softphone"

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func userURI(id string) string     { return "/api/v2/users/" + id }
func divisionURI(id string) string { return "/api/v2/authorization/divisions/" + id }
func groupURI(id string) string    { return "/api/v2/groups/" + id }
func siteURI(id string) string     { return "/api/v2/telephony/providers/edges/sites/" + id }
func baseURI(id string) string     { return "/api/v2/telephony/providers/edges/phonebasesettings/" + id }
func phoneURI(id string) string    { return "/api/v2/telephony/providers/edges/phones/" + id }
func stationURI(id string) string  { return "/api/v2/stations/" + id }
func queueURI(id string) string    { return "/api/v2/routing/queues/" + id }
func skillURI(id string) string    { return "/api/v2/routing/skills/" + id }
func languageURI(id string) string { return "/api/v2/routing/languages/" + id }
func locationURI(id string) string { return "/api/v2/locations/" + id }

// expansions is the set of expand values a request asked for.
type expansions map[string]bool

// renderUser builds the User answer for fields f of user u, with the expansions asked for.
// Expanded locations and employerInfo come from f (PATCH sets them); the other expanded parts
// (groups, skills, station, ...) always reflect the current state.
//
// Modelling choice: manager ({id, selfUri}) and addresses come without expand (TF reads
// manager.id and addresses from a GET without a matching expand); locations, employerInfo,
// skills, languages and dateWelcomeSent only with the expand of the same name (inferred from
// SPEC's expand enum).
func (w *world) renderUser(u *user, f userFields, exp expansions) apiUser {
	out := apiUser{
		ID: u.id, Name: f.name, Department: f.department, Email: f.email, Username: f.email,
		State: f.state, Title: f.title, Version: f.version, SelfURI: userURI(u.id),
		Addresses:          renderContacts(f.addresses),
		PrimaryContactInfo: []apiContact{{Address: f.email, Display: f.email, MediaType: "EMAIL", Type: "PRIMARY"}},
	}
	if d := w.divisionByID[f.divisionID]; d != nil {
		out.Division = &apiRef{ID: d.id, Name: d.name, SelfURI: divisionURI(d.id)}
	}
	if f.managerID != "" {
		out.Manager = &apiRef{ID: f.managerID, SelfURI: userURI(f.managerID)}
	}
	if exp["groups"] {
		gs := []apiGroup{}
		for _, g := range w.groupsOf(u.id) {
			gs = append(gs, w.renderGroup(g, time.Now()))
		}
		out.Groups = &gs
	}
	if exp["station"] {
		out.Station = w.renderUserStations(u)
	}
	if exp["skills"] {
		sk := w.userSkills(u)
		out.Skills = &sk
	}
	if exp["languages"] {
		ls := w.userLanguages(u)
		out.Languages = &ls
	}
	if exp["locations"] {
		locs := []apiLocation{}
		for _, l := range f.locations {
			// The placement has an id of its own; the location is locationDefinition.
			loc := apiLocation{ID: placementID(u.id, l.id), Notes: l.notes, Coordinates: l.coordinates}
			if d := w.locationByID[l.id]; d != nil {
				def := renderLocation(d)
				loc.LocationDefinition = &def
			}
			locs = append(locs, loc)
		}
		out.Locations = &locs
	}
	if exp["employerInfo"] && f.employer != nil {
		e := *f.employer
		out.EmployerInfo = &e
	}
	if exp["dateWelcomeSent"] && !u.invitedAt.IsZero() {
		out.DateWelcomeSent = isoTime(u.invitedAt)
	}
	if exp["authorization"] {
		out.Authorization = w.userAuthorization(u)
	}
	return out
}

// renderUserStations builds UserStations. Nobody is ever logged in to a station in the
// simulator, so the effective station is the default one.
func (w *world) renderUserStations(u *user) *apiUserStations {
	out := &apiUserStations{}
	if st := w.stationByID[u.defaultStationID]; st != nil {
		us := &apiUserStation{
			ID: st.id, Name: st.name, Type: stationTypeWebRTC, WebRtcCallAppearances: 100,
			DefaultUser: &apiRef{ID: u.id, Name: u.name, SelfURI: userURI(u.id)},
		}
		out.DefaultStation = us
		eff := *us
		out.EffectiveStation = &eff
	}
	return out
}

// renderContacts returns the stored addresses with their read-only display: the address, or
// the extension.
func renderContacts(cs []apiContact) []apiContact {
	out := make([]apiContact, 0, len(cs))
	for _, c := range cs {
		c.Display = c.Address
		if c.Display == "" {
			c.Display = c.Extension
		}
		out = append(out, c)
	}
	return out
}

// userSkills returns the user's routing skills, by name.
func (w *world) userSkills(u *user) []apiUserSkill {
	out := []apiUserSkill{}
	for _, sk := range sortedLevels(u.skills, w.skillByID) {
		out = append(out, apiUserSkill{
			ID: sk.id, Name: sk.name, Proficiency: u.skills[sk.id], State: "active",
			SkillURI: skillURI(sk.id), SelfURI: userURI(u.id) + "/routingskills/" + sk.id,
		})
	}
	return out
}

// userLanguages returns the user's routing languages, by name.
func (w *world) userLanguages(u *user) []apiUserLanguage {
	out := []apiUserLanguage{}
	for _, l := range sortedLevels(u.languages, w.languageByID) {
		out = append(out, apiUserLanguage{
			ID: l.id, Name: l.name, Proficiency: u.languages[l.id], State: "active",
			LanguageURI: languageURI(l.id), SelfURI: userURI(u.id) + "/routinglanguages/" + l.id,
		})
	}
	return out
}

// sortedLevels returns the skills or languages of a proficiency map, sorted by name.
func sortedLevels(levels map[string]float64, byID map[string]*named) []*named {
	out := make([]*named, 0, len(levels))
	for id := range levels {
		out = append(out, byID[id])
	}
	slices.SortFunc(out, func(a, b *named) int { return strings.Compare(a.name, b.name) })
	return out
}

func renderLocation(l *named) apiLocationDefinition {
	return apiLocationDefinition{ID: l.id, Name: l.name, State: "active", Version: 1, Path: []string{}, SelfURI: locationURI(l.id)}
}

func (w *world) renderQueue(q *queue) apiQueue {
	out := apiQueue{
		ID: q.id, Name: q.name, Description: q.description, DateCreated: isoTime(q.created), DateModified: isoTime(q.modified),
		SelfURI: queueURI(q.id),
	}
	if d := w.divisionByID[q.divisionID]; d != nil {
		out.Division = &apiRef{ID: d.id, Name: d.name, SelfURI: divisionURI(d.id)}
	}
	for _, m := range q.members {
		out.MemberCount++
		out.UserMemberCount++
		if m.joined {
			out.JoinedMemberCount++
		}
	}
	return out
}

// renderGroup builds the Group as read at now: its version lags its last member change by
// the group lag (consistency.go).
func (w *world) renderGroup(g *group, now time.Time) apiGroup {
	return apiGroup{
		ID: g.id, Name: g.name, DateModified: isoTime(g.modified), MemberCount: len(g.members),
		State: "active", Version: g.shownVersion(now, w.groupLag), Type: g.typ, RulesVisible: true, Visibility: "public",
		SelfURI: groupURI(g.id),
	}
}

func (w *world) renderDivision(d *division) apiDivision {
	return apiDivision{ID: d.id, Name: d.name, Description: d.description, HomeDivision: d == w.home, SelfURI: divisionURI(d.id)}
}

func (w *world) renderStation(st *station) apiStation {
	return apiStation{
		ID: st.id, Name: st.name, Status: "AVAILABLE", WebRtcUserID: st.userID, Type: stationTypeWebRTC,
		LineAppearanceID: st.lineAppearanceID, WebRtcCallAppearances: 100, SelfURI: stationURI(st.id),
	}
}

// renderPhone builds a Phone; webRtcUser is included only when withUser is set.
func (w *world) renderPhone(p *phone, withUser bool) apiPhone {
	out := apiPhone{ID: p.id, Name: p.name, State: p.state, Version: p.version, SelfURI: phoneURI(p.id)}
	s := w.siteByID[p.siteID]
	siteRef := &apiRef{ID: s.id, Name: s.name, SelfURI: siteURI(s.id)}
	out.Site = siteRef
	b := w.baseByID[p.baseID]
	out.PhoneBaseSettings = &apiRef{ID: b.id, Name: b.name, SelfURI: baseURI(b.id)}
	out.PhoneMetaBase = &apiRef{ID: b.metaBase}
	for _, lb := range b.lines {
		if lb.ID == p.lineBaseID {
			out.LineBaseSettings = &apiRef{ID: lb.ID, Name: lb.Name}
		}
	}
	for _, l := range p.lines {
		out.Lines = append(out.Lines, apiLine{
			ID: l.id, Name: l.name, State: "active", Version: 1, Site: siteRef,
			LineBaseSettings: &apiRef{ID: l.lineBaseID}, SelfURI: "/api/v2/telephony/providers/edges/lines/" + l.id,
		})
	}
	if b.webRTC() {
		out.Capabilities = &apiCapabilites{HardwareIDType: "mac", MediaCodecs: []string{"audio/opus"}}
	}
	if withUser && p.userID != "" {
		ref := &apiRef{ID: p.userID, SelfURI: userURI(p.userID)}
		if u := w.userByID[p.userID]; u != nil {
			ref.Name = u.name
		}
		out.WebRtcUser = ref
	}
	return out
}

func renderPhoneBase(b *phoneBase) apiPhoneBase {
	out := apiPhoneBase{ID: b.id, Name: b.name, State: "active", Version: 1, PhoneMetaBase: apiRef{ID: b.metaBase}, SelfURI: baseURI(b.id)}
	for _, l := range b.lines {
		out.Lines = append(out.Lines, apiLineBase{ID: l.ID, Name: l.Name, State: "active", Version: 1, SelfURI: baseURI(b.id) + "/lines/" + l.ID})
	}
	return out
}
