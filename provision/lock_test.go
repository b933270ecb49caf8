//go:build unix && !aix

package provision

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLockReport checks that a second lock on a report fails while the first is held, even in
// the same process (flock belongs to the open file), and succeeds once the first is released;
// and that the lock file is created with mode 0600 and left in place.
func TestLockReport(t *testing.T) {
	report := filepath.Join(t.TempDir(), "users.results.csv")
	unlock, err := LockReport(report)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Lstat(report + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode = %v, want a regular file with mode 0600", st.Mode())
	}

	_, err = LockReport(report)
	if !errors.Is(err, ErrReportLocked) {
		t.Fatalf("second LockReport: err = %v, want ErrReportLocked", err)
	}
	want := "another run is writing " + report + " (lock " + report + ".lock is held); runs of the same file must not overlap"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	if err := unlock(); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock: %v, want nil", err)
	}
	if _, err := os.Lstat(report + ".lock"); err != nil {
		t.Errorf("lock file after unlock: %v, want it left in place", err)
	}
	unlock, err = LockReport(report)
	if err != nil {
		t.Fatalf("LockReport after unlock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}

// lockHelperEnv makes the test binary, re-executed by TestLockReportHeldByAnotherProcess, hold
// the lock of the report it names until it is killed.
const lockHelperEnv = "PROVISION_TEST_LOCK_HELPER"

// TestLockReportHeldByAnotherProcess checks the lock across processes: a run is refused while
// another process holds the lock, and the lock goes when that process dies without unlocking.
func TestLockReportHeldByAnotherProcess(t *testing.T) {
	if report := os.Getenv(lockHelperEnv); report != "" {
		holdLock(report)
	}
	report := filepath.Join(t.TempDir(), "users.results.csv")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestLockReportHeldByAnotherProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+report)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if out := readUntil(stdout, "locked"); out != "locked" {
		t.Fatalf("the helper process did not take the lock: %q", out)
	}

	if _, err := LockReport(report); !errors.Is(err, ErrReportLocked) {
		t.Fatalf("LockReport while another process holds the lock: err = %v, want ErrReportLocked", err)
	}

	// SIGKILL: the helper never unlocks; the kernel releases the lock as the process ends.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	unlock, err := LockReport(report)
	if err != nil {
		t.Fatalf("LockReport after the holder was killed: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}

// holdLock is the helper process: it takes the lock, says "locked" and waits to be killed.
func holdLock(report string) {
	if _, err := LockReport(report); err != nil {
		os.Stdout.WriteString("error: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("locked\n")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin or kills us
	os.Exit(0)
}

// readUntil returns the first line of r equal to want, or all that r said if none was.
func readUntil(r io.Reader, want string) string {
	var seen []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == want {
			return want
		}
		seen = append(seen, sc.Text())
	}
	return strings.Join(seen, "\n")
}

// TestLockReportRefusesOddFiles checks that a symbolic link at the lock path is not followed
// and that a FIFO there is refused at once rather than opened and waited on.
func TestLockReportRefusesOddFiles(t *testing.T) {
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		report := filepath.Join(dir, "users.results.csv")
		target := filepath.Join(dir, "elsewhere")
		if err := os.Symlink(target, report+".lock"); err != nil {
			t.Fatal(err)
		}
		_, err := LockReport(report)
		if err == nil || errors.Is(err, ErrReportLocked) || !strings.Contains(err.Error(), report) {
			t.Errorf("err = %v, want an error naming %s that is not ErrReportLocked", err, report)
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the link's target was created (%v)", err)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		report := filepath.Join(t.TempDir(), "users.results.csv")
		if err := unix.Mkfifo(report+".lock", 0o600); err != nil {
			t.Skip(err)
		}
		_, err := LockReport(report)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("err = %v, want 'not a regular file'", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		report := filepath.Join(t.TempDir(), "nodir", "users.results.csv")
		_, err := LockReport(report)
		if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), report) {
			t.Errorf("err = %v, want not-exist naming %s", err, report)
		}
	})
}
