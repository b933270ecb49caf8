package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// The least-privilege preflight: before pass 1 reads anything, a run (a dry run too, not
// Validate) reads what its credentials may do (Services.Who) and compares it with what the
// file's columns and the options need (needs.go). A missing permission stops the run before
// any write and before the report is created (*PermissionError); a permission far beyond
// what the tool needs, or a token that lives longer than an hour, is logged, and the run goes
// on. When the credentials' permissions cannot be read, the run goes on unchecked.

// PermissionError is a run's refusal to start: the credentials lack permissions the run
// needs. Nothing was written and no report created.
type PermissionError struct {
	Subject string // who acts, as Privileges.Subject words it
	Missing []Need
}

func (e *PermissionError) Error() string {
	return lacks(e.Subject, e.Missing, "this run needs")
}

// lacks words missing permissions: `OAuth client "Nightly import" (id) lacks 2 permissions
// this run needs: telephony:plugin:all, needed for sitename/phonebase; …`.
func lacks(subject string, missing []Need, what string) string {
	parts := make([]string, len(missing))
	for i, n := range missing {
		parts[i] = n.String()
	}
	return fmt.Sprintf("%s lacks %s %s: %s", subject, count(len(missing), "permission"), what, strings.Join(parts, "; "))
}

// count is "1 permission", "2 permissions".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// adminLevel are the permissions, besides any "admin" action and the legacy "admin", that
// administer the org rather than provision its users: roles, divisions, OAuth clients and
// integrations, and deleting users. The tool needs none of them (it never deletes), and
// credentials that hold them can do far more than any run of the tool.
var adminLevel = []string{
	"authorization:role:add", "authorization:role:edit", "authorization:role:delete",
	"authorization:division:add", "authorization:division:edit", "authorization:division:delete",
	"oauth:client:add", "oauth:client:edit", "oauth:client:delete",
	"integrations:integration:add", "integrations:integration:edit", "integrations:integration:delete",
	"directory:user:delete",
}

// maxNamed is how many over-broad permissions the warning names.
const maxNamed = 5

// preflight checks the credentials' permissions against what the run needs; see the top of
// this file. It returns a *PermissionError when some are missing, and the error of a header
// that cannot be read (the same the run would stop with).
func (p *pipeline) preflight() error {
	if p.offline || p.svc.Who == nil {
		return nil
	}
	cols, err := p.headerColumns()
	if err != nil {
		return err
	}
	var later []Need
	if p.o.DryRun {
		real := p.o
		real.DryRun = false
		later = needsOf(runUses(cols, real))
	}
	return checkPrivileges(p.apiCtx, p.svc.Who, needsOf(runUses(cols, p.o)), later, p.log)
}

// checkPrivileges reads what who may do and checks needs against it: a *PermissionError for
// the missing ones; warnings for what a real run would lack (later, for a dry run's), for
// permissions far beyond the needs, and a note for a long token lifetime. When the
// permissions cannot be read, it warns and returns nil.
func checkPrivileges(ctx context.Context, who Privileged, needs, later []Need, log *zap.Logger) error {
	priv, err := who.Privileges(ctx)
	if err != nil {
		return unchecked(ctx, priv, err, log)
	}
	if missing := missingNeeds(needs, priv.Permissions); len(missing) > 0 {
		return &PermissionError{Subject: subjectOf(priv), Missing: missing}
	}
	if missing := missingNeeds(later, priv.Permissions); len(missing) > 0 {
		log.Warn(lacks(subjectOf(priv), missing, "a real run of this file needs"))
	}
	overPrivileged(priv, append(needs, later...), log)
	tokenLifetime(priv, log)
	log.Info(fmt.Sprintf("permissions checked: %d needed, all held", len(needs)),
		zap.String("subject", subjectOf(priv)), zap.Strings("roles", priv.Roles))
	return nil
}

// headerColumns reads the file's header: its columns by canonical name.
func (p *pipeline) headerColumns() (map[string]bool, error) {
	r, err := p.openCSV()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cols := make(map[string]bool, len(r.names))
	for _, n := range r.names {
		cols[n] = true
	}
	return cols, nil
}

