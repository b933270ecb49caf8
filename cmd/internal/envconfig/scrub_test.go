package envconfig

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
)

type stringer string

func (s stringer) String() string { return string(s) }

func TestLoggerScrubsSecrets(t *testing.T) {
	for _, format := range []string{"json", "console"} {
		t.Run(format, func(t *testing.T) {
			const secret = "cl1ent-s3cret"
			var mu sync.Mutex
			secrets := []string{secret}
			current := func() []string { mu.Lock(); defer mu.Unlock(); return secrets }
			var buf bytes.Buffer
			log, err := NewLogger(format, "debug", false, &buf, current)
			if err != nil {
				t.Fatal(err)
			}
			// A field given before the token exists is scrubbed of it all the same.
			log = log.With(zap.String("echo", "early tok-2/x"))
			mu.Lock()
			secrets = append(secrets, "tok-2/x")
			mu.Unlock()
			log.Debug("answer: "+secret,
				zap.String("body", `{"secret":"`+secret+`"}`),
				zap.Error(fmt.Errorf("wrapped: %w", errors.New("token tok-2/x"))),
				zap.Stringer("url", stringer("/x?t=tok-2%2Fx")),
				zap.Strings("list", []string{"a", secret}),
				zap.Int("n", 7))
			out := buf.String()
			for _, bad := range []string{secret, "tok-2"} {
				if strings.Contains(out, bad) {
					t.Errorf("log contains %q:\n%s", bad, out)
				}
			}
			if n := strings.Count(out, "[redacted]"); n != 6 {
				t.Errorf("log has %d [redacted], want 6:\n%s", n, out)
			}
			if !strings.Contains(out, "7") {
				t.Errorf("log lost a number field:\n%s", out)
			}
		})
	}
}

func TestLoggerCapsFields(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger("json", "info", false, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 3*maxLogChars)
	log.Info(long, zap.String("body", long))
	out := buf.String()
	if n := strings.Count(out, "é"); n > 2*maxLogChars || strings.Count(out, logCut) != 2 {
		t.Errorf("log has %d é and %d cut markers, want at most %d and 2", n, strings.Count(out, logCut), 2*maxLogChars)
	}
}
