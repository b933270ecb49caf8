package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
)

// smoke is one run of the checks against an org. It is not safe for concurrent use.
type smoke struct {
	svc    provision.Services
	client *proxies.Client // its Stats count the write calls
	plan   plan
	dir    string // the files and reports
	out    io.Writer
	log    *zap.Logger
	// workers and tune go to every provision.Run; tune may be nil.
	workers int
	tune    func(*provision.Options)
	// settle is how long reads may take to show a change: each check is repeated on this
	// schedule until it passes or Total has passed.
	settle provision.Backoff

	ids     []string                   // per person, the user id the first run reported ("" when none)
	created map[string]string          // user id → email: the users this run created, the only ones it deactivates
	phones  map[string]provision.Phone // user id → its phone, left in place
	names   map[string]string          // org object and user ids → names, for messages
	diffs   []string                   // every difference from what was expected, in order
}

func newSmoke(svc provision.Services, client *proxies.Client, p plan) *smoke {
	s := &smoke{
		svc: svc, client: client, plan: p, out: io.Discard, log: zap.NewNop(), workers: 4,
		settle:  provision.Backoff{First: time.Second, Max: 8 * time.Second, Total: 90 * time.Second},
		ids:     make([]string, len(p.people)),
		created: map[string]string{},
		phones:  map[string]provision.Phone{},
		names:   map[string]string{},
	}
	o := p.org
	for _, r := range slices.Concat([]provision.Ref{o.division, o.role, o.group, o.queue, o.location, o.site}, o.skills, o.languages) {
		if r.ID != "" {
			s.names[r.ID] = r.Name
		}
	}
	return s
}

// differ records a difference from what was expected.
func (s *smoke) differ(step, format string, args ...any) {
	s.diffs = append(s.diffs, step+": "+fmt.Sprintf(format, args...))
}

// run runs every step. The users this run created are deactivated at the end with cleanup,
// a context that outlives ctx, whatever happened before.
func (s *smoke) run(ctx, cleanup context.Context) {
	if !s.preflight(ctx) {
		return
	}
	defer func() {
		if ctx.Err() != nil {
			s.log.Warn("stopping: deactivating the users created so far (signal again to stop at once)", zap.Error(context.Cause(ctx)))
		}
		s.deactivate(cleanup)
	}()
	if !s.provision(ctx) {
		return
	}
	s.rerun(ctx)
	s.dryRun(ctx)
}

// preflight makes sure that no user has one of the run's emails: the smoke then writes only
// to users it creates. It reports whether the run may go on.
func (s *smoke) preflight(ctx context.Context) bool {
	found, err := s.svc.Users.FindByEmails(ctx, s.plan.emails())
	if err != nil {
		s.differ("0 preflight", "search the run's emails: %v; nothing written", err)
		return false
	}
	for _, x := range s.plan.people {
		if u, ok := found[x.email]; ok {
			s.differ("0 preflight", "%s already belongs to user %s (%s); nothing written", x.email, u.ID, u.State)
		}
	}
	return len(found) == 0
}

// provision runs the file and reads every user back. It reports whether every user was
// created, which the later steps need.
func (s *smoke) provision(ctx context.Context) bool {
	const step = "1 provision"
	file := filepath.Join(s.dir, "smoke.csv")
	if err := s.plan.write(file, nil); err != nil {
		s.differ(step, "write %s: %v", file, err)
		return false
	}
	o := s.runFile(ctx, step, file, "1-provision.results.csv", false)
	s.expectRows(step, o, func(int) expect { return expect{provision.ActionCreate, provision.StatusOK, nil} })
	for i, x := range s.plan.people {
		if r, ok := o.rows[x.email]; ok && r.Action == provision.ActionCreate {
			s.ids[i] = r.UserID
			s.names[r.UserID] = x.email
		}
	}
	if ctx.Err() != nil {
		return false
	}
	if slices.Contains(s.ids, "") {
		s.differ(step, "not every user was created: re-run and dry run skipped")
		return false
	}
	diffs := s.eventually(ctx, func() []string {
		var all []string
		for i, x := range s.plan.people {
			manager := ""
			if x.manager >= 0 {
				manager = s.ids[x.manager]
			}
			all = append(all, s.checkUser(ctx, x, s.ids[i], manager)...)
		}
		return all
	})
	for _, d := range diffs {
		s.differ(step, "%s", d)
	}
	if len(diffs) == 0 {
		fmt.Fprintf(s.out, "  read back: %d users as the file asks\n", len(s.ids))
	}
	// The re-run finds the users through search, which lags behind: wait for it to catch up,
	// so that a write in the re-run is the tool's doing and not the index's.
	for _, d := range s.eventually(ctx, func() []string { return s.checkSearch(ctx) }) {
		s.differ(step, "%s", d)
	}
	return true
}

