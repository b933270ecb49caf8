// Command gcsim serves a simulated Genesys Cloud organization (package proxies/gcsim) on a
// loopback port, for demos, benchmarks and manual runs of user-provisioning:
//
//	gcsim -org testdata/org.json -url-file /tmp/gcsim.url
//	GENESYS_API_URL=$(cat /tmp/gcsim.url) GENESYS_CLIENT_ID=demo-client \
//	  GENESYS_CLIENT_SECRET=demo-secret-not-real bin/user-provisioning users.csv
//
// The first line on stdout is "gcsim listening on http://127.0.0.1:PORT". GET /__sim/state
// and GET /__sim/counters show what happened; POST /__sim/revoke-tokens invalidates tokens,
// POST /__sim/expire-tokens expires the access tokens but not the refresh tokens.
//
// The org file sets the OAuth clients, their grant types and roles, the roles' permissions
// and the people's passwords; testdata/org.json's clients and people are listed in package
// gcsim's documentation ("Who acts"). A run can act as a person with the SAML2 bearer grant
// (gcsim-saml-client, at /oauth/token) or the password grant (gcsim-password-client, at
// /auth/v3/oauth/token).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx ends. It returns 0 after a clean stop, 2 for bad usage, 1 when the
// server cannot start.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "assertion" {
		return assertion(args[1:], stdout, stderr)
	}
	cfg, code := parse(args, stderr)
	if cfg == nil {
		return code
	}
	return serve(ctx, gcsim.New(cfg.opts), cfg.addr, cfg.urlFile, stdout, stderr)
}

// assertionLife is how long the assertions of `gcsim assertion` stay good for exchanging.
const assertionLife = 10 * time.Minute

// assertion is `gcsim assertion EMAIL`: it prints an unsigned SAML 2.0 assertion naming EMAIL
// from the default org's identity provider (gcsim.DefaultSAMLIssuer), good for
// assertionLife, for trying the SAML2 bearer grant against the simulator.
func assertion(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || !strings.Contains(args[0], "@") {
		fmt.Fprintln(stderr, "usage: gcsim assertion EMAIL (prints a SAML assertion naming EMAIL, good for 10 minutes)")
		return 2
	}
	fmt.Fprintln(stdout, gcsim.Assertion(gcsim.DefaultSAMLIssuer, args[0], time.Now().Add(assertionLife)))
	return 0
}

// settings are what the flags ask for.
type settings struct {
	opts          gcsim.Options
	addr, urlFile string
}

