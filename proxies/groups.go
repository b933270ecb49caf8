package proxies

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// groupsArea implements provision.Groups.
type groupsArea struct{ c *Client }

var _ provision.Groups = (*groupsArea)(nil)

// groupsPageSize is the page size Genesys's own Terraform provider uses for groups.
const groupsPageSize = 500

// api is the SDK's groups API for one call, under ctx and the policy opts state.
func (g *groupsArea) api(ctx context.Context, opts ...callOption) platformclientv2.GroupsApi {
	return platformclientv2.GroupsApi{Configuration: g.c.cfg(ctx, opts...)}
}

// ListGroups calls GET /api/v2/groups, every page (the API has no name filter).
func (g *groupsArea) ListGroups(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/groups"
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		l, resp, err := g.api(ctx).GetGroups(groupsPageSize, n, nil, nil, "")
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

// AddMembers reads the group's version (GET /api/v2/groups/{groupId}) and calls
// POST /api/v2/groups/{groupId}/members, re-reading the version after a conflict.
func (g *groupsArea) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	if len(userIDs) > provision.MaxGroupMembersPerCall {
		return fmt.Errorf("add %d members to group %s: %w: at most %d per call", len(userIDs), groupID, provision.ErrRejected, provision.MaxGroupMembersPerCall)
	}
	turn := g.c.groupTurn(groupID)
	if err := turn.take(ctx); err != nil {
		return err
	}
	defer turn.release()
	read := func() (int, error) {
		grp, resp, err := g.api(ctx).GetGroup(groupID)
		if err := checkBody("GET /api/v2/groups/{id}", grp, resp, err); err != nil {
			return 0, err
		}
		return deref(grp.Version), nil
	}
	// After this process's own add, the next version is the one it wrote plus one: a guess
	// (the API does not promise how versions move) that the server checks, and a conflict
	// falls back to reading it.
	known := turn.version
	turn.version = 0
	return g.c.onVersion(ctx, known, read, func(v int) error {
		body := platformclientv2.Groupmembersupdate{MemberIds: &userIDs, Version: &v}
		_, resp, err := g.api(ctx).PostGroupMembers(groupID, body)
		err = check("POST /api/v2/groups/{id}/members", resp, err)
		if err == nil {
			turn.version = v + 1
		}
		return err
	})
}

// RemoveMembers calls DELETE /api/v2/groups/{groupId}/members?ids=…. Removing is
// idempotent, so the transport may repeat it; a repeat after an ambiguous failure that comes
// back 404 found the members gone: the first attempt removed them.
func (g *groupsArea) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	if len(userIDs) > provision.MaxGroupMembersPerCall {
		return fmt.Errorf("remove %d members from group %s: %w: at most %d per call", len(userIDs), groupID, provision.ErrRejected, provision.MaxGroupMembersPerCall)
	}
	turn := g.c.groupTurn(groupID)
	if err := turn.take(ctx); err != nil {
		return err
	}
	defer turn.release()
	turn.version = 0 // a removal moves the version too: the next add reads it
	repeated := new(atomic.Bool)
	_, resp, err := g.api(ctx, reportRepeats(repeated)).DeleteGroupMembers(groupID, strings.Join(userIDs, ","))
	if err := check("DELETE /api/v2/groups/{id}/members", resp, err); err != nil && !removed(err, repeated) {
		return err
	}
	return nil
}

// Individuals calls GET /api/v2/groups/{groupId}/individuals: the direct members, without
// the owners and the people the group's rules include, which GET .../members lists too.
// SPEC gives the call no paging parameters; a listing that links a next page is followed.
func (g *groupsArea) Individuals(ctx context.Context, groupID string) ([]provision.Found, error) {
	const op = "GET /api/v2/groups/{id}/individuals"
	l, resp, err := g.api(ctx).GetGroupIndividuals(groupID)
	if err := checkBody(op, l, resp, err); err != nil {
		return nil, err
	}
	var out []provision.Found
	for pages := 1; ; pages++ {
		for _, r := range deref(l.Entities) {
			out = append(out, provision.Found{ID: deref(r.Id), Email: deref(r.Email), State: deref(r.State)})
		}
		next := deref(l.NextUri)
		if next == "" || len(deref(l.Entities)) == 0 {
			return out, nil
		}
		if pages >= maxPages {
			return nil, fmt.Errorf("%s: more than %d pages", op, maxPages)
		}
		l = new(platformclientv2.Userentitylisting)
		if err := g.c.getLink(ctx, op, next, l); err != nil {
			return nil, err
		}
	}
}
