package provision

import (
	"errors"
	"strings"
)

// target is what a row asks for, with every name resolved to an id.
type target struct {
	spec      Spec
	division  Ref // the row's division; zero when the cell is blank
	grants    []grantTarget
	groups    []Ref
	queues    []Ref
	skills    []Level
	languages []Level
	location  Ref
	site      Ref
	phoneBase PhoneBase
}

// grantTarget is a role to grant; division is zero for "the user's division".
type grantTarget struct {
	role     Ref
	division Ref
	key      string // grantKey: how often rows ask for this grant decides how it is sent
}

// resolve looks up every name in spec. Names that are not in the org come back as
// rowErrors naming their columns; a failure to list a kind of object is returned as is.
func (n *names) resolve(r *CSVReader, row Row, spec Spec) (target, rowErrors, error) {
	t := target{spec: spec}
	var bad rowErrors
	var fatal error
	// try records a lookup's error against column; it reports whether the lookup worked.
	try := func(column string, err error) bool {
		if err == nil {
			return true
		}
		var nf *notFoundError
		if errors.As(err, &nf) {
			idx, header := r.Column(column)
			bad = append(bad, &inputError{File: r.name, Line: row.Line, Column: idx, Field: header, Msg: nf.Error()})
		} else if fatal == nil {
			fatal = err
		}
		return false
	}
	if spec.Division != "" {
		d, err := find("division", spec.Division, n.divisions)
		if try("division", err) {
			t.division = d
		}
	}
	for _, rs := range spec.Roles {
		role, err := find("role", rs.Role, n.roles)
		if !try("roles", err) {
			continue
		}
		g := grantTarget{role: role, key: grantKey(rs, spec)}
		switch rs.Division {
		case "":
		case "*":
			g.division = Ref{ID: "*", Name: "all divisions"}
		default:
			d, err := find("division", rs.Division, n.divisions)
			if !try("roles", err) {
				continue
			}
			g.division = d
		}
		t.grants = append(t.grants, g)
	}
	for _, name := range spec.Groups {
		if g, err := find("group", name, n.groups); try("groups", err) {
			t.groups = append(t.groups, g)
		}
	}
	for _, name := range spec.Queues {
		if q, err := find("queue", name, n.queues); try("queues", err) {
			t.queues = append(t.queues, q)
		}
	}
	for _, p := range spec.Skills {
		if s, err := find("skill", p.Name, n.skills); try("skills", err) {
			t.skills = append(t.skills, Level{ID: s.ID, Name: s.Name, Proficiency: p.Level})
		}
	}
	for _, p := range spec.Languages {
		if l, err := find("language", p.Name, n.languages); try("languages", err) {
			t.languages = append(t.languages, Level{ID: l.ID, Name: l.Name, Proficiency: p.Level})
		}
	}
	if spec.Location != "" {
		if l, err := find("location", spec.Location, n.locations); try("locationwork", err) {
			t.location = l
		}
	}
	if spec.Site != "" {
		if s, err := find("site", spec.Site, n.sites); try("sitename", err) {
			t.site = s
		}
	}
	if spec.PhoneBase != "" {
		if pb, err := find("phone base", spec.PhoneBase, n.phoneBases); try("phonebase", err) {
			t.phoneBase = pb
		}
	}
	return t, bad, fatal
}

// contacts maps the row's phone columns to user addresses. The API makes an entry's
// address and extension mutually exclusive and allows one entry per type, so each column
// has a type of its own: phone_work is PHONE/WORK, extension PHONE/WORK2, phone_mobile
// PHONE/MOBILE (the types Genesys's Terraform provider offers for phone numbers).
func contacts(s Spec) []Contact {
	var out []Contact
	if s.PhoneWork != "" {
		out = append(out, Contact{MediaType: "PHONE", Type: "WORK", Address: s.PhoneWork})
	}
	if s.Extension != "" {
		out = append(out, Contact{MediaType: "PHONE", Type: "WORK2", Extension: s.Extension})
	}
	if s.PhoneMobile != "" {
		out = append(out, Contact{MediaType: "PHONE", Type: "MOBILE", Address: s.PhoneMobile})
	}
	return out
}

// mergeContacts returns have with the entries of want replacing those of the same media
// type and type whose number or extension differs; nil when nothing changes. A PATCH replaces
// the whole list, so every other entry goes back exactly as read.
func mergeContacts(have, want []Contact) []Contact {
	if len(want) == 0 {
		return nil
	}
	key := func(c Contact) string { return c.MediaType + "/" + c.Type }
	wanted := map[string]Contact{}
	for _, c := range want {
		wanted[key(c)] = c
	}
	changed := false
	var out []Contact
	for _, c := range have {
		if w, ok := wanted[key(c)]; ok {
			delete(wanted, key(c))
			if !strings.EqualFold(normalNumber(w.Address), normalNumber(c.Address)) || w.Extension != c.Extension {
				changed = true
				out = append(out, w)
				continue
			}
		}
		out = append(out, c) // as read: its country code and integration go back too
	}
	for _, c := range want {
		if _, ok := wanted[key(c)]; ok {
			out = append(out, c)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return out
}

// normalNumber keeps a number's + and digits, for comparing numbers written differently.
func normalNumber(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '+' || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
