package provision

import (
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// rowErrors is every problem found in one row (or in the header).
type rowErrors []*inputError

// Error joins the errors with "; ".
func (e rowErrors) Error() string {
	parts := make([]string, len(e))
	for i, ie := range e {
		parts[i] = ie.Error()
	}
	return strings.Join(parts, "; ")
}

// Detail joins the errors' details (see inputError.Detail) with "; ", for the report.
func (e rowErrors) Detail() string {
	parts := make([]string, len(e))
	for i, ie := range e {
		parts[i] = ie.Detail()
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.As find the *InputErrors.
func (e rowErrors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, ie := range e {
		errs[i] = ie
	}
	return errs
}

// Err returns nil when there is no error, the only error when there is one, and e itself
// otherwise. Use it rather than assigning e to an error: a nil rowErrors in an error
// interface is not a nil error.
func (e rowErrors) Err() error {
	switch len(e) {
	case 0:
		return nil
	case 1:
		return e[0]
	}
	return e
}

// errorDetail is the text of err for the report's error column: the Detail of an *inputError
// or a rowErrors (the report has its own line column), err.Error() otherwise.
func errorDetail(err error) string {
	var re rowErrors
	if errors.As(err, &re) {
		return re.Detail()
	}
	var ie *inputError
	if errors.As(err, &ie) {
		return ie.Detail()
	}
	return err.Error()
}

// Spec is what a row asks for, parsed and normalised. A blank cell, or a column the file
// does not have, leaves its field zero: "leave as it is".
type Spec struct {
	Name, Email, Password, Title, Department string
	PhoneWork, Extension, PhoneMobile        string // normalised: see parsePhone, parseExtension
	Manager                                  string // lower-cased email, "" if none
	Location, Division                       string
	Roles                                    []RoleSpec
	Groups, Queues                           []string
	Skills, Languages                        []Proficiency
	HireDate                                 string // YYYY-MM-DD
	EmployeeID, EmployeeType                 string
	State                                    string // "", "active" or "inactive"
	Site, PhoneBase                          string

	clears clearSet // the columns whose cell is ClearMarker: those fields are cleared
}

// Check makes the offline checks of one row and parses its cells into a Spec: NAME and EMAIL
// present, EMAIL and EMAIL_MANAGER bare well-formed addresses and not the same, no control
// characters anywhere, phones, extension, dates, state, roles, skills and languages in their
// formats, SITENAME and PHONEBASE both present or both absent. Multi-value cells are split
// as SetListSeparator says.
//
// It reports every problem of the row at once, each naming its column, in the order of the
// columns; no error shows a password. The Spec is complete only when there is no error.
// Check only reads the header and the settings and is safe for concurrent use.
func (r *CSVReader) Check(row Row) (Spec, rowErrors) {
	c := rowCheck{r: r, row: row}
	clears := c.clearMarkers()
	row = c.row
	spec := Spec{
		clears: clears,
		Name:   row.Name, Email: row.Email, Password: row.Password, Title: row.Title, Department: row.Department,
		Location: row.LocationWork, Division: row.Division,
		EmployeeID: row.EmployeeID, EmployeeType: row.EmployeeType,
		Site: row.SiteName, PhoneBase: row.PhoneBase,
	}
	// Control characters first: a cell that has one is not parsed further.
	c.controlCharacters()
	c.nameAndEmail()
	spec.PhoneWork = c.parse("phone_work", row.PhoneWork, parsePhone)
	spec.Extension = c.parse("extension", row.Extension, parseExtension)
	spec.PhoneMobile = c.parse("phone_mobile", row.PhoneMobile, parsePhone)
	spec.Manager = c.parse("email_manager", row.EmailManager, c.manager)
	if row.Division == "*" {
		c.add("division", "'*' is not a division; a user belongs to one division ('*' means all divisions only in a role, e.g. 'Supervisor:*')")
	}
	c.lists(&spec)
	spec.HireDate = c.parse("hire_date", row.HireDate, parseDate)
	spec.State = c.parse("state", row.State, parseState)
	c.phone()

	// In column order; errors about a column the file does not have last.
	slices.SortStableFunc(c.errs, func(a, b *inputError) int {
		return cmp.Compare(columnOrder(a.Column), columnOrder(b.Column))
	})
	return spec, c.errs
}

// rowCheck is one call of Check: the row, the problems found so far, and the cells that
// have a control character, which are not parsed further (by canonical name; nil while
// there are none, which is almost always).
type rowCheck struct {
	r    *CSVReader
	row  Row
	errs rowErrors
	bad  map[string]bool
}

// add records a problem with the cell of column canonical.
func (c *rowCheck) add(canonical, msg string) {
	col, field := c.r.Column(canonical)
	if field == "" {
		field = strings.ToUpper(canonical)
	}
	c.errs = append(c.errs, &inputError{File: c.r.name, Line: c.row.Line, Column: col, Field: field, Msg: msg})
}

// parse runs a cell's parser when the cell is neither blank nor already reported, and
// records its error.
func (c *rowCheck) parse(canonical, value string, parser func(string) (string, error)) string {
	if value == "" || c.bad[canonical] {
		return ""
	}
	v, err := parser(value)
	if err != nil {
		c.add(canonical, err.Error())
	}
	return v
}

// controlCharacters reports and marks bad every cell that has a control character. The
// password's value never appears in a message.
func (c *rowCheck) controlCharacters() {
	cells := c.row.cells()
	for i, canonical := range rowFields {
		if hasControl(cells[i]) {
			c.add(canonical, "contains a control character (a line break or a tab); remove it")
			if c.bad == nil {
				c.bad = make(map[string]bool)
			}
			c.bad[canonical] = true
		}
	}
}

// nameAndEmail checks that NAME and EMAIL are present, and EMAIL a bare address.
func (c *rowCheck) nameAndEmail() {
	if c.row.Name == "" {
		c.add("name", "empty; every user needs a name")
	}
	if c.row.Email == "" {
		c.add("email", "empty; every user needs an email address")
	} else if msg := checkEmail(c.row.Email); msg != "" && !c.bad["email"] {
		c.add("email", msg)
	}
}

// manager parses an EMAIL_MANAGER cell: a bare address, not the user's own, lower-cased.
func (c *rowCheck) manager(s string) (string, error) {
	if msg := checkEmail(s); msg != "" {
		return "", errors.New(msg)
	}
	if strings.EqualFold(s, c.row.Email) {
		return "", fmt.Errorf("%s is the user's own email; a user cannot be their own manager", quoteValue(s))
	}
	return strings.ToLower(s), nil
}

// lists splits and parses the multi-value cells into spec: roles, groups, queues, skills
// and languages.
func (c *rowCheck) lists(spec *Spec) {
	row, sep := &c.row, c.r.listSep
	if row.Roles != "" && !c.bad["roles"] {
		spec.Roles = c.roles(row.Roles)
	}
	if !c.bad["groups"] {
		spec.Groups = splitList(row.Groups, sep)
	}
	if !c.bad["queues"] {
		spec.Queues = splitList(row.Queues, sep)
	}
	if !c.bad["skills"] {
		spec.Skills = c.r.proficiencies("skill", row.Skills, func(msg string) { c.add("skills", msg) })
	}
	if !c.bad["languages"] {
		spec.Languages = c.r.proficiencies("language", row.Languages, func(msg string) { c.add("languages", msg) })
	}
}

// roles parses a ROLES cell; a role repeated with the same divisions is kept once.
func (c *rowCheck) roles(cell string) []RoleSpec {
	var roles []RoleSpec
	var seen firstSeen[RoleSpec]
	for _, item := range splitList(cell, c.r.listSep) {
		rs, err := ParseRoleSpec(item)
		if err != nil {
			c.add("roles", err.Error())
		} else if _, dup := seen.add(rs, len(roles)); !dup {
			roles = append(roles, rs)
		}
	}
	return roles
}

// phone checks that SITENAME and PHONEBASE are both present or both absent.
func (c *rowCheck) phone() {
	switch row := &c.row; {
	case row.SiteName != "" && row.PhoneBase == "":
		c.add("phonebase", fmt.Sprintf("empty while SITENAME is %s; a phone needs both a site and a phone base", quoteValue(row.SiteName)))
	case row.SiteName == "" && row.PhoneBase != "":
		c.add("sitename", fmt.Sprintf("empty while PHONEBASE is %s; a phone needs both a site and a phone base", quoteValue(row.PhoneBase)))
	}
}

func columnOrder(col int) int {
	if col == 0 {
		return math.MaxInt
	}
	return col
}

// proficiencies parses a skills or languages cell; kind ("skill", "language") words the
// errors, which go to report. An item repeated with the same level is kept once; with
// different levels it is an error.
func (r *CSVReader) proficiencies(kind, cell string, report func(msg string)) []Proficiency {
	if cell == "" {
		return nil
	}
	out := make([]Proficiency, 0, countItems(cell, r.listSep))
	var seen firstSeen[string]
	var prevRaw string // the raw piece before, when it was a valid NAME:DIGITS
	splitItems(cell, r.listSep, func(raw string, before byte) {
		item := strings.TrimSpace(raw)
		afterLevel := prevRaw
		prevRaw = ""
		if item == "" {
			return
		}
		// "Spanish:3,5", a decimal comma, splits into "Spanish:3" and "5".
		if before == ',' && afterLevel != "" && item == raw && allDigits(item) {
			prev := strings.TrimSpace(afterLevel)
			report(fmt.Sprintf("%s %s looks like the decimals of %s; write decimals with a point, e.g. %s",
				kind, quoteValue(item), quoteValue(prev+","+item), quoteValue(prev+"."+item)))
			return
		}
		p, err := ParseProficiency(item)
		if err != nil {
			report(kind + " " + err.Error())
			return
		}
		if i := strings.LastIndexByte(raw, ':'); i >= 0 && allDigits(raw[i+1:]) {
			prevRaw = raw
		}
		switch j, dup := seen.add(p.Name, len(out)); {
		case !dup:
			out = append(out, p)
		case out[j].Level != p.Level:
			report(fmt.Sprintf("%s %s appears twice, with proficiencies %s and %s; keep one",
				kind, quoteValue(p.Name), formatLevel(out[j].Level), formatLevel(p.Level)))
		}
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

func formatLevel(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// checkEmail returns why s is not a bare email address, or "".
func checkEmail(s string) string {
	if plainEmail(s) {
		return "" // the common case, without net/mail's allocations
	}
	return checkEmailMail(s)
}

// checkEmailMail is checkEmail through net/mail.
func checkEmailMail(s string) string {
	addr, err := mail.ParseAddress(s)
	if err == nil && addr.Address == s && !strings.ContainsFunc(s, isSpaceOrControl) {
		domain := s[strings.LastIndexByte(s, '@')+1:]
		if strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") && !strings.HasPrefix(domain, "[") {
			return ""
		}
		return quoteValue(s) + " is not a valid email address; the domain must be a name like example.com"
	}
	if err == nil && addr.Address != s && !strings.ContainsFunc(addr.Address, isSpaceOrControl) {
		// "Bruce Wayne <bw@example.com>", "<bw@example.com>", "bw@example.com (Bruce)"
		return fmt.Sprintf("%s is not a bare email address; write only %s", quoteValue(s), addr.Address)
	}
	return quoteValue(s) + " is not a valid email address"
}

// plainEmail reports whether s is an address of the plainest form: ASCII letters, digits
// and . _ % + - before one @, and dot-separated labels of letters, digits and - after it,
// at least two, no dot first, last or twice. checkEmail accepts every such address (the
// fuzz test FuzzEmail checks); it answers the rest through net/mail.
func plainEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	return dotted(local, func(c byte) bool { return isAlnum(c) || strings.IndexByte("._%+-", c) >= 0 }) &&
		strings.IndexByte(domain, '.') > 0 && dotted(domain, func(c byte) bool { return isAlnum(c) || c == '-' })
}

// dotted reports whether s is non-empty, made of bytes ok or '.', with no '.' first, last
// or next to another.
func dotted(s string, ok func(byte) bool) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if s[i-1] == '.' {
				return false
			}
		case !ok(c):
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// quoteValue shows a cell in a message: 'value', or Go-quoted when it holds characters that
// would not print, cut to 80 characters.
func quoteValue(s string) string {
	const maxRunes = 80
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "…"
	}
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return "'" + s + "'"
}

// emailSet is the duplicate-email check across the rows of one file. It is the only state of
// the first pass that grows with the file, so by default it keeps no address: only a 64-bit
// hash of each lower-cased address, in an open-addressing table of 8 bytes a slot at most
// three quarters full (about 17 bytes a row at a million rows, 25 while the table doubles;
// the collector's headroom, proportional to the live heap, comes on top).
// An address whose hash was seen is only probably a duplicate, and the line it first
// appeared on is not known: the caller confirms both with FirstLines, one more read of the
// file that only files with duplicates pay for. In the rare case that a hash collision
// turns out to join two different addresses, the caller redoes the check exactly with
// newExactSeen, which keeps every address (about 100 bytes a row). Not safe for concurrent
// use.
type emailSet struct {
	exact map[string]int32 // newExactSeen: lower-cased email → line of its first row
	slots []uint64         // newSeen: hashes, 0 for an empty slot; len is a power of 2
	n     int              // slots in use
	hash  func(string) uint64
}

// newSeen returns an empty hashed emailSet.
func newSeen() *emailSet {
	seed := maphash.MakeSeed()
	return newHashedSeen(func(s string) uint64 { return maphash.String(seed, s) })
}

func newHashedSeen(hash func(string) uint64) *emailSet {
	return &emailSet{slots: make([]uint64, 1024), hash: hash}
}

// Release drops a hashed emailSet's table, for the collector to take even while the emailSet is
// still referenced; the emailSet is not usable after.
func (s *emailSet) Release() {
	s.slots = nil
}

// newExactSeen returns an empty emailSet that keeps every address: Add then always knows the
// first line, and no confirmation is needed.
func newExactSeen() *emailSet {
	return &emailSet{exact: make(map[string]int32)}
}

// Add records that email appears on line and reports whether it (probably, for a hashed
// emailSet) already appeared. firstLine is the line it first appeared on when known, and 0 when
// the caller must confirm it with FirstLines. Emails compare case-insensitively; an empty
// email is never a duplicate (Check reports it).
func (s *emailSet) Add(email string, line int) (firstLine int, dup bool) {
	if email == "" {
		return 0, false
	}
	key := strings.ToLower(email)
	if s.exact != nil {
		if first, ok := s.exact[key]; ok {
			return int(first), true
		}
		// Clone: email may share its memory with the whole record, password included.
		s.exact[strings.Clone(key)] = int32(min(line, math.MaxInt32))
		return line, false
	}
	h := s.hashOf(key)
	i, found := s.find(h)
	if found {
		return 0, true
	}
	s.slots[i] = h
	s.n++
	if s.n > len(s.slots)/4*3 {
		s.grow()
	}
	return line, false
}

func (s *emailSet) hashOf(key string) uint64 {
	if h := s.hash(key); h != 0 {
		return h
	}
	return 1 // 0 marks an empty slot
}

// find returns h's slot, or the empty slot where it would go.
func (s *emailSet) find(h uint64) (int, bool) {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return int(i), true
		case 0:
			return int(i), false
		}
	}
}

func (s *emailSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	for _, h := range old {
		if h != 0 {
			i, _ := s.find(h)
			s.slots[i] = h
		}
	}
}

// DuplicateError is the error of a row whose email already appeared on firstLine.
func (r *CSVReader) DuplicateError(row Row, firstLine int) *inputError {
	col, field := r.Column("email")
	return &inputError{File: r.name, Line: row.Line, Column: col, Field: field,
		Msg: fmt.Sprintf("email %s already appears on line %d", quoteValue(row.Email), firstLine)}
}
