package gcsim

import (
	"net/http"
	"testing"
	"time"
)

func phoneBody(name, userID string) map[string]any {
	return map[string]any{
		"name":              name,
		"site":              map[string]any{"id": siteID},
		"phoneBaseSettings": map[string]any{"id": webrtcBaseID},
		"lineBaseSettings":  map[string]any{"id": webrtcLineID},
		"phoneMetaBase":     map[string]any{"id": "inin_webrtc_softphone.json"},
		"lines":             []map[string]any{{"name": "line1", "lineBaseSettings": map[string]any{"id": webrtcLineID}}},
		"webRtcUser":        map[string]any{"id": userID},
	}
}

type stationList struct {
	Total    int `json:"total"`
	Entities []struct {
		ID               string `json:"id"`
		Status           string `json:"status"`
		WebRtcUserID     string `json:"webRtcUserId"`
		Type             string `json:"type"`
		LineAppearanceID string `json:"lineAppearanceId"`
	} `json:"entities"`
}

func TestPhoneStationAndDefault(t *testing.T) {
	const delay = 300 * time.Millisecond
	srv, c := start(t, noLags(Options{StationDelay: delay}))
	u := c.createUser("Phone Owner", "phone.owner@example.com")

	r := c.do("POST", "/api/v2/telephony/providers/edges/phones", phoneBody("Phone_Owner_WEBRTC_PHONE", u.ID))
	r.want(t, 200)
	var ph struct {
		ID         string `json:"id"`
		State      string `json:"state"`
		WebRtcUser struct {
			ID string `json:"id"`
		} `json:"webRtcUser"`
		Lines []struct {
			ID string `json:"id"`
		} `json:"lines"`
	}
	r.decode(t, &ph)
	if ph.ID == "" || ph.State != "active" || ph.WebRtcUser.ID != u.ID || len(ph.Lines) != 1 {
		t.Fatalf("phone %s", r.body)
	}

	var sl stationList
	c.do("GET", "/api/v2/stations?webRtcUserId="+u.ID, nil).decode(t, &sl)
	if sl.Total != 0 {
		t.Fatalf("station visible before its delay: %+v", sl)
	}
	st := srv.Sim.State()
	stationID := st.PhonesOf(u.ID)[0].StationID
	c.do("PUT", "/api/v2/users/"+u.ID+"/station/defaultstation/"+stationID, nil).wantError(t, 404, "userservice.station.notfound")
	c.do("GET", "/api/v2/stations/"+stationID, nil).wantError(t, 404, "general.resource.not.found")

	time.Sleep(delay + 50*time.Millisecond)
	c.do("GET", "/api/v2/stations?webRtcUserId="+u.ID, nil).decode(t, &sl)
	if sl.Total != 1 || sl.Entities[0].ID != stationID || sl.Entities[0].Status != "AVAILABLE" ||
		sl.Entities[0].Type != "inin_webrtc_softphone" || sl.Entities[0].LineAppearanceID != ph.Lines[0].ID {
		t.Fatalf("stations after the delay: %+v", sl)
	}

	tests := []struct {
		name, user string
		status     int
		code       string
	}{
		{"set default", u.ID, 202, ""},
		{"same user again", u.ID, 202, ""},
		{"another user", supervisorID, 409, "userservice.stationalreadyhasdefaultuser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do("PUT", "/api/v2/users/"+tt.user+"/station/defaultstation/"+stationID, nil)
			if r.wantOutcome(t, tt.status, tt.code) && len(r.body) != 0 {
				t.Fatalf("body %q, want none", r.body)
			}
		})
	}
	var us struct {
		DefaultStation struct {
			ID string `json:"id"`
		} `json:"defaultStation"`
	}
	c.do("GET", "/api/v2/users/"+u.ID+"/station", nil).decode(t, &us)
	if us.DefaultStation.ID != stationID {
		t.Fatalf("user station %+v", us)
	}
	if got, _ := srv.Sim.State().User("phone.owner@example.com"); got.DefaultStationID != stationID {
		t.Fatalf("state default station %q", got.DefaultStationID)
	}
	if n := srv.Sim.Counters().PhoneCreateAttempts[u.ID]; n != 1 {
		t.Errorf("PhoneCreateAttempts = %d, want 1", n)
	}
}

