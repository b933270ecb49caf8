package provision

import (
	"context"
	"time"
)

// The interfaces below are what the pipeline needs from Genesys Cloud. Package proxies
// implements them over the official SDK; tests implement them with fakes. Every method is
// safe for concurrent use and returns errors classified by the vocabulary in errors.go.

// Ref is a named object in the org: a role, division, group or site.
type Ref struct {
	ID      string
	Name    string
	Default bool // roles only: the org's default role, which every user holds
}

// PhoneBase is a phone base settings object with what a new WebRTC phone copies from it.
type PhoneBase struct {
	ID              string
	Name            string
	PhoneMetaBaseID string
	LineBaseID      string // the phone base's first line base: the phone's lineBaseSettings
	LineName        string
}

// Found is a user as a search finds it: who it is and in which state, nothing the pipeline
// compares with a row (user search does not promise the rest, see Users.Read).
type Found struct {
	ID    string
	Email string
	State string // active, inactive or deleted
}

// User is a user as the pipeline compares it with a row.
type User struct {
	ID               string
	Name             string
	Email            string
	State            string // active, inactive or deleted
	DivisionID       string
	Version          int
	Title            string
	Department       string
	ManagerID        string
	Locations        []Placement
	Employer         EmployerInfo
	Addresses        []Contact
	GroupIDs         []string           // groups the user is a direct member of
	DefaultStationID string             // "" when the user has no default station
	Skills           map[string]float64 // skill id → proficiency
	Languages        map[string]float64 // language id → proficiency
}

// Placement is a user's placement at a location. A PATCH replaces the whole list, so the
// placements the run does not change go back as they were read, notes and all.
type Placement struct {
	LocationID  string
	Notes       string
	Coordinates map[string]float64
}

// Contact is an entry of a user's addresses: a phone number or an internal extension. A
// PATCH replaces the whole list, so the entries the run does not change go back as read.
type Contact struct {
	MediaType   string // PHONE, EMAIL or SMS
	Type        string // WORK, WORK2, MOBILE, …
	Address     string // the number; "" for an extension
	Extension   string // the internal extension; "" for a number
	CountryCode string // as read; never set by the tool
	Integration string // as read; never set by the tool
}

// EmployerInfo is a user's employer information. A PATCH replaces it whole, so
// OfficialName, which no column sets, goes back as it was read.
type EmployerInfo struct {
	OfficialName string
	EmployeeID   string
	EmployeeType string
	DateHire     string // YYYY-MM-DD
}

// NewUser is the body of a user creation.
type NewUser struct {
	Name       string
	Email      string
	Password   string // sent only when not empty
	DivisionID string
	State      string // active or inactive
	Title      string
	Department string
	Addresses  []Contact
}

// UserPatch holds the fields of a user update; nil fields are left as they are.
type UserPatch struct {
	Name       *string
	Title      *string
	Department *string
	Addresses  []Contact   // the whole list, when not nil
	Manager    *string     // a user id
	Locations  []Placement // the whole list, when not nil
	Employer   *EmployerInfo
}

// Empty reports whether the patch changes nothing.
func (p UserPatch) Empty() bool {
	return p.Name == nil && p.Title == nil && p.Department == nil && p.Addresses == nil &&
		p.Manager == nil && p.Locations == nil && p.Employer == nil
}

// Level is a skill or language with a proficiency from 0 to 5.
type Level struct {
	ID          string
	Name        string // for the report only
	Proficiency float64
}

// Grant is a role granted in a division.
type Grant struct {
	RoleID     string
	DivisionID string
}

// Phone is a WebRTC phone.
type Phone struct {
	ID     string
	Name   string
	UserID string // the phone's webRtcUser
}

// NewPhone is the body of a WebRTC phone creation.
type NewPhone struct {
	Name      string
	Site      Ref
	PhoneBase PhoneBase
	User      Ref
}

