package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
)

// progressEvery is how often a progress line is logged: what a cron log wants.
const progressEvery = 10 * time.Second

// progressBarEvery is how often the progress bar is redrawn: 5 times a second.
const progressBarEvery = 200 * time.Millisecond

// progressMode is the progress display that --progress asks for: bar, log or off. auto
// is the bar when stderr is a terminal, the log line otherwise.
func progressMode(flag string, tty bool) string {
	if flag != "auto" {
		return flag
	}
	if tty {
		return "bar"
	}
	return "log"
}

// rowRate is the row rate since the start of a run and, when it can tell, the time left.
func rowRate(done, total int64, elapsed time.Duration) (perSec float64, eta time.Duration, ok bool) {
	if elapsed > 0 {
		perSec = float64(done) / elapsed.Seconds()
	}
	if perSec > 0 && total > done {
		return perSec, time.Duration(float64(total-done) / perSec * float64(time.Second)).Round(time.Second), true
	}
	return perSec, 0, false
}

// reportProgress logs a structured progress line every period until the returned function
// is called: rows done and total, the row rate, an ETA, failures and the current pacing.
func reportProgress(log *zap.Logger, pr *provision.Progress, client *proxies.Client, period time.Duration) func() {
	start := time.Now()
	return every(period, func() {
		n, total := pr.Done.Load(), pr.Total.Load()
		perSec, eta, ok := rowRate(n, total, time.Since(start))
		fields := []zap.Field{zap.Int64("done", n), zap.Int64("total", total), zap.Int64("failed", pr.Failed.Load()),
			zap.Float64("rows_per_s", math.Round(perSec*100)/100)}
		if ok {
			fields = append(fields, zap.Duration("eta", eta))
		}
		if client != nil {
			fields = append(fields, zap.Float64("pacing_per_min", math.Round(client.Pacing())))
			if n := client.PoolSize(); n > 1 {
				fields = append(fields, zap.Int("tokens", client.Stats().Pool), zap.Int("of", n))
			}
		}
		log.Info("progress", fields...)
	})
}

// every calls f each period, from a goroutine of its own, until the returned function is
// called; that function returns once f has run for the last time.
func every(period time.Duration, f func()) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				f()
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// showProgressBar draws a live progress bar on w until the returned function is called: rows
// done and total, the row rate, an ETA, failures and, with a client, the current pacing.
// Meanwhile the log lines written to logs print above the bar. The returned function leaves
// the bar drawn as it ended, on a line of its own, before it returns.
func showProgressBar(w io.Writer, logs *logOutput, pr *provision.Progress, client *proxies.Client, period time.Duration) func() {
	start := time.Now()
	// What the poller last read, for the decorators: they must not block, as the container
	// waits for them while a log line may wait for the container.
	var failed, pacing atomic.Int64
	p := mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh(), mpb.WithRefreshRate(period), mpb.WithWidth(120))
	// Each line starts with \r: a redraw moves the cursor up but not back to the first
	// column, where a key the terminal echoed (^C) may have left it.
	bar := p.New(0, mpb.BarStyle(), mpb.BarWidth(40),
		mpb.PrependDecorators(decor.Any(func(s decor.Statistics) string {
			if s.Total <= 0 {
				return fmt.Sprintf("\r%d/? rows", s.Current)
			}
			return fmt.Sprintf("\r%d/%d rows", s.Current, s.Total)
		})),
		mpb.AppendDecorators(decor.Any(func(s decor.Statistics) string {
			elapsed := time.Since(start)
			perSec, eta, ok := rowRate(s.Current, s.Total, elapsed)
			var parts []string
			if s.Total > 0 {
				parts = append(parts, fmt.Sprintf("%3d%%", min(s.Current, s.Total)*100/s.Total))
			}
			parts = append(parts, fmt.Sprintf("%.1f rows/s", perSec))
			switch {
			case s.Completed:
				took := elapsed.Round(time.Second)
				if elapsed < time.Second {
					took = elapsed.Round(time.Millisecond)
				} else if elapsed < time.Minute {
					took = elapsed.Round(100 * time.Millisecond)
				}
				parts = append(parts, "took "+took.String())
			case ok:
				parts = append(parts, "ETA "+eta.String())
			default:
				parts = append(parts, "ETA -")
			}
			parts = append(parts, fmt.Sprintf("%d failed", failed.Load()))
			if client != nil {
				parts = append(parts, fmt.Sprintf("pacing %d/min", pacing.Load()))
			}
			return strings.Join(parts, " | ")
		})))
	logs.route(p)

	var total int64
	update := func() {
		if client != nil {
			pacing.Store(int64(math.Round(client.Pacing())))
		}
		failed.Store(pr.Failed.Load())
		if t := pr.Total.Load(); t > 0 && t != total {
			total = t
			bar.SetTotal(t, false)
		}
		bar.SetCurrent(pr.Done.Load())
	}
	update()
	stopUpdates := every(period, update)
	return func() {
		stopUpdates()
		update()
		if total > 0 && pr.Done.Load() >= total {
			bar.SetTotal(total, true) // complete
		} else {
			bar.Abort(false) // stopped short: keep the bar as it stands
		}
		// The last frame is drawn, and the log lines still buffered printed, before the
		// logger writes to w again.
		logs.unroute(p.Wait)
	}
}

// logOutput is where the logger writes: base, or, while a progress bar is shown, the bar's
// container, which prints each line above the bar.
type logOutput struct {
	mu   sync.Mutex
	base io.Writer
	via  io.Writer
}

func (o *logOutput) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.via != nil {
		// \r: see showProgressBar.
		if _, err := o.via.Write(append([]byte{'\r'}, b...)); err == nil {
			return len(b), nil
		}
		// The container is gone (it failed to draw): write straight to base.
	}
	return o.base.Write(b)
}

// Sync flushes base, as zap does with an *os.File.
func (o *logOutput) Sync() error {
	if s, ok := o.base.(zapcore.WriteSyncer); ok {
		return s.Sync()
	}
	return nil
}

// route sends the lines through w.
func (o *logOutput) route(w io.Writer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.via = w
}

// unroute calls finish, no line being written meanwhile, then sends the lines to base again.
func (o *logOutput) unroute(finish func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	finish()
	o.via = nil
}

// startProgress shows pr as --progress (flag) and the terminal (tty) ask: a bar on stderr, a
// log line every progressEvery, or nothing. It returns the function that stops it.
func startProgress(flag string, tty bool, stderr io.Writer, logs *logOutput, log *zap.Logger, pr *provision.Progress, client *proxies.Client) func() {
	switch progressMode(flag, tty) {
	case "bar":
		return showProgressBar(stderr, logs, pr, client, progressBarEvery)
	case "log":
		return reportProgress(log, pr, client, progressEvery)
	}
	return func() {}
}
