package provision

import (
	"bufio"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

const guideHeader = "NAME,EMAIL,PASSWORD,GROUP,ROLE,SITENAME,PHONEBASE\n"

// readAll reads every row of input, collecting rows and row errors by line.
func readAll(t *testing.T, input string) (rows []Row, errs map[int]error) {
	t.Helper()
	r, err := newCSVReader(strings.NewReader(input), "test.csv")
	if err != nil {
		t.Fatalf("newCSVReader: %v", err)
	}
	errs = make(map[int]error)
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, errs
		}
		if err != nil {
			if !isRecordError(err) {
				t.Fatalf("Next: fatal error %v", err)
			}
			if row.Line < 2 {
				t.Fatalf("Next: error %v with row line %d", err, row.Line)
			}
			errs[row.Line] = err
			continue
		}
		rows = append(rows, row)
	}
}

// hasColumn reports whether the file has the column, as Column finds it.
func hasColumn(r *CSVReader, canonical string) bool {
	i, _ := r.Column(canonical)
	return i > 0
}

func lines(rows []Row) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Line
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		columns map[string]int // canonical → expected 1-based column; checked when no error
		errCol  int            // expected Column of the (first) header error
		errIn   string         // the error must contain this; "" means no error
	}{
		{name: "guide", input: guideHeader,
			columns: map[string]int{"name": 1, "email": 2, "password": 3, "groups": 4, "group": 4, "roles": 5, "role": 5, "sitename": 6, "phonebase": 7}},
		{name: "lower case", input: "name,email,password,group,role,sitename,phonebase\n",
			columns: map[string]int{"name": 1, "phonebase": 7}},
		{name: "BOM", input: "\ufeffNAME,EMAIL\n", columns: map[string]int{"name": 1, "email": 2}},
		{name: "BOM and quoted", input: "\ufeff\"NAME\",\"EMAIL\"\n", columns: map[string]int{"name": 1, "email": 2}},
		{name: "spaces underscores dashes", input: " Name , E-Mail,Site Name,phone_base,pass_word\n",
			columns: map[string]int{"name": 1, "email": 2, "sitename": 3, "phonebase": 4, "password": 5}},
		{name: "reordered subset", input: "EMAIL,ROLE,NAME\n",
			columns: map[string]int{"email": 1, "role": 2, "name": 3, "group": 0}},
		{name: "CRLF", input: "NAME,EMAIL\r\n", columns: map[string]int{"name": 1, "email": 2}},
		{name: "missing email", input: "NAME,PASSWORD\n", errCol: 0, errIn: "test.csv:1: required column EMAIL is missing"},
		{name: "missing both", input: "GROUP\n", errCol: 0, errIn: "required column NAME is missing"},
		{name: "unknown with suggestion", input: "NAME,EMAIL,ROLLE\n", errCol: 3, errIn: "test.csv:1:3: ROLLE: unknown column; did you mean ROLE?"},
		{name: "unknown lower-case suggestion", input: "name,email,site_nme\n", errCol: 3, errIn: "site_nme: unknown column; did you mean sitename?"},
		{name: "unknown suggestion by containment", input: "NAME,EMAIL,MANAGER\n", errCol: 3, errIn: "MANAGER: unknown column; did you mean EMAIL_MANAGER?"},
		{name: "unknown several suggestions", input: "name,email,phone\n", errCol: 3, errIn: "phone: unknown column; did you mean phone_work, phone_mobile or phonebase?"},
		{name: "unknown suggests an alias", input: "name,email,role_division\n", errCol: 3, errIn: "did you mean roles_divisions?"},
		{name: "unknown without suggestion", input: "NAME,EMAIL,FAVOURITE_COLOUR\n", errCol: 3,
			errIn: "unknown column; the columns are NAME,EMAIL,PASSWORD,PHONE_WORK,EXTENSION,PHONE_MOBILE,TITLE,DEPARTMENT,EMAIL_MANAGER,LOCATION_WORK,DIVISION,ROLES,GROUPS,QUEUES,SKILLS,LANGUAGES,HIRE_DATE,EMPLOYEE_ID,EMPLOYEE_TYPE,STATE,SITENAME,PHONEBASE (GROUP is another name for GROUPS, ROLE and ROLES_DIVISIONS for ROLES)"},
		{name: "duplicate", input: "NAME,EMAIL,e_mail\n", errCol: 3, errIn: "e_mail: column EMAIL appears twice (columns 2 and 3)"},
		{name: "empty cell", input: "NAME,,EMAIL\n", errCol: 2, errIn: "test.csv:1:2: empty header cell"},
		{name: "empty file", input: "", errIn: "test.csv:1: the file is empty"},
		{name: "semicolons", input: "NAME;EMAIL\n", columns: map[string]int{"name": 1, "email": 2}},
		{name: "mixed delimiters", input: "NAME;EMAIL,PASSWORD\n", errCol: 1,
			errIn: "NAME;EMAIL: unknown column; the header line mixes ',' and ';' between cells, and this file is read with ',' as the delimiter: use one delimiter throughout"},
		{name: "two aliases of roles", input: "NAME,EMAIL,ROLE,ROLES_DIVISIONS\n", errCol: 4,
			errIn: "test.csv:1:4: ROLES_DIVISIONS: ROLE and ROLES_DIVISIONS are two names for the same column, ROLES (columns 3 and 4); keep one"},
		{name: "alias and canonical", input: "name,email,groups,Group\n", errCol: 4,
			errIn: "Group: GROUPS and GROUP are two names for the same column, GROUPS (columns 3 and 4); keep one"},
		{name: "UTF-16 without BOM", input: "N\x00A\x00M\x00E\x00,\x00E\x00M\x00A\x00I\x00L\x00\n\x00", errCol: 1, errIn: "probably UTF-16"},
		{name: "UTF-16", input: "\xff\xfeN\x00A\x00", errIn: "UTF-16"},
		{name: "invalid UTF-8", input: "NAME,EM\xffAIL\n", errCol: 2, errIn: "not valid UTF-8"},
		{name: "bare quote", input: "NAME,EM\"AIL\n", errCol: 2, errIn: "test.csv:1:2: a \" inside a cell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := newCSVReader(strings.NewReader(tt.input), "test.csv")
			if tt.errIn == "" {
				if err != nil {
					t.Fatalf("newCSVReader: %v", err)
				}
				for canonical, want := range tt.columns {
					if got, _ := r.Column(canonical); got != want {
						t.Errorf("Column(%q) = %d, want %d", canonical, got, want)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("newCSVReader: no error, want one containing %q", tt.errIn)
			}
			if !strings.Contains(err.Error(), tt.errIn) {
				t.Errorf("error %q does not contain %q", err, tt.errIn)
			}
			var ie *inputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *inputError", err)
			}
			if ie.File != "test.csv" || ie.Line != 1 || ie.Column != tt.errCol {
				t.Errorf("error at %s:%d:%d, want test.csv:1:%d", ie.File, ie.Line, ie.Column, tt.errCol)
			}
		})
	}
}

