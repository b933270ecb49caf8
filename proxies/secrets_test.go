package proxies

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// TestClientSecrets checks that Secrets holds the client secret and the tokens the
// simulator issued, the latest one after a refresh included.
func TestClientSecrets(t *testing.T) {
	c, sim := setup(t, gcsim.Options{})
	if got := c.Secrets(); !slices.Equal(got, []string{testSecret}) {
		t.Errorf("before any token: Secrets = %q, want the client secret alone", got)
	}
	ctx := context.Background()
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	_, gen, err := c.tr.tokens.slot(0).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.tr.tokens.slot(0).Invalidate(gen) // as after a 401: the next call fetches a new token
	if err := c.Authenticate(ctx); err != nil {
		t.Fatal(err)
	}
	issued := sim.IssuedTokens()
	if len(issued) != 2 {
		t.Fatalf("simulator issued %d tokens, want 2", len(issued))
	}
	if got, want := c.Secrets(), append([]string{testSecret}, issued...); !slices.Equal(got, want) {
		t.Errorf("Secrets = %q, want %q", got, want)
	}
}

// TestIssuedKeepsTheLatest checks that a long run keeps only the latest tokens.
func TestIssuedKeepsTheLatest(t *testing.T) {
	n := 0
	s := &tokenSource{now: time.Now, fetch: func(context.Context) (string, time.Duration, error) {
		n++
		return fmt.Sprintf("tok-%d", n), time.Hour, nil
	}}
	for range keptTokens + 3 {
		_, gen, err := s.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s.Invalidate(gen)
	}
	got := s.Issued()
	if len(got) != keptTokens || got[0] != "tok-4" || got[keptTokens-1] != fmt.Sprintf("tok-%d", keptTokens+3) {
		t.Errorf("Issued = %q, want the last %d of %d", got, keptTokens, keptTokens+3)
	}
}
