package provision

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gocarina/gocsv"
)

// Action is what a row does, or would do, to its user.
type Action string

// Actions.
const (
	ActionCreate     Action = "create"
	ActionUpdate     Action = "update"
	ActionRestore    Action = "restore" // the user was deleted: restored, then updated
	ActionDeactivate Action = "deactivate"
	ActionNone       Action = "none" // nothing to change, or nothing done (invalid, skipped)
)

// Status is how a row ended.
type Status string

// Statuses.
const (
	StatusOK      Status = "ok"
	StatusFailed  Status = "failed"  // the API refused or the call could not complete
	StatusInvalid Status = "invalid" // the row did not pass validation; nothing was sent
	StatusSkipped Status = "skipped" // valid, but not run because other rows were invalid
	StatusPlanned Status = "planned" // dry run: Action is what would be done
)

// Result is the outcome of one input row: one line of the report.
type Result struct {
	Line          int
	Email         string
	Action        Action
	Status        Status
	UserID        string
	Err           string // column and cause in words an admin can act on; "" when ok
	CorrelationID string // the Genesys contextId of the failed call
	Changes       string // what the row changed, or would change in a dry run
	RowHash       string // the row's content, for --resume: see CSVReader.RowHash

	// secret is the row's password: never written, replaced by "[redacted]" wherever the
	// server echoed it (see reportWriter.Scrub).
	secret string
}

// reportRow is one line of the report, its cells as they are in the file: formulas defused,
// server text cut and scrubbed (see newReportRow). It is the one description of the report:
// its csv tags, in order, are the header; writing the report, reading it back for --resume,
// the final rewrite with the managers pass's changes, and the deactivation rows all go
// through it. gocsv makes the header from the tags and decodes the rows; appendRecord writes
// a row in the same order. Scripts read the column names: append a field, never rename one.
type reportRow struct {
	Line          string `csv:"line"` // "" for a row of no line of the file: a deactivation
	Email         string `csv:"email"`
	Action        string `csv:"action"`
	Status        string `csv:"status"`
	UserID        string `csv:"user_id"`
	Error         string `csv:"error"`
	CorrelationID string `csv:"correlation_id"`
	Changes       string `csv:"changes"`
	RowHash       string `csv:"row_hash"`
}

// reportHeader is the report's first line: reportRow's tags.
var reportHeader = csvHeader[reportRow]()

// reportFields are reportRow's fields in reportHeader's order.
var reportFields = fieldsOf[reportRow](reportHeader)

// fieldsOf returns the indexes of T's string fields whose csv tags are header, in its order.
func fieldsOf[T any](header []string) []int {
	t := reflect.TypeFor[T]()
	byTag := map[string]int{}
	for j := range t.NumField() {
		if f := t.Field(j); f.Type.Kind() == reflect.String {
			byTag[f.Tag.Get("csv")] = j
		}
	}
	fields := make([]int, len(header))
	for i, name := range header {
		j, ok := byTag[name]
		if !ok {
			panic(fmt.Sprintf("%s has no string field tagged %q", t, name))
		}
		fields[i] = j
	}
	return fields
}

// appendRecord appends the row's cells to rec, in reportHeader's order. It is what gocsv
// writes for the row, without gocsv's reflection for each row, which costs a tenth of a
// --validate run of a million rows.
func (l *reportRow) appendRecord(rec []string) []string {
	v := reflect.ValueOf(l).Elem()
	for _, i := range reportFields {
		rec = append(rec, v.Field(i).String())
	}
	return rec
}

// csvHeader is the header gocsv writes for T.
func csvHeader[T any]() []string {
	var h headerOnly
	if err := gocsv.MarshalCSV([]T{}, &h); err != nil {
		panic(fmt.Sprintf("report header: %v", err))
	}
	return h.header
}

// headerOnly is a gocsv.CSVWriter that keeps the first record written: the header.
type headerOnly struct{ header []string }

func (h *headerOnly) Write(rec []string) error {
	if h.header == nil {
		h.header = slices.Clone(rec)
	}
	return nil
}
func (h *headerOnly) Flush()       {}
func (h *headerOnly) Error() error { return nil }

