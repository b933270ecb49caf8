package proxies

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// routingArea implements provision.Routing.
type routingArea struct{ c *Client }

var _ provision.Routing = (*routingArea)(nil)

const (
	// bigPageSize is the page size Genesys's own Terraform provider uses for queues and
	// skills; routingPageSize the one it uses for languages.
	bigPageSize     = 500
	routingPageSize = 100
	// queueMembersPageSize is the documented maximum for queue members.
	queueMembersPageSize = 100
	// levelsPageSize is the page size Genesys's own Terraform provider uses for a user's
	// skills and languages.
	levelsPageSize = 50
)

// api is the SDK's routing API for one call, under ctx and the policy opts state.
func (r *routingArea) api(ctx context.Context, opts ...callOption) platformclientv2.RoutingApi {
	return platformclientv2.RoutingApi{Configuration: r.c.cfg(ctx, opts...)}
}

// ListQueues calls GET /api/v2/routing/queues, every page. It is built by hand: the SDK's
// method always sends hasPeer=false, which would hide queues that have a peer.
func (r *routingArea) ListQueues(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/routing/queues"
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		var l platformclientv2.Queueentitylisting
		q := map[string]string{"pageSize": strconv.Itoa(bigPageSize), "pageNumber": strconv.Itoa(n)}
		if err := r.c.getJSON(ctx, op, "/api/v2/routing/queues", q, &l); err != nil {
			return nil, 0, err
		}
		var out []provision.Ref
		for _, e := range deref(l.Entities) {
			out = append(out, provision.Ref{ID: deref(e.Id), Name: deref(e.Name)})
		}
		return out, deref(l.PageCount), nil
	})
}

// QueueMembers calls GET /api/v2/routing/queues/{queueId}/members with memberBy=user, page
// by page until one comes back short (the listing has no page count). It is built by hand:
// the SDK's method always sends a joined filter, which would hide half the members.
func (r *routingArea) QueueMembers(ctx context.Context, queueID string) ([]string, error) {
	const op = "GET /api/v2/routing/queues/{id}/members"
	return listAll(ctx, op, func(n int) ([]string, int, error) {
		var l platformclientv2.Queuememberentitylisting
		q := map[string]string{"pageSize": strconv.Itoa(queueMembersPageSize), "pageNumber": strconv.Itoa(n), "memberBy": "user"}
		if err := r.c.getJSON(ctx, op, "/api/v2/routing/queues/"+queueID+"/members", q, &l); err != nil {
			return nil, 0, err
		}
		var ids []string
		for _, m := range deref(l.Entities) {
			ids = append(ids, deref(m.Id))
		}
		count := n + 1 // no page count: a short page, or one without a next, is the last
		if len(ids) < queueMembersPageSize || deref(l.NextUri) == "" {
			count = n
		}
		return ids, count, nil
	})
}

// AddQueueMembers calls POST /api/v2/routing/queues/{queueId}/members. Adding is
// idempotent, so the transport may repeat it.
func (r *routingArea) AddQueueMembers(ctx context.Context, queueID string, userIDs []string) error {
	return r.postQueueMembers(ctx, queueID, userIDs, false)
}

