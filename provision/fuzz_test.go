package provision

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets start from the table cases and from the cells of the testdata files.
// `make fuzz` runs each in turn; FUZZTIME sets how long.

// testdataFiles is every sample CSV under testdata.
func testdataFiles(f *testing.F) []string {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no testdata CSV files: %v", err)
	}
	return files
}

// testdataCells returns the non-blank cells of the given columns in every testdata file that
// the reader takes, and each item of those cells.
func testdataCells(f *testing.F, canonical ...string) []string {
	f.Helper()
	var cells []string
	for _, path := range testdataFiles(f) {
		r, err := OpenCSV(path)
		if err != nil {
			continue // a file with a bad header on purpose
		}
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !isRecordError(err) {
					f.Fatal(err)
				}
				continue
			}
			for _, c := range canonical {
				if cell := cellOf(row, c); cell != "" {
					cells = append(cells, cell)
					cells = append(cells, splitList(cell, "")...)
				}
			}
		}
		_ = r.Close()
	}
	return cells
}

// cellOf is the Row field tagged canonical.
func cellOf(row Row, canonical string) string {
	v := reflect.ValueOf(row)
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("csv") == canonical {
			return v.Field(i).String()
		}
	}
	panic("no Row field tagged " + canonical)
}

// errorNames checks that err names the input, as every parser error must.
func errorNames(t *testing.T, err error, input string) {
	t.Helper()
	if q := quoteValue(strings.TrimSpace(input)); strings.TrimSpace(input) != "" && !strings.Contains(err.Error(), q) {
		t.Fatalf("error %q does not name the input %s", err, q)
	}
}

func FuzzSplitList(f *testing.F) {
	for _, tt := range splitListCases {
		f.Add(tt.cell, uint8(0))
		f.Add(tt.cell, uint8(1))
		f.Add(tt.cell, uint8(2))
	}
	for _, c := range testdataCells(f, "roles", "groups", "queues", "skills", "languages") {
		f.Add(c, uint8(0))
	}
	f.Fuzz(func(t *testing.T, cell string, choice uint8) {
		sep := []string{"", ",", ";"}[choice%3]
		items := splitList(cell, sep)
		seen := make(map[string]bool)
		for _, it := range items {
			switch {
			case it == "" || it != strings.TrimSpace(it):
				t.Fatalf("item %q is empty or not trimmed", it)
			case seen[it]:
				t.Fatalf("item %q twice in %q", it, items)
			case sep == "" && strings.ContainsAny(it, ",;"), sep != "" && strings.Contains(it, sep):
				t.Fatalf("item %q holds a separator (sep %q)", it, sep)
			}
			seen[it] = true
		}
		join := sep
		if join == "" {
			join = ","
		}
		if again := splitList(strings.Join(items, join), sep); !reflect.DeepEqual(again, items) {
			t.Fatalf("re-split of %q = %q", items, again)
		}
	})
}

func FuzzRoleSpec(f *testing.F) {
	for _, tt := range roleSpecCases {
		f.Add(tt.item)
	}
	for _, c := range testdataCells(f, "roles") {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, item string) {
		rs, err := ParseRoleSpec(item)
		if err != nil {
			errorNames(t, err, item)
			return
		}
		if rs.Role == "" || rs.Role != strings.TrimSpace(rs.Role) || rs.Division != strings.TrimSpace(rs.Division) {
			t.Fatalf("ParseRoleSpec(%q) = %+v: empty or untrimmed", item, rs)
		}
		if strings.Contains(rs.Division, ":") || (rs.Division == "") != !strings.Contains(item, ":") {
			t.Fatalf("ParseRoleSpec(%q) = %+v: not split at the last ':'", item, rs)
		}
		if again, err := ParseRoleSpec(rs.String()); err != nil || again != rs {
			t.Fatalf("ParseRoleSpec(%q) = %+v, %v; want %+v", rs.String(), again, err, rs)
		}
	})
}