func TestHeaderSeveralErrors(t *testing.T) {
	_, err := newCSVReader(strings.NewReader("NAME,ROLLE,ROLE,role\n"), "f.csv")
	var re rowErrors
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a rowErrors", err, err)
	}
	want := []string{
		"f.csv:1:2: ROLLE: unknown column; did you mean ROLE?",
		"f.csv:1:4: role: column ROLE appears twice (columns 3 and 4); keep one",
		"f.csv:1: required column EMAIL is missing",
	}
	if len(re) != len(want) {
		t.Fatalf("got %d errors (%v), want %d", len(re), err, len(want))
	}
	for i, w := range want {
		if got := re[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("error %d = %q, want prefix %q", i, got, w)
		}
	}
}

func TestColumnHeaderText(t *testing.T) {
	r, err := newCSVReader(strings.NewReader(" Name , e-mail \n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if i, h := r.Column("email"); i != 2 || h != "e-mail" {
		t.Errorf(`Column("email") = %d, %q; want 2, "e-mail"`, i, h)
	}
	if i, h := r.Column("role"); i != 0 || h != "" {
		t.Errorf(`Column("role") = %d, %q; want 0, ""`, i, h)
	}
}

func TestNextLines(t *testing.T) {
	tests := []struct {
		name  string
		input string
		lines []int
	}{
		{name: "plain", input: "NAME,EMAIL\na,a@x.com\nb,b@x.com\n", lines: []int{2, 3}},
		{name: "no final newline", input: "NAME,EMAIL\na,a@x.com\nb,b@x.com", lines: []int{2, 3}},
		{name: "CRLF", input: "NAME,EMAIL\r\na,a@x.com\r\nb,b@x.com\r\n", lines: []int{2, 3}},
		{name: "embedded newline", input: "NAME,EMAIL\n\"a\nstill a\",a@x.com\nb,b@x.com\n", lines: []int{2, 4}},
		{name: "embedded CRLF newlines", input: "NAME,EMAIL\r\n\"a\r\n\r\nstill a\",a@x.com\r\nb,b@x.com\r\n", lines: []int{2, 5}},
		{name: "newline in last cell", input: "NAME,EMAIL\na,\"a@x.com\n\"\nb,b@x.com\n", lines: []int{2, 4}},
		{name: "blank lines", input: "NAME,EMAIL\n\na,a@x.com\n\n\nb,b@x.com\n\n", lines: []int{3, 6}},
		{name: "blank line before header", input: "\nNAME,EMAIL\na,a@x.com\n", lines: []int{3}},
		{name: "empty cells skipped", input: "NAME,EMAIL\na,a@x.com\n,\n , \nb,b@x.com\n,,,\n", lines: []int{2, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := readAll(t, tt.input)
			if len(errs) > 0 {
				t.Fatalf("unexpected row errors: %v", errs)
			}
			if got := lines(rows); !equalInts(got, tt.lines) {
				t.Errorf("lines = %v, want %v", got, tt.lines)
			}
		})
	}
}

func TestNextDecodes(t *testing.T) {
	input := "email , Phone Base,NAME,SITENAME\n  bw@x.com ,  WebRTC_Base,\" Bruce Wayne \",\"My PCV Site\"\n"
	rows, errs := readAll(t, input)
	if len(errs) > 0 || len(rows) != 1 {
		t.Fatalf("rows %v, errors %v", rows, errs)
	}
	want := Row{Line: 2, Name: "Bruce Wayne", Email: "bw@x.com", SiteName: "My PCV Site", PhoneBase: "WebRTC_Base"}
	if rows[0] != want {
		t.Errorf("row = %+v, want %+v", rows[0], want)
	}
}

func TestNextRecordErrors(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		okLines  []int
		errLine  int
		errCol   int
		errField string
		errIn    string
	}{
		{name: "bare quote fails only its record",
			input:   "NAME,EMAIL\na,a@x.com\nwa_Bad\"Quote,b@x.com\nc,c@x.com\n",
			okLines: []int{2, 4}, errLine: 3, errCol: 1, errField: "NAME", errIn: "test.csv:3:1: NAME: a \" inside a cell"},
		{name: "bare quote in second cell",
			input:   "NAME,EMAIL\na,a@x.com\nb,b\"@x.com\nc,c@x.com\n",
			okLines: []int{2, 4}, errLine: 3, errCol: 2, errField: "EMAIL", errIn: "character 4"},
		{name: "text after closing quote",
			input:   "NAME,EMAIL\n\"a\"b,a@x.com\nc,c@x.com\n",
			okLines: []int{3}, errLine: 2, errCol: 1, errField: "NAME", errIn: "quoted cell is not closed properly"},
		{name: "bare quote after multi-line cell",
			input:   "NAME,EMAIL\n\"a\nb\",a\"@x.com\nc,c@x.com\n",
			okLines: []int{4}, errLine: 2, errCol: 2, errField: "EMAIL", errIn: "at line 3, character 5"},
		{name: "unterminated quote swallows the rest",
			input:   "NAME,EMAIL\na,a@x.com\n\"b,b@x.com\nc,c@x.com\n",
			okLines: []int{2}, errLine: 3, errCol: 1, errField: "NAME", errIn: "lacks its closing"},
		{name: "too many cells",
			input:   "NAME,EMAIL\na,a@x.com\nWayne, Bruce,b@x.com\nc,c@x.com\n",
			okLines: []int{2, 4}, errLine: 3, errCol: 0, errIn: "test.csv:3: the record has 3 cells but the header has 2"},
		{name: "too few cells",
			input:   "NAME,EMAIL\na,a@x.com\nb\nc,c@x.com\n",
			okLines: []int{2, 4}, errLine: 3, errCol: 0, errIn: "has 1 cells but the header has 2"},
		{name: "invalid UTF-8",
			input:   "NAME,EMAIL\na,a@x.com\nJos\xe9,b@x.com\nc,c@x.com\n",
			okLines: []int{2, 4}, errLine: 3, errCol: 1, errField: "NAME", errIn: "test.csv:3:1: NAME: not valid UTF-8"},
		{name: "Latin-1 after multi-line cell",
			input:   "NAME,EMAIL\n\"a\nb\",\xe9@x.com\nc,c@x.com\n",
			okLines: []int{4}, errLine: 2, errCol: 2, errField: "EMAIL", errIn: "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := readAll(t, tt.input)
			if got := lines(rows); !equalInts(got, tt.okLines) {
				t.Errorf("good rows on lines %v, want %v", got, tt.okLines)
			}
			if len(errs) != 1 {
				t.Fatalf("got errors %v, want one on line %d", errs, tt.errLine)
			}
			err := errs[tt.errLine]
			if err == nil {
				t.Fatalf("no error on line %d: %v", tt.errLine, errs)
			}
			var ie *inputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *inputError", err)
			}
			if ie.Line != tt.errLine || ie.Column != tt.errCol || ie.Field != tt.errField {
				t.Errorf("error at line %d column %d field %q, want %d %d %q", ie.Line, ie.Column, ie.Field, tt.errLine, tt.errCol, tt.errField)
			}
			if !strings.Contains(err.Error(), tt.errIn) {
				t.Errorf("error %q does not contain %q", err, tt.errIn)
			}
		})
	}
}

