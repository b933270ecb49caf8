package gcsim

import (
	"crypto/sha256"
	"net/http"
	"time"
)

// This file holds the eventual consistency that Genesys documents and that its Terraform
// provider retries on the same endpoints (reference §18):
//
//   - the auth service caches users: role grants naming a user, and phone creation for it,
//     answer 404 for a moment after the user is created or restored (TF retries bulkadd on
//     404, "new roles or divisions have not yet been added to the auth service cache", and
//     phone creation on 404);
//   - a new station is associated with its phone for a moment after it appears, and setting
//     it as a user's default answers 409 meanwhile (TF retries on 400, 408 and 409);
//   - group member changes are asynchronous (202): GET /api/v2/groups/{groupId} shows the old
//     version for a moment, and a member add sent with that version is a version conflict.
//
// How long "a moment" is, is not documented. Modelling choice: one second each by default,
// long enough that a client which does not retry fails, short enough for tests.
const (
	defaultAuthLag             = time.Second
	defaultGroupLag            = time.Second
	defaultStationAssociateLag = time.Second
)

// lagOf is an Options lag: 0 means def, a negative value none.
func lagOf(d, def time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return def
	}
	return d
}

func (s *Sim) authLag() time.Duration  { return lagOf(s.opts.AuthLag, defaultAuthLag) }
func (s *Sim) groupLag() time.Duration { return lagOf(s.opts.GroupLag, defaultGroupLag) }
func (s *Sim) stationAssociateLag() time.Duration {
	return lagOf(s.opts.StationAssociateLag, defaultStationAssociateLag)
}

// inAuthCache reports whether the auth service knows the user at now: some time after it
// was created or restored. The caller holds s.mu.
func (s *Sim) inAuthCache(u *user, now time.Time) bool {
	return !now.Before(u.authAt.Add(s.authLag()))
}

// notInAuthCache answers the 404 of a user the auth service does not know yet. Modelling
// choice: the code is general.resource.not.found (TF matches the status only). The caller
// holds s.mu.
func (s *Sim) notInAuthCache(c *call) {
	s.lagged("auth-cache")
	c.fail(http.StatusNotFound, "general.resource.not.found", "The subject could not be found.")
}

// lagged counts an answer given because of a lag, by reason. The caller holds s.mu.
func (s *Sim) lagged(reason string) { s.counts.Lagged[reason]++ }

// versionAt is a group version and when it was made.
type versionAt struct {
	version int
	at      time.Time
}

// shownVersion is the version GET /api/v2/groups/{groupId} shows at now: the newest one made
// at least lag ago. Older entries are dropped as they can no longer be shown.
func (g *group) shownVersion(now time.Time, lag time.Duration) int {
	cut := now.Add(-lag)
	shown := g.versions[0].version
	keep := 0
	for i, v := range g.versions {
		if v.at.After(cut) {
			break
		}
		shown, keep = v.version, i
	}
	g.versions = g.versions[keep:]
	return shown
}

// placementID is the id of a user's placement at a location, which is not the location's
// id: TF reads a user's location as locations[].locationDefinition.id. Derived, so that it
// is stable across reads.
func placementID(userID, locationID string) string {
	sum := sha256.Sum256([]byte("placement/" + userID + "/" + locationID))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatUUID(b)
}
