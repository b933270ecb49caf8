package provision

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file parses the cells whose values have a syntax of their own: lists, role grants,
// proficiencies, dates, phone numbers. Each parser takes a trimmed cell or list item and
// returns either the normalised value or an error whose text can follow "column N (FIELD): "
// in the report: it names the bad value and shows a good one.

// RoleSpec is one role grant a row asks for.
type RoleSpec struct {
	Role string
	// Division is the division the role is granted in: "" for the user's own division, "*"
	// for all divisions, present and future.
	Division string
}

// String is the item as ParseRoleSpec reads it back: "Role", or "Role:Division".
func (s RoleSpec) String() string {
	if s.Division == "" {
		return s.Role
	}
	return s.Role + ":" + s.Division
}

// Proficiency is a skill or a language with its level.
type Proficiency struct {
	Name  string
	Level float64 // 0 to 5
}

// String is the item as ParseProficiency reads it back: "Name:Level", the level in its
// shortest form ("Billing:4", "Spanish:3.5").
func (p Proficiency) String() string {
	return p.Name + ":" + formatLevel(p.Level)
}

// maxProficiency is the highest skill or language proficiency Genesys Cloud accepts.
const maxProficiency = 5

// splitList splits a multi-value cell (groups, roles, queues, skills, languages) into its
// items. sep is the separator: "" splits at both ',' and ';', any other string at that string
// only (the reader passes "," or ";"). Items are trimmed of spaces, empty items are dropped,
// and an item that repeats an earlier one of the same cell is dropped. It returns nil for a
// blank cell.
func splitList(cell, sep string) []string {
	if cell == "" {
		return nil
	}
	items := make([]string, 0, countItems(cell, sep))
	var seen firstSeen[string]
	splitItems(cell, sep, func(raw string, _ byte) {
		item := strings.TrimSpace(raw)
		if item == "" {
			return
		}
		if _, dup := seen.add(item, len(items)); !dup {
			items = append(items, item)
		}
	})
	if len(items) == 0 {
		return nil
	}
	return items
}

// splitItems cuts cell at sep ("" for both ',' and ';') and calls f with each raw piece, in
// order, empty ones included, with the separator byte that came before it (0 for the
// first).
func splitItems(cell, sep string, f func(raw string, before byte)) {
	var before byte
	for {
		var i, n int
		if sep == "" {
			i, n = strings.IndexAny(cell, ",;"), 1
		} else {
			i, n = strings.Index(cell, sep), len(sep)
		}
		if i < 0 {
			f(cell, before)
			return
		}
		f(cell[:i], before)
		before = cell[i]
		cell = cell[i+n:]
	}
}

// firstSeen remembers where keys were first seen, so that a list of any length is
// deduplicated in linear time: an array for the usual few keys, which costs no allocation
// when the firstSeen stays on the stack, and a map beyond. The zero value is empty.
type firstSeen[K comparable] struct {
	n    int
	keys [8]K
	at   [8]int
	m    map[K]int
}

// add records that k is at i, unless it was seen before: then it returns where, and true.
func (s *firstSeen[K]) add(k K, i int) (first int, dup bool) {
	if s.m != nil {
		if j, ok := s.m[k]; ok {
			return j, true
		}
		s.m[k] = i
		return i, false
	}
	for j := range s.n {
		if s.keys[j] == k {
			return s.at[j], true
		}
	}
	if s.n < len(s.keys) {
		s.keys[s.n], s.at[s.n] = k, i
		s.n++
		return i, false
	}
	s.m = make(map[K]int, 4*len(s.keys))
	for j := range s.n {
		s.m[s.keys[j]] = s.at[j]
	}
	s.m[k] = i
	return i, false
}

// countItems is an upper bound on the items of a multi-value cell, to size slices once.
func countItems(cell, sep string) int {
	if sep == "" {
		return strings.Count(cell, ",") + strings.Count(cell, ";") + 1
	}
	return strings.Count(cell, sep) + 1
}

