package main

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/user-provisioning/user-provisioning/provision"
)

// people is how many users the smoke provisions.
const people = 3

// newPrefix is a run's unique prefix: the time to the second and 24 random bits, so that
// two runs, even at the same second, never share an email.
func newPrefix(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "smoke-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// person is one user of the file, and what the org must show for it afterwards.
type person struct {
	line         int // the file line of its row
	name         string
	email        string // prefix-N@domain, lower case
	title        string
	department   string
	phoneWork    string // as written in the file
	phoneE164    string // as Genesys stores it
	employeeID   string
	employeeType string
	hireDate     string
	manager      int // index of the manager in the plan; -1: none
	skill        float64
	language     float64
	phone        bool // a WebRTC phone on the smoke site
}

// plan is the file the smoke provisions: people users, every email under the prefix.
type plan struct {
	prefix string
	domain string
	org    orgObjects
	people []person
}

func newPlan(prefix string, names orgNames, org orgObjects, phone bool) plan {
	p := plan{prefix: prefix, domain: names.domain, org: org}
	for i := range people {
		n := i + 1
		manager := 0 // the first user manages the others
		if i == 0 {
			manager = -1
		}
		p.people = append(p.people, person{
			line:         n + 1,
			name:         fmt.Sprintf("Smoke Test %d (%s)", n, prefix),
			email:        fmt.Sprintf("%s-%d@%s", prefix, n, names.domain),
			title:        fmt.Sprintf("Smoke Agent %d", n),
			department:   "Smoke Test",
			phoneWork:    fmt.Sprintf("+1 317 555 01%02d", n), // 555-01xx: fictional numbers
			phoneE164:    fmt.Sprintf("+131755501%02d", n),
			employeeID:   fmt.Sprintf("%s-%d", prefix, n),
			employeeType: "Full-time",
			hireDate:     fmt.Sprintf("2024-01-%02d", n),
			manager:      manager,
			skill:        float64(n + 1),
			language:     float64(n + 2),
			phone:        phone && i == 0,
		})
	}
	return p
}

// owns reports whether email is one of this run's: under its prefix and its domain.
func (p plan) owns(email string) bool {
	e := strings.ToLower(email)
	return strings.HasPrefix(e, p.prefix+"-") && strings.HasSuffix(e, "@"+p.domain)
}

func (p plan) emails() []string {
	out := make([]string, len(p.people))
	for i, x := range p.people {
		out[i] = x.email
	}
	return out
}

// columns are the file's header: the full dialect.
var columns = []string{"name", "email", "title", "department", "phone_work", "employee_id", "employee_type",
	"hire_date", "email_manager", "location_work", "division", "roles", "groups", "queues", "skills", "languages",
	"sitename", "phonebase"}

// write writes the plan as a CSV file at path; edit, when not nil, may change a person's
// row first. Multi-value cells are separated by commas only (Options.ListSeparator).
func (p plan) write(path string, edit func(i int, x *person)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(columns)
	for i, x := range p.people {
		if edit != nil {
			edit(i, &x)
		}
		manager := ""
		if x.manager >= 0 {
			manager = p.people[x.manager].email
		}
		site, base := "", ""
		if x.phone {
			site, base = p.org.site.Name, p.org.phoneBase.Name
		}
		_ = w.Write([]string{x.name, x.email, x.title, x.department, x.phoneWork, x.employeeID, x.employeeType,
			x.hireDate, manager, p.org.location.Name, p.org.division.Name,
			p.org.role.Name + ":" + p.org.division.Name, p.org.group.Name, p.org.queue.Name,
			levels(p.org.skills, x.skill), levels(p.org.languages, x.language), site, base})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// levels is a skills or languages cell: every name at one proficiency.
func levels(refs []provision.Ref, proficiency float64) string {
	parts := make([]string, len(refs))
	for i, r := range refs {
		parts[i] = r.Name + ":" + strconv.FormatFloat(proficiency, 'f', -1, 64)
	}
	return strings.Join(parts, ",")
}
