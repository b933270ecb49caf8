package gcsim

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/org.json from DefaultOrg")

const orgFile = "../../testdata/org.json"

func TestDefaultOrgMatchesTestdata(t *testing.T) {
	if *update {
		b, err := json.MarshalIndent(DefaultOrg(), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(orgFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadOrg(orgFile)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultOrg(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs from DefaultOrg(); run go test -run TestDefaultOrgMatchesTestdata -update", orgFile)
	}
}

func TestLoadOrgRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o map[string]any)
		want   string
	}{
		{"unknown field", func(o map[string]any) { o["rolez"] = []any{} }, "unknown field"},
		{"unknown home division", func(o map[string]any) { o["homeDivision"] = "Nowhere" }, "home division"},
		{"user in unknown group", func(o map[string]any) {
			o["users"].([]any)[0].(map[string]any)["groups"] = []any{"Nope"}
		}, "unknown group"},
		{"user in unknown queue", func(o map[string]any) {
			o["users"].([]any)[0].(map[string]any)["queues"] = []any{"Nope"}
		}, "unknown queue"},
		{"unknown manager", func(o map[string]any) {
			o["users"].([]any)[0].(map[string]any)["manager"] = "nobody@example.com"
		}, "manager"},
		{"own manager", func(o map[string]any) {
			o["users"].([]any)[0].(map[string]any)["manager"] = "EXISTING.agent@example.com"
		}, "manager"},
		{"proficiency above 5", func(o map[string]any) {
			o["users"].([]any)[0].(map[string]any)["skills"] = map[string]any{"Billing": 6}
		}, "proficiency"},
		{"queue in unknown division", func(o map[string]any) {
			o["queues"].([]any)[0].(map[string]any)["division"] = "Nowhere"
		}, "unknown division"},
		{"group grant of unknown role", func(o map[string]any) {
			o["groups"].([]any)[2].(map[string]any)["grants"] = []any{map[string]any{"role": "Nope", "division": "Sales"}}
		}, "unknown role"},
		{"group grant in unknown division", func(o map[string]any) {
			o["groups"].([]any)[2].(map[string]any)["grants"] = []any{map[string]any{"role": "Agent", "division": "Nowhere"}}
		}, "unknown role"},
		{"deleted user with a grant", func(o map[string]any) {
			o["users"].([]any)[3].(map[string]any)["grants"] = []any{map[string]any{"role": "Employee", "division": "Home"}}
		}, "a deleted user holds no grants"},
		{"deleted user outside the home division", func(o map[string]any) {
			o["users"].([]any)[3].(map[string]any)["division"] = "Sales"
		}, "a deleted user holds no grants"},
		{"notes for a location the user lacks", func(o map[string]any) {
			o["users"].([]any)[4].(map[string]any)["locationNotes"] = map[string]any{"Remote": "x"}
		}, "not among its locations"},
		{"address with both number and extension", func(o map[string]any) {
			o["users"].([]any)[4].(map[string]any)["addresses"] = []any{map[string]any{"mediaType": "PHONE", "type": "WORK", "address": "+1", "extension": "2"}}
		}, "exactly one of address and extension"},
		{"unknown group owner", func(o map[string]any) {
			o["groups"].([]any)[0].(map[string]any)["owners"] = []any{"nobody@example.com"}
		}, "owner or dynamic member"},
		{"token validity under 5 minutes", func(o map[string]any) {
			o["oauthClients"].([]any)[0].(map[string]any)["accessTokenValiditySeconds"] = 299
		}, "accessTokenValiditySeconds 299"},
		{"token validity over 48 hours", func(o map[string]any) {
			o["oauthClients"].([]any)[0].(map[string]any)["accessTokenValiditySeconds"] = 172801
		}, "accessTokenValiditySeconds 172801"},
		{"unknown grant type", func(o map[string]any) {
			o["oauthClients"].([]any)[0].(map[string]any)["grantType"] = "client_credentials"
		}, "grantType"},
		{"roles on a SAML2 bearer client", func(o map[string]any) {
			o["oauthClients"].([]any)[3].(map[string]any)["roles"] = []any{map[string]any{"role": "Agent", "division": "Home"}}
		}, "roles apply only to CLIENT-CREDENTIALS clients"},
		{"client role unknown", func(o map[string]any) {
			o["oauthClients"].([]any)[0].(map[string]any)["roles"] = []any{map[string]any{"role": "Nope", "division": "Home"}}
		}, "unknown role"},
		{"duplicate client", func(o map[string]any) {
			o["oauthClients"].([]any)[1].(map[string]any)["id"] = "demo-client"
		}, "duplicate id"},
		{"malformed permission", func(o map[string]any) {
			o["roles"].([]any)[0].(map[string]any)["permissions"] = []any{"directory:user"}
		}, "not domain:entity:action"},
		{"partial wildcard", func(o map[string]any) {
			o["roles"].([]any)[0].(map[string]any)["permissions"] = []any{"directory:user*:add"}
		}, "not domain:entity:action"},
		{"password too short", func(o map[string]any) {
			o["users"].([]any)[0].(map[string]any)["password"] = "short"
		}, "password shorter"},
		{"duplicate id", func(o map[string]any) {
			o["roles"].([]any)[1].(map[string]any)["id"] = homeDivID
		}, "already used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(DefaultOrg())
			if err != nil {
				t.Fatal(err)
			}
			var o map[string]any
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			tt.mutate(o)
			raw, _ = json.Marshal(o)
			path := filepath.Join(t.TempDir(), "org.json")
			if err := os.WriteFile(path, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = LoadOrg(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadOrg error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// Go code may give a client tokens shorter than swagger.json's 5 minutes; the defaults of
// the org's short name, issuer and client name and grant type apply when they are empty.
func TestOrgGoDefaults(t *testing.T) {
	o := DefaultOrg()
	o.ShortName, o.SAMLIssuer = "", ""
	o.OAuthClients = []OrgClient{{ID: "bare", Secret: "bare-secret", AccessTokenValiditySeconds: 2}}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	w := newWorld(o, time.Now())
	cl := w.clients["bare"]
	if w.shortName != DefaultShortName || w.samlIssuer != DefaultSAMLIssuer || cl.name != "bare" ||
		cl.grantType != GrantClientCredentials || cl.validity != 2*time.Second || len(cl.roles) != 0 {
		t.Fatalf("world %q %q, client %+v", w.shortName, w.samlIssuer, cl)
	}
}

func TestSeedProfile(t *testing.T) {
	o := DefaultOrg()
	o.Users[1].Skills = map[string]float64{"Escalations": 4.5}
	o.Users[1].Languages = map[string]float64{"German": 2}
	o.Users[1].Locations = []string{"Remote", "Dublin Office"}
	o.Users[1].Queues = []string{"Support Tier 2", "Support Tier 1"}
	st := New(Options{Org: o}).State()
	sup, _ := st.User("existing.supervisor@example.com")
	if sup.Skills["Escalations"] != 4.5 || sup.Languages["German"] != 2 ||
		strings.Join(sup.Locations, ",") != "Remote,Dublin Office" || strings.Join(sup.Queues, ",") != "Support Tier 1,Support Tier 2" {
		t.Fatalf("supervisor %+v", sup)
	}
	agent, _ := st.User("existing.agent@example.com")
	if agent.ManagerID != supervisorID || agent.ManagerEmail != "existing.supervisor@example.com" || strings.Join(agent.Queues, ",") != "Billing" {
		t.Fatalf("agent %+v", agent)
	}
	if q, _ := st.Queue("Retention"); q.Division != "EMEA" || len(q.Members) != 0 {
		t.Fatalf("Retention %+v", q)
	}
}
