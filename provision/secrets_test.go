package provision

import (
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// TestRunScrubsRunSecrets runs rows whose creates fail with errors that echo the client
// secret and the tokens, one of them issued during the run: the report shows [redacted].
func TestRunScrubsRunSecrets(t *testing.T) {
	const clientSecret = "cl1ent-s3cret/value"
	var mu sync.Mutex
	tokens := []string{"tok-first+A="}
	f := newFakeOrg()
	f.CreateFunc = func(in NewUser) error {
		mu.Lock()
		// A refresh during the run: the new token must be scrubbed from later rows too.
		tok := "tok-" + strings.ToLower(in.Email[:3]) + "/B?"
		tokens = append(tokens, tok)
		first := tokens[0]
		mu.Unlock()
		return &RemoteError{Op: "POST /api/v2/users", Status: 400, Code: "bad.request", Kind: ErrRejected,
			Message:       "echo secret=" + clientSecret + " escaped=" + url.QueryEscape(clientSecret) + " tokens=" + first + "," + tok,
			CorrelationID: "corr-" + tok}
	}
	o := quick(writeCSV(t, row("Ann", ",,,"), row("Bob", ",,,")))
	o.Secrets = func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string{clientSecret}, tokens...)
	}
	if _, err := Run(context.Background(), f.services(), o); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(o.ReportPath)
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	for _, bad := range []string{clientSecret, url.QueryEscape(clientSecret), "tok-"} {
		if strings.Contains(report, bad) {
			t.Errorf("report contains %q:\n%s", bad, report)
		}
	}
	if n := strings.Count(report, redacted); n < 2*5 {
		t.Errorf("report has %d [redacted], want at least 10:\n%s", n, report)
	}
}

func TestRedactor(t *testing.T) {
	var current []string
	r := NewRedactor(func() []string { return current })
	if got := r.Redact("a secret"); got != "a secret" {
		t.Errorf("no secrets: Redact = %q", got)
	}
	current = []string{"s3cret", ""}
	if got, want := r.Redact(`x s3cret "s3cret"`), `x [redacted] "[redacted]"`; got != want {
		t.Errorf("Redact = %q, want %q", got, want)
	}
	current = append(current, "t/ok")
	if got, want := r.Redact("t/ok t%2Fok s3cret"), "[redacted] [redacted] [redacted]"; got != want {
		t.Errorf("after a new secret: Redact = %q, want %q", got, want)
	}
	var none *Redactor
	if got := none.Redact("s3cret"); got != "s3cret" {
		t.Errorf("nil Redactor: %q", got)
	}
}