func TestNextInvalidUTF8SeveralCells(t *testing.T) {
	_, errs := readAll(t, "NAME,EMAIL,ROLE\n\xff,a@x.com,\xfe\n")
	var re rowErrors
	if !errors.As(errs[2], &re) || len(re) != 2 || re[0].Column != 1 || re[1].Column != 3 {
		t.Errorf("error = %#v, want rowErrors for columns 1 and 3", errs[2])
	}
}

func TestNextRecordTooLong(t *testing.T) {
	input := "NAME,EMAIL\na,a@x.com\n\"never closed," + strings.Repeat("x,y@x.com\n", maxRecordBytes/5)
	r, err := newCSVReader(strings.NewReader(input), "big.csv")
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Line != 2 {
		t.Fatalf("first Next = %v, %v", row, err)
	}
	_, err = r.Next()
	if err == nil || isRecordError(err) || err == io.EOF {
		t.Fatalf("Next = %v, want a fatal error", err)
	}
	if !strings.Contains(err.Error(), "big.csv:3: ") || !strings.Contains(err.Error(), "1 MiB") {
		t.Errorf("error %q does not name big.csv:3 and the limit", err)
	}
	if _, again := r.Next(); again != err {
		t.Errorf("Next after a fatal error = %v, want the same error", again)
	}
}

func TestNextReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	src := io.MultiReader(strings.NewReader(guideHeader+"a,a@x.com,,,,,\n"), iotest.ErrReader(boom))
	r, err := newCSVReader(src, "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	_, err = r.Next()
	if !errors.Is(err, boom) || isRecordError(err) || !strings.Contains(err.Error(), "f.csv") {
		t.Errorf("Next = %v, want the read error naming f.csv", err)
	}
}