// ParseRoleSpec reads one item of the roles column: "Role" (the user's own division),
// "Role:Division", or "Role:*" (all divisions). It splits at the last ':', so a role whose
// name contains ':' must carry a division ("Admin: Billing:Home"). Both parts are trimmed.
func ParseRoleSpec(item string) (RoleSpec, error) {
	item = strings.TrimSpace(item)
	if item == "" {
		return RoleSpec{}, errors.New("empty role")
	}
	i := strings.LastIndexByte(item, ':')
	if i < 0 {
		return RoleSpec{Role: item}, nil
	}
	role, div := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
	switch {
	case role == "":
		return RoleSpec{}, fmt.Errorf("role %s has no role name before ':'; write ROLE:DIVISION, e.g. 'Agent:Sales'", quoteValue(item))
	case div == "":
		return RoleSpec{}, fmt.Errorf("role %s has no division after ':'; write %s, %s for all divisions, or %s alone for the user's own division",
			quoteValue(item), quoteValue(role+":Sales"), quoteValue(role+":*"), quoteValue(role))
	}
	return RoleSpec{Role: role, Division: div}, nil
}

// ParseProficiency reads one item of the skills or languages column: "Name" (proficiency
// 0) or "Name:Level", the level a number from 0 to 5 written with digits and at most one
// decimal point ("4", "3.5", "0.25"). It splits at the last ':'; both parts are trimmed.
func ParseProficiency(item string) (Proficiency, error) {
	item = strings.TrimSpace(item)
	if item == "" {
		return Proficiency{}, errors.New("empty name")
	}
	i := strings.LastIndexByte(item, ':')
	if i < 0 {
		return Proficiency{Name: item}, nil
	}
	name, level := strings.TrimSpace(item[:i]), strings.TrimSpace(item[i+1:])
	example := func() string {
		n := name
		if n == "" {
			n = "Billing"
		}
		return fmt.Sprintf("e.g. %s or %s", quoteValue(n+":4"), quoteValue(n+":3.5"))
	}
	switch {
	case name == "":
		return Proficiency{}, fmt.Errorf("%s has no name before ':'; write NAME:PROFICIENCY, %s", quoteValue(item), example())
	case level == "":
		return Proficiency{}, fmt.Errorf("%s has no proficiency after ':'; write a number from 0 to 5, %s, or %s alone for proficiency 0",
			quoteValue(item), example(), quoteValue(name))
	}
	v, ok := parseLevel(level)
	switch {
	case !ok && strings.HasPrefix(level, "-") && isLevel(level[1:]):
		return Proficiency{}, fmt.Errorf("%s: proficiency %s is below 0; write a number from 0 to 5, %s", quoteValue(item), quoteValue(level), example())
	case !ok:
		return Proficiency{}, fmt.Errorf("%s: proficiency %s is not a number from 0 to 5; write %s", quoteValue(item), quoteValue(level), example())
	case v > maxProficiency:
		return Proficiency{}, fmt.Errorf("%s: proficiency %s is above 5; write a number from 0 to 5, %s", quoteValue(item), level, example())
	}
	return Proficiency{Name: name, Level: v}, nil
}

// parseLevel reads a non-negative decimal written as digits with at most one '.' between
// digits: no sign, exponent, hex, "Inf" or "NaN", which strconv.ParseFloat would take.
func parseLevel(s string) (float64, bool) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func isLevel(s string) bool {
	_, ok := parseLevel(s)
	return ok
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// dateLayout is the hire date's format, ISO 8601's calendar date.
const dateLayout = "2006-01-02"

// parseDate reads a date written YYYY-MM-DD, such as a hire date. It must be a real date
// ("2024-02-30" is not) in a year from 1900 on.
func parseDate(cell string) (string, error) {
	cell = strings.TrimSpace(cell)
	shaped := len(cell) == 10 && cell[4] == '-' && cell[7] == '-' &&
		allDigits(cell[:4]) && allDigits(cell[5:7]) && allDigits(cell[8:])
	if !shaped {
		return "", fmt.Errorf("%s is not a date written YYYY-MM-DD, e.g. 2024-03-15 (a spreadsheet may reformat dates: format the column as text)", quoteValue(cell))
	}
	if _, err := time.Parse(dateLayout, cell); err != nil {
		year, _ := strconv.Atoi(cell[:4])
		month, _ := strconv.Atoi(cell[5:7])
		why := "there is no day " + cell[8:] + " in any month"
		switch days := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day(); {
		case month < 1 || month > 12:
			why = "there is no month " + cell[5:7]
		case cell[8:] != "00":
			why = fmt.Sprintf("%s %d has %d days", time.Month(month), year, days)
		}
		return "", fmt.Errorf("%s is not a real date: %s; write YYYY-MM-DD, e.g. 2024-03-15", quoteValue(cell), why)
	}
	if cell < "1900" {
		return "", fmt.Errorf("%s is before 1900; write the year with 4 digits, e.g. 2024-03-15", quoteValue(cell))
	}
	return cell, nil
}

// Phone number limits: E.164 allows at most 15 digits, country code included; shorter than
// 7 digits is no phone number anywhere.
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)