// rerun runs the same file again: nothing to do, so no write call.
func (s *smoke) rerun(ctx context.Context) {
	const step = "2 re-run"
	o := s.runFile(ctx, step, filepath.Join(s.dir, "smoke.csv"), "2-rerun.results.csv", false)
	s.expectRows(step, o, func(int) expect { return expect{provision.ActionNone, provision.StatusOK, noChanges} })
	s.expectNoWrites(step, o)
}

// dryRun runs a file that changes one user's title, as a dry run: exactly that change is
// planned, and nothing is written.
func (s *smoke) dryRun(ctx context.Context) {
	const step = "3 dry run"
	const changed = 1 // the person whose title changes
	file := filepath.Join(s.dir, "smoke-dry-run.csv")
	newTitle := s.plan.people[changed].title + " (changed)"
	if err := s.plan.write(file, func(i int, x *person) {
		if i == changed {
			x.title = newTitle
		}
	}); err != nil {
		s.differ(step, "write %s: %v", file, err)
		return
	}
	o := s.runFile(ctx, step, file, "3-dry-run.results.csv", true)
	onlyTitle := func(changes string) string {
		parts := strings.Split(changes, "; ")
		if changes == "" || len(parts) != 1 || !strings.HasPrefix(parts[0], "title:") || !strings.Contains(parts[0], newTitle) {
			return fmt.Sprintf("planned changes '%s', expected only the title → '%s'", changes, newTitle)
		}
		return ""
	}
	s.expectRows(step, o, func(i int) expect {
		if i == changed {
			return expect{provision.ActionUpdate, provision.StatusPlanned, onlyTitle}
		}
		return expect{provision.ActionNone, provision.StatusPlanned, noChanges}
	})
	s.expectNoWrites(step, o)
}

// deactivate makes inactive the users this run created, and no other: before each write
// the user is read again and its email must be one of this run's. It never deletes.
func (s *smoke) deactivate(ctx context.Context) {
	const step = "4 deactivate"
	// A user whose row was cut off may be missing from the report: its email, free at the
	// preflight, says that this run created it.
	if found, err := s.svc.Users.FindByEmails(ctx, s.plan.emails()); err == nil {
		for _, u := range found {
			if _, ok := s.created[u.ID]; !ok && s.plan.owns(u.Email) && u.State != "deleted" {
				s.created[u.ID] = strings.ToLower(u.Email)
			}
		}
	}
	if len(s.created) == 0 {
		return
	}
	ids := slices.SortedFunc(maps.Keys(s.created), func(a, b string) int { return strings.Compare(s.created[a], s.created[b]) })
	var done []string
	for _, id := range ids {
		var u provision.User
		errs := s.eventually(ctx, func() []string { // a user created moments ago may not read yet
			var err error
			if u, err = s.readUser(ctx, id); err != nil {
				return []string{err.Error()}
			}
			return nil
		})
		switch {
		case len(errs) > 0:
			s.differ(step, "read user %s (%s): %s; not deactivated", id, s.created[id], errs[0])
			continue
		case !s.plan.owns(u.Email) || !strings.EqualFold(u.Email, s.created[id]):
			s.differ(step, "user %s has email '%s', not this run's %s: refused to deactivate it", id, u.Email, s.created[id])
			continue
		case u.State != "inactive":
			if err := s.svc.Users.Deactivate(ctx, id); err != nil {
				s.differ(step, "%s: deactivate user %s: %v", s.created[id], id, err)
				continue
			}
		}
		done = append(done, id)
	}
	diffs := s.eventually(ctx, func() []string {
		var d []string
		for _, id := range done {
			if u, err := s.readUser(ctx, id); err != nil {
				d = append(d, fmt.Sprintf("%s: read user %s: %v", s.created[id], id, err))
			} else if u.State != "inactive" {
				d = append(d, fmt.Sprintf("%s: state is %s after deactivation, expected inactive", s.created[id], u.State))
			}
		}
		return d
	})
	for _, d := range diffs {
		s.differ(step, "%s", d)
	}
	fmt.Fprintf(s.out, "%s: %d of %d users this run created are inactive\n", step, len(done)-len(diffs), len(ids))
	for id, ph := range s.phones {
		fmt.Fprintf(s.out, "  left in place: phone '%s' (%s) of %s\n", ph.Name, ph.ID, s.created[id])
	}
}

// outcome is what one provision.Run did.
type outcome struct {
	sum      provision.Summary
	rows     map[string]provision.Result // by lower-cased email
	requests int
	writes   map[string]int // write calls by route
}