func TestOpenCSV(t *testing.T) {
	t.Run("userdata", func(t *testing.T) {
		r, err := OpenCSV(filepath.Join("..", "testdata", "userdata.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var got []Row
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, errs := r.Check(row); len(errs) > 0 {
				t.Errorf("Check(line %d): %v", row.Line, errs)
			}
			got = append(got, row)
		}
		if len(got) != 4 {
			t.Fatalf("read %d rows, want 4", len(got))
		}
		want := Row{Line: 2, Name: "wa_Selina Kyle", Email: "sk367@wayne.enterprises.com", Password: "changeMe1234!",
			Groups: "Annuities", Roles: "Communicate - User", SiteName: "My PCV Site", PhoneBase: "WebRTC_Base"}
		if got[0] != want {
			t.Errorf("first row = %+v, want %+v", got[0], want)
		}
		if got[3].Line != 5 || got[3].Email != "ap367@wayne.enterprises.com" {
			t.Errorf("last row = %+v", got[3])
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.csv")
		_, err := OpenCSV(path)
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("OpenCSV = %v, want a not-exist error naming %s", err, path)
		}
	})
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := OpenCSV(dir)
		if err == nil || isRecordError(err) || strings.Count(err.Error(), dir) != 1 {
			t.Errorf("OpenCSV(dir) = %v, want an I/O error naming %s once", err, dir)
		}
	})
	t.Run("missing email", func(t *testing.T) {
		path := filepath.Join("..", "testdata", "bad_missing_email.csv")
		_, err := OpenCSV(path)
		var ie *inputError
		if !errors.As(err, &ie) || ie.File != path || ie.Line != 1 || !strings.Contains(ie.Msg, "EMAIL") {
			t.Errorf("OpenCSV = %v, want a header error naming EMAIL", err)
		}
	})
}

// TestBadRowsFile runs the offline first pass over testdata/bad_rows.csv.
func TestBadRowsFile(t *testing.T) {
	r, err := OpenCSV(filepath.Join("..", "testdata", "bad_rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seen := newExactSeen()
	got := make(map[int]string)
	var okLines []int
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			if _, errs := r.Check(row); len(errs) > 0 {
				err = errs.Err()
			} else if first, dup := seen.Add(row.Email, row.Line); dup {
				err = r.DuplicateError(row, first)
			}
		}
		if err != nil {
			if !isRecordError(err) {
				t.Fatal(err)
			}
			got[row.Line] = errorDetail(err)
			continue
		}
		okLines = append(okLines, row.Line)
	}
	want := map[int]string{
		4: `column 1 (NAME): a " inside a cell that does not start with a quote (at line 4, character 7)`,
		5: "column 2 (EMAIL): 'bw367 at wayne.enterprises.com' is not a valid email address",
		7: "column 2 (EMAIL): email 'AP367@wayne.enterprises.com' already appears on line 6",
	}
	for line, w := range want {
		if !strings.HasPrefix(got[line], w) {
			t.Errorf("line %d: error %q, want prefix %q", line, got[line], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors %v, want lines 4, 5, 7 only", got)
	}
	if !equalInts(okLines, []int{2, 3, 6, 8, 9, 10}) {
		t.Errorf("good lines %v", okLines)
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, path := range testdataFiles(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\ufeffname,email\n\"a\nb\",a@x.com\r\nc\"d,e\n\xff,x\n,\n"))
	f.Add([]byte("NAME,EMAIL,SITENAME,PHONEBASE\na,<a@x.com>,s,\n"))
	f.Add([]byte("name;email;roles;skills\r\na;a@x.com;Agent:Sales,Supervisor:*;Billing:3,5\r\n"))
	f.Add([]byte(fullHeader + "n,n@x.com,,+1 317 x1,1,,,,N@x.com,,*,:,a;a,,b:9,c:-1,2024-02-30,,,x,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := newCSVReader(strings.NewReader(string(data)), "fuzz.csv")
		if err != nil {
			checkLines(t, err, 1)
			return
		}
		if err := r.SetListSeparator([]string{"", ",", ";"}[len(data)%3]); err != nil {
			t.Fatal(err)
		}
		seen := newExactSeen()
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("Next did not reach the end after %d calls", i)
			}
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil && !isRecordError(err) {
				return // fatal (only a record over 1 MiB here)
			}
			if row.Line < 2 {
				t.Fatalf("row line %d < 2 (err %v)", row.Line, err)
			}
			if err != nil {
				checkLines(t, err, 2)
				continue
			}
			if row.Password != "" && !hasControl(row.Password) {
				row.Password = passwordSentinel
			}
			spec, errs := r.Check(row)
			for _, e := range errs {
				if e.Line != row.Line {
					t.Fatalf("Check error line %d for row line %d", e.Line, row.Line)
				}
				if e.Field == "" || e.Msg == "" {
					t.Fatalf("Check error without a column or a message: %#v", e)
				}
				if strings.Contains(e.Error(), passwordSentinel) {
					t.Fatalf("Check error shows the password: %v", e)
				}
			}
			if len(errs) == 0 {
				checkSpec(t, spec)
			}
			if first, dup := seen.Add(row.Email, row.Line); dup && (first >= row.Line || first < 2) {
				t.Fatalf("duplicate of line %d reported on line %d", first, row.Line)
			}
		}
	})
}

