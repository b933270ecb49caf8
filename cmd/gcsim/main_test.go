package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStops(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-org", "../../testdata/org.json", "-url-file", urlFile, "-v"}, &stdout, &stderr)
	}()
	var url string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(urlFile); err == nil {
			url = strings.TrimSpace(string(b))
			break
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("no url file; stderr: %s", stderr.String())
	}
	if first, _, _ := strings.Cut(stdout.String(), "\n"); first != "gcsim listening on "+url {
		t.Fatalf("first stdout line %q, url file %q", first, url)
	}
	resp, err := http.Get(url + "/__sim/counters")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("counters: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
	if _, err := os.Stat(urlFile); !os.IsNotExist(err) {
		t.Errorf("url file left behind: %v", err)
	}
	if !strings.Contains(stderr.String(), "GET /__sim/counters 200") {
		t.Errorf("request log missing: %s", stderr.String())
	}
}

func TestRunRefusesBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"remote addr", []string{"-addr", "0.0.0.0:0"}, "not a loopback address"},
		{"empty host", []string{"-addr", ":8080"}, "not a loopback address"},
		{"bad ratio", []string{"-drop", "2"}, "between 0 and 1"},
		{"negative mint rate", []string{"-token-mint-rate", "-1"}, "-token-mint-rate"},
		{"missing org", []string{"-org", "no/such/org.json"}, "load org"},
		{"argument", []string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			if code := run(context.Background(), tt.args, &stdout, &stderr); code != 2 {
				t.Fatalf("exit code %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestRateFlags(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		perClient bool
		mint      int
	}{
		{"defaults: a window per token, Genesys-like minting", nil, false, gcsim.DefaultTokenMintPerMinute},
		{"per client", []string{"-rate-per-client"}, true, gcsim.DefaultTokenMintPerMinute},
		{"mint limit", []string{"-token-mint-rate", "5"}, false, 5},
		{"mint unlimited", []string{"-token-mint-rate", "0"}, false, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr syncBuffer
			cfg, code := parse(append([]string{"-org", "../../testdata/org.json", "-latency", "150ms"}, tt.args...), &stderr)
			if cfg == nil {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			o := cfg.opts
			if o.RatePerClient != tt.perClient || o.TokenMintPerMinute != tt.mint || o.RatePerMinute != 300 || o.Latency != 150*time.Millisecond {
				t.Errorf("RatePerClient %v, TokenMintPerMinute %d, RatePerMinute %d, Latency %s; want %v, %d, 300, 150ms",
					o.RatePerClient, o.TokenMintPerMinute, o.RatePerMinute, o.Latency, tt.perClient, tt.mint)
			}
		})
	}
}

// The org file's OAuth clients, roles' permissions and passwords load from -org: the
// password client logs the supervisor in, whose token reads itself, and the default
// client's role may not delete a user.
func TestOrgFilePeopleAndPermissions(t *testing.T) {
	var stderr syncBuffer
	cfg, code := parse([]string{"-org", "../../testdata/org.json"}, &stderr)
	if cfg == nil {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	srv := httptest.NewServer(gcsim.New(cfg.opts))
	defer srv.Close()
	token := func(path, id, secret string, form url.Values) string {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		return tok.AccessToken
	}
	get := func(method, path, tok string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	person := token("/auth/v3/oauth/token", "gcsim-password-client", "gcsim-password-secret-not-real", url.Values{
		"grant_type": {"password"}, "username": {"existing.supervisor@example.com"},
		"password": {"supervisor-password-not-real"}, "client_id": {"gcsim-password-client"},
	})
	if status, body := get("GET", "/api/v2/users/me", person); status != 200 || !strings.Contains(body, "existing.supervisor@example.com") {
		t.Fatalf("users/me: %d %s", status, body)
	}
	client := token("/oauth/token", "demo-client", "demo-secret-not-real", url.Values{"grant_type": {"client_credentials"}})
	if status, body := get("DELETE", "/api/v2/users/0e000000-0000-4000-8000-000000000005", client); status != 403 || !strings.Contains(body, "missing.any.permissions") {
		t.Fatalf("delete with demo-client: %d %s", status, body)
	}
}

// TestAssertion: `gcsim assertion EMAIL` prints an assertion the simulator exchanges for a
// token acting as that person, once.
func TestAssertion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"assertion", "existing.supervisor@example.com"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	srv := gcsim.NewServer(t, gcsim.Options{})
	form := url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:saml2-bearer"},
		"assertion":  {base64.StdEncoding.EncodeToString(bytes.TrimSpace(out.Bytes()))},
		"orgName":    {gcsim.DefaultShortName},
	}
	for i, want := range []int{http.StatusOK, http.StatusBadRequest} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("gcsim-saml-client", "gcsim-saml-secret-not-real")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("exchange %d: HTTP %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if code := run(context.Background(), []string{"assertion"}, &out, &errb); code != 2 {
		t.Errorf("no email: exit %d, want 2", code)
	}
}
