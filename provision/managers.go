package provision

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// managerChange is what the managers pass did to a row.
type managerChange struct {
	err     string // the manager could not be set
	updated bool   // the manager was set
	manager string // the manager's email
}

// setManagers is pass 3: it sets the managers who are only in the file, now that every
// row has run and both people exist. It streams the file again and keeps only the rows it
// changed, so memory does not grow with the file.
func (p *pipeline) setManagers(ctx context.Context, skip map[int]bool) (map[int]managerChange, error) {
	r, err := p.openCSV()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var mu sync.Mutex
	changes := map[int]managerChange{}
	ids := map[string]string{} // manager email → id; one entry per manager
	managerID := func(email string) (string, error) {
		mu.Lock()
		id, ok := ids[email]
		mu.Unlock()
		if ok {
			return id, nil
		}
		m, err := p.findSettled(ctx, email)
		if err != nil {
			return "", err
		}
		if m == nil || m.State == "deleted" {
			return "", fmt.Errorf("manager %s was not created", email)
		}
		mu.Lock()
		ids[email] = m.ID
		mu.Unlock()
		return m.ID, nil
	}
	jobs := make(chan Row)
	var wg sync.WaitGroup
	for range p.o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range jobs {
				change, ok := p.setManager(ctx, r, row, managerID)
				if ok {
					mu.Lock()
					changes[row.Line] = change
					mu.Unlock()
				}
			}
		}()
	}
	var readErr error
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isRecordError(err) {
				continue
			}
			readErr = err
			break
		}
		if skip[row.Line] || row.EmailManager == "" {
			continue
		}
		jobs <- row
	}
	close(jobs)
	wg.Wait()
	return changes, readErr
}

// setManager sets one row's manager if it is one of the file's own people; ok is false when
// the row needs no report change.
func (p *pipeline) setManager(ctx context.Context, r *CSVReader, row Row, managerID func(string) (string, error)) (managerChange, bool) {
	spec, errs := r.Check(row)
	if len(errs) > 0 || !p.fileManagers[spec.Manager] {
		return managerChange{}, false
	}
	fail := func(err error) (managerChange, bool) {
		return managerChange{err: "set manager: " + describe(err)}, true
	}
	mid, err := managerID(spec.Manager)
	if err != nil {
		return fail(err)
	}
	u, err := p.findSettled(ctx, row.Email)
	if err != nil {
		return fail(err)
	}
	if u == nil {
		return managerChange{}, false // the row failed before: its report says why
	}
	if u.ManagerID == mid {
		return managerChange{}, false
	}
	if err := p.svc.Users.Update(ctx, u.ID, u.Version, UserPatch{Manager: &mid}); err != nil {
		return fail(err)
	}
	return managerChange{updated: true, manager: spec.Manager}, true
}

// mergeReport applies the managers pass to the report, row by row, into a new file that
// replaces the old one, and counts the final rows.
func mergeReport(path string, changes map[int]managerChange) (Summary, error) {
	var sum Summary
	in, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer in.Close()
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return sum, err
	}
	defer os.Remove(tmp)
	cr := csv.NewReader(in)
	cw := csv.NewWriter(out)
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Close()
			return sum, err
		}
		if n > 0 && len(rec) >= len(reportHeader) {
			line, _ := strconv.Atoi(rec[0])
			switch c := changes[line]; {
			case c.err != "":
				rec[3] = string(StatusFailed)
				rec[5] = joinErrors(rec[5], c.err)
			case c.updated:
				if rec[2] == string(ActionNone) {
					rec[2] = string(ActionUpdate)
				}
				rec[7] = joinErrors(rec[7], "manager → "+c.manager)
			}
			sum.Add(Result{Line: line, Action: Action(rec[2]), Status: Status(rec[3])})
		}
		if err := cw.Write(rec); err != nil {
			out.Close()
			return sum, err
		}
	}
	cw.Flush()
	if err := errors.Join(cw.Error(), out.Sync(), out.Close()); err != nil {
		return sum, err
	}
	return sum, os.Rename(tmp, path)
}
