package provision

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Row is one record of the input file, cells trimmed of surrounding spaces. A column the
// file does not have reads as "". Check parses the cells that have a syntax of their own.
//
// The csv tags are the canonical column names (see csvColumns); the reader maps the file's
// columns to the fields through them, aliases included, and Next stores each cell in its
// field.
type Row struct {
	Line int `csv:"-"` // physical line where the record starts (header = line 1)

	Name       string `csv:"name"`
	Email      string `csv:"email"`
	Password   string `csv:"password"`
	Title      string `csv:"title"`
	Department string `csv:"department"`

	PhoneWork   string `csv:"phone_work"`
	Extension   string `csv:"extension"`
	PhoneMobile string `csv:"phone_mobile"`

	EmailManager string `csv:"email_manager"`
	LocationWork string `csv:"location_work"`
	Division     string `csv:"division"`

	// Multi-value cells, as written; Check splits them.
	Roles     string `csv:"roles"`  // also ROLE and ROLES_DIVISIONS
	Groups    string `csv:"groups"` // also GROUP
	Queues    string `csv:"queues"`
	Skills    string `csv:"skills"`
	Languages string `csv:"languages"`

	HireDate     string `csv:"hire_date"`
	EmployeeID   string `csv:"employee_id"`
	EmployeeType string `csv:"employee_type"`
	State        string `csv:"state"`

	SiteName  string `csv:"sitename"`
	PhoneBase string `csv:"phonebase"`
}

// inputError is a problem with the input file, located precisely.
type inputError struct {
	File   string
	Line   int
	Column int    // 1-based column (cell) number; 0 when the whole record or line is concerned
	Field  string // the header cell as written in the file (e.g. "EMAIL"); "" when not tied to a column
	Msg    string // in words an admin can act on
}

