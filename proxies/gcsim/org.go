package gcsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Org is the seed of a simulated organization, as stored in testdata/org.json. Objects refer
// to each other by name (a user's division, groups and roles), so that the file stays readable;
// ids are fixed in the file so that tests can rely on them. The zero value is not a valid org:
// use DefaultOrg or LoadOrg.
type Org struct {
	Name string `json:"name,omitempty"`
	// ShortName is the org's short name, which a SAML2 bearer grant must give as orgName;
	// "" means DefaultShortName.
	ShortName string `json:"shortName,omitempty"`
	// SAMLIssuer is the Issuer of the identity provider whose assertions the SAML2 bearer
	// grant accepts; "" means DefaultSAMLIssuer.
	SAMLIssuer     string         `json:"samlIssuer,omitempty"`
	PasswordPolicy PasswordPolicy `json:"passwordPolicy"`
	OAuthClients   []OrgClient    `json:"oauthClients"`
	HomeDivision   string         `json:"homeDivision"` // name of one of Divisions
	Divisions      []OrgDivision  `json:"divisions"`
	Roles          []OrgRole      `json:"roles"`
	Groups         []OrgGroup     `json:"groups"`
	Sites          []OrgSite      `json:"sites"`
	PhoneBases     []OrgPhoneBase `json:"phoneBases"`
	Queues         []OrgQueue     `json:"queues,omitempty"`
	Skills         []OrgNamed     `json:"skills,omitempty"`    // routing skills
	Languages      []OrgNamed     `json:"languages,omitempty"` // routing languages
	Locations      []OrgNamed     `json:"locations,omitempty"`
	Users          []OrgUser      `json:"users"`
}

// PasswordPolicy is the part of the org's password policy the simulator enforces.
type PasswordPolicy struct {
	MinLength int `json:"minLength"`
}

// Defaults of the org fields that may be left empty.
const (
	DefaultShortName  = "gcsim"
	DefaultSAMLIssuer = "https://idp.example.com/gcsim"
)

// The grant types of an OAuth client (OAuthClient.authorizedGrantType in swagger.json). The
// simulator serves the client-credentials grant and the SAML2 bearer grant at /oauth/token
// and the password grant at /auth/v3/oauth/token; a CODE or TOKEN client can mint no token.
const (
	GrantClientCredentials = "CLIENT-CREDENTIALS"
	GrantSAML2Bearer       = "SAML2-BEARER"
	GrantPassword          = "PASSWORD"
	GrantCode              = "CODE"
	GrantToken             = "TOKEN"
)

// Token lifetimes an org file may give a client (OAuthClient.accessTokenValiditySeconds:
// "between 5mins and 48hrs"). Go code may set shorter ones, so that a test can watch a
// token expire.
const (
	MinTokenValiditySeconds = 5 * 60
	MaxTokenValiditySeconds = 48 * 60 * 60
)

// OrgClient is an OAuth client. GrantType is the grant it may use (GrantClientCredentials
// when empty). Roles are the roles its client-credentials tokens hold, by name, in a
// division by name (OAuthClient.roleDivisions); swagger.json says they "only apply to
// clients using the client_credential grant", so another client may not have any.
// AccessTokenValiditySeconds is the lifetime of its tokens; 0 means Options.TokenTTL.
type OrgClient struct {
	ID                         string     `json:"id"`
	Secret                     string     `json:"secret"`
	Name                       string     `json:"name,omitempty"` // "" means the id
	Description                string     `json:"description,omitempty"`
	GrantType                  string     `json:"grantType,omitempty"`
	AccessTokenValiditySeconds int        `json:"accessTokenValiditySeconds,omitempty"`
	Roles                      []OrgGrant `json:"roles,omitempty"`
}