func FuzzProficiency(f *testing.F) {
	for _, tt := range proficiencyCases {
		f.Add(tt.item)
	}
	for _, c := range testdataCells(f, "skills", "languages") {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, item string) {
		p, err := ParseProficiency(item)
		if err != nil {
			errorNames(t, err, item)
			return
		}
		if math.IsNaN(p.Level) || p.Level < 0 || p.Level > maxProficiency {
			t.Fatalf("ParseProficiency(%q) level %v outside [0,5]", item, p.Level)
		}
		if p.Name == "" || p.Name != strings.TrimSpace(p.Name) {
			t.Fatalf("ParseProficiency(%q) name %q empty or untrimmed", item, p.Name)
		}
		if again, err := ParseProficiency(p.String()); err != nil || again != p {
			t.Fatalf("ParseProficiency(%q) = %+v, %v; want %+v", p.String(), again, err, p)
		}
	})
}

func FuzzDate(f *testing.F) {
	for _, tt := range dateCases {
		f.Add(tt.cell)
	}
	for _, c := range testdataCells(f, "hire_date") {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		d, err := parseDate(cell)
		if err != nil {
			errorNames(t, err, cell)
			return
		}
		if d != strings.TrimSpace(cell) {
			t.Fatalf("parseDate(%q) = %q, want the trimmed cell", cell, d)
		}
		if tm, err := time.Parse(dateLayout, d); err != nil || tm.Format(dateLayout) != d || tm.Year() < 1900 {
			t.Fatalf("parseDate(%q) = %q, which is not a date from 1900 on (%v)", cell, d, err)
		}
		if again, err := parseDate(d); err != nil || again != d {
			t.Fatalf("parseDate(%q) = %q, %v", d, again, err)
		}
	})
}

// FuzzPhone covers parsePhone and parseExtension.
// plainEmail is a shortcut of checkEmail: every address it accepts, net/mail accepts too.
func FuzzEmail(f *testing.F) {
	for _, c := range []string{"a@b.co", "first.last+tag@mail.example.com", "a..b@x.com", ".a@x.com",
		"a@x", "a@-x.com", "a@x..com", "A_B%C@Example.COM", "a@[1.2.3.4]", "\"a b\"@x.com"} {
		f.Add(c)
	}
	for _, c := range testdataCells(f, "email", "email_manager") {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainEmail(s) {
			if msg := checkEmailMail(s); msg != "" {
				t.Fatalf("plainEmail(%q) is true, but net/mail says: %s", s, msg)
			}
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, tt := range phoneCases {
		f.Add(tt.cell)
	}
	for _, c := range testdataCells(f, "phone_work", "phone_mobile", "extension") {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		if ext, err := parseExtension(cell); err == nil {
			if !allDigits(ext) || len(ext) > maxExtensionDigits || ext != strings.TrimSpace(cell) {
				t.Fatalf("parseExtension(%q) = %q", cell, ext)
			}
		} else {
			errorNames(t, err, cell)
		}
		p, err := parsePhone(cell)
		if err != nil {
			errorNames(t, err, cell)
			return
		}
		digits := strings.TrimPrefix(p, "+")
		if !allDigits(digits) || len(digits) < minPhoneDigits || len(digits) > maxPhoneDigits {
			t.Fatalf("parsePhone(%q) = %q: not an optional + and 7 to 15 digits", cell, p)
		}
		if again, err := parsePhone(p); err != nil || again != p {
			t.Fatalf("parsePhone(%q) = %q, %v; want it unchanged", p, again, err)
		}
	})
}

// FuzzHeader feeds arbitrary first lines to the header matcher.
func FuzzHeader(f *testing.F) {
	for _, path := range testdataFiles(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		f.Add(first)
	}
	for _, h := range []string{
		guideHeader, strings.TrimSpace(fullHeader), "NAME;EMAIL", "NAME,EMAIL,ROLE,ROLES_DIVISIONS", "name,email,group,groups",
		" Name , E-Mail ,Phone Work", "NAME,EMAIL,MANAGER", "\ufeff\"name\";\"email\"", "NAME,,EMAIL", "N\x00A\x00M\x00E\x00",
		"\"a\nb\",email,name", "NAME,EM\"AIL", "\xff\xfeN\x00", "name,email\r\n",
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := newCSVReader(strings.NewReader(line), "fuzz.csv")
		if err != nil {
			checkLines(t, err, 1)
			var ie *inputError
			if errors.As(err, &ie) && ie.Msg == "" {
				t.Fatalf("error without a message: %#v", ie)
			}
			return
		}
		if d := r.delim; d != ',' && d != ';' {
			t.Fatalf("Delimiter() = %q", d)
		}
		if !strings.ContainsAny(line, "\"\r\n") {
			want := ','
			if strings.Count(line, ";") > strings.Count(line, ",") {
				want = ';'
			}
			if r.delim != want {
				t.Fatalf("Delimiter() = %q for %q, want %q", r.delim, line, want)
			}
		}
		if !hasColumn(r, "name") || !hasColumn(r, "email") {
			t.Fatalf("header %q accepted without NAME and EMAIL", line)
		}
		cols := make(map[int]string)
		for _, c := range csvColumns {
			i, h := r.Column(c.name)
			if (i > 0) != (h != "") || (i > 0) != hasColumn(r, c.name) {
				t.Fatalf("Column(%q) = %d, %q; Has = %v", c.name, i, h, hasColumn(r, c.name))
			}
			for _, a := range c.aliases {
				if ai, _ := r.Column(a); ai != i {
					t.Fatalf("Column(%q) = %d, Column(%q) = %d", a, ai, c.name, i)
				}
			}
			if i == 0 {
				continue
			}
			if other, dup := cols[i]; dup {
				t.Fatalf("columns %s and %s both at %d", other, c.name, i)
			}
			cols[i] = c.name
		}
		if _, errs := r.Check(Row{Line: 2, Name: "n", Email: "n@example.com"}); len(errs) > 0 {
			t.Fatalf("Check of a minimal row: %v", errs)
		}
	})
}

