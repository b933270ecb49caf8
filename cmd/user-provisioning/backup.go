package main

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/user-provisioning/user-provisioning/provision"
)

// backup writes to path, in the export format, every existing user the run of opts will
// change, before it changes anything: it plans the run (a dry run, whose report goes to a
// temporary file next to path), takes the users the plan updates, restores or deactivates,
// and exports them. The file is complete and synced before backup returns. It returns how
// many users it saved.
func backup(ctx context.Context, svc provision.Services, opts provision.Options, path string) (int, error) {
	plan, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".plan-*.csv")
	if err != nil {
		return 0, err
	}
	_ = plan.Close()
	defer os.Remove(plan.Name())
	defer os.Remove(plan.Name() + ".lock") // the dry run's report lock (provision.LockReport)
	dry := opts
	dry.DryRun, dry.ReportPath, dry.Progress, dry.Stop = true, plan.Name(), nil, nil
	if _, err := provision.Run(ctx, svc, dry); err != nil {
		return 0, err
	}
	ids, err := changedUsers(plan.Name())
	if err != nil {
		return 0, err
	}
	res, err := writeExport(ctx, path, nil, func(w io.Writer) (provision.ExportResult, error) {
		return provision.Export(ctx, svc, provision.ExportOptions{UserIDs: ids}, w)
	})
	return res.Users, err
}

// changedUsers reads a dry run's report: the ids of the users it plans to update, restore or
// deactivate. New users are not there: they have nothing to go back to.
func changedUsers(report string) ([]string, error) {
	f, err := os.Open(report)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, errors.Join(errors.New("read the plan"), err)
	}
	col := func(name string) int { return slices.Index(recs[0], name) }
	action, status, id := col("action"), col("status"), col("user_id")
	ids := []string{}
	for _, r := range recs[1:] {
		if r[status] == string(provision.StatusPlanned) && r[id] != "" && !slices.Contains(ids, r[id]) &&
			slices.Contains([]string{"update", "restore", "deactivate"}, r[action]) {
			ids = append(ids, r[id])
		}
	}
	return ids, nil
}
