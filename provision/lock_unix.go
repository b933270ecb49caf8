//go:build unix && !aix

package provision

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile opens or creates the lock file at path (mode 0600) and takes an exclusive,
// non-blocking flock on it. It returns errLockHeld if another open file holds the lock.
// release unlocks and closes the file, which stays on disk.
//
// The descriptor is kept raw, not in an *os.File, so that no finalizer can close it (and drop
// the lock) while the run goes on. O_NOFOLLOW refuses a symbolic link at path; O_NONBLOCK
// keeps the open from hanging on a FIFO or a device planted there, which the regular-file
// check then refuses; O_CLOEXEC keeps the descriptor, and so the lock, out of child processes.
func lockFile(path string) (release func() error, err error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := lockFD(fd, path); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	return func() error {
		// LOCK_UN first: it releases the lock even if a fork in progress elsewhere in the
		// process briefly holds a copy of the descriptor.
		unlockErr := unix.Flock(fd, unix.LOCK_UN)
		if err := unix.Close(fd); err != nil {
			return &os.PathError{Op: "close", Path: path, Err: err}
		}
		if unlockErr != nil {
			return &os.PathError{Op: "unlock", Path: path, Err: unlockErr}
		}
		return nil
	}, nil
}

// lockFD checks that fd is a regular file and locks it.
func lockFD(fd int, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("lock file %s is not a regular file", path)
	}
	err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return errLockHeld
	}
	if err != nil {
		return &os.PathError{Op: "flock", Path: path, Err: err}
	}
	return nil
}