// FuzzReportReader reads arbitrary bytes as an earlier report, as --resume does: no panic,
// only whole ok lines of the file's rows with a row hash are passed on, never one from past
// the last line break, and what is passed on reads back the same once written again.
func FuzzReportReader(f *testing.F) {
	head := strings.Join(reportHeader, ",") + "\n"
	for _, s := range []string{
		head + "2,a@x.com,create,ok,u1,,,name: → A,0123456789abcdef\n",
		head + "2,a@x.com,create,ok,u1,,,,0123456789abcdef\n3,b@x.com,none,ok,u2,,,,fedcba98765",
		head + "2,'=a@x.com,update,ok,'-u1,\"x,\n y\",c,'+z;'@w,abc\n,x@y,deactivate,ok,u9,,,,\n",
		head + "2,a@x.com,create,failed,,\"torn",
		"line,email,action,status,user_id,error,correlation_id,changes\n2,a@x.com,create,ok,u1,,,\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "r.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var st ResumeStats
		var got []reportRow
		err := scanReport(path, &st, func(l reportRow, line int) error {
			if line < 2 || Status(l.Status) != StatusOK || l.RowHash == "" || strconv.Itoa(line) != l.Line {
				t.Fatalf("passed on %+v as line %d", l, line)
			}
			got = append(got, l)
			return nil
		})
		if err != nil {
			return // not a report: said so, no panic
		}
		whole := bytes.LastIndexByte(data, '\n') + 1
		if len(got) > bytes.Count(data[:whole], []byte("\n")) {
			t.Fatalf("%d lines passed on from %d whole lines", len(got), bytes.Count(data[:whole], []byte("\n")))
		}
		// Written again as carryOver writes them, the lines read back the same.
		again := filepath.Join(dir, "again.csv")
		w, err := openNewReport(again)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range got {
			line, _ := strconv.Atoi(l.Line)
			if err := w.Write(Result{Line: line, Email: undefuse(l.Email), Action: Action(undefuse(l.Action)), Status: StatusOK,
				UserID: undefuse(l.UserID), CorrelationID: undefuse(l.CorrelationID), Changes: undefuse(l.Changes), RowHash: undefuse(l.RowHash)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		i := 0
		if err := scanReport(again, &st, func(l reportRow, _ int) error {
			want := got[i]
			want.Error = ""
			if utf8.RuneCountInString(want.UserID+want.CorrelationID+want.Changes) <= maxCellChars && l != want {
				t.Fatalf("line read back as\n%+v\nwant\n%+v", l, want)
			}
			i++
			return nil
		}); err != nil || i != len(got) {
			t.Fatalf("read back %d of %d lines: %v", i, len(got), err)
		}
	})
}
