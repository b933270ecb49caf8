package envconfig

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// secret is the value the cases assign to GENESYS_CLIENT_SECRET; no error may show it.
const secret = "s3cr3t-VALUE-9f2b"

func TestParseEnv(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string // nil when an error is expected
		errLine int
		errKey  string // "" when the error must not name a key
	}{
		{name: "plain", in: "GENESYS_CLIENT_SECRET=" + secret + "\n", want: map[string]string{"GENESYS_CLIENT_SECRET": secret}},
		{name: "no final newline", in: "A=1\nGENESYS_CLIENT_SECRET=" + secret, want: map[string]string{"A": "1", "GENESYS_CLIENT_SECRET": secret}},
		{name: "BOM", in: "\uFEFFGENESYS_CLIENT_SECRET=" + secret + "\n", want: map[string]string{"GENESYS_CLIENT_SECRET": secret}},
		{name: "BOM then comment", in: "\uFEFF# c\r\nGENESYS_CLIENT_SECRET=" + secret + "\r\n", want: map[string]string{"GENESYS_CLIENT_SECRET": secret}},
		{name: "CRLF", in: "A=1\r\nGENESYS_CLIENT_SECRET=" + secret + "\r\n\r\n", want: map[string]string{"A": "1", "GENESYS_CLIENT_SECRET": secret}},
		{name: "export", in: "export GENESYS_CLIENT_SECRET=" + secret + "\nexport\tB='x'\n", want: map[string]string{"GENESYS_CLIENT_SECRET": secret, "B": "x"}},
		{name: "spaces around", in: "  GENESYS_CLIENT_SECRET = " + secret + " \t\n", want: map[string]string{"GENESYS_CLIENT_SECRET": secret}},
		{name: "comments and blanks", in: "# GENESYS_CLIENT_SECRET=old\n\n   \n\t# x=y\nGENESYS_CLIENT_SECRET=" + secret + "\n", want: map[string]string{"GENESYS_CLIENT_SECRET": secret}},
		{name: "double quotes", in: `GENESYS_CLIENT_SECRET="` + secret + ` "`, want: map[string]string{"GENESYS_CLIENT_SECRET": secret + " "}},
		{name: "single quotes", in: `GENESYS_CLIENT_SECRET='` + secret + `'`, want: map[string]string{"GENESYS_CLIENT_SECRET": secret}},
		{name: "quotes keep everything else", in: `GENESYS_CLIENT_SECRET="a\n$HOME # 'x'"`, want: map[string]string{"GENESYS_CLIENT_SECRET": `a\n$HOME # 'x'`}},
		{name: "dollar literal", in: "GENESYS_CLIENT_SECRET=ab$HOME${X}$\n", want: map[string]string{"GENESYS_CLIENT_SECRET": "ab$HOME${X}$"}},
		{name: "hash without space literal", in: "GENESYS_CLIENT_SECRET=ab#cd#\n", want: map[string]string{"GENESYS_CLIENT_SECRET": "ab#cd#"}},
		{name: "inner quotes literal", in: `GENESYS_CLIENT_SECRET=a"b'c"` + "\n", want: map[string]string{"GENESYS_CLIENT_SECRET": `a"b'c"`}},
		{name: "equals in value", in: "GENESYS_CLIENT_SECRET=" + secret + "==\n", want: map[string]string{"GENESYS_CLIENT_SECRET": secret + "=="}},
		{name: "empty value", in: "GENESYS_CLIENT_SECRET=\nB=''\nC=\"\"\n", want: map[string]string{"GENESYS_CLIENT_SECRET": "", "B": "", "C": ""}},
		{name: "empty file", in: "", want: map[string]string{}},

		{name: "inline comment", in: "A=1\nGENESYS_CLIENT_SECRET=" + secret + " # prod\n", errLine: 2, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "inline comment after tab", in: "GENESYS_CLIENT_SECRET=" + secret + "\t#prod", errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "unterminated double quote", in: "GENESYS_CLIENT_SECRET=\"" + secret + "\nB=2\"\n", errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "unterminated single quote", in: "GENESYS_CLIENT_SECRET='" + secret, errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "lone quote", in: "GENESYS_CLIENT_SECRET=\"", errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "text after closing quote", in: "GENESYS_CLIENT_SECRET=\"" + secret + "\" # prod\n", errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "quote inside quotes", in: "GENESYS_CLIENT_SECRET='" + secret + "'x'\n", errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "mismatched quotes", in: "GENESYS_CLIENT_SECRET='" + secret + "\"\n", errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "carriage return inside", in: "GENESYS_CLIENT_SECRET=" + secret + "\rB=2\r", errLine: 1, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "missing equals", in: "A=1\n\n" + secret + "\n", errLine: 3},
		{name: "secret pasted after export", in: "export " + secret + "\n", errLine: 1},
		{name: "bad name", in: "GENESYS CLIENT SECRET=" + secret + "\n", errLine: 1},
		{name: "name starting with digit", in: "1X=" + secret + "\n", errLine: 1},
		{name: "empty name", in: "=" + secret + "\n", errLine: 1},
		{name: "BOM not at start", in: "A=1\n\uFEFFGENESYS_CLIENT_SECRET=" + secret + "\n", errLine: 2},
		{name: "duplicate key", in: "GENESYS_CLIENT_SECRET=old\nGENESYS_CLIENT_SECRET=" + secret + "\n", errLine: 2, errKey: "GENESYS_CLIENT_SECRET"},
		{name: "duplicate key via export", in: "export GENESYS_CLIENT_SECRET=" + secret + "\nGENESYS_CLIENT_SECRET=" + secret + "\n", errLine: 2, errKey: "GENESYS_CLIENT_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnv("test.env", []byte(tt.in))
			if tt.want != nil {
				if err != nil {
					t.Fatalf("error: %v", err)
				}
				if len(got) != len(tt.want) {
					t.Errorf("got %d variables %q, want %q", len(got), keys(got), tt.want)
				}
				for k, v := range tt.want {
					if g, ok := got[k]; !ok || g != v {
						t.Errorf("%s = %q (set %v), want %q", k, g, ok, v)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; got %q", got)
			}
			msg := err.Error()
			if strings.Contains(msg, secret) {
				t.Fatalf("the message shows the secret: %s", msg)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *ParseError: %T %v", err, err)
			}
			if pe.Path != "test.env" || pe.Line != tt.errLine || pe.Key != tt.errKey {
				t.Errorf("ParseError{%q, line %d, key %q}, want {test.env, line %d, key %q}", pe.Path, pe.Line, pe.Key, tt.errLine, tt.errKey)
			}
			if !strings.HasPrefix(msg, "env file test.env line ") {
				t.Errorf("message does not name the file and line: %s", msg)
			}
		})
	}
}

