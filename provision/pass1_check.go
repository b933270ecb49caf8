package provision

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Pass 1 checks every row and resolves every name before anything is written, and sorts the
// managers the rows name into those in the org, those only in the file, and those in
// neither; with --deactivate-missing it also lists the users of the scope (pass4_deactivate.go).

// validate is pass 1: it returns the invalid rows by line, with their errors, and sorts
// the managers the file names into those in the org, those only in the file, and those in
// neither.
func (p *pipeline) validate() (map[int]string, error) {
	var seen *emailSet
	if p.o.seenHash != nil {
		seen = newHashedSeen(p.o.seenHash)
	} else {
		seen = newSeen()
	}
	invalid, valid, err := p.check(seen)
	if errors.Is(err, errHashCollision) {
		p.log.Info("two addresses of the file share a hash: checking duplicates exactly")
		invalid, valid, err = p.check(newExactSeen())
	}
	if err != nil {
		return nil, err
	}
	if pr := p.o.Progress; pr != nil {
		pr.Total.Store(int64(valid + len(invalid)))
	}
	if p.offline {
		return invalid, nil
	}
	if err := p.sortManagers(p.managers); err != nil {
		return nil, err
	}
	if p.o.DeactivateMissing {
		if err := p.scopeCandidates(); err != nil {
			return nil, err
		}
	}
	return invalid, nil
}

// errHashCollision is check's signal that a hashed emailSet joined two different addresses.
var errHashCollision = errors.New("hash collision")

// duplicate is a row whose email probably appeared on an earlier line.
type duplicate struct {
	row  Row // only Line and Email are kept
	errs rowErrors
}

// check reads the file once, checks every row and collects the names to resolve. Rows whose
// email a hashed seen reports as seen before are confirmed with one more read of the file.
// It returns the invalid rows and the number of valid ones.
func (p *pipeline) check(seen *emailSet) (map[int]string, int, error) {
	defer seen.Release()
	c := &checker{p: p, seen: seen, invalid: map[int]string{}}
	p.carry.reset()
	p.managers = map[string]bool{}
	p.grantRows = map[string]int{}
	if err := p.eachRow(c.row); err != nil {
		return nil, 0, err
	}
	if err := c.confirmDuplicates(); err != nil {
		return nil, 0, err
	}
	return c.invalid, c.valid, nil
}

// checker is one read of pass 1.
type checker struct {
	p       *pipeline
	seen    *emailSet
	r       *CSVReader // the file, for the duplicates' errors
	invalid map[int]string
	valid   int
	dups    []duplicate // rows whose email a hashed seen has seen before: to confirm
}

// row checks one record and notes what the later passes need.
func (c *checker) row(r *CSVReader, row Row, rowErr error) error {
	p := c.p
	c.r = r
	if rowErr != nil {
		c.invalid[row.Line] = errorDetail(rowErr)
		p.carry.see(row.Line, "")
		return nil
	}
	spec, errs := r.Check(row)
	dupOf, dup := c.seen.Add(row.Email, row.Line)
	var want target
	if len(errs) == 0 && !dup && !p.offline {
		var bad rowErrors
		var err error
		if want, bad, err = p.names.resolve(r, row, spec); err != nil {
			return err
		}
		errs = append(errs, bad...)
	}
	if spec.Manager != "" { // set only when the cell parsed
		p.managers[spec.Manager] = true
	}
	switch {
	case dup && dupOf > 0:
		errs = append(errs, r.DuplicateError(row, dupOf))
	case dup:
		c.dups = append(c.dups, duplicate{row: Row{Line: row.Line, Email: strings.Clone(row.Email)}, errs: errs})
		p.carry.see(row.Line, "")
		return nil
	}
	if len(errs) > 0 {
		c.invalid[row.Line] = errs.Detail()
		p.carry.see(row.Line, "")
		return nil
	}
	if p.carry != nil {
		p.carry.see(row.Line, r.RowHash(row))
	}
	c.valid++
	for _, g := range want.grants { // none with Validate, which provisions nothing
		p.grantRows[g.key]++
	}
	return nil
}

// confirmDuplicates finds the first line of each email a hashed seen reported as seen
// before: the row is a duplicate of that line, or, when the line is its own, the hash joined
// two addresses (errHashCollision).
func (c *checker) confirmDuplicates() error {
	if len(c.dups) == 0 {
		return nil
	}
	first := make(map[string]int, len(c.dups))
	for _, d := range c.dups {
		first[strings.ToLower(d.row.Email)] = 0
	}
	if err := c.p.firstLines(first); err != nil {
		return err
	}
	for _, d := range c.dups {
		line := first[strings.ToLower(d.row.Email)]
		if line == 0 || line >= d.row.Line {
			return errHashCollision
		}
		c.invalid[d.row.Line] = append(d.errs, c.r.DuplicateError(d.row, line)).Detail()
	}
	return nil
}

// firstLines reads the file once more and sets, for each lower-cased email of want, the line
// of the first row with that email (case-insensitively); an email no row has keeps 0. Rows
// that cannot be read are skipped: pass 1 reported them.
func (p *pipeline) firstLines(want map[string]int) error {
	left := len(want)
	return p.eachRow(func(_ *CSVReader, row Row, rowErr error) error {
		if left == 0 {
			return errStopReading
		}
		if rowErr != nil || row.Email == "" {
			return nil
		}
		key := strings.ToLower(row.Email)
		if first, ok := want[key]; ok && first == 0 {
			want[key] = row.Line
			left--
		}
		return nil
	})
}

// sortManagers looks the managers up, MaxEmailsPerLookup to a search.
func (p *pipeline) sortManagers(managers map[string]bool) error {
	p.orgManagers, p.fileManagers, p.badManagers = map[string]string{}, map[string]bool{}, map[string]bool{}
	notInOrg := map[string]int{}
	emails := slices.Sorted(maps.Keys(managers))
	for len(emails) > 0 {
		chunk := emails[:min(MaxEmailsPerLookup, len(emails))]
		emails = emails[len(chunk):]
		found, err := p.svc.Users.FindByEmails(p.apiCtx, chunk)
		if err != nil {
			return fmt.Errorf("look up the managers: %w", err)
		}
		for _, email := range chunk {
			switch u, ok := found[email]; {
			case ok && u.State != "deleted":
				p.orgManagers[email] = u.ID
			default:
				notInOrg[email] = 0
			}
		}
	}
	if len(notInOrg) == 0 {
		return nil
	}
	if err := p.firstLines(notInOrg); err != nil {
		return err
	}
	for email, line := range notInOrg {
		if line > 0 {
			p.fileManagers[email] = true
		} else {
			p.badManagers[email] = true
		}
	}
	return nil
}

// grantKey names a role in a division as a row asks for it.
func grantKey(rs RoleSpec, s Spec) string {
	div := rs.Division
	if div == "" {
		div = "=" + s.Division // the user's own division
	}
	return rs.Role + "|" + div
}