func TestCreatePhoneErrors(t *testing.T) {
	_, c := start(t, noLags(Options{}))
	u := c.createUser("Phone Errors", "phone.errors@example.com")
	without := func(key string) map[string]any {
		b := phoneBody("P_"+key, u.ID)
		delete(b, key)
		return b
	}
	with := func(key string, v any) map[string]any {
		b := phoneBody("P_"+key, u.ID)
		b[key] = v
		return b
	}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"no lines", without("lines"), 400, "lines.required"},
		{"no base settings", without("phoneBaseSettings"), 400, "base.settings.required"},
		{"no webRtcUser", without("webRtcUser"), 400, "webrtc.user.required"},
		{"unknown site", with("site", map[string]any{"id": "nope"}), 400, "invalid.value"},
		{"unknown phone base", with("phoneBaseSettings", map[string]any{"id": "nope"}), 400, "invalid.value"},
		{"duplicate name", phoneBody("Existing_Agent_WEBRTC_PHONE", u.ID), 409, "general.conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.do("POST", "/api/v2/telephony/providers/edges/phones", tt.body).wantError(t, tt.status, tt.code)
		})
	}
}

func TestListPhonesAndBases(t *testing.T) {
	_, c := start(t, noLags(Options{}))
	u := c.createUser("Lister", "lister@example.com")
	c.do("POST", "/api/v2/telephony/providers/edges/phones", phoneBody("Lister_WEBRTC_PHONE", u.ID)).want(t, 200)
	type phones struct {
		Total    int `json:"total"`
		Entities []struct {
			Name       string `json:"name"`
			WebRtcUser *struct {
				ID string `json:"id"`
			} `json:"webRtcUser"`
		} `json:"entities"`
	}
	tests := []struct {
		name, query string
		total       int
		withUser    bool
	}{
		{"all", "", 2, false},
		{"by webRtcUser.id", "?webRtcUser.id=" + u.ID + "&fields=webRtcUser", 1, true},
		{"SDK parameter name is not a filter", "?webRtcUserId=" + u.ID, 2, false},
		{"by name wildcard", "?name=lister*", 1, false},
		{"by site", "?site.id=" + siteID, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p phones
			r := c.do("GET", "/api/v2/telephony/providers/edges/phones"+tt.query, nil)
			r.want(t, http.StatusOK)
			r.decode(t, &p)
			if p.Total != tt.total || (p.Entities[0].WebRtcUser != nil) != tt.withUser {
				t.Fatalf("%s", r.body)
			}
		})
	}
	var bases struct {
		Entities []struct {
			ID            string `json:"id"`
			PhoneMetaBase struct {
				ID string `json:"id"`
			} `json:"phoneMetaBase"`
			Lines []struct {
				ID string `json:"id"`
			} `json:"lines"`
		} `json:"entities"`
	}
	c.do("GET", "/api/v2/telephony/providers/edges/phonebasesettings?name=WebRTC_Base", nil).decode(t, &bases)
	if len(bases.Entities) != 1 || len(bases.Entities[0].Lines) != 1 { // SPEC requires lines
		t.Fatalf("without expand: %+v", bases)
	}
	c.do("GET", "/api/v2/telephony/providers/edges/phonebasesettings?name=WebRTC_Base&expand=lines", nil).decode(t, &bases)
	if len(bases.Entities) != 1 || len(bases.Entities[0].Lines) != 1 || bases.Entities[0].Lines[0].ID != webrtcLineID ||
		bases.Entities[0].PhoneMetaBase.ID != "inin_webrtc_softphone.json" {
		t.Fatalf("with expand=lines: %+v", bases)
	}
	var sites struct {
		Total int `json:"total"`
	}
	c.do("GET", "/api/v2/telephony/providers/edges/sites?name=My%20PCV%20Site&managed=false", nil).decode(t, &sites)
	if sites.Total != 1 {
		t.Fatalf("sites %+v", sites)
	}
}