// Error returns "file:line:col: FIELD: msg", leaving out col when it is 0 and FIELD when it
// is empty.
func (e *inputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.File == "" {
		b.WriteString("<input>")
	}
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	if e.Column > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Detail is the error without its file and line: "column 2 (EMAIL): msg", or msg alone. It
// is what the report's error column shows, next to its line column.
func (e *inputError) Detail() string {
	switch {
	case e.Column > 0 && e.Field != "":
		return "column " + strconv.Itoa(e.Column) + " (" + e.Field + "): " + e.Msg
	case e.Column > 0:
		return "column " + strconv.Itoa(e.Column) + ": " + e.Msg
	case e.Field != "":
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

// csvColumn is one column the reader knows.
type csvColumn struct {
	name     string   // canonical name: as documented, and the Row field's csv tag
	aliases  []string // other names a header may give it
	required bool
}

// csvColumns is every column the reader accepts: the starting guide's, the Admin UI
// import's and the full set, in the order expectedHeader shows them. A new column is one
// entry here, one tagged field in Row, and that field in rowFields, newRow and Row.cells.
var csvColumns = []csvColumn{
	{name: "name", required: true},
	{name: "email", required: true},
	{name: "password"},
	{name: "phone_work"},
	{name: "extension"},
	{name: "phone_mobile"},
	{name: "title"},
	{name: "department"},
	{name: "email_manager"},
	{name: "location_work"},
	{name: "division"},
	{name: "roles", aliases: []string{"role", "roles_divisions"}},
	{name: "groups", aliases: []string{"group"}},
	{name: "queues"},
	{name: "skills"},
	{name: "languages"},
	{name: "hire_date"},
	{name: "employee_id"},
	{name: "employee_type"},
	{name: "state"},
	{name: "sitename"},
	{name: "phonebase"},
}

// headerName is one name a header cell may have.
type headerName struct {
	spelled string // as documented: "roles_divisions"
	col     int    // index in csvColumns
}

// headerNames maps every name and alias, normalised (see normalizeHeader), to its column.
var headerNames = func() map[string]headerName {
	m := make(map[string]headerName)
	for i, c := range csvColumns {
		for _, n := range append([]string{c.name}, c.aliases...) {
			m[normalizeHeader(n)] = headerName{spelled: n, col: i}
		}
	}
	return m
}()

// maxRecordBytes bounds the bytes read for one record. Beyond it the reader gives up on the
// file: a quote that opens a cell and is never closed would otherwise make encoding/csv read
// the whole rest of the file into one record.
const maxRecordBytes = 1 << 20

// errRecordTooLong is returned by recordLimiter when a record passes its budget.
var errRecordTooLong = errors.New("record too long")

// CSVReader streams the rows of a user file: it holds one record at a time, whatever the size
// of the file. It is not safe for concurrent use, except Check and Column, which only read
// the header and the settings, and may be called from any goroutine once the reader is open
// and set up.
type CSVReader struct {
	name     string
	closer   io.Closer // the file OpenCSV opened; nil for newCSVReader
	limit    *recordLimiter
	cr       *csv.Reader
	delim    rune           // ',' or ';', detected from the header line
	listSep  string         // "" (both), "," or ";": see SetListSeparator
	header   []string       // header cells as written, trimmed
	names    []string       // canonical name of each column, in file order
	index    map[string]int // canonical name → 0-based column
	fieldOf  []int          // for each column, its index in rowFields (and rowCells)
	lastErr  error          // a fatal error: every later Next returns it
	prevLine int            // the line where the last record read ends, about: for locating fatal errors
	hashBuf  []byte         // RowHash's buffer
}

// OpenCSV opens the file at path and reads its header. A header problem is an *inputError
// (several are a rowErrors); a file that cannot be read gives an error naming path.
//
// Only a regular file is read (the file is read three times): a pipe, a device or a
// directory is refused before it is opened, since opening a pipe blocks until something
// writes to it.
func OpenCSV(path string) (*CSVReader, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err // *PathError names the path
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular("open", path, fi.Mode())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	// The path may have changed between Stat and Open.
	if ofi, err := f.Stat(); err != nil || !os.SameFile(fi, ofi) {
		_ = f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("the file changed while it was being opened")}
	}
	r, err := newCSVReader(f, path)
	if err != nil {
		_ = f.Close() // read-only: nothing to lose
		return nil, err
	}
	r.closer = f
	return r, nil
}

// newCSVReader reads the header of the CSV in r; name is the file name errors show. Header
// problems are reported as by OpenCSV. The caller keeps ownership of r.
func newCSVReader(r io.Reader, name string) (*CSVReader, error) {
	limit := &recordLimiter{r: r, left: maxRecordBytes}
	// csv.NewReader keeps a *bufio.Reader of at least its default size as it is, so the BOM
	// check and encoding/csv share one buffer.
	br := bufio.NewReader(limit)
	if err := skipBOM(br, name); err != nil {
		return nil, err
	}
	delim, err := detectDelimiter(br, name)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // a wrong cell count is the record's error, reported by Next
	cr.LazyQuotes = false
	cr.ReuseRecord = true
	c := &CSVReader{name: name, limit: limit, cr: cr, delim: delim}
	if err := c.readHeader(); err != nil {
		return nil, err
	}
	return c, nil
}

// skipBOM drops a UTF-8 byte order mark and refuses UTF-16, which spreadsheets offer as
// "Unicode text".
func skipBOM(br *bufio.Reader, name string) error {
	head, err := br.Peek(3)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return readError(name, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return &inputError{File: name, Line: 1, Msg: "the file is UTF-16 encoded; save it as CSV UTF-8"}
	}
	return nil
}

// detectDelimiter chooses the field delimiter from the header line: ';' when it has more
// ';' than ',' outside quotes, ',' otherwise (a header of one column included). Blank lines
// before the header are skipped, as encoding/csv skips them.
func detectDelimiter(br *bufio.Reader, name string) (rune, error) {
	// Read no more than the header line needs: a read error past it is for Next to report.
	for n := br.Buffered(); ; n = br.Buffered() + 1 {
		buf, err := br.Peek(min(n, br.Size()))
		commas, semis, whole := countDelimiters(buf)
		if !whole && err != nil && err != io.EOF {
			return 0, readError(name, err)
		}
		if whole || err != nil || len(buf) == br.Size() {
			if semis > commas {
				return ';', nil
			}
			return ',', nil
		}
	}
}

// countDelimiters counts the ',' and ';' outside quotes on the first non-blank line of buf;
// whole reports whether that line ends within buf.
func countDelimiters(buf []byte) (commas, semis int, whole bool) {
	i := 0
	for i < len(buf) && (buf[i] == '\n' || buf[i] == '\r') {
		i++
	}
	quoted := false
	for ; i < len(buf); i++ {
		switch buf[i] {
		case '"':
			quoted = !quoted // a doubled "" inside a quoted cell toggles twice
		case ',':
			if !quoted {
				commas++
			}
		case ';':
			if !quoted {
				semis++
			}
		case '\n':
			if !quoted {
				return commas, semis, true
			}
		}
	}
	return commas, semis, false
}

func (r *CSVReader) readHeader() error {
	r.limit.reset()
	rec, err := r.cr.Read()
	switch {
	case err == io.EOF:
		return r.headerError("the file is empty; the first line must be the header, e.g. " + expectedHeader())
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &inputError{File: r.name, Line: pe.Line, Column: len(rec) + 1, Msg: parseErrorMsg(pe, r.delim)}
		}
		if errors.Is(err, errRecordTooLong) {
			return r.headerError("the header line is longer than 1 MiB; is this a CSV file?")
		}
		return readError(r.name, err)
	}
	line, _ := r.cr.FieldPos(0)
	r.prevLine = line

	var errs rowErrors
	add := func(col int, field, msg string) {
		errs = append(errs, &inputError{File: r.name, Line: line, Column: col, Field: field, Msg: msg})
	}
	r.header = make([]string, len(rec))
	r.names = make([]string, len(rec))
	r.index = make(map[string]int, len(rec))
	spelled := make(map[string]string, len(rec)) // canonical → the name its column matched
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			add(i+1, "", "the header is not valid UTF-8; save the file as CSV UTF-8")
			continue
		}
		if strings.ContainsRune(cell, 0) {
			add(i+1, "", "the header contains NUL characters: the file is probably UTF-16 or not text; save it as CSV UTF-8")
			continue
		}
		cell = strings.TrimSpace(cell)
		r.header[i] = cell
		norm := normalizeHeader(cell)
		if norm == "" {
			add(i+1, "", "empty header cell; every column needs a name, e.g. "+expectedHeader())
			continue
		}
		hn, ok := headerNames[norm]
		if !ok {
			msg := unknownColumnMsg(cell, norm)
			if strings.ContainsAny(cell, ",;") {
				msg = fmt.Sprintf("unknown column; the header line mixes ',' and ';' between cells, and this file is read with %s as the delimiter: use one delimiter throughout", quoteValue(string(r.delim)))
			}
			add(i+1, cell, msg)
			continue
		}
		col := csvColumns[hn.col]
		if first, dup := r.index[col.name]; dup {
			if prev := spelled[col.name]; prev == hn.spelled {
				add(i+1, cell, fmt.Sprintf("column %s appears twice (columns %d and %d); keep one", strings.ToUpper(prev), first+1, i+1))
			} else {
				add(i+1, cell, fmt.Sprintf("%s and %s are two names for the same column, %s (columns %d and %d); keep one",
					strings.ToUpper(prev), strings.ToUpper(hn.spelled), strings.ToUpper(col.name), first+1, i+1))
			}
			continue
		}
		r.index[col.name] = i
		r.names[i] = col.name
		spelled[col.name] = hn.spelled
	}
	for _, col := range csvColumns {
		if _, ok := r.index[col.name]; col.required && !ok {
			add(0, "", fmt.Sprintf("required column %s is missing; the header must name at least NAME and EMAIL, e.g. %s", strings.ToUpper(col.name), expectedHeader()))
		}
	}
	if len(errs) > 0 {
		return errs.Err()
	}
	r.fieldOf = make([]int, len(rec))
	for i, name := range r.names {
		r.fieldOf[i] = slices.Index(rowFields[:], name)
	}
	return nil
}

