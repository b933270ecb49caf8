package envconfig

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/user-provisioning/user-provisioning/proxies"
)

// The values GENESYS_GRANT takes.
const (
	GrantClientCredentials = proxies.GrantClientCredentials
	GrantSAML2Bearer       = proxies.GrantSAML2Bearer
	GrantPassword          = proxies.GrantPassword
)

// maxAssertionBytes caps the assertion file: a SAML response is a few kilobytes; anything
// near this size is not one.
const maxAssertionBytes = 1 << 20

// grantConfig fills cc's grant from GENESYS_GRANT and the variables that grant reads. The
// password and the assertion are never part of an error.
func grantConfig(e Env, cc *proxies.Config) error {
	raw := e.Get("GENESYS_GRANT")
	grant, ok := proxies.GrantName(raw)
	if !ok {
		return fmt.Errorf("GENESYS_GRANT %q: use %s (the default), %s or %s", strings.TrimSpace(raw), GrantClientCredentials, GrantSAML2Bearer, GrantPassword)
	}
	switch grant {
	case GrantClientCredentials:
		cc.Grant = grant
	case GrantSAML2Bearer:
		cc.Grant = grant
		path := e.Get("GENESYS_SAML2_ASSERTION_FILE")
		if path == "" {
			return errors.New("GENESYS_GRANT=saml2-bearer needs GENESYS_SAML2_ASSERTION_FILE, the file holding the SAML assertion")
		}
		assertion, err := ReadAssertion(path)
		if err != nil {
			return err
		}
		cc.Assertion = assertion
		if cc.OrgName = e.Get("GENESYS_ORG_NAME"); cc.OrgName == "" {
			return errors.New("GENESYS_GRANT=saml2-bearer needs GENESYS_ORG_NAME, the org's short name")
		}
	case GrantPassword:
		cc.Grant = grant
		cc.TokenURL = e.Get("GENESYS_TOKEN_URL")
		cc.Username = e.Get("GENESYS_USERNAME")
		cc.Password = e.Get("GENESYS_PASSWORD")
		var unset []string
		for _, v := range []struct{ name, value string }{{"GENESYS_TOKEN_URL", cc.TokenURL}, {"GENESYS_USERNAME", cc.Username}, {"GENESYS_PASSWORD", cc.Password}} {
			if v.value == "" {
				unset = append(unset, v.name)
			}
		}
		if len(unset) > 0 {
			return fmt.Errorf("GENESYS_GRANT=password needs %s", strings.Join(unset, ", "))
		}
	}
	return nil
}

// ReadAssertion reads a SAML assertion from path, as the identity provider gave it: base64
// (the SAMLResponse an IdP posts, line breaks allowed) or the raw XML, which it encodes. It
// returns the assertion in standard base64. Its errors name the file, never its content.
func ReadAssertion(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("GENESYS_SAML2_ASSERTION_FILE: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAssertionBytes+1))
	if err != nil {
		return "", fmt.Errorf("GENESYS_SAML2_ASSERTION_FILE: read %s: %w", path, err)
	}
	if len(data) > maxAssertionBytes {
		return "", fmt.Errorf("GENESYS_SAML2_ASSERTION_FILE: %s is over %d bytes: not a SAML assertion", path, maxAssertionBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "", fmt.Errorf("GENESYS_SAML2_ASSERTION_FILE: %s is empty", path)
	}
	if data[0] == '<' {
		return base64.StdEncoding.EncodeToString(data), nil
	}
	compact := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, string(data))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		raw, err := enc.DecodeString(compact)
		if err == nil && len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '<' {
			return base64.StdEncoding.EncodeToString(raw), nil
		}
	}
	return "", fmt.Errorf("GENESYS_SAML2_ASSERTION_FILE: %s holds neither XML nor base64-encoded XML", path)
}