// reportColumn is the position of the named column in reportHeader, for the few places that
// look at one cell of a record before decoding it.
func reportColumn(name string) int {
	i := slices.Index(reportHeader, name)
	if i < 0 {
		panic("report has no column " + name)
	}
	return i
}

// newReportRow is the report line of r: every cell defused, and the cells that may hold
// server text also cut to maxCellChars with secrets replaced.
func newReportRow(r Result, secrets []string) reportRow {
	row := reportRow{
		Email:         defuseFormula(r.Email),
		Action:        defuseFormula(string(r.Action)),
		Status:        defuseFormula(string(r.Status)),
		UserID:        serverCell(r.UserID, secrets),
		Error:         serverCell(r.Err, secrets),
		CorrelationID: serverCell(r.CorrelationID, secrets),
		Changes:       serverCell(r.Changes, secrets),
		RowHash:       defuseFormula(r.RowHash),
	}
	if r.Line > 0 {
		row.Line = strconv.Itoa(r.Line) // a deactivated user is in no line of the file
	}
	return row
}

// line is the line of the file the row is about; ok is false for a row of none (a
// deactivation) or an edited cell.
func (l reportRow) line() (n int, ok bool) {
	n, err := strconv.Atoi(l.Line)
	return n, err == nil && n >= 2
}

// result is the row read back, its cells as they were before defuseFormula; Line is 0 for
// a row of no line of the file.
func (l reportRow) result() Result {
	line, _ := l.line()
	return Result{Line: line, Email: undefuse(l.Email), Action: Action(undefuse(l.Action)),
		Status: Status(undefuse(l.Status)), UserID: undefuse(l.UserID), Err: undefuse(l.Error),
		CorrelationID: undefuse(l.CorrelationID), Changes: undefuse(l.Changes), RowHash: undefuse(l.RowHash)}
}

// decodeRows decodes records of a report, each of len(reportHeader) cells, into rows.
func decodeRows(recs [][]string, rows *[]reportRow) error {
	*rows = (*rows)[:0]
	if len(recs) == 0 {
		return nil
	}
	return gocsv.UnmarshalCSVWithoutHeaders(records(recs), rows)
}

// records hands gocsv records already read.
type records [][]string

func (r records) Read() ([]string, error)      { return nil, errors.New("records: Read not supported") }
func (r records) ReadAll() ([][]string, error) { return r, nil }

// syncEvery is how often the report reaches the disk: a killed run loses at most this much
// of its record.
const syncEvery = 2 * time.Second

// maxCellChars caps the error, changes, user_id and correlation_id cells, in characters:
// they hold text from the server, which may echo a whole request or page back.
const maxCellChars = 2000

// cutMarker ends a cell that maxCellChars cut.
const cutMarker = " […cut]"

// redacted replaces a secret in the report.
const redacted = "[redacted]"

// reportWriter writes the report CSV, one line (a reportRow) per Result in the order they
// come, flushed as each is written so that the report is complete up to the last finished
// row if the run dies; finishReport puts it in file order once the run is over. It is not
// safe for concurrent use: one writer goroutine owns it. A report that openNewReport or
// appendReport opened is also synced to disk by a goroutine of its own, at most syncEvery
// after a row is written, whether more rows come or not.
type reportWriter struct {
	cw          *csv.Writer
	file        *os.File // set by openNewReport and appendReport: synced and closed by Close
	wroteHeader bool
	closed      bool
	rec         []string
	secrets     []string  // with their escaped forms: see Scrub
	current     *Redactor // see ScrubFunc
	lastLine    int       // the line of the last row written, or -1 after a row of none
	unordered   bool      // a row came before one it follows in the file

	syncFile func() error // file.Sync; tests observe it
	lastSync atomic.Int64 // UnixNano of the last sync, by either goroutine
	dirty    atomic.Bool  // written since the last sync
	syncMu   sync.Mutex   // serialises syncFile and guards syncErr
	syncErr  error        // the timer's sync failed: the next Write, Sync or Close returns it
	stopSync chan struct{}
	syncDone chan struct{}
}