// OrgDivision is an authorization division.
type OrgDivision struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// OrgRole is an organization role. Default marks the org's default role, which every user
// created through POST /api/v2/users receives in the home division. Permissions are what
// the role allows: "domain:entity:action", where any part may be "*" (all), or a legacy
// single word such as "admin" (see permissions.go).
type OrgRole struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Default     bool     `json:"default,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// OrgGroup is a group. Version starts at 1 when omitted. Grants are roles the group holds,
// and so every direct member of it (GET /api/v2/authorization/subjects/{userId} lists them
// with the group's id as subjectId).
//
// Owners and DynamicMembers are users' emails. GET /api/v2/groups/{groupId}/members "includes
// individuals, owners, and dynamically included people" (SPEC); GET .../individuals lists the
// direct members only, the users whose Groups name the group. Owners need not be members, and
// dynamic members are included by the group's rules, which the simulator does not evaluate.
type OrgGroup struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Type           string     `json:"type,omitempty"` // official (default) or social
	Version        int        `json:"version,omitempty"`
	Grants         []OrgGrant `json:"grants,omitempty"`
	Owners         []string   `json:"owners,omitempty"`
	DynamicMembers []string   `json:"dynamicMembers,omitempty"`
}

// OrgSite is a telephony site.
type OrgSite struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrgPhoneBase is a phone base settings object. A PhoneMetaBaseID of
// "inin_webrtc_softphone.json" makes it a WebRTC phone base.
type OrgPhoneBase struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	PhoneMetaBaseID string        `json:"phoneMetaBaseId"`
	Lines           []OrgLineBase `json:"lines"`
}

// OrgQueue is an ACD queue in a division (by name). Its members are the users whose Queues
// name it.
type OrgQueue struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Division    string `json:"division"`
	Description string `json:"description,omitempty"`
}

// OrgNamed is an object that has nothing but an id and a name: a routing skill, a routing
// language or a location.
type OrgNamed struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrgLineBase is a line base of a phone base.
type OrgLineBase struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrgUser is a user present before the run. Division, Groups, Queues, UnjoinedQueues,
// Locations, the keys of Skills, Languages and LocationNotes, and the grants' Role and
// Division are names; Manager is the email of another user (names need not be unique). The
// user is a joined member of its Queues and a member, not joined, of its UnjoinedQueues. A
// deleted user holds no grants and is in the home division, as Genesys leaves a deleted user.
// Password, when set, lets the user log in with the password grant (/auth/v3/oauth/token).
type OrgUser struct {
	ID         string             `json:"id"`
	Name       string             `json:"name"`
	Email      string             `json:"email"`
	State      string             `json:"state"` // active, inactive or deleted
	Division   string             `json:"division"`
	Title      string             `json:"title,omitempty"`
	Department string             `json:"department,omitempty"`
	Manager    string             `json:"manager,omitempty"`
	Groups     []string           `json:"groups,omitempty"`
	Queues     []string           `json:"queues,omitempty"`
	Skills     map[string]float64 `json:"skills,omitempty"`    // skill name → proficiency (0 to 5)
	Languages  map[string]float64 `json:"languages,omitempty"` // language name → proficiency (0 to 5)
	Locations  []string           `json:"locations,omitempty"`
	Grants     []OrgGrant         `json:"grants,omitempty"`
	Phone      *OrgPhone          `json:"phone,omitempty"`
	Password   string             `json:"password,omitempty"`

	UnjoinedQueues []string          `json:"unjoinedQueues,omitempty"`
	LocationNotes  map[string]string `json:"locationNotes,omitempty"` // location name → the placement's notes
	Addresses      []OrgAddress      `json:"addresses,omitempty"`
	EmployerInfo   *OrgEmployerInfo  `json:"employerInfo,omitempty"`
}

// OrgAddress is one of a user's addresses (Contact): Address or Extension is set.
type OrgAddress struct {
	MediaType   string `json:"mediaType"`
	Type        string `json:"type"`
	Address     string `json:"address,omitempty"`
	Extension   string `json:"extension,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
}

// OrgEmployerInfo is a user's employer information.
type OrgEmployerInfo struct {
	OfficialName string `json:"officialName,omitempty"`
	EmployeeID   string `json:"employeeId,omitempty"`
	EmployeeType string `json:"employeeType,omitempty"`
	DateHire     string `json:"dateHire,omitempty"`
}

// OrgGrant is a role granted in a division, both by name. Division "*" means all divisions.
type OrgGrant struct {
	Role     string `json:"role"`
	Division string `json:"division"`
}

// OrgPhone is a user's WebRTC phone with its line and station. DefaultStation makes the
// station the user's default station.
type OrgPhone struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Site           string `json:"site"`
	PhoneBase      string `json:"phoneBase"`
	LineID         string `json:"lineId"`
	StationID      string `json:"stationId"`
	DefaultStation bool   `json:"defaultStation,omitempty"`
}

// webRTCMetaBase is the phoneMetaBase id of WebRTC phone bases.
const webRTCMetaBase = "inin_webrtc_softphone.json"

