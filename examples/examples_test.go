// Package examples checks the deployment examples of this directory (cron, systemd,
// Kubernetes): that they parse, that they hold the settings the README promises, that the
// shell and unit-file scripts map every exit code of the README's "Exit codes" table to its
// alert (run against a fake tool and a fake logger), and that the flags they pass exist.
package examples

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// wantAlert is the alert each exit code must raise: "" none, "warning" or "error". Every code
// of the README's "Exit codes" table must be here (TestExitCodesCovered).
var wantAlert = map[int]string{0: "", 1: "warning", 2: "error", 3: "error", 4: "error", 130: "warning"}

// unknownCode is an exit code the tool never returns: it must raise an error.
const unknownCode = 7

// priority is the syslog priority logger gets for an alert level.
var priority = map[string]string{"warning": "user.warning", "error": "user.err"}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text of the README section that starts with heading, up to the next
// heading of the same level.
func section(t *testing.T, readme, heading string) string {
	t.Helper()
	level := heading[:strings.IndexByte(heading, ' ')+1]
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no section %q", heading)
	}
	rest := readme[i+len(heading)+2:]
	if j := strings.Index(rest, "\n"+level); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// readmeExitCodes returns the codes of the README's "Exit codes" table.
func readmeExitCodes(t *testing.T) []int {
	t.Helper()
	sec := section(t, read(t, "../README.md"), "## Exit codes")
	var codes []int
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|`).FindAllStringSubmatch(sec, -1) {
		c, _ := strconv.Atoi(m[1])
		codes = append(codes, c)
	}
	if len(codes) < 5 {
		t.Fatalf("README.md's Exit codes table: found only the codes %v", codes)
	}
	return codes
}

// caseArms returns the exit codes that have their own arm, as pattern's first group, in a
// shell case statement.
func caseArms(text, pattern string) map[int]bool {
	arms := map[int]bool{}
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(text, -1) {
		c, _ := strconv.Atoi(m[1])
		arms[c] = true
	}
	return arms
}

// TestExitCodesCovered checks that each exit code of the README's "Exit codes" table has its
// own line in run-import.sh, in the systemd alert unit (0 aside: it never fails the unit) and
// in the README's production table, with the alert wantAlert gives it; so that a new exit code
// cannot be forgotten in the examples.
func TestExitCodesCovered(t *testing.T) {
	codes := readmeExitCodes(t)
	script := caseArms(read(t, "cron/run-import.sh"), `(?m)^(\d+)\)`)
	unit := caseArms(read(t, "systemd/user-provisioning-alert@.service"), `exited:(\d+)\)`)
	prod := map[int]string{}
	sec := section(t, read(t, "../README.md"), "## Running it in production")
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \| (\w+) \|`).FindAllStringSubmatch(sec, -1) {
		c, _ := strconv.Atoi(m[1])
		prod[c] = m[2]
	}
	for _, c := range codes {
		want, ok := wantAlert[c]
		if !ok {
			t.Errorf("exit code %d of README's Exit codes has no alert: add it to cron/run-import.sh, systemd/user-provisioning-alert@.service, kubernetes/cronjob.yaml, README's production table and wantAlert", c)
			continue
		}
		if !script[c] {
			t.Errorf("cron/run-import.sh has no case for exit code %d", c)
		}
		if c != 0 && !unit[c] {
			t.Errorf("systemd/user-provisioning-alert@.service has no case for exit code %d", c)
		}
		if want == "" {
			want = "none"
		}
		if prod[c] != want {
			t.Errorf("README's production table: exit code %d raises %q, want %q", c, prod[c], want)
		}
	}
	for c := range wantAlert {
		if !slices.Contains(codes, c) {
			t.Errorf("wantAlert has exit code %d, which README's Exit codes table does not", c)
		}
	}
}

