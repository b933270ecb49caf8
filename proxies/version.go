package proxies

import (
	"errors"

	"github.com/user-provisioning/user-provisioning/provision"
)

// versionAttempts bounds re-reads of an object's version: each conflict means another
// writer won a race, which settles within a few tries.
const versionAttempts = 6

// errSettled tells onVersion that the object is already as wanted: nothing to write.
var errSettled = errors.New("already settled")

// onVersion is the one loop for writes that carry an object's version (users, groups). It
// writes with known, or when known is 0 with what read returns, and after a version conflict
// reads again and retries, at most versionAttempts times. read may return errSettled.
func onVersion(known int, read func() (int, error), write func(version int) error) error {
	version := known
	var err error
	for range versionAttempts {
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