// openNewReport creates the report file at path, replacing whatever file is there, and
// starts its timed sync. The new file has the permissions of the regular file it replaces,
// or 0600 (it holds names and email addresses).
//
// The file is written under a temporary name in the same directory and renamed to path at
// once: a symbolic link at path is replaced by the report, never followed, so its target is
// neither truncated nor overwritten, and another hard link to an old report keeps its
// content. A path that is, or links to, something other than a regular file (a pipe, a
// device, a directory) is refused.
func openNewReport(path string) (*reportWriter, error) {
	perm, err := reportPerm(path)
	if err != nil {
		return nil, err
	}
	return createReport(path, perm, newTicker)
}

// reportPerm is the permissions a new report at path takes: those of the regular file there,
// else 0600. It refuses a path that is, or links to, something other than a regular file.
func reportPerm(path string) (fs.FileMode, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0o600, nil
	case err != nil:
		return 0, fmt.Errorf("create report: %w", err)
	case fi.Mode().IsRegular():
		return fi.Mode().Perm(), nil
	case fi.Mode()&fs.ModeSymlink != 0:
		// The link itself is replaced; but a link to a terminal, a pipe or a device
		// (/dev/stdout) is a mistake worth saying, not a file to put in its place.
		if ti, err := os.Stat(path); err == nil && !ti.Mode().IsRegular() {
			return 0, notRegular("create report", path, ti.Mode())
		}
		return 0o600, nil
	}
	return 0, notRegular("create report", path, fi.Mode())
}

// notRegular is the error for a path that is not a regular file: "open x: not a regular
// file: a pipe".
func notRegular(op, path string, m fs.FileMode) error {
	kind := "a special file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a pipe"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return &fs.PathError{Op: op, Path: path, Err: errors.New("not a regular file: " + kind)}
}

// newTicker is the timed sync's clock.
func newTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// createReport is openNewReport with the permissions and the clock given.
func createReport(path string, perm fs.FileMode, tick func(time.Duration) (<-chan time.Time, func())) (*reportWriter, error) {
	f, err := createReplacing(path, perm)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err) // *PathError names the path
	}
	return fileWriter(f, tick), nil
}

// fileWriter writes a report to f, which Close syncs and closes, and starts its timed sync.
func fileWriter(f *os.File, tick func(time.Duration) (<-chan time.Time, func())) *reportWriter {
	w := newReportWriter(f)
	w.file = f
	w.syncFile = f.Sync
	w.stopSync, w.syncDone = make(chan struct{}), make(chan struct{})
	c, stop := tick(syncEvery)
	go w.syncLoop(c, stop)
	return w
}

// createReplacing creates an empty file with permissions perm under a temporary name next to
// path, renames it to path and syncs the directory. It returns the file, open for writing.
func createReplacing(path string, perm fs.FileMode) (*os.File, error) {
	dir, base := filepath.Split(path)
	f, err := os.CreateTemp(dir, base+".tmp-*") // O_EXCL, 0600: never an existing file
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	if err := f.Chmod(perm); err != nil { // explicit: the umask does not apply
		return fail(err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fail(err)
	}
	if err := syncDir(path); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// syncDir commits to disk the directory entries of the directory holding path, after a
// rename there.
func syncDir(path string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing; NTFS journals renames
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory of %s: %w", path, err)
	}
	return nil
}

// syncLoop syncs the file at each tick when rows were written since the last sync, until
// Close.
func (w *reportWriter) syncLoop(c <-chan time.Time, stop func()) {
	defer close(w.syncDone)
	defer stop()
	for {
		select {
		case <-w.stopSync:
			return
		case <-c:
			if w.dirty.Load() {
				_ = w.syncNow() // kept in syncErr for the writer goroutine
			}
		}
	}
}

// syncNow commits what was flushed to the file to disk.
func (w *reportWriter) syncNow() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	if w.syncErr != nil {
		return w.syncErr
	}
	w.dirty.Store(false)
	w.lastSync.Store(time.Now().UnixNano())
	if err := w.syncFile(); err != nil {
		w.syncErr = fmt.Errorf("write report: %w", err)
		return w.syncErr
	}
	return nil
}