// phoneExample ends every phone error: a number in a format parsePhone takes.
const phoneExample = "write it like +1 317 555 0100 (digits, an optional leading +, and spaces, dashes, dots or brackets)"

// parsePhone reads a phone number: an optional leading '+', then digits, with spaces, '-',
// '.', '(' and ')' between them; 7 to 15 digits in all. It returns the '+' (if any) and the
// digits: "+1 (317) 555-0100" is "+13175550100". A number followed by an extension
// ("+13175550100 x123", "+13175550100;ext=123") is an error that points to the extension
// column.
func parsePhone(cell string) (string, error) {
	cell = strings.TrimSpace(cell)
	num, err := parsePlainPhone(cell)
	if err == nil {
		return num, nil
	}
	if num, ext, ok := splitPhoneExtension(cell); ok {
		return "", fmt.Errorf("%s includes an extension; put %s in this column and %s in the extension column", quoteValue(cell), quoteValue(num), quoteValue(ext))
	}
	return "", err
}

// parsePlainPhone is parsePhone without the extension hint.
func parsePlainPhone(cell string) (string, error) {
	var b strings.Builder
	b.Grow(len(cell))
	digits := 0
	for i, r := range cell {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			digits++
		case r == '+' && i == 0:
			b.WriteByte('+')
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0' || r == '\u202f':
			// Separators, no-break spaces included (spreadsheets write those).
		default:
			if looksScientific(cell) {
				return "", fmt.Errorf("%s is a phone in an impossible format: a spreadsheet turned it into a number in scientific notation; format the column as text and %s", quoteValue(cell), phoneExample)
			}
			return "", fmt.Errorf("%s is a phone in an impossible format; %s", quoteValue(cell), phoneExample)
		}
	}
	if digits < minPhoneDigits || digits > maxPhoneDigits {
		return "", fmt.Errorf("%s is a phone in an impossible format: it has %d digits, a phone number has %d to %d; %s",
			quoteValue(cell), digits, minPhoneDigits, maxPhoneDigits, phoneExample)
	}
	return b.String(), nil
}

// splitPhoneExtension recognises a phone number followed by an extension: "NUMBER x123",
// "NUMBER ext. 123", "NUMBER extension 123", "NUMBER;ext=123" (RFC 3966) or "NUMBER #123".
// It returns the number, normalised, and the extension.
func splitPhoneExtension(cell string) (num, ext string, ok bool) {
	lower := asciiLower(cell) // same length as cell, so its indexes are cell's
	for _, mark := range []string{";ext=", "extension", "ext.", "ext", "x", "#"} {
		i := strings.LastIndex(lower, mark)
		if i <= 0 {
			continue
		}
		e := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(cell[i+len(mark):]), ":.="))
		if len(e) == 0 || len(e) > 10 || !allDigits(e) {
			continue
		}
		n, err := parsePlainPhone(strings.TrimSpace(cell[:i]))
		if err != nil {
			continue
		}
		return n, e, true
	}
	return "", "", false
}

// asciiLower lower-cases the ASCII letters of s and leaves every other byte as it is.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// looksScientific reports whether s is a number in scientific notation, "1.31755E+10", which
// is what a spreadsheet shows for a long number in a cell formatted as a number.
func looksScientific(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(s), "E+")
	if !ok || !allDigits(exp) {
		return false
	}
	_, ok = parseLevel(strings.ReplaceAll(mant, ",", "."))
	return ok
}

// maxExtensionDigits is the longest extension Genesys Cloud's extension pools allow.
const maxExtensionDigits = 10

// parseExtension reads a phone extension: 1 to 10 digits.
func parseExtension(cell string) (string, error) {
	cell = strings.TrimSpace(cell)
	if !allDigits(cell) || len(cell) > maxExtensionDigits {
		return "", fmt.Errorf("%s is not an extension; write 1 to %d digits only, e.g. 1234", quoteValue(cell), maxExtensionDigits)
	}
	return cell, nil
}

// parseState reads the state column: "active" or "inactive", in any case. It returns it in
// lower case.
func parseState(cell string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(cell))
	if s != "active" && s != "inactive" {
		return "", fmt.Errorf("%s is not a state; write active or inactive", quoteValue(cell))
	}
	return s, nil
}
