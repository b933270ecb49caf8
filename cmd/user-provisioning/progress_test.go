package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// barRow matches a frame of the progress bar: "6/6 rows [====] 100% | 2.1 rows/s | …".
var barRow = regexp.MustCompile(`(\d+)/(\d+|\?) rows \[[^\]]*\] [^\n]*rows/s[^\n]*`)

func TestProgressBar(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("bar.csv", users(6, "bar")...)
	r := e.run("--progress", "bar", "--report", e.report("bar.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	frames := barRow.FindAllStringSubmatchIndex(r.stderr, -1)
	if len(frames) == 0 {
		t.Fatalf("no progress bar on stderr:\n%q", r.stderr)
	}
	last := frames[len(frames)-1]
	frame := r.stderr[last[0]:last[1]]
	if !strings.HasPrefix(frame, "6/6 rows") || !strings.Contains(frame, "100%") || !strings.Contains(frame, "0 failed") || !strings.Contains(frame, "pacing ") {
		t.Errorf("last frame %q, want 6/6 rows, 100%%, 0 failed and the pacing", frame)
	}
	// The bar is finished before the summary, which follows it whole.
	summary := strings.Index(r.stderr, "6 rows: 6 ok (6 created)")
	if summary < last[1] {
		t.Fatalf("summary missing or not after the bar:\n%q", r.stderr)
	}
	if tail := r.stderr[summary:]; strings.Contains(tail, "\x1b[") || !strings.Contains(tail, "\ncalls per row: ") || !strings.Contains(tail, "\nreport: ") {
		t.Errorf("the summary lines are torn:\n%q", tail)
	}
	if strings.Contains(r.stderr, `"msg":"progress"`) {
		t.Errorf("progress log line beside the bar:\n%s", r.stderr)
	}
}

// A warning logged while the bar is shown prints above it: in the same redraw, just before
// the bar's line, not below the bar where the next redraw would erase it.
func TestProgressBarLogsAbove(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{StationDelay: time.Hour}) // stations never appear: rows wait
	in := e.file("above.csv", users(6, "above")...)
	e.interruptTwice()
	r := e.run("--progress", "bar", "--report", e.report("above.results.csv"), in)
	if r.code != 130 {
		t.Fatalf("exit %d, want 130\n%s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`"msg":"interrupted[^\n]*\n\r?\d+/6 rows \[`).MatchString(r.stderr) {
		t.Errorf("the warning is not drawn just above the bar:\n%q", r.stderr)
	}
	if !strings.Contains(r.stderr, "\nuser-provisioning: interrupted\n") {
		t.Errorf("final line missing:\n%q", r.stderr)
	}
}

func TestProgressBarValidate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	e.envFile = filepath.Join(e.dir, "no-such.env")
	r := e.run("--validate", "--progress", "bar", "--report", e.report("v.csv"), filepath.Join("..", "..", "testdata", "userdata.csv"))
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	frames := barRow.FindAllString(r.stderr, -1)
	if len(frames) == 0 || !strings.HasPrefix(frames[len(frames)-1], "4/4 rows") {
		t.Fatalf("no 4/4 bar on stderr:\n%q", r.stderr)
	}
	if strings.Contains(r.stderr, "pacing") {
		t.Errorf("pacing shown without a client:\n%q", r.stderr)
	}
}

func TestProgressOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("off.csv", users(4, "off")...)
	r := e.run("--progress", "off", "--report", e.report("off.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	if barRow.MatchString(r.stderr) || strings.Contains(r.stderr, "rows/s") || strings.Contains(r.stderr, "\x1b[") || strings.Contains(r.stderr, `"msg":"progress"`) {
		t.Errorf("progress shown with --progress off:\n%q", r.stderr)
	}
	if !strings.Contains(r.stderr, "4 rows: 4 ok (4 created)") {
		t.Errorf("summary missing:\n%s", r.stderr)
	}
}

// Off a terminal, auto means the log line, never the bar.
func TestProgressAutoOffTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("auto.csv", users(2, "auto")...)
	r := e.run("--report", e.report("auto.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	if barRow.MatchString(r.stderr) || strings.Contains(r.stderr, "\x1b[") {
		t.Errorf("bar shown off a terminal:\n%q", r.stderr)
	}
}

func TestProgressFlag(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "yes", "BAR", "console"} {
		var out, errb strings.Builder
		code := runWith(t.Context(), []string{"--progress", bad, "x.csv"}, &out, &errb, nil, nil, nil)
		if code != exitUnusable || !strings.Contains(errb.String(), "--progress must be auto, bar, log or off") {
			t.Errorf("--progress %q: exit %d, want 2 with the message\n%s", bad, code, errb.String())
		}
	}
	for _, c := range []struct {
		flag string
		tty  bool
		want string
	}{
		{"auto", true, "bar"}, {"auto", false, "log"}, {"bar", false, "bar"}, {"log", true, "log"}, {"off", true, "off"},
	} {
		if got := progressMode(c.flag, c.tty); got != c.want {
			t.Errorf("progressMode(%q, %v) = %q, want %q", c.flag, c.tty, got, c.want)
		}
	}
}

func TestRowRate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		done, total int64
		elapsed     time.Duration
		rate        float64
		eta         time.Duration
		ok          bool
	}{
		{0, 0, 0, 0, 0, false},            // nothing yet: no division by zero
		{0, 10, time.Second, 0, 0, false}, // no rate yet: no ETA
		{5, 0, time.Second, 5, 0, false},  // total not known yet
		{4, 10, 2 * time.Second, 2, 3 * time.Second, true},
		{10, 10, 2 * time.Second, 5, 0, false}, // done: no ETA
		{12, 10, 2 * time.Second, 6, 0, false}, // never a negative ETA
	} {
		rate, eta, ok := rowRate(c.done, c.total, c.elapsed)
		if rate != c.rate || eta != c.eta || ok != c.ok {
			t.Errorf("rowRate(%d, %d, %v) = %v, %v, %v; want %v, %v, %v", c.done, c.total, c.elapsed, rate, eta, ok, c.rate, c.eta, c.ok)
		}
	}
}

// The console format colours levels only on a terminal: a log file or a pipe gets no escape
// codes.
func TestConsoleLogOffTerminalHasNoColour(t *testing.T) {
	t.Parallel()
	e := newEnv(t, gcsim.Options{})
	in := e.file("plain.csv", users(2, "plain")...)
	r := e.run("--log-format", "console", "--progress", "off", "--report", e.report("plain.results.csv"), in)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "\tINFO\t") || strings.Contains(r.stderr, "\x1b[") {
		t.Errorf("want plain console lines without escape codes:\n%q", r.stderr)
	}
}
