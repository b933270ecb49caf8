package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// swagger.json is 20 MB on one line: 1,896 paths and 4,120 definitions. Decoding all of it
// with kin-openapi and converting it takes about 4 s and 330 MB (30 s and 830 MB under the
// race detector), and even splitting it into json.RawMessage members takes 0.7 s (3.5 s
// under the race detector). So Load cuts out, without decoding, the paths the simulator
// serves and the definitions they reach, and decodes only those (about 2% of the file):
// 0.2 s (1.5 s under the race detector), 46 MB allocated, 4 MB kept.

// member is one member of a JSON object: its name and its value, a span of the source.
type member struct {
	name string
	val  []byte
}

// objectMembers returns the members of the JSON object that b holds (whitespace around it
// is fine), in source order. It finds where each value starts and ends without decoding
// it, so it does not check that the values are valid JSON: the caller decodes the members
// it keeps with encoding/json, which does. Malformed input is an error, never a panic.
func objectMembers(b []byte) ([]member, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return out, nil
	}
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return nil, fmt.Errorf("offset %d: want a member name", i)
		}
		end, err := stringEnd(b, i)
		if err != nil {
			return nil, err
		}
		name, err := memberName(b[i:end])
		if err != nil {
			return nil, fmt.Errorf("offset %d: %w", i, err)
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, fmt.Errorf("offset %d: want ':'", i)
		}
		start := skipSpace(b, i+1)
		end, err = valueEnd(b, start)
		if err != nil {
			return nil, err
		}
		out = append(out, member{name: name, val: b[start:end]})
		i = skipSpace(b, end)
		switch {
		case i >= len(b):
			return nil, errors.New("unexpected end of object")
		case b[i] == '}':
			return out, nil
		case b[i] != ',':
			return nil, fmt.Errorf("offset %d: want ',' or '}'", i)
		}
		i++
	}
}

// memberName decodes a quoted member name. Plain ASCII without a backslash, as every name of
// swagger.json is, needs no decoding; anything else goes through encoding/json.
func memberName(quoted []byte) (string, error) {
	plain := true
	for _, c := range quoted {
		if c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(quoted[1 : len(quoted)-1]), nil
	}
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the offset just past the JSON value that starts at b[i]: a string, an
// object or array (brackets counted outside strings), or a literal or number.
func valueEnd(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("unexpected end of input, want a value")
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := stringEnd(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unexpected end of input in an object or array")
	default:
		j := i
		for j < len(b) && strings.IndexByte(",}] \t\r\n", b[j]) < 0 {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("offset %d: want a value", i)
		}
		return j, nil
	}
}

// stringEnd returns the offset just past the JSON string whose opening quote is b[i]. A
// quote ends the string unless an odd number of backslashes precede it.
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		j += k
		n := 0
		for b[j-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return j + 1, nil
		}
		j++
	}
	return 0, fmt.Errorf("offset %d: unterminated string", i)
}

// definitionRef matches a reference to a Swagger 2 definition.
var definitionRef = regexp.MustCompile(`"\$ref"\s*:\s*"#/definitions/([^"]+)"`)

// httpMethods are the members of a Swagger 2 path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch"}

// filtered is swagger.json cut down to some operations.
type filtered struct {
	doc         []byte              // the cut-down Swagger 2 document
	allOps      map[string][]string // every path of the whole spec → its methods, upper case
	specPath    map[string]string   // route → the spec's path template that serves it
	definitions int                 // definitions kept
}

