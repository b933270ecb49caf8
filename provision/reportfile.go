package provision

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The report is written in two steps. During the run, rows go to the report as they finish,
// flushed and synced (see reportWriter): a killed run leaves every finished row on disk, in
// the order the rows finished, and --resume reads that. Once the run is over, finishReport
// rewrites it in file order, with the managers pass's changes applied; the deactivation rows
// are then added at its end (appendReport).

// appendReport opens the report at path, which this run wrote and closed, to add rows after
// its last: the deactivation rows. They are flushed and synced like those of a report that
// openNewReport made.
func appendReport(path string) (*reportWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	w := fileWriter(f, newTicker)
	w.wroteHeader = true
	return w, nil
}

// recordAt is where one record of a report is, for finishReport: 16 bytes a row, so that a
// report of millions of rows is put in order without being held in memory.
type recordAt struct {
	off  int64  // where the record starts in the file
	n    uint32 // its length, line break included
	line uint32 // the line of the file it is about; noLine for a row of none
}

// noLine sorts the rows of no line of the file (the deactivations) after the file's rows.
const noLine = math.MaxUint32

func compareRecordAt(a, b recordAt) int {
	return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.off, b.off))
}

// finishReport puts the report at path in file order once the run is over, and counts its
// rows: the rows of the file by line, then the rows of no line (the deactivations) in the
// order they were written, each row the managers pass changed with its change applied (see
// managerChange.apply). A report already in that order with no change is left as it is.
//
// The report may be larger than the memory the tool allows itself (about 65 bytes a row, and
// a file may have millions of rows): only where each record is, and its line, is held;
// that index is sorted and the records copied in its order, a run of records that follow
// each other in the report in one copy. Every record is decoded, to be counted; only a
// changed one is written again.
//
// The new report is written under a fresh name in the same directory (never an existing file
// or link) with the old one's permissions, synced, and renamed over path, which replaces a
// link there rather than its target; the directory is synced then. Until the rename, the
// report at path is the one written as rows finished.
func finishReport(path string, changes map[int]managerChange) (Summary, error) {
	var sum Summary
	in, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return sum, err
	}
	lines, err := countLines(in, fi.Size())
	if err != nil {
		return sum, fmt.Errorf("read report %s: %w", path, err)
	}
	idx, headerEnd, err := indexReport(in, lines, changes, &sum)
	if err != nil {
		return sum, fmt.Errorf("read report %s: %w", path, err)
	}
	if slices.IsSortedFunc(idx, compareRecordAt) && len(changes) == 0 {
		return sum, nil
	}
	slices.SortFunc(idx, compareRecordAt)

	err = ReplaceFile(path, fi.Mode().Perm(), func(out io.Writer) error {
		rc := &recordCopier{in: in, size: fi.Size(), bw: bufio.NewWriterSize(out, 64<<10), buf: make([]byte, 64<<10)}
		if err := rc.copyRange(0, headerEnd); err != nil {
			return err
		}
		if err := rc.copyRecords(idx, changes); err != nil {
			return err
		}
		return rc.bw.Flush()
	})
	return sum, err
}

// ReplaceFile writes a new file at path with write: under a temporary name in the same
// directory (created exclusively, so never an existing file or link), with permissions perm,
// synced, then renamed over path, and the directory synced. A symbolic link at path is
// replaced, not followed. If anything fails, path is left as it was and the temporary file
// removed.
func ReplaceFile(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	dir, base := filepath.Split(path)
	out, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name()) // gone already once renamed
	err = out.Chmod(perm)       // explicit: the umask does not apply
	if err == nil {
		err = write(out)
	}
	if err := errors.Join(err, out.Sync(), out.Close()); err != nil {
		return err
	}
	if err := os.Rename(out.Name(), path); err != nil {
		return err
	}
	return syncDir(path)
}

// countLines counts the line breaks in the first size bytes of r: at least the report's
// records, so that their index is made once at its full size.
func countLines(r io.ReaderAt, size int64) (int, error) {
	buf := make([]byte, 64<<10)
	n := 0
	for off := int64(0); off < size; {
		k, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		n += bytes.Count(buf[:k], []byte{'\n'})
		off += int64(k)
		if err != nil && !(err == io.EOF && off == size) {
			return 0, err
		}
	}
	return n, nil
}

