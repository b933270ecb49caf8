package proxies

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mypurecloud/platform-client-sdk-go/v162/platformclientv2"

	"github.com/user-provisioning/user-provisioning/provision"
)

// telephonyArea implements provision.Telephony.
type telephonyArea struct{ c *Client }

var _ provision.Telephony = (*telephonyArea)(nil)

// telephonyPageSize is the page size Genesys's own Terraform provider uses for sites and phones.
const telephonyPageSize = 100

// edges is the SDK's telephony edges API for one call, under ctx and the policy opts state.
func (t *telephonyArea) edges(ctx context.Context, opts ...callOption) platformclientv2.TelephonyProvidersEdgeApi {
	return platformclientv2.TelephonyProvidersEdgeApi{Configuration: t.c.cfg(ctx, opts...)}
}

// ListSites calls GET /api/v2/telephony/providers/edges/sites, every page, for unmanaged
// and managed sites (the SDK always sends the managed filter).
func (t *telephonyArea) ListSites(ctx context.Context) ([]provision.Ref, error) {
	const op = "GET /api/v2/telephony/providers/edges/sites"
	var all []provision.Ref
	for _, managed := range []bool{false, true} {
		sites, err := listAll(ctx, op, func(n int) ([]provision.Ref, int, error) {
			l, resp, err := t.edges(ctx).GetTelephonyProvidersEdgesSites(telephonyPageSize, n, "", "", "", "", managed, nil)
			if err := checkBody(op, l, resp, err); err != nil {
				return nil, 0, err
			}
			var out []provision.Ref
			for _, s := range deref(l.Entities) {
				if deref(s.State) == "deleted" {
					continue
				}
				out = append(out, provision.Ref{ID: deref(s.Id), Name: deref(s.Name)})
			}
			return out, deref(l.PageCount), nil
		})
		if err != nil {
			return nil, err
		}
		all = append(all, sites...)
	}
	return all, nil
}

// ListPhoneBases calls GET /api/v2/telephony/providers/edges/phonebasesettings with lines
// expanded, every page.
func (t *telephonyArea) ListPhoneBases(ctx context.Context) ([]provision.PhoneBase, error) {
	const op = "GET /api/v2/telephony/providers/edges/phonebasesettings"
	return listAll(ctx, op, func(n int) ([]provision.PhoneBase, int, error) {
		l, resp, err := t.edges(ctx).GetTelephonyProvidersEdgesPhonebasesettings(telephonyPageSize, n, "", "", []string{"lines"}, "")
		if err := checkBody(op, l, resp, err); err != nil {
			return nil, 0, err
		}
		var out []provision.PhoneBase
		for _, b := range deref(l.Entities) {
			if deref(b.State) == "deleted" {
				continue
			}
			pb := provision.PhoneBase{ID: deref(b.Id), Name: deref(b.Name)}
			if b.PhoneMetaBase != nil {
				pb.PhoneMetaBaseID = deref(b.PhoneMetaBase.Id)
			}
			if lines := deref(b.Lines); len(lines) > 0 {
				pb.LineBaseID = deref(lines[0].Id)
				pb.LineName = deref(lines[0].Name)
			}
			out = append(out, pb)
		}
		return out, deref(l.PageCount), nil
	})
}

// FindPhoneByUser calls GET /api/v2/telephony/providers/edges/phones filtered by
// webRtcUser.id and returns the first phone that is not deleted. The SDK's method sends the
// filter as "webRtcUserId", which the API does not know, so this call is built by hand.
func (t *telephonyArea) FindPhoneByUser(ctx context.Context, userID string) (*provision.Phone, error) {
	query := map[string]string{
		"webRtcUser.id": userID,
		"fields":        "webRtcUser",
		"sortBy":        "id",
		"pageSize":      strconv.Itoa(telephonyPageSize),
		"pageNumber":    "1",
	}
	var l platformclientv2.Phoneentitylisting
	if err := t.c.getJSON(ctx, "GET /api/v2/telephony/providers/edges/phones", "/api/v2/telephony/providers/edges/phones", query, &l); err != nil {
		return nil, err
	}
	for _, p := range deref(l.Entities) {
		if deref(p.State) == "deleted" || p.WebRtcUser == nil || deref(p.WebRtcUser.Id) != userID {
			continue
		}
		return &provision.Phone{ID: deref(p.Id), Name: deref(p.Name), UserID: userID}, nil
	}
	return nil, nil
}

// CreatePhone calls POST /api/v2/telephony/providers/edges/phones with the body the
// starting guide and Genesys's Terraform provider send for a WebRTC phone. It is never
// retried after an ambiguous failure: the caller looks the phone up first.
func (t *telephonyArea) CreatePhone(ctx context.Context, in provision.NewPhone) (provision.Phone, error) {
	lineBase := &platformclientv2.Domainentityref{Id: ptr(in.PhoneBase.LineBaseID)}
	body := platformclientv2.Phone{
		Name:              ptr(in.Name),
		Site:              &platformclientv2.Domainentityref{Id: ptr(in.Site.ID)},
		PhoneBaseSettings: &platformclientv2.Phonebasesettings{Id: ptr(in.PhoneBase.ID)},
		LineBaseSettings:  lineBase,
		PhoneMetaBase:     &platformclientv2.Domainentityref{Id: ptr(in.PhoneBase.PhoneMetaBaseID)},
		Lines:             &[]platformclientv2.Line{{Name: ptr(in.PhoneBase.LineName), LineBaseSettings: lineBase}},
		WebRtcUser:        &platformclientv2.Domainentityref{Id: ptr(in.User.ID)},
		Capabilities: &platformclientv2.Phonecapabilities{
			Provisions: ptr(false), Registers: ptr(false), DualRegisters: ptr(false),
			HardwareIdType: ptr("mac"), AllowReboot: ptr(false), NoRebalance: ptr(false),
			NoCloudProvisioning: ptr(false), MediaCodecs: &[]string{"audio/opus"},
		},
	}
	// A 404 for a user created moments ago is definite (nothing was created) and repeated
	// until the user is known everywhere, as Genesys's Terraform provider does.
	const op = "POST /api/v2/telephony/providers/edges/phones"
	var p *platformclientv2.Phone
	err := t.c.settle(ctx, notFoundYet, func() error {
		var resp *platformclientv2.APIResponse
		var err error
		p, resp, err = t.edges(ctx, notIdempotent()).PostTelephonyProvidersEdgesPhones(body)
		return checkBody(op, p, resp, err)
	})
	if err != nil {
		return provision.Phone{}, err
	}
	if deref(p.Id) == "" {
		// Created or not, the answer does not say which phone: the caller looks first.
		return provision.Phone{}, fmt.Errorf("%s: %w: created phone without an id", op, provision.ErrTransient)
	}
	return provision.Phone{ID: deref(p.Id), Name: deref(p.Name), UserID: in.User.ID}, nil
}

// FindStationByUser calls GET /api/v2/stations?webRtcUserId=; "" while the station has not
// been indexed yet.
func (t *telephonyArea) FindStationByUser(ctx context.Context, userID string) (string, error) {
	api := platformclientv2.StationsApi{Configuration: t.c.cfg(ctx)}
	l, resp, err := api.GetStations(telephonyPageSize, 1, "", "", "", userID, "", "")
	if err := checkBody("GET /api/v2/stations", l, resp, err); err != nil {
		return "", err
	}
	for _, s := range deref(l.Entities) {
		if deref(s.WebRtcUserId) == userID {
			return deref(s.Id), nil
		}
	}
	return "", nil
}