// passwordSentinel replaces the passwords FuzzCSVReader reads, to see that no error shows one.
const passwordSentinel = "pw-sentinel-7Hq2"

// checkSpec checks the invariants of a Spec that Check accepted.
func checkSpec(t *testing.T, s Spec) {
	t.Helper()
	for _, p := range append(slices.Clone(s.Skills), s.Languages...) {
		if !(p.Level >= 0 && p.Level <= maxProficiency) || p.Name == "" {
			t.Fatalf("proficiency %+v", p)
		}
	}
	for _, rs := range s.Roles {
		if rs.Role == "" {
			t.Fatalf("role %+v", rs)
		}
	}
	for _, ph := range []string{s.PhoneWork, s.PhoneMobile} {
		if again, err := parsePhone(ph); ph != "" && (err != nil || again != ph) {
			t.Fatalf("phone %q re-parses as %q, %v", ph, again, err)
		}
	}
	if s.Manager != strings.ToLower(s.Manager) || (s.Manager != "" && strings.EqualFold(s.Manager, s.Email)) {
		t.Fatalf("manager %q of %q", s.Manager, s.Email)
	}
	if s.State != "" && s.State != "active" && s.State != "inactive" {
		t.Fatalf("state %q", s.State)
	}
}

func checkLines(t *testing.T, err error, min int) {
	t.Helper()
	var re rowErrors
	if errors.As(err, &re) {
		for _, e := range re {
			if e.Line < min {
				t.Fatalf("error %v has line %d < %d", e, e.Line, min)
			}
		}
		return
	}
	var ie *inputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T) is not an *inputError", err, err)
	}
	if ie.Line < min {
		t.Fatalf("error %v has line %d < %d", ie, ie.Line, min)
	}
}

// BenchmarkCSVReader measures reading and checking rows of the starting guide's format.
func BenchmarkCSVReader(b *testing.B) {
	const rows = 10000
	var sb strings.Builder
	sb.WriteString(guideHeader)
	for i := range rows {
		sb.WriteString("wa_Selina Kyle,sk")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString("@wayne.enterprises.com,changeMe1234!,Annuities,\"Communicate - User\",\"My PCV Site\",WebRTC_Base\n")
	}
	input := sb.String()
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := newCSVReader(strings.NewReader(input), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			_, _ = r.Check(row)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// TestRowFields checks that rowFields is exactly Row's csv tags, in declaration order (the
// order RowHash depends on), and covers exactly the columns the header matcher knows; and
// that newRow and Row.cells put each cell in the field tagged with its name.
func TestRowFields(t *testing.T) {
	var tags []string
	rt := reflect.TypeFor[Row]()
	for i := range rt.NumField() {
		f := rt.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("csv"), ","); f.IsExported() && tag != "-" {
			if f.Type.Kind() != reflect.String {
				t.Errorf("Row.%s is a cell but not a string", f.Name)
			}
			tags = append(tags, tag)
		}
	}
	if !slices.Equal(rowFields[:], tags) {
		t.Errorf("rowFields %v, Row's csv tags %v", rowFields, tags)
	}

	var want []string
	for _, c := range csvColumns {
		want = append(want, c.name)
	}
	got := slices.Clone(rowFields[:])
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Row's csv tags %v, csvColumns %v", got, want)
	}

	var cells rowCells
	for i := range cells {
		cells[i] = "cell " + strconv.Itoa(i)
	}
	row := newRow(7, &cells)
	if row.Line != 7 {
		t.Errorf("newRow: Line %d, want 7", row.Line)
	}
	for i, name := range rowFields {
		if got := cellOf(row, name); got != cells[i] {
			t.Errorf("newRow: the field tagged %q holds %q, want %q", name, got, cells[i])
		}
	}
	if back := row.cells(); back != cells {
		t.Errorf("Row.cells = %q, want %q", back, cells)
	}
}

// RowHash is kept by the report for --resume: a hash must not change from one version to
// the next for the same row, header and separator.
func TestRowHashStable(t *testing.T) {
	tests := []struct {
		input, sep, want string
	}{
		{input: "name,email,password,phone_work,extension,phone_mobile,title,department,email_manager,location_work,division,roles,groups,queues,skills,languages,hire_date,employee_id,employee_type,state,sitename,phonebase\n" +
			"Ann Lee,ann@example.com,pw,+1 555 0100,123,+1 555 0101,Agent,Sales,boss@example.com,HQ,Home,Agent;Supervisor:*,G1;G2,Q1,Billing:3,English:5,2024-01-02,E1,Full-time,active,Site1,Base1\n",
			want: "d82f73460f33890d"},
		{input: "EMAIL;name;ROLES\nann@example.com;Ann;A,B\n", sep: ",", want: "c629c89e1053f57c"},
	}
	for _, tt := range tests {
		r, err := newCSVReader(strings.NewReader(tt.input), "f.csv")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.SetListSeparator(tt.sep); err != nil {
			t.Fatal(err)
		}
		row, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got := r.RowHash(row); got != tt.want {
			t.Errorf("RowHash of %q = %s, want %s", tt.input, got, tt.want)
		}
	}
}