// headerError is a problem with the header as a whole, when there is no record to locate.
func (r *CSVReader) headerError(msg string) *inputError {
	return &inputError{File: r.name, Line: 1, Msg: msg}
}

// Next returns the next row. At the end of the file it returns io.EOF.
//
// A bad record (broken quoting, wrong number of cells, invalid UTF-8) returns Row{Line: n}
// and an *inputError or a rowErrors: that record is lost, and the next call goes on with the
// record after it. Any other error is fatal (the file cannot be read, or a record runs past
// 1 MiB, which is what a never-closed quote does): every later call returns it again.
//
// Records whose cells are all empty (",,,,", which spreadsheets export for formatted but
// empty rows) are skipped like blank lines.
func (r *CSVReader) Next() (Row, error) {
	for r.lastErr == nil {
		r.limit.reset()
		rec, err := r.cr.Read()
		if err != nil {
			return r.recordError(rec, err)
		}
		line, _ := r.cr.FieldPos(0)
		r.prevLine, _ = r.cr.FieldPos(len(rec) - 1)

		if len(rec) != len(r.header) {
			if allBlank(rec) {
				continue
			}
			return Row{Line: line}, &inputError{File: r.name, Line: line, Msg: fmt.Sprintf(
				"the record has %d cells but the header has %d; quote a cell that contains %s", len(rec), len(r.header), delimName(r.delim))}
		}
		var errs rowErrors
		for i, cell := range rec {
			if !utf8.ValidString(cell) {
				errs = append(errs, &inputError{File: r.name, Line: line, Column: i + 1, Field: r.header[i],
					Msg: "not valid UTF-8; save the file as CSV UTF-8"})
				continue
			}
			rec[i] = strings.TrimSpace(cell)
		}
		if len(errs) > 0 {
			return Row{Line: line}, errs.Err()
		}
		if allBlank(rec) {
			continue
		}
		var cells rowCells
		for i, cell := range rec {
			cells[r.fieldOf[i]] = cell
		}
		return newRow(line, &cells), nil
	}
	return Row{}, r.lastErr
}

