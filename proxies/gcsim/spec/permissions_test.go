package spec

import (
	"slices"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// TestRoutePermissionsMatchSwagger checks the simulator's permission table against
// swagger.json's x-inin-requires-permissions, route by route: the same type and the same
// permissions, and no requirement where swagger.json lists none.
func TestRoutePermissionsMatchSwagger(t *testing.T) {
	t.Parallel()
	chk := checker(t)
	table := gcsim.RoutePermissions()
	checked := 0
	for _, route := range gcsim.Routes() {
		typ, perms, ok := chk.Permissions(route)
		if !ok {
			t.Errorf("%s: not in swagger.json, or its x-inin-requires-permissions is unreadable", route)
			continue
		}
		got, has := table[route]
		if len(perms) == 0 {
			if has {
				t.Errorf("%s: the simulator requires %s %v; swagger.json lists nothing", route, got.Type, got.Permissions)
			}
			continue
		}
		checked++
		if !has {
			t.Errorf("%s: swagger.json requires %s %v; the simulator nothing", route, typ, perms)
			continue
		}
		if got.Type != typ || !sameSet(got.Permissions, perms) {
			t.Errorf("%s: the simulator requires %s %v; swagger.json %s %v", route, got.Type, got.Permissions, typ, perms)
		}
	}
	for route := range table {
		if !slices.Contains(gcsim.Routes(), route) {
			t.Errorf("permission table entry %q is not a route", route)
		}
	}
	if checked == 0 {
		t.Fatal("swagger.json gave no route a requirement: the extension was not read")
	}
	t.Logf("%d of %d routes require permissions", checked, len(gcsim.Routes()))
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}
