package proxies

import (
	"strings"
	"testing"
)

// TestBaseURLRedactsCredentials checks that a GENESYS_API_URL (or a region) carrying
// credentials is refused with a message that shows neither the user name nor the password.
func TestBaseURLRedactsCredentials(t *testing.T) {
	const user, pass = "alice-the-user", "hunter2-s3cret"
	tests := []struct {
		name, region, apiURL string
		want                 string // in the message
	}{
		{name: "userinfo", apiURL: "https://" + user + ":" + pass + "@gateway.example.com", want: "REDACTED@gateway.example.com"},
		{name: "userinfo with path", apiURL: "https://" + user + ":" + pass + "@gateway.example.com/genesys/", want: "credentials"},
		{name: "user only", apiURL: "https://" + pass + "@gateway.example.com", want: "credentials"},
		{name: "userinfo over plain http", apiURL: "http://" + user + ":" + pass + "@10.0.0.1:8080", want: "REDACTED@10.0.0.1:8080"},
		{name: "userinfo loopback http", apiURL: "http://" + user + ":" + pass + "@127.0.0.1:8080", want: "credentials"},
		{name: "userinfo bad scheme", apiURL: "ftp://" + user + ":" + pass + "@127.0.0.1", want: "REDACTED"},
		{name: "unparsable", apiURL: "https://" + user + ":" + pass + "%zz@gateway.example.com", want: "not shown"},
		{name: "at sign read as fragment", apiURL: "https://" + user + ":123#" + pass + "@gateway.example.com", want: "not shown"},
		{name: "at sign read as path", apiURL: "https://" + user + ":1/" + pass + "@gateway.example.com", want: "not shown"},
		{name: "token in query", apiURL: "https://gateway.example.com/?access_token=" + pass, want: "?REDACTED"},
		{name: "token in fragment", apiURL: "https://gateway.example.com/#" + pass, want: "#REDACTED"},
		{name: "URL as region", region: "https://" + user + ":" + pass + "@mypurecloud.com", want: "unknown region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BaseURL(tt.region, tt.apiURL)
			if err == nil {
				t.Fatalf("accepted as %q", got)
			}
			msg := err.Error()
			for _, secret := range []string{pass, user} {
				if strings.Contains(msg, secret) {
					t.Errorf("message shows %q: %s", secret, msg)
				}
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not contain %q", msg, tt.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://gateway.example.com/genesys": `"https://gateway.example.com/genesys"`,
		"https://u:p@gateway.example.com/x":   `"https://REDACTED@gateway.example.com/x"`,
		"https://gateway.example.com?a=b#c":   `"https://gateway.example.com?REDACTED#REDACTED"`,
		"not a url":                           `"not a url"`,
		"u:p@host":                            `(not shown: it contains "@" and may carry credentials)`,
	} {
		if got := redactURL(raw); got != want {
			t.Errorf("redactURL(%q) = %s, want %s", raw, got, want)
		}
	}
}
