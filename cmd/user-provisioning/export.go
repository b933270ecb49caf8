package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/user-provisioning/user-provisioning/cmd/internal/envconfig"
	"github.com/user-provisioning/user-provisioning/provision"
	"github.com/user-provisioning/user-provisioning/proxies"
)

// exportFlags are the settings of `user-provisioning export`.
type exportFlags struct {
	flags      // the credentials, rate, tokens and log settings, as for an import
	states     string
	scopeDiv   string
	scopeGroup string
}

// parseExportFlags reads the export's command line: flags before or after OUT.csv.
func parseExportFlags(args []string, stderr io.Writer) (exportFlags, []string, error) {
	var f exportFlags
	fs := flag.NewFlagSet("user-provisioning export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: user-provisioning export [flags] OUT.csv (- for stdout)\n\nflags:\n")
		fs.PrintDefaults()
	}
	f.defineConnection(fs)
	fs.StringVar(&f.listSep, "list-separator", "", "separate the items of multi-value cells with this `character` (, or ;; default , unless a name holds one)")
	fs.StringVar(&f.scopeDiv, "scope-division", "", "export the users of this `division` only")
	fs.StringVar(&f.scopeGroup, "scope-group", "", "export the direct members of this `group` only")
	fs.StringVar(&f.states, "state", "active,inactive", "the users' `states`: active, inactive, or both (deleted users are never exported)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return f, nil, err
	}
	return f, files, f.checkExport()
}

// checkExport refuses values the export cannot use.
func (f exportFlags) checkExport() error {
	for _, s := range strings.Split(f.states, ",") {
		if s != "active" && s != "inactive" {
			return fmt.Errorf("--state %q: list active, inactive or both (deleted users are never exported)", f.states)
		}
	}
	if f.scopeDiv != "" && f.scopeGroup != "" {
		return errors.New("--scope-division and --scope-group do not go together")
	}
	if err := f.checkConnection(); err != nil {
		return err
	}
	return oneOf("--list-separator", f.listSep, "", ",", ";")
}

// runExport is `user-provisioning export`: it writes the org's users to OUT.csv, or stdout
// for "-", and returns the exit code.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer, secrets *envconfig.ClientSecrets, tuneClient func(*proxies.Config)) int {
	f, files, err := parseExportFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		return unusable(stderr, err)
	case len(files) != 1:
		fmt.Fprintf(stderr, "user-provisioning: give exactly one output file, or - for stdout (usage: user-provisioning export [flags] OUT.csv)\n")
		return exitUnusable
	}
	redact := provision.NewRedactor(secrets.Secrets)
	tty := envconfig.IsTerminal(stderr)
	logOut := &logOutput{base: stderr} // above the progress bar while it shows
	log, err := envconfig.NewLogger(f.logFormat, f.logLevel, tty, logOut, secrets.Secrets)
	if err != nil {
		return unusable(stderr, err)
	}
	defer func() { _ = log.Sync() }()
	client, err := connect(ctx, f.flags, "", log, secrets, tuneClient)
	if client != nil {
		defer client.Close()
	}
	if err != nil {
		return fail(ctx, stderr, scrubbed(err, redact))
	}
	opts := provision.ExportOptions{ScopeDivision: f.scopeDiv, ScopeGroup: f.scopeGroup,
		States: strings.Split(f.states, ","), ListSeparator: f.listSep, Progress: &provision.Progress{}, Log: log}
	stopProgress := startProgress(f.progress, tty, stderr, logOut, log, opts.Progress, client)
	res, err := writeExport(ctx, files[0], stdout, func(w io.Writer) (provision.ExportResult, error) {
		return provision.Export(ctx, client.Services(), opts, w)
	})
	stopProgress()
	if err != nil {
		return fail(ctx, stderr, scrubbed(err, redact))
	}
	st := client.Stats()
	fmt.Fprintf(stderr, "exported %d users to %s; %d API requests (%d throttled, %d retried, %d tokens)\n",
		res.Users, files[0], st.Requests, st.Throttled, st.Retries, st.Tokens)
	if res.Users > 0 {
		fmt.Fprintf(stderr, "calls per user: %s\n", callsPerRow(st.ByRoute, res.Users))
	}
	if res.SeparatorInNames {
		fmt.Fprintf(stderr, "some names hold ',' or ';': the file separates items with %q; import it with --list-separator '%s'\n", res.ListSeparator, res.ListSeparator)
	}
	return exitOK
}

// writeExport runs export into path, or stdout for "-". A file is written as
// provision.ReplaceFile writes it, mode 0600 (it holds names and emails), and only once the
// export is complete: a failed export leaves no half file.
func writeExport(ctx context.Context, path string, stdout io.Writer, export func(io.Writer) (provision.ExportResult, error)) (provision.ExportResult, error) {
	if path == "-" {
		return export(stdout)
	}
	var res provision.ExportResult
	err := provision.ReplaceFile(path, 0o600, func(w io.Writer) error {
		var err error
		if res, err = export(w); err == nil {
			err = ctx.Err()
		}
		return err
	})
	return res, err
}
