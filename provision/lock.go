package provision

import (
	"errors"
	"fmt"
	"sync"
)

// ErrReportLocked: another run holds the lock of the report path (see LockReport). Nothing
// has been written; the run must not start.
var ErrReportLocked = errors.New("the report is locked by another run")

// errLockHeld is what a platform's lockFile returns when another open file holds the lock.
var errLockHeld = errors.New("lock held")

// ReportLockedError is LockReport's error when another run holds the lock. Its Is reports
// ErrReportLocked.
type ReportLockedError struct {
	Report string // the report path
	Lock   string // its lock file: Report + ".lock"
}

func (e *ReportLockedError) Error() string {
	return fmt.Sprintf("another run is writing %s (lock %s is held); runs of the same file must not overlap",
		e.Report, e.Lock)
}

// Is reports whether target is ErrReportLocked.
func (e *ReportLockedError) Is(target error) bool { return target == ErrReportLocked }

// LockReport takes the lock of the report at reportPath, so that two runs never write the same
// report at once: an exclusive, non-blocking flock(2) on REPORT.lock, the report's path with
// ".lock" added (same directory), created with mode 0600 if it does not exist. A symbolic link
// or anything but a regular file at that path is refused.
//
// If another run holds the lock, LockReport returns a *ReportLockedError (errors.Is
// ErrReportLocked) at once, without waiting. The lock belongs to the open file, not to the
// process: a second LockReport of the same path in the same process fails too.
//
// The lock is released by unlock (safe to call more than once; later calls return the first
// call's result) or, whatever happens, when the process exits: the kernel drops it, so a run
// killed with SIGKILL leaves no stale lock. The lock file itself is left in place, empty: were
// the run to remove it, a second run that had opened the file just before the removal could
// take the lock on the removed file while a third created a new file at the path and locked
// that one, and the two would write the report at once.
//
// Where flock is not available (systems outside the unix build constraint, and AIX), LockReport
// takes no lock, creates no file and always succeeds (lock_other.go). On NFS, Linux turns flock
// into a POSIX record lock: it still excludes other machines, but not a second lock taken in
// the same process.
func LockReport(reportPath string) (unlock func() error, err error) {
	lockPath := reportPath + ".lock"
	release, err := lockFile(lockPath)
	if errors.Is(err, errLockHeld) {
		return nil, &ReportLockedError{Report: reportPath, Lock: lockPath}
	}
	if err != nil {
		return nil, fmt.Errorf("lock report %s: %w", reportPath, err)
	}
	var (
		once      sync.Once
		unlockErr error
	)
	return func() error {
		once.Do(func() { unlockErr = release() })
		return unlockErr
	}, nil
}
