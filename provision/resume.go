package provision

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// --resume trusts an earlier report only as far as it can check it:
//
//   - Each report row of the file carries row_hash, a hash of the row's content as the run
//     read it (see CSVReader.RowHash). An ok line is carried over only when the row now at
//     its line has the same hash and is valid: a report of another file, a changed row and a
//     line that is not in the file (any more) are not carried.
//   - A torn or malformed line (a run killed mid-write, an edited copy) is not carried, and
//     neither is any line of a report that has no row_hash column (an older version's).
//   - Before the carried rows are trusted, one search per MaxEmailsPerLookup of them confirms
//     that each user is in the org, not deleted, under the id the report names: a report of
//     another org, or of users deleted since, is not carried.
//
// A row that is not carried is simply run again, which is safe: a row whose user is already
// as it says makes no write.

// ResumeStats says what --resume did with the earlier report.
type ResumeStats struct {
	OK        int  // distinct lines ok in the earlier report(s)
	Carried   int  // copied into the new report, at no cost but the check
	Checked   bool // the carried users were confirmed in the org (not in a run that provisions nothing)
	Searches  int  // the searches that confirmed them
	Changed   int  // ok lines whose row is not the same in the file any more
	Invalid   int  // ok lines whose row is the same but now invalid
	NotInFile int  // ok lines past the file's end, or no longer a row of it
	Gone      int  // ok lines whose user the org does not have (any more) under that id
	Torn      int  // torn or malformed report lines, skipped
	Old       int  // ok lines of a report written before row_hash, not carried
}

