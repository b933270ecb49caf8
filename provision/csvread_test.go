package provision

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

const guideHeader = "NAME,EMAIL,PASSWORD,GROUP,ROLE,SITENAME,PHONEBASE\n"

// readAll reads every row of input, collecting rows and row errors by line.
func readAll(t *testing.T, input string) (rows []Row, errs map[int]error) {
	t.Helper()
	r, err := NewCSVReader(strings.NewReader(input), "test.csv")
	if err != nil {
		t.Fatalf("NewCSVReader: %v", err)
	}
	errs = make(map[int]error)
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, errs
		}
		if err != nil {
			if !isRowError(err) {
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

func isRowError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
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
			columns: map[string]int{"name": 1, "email": 2, "password": 3, "group": 4, "role": 5, "sitename": 6, "phonebase": 7}},
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
		{name: "unknown without suggestion", input: "NAME,EMAIL,MANAGER\n", errCol: 3, errIn: "unknown column; the columns are NAME,EMAIL,PASSWORD"},
		{name: "duplicate", input: "NAME,EMAIL,e_mail\n", errCol: 3, errIn: "e_mail: column EMAIL appears twice (columns 2 and 3)"},
		{name: "empty cell", input: "NAME,,EMAIL\n", errCol: 2, errIn: "test.csv:1:2: empty header cell"},
		{name: "empty file", input: "", errIn: "test.csv:1: the file is empty"},
		{name: "semicolons", input: "NAME;EMAIL\n", errCol: 1, errIn: "';' between cells"},
		{name: "UTF-16", input: "\xff\xfeN\x00A\x00", errIn: "UTF-16"},
		{name: "invalid UTF-8", input: "NAME,EM\xffAIL\n", errCol: 2, errIn: "not valid UTF-8"},
		{name: "bare quote", input: "NAME,EM\"AIL\n", errCol: 2, errIn: "test.csv:1:2: a \" inside a cell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSVReader(strings.NewReader(tt.input), "test.csv")
			if tt.errIn == "" {
				if err != nil {
					t.Fatalf("NewCSVReader: %v", err)
				}
				for canonical, want := range tt.columns {
					if got, _ := r.Column(canonical); got != want {
						t.Errorf("Column(%q) = %d, want %d", canonical, got, want)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("NewCSVReader: no error, want one containing %q", tt.errIn)
			}
			if !strings.Contains(err.Error(), tt.errIn) {
				t.Errorf("error %q does not contain %q", err, tt.errIn)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *InputError", err)
			}
			if ie.File != "test.csv" || ie.Line != 1 || ie.Column != tt.errCol {
				t.Errorf("error at %s:%d:%d, want test.csv:1:%d", ie.File, ie.Line, ie.Column, tt.errCol)
			}
		})
	}
}

func TestHeaderSeveralErrors(t *testing.T) {
	_, err := NewCSVReader(strings.NewReader("NAME,ROLLE,ROLE,role\n"), "f.csv")
	var re RowErrors
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a RowErrors", err, err)
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
	r, err := NewCSVReader(strings.NewReader(" Name , e-mail \n"), "f.csv")
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
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *InputError", err)
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
	var re RowErrors
	if !errors.As(errs[2], &re) || len(re) != 2 || re[0].Column != 1 || re[1].Column != 3 {
		t.Errorf("error = %#v, want RowErrors for columns 1 and 3", errs[2])
	}
}

func TestNextRecordTooLong(t *testing.T) {
	input := "NAME,EMAIL\na,a@x.com\n\"never closed," + strings.Repeat("x,y@x.com\n", maxRecordBytes/5)
	r, err := NewCSVReader(strings.NewReader(input), "big.csv")
	if err != nil {
		t.Fatal(err)
	}
	if row, err := r.Next(); err != nil || row.Line != 2 {
		t.Fatalf("first Next = %v, %v", row, err)
	}
	_, err = r.Next()
	if err == nil || isRowError(err) || err == io.EOF {
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
	r, err := NewCSVReader(src, "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	_, err = r.Next()
	if !errors.Is(err, boom) || isRowError(err) || !strings.Contains(err.Error(), "f.csv") {
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
			if errs := r.Check(row); len(errs) > 0 {
				t.Errorf("Check(line %d): %v", row.Line, errs)
			}
			got = append(got, row)
		}
		if len(got) != 4 {
			t.Fatalf("read %d rows, want 4", len(got))
		}
		want := Row{Line: 2, Name: "wa_Selina Kyle", Email: "sk367@wayne.enterprises.com", Password: "changeMe1234!",
			Group: "Annuities", Role: "Communicate - User", SiteName: "My PCV Site", PhoneBase: "WebRTC_Base"}
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
		if err == nil || isRowError(err) || strings.Count(err.Error(), dir) != 1 {
			t.Errorf("OpenCSV(dir) = %v, want an I/O error naming %s once", err, dir)
		}
	})
	t.Run("missing email", func(t *testing.T) {
		path := filepath.Join("..", "testdata", "bad_missing_email.csv")
		_, err := OpenCSV(path)
		var ie *InputError
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
	seen := NewSeen()
	got := make(map[int]string)
	var okLines []int
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			if errs := r.Check(row); len(errs) > 0 {
				err = errs.Err()
			} else if first, dup := seen.Add(row.Email, row.Line); dup {
				err = r.DuplicateError(row, first)
			}
		}
		if err != nil {
			if !isRowError(err) {
				t.Fatal(err)
			}
			got[row.Line] = ErrorDetail(err)
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
	for _, name := range []string{"userdata.csv", "bad_rows.csv", "bad_missing_email.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\ufeffname,email\n\"a\nb\",a@x.com\r\nc\"d,e\n\xff,x\n,\n"))
	f.Add([]byte("NAME,EMAIL,SITENAME,PHONEBASE\na,<a@x.com>,s,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewCSVReader(strings.NewReader(string(data)), "fuzz.csv")
		if err != nil {
			checkLines(t, err, 1)
			return
		}
		seen := NewSeen()
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("Next did not reach the end after %d calls", i)
			}
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil && !isRowError(err) {
				return // fatal (only a record over 1 MiB here)
			}
			if row.Line < 2 {
				t.Fatalf("row line %d < 2 (err %v)", row.Line, err)
			}
			if err != nil {
				checkLines(t, err, 2)
				continue
			}
			errs := r.Check(row)
			for _, e := range errs {
				if e.Line != row.Line {
					t.Fatalf("Check error line %d for row line %d", e.Line, row.Line)
				}
			}
			if first, dup := seen.Add(row.Email, row.Line); dup && (first >= row.Line || first < 2) {
				t.Fatalf("duplicate of line %d reported on line %d", first, row.Line)
			}
		}
	})
}

func checkLines(t *testing.T, err error, min int) {
	t.Helper()
	var re RowErrors
	if errors.As(err, &re) {
		for _, e := range re {
			if e.Line < min {
				t.Fatalf("error %v has line %d < %d", e, e.Line, min)
			}
		}
		return
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T) is not an *InputError", err, err)
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
		r, err := NewCSVReader(strings.NewReader(input), "bench.csv")
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
			_ = r.Check(row)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// TestRowFields checks that gocsv's decoding order (rowFields) covers exactly the columns
// the header matcher knows.
func TestRowFields(t *testing.T) {
	var want []string
	for _, c := range csvColumns {
		want = append(want, c.name)
	}
	got := slices.Clone(rowFields)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Row's csv tags %v, csvColumns %v", got, want)
	}
}