// timedSyncErr is the error of a sync the timer did, if any.
func (w *reportWriter) timedSyncErr() error {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	return w.syncErr
}

// stopTimedSync stops the sync goroutine, if there is one, and waits for it.
func (w *reportWriter) stopTimedSync() {
	if w.stopSync != nil {
		close(w.stopSync)
		<-w.syncDone
		w.stopSync = nil
	}
}

// newReportWriter writes a report to w. Close flushes but does not close w.
func newReportWriter(w io.Writer) *reportWriter {
	return &reportWriter{cw: csv.NewWriter(w), rec: make([]string, 0, len(reportHeader))}
}

// Scrub registers secrets (a password, a client secret, a token) that Write replaces with
// "[redacted]" in every later row's user_id, error, correlation_id and changes cells, as
// written and as they would appear escaped in JSON or in a URL. Empty strings are ignored.
func (w *reportWriter) Scrub(secrets ...string) {
	w.secrets = appendSecretForms(w.secrets, secrets...)
}

// ScrubFunc registers a func that Write calls before each row for the secrets of the moment
// (the tokens issued so far, which change during a run), replaced like those given to Scrub.
// A nil func is ignored.
func (w *reportWriter) ScrubFunc(current func() []string) {
	w.current = NewRedactor(current)
}

// Redactor replaces secrets in text with "[redacted]": the ones its func returns at each use,
// as written and as they would appear escaped in JSON or in a URL. The escaped forms are
// worked out again only when the func's answer changes. A Redactor is safe for concurrent
// use when its func is; a nil one, or one with a nil func, replaces nothing.
type Redactor struct {
	current func() []string

	mu    sync.Mutex
	last  []string // what current returned last time
	forms []string // last's forms, longest first
	valid bool
}

// NewRedactor returns a Redactor of the secrets current returns.
func NewRedactor(current func() []string) *Redactor {
	return &Redactor{current: current}
}

// Redact replaces the current secrets in s.
func (r *Redactor) Redact(s string) string {
	return scrub(s, r.secretForms())
}

// secretForms returns the current secrets' forms, longest first.
func (r *Redactor) secretForms() []string {
	if r == nil || r.current == nil {
		return nil
	}
	cur := r.current()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.valid || !slices.Equal(cur, r.last) {
		r.last, r.forms, r.valid = slices.Clone(cur), appendSecretForms(nil, cur...), true
	}
	return r.forms
}

// appendSecretForms appends each secret and its JSON- and URL-escaped forms to dst, longest
// first so that a form containing another is replaced whole.
func appendSecretForms(dst []string, secrets ...string) []string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		q := strconv.Quote(s)
		forms := []string{s, q[1 : len(q)-1], url.QueryEscape(s), url.PathEscape(s)}
		if b, err := json.Marshal(s); err == nil {
			forms = append(forms, string(b[1:len(b)-1]))
		}
		for _, f := range forms {
			if !slices.Contains(dst, f) {
				dst = append(dst, f)
			}
		}
	}
	slices.SortStableFunc(dst, func(a, b string) int { return len(b) - len(a) })
	return dst
}

// scrub replaces the secrets in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// serverCell is a cell that may hold text from the server: secrets scrubbed, cut to
// maxCellChars, formulas defused.
func serverCell(s string, secrets []string) string {
	return defuseFormula(capCell(scrub(s, secrets)))
}

// capCell cuts s to at most maxCellChars characters, the last of them cutMarker. A cell cut
// once is not cut again.
func capCell(s string) string { return Cut(s, maxCellChars, cutMarker) }

// Cut returns s if it has at most n characters, else its first characters and marker, n in
// all: the one way server text is cut short, in reports and in logs.
func Cut(s string, n int, marker string) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(marker)
	i := 0
	for range max(keep, 0) {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i] + marker
}

