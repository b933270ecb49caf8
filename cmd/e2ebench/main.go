// Command e2ebench measures user-provisioning end to end against the simulator: it starts a
// rate-limited simulator in-process, generates a CSV of new users with bin/gencsv, runs
// bin/user-provisioning on it, and reports what the simulator saw:
//
//	e2ebench -users 3000 -server-rate 1200 -rate 1200
//	e2ebench -users 500 -server-rate 1200 -rate 1200 -route-limit 'POST /api/v2/users=60'
//	e2ebench -users 3000 -server-rate 300 -rate 300 -tokens 4 -latency 150ms
//
// The simulator's limit is per access token, as Genesys defines it; -tokens N runs the tool
// with --tokens N (N tokens from the one OAuth client; -tokens 1 passes nothing, and the
// tool holds one token), and -latency delays every request the simulator answers.
// "Allowed" is the lower of the server's limit and --rate (both per token), times -tokens.
// "Steady" is the span between the
// 10th and the 90th percentile of request times; the achieved rate is the requests in it per
// minute. A route given -route-limit has a limit of its own (per OAuth client, a sliding
// minute, answered 429 without stating the limit, as Genesys's per-resource limits are); its
// achieved rate is its accepted requests in its own steady span per minute, divided by that
// limit. That span starts inside the first minute's burst (a sliding window admits a
// minute's worth at once) and so counts the Retry-After pauses that paid for it without
// the burst; the settled rate, between the 50th and the 90th percentile, is the rate once
// the limit is learned. The last line on stdout is a Markdown table row for BENCHMARKS.md.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	users      int
	serverRate int
	rate       int
	bin        string
	gencsv     string
	org        string
	dir        string
	name       string
	routes     routeLimits
	tokenPool  int           // the tool's --tokens; 1 passes nothing
	latency    time.Duration // the simulator's Options.Latency
	profile    string        // gencsv's profile
	export     bool          // then export the users, one token at --rate, and import the export again
}

// routeLimits is the -route-limit flag: "METHOD /pattern=N", repeatable, with the
// simulator's route patterns ("POST /api/v2/users", "GET /api/v2/users/{userId}").
type routeLimits map[string]int