func keys(e Env) []string {
	var ks []string
	for k := range e {
		ks = append(ks, k)
	}
	return ks
}

// TestLoadErrorHidesValue checks Load end to end on the review's cases: a file saved by
// Notepad (BOM, CRLF) loads, and an unterminated quote is refused without the secret.
func TestLoadErrorHidesValue(t *testing.T) {
	dir := t.TempDir()
	notepad := filepath.Join(dir, "notepad.env")
	if err := os.WriteFile(notepad, []byte("\uFEFFGENESYS_CLIENT_ID=id\r\nGENESYS_CLIENT_SECRET="+secret+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Load(notepad, false)
	if err != nil {
		t.Fatal(err)
	}
	if e["GENESYS_CLIENT_ID"] != "id" || e["GENESYS_CLIENT_SECRET"] != secret {
		t.Errorf("Load = %q", e)
	}
	broken := filepath.Join(dir, "broken.env")
	if err := os.WriteFile(broken, []byte("GENESYS_CLIENT_ID=id\nGENESYS_CLIENT_SECRET=\""+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(broken, true)
	if err == nil {
		t.Fatal("an unterminated quote is not an error")
	}
	if msg := err.Error(); strings.Contains(msg, secret) || !strings.Contains(msg, broken) || !strings.Contains(msg, "line 2: GENESYS_CLIENT_SECRET:") {
		t.Errorf("message: %s", msg)
	}
}

// taintFree is every byte that the text of a ParseError can hold besides input bytes that
// are variable names (letters, digits, _): the reasons' fixed text, the fuzz path, the
// format's own text. FuzzLoadEnv holds the reasons to it, so a byte outside it in a message
// can come only from a value.
const taintFree = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ .,:;()\"'#=-"

func TestReasonsAreTaintFree(t *testing.T) {
	for _, r := range []string{reasonNoEquals, reasonBadName, reasonUnclosed, reasonAfterQuote, reasonInlineHash, reasonCarriageRet, reasonDuplicateKey} {
		if i := strings.IndexFunc(r, func(c rune) bool { return c != '%' && !strings.ContainsRune(taintFree, c) }); i >= 0 {
			t.Errorf("reason %q has %q, outside taintFree: FuzzLoadEnv's check would be unsound", r, r[i])
		}
	}
}

// FuzzLoadEnv checks that parseEnv never panics, that what it returns is consistent, and that
// an error never shows a value assigned to GENESYS_CLIENT_SECRET. The check is by taint: a
// byte that occurs in the input only inside such values, and that no message can hold on its
// own (outside taintFree), must not occur in the message. If the message held a secret value
// containing such a byte, it would hold the byte; the check never fires on a message built
// from names, line numbers and fixed text.
func FuzzLoadEnv(f *testing.F) {
	for _, s := range []string{
		"GENESYS_CLIENT_SECRET=s3cr€t~\n",
		"\uFEFFGENESYS_CLIENT_SECRET=\"s3cr€t~\r\n",
		"export GENESYS_CLIENT_SECRET='s3cr€t~'x\n",
		"GENESYS_CLIENT_SECRET=s3cr€t~ # c\n",
		"GENESYS_CLIENT_SECRET=s3cr€t~\nGENESYS_CLIENT_SECRET=s3cr€t~\n",
		"GENESYS_CLIENT_SECRET=a\rs3cr€t~\n",
		"GENESYS_CLIENT_SECRET=$HOME{}\nbad line\n",
		"A=1\n# c\n\nB=\"q\"\n",
	} {
		f.Add([]byte(s))
	}
	const path = "fuzz.env"
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnv(path, data)
		if err == nil {
			for k := range env {
				if !isName(k) {
					t.Fatalf("accepted name %q", k)
				}
			}
			return
		}
		if env != nil {
			t.Fatalf("both a result and an error: %v", err)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Path != path || pe.Line < 1 || (pe.Key != "" && !isName(pe.Key)) {
			t.Fatalf("bad error %#v", err)
		}
		values, elsewhere := secretValues(data)
		msg := err.Error()
		for _, v := range values {
			for i := 0; i < len(v); i++ {
				c := v[i]
				if strings.IndexByte(taintFree, c) >= 0 || elsewhere[c] {
					continue
				}
				if strings.IndexByte(msg, c) >= 0 {
					t.Fatalf("message %q holds byte %q of the secret %q", msg, c, v)
				}
			}
		}
	})
}

// secretValues returns the raw text after "=" on every line that assigns
// GENESYS_CLIENT_SECRET, found independently of parseEnv (leading blanks, "export" and blanks
// before "=" allowed, on every line), and the bytes found anywhere else in data.
func secretValues(data []byte) (values []string, elsewhere [256]bool) {
	const key = "GENESYS_CLIENT_SECRET"
	for _, line := range strings.SplitAfter(string(data), "\n") {
		rest := strings.TrimLeft(line, " \t\uFEFF")
		if r, ok := strings.CutPrefix(rest, "export"); ok {
			rest = strings.TrimLeft(r, " \t")
		}
		if r, ok := strings.CutPrefix(rest, key); ok {
			if r, ok := strings.CutPrefix(strings.TrimLeft(r, " \t"), "="); ok {
				values = append(values, r)
				line = line[:len(line)-len(r)]
			}
		}
		for i := 0; i < len(line); i++ {
			elsewhere[line[i]] = true
		}
	}
	return values, elsewhere
}

// TestEnvExample keeps .env.example in the format it documents.
func TestEnvExample(t *testing.T) {
	e, err := Load(filepath.Join("..", "..", "..", ".env.example"), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e["GENESYS_CLIENT_SECRET"]; !ok {
		t.Errorf(".env.example does not set GENESYS_CLIENT_SECRET: %q", keys(e))
	}
}

// TestEnvExampleDocumentsEveryVariable: every GENESYS variable the programs read is in
// .env.example.
func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`"(GENESYS(?:CLOUD)?_[A-Z0-9_]+)"`)
	root := filepath.Join("..", "..", "..")
	seen := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !regexp.MustCompile(`(?m)^#? ?` + m[1] + `=`).Match(example) {
				t.Errorf("%s reads %s, which .env.example does not document", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Errorf("found only %d variables read: the scan is broken", seen)
	}
}
