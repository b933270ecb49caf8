//go:build !unix || aix

package provision

// lockFile takes no lock: this system has no flock(2) (Windows, Plan 9, js/wasm, AIX). The
// report lock is then a no-op: it creates no file and never refuses a run, so keeping two runs
// of one report apart is left to the scheduler (see README "Running it in production").
func lockFile(string) (release func() error, err error) {
	return func() error { return nil }, nil
}