func TestDetectDelimiter(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  rune
	}{
		{name: "commas", input: "NAME,EMAIL\n", want: ','},
		{name: "semicolons", input: "NAME;EMAIL\n", want: ';'},
		{name: "one column", input: "NAME\n", want: ','},
		{name: "one column, semicolons below", input: "NAME\na;b;c\n", want: ','},
		{name: "empty", input: "", want: ','},
		{name: "no final newline", input: "NAME;EMAIL", want: ';'},
		{name: "CRLF", input: "NAME;EMAIL;ROLES\r\na;b;c,d\r\n", want: ';'},
		{name: "only the first line counts", input: "NAME,EMAIL\na;b;c;d;e\n", want: ','},
		{name: "blank lines first", input: "\n\r\n\nNAME;EMAIL\n", want: ';'},
		{name: "more semicolons", input: "A;B;C,D\n", want: ';'},
		{name: "more commas", input: "A,B,C;D\n", want: ','},
		{name: "tie is comma", input: "A;B,C\n", want: ','},
		{name: "quoted commas ignored", input: "\"A,B,C\";D;E\n", want: ';'},
		{name: "quoted semicolons ignored", input: "\"A;B;C\",D\n", want: ','},
		{name: "doubled quotes", input: "\"A\"\";\"\";B\",C\n", want: ','},
		{name: "quoted newline", input: "\"A\nB,C,D\";E;F\n", want: ';'},
		{name: "unclosed quote", input: "\"A;B;C\n", want: ','},
		{name: "long line", input: strings.Repeat("X;", 3000) + "\n", want: ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(iotest.OneByteReader(strings.NewReader(tt.input)))
			got, err := detectDelimiter(br, "f.csv")
			if err != nil || got != tt.want {
				t.Errorf("detectDelimiter(%q) = %q, %v; want %q", tt.input, got, err, tt.want)
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != tt.input {
				t.Errorf("detectDelimiter consumed input: %q left of %q", rest, tt.input)
			}
		})
	}
	t.Run("read error before the line ends", func(t *testing.T) {
		boom := errors.New("disk on fire")
		br := bufio.NewReader(io.MultiReader(strings.NewReader("NAME;EM"), iotest.ErrReader(boom)))
		if _, err := detectDelimiter(br, "f.csv"); !errors.Is(err, boom) || !strings.Contains(err.Error(), "f.csv") {
			t.Errorf("detectDelimiter = %v, want the read error naming f.csv", err)
		}
	})
}

// TestSemicolonFile reads a ';' file end to end: cells, quoting and messages use ';'.
func TestSemicolonFile(t *testing.T) {
	input := "\ufeffName;Email;Roles;Title\r\n" +
		"Zoë Müller;zoe@example.com;Agent:Support,Employee;\"Lead; Billing\"\r\n" +
		"a;a@example.com;x\r\n" +
		"\"b\"c;b@example.com;;\r\n" +
		"Seán;sean@example.com;Supervisor:*;Team, Lead\r\n"
	r, err := newCSVReader(strings.NewReader(input), "eu.csv")
	if err != nil {
		t.Fatal(err)
	}
	if r.delim != ';' {
		t.Errorf("Delimiter() = %q, want ';'", r.delim)
	}
	rows, errs := readAll(t, input)
	want := []Row{
		{Line: 2, Name: "Zoë Müller", Email: "zoe@example.com", Roles: "Agent:Support,Employee", Title: "Lead; Billing"},
		{Line: 5, Name: "Seán", Email: "sean@example.com", Roles: "Supervisor:*", Title: "Team, Lead"},
	}
	if !slices.Equal(rows, want) {
		t.Errorf("rows = %+v, want %+v", rows, want)
	}
	if msg := errorDetail(errs[3]); !strings.Contains(msg, "the record has 3 cells but the header has 4; quote a cell that contains a semicolon (;)") {
		t.Errorf("line 3: %q", msg)
	}
	if msg := errorDetail(errs[4]); !strings.Contains(msg, "only a semicolon (;) or the end of the line may follow") {
		t.Errorf("line 4: %q", msg)
	}
	spec, cerrs := r.Check(rows[0])
	if len(cerrs) > 0 || !slices.Equal(spec.Roles, []RoleSpec{{"Agent", "Support"}, {"Employee", ""}}) {
		t.Errorf("Check = %+v, %v", spec.Roles, cerrs)
	}
}