func (r *routeLimits) String() string {
	var parts []string
	for k, v := range *r {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func (r *routeLimits) Set(s string) error {
	key, n, ok := strings.Cut(s, "=")
	method, path, _ := strings.Cut(strings.TrimSpace(key), " ")
	limit, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || limit < 1 || method == "" || !strings.HasPrefix(path, "/") {
		return fmt.Errorf("want METHOD /path=N, as 'POST /api/v2/users=60'")
	}
	if *r == nil {
		*r = routeLimits{}
	}
	(*r)[method+" "+path] = limit
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("e2ebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.users, "users", 3000, "new users in the generated file (typical profile)")
	fs.IntVar(&c.serverRate, "server-rate", 1200, "the simulator's limit, requests a minute per access token")
	fs.IntVar(&c.rate, "rate", 1200, "the tool's --rate (per token)")
	fs.IntVar(&c.tokenPool, "tokens", 1, "the tool's --tokens: access tokens from the one OAuth client (1 passes nothing)")
	fs.DurationVar(&c.latency, "latency", 0, "the simulator's latency, added to every request")
	fs.StringVar(&c.profile, "profile", "typical", "gencsv's profile: typical, or placed (a location and employer fields too)")
	fs.BoolVar(&c.export, "export", false, "after the import, export the org's users on one token at --rate, and import the export again (which must write nothing)")
	fs.StringVar(&c.bin, "bin", "bin/user-provisioning", "the tool")
	fs.StringVar(&c.gencsv, "gencsv", "bin/gencsv", "the CSV generator")
	fs.StringVar(&c.org, "org", "testdata/org.json", "the simulator's seed org")
	fs.StringVar(&c.dir, "dir", "bin/bench", "where the file, the report and the tool's log go")
	fs.StringVar(&c.name, "name", "", "a name for this run's files (default from the rates)")
	fs.Var(&c.routes, "route-limit", "a route's own limit, requests a minute per OAuth client: 'POST /api/v2/users=60' (repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if c.users < 1 || c.serverRate < 1 || c.rate < 1 || c.tokenPool < 1 {
		fmt.Fprintln(stderr, "e2ebench: -users, -server-rate, -rate and -tokens must be positive")
		return 2
	}
	if c.latency < 0 {
		fmt.Fprintln(stderr, "e2ebench: -latency must not be negative")
		return 2
	}
	if c.name == "" {
		c.name = fmt.Sprintf("e2e-%d-server%d-rate%d", c.users, c.serverRate, c.rate)
		if len(c.routes) > 0 {
			c.name += "-routes"
		}
		if c.tokenPool > 1 {
			c.name += fmt.Sprintf("-tokens%d", c.tokenPool)
		}
		if c.latency > 0 {
			c.name += "-latency" + c.latency.String()
		}
		if c.export {
			c.name += "-export"
		}
	}
	res, err := measure(c, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "e2ebench %s: %v\n", c.name, err)
		return 1
	}
	res.print(stdout)
	return 0
}

// result is what one run measured.
type result struct {
	config
	wall         time.Duration
	requests     int // every request the simulator answered, token requests and 429s included
	throttled    int // 429 answers
	tokens       int // token requests answered, but not 429
	steadyPerMin float64
	// Per token, by the simulator's token index (1 for the first minted), from what it
	// observed: API requests and the 429s among them.
	requestsByToken, throttledByToken map[int]int
	minted                            int    // tokens the simulator issued
	mintThrottled                     int    // token requests answered 429
	summary, cpr                      string // the tool's own summary and calls-per-row lines
	exitCode                          int
	rejectedLimit                     int
	limited                           []routeResult // the routes given -route-limit
	exported                          *exportResult // with -export
}

// exportResult is what -export measured.
type exportResult struct {
	users      int           // users exported, from the tool's summary
	wall       time.Duration // the export's wall time
	callsLine  string        // the tool's "calls per user" line
	requests   int           // requests the simulator answered during the export
	reimported time.Duration // the re-import's wall time
	writes     int           // write calls the re-import made
}

// routeResult is what one run measured on a route with a limit of its own.
type routeResult struct {
	route        string
	limit        int
	accepted     int // answered, but not 429
	throttled    int
	steadyPerMin float64 // accepted requests per minute in the route's steady span
	settledMin   float64 // the same between the 50th and the 90th percentile
}

func measure(c config, stderr io.Writer) (*result, error) {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	org, err := gcsim.LoadOrg(c.org)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	var seen []gcsim.Observed
	sim := gcsim.New(gcsim.Options{
		Org: org, RatePerMinute: c.serverRate, RouteLimits: c.routes, Seed: 1, Latency: c.latency,
		Observe: func(o gcsim.Observed) {
			mu.Lock()
			seen = append(seen, o)
			mu.Unlock()
		},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := gcsim.Serve(ln, sim)
	defer srv.Close()

	csvPath := filepath.Join(c.dir, c.name+".csv")
	if err := generate(c, csvPath); err != nil {
		return nil, err
	}
	logPath := filepath.Join(c.dir, c.name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	var tail bytes.Buffer
	cmd := exec.Command(c.bin, toolArgs(c, filepath.Join(c.dir, c.name+".results.csv"), csvPath)...)
	cmd.Env = append(os.Environ(),
		"GENESYS_API_URL="+srv.URL, "GENESYS_CLIENT_ID=demo-client", "GENESYS_CLIENT_SECRET=demo-secret-not-real")
	cmd.Stdout = logFile
	cmd.Stderr = io.MultiWriter(logFile, &tail)
	fmt.Fprintf(stderr, "e2ebench %s: %d users, server %d/min, --rate %d", c.name, c.users, c.serverRate, c.rate)
	if c.tokenPool > 1 {
		fmt.Fprintf(stderr, ", --tokens %d", c.tokenPool)
	}
	if c.latency > 0 {
		fmt.Fprintf(stderr, ", latency %s", c.latency)
	}
	if len(c.routes) > 0 {
		fmt.Fprintf(stderr, ", route limits %s", c.routes.String())
	}
	fmt.Fprintf(stderr, "; log in %s\n", logPath)
	start := time.Now()
	err = cmd.Run()
	res := &result{config: c, wall: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case err != nil:
		return nil, err
	}
	for _, l := range strings.Split(tail.String(), "\n") {
		switch {
		case strings.HasPrefix(l, "calls per row: "):
			res.cpr = strings.TrimPrefix(l, "calls per row: ")
		case strings.HasPrefix(l, csvPath+": "):
			res.summary = strings.TrimPrefix(l, csvPath+": ")
		}
	}
	mu.Lock()
	res.analyse(seen)
	mu.Unlock()
	counters := sim.Counters()
	res.rejectedLimit = counters.LimitRejections
	res.minted, res.mintThrottled = counters.TokensIssued, counters.TokenTooMany
	if res.exitCode != 0 {
		return res, fmt.Errorf("the tool exited %d (see %s)", res.exitCode, logPath)
	}
	if c.export {
		res.exported, err = measureExport(c, srv.URL, sim)
	}
	return res, err
}

// measureExport exports the org's users with the tool, on one token at --rate, then imports
// the export again with the run's own flags and counts the writes it made (none, if the
// export is faithful).
func measureExport(c config, url string, sim *gcsim.Sim) (*exportResult, error) {
	env := append(os.Environ(), "GENESYS_API_URL="+url, "GENESYS_CLIENT_ID=demo-client", "GENESYS_CLIENT_SECRET=demo-secret-not-real")
	out := filepath.Join(c.dir, c.name+".export.csv")
	var stderr bytes.Buffer
	cmd := exec.Command(c.bin, "export", "--env-file", os.DevNull, "--log-format", "json", "--rate", fmt.Sprint(c.rate), out)
	cmd.Env, cmd.Stderr = env, &stderr
	before, start := answered(sim), time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("export: %v\n%s", err, stderr.String())
	}
	x := &exportResult{wall: time.Since(start), requests: answered(sim) - before}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "exported ") {
			_, _ = fmt.Sscanf(l, "exported %d users", &x.users)
		}
		if strings.HasPrefix(l, "calls per user: ") {
			x.callsLine = strings.TrimPrefix(l, "calls per user: ")
		}
	}
	writes := sim.Counters().Writes
	again := exec.Command(c.bin, toolArgs(c, filepath.Join(c.dir, c.name+".reimport.results.csv"), out)...)
	again.Env, again.Stderr = env, &stderr
	start = time.Now()
	if err := again.Run(); err != nil {
		return nil, fmt.Errorf("re-import: %v\n%s", err, stderr.String())
	}
	x.reimported, x.writes = time.Since(start), sim.Counters().Writes-writes
	if x.writes != 0 {
		return x, fmt.Errorf("the re-import of the export made %d writes, want none", x.writes)
	}
	return x, nil
}

// answered is how many requests the simulator has answered so far, on every route.
func answered(sim *gcsim.Sim) int {
	n := 0
	for _, v := range sim.Counters().Requests {
		n += v
	}
	return n
}

// toolArgs are the tool's arguments. -tokens 1 passes no --tokens, so that the run is the
// one it was before the flag existed.
func toolArgs(c config, report, csvPath string) []string {
	args := []string{"--env-file", os.DevNull, "--log-format", "json", "--rate", fmt.Sprint(c.rate)}
	if c.tokenPool > 1 {
		args = append(args, "--tokens", fmt.Sprint(c.tokenPool))
	}
	return append(args, "--report", report, csvPath)
}

// generate writes the typical profile with bin/gencsv.
func generate(c config, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.gencsv, "-rows", fmt.Sprint(c.users), "-profile", c.profile, "-prefix", c.name)
	cmd.Stdout = f
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", c.gencsv, err)
	}
	return f.Close()
}

