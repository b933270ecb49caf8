package proxies

import (
	"context"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// locationsArea implements provision.Locations.
type locationsArea struct{ c *Client }

var _ provision.Locations = (*locationsArea)(nil)

// locationsPageSize is the page size Genesys's own Terraform provider uses for locations.
const locationsPageSize = 100

// ListLocations calls GET /api/v2/locations, every page.
func (l *locationsArea) ListLocations(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/locations"
	api := platformclientv2.LocationsApi{Configuration: l.c.cfg(ctx)}
	return listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
		res, resp, err := api.GetLocations(locationsPageSize, n, nil, "")
		if err := checkBody(op, res, resp, err); err != nil {
			return nil, 0, err
		}
		var out []provision.Ref
		for _, e := range deref(res.Entities) {
			if deref(e.State) == "deleted" {
				continue
			}
			out = append(out, provision.Ref{ID: deref(e.Id), Name: deref(e.Name)})
		}
		return out, deref(res.PageCount), nil
	})
}