func TestAliases(t *testing.T) {
	tests := []struct {
		name   string
		header string
		record string
		want   Row
	}{
		{name: "guide", header: "NAME,EMAIL,PASSWORD,GROUP,ROLE,SITENAME,PHONEBASE", record: "n,e,p,IRA,Agent,s,b",
			want: Row{Name: "n", Email: "e", Password: "p", Groups: "IRA", Roles: "Agent", SiteName: "s", PhoneBase: "b"}},
		{name: "admin UI", header: "name,email,phone_work,extension,title,department,email_manager,location_work,roles_divisions,queues,division,skills,hire_date",
			record: "n,e,pw,x,t,d,m,l,Agent:Sales,q,dv,s,h",
			want: Row{Name: "n", Email: "e", PhoneWork: "pw", Extension: "x", Title: "t", Department: "d", EmailManager: "m",
				LocationWork: "l", Roles: "Agent:Sales", Queues: "q", Division: "dv", Skills: "s", HireDate: "h"}},
		{name: "full", header: strings.TrimSpace(fullHeader), record: "n,e,p,pw,x,pm,t,d,m,l,dv,r,g,q,s,lg,h,id,ty,st,sn,pb",
			want: Row{Name: "n", Email: "e", Password: "p", PhoneWork: "pw", Extension: "x", PhoneMobile: "pm", Title: "t", Department: "d",
				EmailManager: "m", LocationWork: "l", Division: "dv", Roles: "r", Groups: "g", Queues: "q", Skills: "s", Languages: "lg",
				HireDate: "h", EmployeeID: "id", EmployeeType: "ty", State: "st", SiteName: "sn", PhoneBase: "pb"}},
		{name: "loose spelling", header: "Name,E-Mail,Phone Work,Email-Manager,HIRE DATE,Roles Divisions,Site_Name,phone-base,Employee ID",
			record: "n,e,pw,m,h,r,sn,pb,id",
			want:   Row{Name: "n", Email: "e", PhoneWork: "pw", EmailManager: "m", HireDate: "h", Roles: "r", SiteName: "sn", PhoneBase: "pb", EmployeeID: "id"}},
		{name: "role and group singular, lower case", header: "email,role,group,name", record: "e,r,g,n",
			want: Row{Name: "n", Email: "e", Roles: "r", Groups: "g"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := readAll(t, tt.header+"\n"+tt.record+"\n")
			if len(errs) > 0 || len(rows) != 1 {
				t.Fatalf("rows %v, errors %v", rows, errs)
			}
			tt.want.Line = 2
			if rows[0] != tt.want {
				t.Errorf("row = %+v\nwant %+v", rows[0], tt.want)
			}
		})
	}
}

func TestColumnAndHas(t *testing.T) {
	r, err := newCSVReader(strings.NewReader("NAME,EMAIL,Roles Divisions,Group\n"), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		col    int
		header string
	}{
		{"roles", 3, "Roles Divisions"},
		{"role", 3, "Roles Divisions"},
		{"roles_divisions", 3, "Roles Divisions"},
		{"groups", 4, "Group"},
		{"group", 4, "Group"},
		{"email", 2, "EMAIL"},
		{"queues", 0, ""},
		{"phone_work", 0, ""},
		{"no such column", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col, header := r.Column(tt.name)
			if col != tt.col || header != tt.header {
				t.Errorf("Column(%q) = %d, %q; want %d, %q", tt.name, col, header, tt.col, tt.header)
			}
			if hasColumn(r, tt.name) != (tt.col > 0) {
				t.Errorf("Has(%q) = %v", tt.name, hasColumn(r, tt.name))
			}
		})
	}
}

// checkFile reads and checks every row of a testdata file, returning the specs of the good
// rows and the report's error text of the others, by line.
func checkFile(t *testing.T, name string) (r *CSVReader, specs map[int]Spec, bad map[int]string) {
	t.Helper()
	r, err := OpenCSV(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	specs, bad = make(map[int]Spec), make(map[int]string)
	seen := newExactSeen()
	for {
		row, err := r.Next()
		if err == io.EOF {
			return r, specs, bad
		}
		if err != nil {
			if !isRecordError(err) {
				t.Fatal(err)
			}
			bad[row.Line] = errorDetail(err)
			continue
		}
		spec, errs := r.Check(row)
		if first, dup := seen.Add(row.Email, row.Line); dup {
			errs = append(errs, r.DuplicateError(row, first))
		}
		if len(errs) > 0 {
			bad[row.Line] = errs.Detail()
			continue
		}
		specs[row.Line] = spec
	}
}

func TestGoodFiles(t *testing.T) {
	tests := []struct {
		file  string
		delim rune
		rows  int
		has   []string
		lacks []string
		line  int  // a row to compare
		spec  Spec // its Spec
	}{
		{file: "admin_ui.csv", delim: ',', rows: 6,
			has:   []string{"roles_divisions", "roles", "email_manager", "hire_date", "skills"},
			lacks: []string{"password", "groups", "languages", "state", "sitename"},
			line:  3,
			spec: Spec{Name: "James Chen", Email: "james.chen@example.com", Title: "Sales Agent", Department: "Sales",
				PhoneWork: "3175550102", Extension: "1102", Manager: "maria.garcia@example.com", Location: "Indianapolis HQ",
				Division: "Sales", Roles: []RoleSpec{{"Agent", "Sales"}, {"Communicate - User", ""}},
				Queues: []string{"Billing", "Sales Inbound"}, Skills: []Proficiency{{"Billing", 4}, {"Spanish Support", 2.5}},
				HireDate: "2023-06-12"}},
		{file: "full.csv", delim: ',', rows: 10, has: []string{"password", "groups", "languages", "state", "sitename", "phonebase", "phone_mobile"},
			line: 9,
			spec: Spec{Name: "Noah Fischer", Email: "noah.fischer@example.com", Password: "Welcome2024!", Title: "Sales Agent",
				Department: "Sales", Manager: "james.chen@example.com", Location: "Indianapolis HQ", Division: "Sales",
				Roles: []RoleSpec{{"Agent", "Sales"}, {"Employee", ""}}, Groups: []string{"Annuities"},
				Queues: []string{"Sales Inbound", "Retention"}, Skills: []Proficiency{{"Retention Offers", 2}},
				Languages: []Proficiency{{"German", 5}, {"English", 3}}, HireDate: "2024-05-06",
				EmployeeID: "E1008", EmployeeType: "Seasonal", State: "inactive"}},
		{file: "spreadsheet_semicolon.csv", delim: ';', rows: 4, has: []string{"roles", "skills"}, lacks: []string{"hire_date"},
			line: 4,
			spec: Spec{Name: `François "Frank" Dupont`, Email: "francois.dupont@example.com", Title: "Sales Agent", Department: "Sales",
				PhoneWork: "+33155550113", Manager: "zoe.mueller@example.com", Location: "Remote", Division: "Sales",
				Roles:  []RoleSpec{{"Agent", "Sales"}, {"Communicate - User", ""}},
				Queues: []string{"Sales Inbound", "Retention"}, Skills: []Proficiency{{"Retention Offers", 4}, {"Spanish Support", 2.5}}}},
		{file: "userdata.csv", delim: ',', rows: 4, has: []string{"group", "role", "password", "sitename"}, lacks: []string{"queues"},
			line: 2,
			spec: Spec{Name: "wa_Selina Kyle", Email: "sk367@wayne.enterprises.com", Password: "changeMe1234!",
				Roles: []RoleSpec{{Role: "Communicate - User"}}, Groups: []string{"Annuities"}, Site: "My PCV Site", PhoneBase: "WebRTC_Base"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, specs, bad := checkFile(t, tt.file)
			if len(bad) > 0 {
				t.Errorf("bad rows: %v", bad)
			}
			if len(specs) != tt.rows {
				t.Errorf("%d good rows, want %d", len(specs), tt.rows)
			}
			if r.delim != tt.delim {
				t.Errorf("Delimiter() = %q, want %q", r.delim, tt.delim)
			}
			for _, c := range tt.has {
				if !hasColumn(r, c) {
					t.Errorf("Has(%q) = false", c)
				}
			}
			for _, c := range tt.lacks {
				if hasColumn(r, c) {
					t.Errorf("Has(%q) = true", c)
				}
			}
			if got := specs[tt.line]; !reflect.DeepEqual(got, tt.spec) {
				t.Errorf("line %d: Spec =\n%+v\nwant\n%+v", tt.line, got, tt.spec)
			}
		})
	}
	t.Run("admin UI header order", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "admin_ui.csv"))
		if err != nil {
			t.Fatal(err)
		}
		const documented = "name,email,phone_work,extension,title,department,email_manager,location_work,roles_divisions,queues,division,skills"
		if first, _, _ := strings.Cut(string(b), "\n"); first != documented+",hire_date" {
			t.Errorf("header %q, want the documented one plus hire_date", first)
		}
	})
}

