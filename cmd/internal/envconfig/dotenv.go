package envconfig

import (
	"bytes"
	"fmt"
	"strings"
)

// The .env format, the one rule (also in .env.example's header):
//
//   - A line is KEY=VALUE, optionally prefixed by "export ". KEY is letters, digits and _,
//     not starting with a digit; spaces and tabs around KEY and around VALUE are ignored.
//   - Blank lines and lines whose first non-blank character is # are ignored.
//   - A UTF-8 byte order mark at the start of the file and CRLF line ends are accepted.
//   - VALUE is taken literally to the end of the line: no $ expansion, no escapes.
//   - A VALUE wholly enclosed in matching '…' or "…" has those two quotes removed, and nothing
//     else; quote a value to keep leading or trailing spaces, or a " #".
//   - Anything that could be read two ways is an error, so that a value is never silently
//     changed: an unclosed quote, text after a closing quote, " #" in an unquoted value (an
//     inline comment is not supported), a carriage return inside a line, a key set twice, a
//     line without "=", and a name that is not a variable name.
//
// An error names the file, the line number and, when the name is valid, the key; it never
// shows the value nor any other text of the line, which may be a secret.

// Reasons a line is refused; fixed text only, never a part of the input.
const (
	reasonNoEquals     = `not a blank line, a # comment or KEY=VALUE (no "=")`
	reasonBadName      = `the name before "=" is not a variable name (letters, digits and _, not starting with a digit)`
	reasonUnclosed     = `the value opens a quote that is not closed on the same line`
	reasonAfterQuote   = `the value has text after its closing quote; quote the whole value with the other kind of quote, or do not quote it`
	reasonInlineHash   = `the unquoted value contains " #"; inline comments are not supported: quote the value if the # belongs to it, or move the comment to a line of its own`
	reasonCarriageRet  = `the line contains a carriage return before its end`
	reasonDuplicateKey = `set more than once (first on line %d); remove one`
)

// ParseError is a line of a .env file that does not follow the format. It carries no part of
// the line's text: Key is set only when it is a valid variable name.
type ParseError struct {
	Path   string // the file, as given
	Line   int    // 1-based
	Key    string // the variable, or "" when the line has no valid name
	Reason string // fixed text from this package
}

func (e *ParseError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("env file %s line %d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("env file %s line %d: %s: %s", e.Path, e.Line, e.Key, e.Reason)
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// parseEnv reads the .env format from data; path names the file in errors. It returns the
// first error, a *ParseError.
func parseEnv(path string, data []byte) (Env, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	env := Env{}
	firstLine := map[string]int{}
	for n, line := range strings.Split(string(data), "\n") {
		lineNo := n + 1
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.Trim(line, " \t")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		if rest, ok := cutExport(trimmed); ok {
			trimmed = rest
		}
		name, raw, ok := strings.Cut(trimmed, "=")
		if !ok {
			return nil, &ParseError{Path: path, Line: lineNo, Reason: reasonNoEquals}
		}
		name = strings.Trim(name, " \t")
		if !isName(name) {
			return nil, &ParseError{Path: path, Line: lineNo, Reason: reasonBadName}
		}
		fail := func(reason string) (Env, error) {
			return nil, &ParseError{Path: path, Line: lineNo, Key: name, Reason: reason}
		}
		if strings.Contains(raw, "\r") {
			return fail(reasonCarriageRet)
		}
		val, reason := parseValue(strings.Trim(raw, " \t"))
		if reason != "" {
			return fail(reason)
		}
		if first, dup := firstLine[name]; dup {
			return fail(fmt.Sprintf(reasonDuplicateKey, first))
		}
		firstLine[name] = lineNo
		env[name] = val
	}
	return env, nil
}

// cutExport removes a leading "export" followed by spaces or tabs.
func cutExport(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "export")
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return s, false
	}
	return strings.TrimLeft(rest, " \t"), true
}

// parseValue applies the quoting rule to v, already trimmed of spaces and tabs. It returns
// the value, or a reason the value is refused.
func parseValue(v string) (string, string) {
	if v == "" {
		return "", ""
	}
	if q := v[0]; q == '"' || q == '\'' {
		inner := v[1:]
		end := strings.IndexByte(inner, q)
		switch {
		case end < 0:
			return "", reasonUnclosed
		case end != len(inner)-1:
			return "", reasonAfterQuote
		}
		return inner[:end], ""
	}
	if strings.Contains(v, " #") || strings.Contains(v, "\t#") {
		return "", reasonInlineHash
	}
	return v, ""
}

// isName tells whether s is a variable name: [A-Za-z_][A-Za-z0-9_]*.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
