package provision

import (
	"context"
	"strings"
)

// apply carries out a row's plan on user u (in the division the plan leaves it in): the
// memberships through the batchers, the rest with one call each, in the plan's order. The
// activation email, when asked for, goes to a user the run created once its fields are set.
// It returns the failing step and its error; batched changes report on their own.
func (p *pipeline) apply(ctx context.Context, t *task, u User, pl plan, invite bool) (string, error) {
	sendInvite := func() (string, error) {
		if !invite {
			return "", nil
		}
		invite = false
		if err := p.svc.Users.Invite(ctx, u.ID); err != nil {
			return "send invite", err
		}
		return "", nil
	}
	for _, c := range pl {
		if c.kind > patchFields {
			if step, err := sendInvite(); err != nil {
				return step, err
			}
		}
		if step, err := p.applyChange(ctx, t, u, c); err != nil {
			return step, err
		}
	}
	return sendInvite()
}

// applyChange carries out one change of a row's plan.
func (p *pipeline) applyChange(ctx context.Context, t *task, u User, c change) (string, error) {
	var err error
	var step string
	switch c.kind {
	case restoreUser:
		// Restored before the plan was made.
	case moveDivision:
		p.queue(t, p.moves, c.ref.ID, u.ID, "move to division '"+c.ref.Name+"'")
	case patchFields:
		if !c.patch.Empty() {
			step, err = "update user", p.svc.Users.Update(ctx, u.ID, u.Version, c.patch)
		}
	case grantRoles:
		step, err = p.grant(ctx, t, u.ID, c.grants)
	case revokeRoles:
		step, err = "remove roles", p.svc.Authorization.RevokeRoles(ctx, u.ID, c.revoke)
	case addGroup:
		p.queue(t, p.groups, c.ref.ID, u.ID, "add to group '"+c.ref.Name+"'")
	case removeGroup:
		p.queue(t, p.groupRemovals, c.ref.ID, u.ID, "remove from group '"+c.ref.Name+"'")
	case removeQueue:
		p.queue(t, p.queueRemovals, c.ref.ID, u.ID, "remove from queue '"+c.ref.Name+"'")
	case addQueue:
		p.queue(t, p.queues, c.ref.ID, u.ID, "add to queue '"+c.ref.Name+"'")
	case setSkills:
		step, err = "set skills", p.svc.Routing.SetSkills(ctx, u.ID, c.levels)
	case addSkills:
		step, err = "add skills", p.svc.Routing.AddSkills(ctx, u.ID, c.levels)
	case removeLanguage:
		step, err = "remove language", p.svc.Routing.RemoveLanguage(ctx, u.ID, c.ref.ID)
	case addLanguages:
		step, err = "add languages", p.svc.Routing.AddLanguages(ctx, u.ID, c.levels)
	case addPhone:
		step, err = "phone", p.startPhone(ctx, t, u, t.fresh)
	}
	return step, err
}

// queue adds the user to a batch of b under key; the row waits for it, and step names it in
// the report if it fails.
func (p *pipeline) queue(t *task, b *batcher, key, userID, step string) {
	t.begin()
	b.add(key, userID, func(err error) { t.end(step, err) })
}

// grant adds role grants. Those several rows share are batched per role and division across
// users; the row's others go in one call for this user. Either way a grant costs at most one
// call, and usually a share of one.
func (p *pipeline) grant(ctx context.Context, t *task, userID string, grants []plannedGrant) (string, error) {
	var direct []Grant
	var names []string
	for _, g := range grants {
		if p.grantRows[g.key] < 2 {
			direct = append(direct, g.Grant)
			names = append(names, g.name)
			continue
		}
		p.queue(t, p.roles, g.RoleID+"|"+g.DivisionID, userID, "grant role "+g.name)
	}
	if len(direct) == 0 {
		return "", nil
	}
	return "grant roles " + strings.Join(names, ", "), p.svc.Authorization.GrantRoles(ctx, userID, direct)
}