// UserQueues calls GET /api/v2/users/{userId}/queues, every page, once with joined=true and
// once with joined=false. joined defaults to true (SPEC), so the queues a user is a member of
// without being joined come only when asked; whether false lists only those or every queue is
// unconfirmed, so both are read and merged.
func (r *routingArea) UserQueues(ctx context.Context, userID string) ([]string, error) {
	const op = "GET /api/v2/users/{id}/queues"
	var out []string
	for _, joined := range []string{"true", "false"} {
		ids, err := listAll(ctx, op, func(n int) ([]string, int, error) {
			var l platformclientv2.Userqueueentitylisting
			q := map[string]string{"pageSize": strconv.Itoa(routingPageSize), "pageNumber": strconv.Itoa(n), "joined": joined}
			if err := r.c.getJSON(ctx, op, "/api/v2/users/"+userID+"/queues", q, &l); err != nil {
				return nil, 0, err
			}
			var page []string
			for _, e := range deref(l.Entities) {
				page = append(page, deref(e.Id))
			}
			return page, deref(l.PageCount), nil
		})
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// userLevels calls GET /api/v2/users/{userId}/routingskills or .../routinglanguages (kind),
// every page, and returns the proficiencies by id.
func (r *routingArea) userLevels(ctx context.Context, userID, kind string) (map[string]float64, error) {
	op := "GET /api/v2/users/{id}/" + kind
	type level struct {
		ID          string  `json:"id"`
		Proficiency float64 `json:"proficiency"`
	}
	levels, err := listAll(ctx, op, func(n int) ([]level, int, error) {
		var l struct {
			Entities  []level `json:"entities"`
			PageCount int     `json:"pageCount"`
		}
		q := map[string]string{"pageSize": strconv.Itoa(levelsPageSize), "pageNumber": strconv.Itoa(n)}
		if err := r.c.getJSON(ctx, op, "/api/v2/users/"+userID+"/"+kind, q, &l); err != nil {
			return nil, 0, err
		}
		return l.Entities, l.PageCount, nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(levels))
	for _, l := range levels {
		out[l.ID] = l.Proficiency
	}
	return out, nil
}

// RemoveQueueMembers calls POST /api/v2/routing/queues/{queueId}/members?delete=true. A
// repeat after an ambiguous failure that comes back 404 found the removal done.
func (r *routingArea) RemoveQueueMembers(ctx context.Context, queueID string, userIDs []string) error {
	repeated := new(atomic.Bool)
	if err := r.postQueueMembers(ctx, queueID, userIDs, true, reportRepeats(repeated)); err != nil && !removed(err, repeated) {
		return err
	}
	return nil
}

// postQueueMembers calls POST /api/v2/routing/queues/{queueId}/members, with delete=remove,
// under the policy opts state.
func (r *routingArea) postQueueMembers(ctx context.Context, queueID string, userIDs []string, remove bool, opts ...callOption) error {
	if len(userIDs) > provision.MaxQueueMembersPerCall {
		what := fmt.Sprintf("add %d members to queue %s", len(userIDs), queueID)
		if remove {
			what = fmt.Sprintf("remove %d members from queue %s", len(userIDs), queueID)
		}
		return fmt.Errorf("%s: %w: at most %d per call", what, provision.ErrRejected, provision.MaxQueueMembersPerCall)
	}
	body := make([]platformclientv2.Writableentity, len(userIDs))
	for i := range userIDs {
		body[i] = platformclientv2.Writableentity{Id: &userIDs[i]}
	}
	resp, err := r.api(ctx, opts...).PostRoutingQueueMembers(queueID, body, remove)
	return check("POST /api/v2/routing/queues/{id}/members", resp, err)
}

// SetSkills calls PUT /api/v2/users/{userId}/routingskills/bulk, which replaces every skill.
func (r *routingArea) SetSkills(ctx context.Context, userID string, levels []provision.Level) error {
	if len(levels) > provision.MaxLevelsPerCall {
		return fmt.Errorf("set %d skills: %w: at most %d per call", len(levels), provision.ErrRejected, provision.MaxLevelsPerCall)
	}
	_, resp, err := r.api(ctx).PutUserRoutingskillsBulk(userID, skillPosts(levels))
	return check("PUT /api/v2/users/{id}/routingskills/bulk", resp, err)
}

// RemoveLanguage calls DELETE /api/v2/users/{userId}/routinglanguages/{languageId}. A repeat
// after an ambiguous failure that comes back 404 ("Routing language was not found") found the
// removal done by the first attempt.
func (r *routingArea) RemoveLanguage(ctx context.Context, userID, languageID string) error {
	repeated := new(atomic.Bool)
	resp, err := r.api(ctx, reportRepeats(repeated)).DeleteUserRoutinglanguage(userID, languageID)
	if err := check("DELETE /api/v2/users/{id}/routinglanguages/{id}", resp, err); err != nil && !removed(err, repeated) {
		return err
	}
	return nil
}

// ListSkills calls GET /api/v2/routing/skills, every page.
func (r *routingArea) ListSkills(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/routing/skills"
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		l, resp, err := r.api(ctx).GetRoutingSkills(bigPageSize, n, "", nil)
		if err := checkBody(op, l, resp, err); err != nil {
			return nil, 0, err
		}
		var out []provision.Ref
		for _, e := range deref(l.Entities) {
			out = append(out, provision.Ref{ID: deref(e.Id), Name: deref(e.Name)})
		}
		return out, deref(l.PageCount), nil
	})
}

// ListLanguages calls GET /api/v2/routing/languages, every page.
func (r *routingArea) ListLanguages(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/routing/languages"
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		l, resp, err := r.api(ctx).GetRoutingLanguages(routingPageSize, n, "", "", nil)
		if err := checkBody(op, l, resp, err); err != nil {
			return nil, 0, err
		}
		var out []provision.Ref
		for _, e := range deref(l.Entities) {
			out = append(out, provision.Ref{ID: deref(e.Id), Name: deref(e.Name)})
		}
		return out, deref(l.PageCount), nil
	})
}

// AddSkills calls PATCH /api/v2/users/{userId}/routingskills/bulk, MaxLevelsPerCall at a time.
func (r *routingArea) AddSkills(ctx context.Context, userID string, levels []provision.Level) error {
	for chunk := range chunks(levels, provision.MaxLevelsPerCall) {
		_, resp, err := r.api(ctx).PatchUserRoutingskillsBulk(userID, skillPosts(chunk))
		if err := check("PATCH /api/v2/users/{id}/routingskills/bulk", resp, err); err != nil {
			return err
		}
	}
	return nil
}

// AddLanguages calls PATCH /api/v2/users/{userId}/routinglanguages/bulk, MaxLevelsPerCall at
// a time.
func (r *routingArea) AddLanguages(ctx context.Context, userID string, levels []provision.Level) error {
	for chunk := range chunks(levels, provision.MaxLevelsPerCall) {
		body := make([]platformclientv2.Userroutinglanguagepost, len(chunk))
		for i, l := range chunk {
			body[i] = platformclientv2.Userroutinglanguagepost{Id: ptr(l.ID), Proficiency: ptr(l.Proficiency)}
		}
		_, resp, err := r.api(ctx).PatchUserRoutinglanguagesBulk(userID, body)
		if err := check("PATCH /api/v2/users/{id}/routinglanguages/bulk", resp, err); err != nil {
			return err
		}
	}
	return nil
}

// skillPosts is the body of the bulk skill calls.
func skillPosts(levels []provision.Level) []platformclientv2.Userroutingskillpost {
	body := make([]platformclientv2.Userroutingskillpost, len(levels))
	for i, l := range levels {
		body[i] = platformclientv2.Userroutingskillpost{Id: ptr(l.ID), Proficiency: ptr(l.Proficiency)}
	}
	return body
}

// chunks yields s in pieces of at most n.
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}
