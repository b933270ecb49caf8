//go:build unix

package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRefuseFIFO checks that a pipe as the input is refused at once, not read forever.
func TestRefuseFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "users.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	// Should the code under test block, a writer opening the pipe unblocks it, so that the
	// test fails rather than hangs.
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					_ = f.Close()
				}
			}
		}
	}()
	check := func(name string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "not a regular file: a pipe") || !strings.Contains(err.Error(), fifo) {
			t.Errorf("%s = %v, want a refusal naming %s as a pipe", name, err, fifo)
		}
	}
	start := time.Now()
	r, err := OpenCSV(fifo)
	if err == nil {
		r.Close()
	}
	check("OpenCSV", err)
	o := quick(fifo)
	o.ReportPath = filepath.Join(t.TempDir(), "r.csv")
	_, err = Run(context.Background(), newFakeOrg().services(), o)
	check("Run", err)
	if _, serr := os.Stat(o.ReportPath); serr == nil {
		t.Error("Run wrote a report")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("took %v: blocked on the pipe", d)
	}

	// A report path that is a pipe is refused too: opening it would block.
	o = quick(writeCSV(t, row("Ann", ",,,")))
	o.ReportPath = fifo
	_, err = Run(context.Background(), newFakeOrg().services(), o)
	check("Run with a pipe as the report", err)
}
