package envconfig

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGetPrecedence(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	body := "GENESYS_CLIENT_ID=from-file\nGENESYSCLOUD_OAUTHCLIENT_ID=cx-file\nGENESYSCLOUD_REGION=usw2.pure.cloud\nGENESYS_ORG_REGION=\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Load(p, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GENESYS_CLIENT_ID", "")
	t.Setenv("GENESYS_CLIENT_SECRET", "from-env")
	t.Setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "cx-env")
	t.Setenv("GENESYS_ORG_REGION", "")
	t.Setenv("GENESYSCLOUD_REGION", "")
	t.Setenv("GENESYS_API_URL", "")
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"GENESYS_CLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_ID"}, "from-file"},        // "" in the environment is not set
		{[]string{"GENESYS_CLIENT_SECRET", "GENESYSCLOUD_OAUTHCLIENT_SECRET"}, "from-env"}, // the first name wins
		{[]string{"GENESYS_ORG_REGION", "GENESYSCLOUD_REGION"}, "usw2.pure.cloud"},         // the fallback, from the file
		{[]string{"GENESYS_SMOKE_NOT_SET_ANYWHERE"}, ""},
	} {
		if got := e.Get(tc.names...); got != tc.want {
			t.Errorf("Get(%v) = %q, want %q", tc.names, got, tc.want)
		}
	}
	t.Setenv("GENESYS_CLIENT_ID", "from-env")
	if got := e.Get("GENESYS_CLIENT_ID"); got != "from-env" {
		t.Errorf("the environment does not win over the file: %q", got)
	}
	cc, err := ClientConfig(e)
	if err != nil {
		t.Fatal(err)
	}
	if cc.ClientID != "from-env" || cc.ClientSecret != "from-env" || cc.BaseURL != "https://api.usw2.pure.cloud" {
		t.Errorf("ClientConfig = %+v", cc)
	}
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), ".env")
	if e, err := Load(missing, true); err != nil || len(e) != 0 {
		t.Errorf("optional missing file: %v, %v", e, err)
	}
	if _, err := Load(missing, false); err == nil {
		t.Error("a missing file given by name is not an error")
	}
}

func TestNewLoggerLevel(t *testing.T) {
	if _, err := NewLogger("", "loud", false, os.Stderr, nil); err == nil {
		t.Error("an unknown level is not an error")
	}
	if _, err := NewLogger("console", "warn", false, os.Stderr, nil); err != nil {
		t.Error(err)
	}
}
