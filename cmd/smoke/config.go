package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/user-provisioning/user-provisioning/cmd/internal/envconfig"
	"github.com/user-provisioning/user-provisioning/provision"
)

// setting is one GENESYS_SMOKE_* variable: the name of an object in the sandbox org.
type setting struct {
	env   string
	what  string // one line for the list of what to set
	list  bool   // one or more names, separated by commas
	phone bool   // needed only with --phone
}

// settings are the names the smoke uses in the org, in the order the error message lists them.
var settings = []setting{
	{env: "GENESYS_SMOKE_DIVISION", what: "a division: the users are created in it and get the role in it"},
	{env: "GENESYS_SMOKE_ROLE", what: "a role, granted in that division"},
	{env: "GENESYS_SMOKE_GROUP", what: "a group the users join"},
	{env: "GENESYS_SMOKE_QUEUE", what: "a queue the users join"},
	{env: "GENESYS_SMOKE_SKILLS", what: "one or more routing skills, comma-separated", list: true},
	{env: "GENESYS_SMOKE_LANGUAGES", what: "one or more routing languages, comma-separated", list: true},
	{env: "GENESYS_SMOKE_LOCATION", what: "a location, the users' work location"},
	{env: "GENESYS_SMOKE_SITE", what: "a telephony site for the WebRTC phone (with --phone only)", phone: true},
	{env: "GENESYS_SMOKE_PHONE_BASE", what: "a WebRTC phone base settings name (with --phone only)", phone: true},
}

// domainVar names the domain of the users' emails; it has a default.
const (
	domainVar     = "GENESYS_SMOKE_EMAIL_DOMAIN"
	defaultDomain = "example.com"
)

// orgNames are the names read from the settings, by variable (one name each, or one or more
// for a list setting), and the email domain.
type orgNames struct {
	values map[string][]string
	domain string
}

func (n orgNames) one(env string) string    { return n.values[env][0] }
func (n orgNames) many(env string) []string { return n.values[env] }

// readNames reads the settings. A missing one is an error that lists every variable still
// to set, with what it names.
func readNames(e envconfig.Env, phone bool) (orgNames, error) {
	n := orgNames{values: map[string][]string{}}
	var missing []setting
	for _, s := range settings {
		if s.phone && !phone {
			continue
		}
		v := strings.TrimSpace(e.Get(s.env))
		var names []string
		if s.list {
			for _, x := range strings.Split(v, ",") {
				if x = strings.TrimSpace(x); x != "" {
					names = append(names, x)
				}
			}
		} else if v != "" {
			names = []string{v}
		}
		if len(names) == 0 {
			missing = append(missing, s)
			continue
		}
		n.values[s.env] = names
	}
	if len(missing) > 0 {
		var b strings.Builder
		b.WriteString("set these variables, in .env or the environment, to names in the sandbox org (see .env.example):")
		for _, s := range missing {
			fmt.Fprintf(&b, "\n  %-26s %s", s.env, s.what)
		}
		fmt.Fprintf(&b, "\n  (and optionally %s, the users' email domain; default %s)", domainVar, defaultDomain)
		return n, fmt.Errorf("%s", b.String())
	}
	n.domain = strings.ToLower(strings.TrimSpace(e.Get(domainVar)))
	if n.domain == "" {
		n.domain = defaultDomain
	}
	if strings.ContainsAny(n.domain, "@ ,;") || !strings.Contains(n.domain, ".") {
		return n, fmt.Errorf("%s=%q: give a domain such as %s", domainVar, n.domain, defaultDomain)
	}
	return n, nil
}

// orgObjects are the objects the names resolve to in the org.
type orgObjects struct {
	division, role, group, queue, location provision.Ref
	skills, languages                      []provision.Ref
	site                                   provision.Ref
	phoneBase                              provision.PhoneBase
}

// resolve finds each name in the org, matched exactly as the pipeline matches names. A
// name that is not there is an error naming its variable, one line each.
func resolve(ctx context.Context, svc provision.Services, n orgNames, phone bool) (orgObjects, error) {
	var o orgObjects
	var problems []string
	var listErr error // a list that could not be read: not a wrong name, so not a problem to list
	find := func(env, kind string, list func(context.Context) ([]provision.Ref, error)) []provision.Ref {
		if listErr != nil {
			return nil
		}
		all, err := list(ctx)
		if err != nil {
			listErr = fmt.Errorf("list %ss: %w", kind, err)
			return nil
		}
		var out []provision.Ref
		for _, name := range n.many(env) {
			i := indexOf(all, func(r provision.Ref) string { return r.Name }, name)
			if i < 0 {
				problems = append(problems, fmt.Sprintf("%s: no %s named '%s' in the org", env, kind, name))
				continue
			}
			out = append(out, all[i])
		}
		return out
	}
	first := func(refs []provision.Ref) provision.Ref {
		if len(refs) == 0 {
			return provision.Ref{}
		}
		return refs[0]
	}
	o.division = first(find("GENESYS_SMOKE_DIVISION", "division", svc.Authorization.ListDivisions))
	o.role = first(find("GENESYS_SMOKE_ROLE", "role", svc.Authorization.ListRoles))
	o.group = first(find("GENESYS_SMOKE_GROUP", "group", svc.Groups.ListGroups))
	o.queue = first(find("GENESYS_SMOKE_QUEUE", "queue", svc.Routing.ListQueues))
	o.skills = find("GENESYS_SMOKE_SKILLS", "skill", svc.Routing.ListSkills)
	o.languages = find("GENESYS_SMOKE_LANGUAGES", "language", svc.Routing.ListLanguages)
	o.location = first(find("GENESYS_SMOKE_LOCATION", "location", svc.Locations.ListLocations))
	if phone && listErr == nil {
		o.site = first(find("GENESYS_SMOKE_SITE", "site", svc.Telephony.ListSites))
		bases, err := svc.Telephony.ListPhoneBases(ctx)
		name := n.one("GENESYS_SMOKE_PHONE_BASE")
		switch i := indexOf(bases, func(b provision.PhoneBase) string { return b.Name }, name); {
		case err != nil:
			listErr = fmt.Errorf("list phone bases: %w", err)
		case i < 0:
			problems = append(problems, fmt.Sprintf("GENESYS_SMOKE_PHONE_BASE: no phone base named '%s' in the org", name))
		default:
			o.phoneBase = bases[i]
		}
	}
	if listErr != nil {
		return o, listErr
	}
	if len(problems) > 0 {
		return o, fmt.Errorf("names not found in the org:\n  %s", strings.Join(problems, "\n  "))
	}
	return o, nil
}

func indexOf[T any](all []T, name func(T) string, want string) int {
	for i, x := range all {
		if name(x) == want {
			return i
		}
	}
	return -1
}
