package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/user-provisioning/user-provisioning/cmd/internal/envconfig"
	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
)

// Why a run stopped early, as the report's skipped rows say it.
const (
	causeSignal     = "interrupted"
	causeTokenEnded = "the access token ran out"
)

// runStop is a run's graceful stop: its channel (provision.Options.Stop) is closed once, by
// a signal or by the end of a token that cannot be renewed, and the first of them is the
// cause. It is safe for concurrent use.
type runStop struct {
	ch    chan struct{}
	once  sync.Once
	mu    sync.Mutex
	cause string
}

func newRunStop() *runStop { return &runStop{ch: make(chan struct{})} }

// stop closes the channel with cause, unless it is closed already.
func (s *runStop) stop(cause string) {
	s.once.Do(func() {
		s.mu.Lock()
		s.cause = cause
		s.mu.Unlock()
		close(s.ch)
	})
}

// Cause is why the run stopped: "" while it runs on.
func (s *runStop) Cause() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

// stopCause is Cause for provision.Options.StopCause, which is asked only once stopped.
func (s *runStop) stopCause() string {
	if c := s.Cause(); c != "" {
		return c
	}
	return causeSignal
}

// watchTokenEnd stops the run gracefully when the client's token nears an end it cannot be
// renewed past (a SAML2 assertion serves once): no new row starts, and the rows in flight
// finish while the token lasts.
func watchTokenEnd(ctx context.Context, client *proxies.Client, s *runStop, log *zap.Logger) {
	ending := client.TokenEnding()
	go func() {
		select {
		case <-ending:
		case <-ctx.Done():
			return
		}
		s.stop(causeTokenEnded)
		log.Warn("the access token ends soon and the grant cannot renew it: no new row starts; rows in flight finish while it lasts",
			zap.String("grant", client.Grant()))
	}()
}

// freshAssertion is what to do once a SAML2 token ran out.
const freshAssertion = "put a fresh assertion in GENESYS_SAML2_ASSERTION_FILE and run again with --resume to finish"

// tokenEndedAdvice is the one line printed when a run stopped because its token ran out:
// only a SAML2 token cannot be renewed (proxies.Client.TokenEnding).
const tokenEndedAdvice = "user-provisioning: the SAML2 access token ran out, and an assertion serves only once: " + freshAssertion

// callsPerRowEstimate is what a typical file costs in requests a row (BENCHMARKS.md: 2.1 for
// users with roles, groups and a queue), rounded up: the estimate only warns.
const callsPerRowEstimate = 2.2

// noteTokenLife says, for a token that cannot be renewed, how long it is good, and warns
// when file looks too large to finish within that time at rate requests a minute.
func noteTokenLife(client *proxies.Client, file string, rate int, log *zap.Logger) {
	life := client.TokenLifetime()
	if client.Grant() != envconfig.GrantSAML2Bearer || life <= 0 {
		return
	}
	log.Info(fmt.Sprintf("the SAML2 access token is good for %s and cannot be renewed (an assertion serves once): the run stops when it ends", life))
	if file == "" || rate <= 0 {
		return
	}
	rows, err := countLines(file)
	if err != nil || rows <= 0 {
		return
	}
	need := time.Duration(float64(rows) * callsPerRowEstimate / float64(rate) * float64(time.Minute))
	if need > life*9/10 {
		log.Warn(fmt.Sprintf("%s has about %d rows: at --rate %d that is about %s of requests (%.1f a row), more than the token's %s; "+
			"the run will stop when the token ends: split the file, or re-run with a fresh assertion and --resume",
			file, rows, rate, need.Round(time.Minute), callsPerRowEstimate, life.Round(time.Second)))
	}
}

// countLines counts the lines of file after the header, quickly: a cell holding a line break
// counts twice, which only makes the estimate safer.
func countLines(file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	n, last := 0, byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n - 1, nil
}

// stoppedByToken reports whether the run stopped because its token ran out before every row
// was done: then it exits 3 with advice.
func stoppedByToken(s *runStop, sum provision.Summary) bool {
	return s.Cause() == causeTokenEnded && (sum.ByStatus[provision.StatusSkipped] > 0 || sum.ByStatus[provision.StatusFailed] > 0)
}