// LoadOrg reads and checks an org file in the format of testdata/org.json. Unknown fields
// are an error, so that a typo does not silently drop part of the seed. Unlike Validate, it
// holds a client's accessTokenValiditySeconds to swagger.json's range (5 minutes to 48
// hours): only Go code may ask for shorter tokens.
func LoadOrg(path string) (*Org, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load org: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var o Org
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("load org %s: %w", path, err)
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("load org %s: %w", path, err)
	}
	for _, c := range o.OAuthClients {
		if v := c.AccessTokenValiditySeconds; v != 0 && (v < MinTokenValiditySeconds || v > MaxTokenValiditySeconds) {
			return nil, fmt.Errorf("load org %s: oauth client %s: accessTokenValiditySeconds %d is not between %d and %d",
				path, c.ID, v, MinTokenValiditySeconds, MaxTokenValiditySeconds)
		}
	}
	return &o, nil
}

// Validate reports the first inconsistency in the org: a missing id or name, a duplicate id,
// name or email, a reference to a name that does not exist, a malformed permission, an
// unknown grant type, or roles on a client that does not use the client-credentials grant.
func (o *Org) Validate() error {
	ids := map[string]string{}
	claim := func(kind, id string) error {
		if id == "" {
			return fmt.Errorf("%s without id", kind)
		}
		if prev, ok := ids[id]; ok {
			return fmt.Errorf("%s id %s already used by a %s", kind, id, prev)
		}
		ids[id] = kind
		return nil
	}
	// unique claims id for a kind and adds name to names: a name is required and unique
	// within its kind.
	unique := func(kind string, names map[string]bool, id, name string) error {
		if err := claim(kind, id); err != nil {
			return err
		}
		if name == "" || names[name] {
			return fmt.Errorf("%s %s: empty or duplicate name %q", kind, id, name)
		}
		names[name] = true
		return nil
	}
	if len(o.OAuthClients) == 0 {
		return errors.New("no oauthClients")
	}
	clients := map[string]bool{}
	for _, c := range o.OAuthClients {
		if c.ID == "" || c.Secret == "" {
			return errors.New("oauth client without id or secret")
		}
		if clients[c.ID] {
			return fmt.Errorf("oauth client %s: duplicate id", c.ID)
		}
		clients[c.ID] = true
		if !slices.Contains(grantTypes, c.GrantType) {
			return fmt.Errorf("oauth client %s: grantType %q is not one of %s", c.ID, c.GrantType, strings.Join(grantTypes[1:], ", "))
		}
		if c.AccessTokenValiditySeconds < 0 {
			return fmt.Errorf("oauth client %s: negative accessTokenValiditySeconds", c.ID)
		}
		// Modelling choice: swagger.json says roles "only apply to clients using the
		// client_credential grant"; the stricter reading refuses them on other clients
		// rather than ignore them.
		if len(c.Roles) > 0 && c.GrantType != "" && c.GrantType != GrantClientCredentials {
			return fmt.Errorf("oauth client %s: roles apply only to %s clients", c.ID, GrantClientCredentials)
		}
	}
	divs := map[string]bool{}
	for _, d := range o.Divisions {
		if err := unique("division", divs, d.ID, d.Name); err != nil {
			return err
		}
	}
	if !divs[o.HomeDivision] {
		return fmt.Errorf("home division %q is not among the divisions", o.HomeDivision)
	}
	roles := map[string]bool{}
	defaults := 0
	for _, r := range o.Roles {
		if err := unique("role", roles, r.ID, r.Name); err != nil {
			return err
		}
		if r.Default {
			defaults++
		}
		for _, p := range r.Permissions {
			if !validPermission(p) {
				return fmt.Errorf("role %s: permission %q is not domain:entity:action or a single word", r.Name, p)
			}
		}
	}
	if defaults > 1 {
		return errors.New("more than one default role")
	}
	knownGrant := func(g OrgGrant) bool { return roles[g.Role] && (g.Division == allDivisions || divs[g.Division]) }
	for _, c := range o.OAuthClients {
		for _, g := range c.Roles {
			if !knownGrant(g) {
				return fmt.Errorf("oauth client %s: unknown role %q or division %q", c.ID, g.Role, g.Division)
			}
		}
	}
	groups := map[string]bool{}
	for _, g := range o.Groups {
		if err := unique("group", groups, g.ID, g.Name); err != nil {
			return err
		}
		if g.Type != "" && g.Type != "official" && g.Type != "social" {
			return fmt.Errorf("group %s: type %q is not official or social", g.Name, g.Type)
		}
		for _, gr := range g.Grants {
			if !knownGrant(gr) {
				return fmt.Errorf("group %s: unknown role %q or division %q", g.Name, gr.Role, gr.Division)
			}
		}
	}
	sites := map[string]bool{}
	for _, s := range o.Sites {
		if err := unique("site", sites, s.ID, s.Name); err != nil {
			return err
		}
	}
	bases := map[string]OrgPhoneBase{}
	for _, b := range o.PhoneBases {
		if err := claim("phone base", b.ID); err != nil {
			return err
		}
		if _, dup := bases[b.Name]; b.Name == "" || dup {
			return fmt.Errorf("phone base %s: empty or duplicate name %q", b.ID, b.Name)
		}
		if b.PhoneMetaBaseID == "" || len(b.Lines) == 0 {
			return fmt.Errorf("phone base %s: needs a phoneMetaBaseId and at least one line", b.Name)
		}
		for _, l := range b.Lines {
			if err := claim("line base", l.ID); err != nil {
				return err
			}
			if l.Name == "" {
				return fmt.Errorf("phone base %s: line base %s without name", b.Name, l.ID)
			}
		}
		bases[b.Name] = b
	}
	queues := map[string]bool{}
	for _, q := range o.Queues {
		if err := unique("queue", queues, q.ID, q.Name); err != nil {
			return err
		}
		if !divs[q.Division] {
			return fmt.Errorf("queue %s: unknown division %q", q.Name, q.Division)
		}
	}
	named := func(kind string, list []OrgNamed) (map[string]bool, error) {
		names := map[string]bool{}
		for _, x := range list {
			if err := unique(kind, names, x.ID, x.Name); err != nil {
				return nil, err
			}
		}
		return names, nil
	}
	skills, err := named("skill", o.Skills)
	if err != nil {
		return err
	}
	languages, err := named("language", o.Languages)
	if err != nil {
		return err
	}
	locations, err := named("location", o.Locations)
	if err != nil {
		return err
	}
	levels := func(email, kind string, known map[string]bool, m map[string]float64) error {
		for name, p := range m {
			if !known[name] {
				return fmt.Errorf("user %s: unknown %s %q", email, kind, name)
			}
			if !(p >= minProficiency && p <= maxProficiency) {
				return fmt.Errorf("user %s: %s %q: proficiency %v is not between 0 and 5", email, kind, name, p)
			}
		}
		return nil
	}
	emails := map[string]bool{}
	for _, u := range o.Users {
		if err := claim("user", u.ID); err != nil {
			return err
		}
		key := strings.ToLower(u.Email)
		if u.Name == "" || u.Email == "" || emails[key] {
			return fmt.Errorf("user %s: empty name, empty or duplicate email %q", u.ID, u.Email)
		}
		emails[key] = true
		switch u.State {
		case "active", "inactive", "deleted":
		default:
			return fmt.Errorf("user %s: state %q is not active, inactive or deleted", u.Email, u.State)
		}
		if !divs[u.Division] {
			return fmt.Errorf("user %s: unknown division %q", u.Email, u.Division)
		}
		for _, g := range u.Groups {
			if !groups[g] {
				return fmt.Errorf("user %s: unknown group %q", u.Email, g)
			}
		}
		for _, q := range append(slices.Clone(u.Queues), u.UnjoinedQueues...) {
			if !queues[q] {
				return fmt.Errorf("user %s: unknown queue %q", u.Email, q)
			}
		}
		if u.Password != "" && len([]rune(u.Password)) < o.PasswordPolicy.MinLength {
			return fmt.Errorf("user %s: password shorter than the password policy's minLength", u.Email)
		}
		if u.State == "deleted" && (len(u.Grants) > 0 || u.Division != o.HomeDivision || u.Phone != nil) {
			return fmt.Errorf("user %s: a deleted user holds no grants, has no phone and is in the home division", u.Email)
		}
		for l := range u.LocationNotes {
			if !slices.Contains(u.Locations, l) {
				return fmt.Errorf("user %s: notes for location %q, which is not among its locations", u.Email, l)
			}
		}
		for _, a := range u.Addresses {
			if !slices.Contains(contactMediaTypes, a.MediaType) || !slices.Contains(contactTypes, a.Type) || (a.Address == "") == (a.Extension == "") {
				return fmt.Errorf("user %s: address %+v: bad media type or type, or not exactly one of address and extension", u.Email, a)
			}
		}
		for _, l := range u.Locations {
			if !locations[l] {
				return fmt.Errorf("user %s: unknown location %q", u.Email, l)
			}
		}
		if err := levels(u.Email, "skill", skills, u.Skills); err != nil {
			return err
		}
		if err := levels(u.Email, "language", languages, u.Languages); err != nil {
			return err
		}
		for _, g := range u.Grants {
			if !knownGrant(g) {
				return fmt.Errorf("user %s: unknown role %q or division %q", u.Email, g.Role, g.Division)
			}
		}
		if p := u.Phone; p != nil {
			if err := claim("phone", p.ID); err != nil {
				return err
			}
			if err := claim("line", p.LineID); err != nil {
				return err
			}
			if err := claim("station", p.StationID); err != nil {
				return err
			}
			b, ok := bases[p.PhoneBase]
			if !sites[p.Site] || !ok || p.Name == "" {
				return fmt.Errorf("user %s: phone %q: unknown site %q or phone base %q", u.Email, p.Name, p.Site, p.PhoneBase)
			}
			if b.PhoneMetaBaseID != webRTCMetaBase {
				return fmt.Errorf("user %s: phone base %q is not a WebRTC phone base", u.Email, p.PhoneBase)
			}
		}
	}
	for _, u := range o.Users {
		if u.Manager != "" && (!emails[strings.ToLower(u.Manager)] || strings.EqualFold(u.Manager, u.Email)) {
			return fmt.Errorf("user %s: manager %q is not another user's email", u.Email, u.Manager)
		}
	}
	for _, g := range o.Groups {
		for _, e := range append(slices.Clone(g.Owners), g.DynamicMembers...) {
			if !emails[strings.ToLower(e)] {
				return fmt.Errorf("group %s: owner or dynamic member %q is not a user's email", g.Name, e)
			}
		}
	}
	if o.PasswordPolicy.MinLength < 0 {
		return errors.New("negative password minLength")
	}
	return nil
}

