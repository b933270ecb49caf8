package proxies

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// Member adds to one group take turns: sent at once, they would carry the same version, and
// all but one would conflict and read the version again (up to versionAttempts times, after
// which the row fails: seen under 429 pauses, which release batches together).
func TestGroupAddsTakeTurns(t *testing.T) {
	c, sim := setup(t, gcsim.Options{Latency: 20 * time.Millisecond})
	svc := c.Services()
	ctx := t.Context()
	home, err := svc.Authorization.HomeDivision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	ids := make([]string, n)
	for i := range n {
		u, err := svc.Users.Create(ctx, provision.NewUser{Name: fmt.Sprintf("Turn %d", i), Email: fmt.Sprintf("turn.%d@example.com", i), DivisionID: home.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = u.ID
	}
	groups, err := svc.Groups.ListGroups(ctx)
	if err != nil || len(groups) == 0 {
		t.Fatalf("groups %v, %v", groups, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = svc.Groups.AddMembers(ctx, groups[0].ID, ids[i:i+1]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("add %d: %v", i, err)
		}
	}
	if got := sim.Counters().Requests["POST /api/v2/groups/{groupId}/members"]; got != n {
		t.Errorf("%d member POSTs for %d adds: concurrent adds conflicted on the version", got, n)
	}
}
