package envconfig

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testAssertion = `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1"><saml2:Subject><saml2:NameID>ann@example.com</saml2:NameID></saml2:Subject></saml2:Assertion>`

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "assertion")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadAssertion(t *testing.T) {
	want := base64.StdEncoding.EncodeToString([]byte(testAssertion))
	wrapped := want[:40] + "\r\n" + want[40:] + "\n"
	for name, body := range map[string]string{
		"raw XML":               testAssertion,
		"raw XML with BOM":      "\uFEFF\n" + testAssertion + "\n",
		"base64":                want,
		"base64 in lines":       wrapped,
		"base64 without pad":    base64.RawStdEncoding.EncodeToString([]byte(testAssertion)),
		"base64 URL alphabet":   base64.URLEncoding.EncodeToString([]byte(testAssertion)),
		"base64 with no spaces": strings.TrimSpace(want),
	} {
		got, err := ReadAssertion(writeFile(t, body))
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v; want the standard base64 of the XML", name, got, err)
		}
	}
	for name, body := range map[string]string{
		"empty":          "  \n",
		"not base64":     "this is not an assertion at all!",
		"base64 not XML": base64.StdEncoding.EncodeToString([]byte("secret-not-xml")),
		"too large":      strings.Repeat("A", maxAssertionBytes+4),
	} {
		_, err := ReadAssertion(writeFile(t, body))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), "GENESYS_SAML2_ASSERTION_FILE") || strings.Contains(err.Error(), "secret-not-xml") || strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("%s: the error must name the variable and never the content: %v", name, err)
		}
	}
	if _, err := ReadAssertion(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "GENESYS_SAML2_ASSERTION_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

func TestGrantConfig(t *testing.T) {
	for _, name := range []string{"GENESYS_GRANT", "GENESYS_SAML2_ASSERTION_FILE", "GENESYS_ORG_NAME", "GENESYS_TOKEN_URL", "GENESYS_USERNAME", "GENESYS_PASSWORD", "GENESYS_API_URL", "GENESYS_ORG_REGION", "GENESYSCLOUD_REGION"} {
		t.Setenv(name, "")
	}
	assertion := writeFile(t, testAssertion)
	for _, tc := range []struct {
		name    string
		env     Env
		grant   string
		wantErr string // "" for none
	}{
		{"default", Env{}, GrantClientCredentials, ""},
		{"explicit", Env{"GENESYS_GRANT": "client_credentials"}, GrantClientCredentials, ""},
		{"unknown", Env{"GENESYS_GRANT": "implicit"}, "", `GENESYS_GRANT "implicit": use client_credentials (the default), saml2-bearer or password`},
		{"saml2 without file", Env{"GENESYS_GRANT": "saml2-bearer", "GENESYS_ORG_NAME": "acme"}, "", "needs GENESYS_SAML2_ASSERTION_FILE"},
		{"saml2 without org", Env{"GENESYS_GRANT": "SAML2-Bearer", "GENESYS_SAML2_ASSERTION_FILE": assertion}, "", "needs GENESYS_ORG_NAME"},
		{"saml2", Env{"GENESYS_GRANT": "saml2-bearer", "GENESYS_SAML2_ASSERTION_FILE": assertion, "GENESYS_ORG_NAME": "acme"}, GrantSAML2Bearer, ""},
		{"password missing two", Env{"GENESYS_GRANT": "password", "GENESYS_USERNAME": "ann@example.com"}, "", "needs GENESYS_TOKEN_URL, GENESYS_PASSWORD"},
		{"password", Env{"GENESYS_GRANT": "password", "GENESYS_TOKEN_URL": "https://auth.example.com/auth/v3/oauth/token", "GENESYS_USERNAME": "ann@example.com", "GENESYS_PASSWORD": "pw-Secret-1"}, GrantPassword, ""},
	} {
		cc, err := ClientConfig(tc.env)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr == "" && cc.Grant != tc.grant:
			t.Errorf("%s: grant %q, want %q", tc.name, cc.Grant, tc.grant)
		}
		if err != nil && strings.Contains(err.Error(), "pw-Secret-1") {
			t.Errorf("%s: the password is in the error: %v", tc.name, err)
		}
	}
	cc, err := ClientConfig(Env{"GENESYS_GRANT": "saml2-bearer", "GENESYS_SAML2_ASSERTION_FILE": assertion, "GENESYS_ORG_NAME": "acme"})
	if err != nil || cc.Assertion != base64.StdEncoding.EncodeToString([]byte(testAssertion)) || cc.OrgName != "acme" {
		t.Errorf("saml2 config: %v, assertion %q, org %q", err, cc.Assertion, cc.OrgName)
	}
}
