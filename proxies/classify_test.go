package proxies

import (
	"errors"
	"testing"

	"github.com/user-provisioning/user-provisioning/provision"
)

func TestKind(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		want   error
	}{
		{"expired or revoked token", 401, "bad.credentials", provision.ErrAuth},
		{"no token", 401, "authentication.required", provision.ErrAuth},
		{"missing permission", 403, "missing.permissions", provision.ErrForbidden},
		{"not found", 404, "not.found", provision.ErrNotFound},
		{"stale version", 409, "general.conflict", provision.ErrConflict},
		{"duplicate email as 400", 400, "general.conflict", provision.ErrConflict},
		{"bad password", 400, "invalid.password", provision.ErrRejected},
		{"bad request", 400, "bad.request", provision.ErrRejected},
		{"client timeout", 408, "client.timeout", provision.ErrTransient},
		{"rate limited", 429, "too.many.requests.retry.after", provision.ErrTransient},
		{"server error", 500, "internal.server.error", provision.ErrTransient},
		{"unavailable", 503, "service.unavailable", provision.ErrTransient},
		{"gateway timeout", 504, "request.timeout", provision.ErrTransient},
		{"not implemented", 501, "", provision.ErrRejected},
		{"entity too large", 413, "request.entity.too.large", provision.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kind(tt.status, tt.code); got != tt.want {
				t.Errorf("kind(%d, %q) = %v, want %v", tt.status, tt.code, got, tt.want)
			}
			re := &provision.RemoteError{Status: tt.status, Code: tt.code, Kind: kind(tt.status, tt.code)}
			if !errors.Is(re, tt.want) {
				t.Errorf("RemoteError does not match %v", tt.want)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		region, apiURL, want string
		wantErr              bool
	}{
		{region: "", want: "https://api.mypurecloud.com"},
		{region: "us_east_1", want: "https://api.mypurecloud.com"},
		{region: "eu-west-2", want: "https://api.euw2.pure.cloud"},
		{region: "EU_CENTRAL_1", want: "https://api.mypurecloud.de"},
		{region: "mypurecloud.ie", want: "https://api.mypurecloud.ie"},
		{region: "usw2.pure.cloud", want: "https://api.usw2.pure.cloud"},
		{region: "api.cac1.pure.cloud", want: "https://api.cac1.pure.cloud"},
		{region: "mars_north_1", wantErr: true},
		{region: "us_east_1", apiURL: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080"},
		{apiURL: "http://localhost:9", want: "http://localhost:9"},
		{apiURL: "http://[::1]:9", want: "http://[::1]:9"},
		{apiURL: "https://gateway.example.com/genesys", want: "https://gateway.example.com/genesys"},
		{apiURL: "http://gateway.example.com", wantErr: true},
		{apiURL: "http://10.0.0.1:8080", wantErr: true},
		{apiURL: "ftp://127.0.0.1", wantErr: true},
		{apiURL: "https://user:pw@gateway.example.com", wantErr: true},
		{apiURL: "not a url", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.region+"|"+tt.apiURL, func(t *testing.T) {
			got, err := BaseURL(tt.region, tt.apiURL)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoginURL(t *testing.T) {
	for base, want := range map[string]string{
		"https://api.mypurecloud.com": "https://login.mypurecloud.com/oauth/token",
		"https://api.usw2.pure.cloud": "https://login.usw2.pure.cloud/oauth/token",
		"http://127.0.0.1:8080":       "http://127.0.0.1:8080/oauth/token",
	} {
		if got := loginURL(base); got != want {
			t.Errorf("loginURL(%q) = %q, want %q", base, got, want)
		}
	}
}

func TestRoute(t *testing.T) {
	got := route("PUT", "/api/v2/users/0e000000-0000-4000-8000-000000000001/station/defaultstation/57a70000-0000-4000-8000-000000000001")
	if want := "PUT /api/v2/users/{id}/station/defaultstation/{id}"; got != want {
		t.Errorf("route = %q, want %q", got, want)
	}
}