// filterSwagger cuts the Swagger 2 document src down to the operations that serve routes
// (keys "METHOD /path/{param}", see specTemplate) and the definitions they reach through
// $ref, transitively. Every other top-level member (info, the global responses, security
// definitions, ...) is kept as it is. A route the spec has no operation for is left out of
// specPath, not an error.
func filterSwagger(src []byte, routes []string) (filtered, error) {
	top, err := objectMembers(src)
	if err != nil {
		return filtered{}, fmt.Errorf("swagger.json: %w", err)
	}
	var paths, defs []member
	out := map[string]json.RawMessage{}
	for _, m := range top {
		switch m.name {
		case "paths":
			if paths, err = objectMembers(m.val); err != nil {
				return filtered{}, fmt.Errorf("swagger.json paths: %w", err)
			}
		case "definitions":
			if defs, err = objectMembers(m.val); err != nil {
				return filtered{}, fmt.Errorf("swagger.json definitions: %w", err)
			}
		default:
			out[m.name] = m.val
		}
	}

	res := filtered{allOps: make(map[string][]string, len(paths)), specPath: map[string]string{}}
	items := make(map[string][]member, len(paths))
	for _, p := range paths {
		item, err := objectMembers(p.val)
		if err != nil {
			return filtered{}, fmt.Errorf("swagger.json path %s: %w", p.name, err)
		}
		items[p.name] = item
		for _, m := range item {
			if slices.Contains(httpMethods, m.name) {
				res.allOps[p.name] = append(res.allOps[p.name], strings.ToUpper(m.name))
			}
		}
	}
	keep := map[string][]string{} // spec path → methods
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if sp, ok := specTemplate(res.allOps, method, path); ok {
			res.specPath[r] = sp
			keep[sp] = append(keep[sp], method)
		}
	}

	need := map[string]bool{}
	var queue []string
	addRefs := func(raw []byte) {
		for _, sub := range definitionRef.FindAllSubmatch(raw, -1) {
			if name := string(sub[1]); !need[name] {
				need[name] = true
				queue = append(queue, name)
			}
		}
	}
	for _, raw := range out { // the global responses and parameters name definitions too
		addRefs(raw)
	}
	keptPaths := map[string]json.RawMessage{}
	for _, sp := range slices.Sorted(maps.Keys(keep)) {
		kept := map[string]json.RawMessage{}
		for _, m := range items[sp] {
			if !slices.Contains(httpMethods, m.name) || slices.Contains(keep[sp], strings.ToUpper(m.name)) {
				kept[m.name] = m.val // path-level parameters and extensions, and the operations kept
				addRefs(m.val)
			}
		}
		keptPaths[sp] = joinMembers(kept)
	}

	byName := make(map[string][]byte, len(defs))
	for _, d := range defs {
		byName[d.name] = d.val
	}
	keptDefs := map[string]json.RawMessage{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		raw, ok := byName[name]
		if !ok {
			return filtered{}, fmt.Errorf("swagger.json: definition %q is referred to but not defined", name)
		}
		keptDefs[name] = raw
		addRefs(raw)
	}
	out["paths"] = joinMembers(keptPaths)
	out["definitions"] = joinMembers(keptDefs)
	// Marshal checks that every kept span is valid JSON, and compacts it.
	doc, err := json.Marshal(out)
	if err != nil {
		return filtered{}, fmt.Errorf("swagger.json: %w", err)
	}
	res.doc, res.definitions = doc, len(keptDefs)
	return res, nil
}

// specTemplate returns the spec's path template whose method serves path, itself a template
// or a concrete path: a parameter of the spec's template stands for any segment, literal or
// parameter ("/divisions/{divisionId}/objects/{objectType}" serves
// "/divisions/{divisionId}/objects/USER"), a literal only for itself. Among several, the one
// with the most literals wins (".../divisions/home" before ".../divisions/{divisionId}").
func specTemplate(allOps map[string][]string, method, path string) (string, bool) {
	segs := strings.Split(path, "/")
	best, bestLiterals := "", -1
	for p, methods := range allOps {
		if !slices.Contains(methods, method) {
			continue
		}
		if n, ok := fits(strings.Split(p, "/"), segs); ok && (n > bestLiterals || n == bestLiterals && p < best) {
			best, bestLiterals = p, n
		}
	}
	return best, best != ""
}

// fits reports whether the path segments segs match the template's, and how many of the
// template's segments are literals. A template parameter matches any non-empty segment.
func fits(template, segs []string) (int, bool) {
	if len(template) != len(segs) {
		return 0, false
	}
	literals := 0
	for j, p := range template {
		switch {
		case isParam(p):
			if segs[j] == "" {
				return 0, false
			}
		case p == segs[j]:
			literals++
		default:
			return 0, false
		}
	}
	return literals, true
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// joinMembers writes a JSON object of raw members, sorted by name. A member that is not
// valid JSON makes the object invalid too, which the json.Marshal of the document reports.
func joinMembers(m map[string]json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('{')
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		if i > 0 {
			buf.WriteByte(',')
		}
		q, _ := json.Marshal(n) // a string always marshals
		buf.Write(q)
		buf.WriteByte(':')
		buf.Write(m[n])
	}
	buf.WriteByte('}')
	return buf.Bytes()
}