// grantTypes are the values OrgClient.GrantType may take, "" (client credentials) first.
var grantTypes = []string{"", GrantClientCredentials, GrantSAML2Bearer, GrantPassword, GrantCode, GrantToken}

// DefaultOrg returns a fresh copy of the seed org that testdata/org.json holds (a test keeps
// the two equal). Each call returns a new value that the caller may modify.
func DefaultOrg() *Org {
	return &Org{
		Name:           "gcsim-demo",
		ShortName:      DefaultShortName,
		SAMLIssuer:     DefaultSAMLIssuer,
		PasswordPolicy: PasswordPolicy{MinLength: 8},
		OAuthClients: []OrgClient{
			{
				// Set up as the README's "Setting up the OAuth client" says: exactly the
				// permissions the tool needs, and 1-hour tokens.
				ID: "demo-client", Secret: "demo-secret-not-real", Name: "Demo provisioning client",
				Description: "make demo runs user-provisioning with it", GrantType: GrantClientCredentials,
				Roles: []OrgGrant{{Role: "User Provisioning", Division: "Home"}}, AccessTokenValiditySeconds: 3600,
			},
			{
				ID: "test-client", Secret: "test-secret-not-real", Name: "Test provisioning client",
				Description: "The tests run user-provisioning with it", GrantType: GrantClientCredentials,
				Roles: []OrgGrant{{Role: "User Provisioning", Division: "Home"}},
			},
			{
				ID: "gcsim-admin-client", Secret: "gcsim-admin-secret-not-real", Name: "gcsim admin",
				Description: "Every permission, for test setup beyond what user-provisioning may do", GrantType: GrantClientCredentials,
				Roles: []OrgGrant{{Role: "Master Admin", Division: "Home"}},
			},
			{
				ID: "gcsim-saml-client", Secret: "gcsim-saml-secret-not-real", Name: "gcsim SAML2 bearer",
				Description: "Acts as the person a SAML assertion names", GrantType: GrantSAML2Bearer,
			},
			{
				ID: "gcsim-password-client", Secret: "gcsim-password-secret-not-real", Name: "gcsim password grant",
				Description: "Acts as the person whose email and password it is given", GrantType: GrantPassword,
			},
		},
		HomeDivision: "Home",
		Divisions: []OrgDivision{
			{ID: "1d1a0000-0000-4000-8000-000000000001", Name: "Home", Description: "Home division"},
			{ID: "1d1a0000-0000-4000-8000-000000000002", Name: "Sales", Description: "Sales division"},
			{ID: "1d1a0000-0000-4000-8000-000000000003", Name: "Support", Description: "Support division"},
			{ID: "1d1a0000-0000-4000-8000-000000000004", Name: "EMEA", Description: "Europe, Middle East and Africa"},
		},
		Roles: []OrgRole{
			{
				ID: "20e50000-0000-4000-8000-000000000001", Name: "Communicate - User", Description: "Communicate user",
				Permissions: []string{"directory:user:view", "conversation:communication:*"},
			},
			{
				ID: "20e50000-0000-4000-8000-000000000002", Name: "Employee", Description: "Org default role", Default: true,
				Permissions: []string{"directory:user:view", "authorization:division:view"},
			},
			{
				ID: "20e50000-0000-4000-8000-000000000003", Name: "Agent", Description: "Contact center agent",
				Permissions: []string{"routing:queue:view", "routing:queue:join"},
			},
			{
				// A supervisor may provision the people of the contact center: with a SAML2
				// bearer or password grant, existing.supervisor@example.com can run
				// user-provisioning as a person.
				ID: "20e50000-0000-4000-8000-000000000004", Name: "Supervisor", Description: "Contact center supervisor",
				Permissions: []string{
					"directory:user:*", "authorization:*:view", "authorization:grant:*", "routing:queue:view",
					"routing:queueMember:manage", "routing:skill:assign", "routing:language:assign", "telephony:plugin:all",
				},
			},
			{
				ID: "20e50000-0000-4000-8000-000000000005", Name: "Telephony Admin", Description: "Telephony administrator",
				Permissions: []string{"telephony:*:*"},
			},
			{
				ID: "20e50000-0000-4000-8000-000000000006", Name: "User Provisioning", Description: "What user-provisioning needs",
				Permissions: []string{
					"directory:user:add", "directory:user:view", "directory:user:edit", "directory:user:setPassword",
					"authorization:role:view", "authorization:grant:add", "authorization:grant:delete", "authorization:grant:view",
					"routing:queue:view", "routing:queueMember:manage", "routing:skill:assign",
					"telephony:plugin:all", "oauth:client:view",
				},
			},
			{
				ID: "20e50000-0000-4000-8000-000000000007", Name: "Master Admin", Description: "Every permission",
				Permissions: []string{"*:*:*", "admin"},
			},
		},
		Groups: []OrgGroup{
			{
				ID: "36000000-0000-4000-8000-000000000001", Name: "Annuities", Type: "official", Version: 1,
				Owners: []string{"existing.supervisor@example.com"}, DynamicMembers: []string{"placed.agent@example.com"},
			},
			{ID: "36000000-0000-4000-8000-000000000002", Name: "IRA", Type: "official", Version: 1},
			{
				ID: "36000000-0000-4000-8000-000000000003", Name: "Brokerage", Type: "official", Version: 1,
				Grants: []OrgGrant{{Role: "Agent", Division: "Sales"}},
			},
		},
		Sites: []OrgSite{
			{ID: "5e7e0000-0000-4000-8000-000000000001", Name: "My PCV Site"},
		},
		PhoneBases: []OrgPhoneBase{
			{
				ID: "9b000000-0000-4000-8000-000000000001", Name: "WebRTC_Base", PhoneMetaBaseID: webRTCMetaBase,
				Lines: []OrgLineBase{{ID: "9b000000-0000-4000-8000-000000000011", Name: "WebRTC_Base_1"}},
			},
			{
				ID: "9b000000-0000-4000-8000-000000000002", Name: "Polycom VVX 410", PhoneMetaBaseID: "polycom_vvx410.json",
				Lines: []OrgLineBase{{ID: "9b000000-0000-4000-8000-000000000021", Name: "Polycom VVX 410_1"}},
			},
		},
		Queues: []OrgQueue{
			{ID: "40e00000-0000-4000-8000-000000000001", Name: "Billing", Division: "Home", Description: "Billing questions"},
			{ID: "40e00000-0000-4000-8000-000000000002", Name: "Sales Inbound", Division: "Sales", Description: "Inbound sales calls"},
			{ID: "40e00000-0000-4000-8000-000000000003", Name: "Support Tier 1", Division: "Support", Description: "First-line support"},
			{ID: "40e00000-0000-4000-8000-000000000004", Name: "Support Tier 2", Division: "Support", Description: "Second-line support"},
			{ID: "40e00000-0000-4000-8000-000000000005", Name: "Retention", Division: "EMEA", Description: "Customer retention"},
		},
		Skills: []OrgNamed{
			{ID: "5c000000-0000-4000-8000-000000000001", Name: "Billing"},
			{ID: "5c000000-0000-4000-8000-000000000002", Name: "Spanish Support"},
			{ID: "5c000000-0000-4000-8000-000000000003", Name: "Escalations"},
			{ID: "5c000000-0000-4000-8000-000000000004", Name: "Retention Offers"},
		},
		Languages: []OrgNamed{
			{ID: "1a000000-0000-4000-8000-000000000001", Name: "Spanish"},
			{ID: "1a000000-0000-4000-8000-000000000002", Name: "French"},
			{ID: "1a000000-0000-4000-8000-000000000003", Name: "English"},
			{ID: "1a000000-0000-4000-8000-000000000004", Name: "German"},
		},
		Locations: []OrgNamed{
			{ID: "10ca0000-0000-4000-8000-000000000001", Name: "Indianapolis HQ"},
			{ID: "10ca0000-0000-4000-8000-000000000002", Name: "Dublin Office"},
			{ID: "10ca0000-0000-4000-8000-000000000003", Name: "Remote"},
		},
		Users: []OrgUser{
			{
				ID: "0e000000-0000-4000-8000-000000000001", Name: "Existing Agent", Email: "existing.agent@example.com",
				State: "active", Division: "Home", Title: "Agent", Department: "Annuities",
				Manager: "existing.supervisor@example.com", Password: "agent-password-not-real",
				Groups: []string{"Annuities"}, Queues: []string{"Billing"},
				Grants: []OrgGrant{{Role: "Employee", Division: "Home"}, {Role: "Communicate - User", Division: "Home"}},
				Phone: &OrgPhone{
					ID: "0f000000-0000-4000-8000-000000000001", Name: "Existing_Agent_WEBRTC_PHONE",
					Site: "My PCV Site", PhoneBase: "WebRTC_Base",
					LineID: "0f000000-0000-4000-8000-000000000002", StationID: "57a70000-0000-4000-8000-000000000001",
					DefaultStation: true,
				},
			},
			{
				ID: "0e000000-0000-4000-8000-000000000002", Name: "Existing Supervisor", Email: "existing.supervisor@example.com",
				State: "active", Division: "Support", Title: "Supervisor", Password: "supervisor-password-not-real",
				Grants: []OrgGrant{{Role: "Employee", Division: "Home"}, {Role: "Supervisor", Division: "Support"}},
			},
			{
				ID: "0e000000-0000-4000-8000-000000000003", Name: "Inactive Agent", Email: "inactive.agent@example.com",
				State: "inactive", Division: "Sales",
				Grants: []OrgGrant{{Role: "Employee", Division: "Home"}},
			},
			{
				ID: "0e000000-0000-4000-8000-000000000004", Name: "Deleted User", Email: "deleted.user@example.com",
				State: "deleted", Division: "Home",
			},
			{
				ID: "0e000000-0000-4000-8000-000000000005", Name: "Placed Agent", Email: "placed.agent@example.com",
				State: "active", Division: "Sales", Title: "Agent",
				Queues: []string{"Support Tier 2"}, UnjoinedQueues: []string{"Sales Inbound"},
				Skills: map[string]float64{"Billing": 2}, Languages: map[string]float64{"French": 3},
				Locations: []string{"Indianapolis HQ"}, LocationNotes: map[string]string{"Indianapolis HQ": "Desk 4B"},
				Addresses: []OrgAddress{
					{MediaType: "PHONE", Type: "WORK", Address: "+13175550199", CountryCode: "US"},
					{MediaType: "PHONE", Type: "HOME", Address: "+13175550111", CountryCode: "US"},
				},
				EmployerInfo: &OrgEmployerInfo{OfficialName: "Wayne Enterprises Inc.", EmployeeID: "E-100", EmployeeType: "Full-time", DateHire: "2020-01-06"},
				Grants:       []OrgGrant{{Role: "Employee", Division: "Home"}, {Role: "Agent", Division: "Sales"}},
			},
		},
	}
}