func TestBadCellsFile(t *testing.T) {
	_, specs, bad := checkFile(t, "bad_cells.csv")
	if len(specs) != 1 || specs[2].Email != "good.row@example.com" {
		t.Errorf("good rows %v, want line 2 only", slices.Collect(maps.Keys(specs)))
	}
	want := map[int][]string{
		3:  {"column 15 (skills): skill 'Billing:7': proficiency 7 is above 5"},
		4:  {"column 15 (skills): skill 'Billing:high': proficiency 'high' is not a number from 0 to 5", "column 16 (languages): language 'English:-1': proficiency '-1' is below 0"},
		5:  {"column 17 (hire_date): '2024-13-01' is not a real date: there is no month 13"},
		6:  {"column 20 (state): 'retired' is not a state; write active or inactive"},
		7:  {"column 4 (phone_work): 'call me' is a phone in an impossible format; write it like +1 317 555 0100", "column 5 (extension): '12a' is not an extension", "column 6 (phone_mobile): '+1 317 555 0125 x42' includes an extension; put '+13175550125' in this column and '42' in the extension column"},
		8:  {"column 9 (email_manager): 'maria.garcia at example.com' is not a valid email address"},
		9:  {"column 9 (email_manager): 'Own.Manager@example.com' is the user's own email; a user cannot be their own manager"},
		10: {"column 4 (phone_work): '+1 317 555 0129;ext=129' includes an extension", "column 11 (division): '*' is not a division", "column 12 (roles): role 'Agent:' has no division", "column 12 (roles): role ':Sales' has no role name", "column 15 (skills): skill 'Billing:' has no proficiency", "column 15 (skills): skill 'Billing:6': proficiency 6 is above 5", "column 16 (languages): language 'French:3.5:high': proficiency 'high' is not a number", "column 17 (hire_date): '2024-02-30' is not a real date: February 2024 has 29 days", "column 20 (state): 'Retired' is not a state", "column 22 (phonebase): empty while SITENAME is 'My PCV Site'"},
	}
	for line, w := range want {
		got := strings.Split(bad[line], "; column ")
		if len(got) != len(w) {
			t.Errorf("line %d: %d errors %q, want %d", line, len(got), bad[line], len(w))
			continue
		}
		for i := range w {
			if i > 0 {
				got[i] = "column " + got[i]
			}
			if !strings.HasPrefix(got[i], w[i]) {
				t.Errorf("line %d error %d = %q, want prefix %q", line, i, got[i], w[i])
			}
		}
	}
	if len(bad) != len(want) {
		t.Errorf("bad lines %v, want %d", slices.Sorted(maps.Keys(bad)), len(want))
	}
}
