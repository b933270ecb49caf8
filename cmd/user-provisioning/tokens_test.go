package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// --tokens N holds a pool of N access tokens: the rows all end ok, the summary names the pool
// and the 429s of each token, and the workers scale with the pool unless --workers is given.
func TestTokensPool(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	rows := users(6, "pool")
	r := e.run("--tokens", "2", "--report", e.report("pool.results.csv"), e.file("pool.csv", rows...))
	if r.code != 0 || len(r.report) != len(rows) {
		t.Fatalf("exit %d, %d report rows\n%s", r.code, len(r.report), r.stderr)
	}
	if !strings.Contains(r.stderr, "a pool of 2 access tokens") || !strings.Contains(r.stderr, "429s by token: 0, 0") {
		t.Errorf("summary does not describe the pool:\n%s", r.stderr)
	}
	checkAllProvisioned(t, e.srv.Sim, rows)

	f, _, err := parseFlags([]string{"--tokens", "3", "x.csv"}, &bytes.Buffer{})
	if err != nil || f.workersFor(3) != 12 {
		t.Errorf("--tokens 3: %v, %d workers; want 12", err, f.workersFor(3))
	}
	f, _, _ = parseFlags([]string{"--tokens", "3", "--workers", "5", "x.csv"}, &bytes.Buffer{})
	if f.workersFor(3) != 5 {
		t.Errorf("--workers 5 --tokens 3: %d workers, want 5", f.workersFor(3))
	}
	if _, _, err := parseFlags([]string{"--tokens", "51", "x.csv"}, &bytes.Buffer{}); err == nil {
		t.Error("--tokens 51: no error")
	}
}

// GENESYS_TOKENS sets the pool when --tokens does not; a bad value names the variable.
func TestTokensFromEnvironment(t *testing.T) {
	env := map[string]string{}
	get := func(keys ...string) string { return env[keys[0]] }
	for _, tt := range []struct {
		flag    int
		env     string
		want    int
		wantErr bool
	}{
		{0, "", 1, false},
		{0, "4", 4, false},
		{2, "4", 2, false},
		{0, "lots", 0, true},
		{0, "0", 0, true},
	} {
		env["GENESYS_TOKENS"] = tt.env
		n, err := flags{tokens: tt.flag}.poolSize(get)
		if n != tt.want || (err != nil) != tt.wantErr || (err != nil && !strings.Contains(err.Error(), "GENESYS_TOKENS")) {
			t.Errorf("--tokens %d, GENESYS_TOKENS=%q: %d, %v; want %d (error %v)", tt.flag, tt.env, n, err, tt.want, tt.wantErr)
		}
	}
}