// analyse computes the counts and the steady rate from the requests the simulator saw.
func (r *result) analyse(seen []gcsim.Observed) {
	times := make([]time.Time, 0, len(seen))
	r.requestsByToken, r.throttledByToken = map[int]int{}, map[int]int{}
	for _, o := range seen {
		times = append(times, o.At)
		switch {
		case o.Status == 429:
			r.throttled++
		case o.Path == "/oauth/token":
			r.tokens++
		}
		if o.Token > 0 {
			r.requestsByToken[o.Token]++
			if o.Status == 429 {
				r.throttledByToken[o.Token]++
			}
		}
	}
	r.requests = len(seen)
	r.steadyPerMin = between(times, 10, 90)
	keys := make([]string, 0, len(r.routes))
	for k := range r.routes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rr := routeResult{route: k, limit: r.routes[k]}
		var accepted []time.Time
		for _, o := range seen {
			if !matchRoute(k, o.Method, o.Path) {
				continue
			}
			switch o.Status {
			case 429:
				rr.throttled++
			case 0: // dropped unanswered: not counted either way
			default:
				accepted = append(accepted, o.At)
			}
		}
		rr.accepted = len(accepted)
		rr.steadyPerMin = between(accepted, 10, 90)
		rr.settledMin = between(accepted, 50, 90)
		r.limited = append(r.limited, rr)
	}
}

// between is the rate, per minute, of the times between their lo-th and hi-th percentiles.
// It sorts times.
func between(times []time.Time, lo, hi int) float64 {
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	if len(times) < 10 {
		return 0
	}
	lo, hi = len(times)*lo/100, len(times)*hi/100
	if span := times[hi].Sub(times[lo]); span > 0 {
		return float64(hi-lo) / span.Minutes()
	}
	return 0
}