// Users is the users API area.
type Users interface {
	// FindByEmails looks up at most MaxEmailsPerLookup emails in one search and returns the
	// users found, whatever their state (active, inactive or deleted), by lower-cased email.
	// Emails are matched case-insensitively. Search lags changes by a moment.
	FindByEmails(ctx context.Context, emails []string) (map[string]Found, error)
	// Read reads at most MaxUsersPerRead users by id, whatever their state, with everything
	// the pipeline compares (groups, skills, languages, locations, employer info, station).
	// Users that do not exist are missing from the map.
	Read(ctx context.Context, ids []string) (map[string]User, error)
	// List lists every user in state (active or inactive) with what Read gives, a page of
	// users a call. Past the listing's 10,000-user cap it fails with ErrPagingCap.
	List(ctx context.Context, state string) ([]User, error)
	// Create creates a user. It is not idempotent: callers look the user up before retrying
	// an ambiguous failure.
	Create(ctx context.Context, in NewUser) (User, error)
	// SetDefaultStation makes the station the user's default.
	SetDefaultStation(ctx context.Context, userID, stationID string) error
	// Update patches the user. version is the user's version as last read (0: read it
	// first); on a version conflict the user is read again and the patch retried.
	Update(ctx context.Context, id string, version int, p UserPatch) error
	// Invite sends the activation email.
	Invite(ctx context.Context, id string) error
	// Restore makes a deleted user active again (a PATCH with the state alone).
	Restore(ctx context.Context, id string) error
	// Deactivate makes a user inactive (a PATCH with the state alone). It never deletes.
	Deactivate(ctx context.Context, id string) error
	// InDivision lists the active users of a division, however many there are.
	InDivision(ctx context.Context, divisionID string) ([]Found, error)
}

// Authorization is the divisions and roles API area.
type Authorization interface {
	HomeDivision(ctx context.Context) (Ref, error)
	ListDivisions(ctx context.Context) ([]Ref, error)
	ListRoles(ctx context.Context) ([]Ref, error)
	// UserGrants lists the grants held by the user itself, not those it holds through a group.
	UserGrants(ctx context.Context, userID string) ([]Grant, error)
	// GrantRole grants one role in one division to many users in a single call.
	GrantRole(ctx context.Context, roleID, divisionID string, userIDs []string) error
	// MoveUsers moves at most MaxDivisionMovesPerCall users into a division. When only some
	// of them could be moved, the error is a *BatchError naming the others.
	MoveUsers(ctx context.Context, divisionID string, userIDs []string) error
	// GrantRoles grants one user several roles, each in its division, in a single call.
	GrantRoles(ctx context.Context, userID string, grants []Grant) error
	// RevokeRoles removes grants the user holds itself, in a single call.
	RevokeRoles(ctx context.Context, userID string, grants []Grant) error
	// RoleGrants lists who holds the role, in which division, as the role's own listing
	// says (GET /api/v2/authorization/roles/{roleId}/subjectgrants): users only, each with
	// the divisions it holds the role in. It serves the export, one listing per role.
	RoleGrants(ctx context.Context, roleID string) ([]SubjectGrant, error)
}

// Groups is the groups API area.
type Groups interface {
	ListGroups(ctx context.Context) ([]Ref, error)
	// AddMembers adds at most MaxGroupMembersPerCall users to a group. It reads the group's
	// version and retries on a version conflict.
	AddMembers(ctx context.Context, groupID string, userIDs []string) error
	// RemoveMembers removes at most MaxGroupMembersPerCall users from a group.
	RemoveMembers(ctx context.Context, groupID string, userIDs []string) error
	// Individuals lists the group's direct members: not its owners, nor the people its
	// rules include.
	Individuals(ctx context.Context, groupID string) ([]Found, error)
}

// MaxGroupMembersPerCall is the API's limit on POST /api/v2/groups/{groupId}/members.
const MaxGroupMembersPerCall = 50

// Telephony is the telephony (sites, phone bases, phones) and stations API area.
type Telephony interface {
	ListSites(ctx context.Context) ([]Ref, error)
	ListPhoneBases(ctx context.Context) ([]PhoneBase, error)
	// FindPhoneByUser returns the user's WebRTC phone, or nil when there is none.
	FindPhoneByUser(ctx context.Context, userID string) (*Phone, error)
	// CreatePhone creates a WebRTC phone. It is not idempotent: callers look the phone up
	// before retrying an ambiguous failure.
	CreatePhone(ctx context.Context, in NewPhone) (Phone, error)
	// FindStationByUser returns the id of the user's WebRTC station, or "" while the station
	// has not appeared yet (stations appear some time after their phone).
	FindStationByUser(ctx context.Context, userID string) (string, error)
}