// Write writes one result and flushes it. It returns the write error, if any (a full disk):
// the report is then incomplete and the run should stop. The secrets given to Scrub and
// ScrubFunc, and the result's own (its row's password), are replaced in the cells that may
// hold server text.
func (w *reportWriter) Write(r Result) error {
	if w.closed {
		return errors.New("write report: writer is closed")
	}
	if err := w.timedSyncErr(); err != nil {
		return err
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	secrets := w.secrets
	if current := w.current.secretForms(); r.secret != "" || len(current) > 0 {
		secrets = appendSecretForms(slices.Concat(w.secrets, current), r.secret)
	}
	row := newReportRow(r, secrets)
	w.noteOrder(r.Line)
	w.rec = row.appendRecord(w.rec[:0])
	if err := w.cw.Write(w.rec); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := w.flush(); err != nil {
		return err
	}
	if w.file == nil {
		return nil
	}
	w.dirty.Store(true)
	if time.Since(time.Unix(0, w.lastSync.Load())) >= syncEvery {
		return w.syncNow()
	}
	return nil
}

// noteOrder notes whether the rows written so far are in file order: by line, the rows of
// no line after all the others.
func (w *reportWriter) noteOrder(line int) {
	if line <= 0 {
		line = -1
	}
	if line > 0 && (w.lastLine < 0 || line < w.lastLine) {
		w.unordered = true
	}
	w.lastLine = line
}

// inFileOrder reports whether the rows were written in file order, so that the report needs
// no rewrite to be in it (see finishReport).
func (w *reportWriter) inFileOrder() bool { return !w.unordered }

// Sync flushes the report and, when it is a file, commits it to disk.
func (w *reportWriter) Sync() error {
	if err := w.writeHeader(); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if w.file != nil {
		return w.syncNow()
	}
	return nil
}

func (w *reportWriter) writeHeader() error {
	if w.wroteHeader {
		return nil
	}
	if err := w.cw.Write(reportHeader); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	w.wroteHeader = true
	return nil
}

func (w *reportWriter) flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// Close writes the header if no result was written, flushes, and when the report is a file
// that openNewReport opened, stops its timed sync, syncs it to disk and closes it. It returns
// the first error. Calling it again does nothing.
func (w *reportWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.stopTimedSync()
	err := w.timedSyncErr()
	if err == nil {
		err = w.writeHeader()
	}
	if err == nil {
		err = w.flush()
	}
	if w.file != nil {
		if err == nil {
			if serr := w.file.Sync(); serr != nil {
				err = fmt.Errorf("sync report: %w", serr)
			}
		}
		if cerr := w.file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close report: %w", cerr)
		}
	}
	return err
}

// formulaStart holds the characters that make a spreadsheet read a cell as a formula.
const formulaStart = "=+-@\t\r"

// defuseFormula keeps a cell from running as a formula when the report is opened in a
// spreadsheet (CSV injection). A spreadsheet may split a cell further, at ',' or ';' (when
// it opens the file with the other list separator), so every part is defused: at the start
// of the cell and after each ',' or ';', once any spaces and double quotes are skipped, a
// character of formulaStart gets a ' before it: "x;=cmd" becomes "x;'=cmd". A part that
// already starts, past those, with one or more ' and such a character gets one more ', so
// that undefuse gives back exactly what was defused.
func defuseFormula(s string) string {
	return mapParts(s, func(b *strings.Builder, part string) {
		if quotesBeforeFormula(part) >= 0 {
			b.WriteByte('\'')
		}
		b.WriteString(part)
	})
}

// undefuse reverses defuseFormula, for a report read back.
func undefuse(s string) string {
	return mapParts(s, func(b *strings.Builder, part string) {
		if quotesBeforeFormula(part) > 0 {
			part = part[1:]
		}
		b.WriteString(part)
	})
}

