package proxies

import (
	"context"
	"errors"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
)

// Retry constants for eventual consistency, the way Genesys's own Terraform provider retries
// the same endpoints: version conflicts 10 times with growing waits ((i+1)×500 ms there), and
// the 404s, 400s and 409s of objects that are not known everywhere yet until they are.
const (
	// versionAttempts bounds the writes of one versioned change: each conflict means another
	// writer won, or that a group's last change is still being applied (member adds answer
	// 202 and the version GET shows lags), which settles within seconds.
	versionAttempts = 10
	// settleBase and settleCap shape the waits between such retries: exponential, with full
	// jitter for version conflicts (writers that collided must not collide again) and
	// half-jitter for settling (each wait at least half its step, so the total is bounded
	// below and a lag of a second or two is waited out in a few tries).
	settleBase = 250 * time.Millisecond
	settleCap  = 4 * time.Second
	// settleWindow bounds the waiting for one call to settle: longer than the moments
	// Genesys needs (about a second), short enough that a real 404 fails its row soon.
	settleWindow = 20 * time.Second
)

// errSettled tells onVersion that the object is already as wanted: nothing to write.
var errSettled = errors.New("already settled")

// onVersion is the one loop for writes that carry an object's version (users, groups). It
// writes with known, or when known is 0 with what read returns, and after a version conflict
// waits (exponential backoff, full jitter), reads again and retries, at most versionAttempts
// times; each retry counts in Stats.Retries. read may return errSettled.
func (c *Client) onVersion(ctx context.Context, known int, read func() (int, error), write func(version int) error) error {
	version := known
	var err error
	for attempt := range versionAttempts {
		if attempt > 0 {
			c.tr.note(func(s *Stats) { s.Retries++ })
			step := min(settleCap, settleBase<<min(attempt-1, 8))
			if err := c.tr.sleep(ctx, time.Duration(c.tr.rand()*float64(step))); err != nil {
				return err
			}
		}
		if version == 0 {
			if version, err = read(); err != nil {
				if errors.Is(err, errSettled) {
					return nil
				}
				return err
			}
		}
		if err = write(version); !errors.Is(err, provision.ErrConflict) {
			return err
		}
		version = 0
	}
	return err
}

// settle repeats call while pending says its error is a moment of eventual consistency (an
// object the service does not know everywhere yet), waiting settleBase, then twice as long
// each time up to settleCap, each wait between half and all of its step, for at most
// settleWindow in all; each repeat counts in Stats.Retries. It returns call's last error.
func (c *Client) settle(ctx context.Context, pending func(error) bool, call func() error) error {
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil || !pending(err) || waited >= settleWindow {
			return err
		}
		c.tr.note(func(s *Stats) { s.Retries++ })
		step := min(settleCap, settleBase<<min(attempt, 8))
		d := step/2 + time.Duration(c.tr.rand()*float64(step/2))
		if err := c.tr.sleep(ctx, d); err != nil {
			return err
		}
		waited += d
	}
}

// notFoundYet reports a 404: for a user created or restored moments ago, role grants and
// phone creation answer it until the auth service knows the user (TF retries both on 404).
func notFoundYet(err error) bool { return errors.Is(err, provision.ErrNotFound) }

// removed reports whether a removal's error means it was done: a 404 to a call that the
// transport repeated after an ambiguous failure, whose earlier attempt did the removal.
func removed(err error, repeated interface{ Load() bool }) bool {
	return errors.Is(err, provision.ErrNotFound) && repeated.Load()
}