// indexReport reads the report in, which has at most lines records, and returns where each
// record is and where its header ends. It counts in sum the rows as they will be, changes
// applied.
func indexReport(in io.Reader, lines int, changes map[int]managerChange, sum *Summary) (idx []recordAt, headerEnd int64, err error) {
	cr := csv.NewReader(bufio.NewReaderSize(in, 64<<10))
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("header: %w", err)
	}
	if !slices.Equal(header, reportHeader) {
		return nil, 0, fmt.Errorf("not a report of this run: its header is %q", Cut(strings.Join(header, ","), 200, "…"))
	}
	headerEnd = cr.InputOffset()
	idx = make([]recordAt, 0, lines+1) // +1: a last line without a line break
	chunk := make([][]string, 0, carryChunk)
	at := make([]recordAt, 0, carryChunk)
	var rows []reportRow
	flush := func() error {
		if err := decodeRows(chunk, &rows); err != nil {
			return err
		}
		for i, l := range rows {
			a := at[i]
			a.line = noLine
			if line, ok := l.line(); ok {
				a.line = uint32(min(uint64(line), noLine-1)) // a file of 4 billion lines is not a file
				if c, ok := changes[line]; ok {
					c.apply(&l)
				}
			}
			res := l.result()
			sum.Add(Result{Line: res.Line, Action: res.Action, Status: res.Status})
			idx = append(idx, a)
		}
		chunk, at = chunk[:0], at[:0]
		return nil
	}
	start := headerEnd
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		if len(rec) != len(reportHeader) {
			line, _ := cr.FieldPos(0)
			return nil, 0, fmt.Errorf("line %d has %d cells, not %d", line, len(rec), len(reportHeader))
		}
		end := cr.InputOffset()
		chunk = append(chunk, slices.Clone(rec))
		at = append(at, recordAt{off: start, n: uint32(end - start)})
		start = end
		if len(chunk) == cap(chunk) {
			if err := flush(); err != nil {
				return nil, 0, err
			}
		}
	}
	return idx, headerEnd, flush()
}

// recordCopier copies records of the report in to bw.
type recordCopier struct {
	in   io.ReaderAt
	size int64 // in's
	bw   *bufio.Writer
	buf  []byte

	cw   *csv.Writer // for the changed records
	rows []reportRow
}

// copyRecords copies the records at idx, in that order, those of changed lines changed.
func (rc *recordCopier) copyRecords(idx []recordAt, changes map[int]managerChange) error {
	var start, end int64 // the records that follow each other in the report, not copied yet
	for _, a := range idx {
		n := int64(a.n)
		if c, ok := changes[int(a.line)]; ok && a.line != noLine {
			if err := rc.copyRange(start, end-start); err != nil {
				return err
			}
			start, end = 0, 0
			if err := rc.rewrite(a, c); err != nil {
				return err
			}
			continue
		}
		if a.off == end && end > start {
			end += n
			continue
		}
		if err := rc.copyRange(start, end-start); err != nil {
			return err
		}
		start, end = a.off, a.off+n
	}
	return rc.copyRange(start, end-start)
}

// copyRange copies n bytes of the report from off, and a line break after the last record
// if the report had none.
func (rc *recordCopier) copyRange(off, n int64) error {
	last := off+n == rc.size
	for n > 0 {
		k := min(n, int64(len(rc.buf)))
		if _, err := rc.in.ReadAt(rc.buf[:k], off); err != nil {
			return err
		}
		if _, err := rc.bw.Write(rc.buf[:k]); err != nil {
			return err
		}
		off, n = off+k, n-k
		if last && n == 0 && rc.buf[k-1] != '\n' {
			return rc.bw.WriteByte('\n')
		}
	}
	return nil
}

// rewrite writes the record at a with the managers pass's change c applied.
func (rc *recordCopier) rewrite(a recordAt, c managerChange) error {
	b := make([]byte, a.n)
	if _, err := rc.in.ReadAt(b, a.off); err != nil {
		return err
	}
	rec, err := csv.NewReader(bytes.NewReader(b)).Read()
	if err != nil {
		return err
	}
	if err := decodeRows([][]string{rec}, &rc.rows); err != nil {
		return err
	}
	c.apply(&rc.rows[0])
	if rc.cw == nil {
		rc.cw = csv.NewWriter(rc.bw)
	}
	if err := rc.cw.Write(rc.rows[0].appendRecord(rec[:0])); err != nil {
		return err
	}
	rc.cw.Flush() // into bw, before the next record copied
	return rc.cw.Error()
}
