package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

// mainEnv makes the test binary run the program itself, so that a test can kill it.
const mainEnv = "USER_PROVISIONING_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// okLines reads a report that may end in a torn line and returns its ok lines; none when
// there is no report (a resumed run killed after it moved the old one aside).
func okLines(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return map[string]bool{}
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	ok := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF || (err != nil && !strings.Contains(err.Error(), "wrong number")) {
			return ok
		}
		if len(rec) > 3 && rec[3] == "ok" {
			ok[rec[0]] = true
		}
	}
}

// killRows is the number of rows in TestKillAndRerun's file.
const killRows = 2000

func TestKillAndRerun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("kills real processes")
	}
	lines := killLines(killRows)
	carried := 0
	for rep := range 5 {
		resume := rep%2 == 0
		t.Run(fmt.Sprintf("rep%d resume=%v", rep, resume), func(t *testing.T) {
			runKillRep(t, rep, resume, lines, &carried)
		})
	}
	if carried == 0 {
		t.Errorf("no resumed run carried a finished row: the kills came too early to test --resume")
	}
}

// killLines returns n rows of new users, in groups Annuities and IRA by turns.
func killLines(n int) []string {
	var lines []string
	for i := range n {
		group := []string{"Annuities", "IRA"}[i%2]
		lines = append(lines, fmt.Sprintf("Kill User %d,kill.%d@example.com,%s,%s,Communicate - User,,", i, i, password, group))
	}
	return lines
}

// runKillRep kills a run of lines at a random point once rows have finished; if resume, it
// kills a run resuming it too, and checks that the rows finished before survive. It then
// re-runs to the end and checks that every row is ok, no user was created twice, and a
// resumed run looks up only the unfinished rows; it adds the rows carried over to carried.
func runKillRep(t *testing.T, rep int, resume bool, lines []string, carried *int) {
	// A short auth cache lag: the batched grants of the first rows must settle
	// within the time before the kill, or no row would be finished to resume.
	e := newEnv(t, gcsim.Options{Seed: int64(rep), AuthLag: 100 * time.Millisecond})
	in := e.file("kill.csv", lines...)
	first := e.report("first.csv")

	killFirstRun(t, e, first, in)
	before := okLines(t, first)
	searches := e.srv.Sim.Counters().Requests["POST /api/v2/users/search"]

	args := []string{"--rate", "120000", "--report", first, in}
	if resume {
		args = append([]string{"--resume", first}, args...)
		before = killResumedRun(t, e, first, args, before)
		searches = e.srv.Sim.Counters().Requests["POST /api/v2/users/search"]
	}
	r := e.run(args...)
	c := checkKillRerun(t, e, r)
	if resume {
		*carried += len(before)
		// A finished row costs no call; every other row costs one lookup. The slack
		// covers requests of the killed process that reached the server after the
		// count was taken.
		if got, most := c.Requests["POST /api/v2/users/search"]-searches, killRows-len(before)+10; got > most {
			t.Errorf("resumed run made %d user searches for %d unfinished rows", got, most)
		}
	}
	t.Logf("killed with %d of %d rows ok", len(before), killRows)
}

// killFirstRun starts the program on in with report first and kills it once rows have
// finished; its stderr joins e's outputs.
func killFirstRun(t *testing.T, e *harness, first, in string) {
	t.Helper()
	var errb bytes.Buffer
	cmd := exec.Command(os.Args[0], "--env-file", e.envFile, "--rate", "120000", "--log-format", "json", "--report", first, in)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once some rows have finished (or a while after, on a slow machine),
	// at a random point after that.
	for deadline := time.Now().Add(20 * time.Second); len(okLines(t, first)) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	e.outputs = append(e.outputs, errb.String())
}

// killResumedRun starts the program with args, which resume report first, and kills it
// soon. It checks that every line ok before is still ok, in first or in a report the run
// moved aside, and returns the lines ok now.
func killResumedRun(t *testing.T, e *harness, first string, args []string, before map[string]bool) map[string]bool {
	t.Helper()
	// Kill the resumed run too: the rows finished before must survive it,
	// though it writes its report over the one it resumes.
	cmd := exec.Command(os.Args[0], append([]string{"--env-file", e.envFile}, args...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	kept := okLines(t, first)
	prevs, _ := filepath.Glob(first + ".prev-*")
	for _, p := range prevs {
		for line := range okLines(t, p) {
			kept[line] = true
		}
	}
	for line := range before {
		if !kept[line] {
			t.Fatalf("line %s was ok before the resumed run was killed, and is in no report now", line)
		}
	}
	return kept
}

// checkKillRerun checks the re-run that follows the kills: exit 0, a report of killRows
// rows all ok, no email POSTed again after its creation, and every user active. It
// returns the simulator's counters.
func checkKillRerun(t *testing.T, e *harness, r result) gcsim.Counters {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("re-run: exit %d\n%s", r.code, r.stderr)
	}
	if len(r.report) != killRows {
		t.Fatalf("re-run report has %d rows, want %d", len(r.report), killRows)
	}
	for _, row := range r.report {
		if row["status"] != "ok" {
			t.Fatalf("row %v, want ok", row)
		}
	}
	c := e.srv.Sim.Counters()
	if len(c.CreateConflicts) != 0 {
		t.Errorf("emails POSTed again after their creation: %d", len(c.CreateConflicts))
	}
	st := e.srv.Sim.State()
	for i := range killRows {
		if u, ok := st.User(fmt.Sprintf("kill.%d@example.com", i)); !ok || u.State != "active" {
			t.Fatalf("kill.%d@example.com missing after the re-run", i)
		}
	}
	return c
}
