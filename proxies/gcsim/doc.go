// Package gcsim simulates the part of a Genesys Cloud organization that the provisioning tool
// talks to, over real HTTP, the way net/http/httptest simulates a server: tests call
// NewServer(t, Options{...}) and point the SDK's BasePath at Server.URL; cmd/gcsim serves the
// same simulator standalone for demos and benchmarks.
//
// Its behaviour follows /work/shared/reference/genesys-api.md and the SDK's swagger.json, not
// convenience: 200 (not 201) on creation, 202 on group members and default stations, 204 on
// bulk grants, ErrorBody error answers with a contextId equal to the ININ-Correlation-Id
// header, 429 with Retry-After, eventual consistency of user search and of WebRTC stations,
// the per-call size limits (50 group members added or removed, 100 queue members, 50 skills
// or languages, ...; each refusal counts in Counters.LimitRejections), and listings shaped
// like SPEC's (queue members have no total). Where the real behaviour is unconfirmed, the code says "Modelling
// choice" next to what it does; where the documentation is silent, it takes the stricter reading.
//
// Its defaults are the documented behaviour; an option may loosen one (Options):
//   - user search honours only the expand values Developer Center lists for it, takes at most
//     50 values in a criterion, pages of at most 100 and no paging past 10,000 results;
//   - GET /api/v2/groups/{groupId}/members includes owners and dynamically included people,
//     .../individuals the direct members only;
//   - a user's location reads with its own placement id and the location as
//     locationDefinition; PATCH replaces locations, employerInfo and addresses whole;
//   - GET /api/v2/users/{userId}/queues lists joined queues unless joined=false;
//   - eventual consistency (consistency.go): 404 to grants and phones for a user created or
//     restored moments ago, 409 to a default station being associated, group versions that
//     lag their 202;
//   - a deleted user loses its roles, its extensions and its default station and moves to the
//     home division, and a restore brings none of them back.
//
// # Routes
//
// POST /oauth/token (client credentials and SAML2 bearer, Basic auth), POST
// /auth/v3/oauth/token (password and refresh token, Basic auth; see oauth.go) and, with a
// bearer token:
//
//	POST   /api/v2/users                       GET /api/v2/users            POST /api/v2/users/search
//	GET    /api/v2/users/me                    GET /api/v2/users/{userId}
//	PATCH  /api/v2/users/{userId}              DELETE /api/v2/users/{userId}
//	POST   /api/v2/users/{userId}/password     GET /api/v2/users/{userId}/station
//	PUT    /api/v2/users/{userId}/station/defaultstation/{stationId}
//	DELETE /api/v2/users/{userId}/station/defaultstation
//	POST   /api/v2/users/{userId}/invite       GET /api/v2/users/{userId}/queues
//	GET    /api/v2/users/{userId}/routingskills
//	PATCH  /api/v2/users/{userId}/routingskills/bulk  PUT /api/v2/users/{userId}/routingskills/bulk
//	DELETE /api/v2/users/{userId}/routingskills/{skillId}
//	GET    /api/v2/users/{userId}/routinglanguages
//	PATCH  /api/v2/users/{userId}/routinglanguages/bulk
//	DELETE /api/v2/users/{userId}/routinglanguages/{languageId}
//	GET    /api/v2/authorization/divisions     GET /api/v2/authorization/divisions/home
//	GET    /api/v2/authorization/divisions/{divisionId}
//	POST   /api/v2/authorization/divisions/{divisionId}/objects/USER
//	GET    /api/v2/authorization/roles         POST /api/v2/authorization/roles/{roleId}
//	GET    /api/v2/authorization/roles/{roleId}/subjectgrants
//	GET    /api/v2/authorization/subjects/{subjectId}
//	POST   /api/v2/authorization/subjects/{subjectId}/bulkadd
//	POST   /api/v2/authorization/subjects/{subjectId}/bulkremove
//	POST   /api/v2/authorization/subjects/{subjectId}/bulkreplace
//	DELETE /api/v2/authorization/subjects/{subjectId}/divisions/{divisionId}/roles/{roleId}
//	GET    /api/v2/groups                      GET /api/v2/groups/{groupId} POST /api/v2/groups/search
//	GET    /api/v2/groups/{groupId}/members    POST /api/v2/groups/{groupId}/members
//	GET    /api/v2/groups/{groupId}/individuals
//	DELETE /api/v2/groups/{groupId}/members
//	GET    /api/v2/routing/queues              GET /api/v2/routing/queues/{queueId}
//	GET    /api/v2/routing/queues/{queueId}/members
//	POST   /api/v2/routing/queues/{queueId}/members
//	GET    /api/v2/routing/skills              GET /api/v2/routing/languages
//	GET    /api/v2/locations                   GET /api/v2/locations/{locationId}
//	POST   /api/v2/locations/search
//	GET    /api/v2/telephony/providers/edges/sites[/{siteId}]
//	GET    /api/v2/telephony/providers/edges/phonebasesettings[/{phoneBaseId}]
//	GET    /api/v2/telephony/providers/edges/phones[/{phoneId}]
//	POST   /api/v2/telephony/providers/edges/phones
//	DELETE /api/v2/telephony/providers/edges/phones/{phoneId}
//	GET    /api/v2/stations                    GET /api/v2/stations/{stationId}
//	GET    /api/v2/oauth/clients/{clientId}
//
// These patterns are the keys of Counters.Requests. Anything else is 404 not.found, among
// them PUT /api/v2/users/{userId}/routinglanguages/bulk, which SPEC does not have. The
// control routes GET /__sim/state, GET /__sim/counters, POST /__sim/revoke-tokens (every
// access and refresh token) and POST /__sim/expire-tokens (every access token; refresh
// tokens still work) need no token and are neither rate limited, delayed nor faulted.
//
// # Who acts
//
// A token acts as its OAuth client (client credentials) or as a person (SAML2 bearer,
// password grant), and holds the permissions of the client's or the person's roles; each
// route requires what SPEC's x-inin-requires-permissions says (permissions.go), else 403.
// Counters.WritesBySubject and Observed.Subject tell whose a request was. The default org
// (testdata/org.json) has these OAuth clients, none of whose secrets is real:
//
//	id                     secret                          grant type          role (Home division)
//	demo-client            demo-secret-not-real            CLIENT-CREDENTIALS  User Provisioning
//	test-client            test-secret-not-real            CLIENT-CREDENTIALS  User Provisioning
//	gcsim-admin-client     gcsim-admin-secret-not-real     CLIENT-CREDENTIALS  Master Admin (*:*:*, admin)
//	gcsim-saml-client      gcsim-saml-secret-not-real      SAML2-BEARER        (the person's)
//	gcsim-password-client  gcsim-password-secret-not-real  PASSWORD            (the person's)
//
// User Provisioning holds what user-provisioning needs and no more: no directory:user:delete,
// for instance. The org's short name (orgName) is "gcsim" and its identity provider's Issuer
// DefaultSAMLIssuer (Assertion makes assertions it accepts). Two people have passwords:
// existing.supervisor@example.com ("supervisor-password-not-real"), whose Supervisor role
// (in Support) may provision users, and existing.agent@example.com
// ("agent-password-not-real"), whose Employee and Communicate - User roles may only read.
//
// # Request pipeline
//
// Every API request goes through: Options.Latency (cut short if the client goes away);
// authentication (401 authentication.required without a bearer token, 401 bad.credentials for
// an unknown, expired or revoked one, or one acting as a person no longer active); the rate
// limits (limits.go): its access token's sliding window (Options.RatePerMinute within
// Options.RateWindow, answered 429 too.many.requests "Rate limit exceeded the maximum [N]
// requests within [S] seconds", as Genesys answers its token
// limit; each token has its own, as Genesys defines the limit "per client credentials grant
// token", or with Options.RatePerClient the client's tokens share one), its client's window
// for its route (Options.RouteLimits: per-resource limits), and, for
// the /search routes, the org's window for each criteria type the request uses (Developer
// Center's EXACT 4,000; TERM, TERMS, QUERY_STRING and REQUIRED_FIELDS 300; STARTS_WITH, RANGE,
// DATE_RANGE and the comparisons 240; REGEX 120; CONTAINS 100 a minute; Options.SearchLimits
// replaces or lifts them); the last two are answered 429 too.many.requests.retry.after "Rate
// limit exceeded the maximum. Retry the request in [N] seconds", which states no limit. Every
// 429 carries Retry-After; a refused request counts in no window. A token request, at either
// endpoint (delayed by Options.Latency too), must fit in its client's token window (Options.TokenMintPerMinute,
// DefaultTokenMintPerMinute by default, answered like the per-resource limits), and counts
// as the first request of the token it mints (with RatePerClient, in its client's window).
// Counters.TooManyByToken and RequestsByToken count per token index. Then the 503 fault
// (nothing done); the permission check (403 missing.any.permissions or missing.permissions,
// counted in Counters.Forbidden); the handler; the drop fault
// (the handler's effect is committed, then the connection is closed without an answer). Faults
// come from a math/rand source seeded with Options.Seed.
//
// # Org file
//
// An org (testdata/org.json; DefaultOrg returns the same) is JSON:
//
//	{
//	  "shortName": "gcsim", "samlIssuer": "https://idp.example.com/gcsim",
//	  "passwordPolicy": {"minLength": 8},
//	  "oauthClients": [{"id": "demo-client", "secret": "demo-secret-not-real", "name": "…", "description": "…",
//	                    "grantType": "CLIENT-CREDENTIALS", "accessTokenValiditySeconds": 3600,
//	                    "roles": [{"role": "User Provisioning", "division": "Home"}]},
//	                   {"id": "…", "secret": "…", "grantType": "SAML2-BEARER"}],
//	  "homeDivision": "Home",
//	  "divisions":  [{"id": "…", "name": "Home", "description": "…"}],
//	  "roles":      [{"id": "…", "name": "Employee", "default": true,
//	                  "permissions": ["directory:user:view", "routing:*:view", "admin"]}],
//	  "groups":     [{"id": "…", "name": "Brokerage", "type": "official", "version": 1,
//	                  "grants": [{"role": "Agent", "division": "Sales"}],
//	                  "owners": ["existing.supervisor@example.com"], "dynamicMembers": ["…"]}],
//	  "sites":      [{"id": "…", "name": "My PCV Site"}],
//	  "phoneBases": [{"id": "…", "name": "WebRTC_Base", "phoneMetaBaseId": "inin_webrtc_softphone.json",
//	                  "lines": [{"id": "…", "name": "WebRTC_Base_1"}]}],
//	  "queues":     [{"id": "…", "name": "Billing", "division": "Home", "description": "…"}],
//	  "skills":     [{"id": "…", "name": "Billing"}],
//	  "languages":  [{"id": "…", "name": "Spanish"}],
//	  "locations":  [{"id": "…", "name": "Indianapolis HQ"}],
//	  "users": [{"id": "…", "name": "Existing Agent", "email": "existing.agent@example.com",
//	             "state": "active", "division": "Home", "manager": "existing.supervisor@example.com",
//	             "password": "…",
//	             "groups": ["Annuities"], "queues": ["Billing"], "locations": ["Remote"],
//	             "unjoinedQueues": ["Retention"], "locationNotes": {"Remote": "desk 4"},
//	             "addresses": [{"mediaType": "PHONE", "type": "WORK", "address": "+13175550100", "countryCode": "US"}],
//	             "employerInfo": {"officialName": "…", "employeeId": "E-1", "employeeType": "…", "dateHire": "2020-01-06"},
//	             "skills": {"Billing": 3}, "languages": {"Spanish": 4},
//	             "grants": [{"role": "Communicate - User", "division": "Home"}],
//	             "phone": {"id": "…", "name": "…", "site": "My PCV Site", "phoneBase": "WebRTC_Base",
//	                       "lineId": "…", "stationId": "…", "defaultStation": true}}]
//	}
//
// Users and OAuth clients refer to divisions, groups, queues, skills, languages, locations,
// roles, sites and phone bases by name, and users to their manager by email; a grant's
// division may be "*" (every division). A client's grantType is one of SPEC's
// OAuthClient.authorizedGrantType values (CLIENT-CREDENTIALS when omitted); only a
// client-credentials client may have roles; its accessTokenValiditySeconds is 5 minutes to
// 48 hours in a file (Go code may set less), omitted for Options.TokenTTL. shortName and
// samlIssuer default to DefaultShortName and DefaultSAMLIssuer. A user's password is for
// the password grant only; a password set through the API is not stored. A group's grants are held by its direct members through the group: GET
// /api/v2/authorization/subjects/{userId} lists them with the group's id as subjectId, and
// the grant routes on a user (bulkremove, bulkreplace, ...) never change them. Seed ids are
// fixed in the file; ids of objects created at run time derive from Options.Seed and a
// counter, so a run is reproducible. The role marked
// "default" is granted in the home division to every user created through the API.
package gcsim