// recordError turns an error from csv.Reader.Read into Next's results.
func (r *CSVReader) recordError(rec []string, err error) (Row, error) {
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		r.lastErr = io.EOF
	case errors.As(err, &pe):
		// encoding/csv has consumed the whole physical line holding the error, and the next
		// Read starts on the line after it. rec holds the cells before the broken one.
		r.prevLine = pe.Line
		ie := &inputError{File: r.name, Line: pe.StartLine, Column: len(rec) + 1, Msg: parseErrorMsg(pe, r.delim)}
		if len(rec) < len(r.header) {
			ie.Field = r.header[len(rec)]
		}
		return Row{Line: pe.StartLine}, ie
	case errors.Is(err, errRecordTooLong):
		line := r.prevLine + 1
		if len(rec) > 0 {
			line, _ = r.cr.FieldPos(0)
		}
		// Not an *inputError: callers go on after those, and nothing more can be read.
		r.lastErr = fmt.Errorf("%s:%d: a record from about this line on is longer than 1 MiB "+
			"(a quote that opens a cell is probably never closed); the rest of the file was not read", r.name, line)
	default:
		r.lastErr = readError(r.name, err)
	}
	return Row{}, r.lastErr
}

// Column locates a column for error messages: its 1-based number and its header cell as
// written. canonical is a column's canonical name (see csvColumns); an alias, or any spelling
// the header matcher takes, finds the same column. It returns 0, "" when the file has no
// such column.
func (r *CSVReader) Column(canonical string) (index int, header string) {
	hn, ok := headerNames[normalizeHeader(canonical)]
	if !ok {
		return 0, ""
	}
	i, ok := r.index[csvColumns[hn.col].name]
	if !ok {
		return 0, ""
	}
	return i + 1, r.header[i]
}

// SetListSeparator chooses what separates the items of a multi-value cell (roles, groups,
// queues, skills, languages): "" for both ',' and ';' (the default), "," or ";" for that one
// only, so that names may contain the other. Call it before Check; any other value is an
// error.
func (r *CSVReader) SetListSeparator(sep string) error {
	switch sep {
	case "", ",", ";":
		r.listSep = sep
		return nil
	}
	return fmt.Errorf(`list separator %q: want "," or ";" (or nothing for both)`, sep)
}

// Close closes the file OpenCSV opened; for a reader from newCSVReader it does nothing.
func (r *CSVReader) Close() error {
	if r.closer == nil {
		return nil
	}
	c := r.closer
	r.closer = nil
	return c.Close()
}

// rowFields is the canonical name of each cell field of Row, its csv tag, in declaration
// order (RowHash depends on that order). Next stores a record's cells into a rowCells, in
// the order of rowFields, and makes a Row of it with newRow; Check and RowHash read the
// cells back with Row.cells. TestRowFields checks that the names are exactly Row's csv tags
// and csvColumns' names, and that newRow and cells put each cell in its field.
var rowFields = [...]string{
	"name", "email", "password", "title", "department",
	"phone_work", "extension", "phone_mobile",
	"email_manager", "location_work", "division",
	"roles", "groups", "queues", "skills", "languages",
	"hire_date", "employee_id", "employee_type", "state",
	"sitename", "phonebase",
}

// rowCells is the cells of a row, one for each of rowFields, in its order.
type rowCells [len(rowFields)]string

