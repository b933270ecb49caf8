package provision

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RowErrors is every problem found in one row (or in the header).
type RowErrors []*InputError

// Error joins the errors with "; ".
func (e RowErrors) Error() string {
	parts := make([]string, len(e))
	for i, ie := range e {
		parts[i] = ie.Error()
	}
	return strings.Join(parts, "; ")
}

// Detail joins the errors' details (see InputError.Detail) with "; ", for the report.
func (e RowErrors) Detail() string {
	parts := make([]string, len(e))
	for i, ie := range e {
		parts[i] = ie.Detail()
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.As find the *InputErrors.
func (e RowErrors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, ie := range e {
		errs[i] = ie
	}
	return errs
}

// Err returns nil when there is no error, the only error when there is one, and e itself
// otherwise. Use it rather than assigning e to an error: a nil RowErrors in an error
// interface is not a nil error.
func (e RowErrors) Err() error {
	switch len(e) {
	case 0:
		return nil
	case 1:
		return e[0]
	}
	return e
}

// ErrorDetail is the text of err for the report's error column: the Detail of an *InputError
// or a RowErrors (the report has its own line column), err.Error() otherwise.
func ErrorDetail(err error) string {
	var re RowErrors
	if errors.As(err, &re) {
		return re.Detail()
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return ie.Detail()
	}
	return err.Error()
}

// Check makes the offline checks of one row's cells: NAME and EMAIL present, EMAIL a bare
// well-formed address, no control characters anywhere, SITENAME and PHONEBASE both present
// or both absent. It returns nil when the row passes. Every error names its column; no error
// shows a password. Check only reads the header and is safe for concurrent use.
func (r *CSVReader) Check(row Row) RowErrors {
	var errs RowErrors
	add := func(canonical, msg string) {
		col, field := r.Column(canonical)
		if field == "" {
			field = strings.ToUpper(canonical)
		}
		errs = append(errs, &InputError{File: r.name, Line: row.Line, Column: col, Field: field, Msg: msg})
	}

	switch {
	case row.Name == "":
		add("name", "empty; every user needs a name")
	case hasControl(row.Name):
		add("name", "contains a control character (a line break or a tab); remove it")
	}
	if row.Email == "" {
		add("email", "empty; every user needs an email address")
	} else if msg := checkEmail(row.Email); msg != "" {
		add("email", msg)
	}
	// The password's value never appears in a message.
	for _, c := range []struct{ canonical, value string }{
		{"password", row.Password},
		{"group", row.Group},
		{"role", row.Role},
		{"sitename", row.SiteName},
		{"phonebase", row.PhoneBase},
	} {
		if hasControl(c.value) {
			add(c.canonical, "contains a control character (a line break or a tab); remove it")
		}
	}
	switch {
	case row.SiteName != "" && row.PhoneBase == "":
		add("phonebase", fmt.Sprintf("empty while SITENAME is %s; a phone needs both a site and a phone base", quoteValue(row.SiteName)))
	case row.SiteName == "" && row.PhoneBase != "":
		add("sitename", fmt.Sprintf("empty while PHONEBASE is %s; a phone needs both a site and a phone base", quoteValue(row.PhoneBase)))
	}
	return errs
}

// checkEmail returns why s is not a bare email address, or "".
func checkEmail(s string) string {
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

// Seen is the duplicate-email check across the rows of one file. It is the only state of
// the first pass that grows with the file.
//
// It keeps the exact lower-cased addresses, a map[string]int32: about 100 bytes a row for
// a 34-byte address, so 100 MB for a million rows. 64-bit hashes would take about a third of
// that, but a collision would reject a valid row as the duplicate of a different address, in
// words no admin could check; exact wins. The zero value is not usable; use NewSeen. Not
// safe for concurrent use.
type Seen struct {
	first map[string]int32 // lower-cased email → line of its first row
}

// NewSeen returns an empty Seen.
func NewSeen() *Seen {
	return &Seen{first: make(map[string]int32)}
}

// Add records that email appears on line and reports whether it already appeared, and on
// which line first. Emails compare case-insensitively; an empty email is never a duplicate
// (Check reports it).
func (s *Seen) Add(email string, line int) (firstLine int, dup bool) {
	if email == "" {
		return 0, false
	}
	// Clone: email may share its memory with the whole record, password included.
	key := strings.Clone(strings.ToLower(email))
	if first, ok := s.first[key]; ok {
		return int(first), true
	}
	s.first[key] = int32(min(line, math.MaxInt32))
	return line, false
}

// Len is the number of distinct emails seen.
func (s *Seen) Len() int { return len(s.first) }

// DuplicateError is the error of a row whose email already appeared on firstLine.
func (r *CSVReader) DuplicateError(row Row, firstLine int) *InputError {
	col, field := r.Column("email")
	return &InputError{File: r.name, Line: row.Line, Column: col, Field: field,
		Msg: fmt.Sprintf("email %s already appears on line %d", quoteValue(row.Email), firstLine)}
}
