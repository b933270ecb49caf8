package proxies

import (
	"context"
	"fmt"
	"strings"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// Groups implements provision.Groups.
type Groups struct{ c *Client }

var _ provision.Groups = (*Groups)(nil)

// groupsPageSize is the page size Genesys's own Terraform provider uses for groups.
const groupsPageSize = 500

func (g *Groups) api(ctx context.Context) platformclientv2.GroupsApi {
	return platformclientv2.GroupsApi{Configuration: g.c.cfg(ctx)}
}

// ListGroups calls GET /api/v2/groups, every page (the API has no name filter).
func (g *Groups) ListGroups(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/groups"
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		l, resp, err := g.api(ctx).GetGroups(groupsPageSize, n, nil, nil, "")
		if err := check(op, resp, err); err != nil {
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
func (g *Groups) AddMembers(ctx context.Context, groupID string, userIDs []string) error {
	if len(userIDs) > provision.MaxGroupMembersPerCall {
		return fmt.Errorf("add %d members to group %s: %w: at most %d per call", len(userIDs), groupID, provision.ErrRejected, provision.MaxGroupMembersPerCall)
	}
	turn := g.c.groupTurn(groupID)
	select {
	case turn <- struct{}{}:
		defer func() { <-turn }()
	case <-ctx.Done():
		return ctx.Err()
	}
	read := func() (int, error) {
		grp, resp, err := g.api(ctx).GetGroup(groupID)
		if err := check("GET /api/v2/groups/{id}", resp, err); err != nil {
			return 0, err
		}
		return deref(grp.Version), nil
	}
	return onVersion(0, read, func(v int) error {
		body := platformclientv2.Groupmembersupdate{MemberIds: &userIDs, Version: &v}
		_, resp, err := g.api(ctx).PostGroupMembers(groupID, body)
		return check("POST /api/v2/groups/{id}/members", resp, err)
	})
}

// RemoveMembers calls DELETE /api/v2/groups/{groupId}/members?ids=…. Removing is
// idempotent, so the transport may repeat it.
func (g *Groups) RemoveMembers(ctx context.Context, groupID string, userIDs []string) error {
	if len(userIDs) > provision.MaxGroupMembersPerCall {
		return fmt.Errorf("remove %d members from group %s: %w: at most %d per call", len(userIDs), groupID, provision.ErrRejected, provision.MaxGroupMembersPerCall)
	}
	_, resp, err := g.api(ctx).DeleteGroupMembers(groupID, strings.Join(userIDs, ","))
	return check("DELETE /api/v2/groups/{id}/members", resp, err)
}

// Members calls GET /api/v2/groups/{groupId}/members, every page.
func (g *Groups) Members(ctx context.Context, groupID string) ([]provision.User, error) {
	const op = "GET /api/v2/groups/{id}/members"
	return listAll(ctx, op, func(n int) ([]provision.User, int, error) {
		l, resp, err := g.api(ctx).GetGroupMembers(groupID, groupsPageSize, n, "", nil)
		if err := check(op, resp, err); err != nil {
			return nil, 0, err
		}
		return toUsers(deref(l.Entities)), deref(l.PageCount), nil
	})
}