// newRow makes the Row of line whose cells are c.
func newRow(line int, c *rowCells) Row {
	return Row{
		Line: line,
		Name: c[0], Email: c[1], Password: c[2], Title: c[3], Department: c[4],
		PhoneWork: c[5], Extension: c[6], PhoneMobile: c[7],
		EmailManager: c[8], LocationWork: c[9], Division: c[10],
		Roles: c[11], Groups: c[12], Queues: c[13], Skills: c[14], Languages: c[15],
		HireDate: c[16], EmployeeID: c[17], EmployeeType: c[18], State: c[19],
		SiteName: c[20], PhoneBase: c[21],
	}
}

// cells returns the cells of row, in the order of rowFields.
func (row *Row) cells() rowCells {
	return rowCells{
		row.Name, row.Email, row.Password, row.Title, row.Department,
		row.PhoneWork, row.Extension, row.PhoneMobile,
		row.EmailManager, row.LocationWork, row.Division,
		row.Roles, row.Groups, row.Queues, row.Skills, row.Languages,
		row.HireDate, row.EmployeeID, row.EmployeeType, row.State,
		row.SiteName, row.PhoneBase,
	}
}

// recordLimiter fails reads once one record has used its budget of bytes. The budget counts
// bytes read from the file since reset, so read-ahead into the next record (at most one
// bufio buffer) counts too.
type recordLimiter struct {
	r    io.Reader
	left int
}

func (l *recordLimiter) reset() { l.left = maxRecordBytes }

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errRecordTooLong
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= n
	return n, err
}

// readError names the file in an I/O error, unless the error already does.
func readError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// normalizeHeader folds a header cell for matching: lower case, without spaces, '_' and '-'.
func normalizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// unknownColumnMsg explains a header cell that names no column, suggesting the nearest
// names: within two edits of it, or else containing it ("manager" for EMAIL_MANAGER).
func unknownColumnMsg(cell, norm string) string {
	upper := cell == strings.ToUpper(cell)
	show := func(s string) string {
		if upper {
			return strings.ToUpper(s)
		}
		return s
	}
	best, bestDist := "", 3
	var within []string
	for _, c := range csvColumns {
		for _, n := range append([]string{c.name}, c.aliases...) {
			nn := normalizeHeader(n)
			if d := editDistance(norm, nn); d < bestDist {
				best, bestDist = n, d
			}
			if len(norm) >= 4 && strings.Contains(nn, norm) {
				within = append(within, show(n))
			}
		}
	}
	switch {
	case best != "":
		return fmt.Sprintf("unknown column; did you mean %s?", show(best))
	case len(within) > 0 && len(within) <= 3:
		return fmt.Sprintf("unknown column; did you mean %s?", orList(within))
	}
	return "unknown column; the columns are " + expectedHeader() + " (GROUP is another name for GROUPS, ROLE and ROLES_DIVISIONS for ROLES)"
}

// orList joins "a", "b", "c" as "a, b or c".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// expectedHeader is every canonical column name, upper-cased, comma-separated.
func expectedHeader() string {
	names := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		names[i] = strings.ToUpper(c.name)
	}
	return strings.Join(names, ",")
}

// delimName words a field delimiter for messages.
func delimName(d rune) string {
	if d == ';' {
		return "a semicolon (;)"
	}
	return "a comma"
}

// editDistance is the Levenshtein distance between a and b, counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// parseErrorMsg explains an encoding/csv error to someone editing the file in a spreadsheet
// or a text editor.
func parseErrorMsg(pe *csv.ParseError, delim rune) string {
	where := fmt.Sprintf("at line %d, character %d", pe.Line, pe.Column)
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Sprintf(`a " inside a cell that does not start with a quote (%s); put the whole cell in double quotes and double each quote inside it, e.g. "Bruce ""Bat"" Wayne"`, where)
	case errors.Is(pe.Err, csv.ErrQuote):
		if pe.Line != pe.StartLine {
			return fmt.Sprintf(`a quoted cell is not closed properly (%s); a quoted cell that spans lines probably lacks its closing "`, where)
		}
		return fmt.Sprintf(`a quoted cell is not closed properly (%s); after the closing " only %s or the end of the line may follow, and a " inside the cell must be doubled ("")`, where, delimName(delim))
	default:
		return fmt.Sprintf("%v (%s)", pe.Err, where)
	}
}

func allBlank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