// runFile runs the pipeline on file, in process, with the smoke's client, and reads its
// report. Users the report says were created join s.created.
func (s *smoke) runFile(ctx context.Context, step, file, report string, dryRun bool) outcome {
	opts := provision.Options{
		File:          file,
		ReportPath:    filepath.Join(s.dir, report),
		DryRun:        dryRun,
		Workers:       s.workers,
		ListSeparator: ",", // names in the variables may hold a ';'
		Log:           s.log.With(zap.String("step", step)),
	}
	if s.tune != nil {
		s.tune(&opts)
	}
	before := s.client.Stats()
	sum, err := provision.Run(ctx, s.svc, opts)
	after := s.client.Stats()
	o := outcome{sum: sum, requests: after.Requests - before.Requests, writes: writeCalls(before.ByRoute, after.ByRoute)}
	if err != nil {
		s.differ(step, "the run stopped: %v", err)
	}
	rows, rerr := readReport(opts.ReportPath)
	if rerr != nil && err == nil {
		s.differ(step, "read the report: %v", rerr)
	}
	o.rows = rows
	for email, r := range rows {
		if r.Action == provision.ActionCreate && r.UserID != "" && r.Status != provision.StatusPlanned && s.plan.owns(email) {
			s.created[r.UserID] = email
		}
	}
	fmt.Fprintf(s.out, "%s: %s; %d requests, %d %s\n", step, sum.String(), o.requests, total(o.writes), plural(total(o.writes), "write call"))
	return o
}

// noChanges is the changes check of a row with nothing to do.
func noChanges(changes string) string {
	if changes != "" {
		return fmt.Sprintf("changes '%s', expected none", changes)
	}
	return ""
}

// expect is what a report row must say: its action and status and, when changes is not
// nil, changes that it accepts (it returns "" for those, else what is wrong).
type expect struct {
	action  provision.Action
	status  provision.Status
	changes func(string) string
}

// expectRows checks the report: one row per person, as want says for the person's index.
func (s *smoke) expectRows(step string, o outcome, want func(i int) expect) {
	if len(o.rows) != len(s.plan.people) {
		s.differ(step, "%d report rows, expected %d", len(o.rows), len(s.plan.people))
	}
	for i, x := range s.plan.people {
		w := want(i)
		r, ok := o.rows[x.email]
		if !ok {
			s.differ(step, "%s: no report row", x.email)
			continue
		}
		if r.Action != w.action || r.Status != w.status {
			msg := fmt.Sprintf("%s: %s/%s, expected %s/%s", x.email, r.Action, r.Status, w.action, w.status)
			if r.Err != "" {
				msg += ": " + r.Err
			}
			if r.Changes != "" {
				msg += " (changes: " + r.Changes + ")"
			}
			s.differ(step, "%s", msg)
			continue
		}
		if w.changes != nil {
			if d := w.changes(r.Changes); d != "" {
				s.differ(step, "%s: %s", x.email, d)
			}
		}
	}
}

func (s *smoke) expectNoWrites(step string, o outcome) {
	if n := total(o.writes); n > 0 {
		s.differ(step, "%d %s, expected none: %s", n, plural(n, "write call"), wordRoutes(o.writes))
	}
}

// eventually repeats check on s.settle until it returns no difference or the time is up, and
// returns its last differences.
func (s *smoke) eventually(ctx context.Context, check func() []string) []string {
	deadline := time.Now().Add(s.settle.Total)
	wait := s.settle.First
	for {
		diffs := check()
		if len(diffs) == 0 || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return diffs
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return diffs
		case <-t.C:
		}
		wait = min(2*wait, s.settle.Max)
	}
}

// isWrite tells whether a route ("METHOD /path") writes: any method but GET and HEAD, except
// the searches and the token request, which only read.
func isWrite(route string) bool {
	method, path, _ := strings.Cut(route, " ")
	return method != "GET" && method != "HEAD" && !strings.HasSuffix(path, "/search") && path != "/oauth/token"
}

// writeCalls is the write calls made between two snapshots of Stats.ByRoute.
func writeCalls(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for r, n := range after {
		if d := n - before[r]; d > 0 && isWrite(r) {
			out[r] = d
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// wordRoutes words route counts, most first: "POST /api/v2/groups/{id}/members 2, …".
func wordRoutes(m map[string]int) string {
	routes := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(routes, func(a, b string) int { return m[b] - m[a] })
	parts := make([]string, len(routes))
	for i, r := range routes {
		parts[i] = r + " " + strconv.Itoa(m[r])
	}
	return strings.Join(parts, ", ")
}

// readReport reads a report CSV by its column names, keyed by lower-cased email.
func readReport(path string) (map[string]provision.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, errors.New("empty report")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"line", "email", "action", "status", "user_id", "error", "changes"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("report has no column %q", h)
		}
	}
	out := map[string]provision.Result{}
	for _, r := range recs[1:] {
		line, _ := strconv.Atoi(r[col["line"]])
		email := strings.ToLower(r[col["email"]])
		out[email] = provision.Result{
			Line: line, Email: email, Action: provision.Action(r[col["action"]]), Status: provision.Status(r[col["status"]]),
			UserID: r[col["user_id"]], Err: r[col["error"]], Changes: r[col["changes"]],
		}
	}
	return out, nil
}