// unchecked handles a failure to read the credentials' permissions: the run goes on
// unchecked, with a warning, unless ctx ended or the credentials were rejected.
func unchecked(ctx context.Context, priv Privileges, err error, log *zap.Logger) error {
	if cerr := context.Cause(ctx); cerr != nil {
		return cerr
	}
	if errors.Is(err, ErrAuth) && !errors.Is(err, ErrTokenEnded) {
		return fmt.Errorf("read the credentials' permissions: %w", err)
	}
	whose := "the OAuth client's"
	if priv.Person {
		whose = "the user's"
	}
	msg := fmt.Sprintf("could not read %s roles (%v); permissions not checked", whose, err)
	if errors.Is(err, ErrForbidden) && !priv.Person {
		msg += ": reading them needs oauth:client:view"
	}
	log.Warn(msg)
	return nil
}

// subjectOf names who acts, for messages.
func subjectOf(priv Privileges) string {
	switch {
	case priv.Subject != "":
		return priv.Subject
	case priv.Person:
		return "the user the token acts for"
	}
	return "the OAuth client"
}

// missingNeeds returns the needs that held does not satisfy.
func missingNeeds(needs []Need, held []string) []Need {
	var out []Need
	for _, n := range needs {
		if !n.HeldBy(held) {
			out = append(out, n)
		}
	}
	return out
}

// overPrivileged warns about the held permissions far broader than the run needs: those with
// a "*" part, the legacy "admin", and the admin-level ones (an "admin" action, adminLevel)
// that no need of the run names first.
func overPrivileged(priv Privileges, needs []Need, log *zap.Logger) {
	broad := broaderThanNeeded(priv.Permissions, needs)
	if len(broad) == 0 {
		return
	}
	named := strings.Join(broad[:min(maxNamed, len(broad))], ", ")
	if len(broad) > maxNamed {
		named += fmt.Sprintf(" and %d more", len(broad)-maxNamed)
	}
	advice := "don't over-privilege the OAuth client (best practice 4): give it a role with only the permissions the README's 'Setting up the OAuth client' lists"
	if priv.Person {
		advice = "don't run the tool as an over-privileged user (best practice 4): run it as a user whose roles hold only the permissions the README's 'Setting up the OAuth client' lists"
	}
	log.Warn(fmt.Sprintf("%s holds %s broader than this run needs: %s; %s",
		subjectOf(priv), count(len(broad), "permission"), named, advice))
}

// broaderThanNeeded returns, each once and in order, the permissions of held that
// overPrivileged warns about.
func broaderThanNeeded(held []string, needs []Need) []string {
	used := map[string]bool{}
	for _, n := range needs {
		used[n.Permissions[0]] = true
	}
	var out []string
	for _, h := range held {
		parts := strings.Split(h, ":")
		wild := slices.Contains(parts, "*") || h == "admin"
		admin := (len(parts) > 1 && parts[len(parts)-1] == "admin") || slices.Contains(adminLevel, h)
		if (wild || (admin && !used[h])) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// maxTokenLifetime is the longest token lifetime the tool advises: it renews a client's
// tokens a quarter of their life before they end, so a short lifetime costs a token request
// an hour at most, and a stolen token is good for less.
const maxTokenLifetime = time.Hour

// tokenLifetime notes an OAuth client whose tokens live longer than maxTokenLifetime. A
// person's token is left alone: a grant that acts as a person may not be able to renew it,
// so its lifetime is how long the run can last.
func tokenLifetime(priv Privileges, log *zap.Logger) {
	if priv.Person || priv.TokenLifetime <= maxTokenLifetime {
		return
	}
	log.Info(fmt.Sprintf("tokens of this OAuth client live %s; a lifetime of 1 hour or less is enough: the tool renews tokens before they end (best practice 5: be aggressive with token time-outs)",
		shortDuration(priv.TokenLifetime)), zap.String("subject", subjectOf(priv)))
}

// shortDuration words a duration in whole hours or minutes when it is one: "24h", "90m".
func shortDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