// mapParts calls f on each part of s that a spreadsheet may read as a cell: s's start, and
// each point after a ',' or ';', with any spaces and double quotes in front of it written
// first. Whatever f writes, in order, with the separators between, is the result.
func mapParts(s string, f func(b *strings.Builder, part string)) string {
	if !strings.ContainsAny(s, formulaStart+"'") {
		return s // nothing to defuse or undefuse: the common case, without copying
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for {
		lead := len(s) - len(strings.TrimLeft(s, " \""))
		b.WriteString(s[:lead])
		s = s[lead:]
		end := strings.IndexAny(s, ",;")
		if end < 0 {
			f(&b, s)
			return b.String()
		}
		f(&b, s[:end])
		b.WriteByte(s[end])
		s = s[end+1:]
	}
}

// quotesBeforeFormula returns how many ' lead part when a character of formulaStart follows
// them, and -1 when part does not start, past its ', with one.
func quotesBeforeFormula(part string) int {
	n := len(part) - len(strings.TrimLeft(part, "'"))
	if n < len(part) && strings.IndexByte(formulaStart, part[n]) >= 0 {
		return n
	}
	return -1
}

// Summary counts results. The zero value is an empty summary. Not safe for concurrent use.
type Summary struct {
	Total    int
	ByStatus map[Status]int
	ByAction map[Action]int // over all rows, whatever their status
	Resume   *ResumeStats   // what --resume carried over; nil without it

	byBoth map[statusAction]int
}

type statusAction struct {
	s Status
	a Action
}

// Add counts one result.
func (s *Summary) Add(r Result) {
	if s.ByStatus == nil {
		s.ByStatus = make(map[Status]int)
	}
	if s.ByAction == nil {
		s.ByAction = make(map[Action]int)
	}
	if s.byBoth == nil {
		s.byBoth = make(map[statusAction]int)
	}
	s.Total++
	s.ByStatus[r.Status]++
	s.ByAction[r.Action]++
	s.byBoth[statusAction{r.Status, r.Action}]++
}

// statusOrder and actionOrder fix the order of String's parts.
var (
	statusOrder = []Status{StatusOK, StatusPlanned, StatusFailed, StatusInvalid, StatusSkipped}
	actionOrder = []Action{ActionCreate, ActionUpdate, ActionRestore, ActionDeactivate, ActionNone}
	actionDone  = map[Action]string{ActionCreate: "created", ActionUpdate: "updated",
		ActionRestore: "restored", ActionDeactivate: "deactivated", ActionNone: "unchanged"}
	actionToDo = map[Action]string{ActionCreate: "to create", ActionUpdate: "to update",
		ActionRestore: "to restore", ActionDeactivate: "to deactivate", ActionNone: "unchanged"}
)

// String is one line for people, e.g. "4 rows: 3 ok (2 created, 1 unchanged), 1 failed".
// Rows that ended ok, or are planned in a dry run, are broken down by action.
func (s Summary) String() string {
	var b strings.Builder
	b.WriteString(plural(s.Total, "row"))
	statuses := slices.Clone(statusOrder)
	var other []Status
	for st := range s.ByStatus {
		if !slices.Contains(statusOrder, st) {
			other = append(other, st)
		}
	}
	slices.Sort(other)
	statuses = append(statuses, other...)

	sep := ": "
	for _, st := range statuses {
		n := s.ByStatus[st]
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s%d %s", sep, n, st)
		sep = ", "
		words := map[Status]map[Action]string{StatusOK: actionDone, StatusPlanned: actionToDo}[st]
		if words == nil {
			continue
		}
		var parts []string
		for _, a := range s.actionsOf(st) {
			if c := s.byBoth[statusAction{st, a}]; c > 0 {
				word, ok := words[a]
				if !ok {
					word = string(a)
				}
				parts = append(parts, fmt.Sprintf("%d %s", c, word))
			}
		}
		if len(parts) > 0 {
			b.WriteString(" (" + strings.Join(parts, ", ") + ")")
		}
	}
	return b.String()
}

// actionsOf lists the actions counted under st: the known ones in order, then the others.
func (s Summary) actionsOf(st Status) []Action {
	actions := slices.Clone(actionOrder)
	var other []Action
	for k := range s.byBoth {
		if k.s == st && !slices.Contains(actionOrder, k.a) {
			other = append(other, k.a)
		}
	}
	slices.Sort(other)
	return append(actions, other...)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