// parse reads the flags. On bad usage, or -h, it returns nil and the exit code (2, or 0).
func parse(args []string, stderr io.Writer) (*settings, int) {
	fs := flag.NewFlagSet("gcsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address; port 0 picks a free port")
	allowRemote := fs.Bool("allow-remote", false, "allow an -addr that is not a loopback address")
	urlFile := fs.String("url-file", "", "also write the base URL to this file (removed on exit)")
	orgPath := fs.String("org", "testdata/org.json", "seed org file")
	ttl := fs.Duration("token-ttl", 24*time.Hour, "lifetime of access tokens whose OAuth client sets no accessTokenValiditySeconds")
	rate := fs.Int("rate", 300, "requests per access token within -rate-window (per OAuth client with -rate-per-client); 0 is unlimited")
	window := fs.Duration("rate-window", time.Minute, "length of the sliding rate-limit window")
	perClient := fs.Bool("rate-per-client", false, "let the tokens of an OAuth client share one -rate window, instead of one each (Genesys's limit is per token)")
	mint := fs.Int("token-mint-rate", gcsim.DefaultTokenMintPerMinute, "token requests (POST /oauth/token) per OAuth client within -rate-window; 0 is unlimited")
	fail503 := fs.Float64("fail-503", 0, "share of API requests answered 503 (0 to 1)")
	drop := fs.Float64("drop", 0, "share of API requests committed, then dropped unanswered (0 to 1)")
	latency := fs.Duration("latency", 0, "delay added to every API and token request")
	stationDelay := fs.Duration("station-delay", 2*time.Second, "delay before a new WebRTC phone's station appears")
	searchLag := fs.Duration("search-lag", time.Second, "delay before a user change reaches user search")
	authLag := fs.Duration("auth-lag", time.Second, "how long role grants and phone creation for a new or restored user answer 404; 0 turns it off")
	groupLag := fs.Duration("group-lag", time.Second, "how long GET on a group shows its version before a member change; 0 turns it off")
	associateLag := fs.Duration("station-associate-lag", time.Second, "how long setting a new station as default answers 409; 0 turns it off")
	searchExpandAll := fs.Bool("search-expand-all", false, "let user search honour every expand value (Genesys honours only authorization, conversationSummary, geolocation, outOfOffice, presence, routingStatus, station)")
	seed := fs.Int64("seed", 1, "seed of the random faults and generated ids")
	verbose := fs.Bool("v", false, "log every request (method, path, status) to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	usage := func(format string, a ...any) (*settings, int) {
		fmt.Fprintf(stderr, "gcsim: "+format+"\n", a...)
		return nil, 2
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case *fail503 < 0 || *fail503 > 1 || *drop < 0 || *drop > 1:
		return usage("-fail-503 and -drop must be between 0 and 1")
	case *mint < 0:
		return usage("-token-mint-rate must not be negative")
	case *rate < 0 || *ttl <= 0 || *window <= 0 || slices.ContainsFunc([]time.Duration{*latency, *stationDelay, *searchLag, *authLag, *groupLag, *associateLag},
		func(d time.Duration) bool { return d < 0 }):
		return usage("-rate and the durations must not be negative; -token-ttl and -rate-window must be positive")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usage("-addr %q: %v", *addr, err)
	}
	if !*allowRemote && !isLoopback(host) {
		return usage("-addr %q is not a loopback address; the simulator has well-known credentials (use -allow-remote to insist)", *addr)
	}
	org, err := gcsim.LoadOrg(*orgPath)
	if err != nil {
		return usage("%v", err)
	}

	if *mint == 0 {
		*mint = -1 // unlimited, as gcsim.Options has it
	}
	opts := gcsim.Options{
		Org: org, TokenTTL: *ttl, RatePerMinute: *rate, RateWindow: *window,
		RatePerClient: *perClient, TokenMintPerMinute: *mint,
		Fail503Ratio: *fail503, DropRatio: *drop, Latency: *latency,
		StationDelay: *stationDelay, SearchLag: *searchLag, Seed: *seed,
		AuthLag: lagOption(*authLag), GroupLag: lagOption(*groupLag), StationAssociateLag: lagOption(*associateLag),
		SearchExpandAll: *searchExpandAll,
	}
	if *verbose {
		opts.Logf = log.New(stderr, "", log.LstdFlags|log.Lmicroseconds).Printf
	}
	return &settings{opts: opts, addr: *addr, urlFile: *urlFile}, 0
}

// serve serves sim on addr until ctx ends, writing its URL to urlFile (when not "") for as
// long as it serves. It returns 0 after a clean stop, 1 when the server cannot start.
func serve(ctx context.Context, sim *gcsim.Sim, addr, urlFile string, stdout, stderr io.Writer) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "gcsim: %v\n", err)
		return 1
	}
	srv := gcsim.Serve(ln, sim)
	fmt.Fprintf(stdout, "gcsim listening on %s\n", srv.URL)
	if urlFile != "" {
		if err := writeFileAtomic(urlFile, srv.URL+"\n"); err != nil {
			srv.Close()
			fmt.Fprintf(stderr, "gcsim: %v\n", err)
			return 1
		}
		defer os.Remove(urlFile)
	}

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	fmt.Fprintln(stderr, "gcsim: stopped")
	return 0
}

// lagOption maps a lag flag, where 0 is off, to its gcsim.Options field, where 0 is the
// default and a negative value is off.
func lagOption(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeFileAtomic writes through a temporary file and a rename, so that a reader polling for
// the file never sees it half written.
func writeFileAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gcsim-url-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