// fakes writes, in a new directory, a fake user-provisioning that records its arguments in
// $FAKE_ARGS, says "fake log" on stderr and exits $FAKE_CODE, and a fake logger that appends
// its arguments to $FAKE_LOGGER. It returns the directory.
func fakes(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tool := "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$FAKE_ARGS\"\necho 'fake log' >&2\nexit \"$FAKE_CODE\"\n"
	logger := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$FAKE_LOGGER\"\n"
	for name, body := range map[string]string{"user-provisioning": tool, "logger": logger} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// run is what a script run did.
type run struct {
	code   int      // its exit code
	stderr string   // what it said
	args   []string // the fake tool's arguments
	logged string   // the fake logger's arguments, a line a call
}

// runFake runs argv with the fakes of dir first on PATH, the fake tool exiting with code, and
// env added to the environment.
func runFake(t *testing.T, dir string, code int, env []string, argv ...string) run {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(),
		"PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_CODE="+strconv.Itoa(code),
		"FAKE_ARGS="+filepath.Join(out, "args"),
		"FAKE_LOGGER="+filepath.Join(out, "logger"))
	cmd.Env = append(cmd.Env, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var r run
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	r.stderr = stderr.String()
	if b, err := os.ReadFile(filepath.Join(out, "args")); err == nil {
		r.args = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	if b, err := os.ReadFile(filepath.Join(out, "logger")); err == nil {
		r.logged = string(b)
	}
	return r
}

// checkAlert checks that r raised the alert level ("" none) through logger.
func checkAlert(t *testing.T, r run, level string) {
	t.Helper()
	if level == "" {
		if r.logged != "" {
			t.Errorf("alert raised, want none: %s", r.logged)
		}
		return
	}
	want := "-t user-provisioning -p " + priority[level] + " -- "
	if !strings.HasPrefix(r.logged, want) || strings.Count(r.logged, "\n") != 1 {
		t.Errorf("logger got %q, want one call starting %q", r.logged, want)
	}
}

func codesToRun() []int {
	codes := []int{unknownCode}
	for c := range wantAlert {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// TestRunImportScript runs cron/run-import.sh with a fake tool that exits with each code and
// checks the alert, the exit code passed on, and the tool's arguments.
func TestRunImportScript(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	if out, err := exec.Command("sh", "-n", "cron/run-import.sh").CombinedOutput(); err != nil {
		t.Fatalf("sh -n cron/run-import.sh: %v\n%s", err, out)
	}
	dir := fakes(t)
	reports := t.TempDir()
	env := []string{"UP_BIN=", "UP_ENV_FILE=/secret/env", "UP_REPORT_DIR=" + reports, "UP_SCOPE_DIVISION="}
	for _, code := range codesToRun() {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			r := runFake(t, dir, code, env, "sh", "cron/run-import.sh", "/srv/hr/support-agents.csv")
			if r.code != code {
				t.Errorf("exit code %d, want the tool's %d", r.code, code)
			}
			level, ok := wantAlert[code]
			if !ok {
				level = "error"
			}
			checkAlert(t, r, level)
			if level != "" && !strings.Contains(r.stderr, "user-provisioning: "+level+": ") {
				t.Errorf("stderr %q, want the %s alert", r.stderr, level)
			}
		})
	}

	r := runFake(t, dir, 0, env, "sh", "cron/run-import.sh", "/srv/hr/support-agents.csv", "--resume", "old.csv")
	report := regexp.QuoteMeta(reports) + `/support-agents\.\d{4}-\d\d-\d\d\.results\.csv`
	want := regexp.MustCompile(`^--env-file /secret/env --memberships replace --deactivate-missing --scope-division Support ` +
		`--log-format json --report ` + report + ` --resume old\.csv /srv/hr/support-agents\.csv$`)
	if got := strings.Join(r.args, " "); !want.MatchString(got) {
		t.Errorf("the tool's arguments:\n%s\nwant\n%s", got, want)
	}
	logs, _ := filepath.Glob(filepath.Join(reports, "support-agents.*.log"))
	if len(logs) != 1 || !strings.Contains(read(t, logs[0]), "fake log") {
		t.Errorf("the tool's stderr is not in the dated log (%v)", logs)
	}
}

// cronField matches one schedule field of a crontab line.
var cronField = regexp.MustCompile(`^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$`)

// cronJobs returns the job lines of an /etc/cron.d file: its lines that are not blank,
// comments or variable settings.
func cronJobs(t *testing.T, text string) []string {
	t.Helper()
	setting := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\s*=`)
	var jobs []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || setting.MatchString(line) {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 7 {
			t.Errorf("cron line %q: want 5 schedule fields, a user and a command", line)
			continue
		}
		for _, field := range f[:5] {
			if !cronField.MatchString(field) {
				t.Errorf("cron line %q: %q is not a schedule field", line, field)
			}
		}
		if f[5] != "user-provisioning" {
			t.Errorf("cron line %q runs as %q, want the dedicated user user-provisioning", line, f[5])
		}
		if strings.Contains(strings.ReplaceAll(line, `\%`, ""), "%") {
			t.Errorf("cron line %q has a %%, which cron turns into a new line", line)
		}
		jobs = append(jobs, line)
	}
	return jobs
}

// TestCrontab checks the cron file: the nightly import at 02:15 under flock -n on a fixed
// lock file, and the 90-day clean-up. Where flock(1) is installed, it runs the import line
// with a fake run-import.sh: free, the import runs; with the lock held elsewhere, it does not,
// and an error alert says so.
func TestCrontab(t *testing.T) {
	var importLine, cleanup string
	for _, line := range cronJobs(t, read(t, "cron/user-provisioning.cron")) {
		switch {
		case strings.Contains(line, "run-import.sh"):
			importLine = line
		case strings.Contains(line, "-mtime +90"):
			cleanup = line
		}
	}
	if !strings.HasPrefix(importLine, "15 2 * * * user-provisioning flock -n ") {
		t.Fatalf("import line %q: want it at 02:15, as user-provisioning, under flock -n", importLine)
	}
	if cleanup == "" {
		t.Error("no line deletes reports older than 90 days (find -mtime +90)")
	}
	m := regexp.MustCompile(`flock -n (?:-E (\d+) )?(/\S+) (/\S+/run-import\.sh) `).FindStringSubmatch(importLine)
	if m == nil || strings.ContainsAny(m[2], "$`%") {
		t.Fatalf("import line %q: want flock -n on a fixed lock file, then run-import.sh", importLine)
	}
	for _, tool := range []string{"flock", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	dir, tmp := fakes(t), t.TempDir()
	lock, marker := filepath.Join(tmp, "import.lock"), filepath.Join(tmp, "ran")
	script := filepath.Join(tmp, "run-import.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	command := regexp.MustCompile(`^(\S+\s+){6}`).ReplaceAllString(importLine, "")
	command = strings.ReplaceAll(strings.ReplaceAll(command, m[2], lock), m[3], script)

	r := runFake(t, dir, 0, nil, "sh", "-c", command)
	if _, err := os.Stat(marker); err != nil || r.logged != "" {
		t.Errorf("lock free: run-import.sh ran: %v; alert %q, want none", err == nil, r.logged)
	}
	os.Remove(marker)
	release := holdFlock(t, lock)
	r = runFake(t, dir, 0, nil, "sh", "-c", command)
	release()
	if _, err := os.Stat(marker); err == nil {
		t.Error("lock held: run-import.sh ran anyway")
	}
	checkAlert(t, r, "error")
}

// holdFlock holds an flock on path, from another process (flock(1)), until release.
func holdFlock(t *testing.T, path string) (release func()) {
	t.Helper()
	cmd := exec.Command("flock", path, "sh", "-c", "echo locked; cat >/dev/null")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("flock did not take the lock: %q", line)
	}
	return func() {
		stdin.Close()
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
	}
}

// unit is a parsed unit file: section → key → values, in order.
type unit map[string]map[string][]string

func (u unit) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// parseUnit reads a unit file as systemd does: comments (# ;), [Section] lines, Key=Value
// lines, and a line ending in a backslash continued on the next, the backslash made a space.
func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	u := unit{}
	sec, pending := "", ""
	for n, line := range strings.Split(read(t, path), "\n") {
		line = pending + strings.TrimSpace(line)
		pending = ""
		if strings.HasSuffix(line, `\`) {
			pending = strings.TrimSuffix(line, `\`) + " "
			continue
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			sec = line[1 : len(line)-1]
			u[sec] = map[string][]string{}
		case sec != "" && strings.Contains(line, "="):
			k, v, _ := strings.Cut(line, "=")
			u[sec][strings.TrimSpace(k)] = append(u[sec][strings.TrimSpace(k)], strings.TrimSpace(v))
		default:
			t.Errorf("%s:%d: not a section, key or comment: %q", path, n+1, line)
		}
	}
	return u
}

// TestSystemdUnits checks the unit files' settings, verifies them with systemd-analyze where
// it is installed, and runs their shell commands against the fakes.
func TestSystemdUnits(t *testing.T) {
	svc := parseUnit(t, "systemd/user-provisioning.service")
	timer := parseUnit(t, "systemd/user-provisioning.timer")
	alert := parseUnit(t, "systemd/user-provisioning-alert@.service")
	for _, c := range []struct {
		u                  unit
		file, sec, key, is string
	}{
		{svc, "service", "Unit", "OnFailure", "user-provisioning-alert@%n.service"},
		{svc, "service", "Service", "Type", "oneshot"},
		{svc, "service", "Service", "LoadCredential", "env:/etc/user-provisioning/env"},
		{svc, "service", "Service", "StateDirectory", "user-provisioning"},
		{svc, "service", "Service", "NoNewPrivileges", "yes"},
		{svc, "service", "Service", "ProtectSystem", "strict"},
		{svc, "service", "Service", "ProtectHome", "yes"},
		{svc, "service", "Service", "PrivateTmp", "yes"},
		{svc, "service", "Service", "SuccessExitStatus", ""}, // exit 1 must alert
		{svc, "service", "Service", "Restart", ""},           // a re-run is a decision
		{timer, "timer", "Timer", "OnCalendar", "*-*-* 02:15"},
		{timer, "timer", "Timer", "Persistent", "true"},
		{timer, "timer", "Install", "WantedBy", "timers.target"},
		{alert, "alert", "Service", "Type", "oneshot"},
	} {
		if got := c.u.get(c.sec, c.key); got != c.is {
			t.Errorf("%s [%s] %s=%q, want %q", c.file, c.sec, c.key, got, c.is)
		}
	}
	if svc.get("Service", "DynamicUser") != "yes" && svc.get("Service", "User") == "" {
		t.Error("service: runs as root; want DynamicUser=yes or User=")
	}
	if timer.get("Timer", "RandomizedDelaySec") == "" {
		t.Error("timer: no RandomizedDelaySec=")
	}
	verifyUnits(t)
	t.Run("ExecStart", func(t *testing.T) { runServiceCommands(t, svc) })
	t.Run("alert", func(t *testing.T) { runAlertUnit(t, alert) })
}

// verifyUnits runs systemd-analyze verify on the three unit files, the alert template as the
// instance the service's OnFailure= starts. Any complaint about them fails the test.
func verifyUnits(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze is not installed: unit files checked by parsing only")
		return
	}
	dir := t.TempDir()
	files := map[string]string{
		"user-provisioning.service":                                 "user-provisioning.service",
		"user-provisioning.timer":                                   "user-provisioning.timer",
		"user-provisioning-alert@.service":                          "user-provisioning-alert@.service",
		"user-provisioning-alert@user-provisioning.service.service": "user-provisioning-alert@.service",
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(read(t, "systemd/"+src)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("systemd-analyze", "verify", "./user-provisioning.service", "./user-provisioning.timer",
		"./user-provisioning-alert@user-provisioning.service.service")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("systemd-analyze verify: %v\n%s", err, out)
	if err != nil {
		t.Errorf("systemd-analyze verify failed: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "user-provisioning") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}

// expand does what systemd does to a command line that this test runs: it expands the
// specifiers %% %n %i and turns $$ into $. Anything else systemd would change is refused.
func expand(t *testing.T, s, unitName, instance string) string {
	t.Helper()
	repl := map[string]string{"%%": "%", "%n": unitName, "%i": instance, "$$": "$"}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' && s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		r, ok := "", false
		if i+1 < len(s) {
			r, ok = repl[s[i:i+2]]
		}
		if !ok {
			t.Fatalf("%q: %q at %d: this test expands only %%%%, %%n, %%i and $$", s, s[i], i)
		}
		b.WriteString(r)
		i++
	}
	return b.String()
}

// split splits a command line into words as systemd does, quotes included; it refuses
// backslash escapes, which the unit files do not use.
func split(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var word strings.Builder
	var quote rune
	inWord := false
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			t.Fatalf("%q: backslash escapes are not handled by this test", line)
		case unicode.IsSpace(r):
			if inWord {
				words, inWord = append(words, word.String()), false
				word.Reset()
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("%q: unclosed quote", line)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

// runServiceCommands runs the service's ExecStartPre= (the 90-day clean-up) and ExecStart=
// with the fake tool in place of /usr/local/bin/user-provisioning.
func runServiceCommands(t *testing.T, svc unit) {
	const bin = "/usr/local/bin/user-provisioning"
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	dir := fakes(t)
	state, creds := t.TempDir(), t.TempDir()
	env := []string{"STATE_DIRECTORY=" + state, "CREDENTIALS_DIRECTORY=" + creds}

	old, recent := filepath.Join(state, "old.results.csv"), filepath.Join(state, "recent.results.csv")
	for _, f := range []string{old, recent} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().AddDate(0, 0, -100)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	pre := split(t, expand(t, strings.TrimPrefix(svc.get("Service", "ExecStartPre"), "-"), "user-provisioning.service", ""))
	if r := runFake(t, dir, 0, env, pre...); r.code != 0 {
		t.Errorf("ExecStartPre: exit code %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(old); err == nil {
		t.Error("ExecStartPre kept a report 100 days old")
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("ExecStartPre deleted a recent report: %v", err)
	}

	argv := split(t, expand(t, svc.get("Service", "ExecStart"), "user-provisioning.service", ""))
	if !strings.Contains(argv[len(argv)-1], bin) {
		t.Fatalf("ExecStart %q does not run %s", argv, bin)
	}
	argv[len(argv)-1] = strings.ReplaceAll(argv[len(argv)-1], bin, filepath.Join(dir, "user-provisioning"))
	r := runFake(t, dir, 4, env, argv...)
	if r.code != 4 {
		t.Errorf("ExecStart: exit code %d, want the tool's 4 (exec)", r.code)
	}
	want := regexp.MustCompile(`^--env-file ` + regexp.QuoteMeta(creds) + `/env .*--report ` + regexp.QuoteMeta(state) +
		`/support-agents\.\d{4}-\d\d-\d\d\.results\.csv /srv/hr/support-agents\.csv$`)
	if got := strings.Join(r.args, " "); !want.MatchString(got) {
		t.Errorf("ExecStart: the tool's arguments:\n%s\nwant\n%s", got, want)
	}
}

// runAlertUnit runs the alert unit's ExecStart= as systemd would after each exit code of the
// service, and after a kill, and checks the level it logs.
func runAlertUnit(t *testing.T, alert unit) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	dir := fakes(t)
	argv := split(t, expand(t, alert.get("Service", "ExecStart"), "user-provisioning-alert@user-provisioning.service.service",
		"user-provisioning.service"))
	for _, code := range codesToRun() {
		if code == 0 {
			continue // a success never starts OnFailure=
		}
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			env := []string{"MONITOR_SERVICE_RESULT=exit-code", "MONITOR_EXIT_CODE=exited", "MONITOR_EXIT_STATUS=" + strconv.Itoa(code)}
			level, ok := wantAlert[code]
			if !ok {
				level = "error"
			}
			r := runFake(t, dir, 0, env, argv...)
			checkAlert(t, r, level)
			if !strings.Contains(r.logged, "user-provisioning.service") {
				t.Errorf("alert %q does not name the failed unit", r.logged)
			}
		})
	}
	r := runFake(t, dir, 0, []string{"MONITOR_SERVICE_RESULT=signal", "MONITOR_EXIT_CODE=killed", "MONITOR_EXIT_STATUS=KILL"}, argv...)
	checkAlert(t, r, "error")
}

// k8s is what TestKubernetes reads of the CronJob.
type k8s struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		Schedule                string `yaml:"schedule"`
		ConcurrencyPolicy       string `yaml:"concurrencyPolicy"`
		StartingDeadlineSeconds int    `yaml:"startingDeadlineSeconds"`
		JobTemplate             struct {
			Spec struct {
				BackoffLimit          *int `yaml:"backoffLimit"`
				ActiveDeadlineSeconds int  `yaml:"activeDeadlineSeconds"`
				Template              struct {
					Spec podSpec `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy   string `yaml:"restartPolicy"`
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []struct {
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Env     []struct {
			Name      string `yaml:"name"`
			ValueFrom struct {
				SecretKeyRef struct {
					Name string `yaml:"name"`
					Key  string `yaml:"key"`
				} `yaml:"secretKeyRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		SecurityContext struct {
			ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
	} `yaml:"containers"`
	Volumes []struct {
		Name string `yaml:"name"`
	} `yaml:"volumes"`
}

// secret is what TestKubernetes reads of the Secret.
type secret struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	StringData map[string]string `yaml:"stringData"`
}

// TestKubernetes parses the CronJob and the Secret and checks what the README promises of
// them, and that the CronJob's references (secret keys, volumes, $(VAR)s) resolve.
func TestKubernetes(t *testing.T) {
	var cj k8s
	if err := yaml.Unmarshal([]byte(read(t, "kubernetes/cronjob.yaml")), &cj); err != nil {
		t.Fatal(err)
	}
	var sec secret
	if err := yaml.Unmarshal([]byte(read(t, "kubernetes/secret.example.yaml")), &sec); err != nil {
		t.Fatal(err)
	}
	if sec.APIVersion != "v1" || sec.Kind != "Secret" || sec.StringData["GENESYS_CLIENT_ID"] == "" || sec.StringData["GENESYS_CLIENT_SECRET"] == "" {
		t.Errorf("secret.example.yaml: %+v, want a v1 Secret with GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET in stringData", sec)
	}
	job := cj.Spec.JobTemplate.Spec
	pod := job.Template.Spec
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"apiVersion batch/v1", cj.APIVersion == "batch/v1"},
		{"kind CronJob", cj.Kind == "CronJob"},
		{"a schedule of 5 fields", len(strings.Fields(cj.Spec.Schedule)) == 5},
		{"concurrencyPolicy Forbid", cj.Spec.ConcurrencyPolicy == "Forbid"},
		{"startingDeadlineSeconds", cj.Spec.StartingDeadlineSeconds > 0},
		{"backoffLimit 0", job.BackoffLimit != nil && *job.BackoffLimit == 0},
		{"activeDeadlineSeconds", job.ActiveDeadlineSeconds > 0},
		{"restartPolicy Never", pod.RestartPolicy == "Never"},
		{"runAsNonRoot", pod.SecurityContext.RunAsNonRoot},
		{"one container", len(pod.Containers) == 1},
	} {
		if !c.ok {
			t.Errorf("cronjob.yaml: want %s", c.what)
		}
	}
	if len(pod.Containers) != 1 {
		return
	}
	checkContainer(t, pod, sec)
}

func checkContainer(t *testing.T, pod podSpec, sec secret) {
	c := pod.Containers[0]
	sc := c.SecurityContext
	if !sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("cronjob.yaml: container securityContext %+v, want readOnlyRootFilesystem, no privilege escalation, drop ALL", sc)
	}
	env := map[string]bool{}
	for _, e := range c.Env {
		env[e.Name] = true
		if ref := e.ValueFrom.SecretKeyRef; ref.Name != "" {
			if _, ok := sec.StringData[ref.Key]; ref.Name != sec.Metadata.Name || !ok {
				t.Errorf("cronjob.yaml: %s from secret %s key %s, which secret.example.yaml does not have", e.Name, ref.Name, ref.Key)
			}
		}
	}
	for _, name := range []string{"GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET"} {
		if !env[name] {
			t.Errorf("cronjob.yaml: no %s in the container's env", name)
		}
	}
	for _, m := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(strings.Join(c.Args, " "), -1) {
		if !env[m[1]] {
			t.Errorf("cronjob.yaml: args use $(%s), which the env does not define", m[1])
		}
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = true
		if !volumes[m.Name] {
			t.Errorf("cronjob.yaml: mount of volume %s, which is not defined", m.Name)
		}
	}
	var report string
	for _, a := range c.Args {
		if r, ok := strings.CutPrefix(a, "--report="); ok {
			report = r
		}
	}
	if report == "" || !mounts[filepath.Dir(report)] {
		t.Errorf("cronjob.yaml: args %q: want --report=PATH on a mounted volume", c.Args)
	}
	if len(c.Command) == 0 || !strings.HasSuffix(c.Command[0], "/user-provisioning") {
		t.Errorf("cronjob.yaml: command %q, want the user-provisioning binary", c.Command)
	}
}

// TestFlagsDocumented checks that every flag the examples pass to the tool is in the README's
// Usage table, so that a renamed flag cannot leave an example behind.
func TestFlagsDocumented(t *testing.T) {
	usage := section(t, read(t, "../README.md"), "## Usage")
	documented := map[string]bool{}
	for _, line := range strings.Split(usage, "\n") {
		if strings.HasPrefix(line, "| `--") {
			cell, _, _ := strings.Cut(line[1:], "|")
			for _, f := range regexp.MustCompile(`--[a-z][a-z-]*`).FindAllString(cell, -1) {
				documented[f] = true
			}
		}
	}
	script := regexp.MustCompile(`(?s)"\$UP_BIN"(.*?)\|\| code=\$\?`).FindStringSubmatch(read(t, "cron/run-import.sh"))
	if script == nil {
		t.Fatal(`cron/run-import.sh: no "$UP_BIN" … || code=$? invocation`)
	}
	var cj k8s
	if err := yaml.Unmarshal([]byte(read(t, "kubernetes/cronjob.yaml")), &cj); err != nil {
		t.Fatal(err)
	}
	uses := map[string]string{
		"cron/run-import.sh":                script[1],
		"systemd/user-provisioning.service": parseUnit(t, "systemd/user-provisioning.service").get("Service", "ExecStart"),
	}
	for _, c := range cj.Spec.JobTemplate.Spec.Template.Spec.Containers {
		uses["kubernetes/cronjob.yaml"] += strings.Join(c.Args, " ")
	}
	for file, text := range uses {
		flags := regexp.MustCompile(`(?:^|\s)(--[a-z][a-z-]*)`).FindAllStringSubmatch(text, -1)
		if len(flags) < 4 {
			t.Errorf("%s: found only %d flags in %q", file, len(flags), text)
		}
		for _, f := range flags {
			if !documented[f[1]] {
				t.Errorf("%s passes %s, which README's Usage table does not list", file, f[1])
			}
		}
	}
}

// TestExamplesREADME checks that examples/README.md has a paragraph for every file here.
func TestExamplesREADME(t *testing.T) {
	readme := read(t, "README.md")
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "README.md" || strings.HasSuffix(path, "_test.go") {
			return err
		}
		if !strings.Contains(readme, fmt.Sprintf("**`%s`**", filepath.ToSlash(path))) {
			t.Errorf("examples/README.md has no paragraph for %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