// matchRoute reports whether a request is one of pattern's ("POST /api/v2/users/{userId}").
func matchRoute(pattern, method, path string) bool {
	pm, pp, _ := strings.Cut(pattern, " ")
	if pm != method {
		return false
	}
	want, got := strings.Split(pp, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if w != got[i] && !(strings.HasPrefix(w, "{") && got[i] != "") {
			return false
		}
	}
	return true
}

// allowed is the lower of the server's limit and --rate, both per token, times the tokens.
func (r *result) allowed() int { return min(r.serverRate, r.rate) * max(r.tokenPool, 1) }

// perToken lists, for a run with several tokens, the tokens minted and each token's 429s
// out of its requests: "4 minted, 0 token requests answered 429; 429s per token: #1 2 of
// 760, #2 0 of 752, ...".
func (r *result) perToken() string {
	n := r.minted
	for i := range r.requestsByToken {
		n = max(n, i)
	}
	parts := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		parts = append(parts, fmt.Sprintf("#%d %d of %d", i, r.throttledByToken[i], r.requestsByToken[i]))
	}
	return fmt.Sprintf("%d minted, %d token requests answered 429; 429s per token: %s", r.minted, r.mintThrottled, strings.Join(parts, ", "))
}

func (r *result) print(w io.Writer) {
	ratio := r.steadyPerMin / float64(r.allowed())
	share := 100 * float64(r.throttled) / float64(max(r.requests, 1))
	fmt.Fprintf(w, "%s: %d users in %s; %d requests (%.2f per user, %d tokens), %d answered 429 (%.2f%%)\n",
		r.name, r.users, r.wall.Round(time.Second), r.requests, float64(r.requests)/float64(r.users), r.tokens, r.throttled, share)
	pool := ""
	if r.tokenPool > 1 {
		pool = fmt.Sprintf(", per token, × %d tokens", r.tokenPool)
	}
	if r.latency > 0 {
		pool += fmt.Sprintf("; latency %s", r.latency)
	}
	fmt.Fprintf(w, "  steady rate %.0f requests/min = %.3f of the allowed %d/min (server %d/min, --rate %d%s)\n",
		r.steadyPerMin, ratio, r.allowed(), r.serverRate, r.rate, pool)
	if r.tokenPool > 1 {
		fmt.Fprintf(w, "  tokens: --tokens %d, %s\n", r.tokenPool, r.perToken())
	}
	fmt.Fprintf(w, "  tool: %s\n  calls per row: %s\n", r.summary, r.cpr)
	if r.rejectedLimit > 0 {
		fmt.Fprintf(w, "  %d calls refused for carrying too many items\n", r.rejectedLimit)
	}
	run, measure := fmt.Sprintf("%d users, server %d/min, `--rate` %d", r.users, r.serverRate, r.rate), fmt.Sprintf("%.3f", ratio)
	if r.tokenPool > 1 {
		run += fmt.Sprintf(", `--tokens` %d (%d minted)", r.tokenPool, r.minted)
	}
	if r.latency > 0 {
		run += fmt.Sprintf(", latency %s", r.latency)
	}
	for i, rr := range r.limited {
		routeRatio, settled := rr.steadyPerMin/float64(rr.limit), rr.settledMin/float64(rr.limit)
		fmt.Fprintf(w, "  route %s: steady %.1f accepted/min = %.3f of its limit %d/min, settled (p50-p90) %.1f/min = %.3f; %d accepted, %d answered 429\n",
			rr.route, rr.steadyPerMin, routeRatio, rr.limit, rr.settledMin, settled, rr.accepted, rr.throttled)
		if i == 0 { // the table row reports the first limited route: the run is bound by it
			run += fmt.Sprintf(", `%s` %d/min", rr.route, rr.limit)
			measure = fmt.Sprintf("%.3f of the route's limit (settled %.3f)", routeRatio, settled)
		}
	}
	fmt.Fprintf(w, "| %s | %s | %d of %d (%.2f%%) | %.2f | %s |\n",
		run, measure, r.throttled, r.requests, share, float64(r.requests)/float64(r.users), r.wall.Round(time.Second))
	if x := r.exported; x != nil {
		fmt.Fprintf(w, "  export: %d users in %s on one token at --rate %d; %d requests = %.3f per user\n  export calls per user: %s\n  re-import of the export: %d writes in %s\n",
			x.users, x.wall.Round(time.Second), r.rate, x.requests, float64(x.requests)/float64(max(x.users, 1)), x.callsLine, x.writes, x.reimported.Round(time.Second))
	}
}