// Routing is the routing API area: queues, skills and languages.
type Routing interface {
	ListQueues(ctx context.Context) ([]Ref, error)
	// QueueMembers lists the ids of the users who are members of the queue.
	QueueMembers(ctx context.Context, queueID string) ([]string, error)
	// AddQueueMembers adds at most MaxQueueMembersPerCall users to a queue.
	AddQueueMembers(ctx context.Context, queueID string, userIDs []string) error
	ListSkills(ctx context.Context) ([]Ref, error)
	ListLanguages(ctx context.Context) ([]Ref, error)
	// AddSkills and AddLanguages add or update the user's proficiencies, in calls of at
	// most MaxLevelsPerCall.
	AddSkills(ctx context.Context, userID string, levels []Level) error
	AddLanguages(ctx context.Context, userID string, levels []Level) error
	// UserQueues lists the ids of the queues the user is a member of, joined or not.
	UserQueues(ctx context.Context, userID string) ([]string, error)
	// RemoveQueueMembers removes at most MaxQueueMembersPerCall users from a queue.
	RemoveQueueMembers(ctx context.Context, queueID string, userIDs []string) error
	// SetSkills replaces all of the user's skills (at most MaxLevelsPerCall).
	SetSkills(ctx context.Context, userID string, levels []Level) error
	// RemoveLanguage removes one language from the user.
	RemoveLanguage(ctx context.Context, userID, languageID string) error
}

// Locations is the locations API area.
type Locations interface {
	ListLocations(ctx context.Context) ([]Ref, error)
}

// SubjectGrant is one user's grants of one role: the divisions it holds the role in ("*"
// for all divisions).
type SubjectGrant struct {
	UserID      string
	DivisionIDs []string
}

// Per-call limits of the API.
const (
	// MaxEmailsPerLookup bounds the values of one user search criterion (Developer Center,
	// "Search limits": at most 50, else 400 search.criteria.values.exceed.limit).
	MaxEmailsPerLookup = 50
	// MaxUsersPerRead bounds the ids of one GET /api/v2/users ("Only 100 users can be
	// requested at a time").
	MaxUsersPerRead        = 100
	MaxQueueMembersPerCall = 100 // POST /api/v2/routing/queues/{queueId}/members
	MaxLevelsPerCall       = 50  // PATCH /api/v2/users/{userId}/routingskills|routinglanguages/bulk
	// MaxDivisionMovesPerCall bounds POST /api/v2/authorization/divisions/{id}/objects/USER:
	// the API states no number, only too.many.bulk.division.updates; 50 is the size of the
	// other bulk user calls.
	MaxDivisionMovesPerCall = 50
)

// Privileges is what the credentials a run acts with may do, as the org states it. The
// least-privilege preflight reads it before any write.
type Privileges struct {
	// Subject names who acts, for messages: `OAuth client "Nightly HR import" (id)`, or
	// `user ann@example.com` with a grant that acts as a person.
	Subject string
	// Person is true when the token acts as a person (SAML2 bearer or password grant), not
	// as an OAuth client.
	Person bool
	// Name and Description are the OAuth client's, "" when unknown or for a person.
	Name, Description string
	Roles             []string // role names
	// Permissions are the permissions the roles hold: "domain:entity:action", any part "*"
	// for all (from a role's permission policies), and legacy single-word permissions
	// ("admin") as they are.
	Permissions []string
	// TokenLifetime is how long the access tokens live (the OAuth client's setting, or the
	// token's own expires_in); 0 when unknown.
	TokenLifetime time.Duration
}

// Privileged reads the privileges of the credentials the services act with.
type Privileged interface {
	Privileges(ctx context.Context) (Privileges, error)
}

// Services bundles the API areas the pipeline uses.
type Services struct {
	Users         Users
	Authorization Authorization
	Groups        Groups
	Telephony     Telephony
	Routing       Routing
	Locations     Locations
	// Who, when not nil, tells what the credentials may do, for the least-privilege
	// preflight; nil skips it.
	Who Privileged
}