// String is one line for people: "resume: 120 ok rows in the earlier report; 115 carried
// over (confirmed in the org by 3 searches); 5 run again: 2 changed in the file, 3 no longer
// in the org".
func (s ResumeStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "resume: %s ok in the earlier report; %d carried over", plural(s.OK+s.Old, "row"), s.Carried)
	switch {
	case s.Carried == 0:
	case s.Checked:
		searches := "searches"
		if s.Searches == 1 {
			searches = "search"
		}
		fmt.Fprintf(&b, " (confirmed in the org by %d %s)", s.Searches, searches)
	default:
		b.WriteString(" (not confirmed in the org: this run provisions nothing)")
	}
	var again []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{s.Changed, "changed in the file"},
		{s.Invalid, "now invalid"},
		{s.NotInFile, "not in the file"},
		{s.Gone, "no longer in the org under the id reported"},
		{s.Old, "from a report without row_hash (an older version)"},
	} {
		if c.n > 0 {
			again = append(again, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(again) > 0 {
		fmt.Fprintf(&b, "; not carried, run again: %s", strings.Join(again, ", "))
	}
	if s.Torn > 0 {
		fmt.Fprintf(&b, "; %s of the report torn or malformed, skipped", plural(s.Torn, "line"))
	}
	return b.String()
}

// carry is what --resume may carry over, worked out in three steps: the ok lines of the
// earlier reports (readCarry), those whose row is unchanged and valid (see, in pass 1), and
// those whose user the org confirms (carryOver).
type carry struct {
	want      map[int]string // line → row hash of its first ok line in the earlier reports
	unchanged map[int]string // the lines of want whose row has that hash and is valid
	stats     ResumeStats
}

// readCarry reads the ok lines of the earlier reports.
func readCarry(paths []string) (*carry, error) {
	c := &carry{want: map[int]string{}}
	for _, path := range paths {
		err := scanReport(path, &c.stats, func(l reportRow, line int) error {
			if _, dup := c.want[line]; !dup {
				c.want[line] = l.RowHash
			}
			return nil
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	c.stats.OK = len(c.want)
	c.reset()
	return c, nil
}

// reset forgets what pass 1 saw, before it reads the file (again).
func (c *carry) reset() {
	if c == nil {
		return
	}
	c.unchanged = map[int]string{}
	c.stats.Changed, c.stats.Invalid, c.stats.NotInFile = 0, 0, len(c.want)
}

// see notes a row of the file in pass 1: its hash, or "" when it is invalid.
func (c *carry) see(line int, hash string) {
	if c == nil {
		return
	}
	want, ok := c.want[line]
	if !ok {
		return
	}
	c.stats.NotInFile--
	switch {
	case hash == "":
		c.stats.Invalid++
	case hash != want:
		c.stats.Changed++
	default:
		c.unchanged[line] = hash
	}
}

// carryOver copies into w the ok lines of the earlier reports at paths whose row is
// unchanged, after a search per MaxEmailsPerLookup of them confirms their users when confirm
// is set, and syncs w. It sets p.done to the carried lines and their emails.
func (p *pipeline) carryOver(paths []string, w *reportWriter, sum *Summary, confirm bool) error {
	c := p.carry
	p.done = map[int]string{}
	var pending []Result
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		ok, err := p.confirmUsers(pending, confirm)
		if err != nil {
			return err
		}
		for _, res := range pending {
			if !ok[res.Line] {
				c.stats.Gone++
				continue
			}
			if err := w.Write(res); err != nil {
				return err
			}
			sum.Add(res)
			p.done[res.Line] = res.Email
			c.stats.Carried++
		}
		pending = pending[:0]
		return nil
	}
	var torn ResumeStats // counted once, by readCarry
	for _, path := range paths {
		err := scanReport(path, &torn, func(l reportRow, line int) error {
			if h, ok := c.unchanged[line]; !ok || h != l.RowHash {
				return nil
			}
			delete(c.unchanged, line) // one line each
			res := l.result()
			res.Err = "" // an ok row's
			pending = append(pending, res)
			if len(pending) < MaxEmailsPerLookup {
				return nil
			}
			return flush()
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	c.stats.Checked = confirm
	if pr := p.o.Progress; pr != nil {
		pr.Done.Add(int64(c.stats.Carried))
	}
	return w.Sync()
}

// confirmUsers returns the lines of rows whose user the org has under the id reported, not
// deleted, found with one search; every line when confirm is false. A search that fails
// confirms none (the rows are run again), unless it failed for want of authorisation.
func (p *pipeline) confirmUsers(rows []Result, confirm bool) (map[int]bool, error) {
	ok := make(map[int]bool, len(rows))
	if !confirm {
		for _, r := range rows {
			ok[r.Line] = true
		}
		return ok, nil
	}
	emails := make([]string, len(rows))
	for i, r := range rows {
		emails[i] = r.Email
	}
	var found map[string]Found
	err := guard(p.log, func() (err error) {
		found, err = p.svc.Users.FindByEmails(p.apiCtx, emails)
		return err
	})
	p.carry.stats.Searches++
	switch {
	case errors.Is(err, ErrAuth):
		return nil, err
	case err != nil:
		p.log.Warn("could not confirm the users of carried rows; they run again", zap.Int("rows", len(rows)), zap.Error(err))
		return ok, nil
	}
	for _, r := range rows {
		u, in := found[strings.ToLower(r.Email)]
		ok[r.Line] = in && r.UserID != "" && u.ID == r.UserID && u.State != "deleted"
	}
	return ok, nil
}

// resumePaths lists the earlier reports a resumed run reads: any REPORT.prev-N a killed
// resumed run left, and the report being resumed. The report being resumed may be missing
// only when it is the new report's path (the run being resumed died before writing it).
func resumePaths(resume, report string) ([]string, error) {
	prevs, _ := filepath.Glob(report + ".prev-*")
	if _, err := os.Stat(resume); err != nil {
		if errors.Is(err, os.ErrNotExist) && (filepath.Clean(resume) == filepath.Clean(report) || len(prevs) > 0) {
			return prevs, nil
		}
		return nil, err
	}
	return append(prevs, resume), nil
}

// resumeSources lists the reports to carry rows over from. When the new report replaces
// the one being resumed, the old one is first moved aside as REPORT.prev-N, and it is only
// removed once its rows are safe in the new one; a resumed run that was itself killed may
// have left such files, and they are read too. leftovers are the files to remove then.
func resumeSources(resume, report string) (sources, leftovers []string, err error) {
	if resume == "" {
		return nil, nil, nil
	}
	prevs, _ := filepath.Glob(report + ".prev-*")
	sources = append(sources, prevs...)
	leftovers = append(leftovers, prevs...)
	if _, err := os.Stat(resume); errors.Is(err, os.ErrNotExist) && filepath.Clean(resume) == filepath.Clean(report) {
		// The run being resumed died before it wrote its report: nothing finished.
		return sources, leftovers, nil
	}
	if !sameFile(resume, report) {
		if _, err := os.Stat(resume); err != nil && len(prevs) == 0 {
			return nil, nil, err
		}
		return append(sources, resume), leftovers, nil
	}
	aside := fmt.Sprintf("%s.prev-%d", report, time.Now().UnixNano())
	if err := os.Rename(report, aside); err != nil {
		return nil, nil, err
	}
	if err := syncDir(report); err != nil {
		return nil, nil, err
	}
	return append(sources, aside), append(leftovers, aside), nil
}

// scanReport calls f with each ok line of the report at path that names a line of the file,
// in order, decoded. It counts in st the torn or malformed lines it skips, and the ok lines
// of a report that has no row_hash column, which it does not pass to f. An error from f
// stops the scan and is returned.
//
// A line that is not whole is never passed on: the file is read up to its last line break
// only (a run killed mid-write leaves a torn last line), the reading stops at a line that is
// not valid CSV (a line torn inside a quoted cell), and a record with a cell count other
// than the header's is skipped.
func scanReport(path string, st *ResumeStats, f func(l reportRow, line int) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return notRegular("read report", path, fi.Mode())
	}
	whole, err := wholeLines(file, fi.Size())
	if err != nil {
		return fmt.Errorf("read report %s: %w", path, err)
	}
	if whole < fi.Size() {
		st.Torn++
	}
	cr := csv.NewReader(io.NewSectionReader(file, 0, whole))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil // killed before its header: nothing to carry
	}
	if err != nil {
		return fmt.Errorf("%s is not a report: %w", path, err)
	}
	if len(header) < firstColumns || !slices.Equal(header[:firstColumns], reportHeader[:firstColumns]) {
		return fmt.Errorf("%s is not a report of this tool: its header is %q", path, Cut(strings.Join(header, ","), 200, "…"))
	}
	width := len(header)
	current := width >= len(reportHeader) && slices.Equal(header[:len(reportHeader)], reportHeader)
	chunk := make([][]string, 0, carryChunk)
	var rows []reportRow
	send := func() error {
		if err := decodeRows(chunk, &rows); err != nil {
			return fmt.Errorf("read report %s: %w", path, err) // only string fields: not expected
		}
		chunk = chunk[:0]
		for _, l := range rows {
			line, ok := l.line()
			if !ok || l.RowHash == "" {
				continue // a deactivation (no line), or edited
			}
			if err := f(l, line); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		rec, err := cr.Read()
		var pe *csv.ParseError
		switch {
		case err == io.EOF:
			return send()
		case errors.As(err, &pe):
			st.Torn++
			return send() // what came before stands
		case err != nil:
			return fmt.Errorf("read report %s: %w", path, err)
		case len(rec) != width:
			st.Torn++
			continue
		case Status(rec[statusColumn]) != StatusOK:
			continue
		case !current:
			st.Old++
			continue
		}
		chunk = append(chunk, slices.Clone(rec[:len(reportHeader)]))
		if len(chunk) == cap(chunk) {
			if err := send(); err != nil {
				return err
			}
		}
	}
}

// wholeLines returns the length of the file up to and including its last line break: the
// part of a report whose lines are whole.
func wholeLines(f io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && !(err == io.EOF && int64(n) == end-start) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// carryChunk is how many report lines gocsv decodes at once.
const carryChunk = 1024

// firstColumns is how many of reportHeader's columns every version of the report had: a
// report whose header starts otherwise is not one of this tool's.
var firstColumns = reportColumn("correlation_id") + 1

// statusColumn is where scanReport looks for ok lines before it decodes them.
var statusColumn = reportColumn("status")

func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// RowHash identifies the content of a row as the run reads it, for --resume: every cell but
// the password (which matters only when a user is created, and is kept out of the report),
// which columns the file has, and the list separator. 16 hex digits. Not safe for concurrent
// use, like Next.
func (r *CSVReader) RowHash(row Row) string {
	b := r.hashBuf[:0]
	cells := row.cells()
	for i, name := range rowFields {
		if _, in := r.index[name]; !in || name == "password" {
			continue
		}
		b = append(b, name...)
		b = append(b, 0)
		b = append(b, cells[i]...)
		b = append(b, 0)
	}
	b = append(b, "list separator="...)
	b = append(b, r.listSep...)
	r.hashBuf = b
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
