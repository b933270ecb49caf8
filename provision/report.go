package provision

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
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
}

// reportHeader is the report's first line. Scripts read these names: append, never rename.
var reportHeader = []string{"line", "email", "action", "status", "user_id", "error", "correlation_id", "changes"}

// syncEvery is how often the report reaches the disk: a killed run loses at most this much
// of its record.
const syncEvery = 2 * time.Second

// ReportWriter writes the report CSV, one line per Result, flushed as each is written so
// that the report is complete up to the last finished row if the run dies. It is not safe
// for concurrent use: one writer goroutine owns it.
type ReportWriter struct {
	cw          *csv.Writer
	file        *os.File // set by CreateReport: synced and closed by Close
	wroteHeader bool
	closed      bool
	rec         []string
	lastSync    time.Time
}

// CreateReport creates, or truncates, the report file at path.
func CreateReport(path string) (*ReportWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err) // *PathError names the path
	}
	w := NewReportWriter(f)
	w.file = f
	return w, nil
}

// NewReportWriter writes a report to w. Close flushes but does not close w.
func NewReportWriter(w io.Writer) *ReportWriter {
	return &ReportWriter{cw: csv.NewWriter(w), rec: make([]string, len(reportHeader))}
}

// Write writes one result and flushes it. It returns the write error, if any (a full disk):
// the report is then incomplete and the run should stop.
func (w *ReportWriter) Write(r Result) error {
	if w.closed {
		return errors.New("write report: writer is closed")
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	w.rec[0] = ""
	if r.Line > 0 {
		w.rec[0] = strconv.Itoa(r.Line) // a deactivated user is in no line of the file
	}
	w.rec[1] = defuseFormula(r.Email)
	w.rec[2] = string(r.Action)
	w.rec[3] = string(r.Status)
	w.rec[4] = r.UserID
	w.rec[5] = defuseFormula(r.Err)
	w.rec[6] = r.CorrelationID
	w.rec[7] = defuseFormula(r.Changes)
	if err := w.cw.Write(w.rec); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if w.file != nil && time.Since(w.lastSync) >= syncEvery {
		return w.Sync()
	}
	return w.flush()
}

// Sync flushes the report and, when it is a file, commits it to disk.
func (w *ReportWriter) Sync() error {
	if err := w.writeHeader(); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if w.file != nil {
		w.lastSync = time.Now()
		if err := w.file.Sync(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

func (w *ReportWriter) writeHeader() error {
	if w.wroteHeader {
		return nil
	}
	if err := w.cw.Write(reportHeader); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	w.wroteHeader = true
	return nil
}

func (w *ReportWriter) flush() error {
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// Close writes the header if no result was written, flushes, and when the report is a file
// that CreateReport opened, syncs it to disk and closes it. It returns the first error.
// Calling it again does nothing.
func (w *ReportWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.writeHeader()
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

// defuseFormula keeps a cell that comes from the input file from running as a formula when
// the report is opened in a spreadsheet (CSV injection): a cell starting with =, +, -, @, a
// tab or a carriage return gets a leading '.
func defuseFormula(s string) string {
	if s != "" && strings.ContainsRune(formulaStart, rune(s[0])) {
		return "'" + s
	}
	return s
}

// undefuse reverses defuseFormula, for a report read back.
func undefuse(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune(formulaStart, rune(s[1])) {
		return s[1:]
	}
	return s
}

// Summary counts results. The zero value is an empty summary. Not safe for concurrent use.
type Summary struct {
	Total    int
	ByStatus map[Status]int
	ByAction map[Action]int // over all rows, whatever their status

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
