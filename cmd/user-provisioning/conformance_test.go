package main

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/user-provisioning/user-provisioning/proxies/gcsim"
	"github.com/user-provisioning/user-provisioning/proxies/gcsim/spec"
)

// TestConformance runs the program's main scenarios against the simulator behind a
// spec.Validator, and fails on any request or answer that swagger.json does not allow.
func TestConformance(t *testing.T) {
	t.Parallel()
	chk, err := spec.Default()
	if err != nil {
		t.Fatalf("load swagger.json: %v", err)
	}
	t.Logf("swagger.json cut down to %d operations in %s", chk.Stats().Operations, chk.Stats().Took)

	// The scenarios run one after another: the test runs beside the package's other
	// parallel tests, some of which time real processes.
	var validators []*spec.Validator
	for _, sc := range conformanceScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			var v *spec.Validator
			e := newEnv(t, gcsim.Options{}, func(h http.Handler) http.Handler {
				v = chk.Wrap(h)
				return v
			})
			sc.run(t, e)
			spec.Report(t, v.Violations())
			validators = append(validators, v)
		})
	}
	t.Log(chk.Coverage(validators...))
}

// conformanceScenario is one of TestConformance's scenarios: run drives the program
// against e, whose traffic is checked against swagger.json.
type conformanceScenario struct {
	name string
	run  func(t *testing.T, e *harness)
}

// conformanceScenarios returns the program's main scenarios that TestConformance checks:
// the testdata files of every dialect, generated full rows, dry runs, restores, refused
// passwords, memberships replace and deactivation in a division or a group.
func conformanceScenarios() []conformanceScenario {
	testdata := func(name string) string { return filepath.Join("..", "..", "testdata", name) }
	return []conformanceScenario{
		{"full dialect file, then again", func(t *testing.T, e *harness) {
			e.mustRun(0, "--send-invite", "--report", e.report("one.csv"), testdata("full.csv"))
			e.mustRun(0, "--send-invite", "--report", e.report("two.csv"), testdata("full.csv"))
		}},
		{"generated full rows with managers later in the file", func(t *testing.T, e *harness) {
			in := filepath.Join(e.dir, "full20.csv")
			writeRows(t, in, fullHeader, fullRows(20))
			e.mustRun(0, "--send-invite", "--report", e.report("one.csv"), in)
		}},
		{"other dialects", func(t *testing.T, e *harness) {
			for _, name := range []string{"admin_ui.csv", "spreadsheet_semicolon.csv", "mixed.csv"} {
				e.mustRun(-1, "--skip-invalid", "--report", e.report(name), testdata(name))
			}
		}},
		{"starting guide sample with phones, then again", func(t *testing.T, e *harness) {
			src, err := os.ReadFile(testdata("userdata.csv"))
			if err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(e.dir, "userdata.csv")
			if err := os.WriteFile(in, src, 0o600); err != nil {
				t.Fatal(err)
			}
			e.mustRun(0, "--report", e.report("one.csv"), in)
			e.mustRun(0, "--report", e.report("two.csv"), in)
		}},
		{"dry run, then the run, of new, existing and deleted users", func(t *testing.T, e *harness) {
			in := e.file("plan.csv", append(users(3, "plan"),
				"Existing Agent,existing.agent@example.com,,Annuities,Communicate - User,My PCV Site,WebRTC_Base",
				"Existing Supervisor,existing.supervisor@example.com,,IRA,Agent:Sales,My PCV Site,WebRTC_Base",
				"Deleted User,deleted.user@example.com,,IRA,Agent,,")...)
			e.mustRun(0, "--dry-run", "--report", e.report("plan.results.csv"), in)
			e.mustRun(0, "--report", e.report("real.results.csv"), in)
		}},
		{"deleted user restored, refused password", func(t *testing.T, e *harness) {
			in := e.file("pw.csv",
				"Short Pw,short.pw@example.com,abc,Annuities,Communicate - User,My PCV Site,WebRTC_Base",
				"Gone User,deleted.user@example.com,"+password+",IRA,Communicate - User,,",
				"Fine User,fine@example.com,"+password+",IRA,Communicate - User,,",
			)
			e.mustRun(1, "--report", e.report("pw.results.csv"), in)
		}},
		{"upsert, then memberships replace", func(t *testing.T, e *harness) {
			in := filepath.Join(e.dir, "replace.csv")
			writeRows(t, in, fullHeader, [][]string{{
				"Rita Replace", "rita@example.com", "Welcome2024!", "+1 317 555 0100", "2100", "", "Agent", "Support", "existing.supervisor@example.com", "Remote", "Support",
				"Agent;Supervisor:Sales;Communicate - User", "Annuities;IRA;Brokerage", "Support Tier 1;Billing",
				"Billing:3;Escalations:2", "English:4;French:2", "2024-01-08", "E9", "Full-time", "", "My PCV Site", "WebRTC_Base",
			}})
			e.mustRun(0, "--report", e.report("one.csv"), in)
			writeRows(t, in, fullHeader, [][]string{{
				"Rita Replace", "rita@example.com", "", "+1 317 555 0199", "", "+1 317 555 0198", "Senior Agent", "", "", "Dublin Office", "Sales",
				"Agent", "IRA", "Billing", "Escalations:4", "English:4", "", "", "", "", "", "",
			}})
			e.mustRun(0, "--memberships", "replace", "--report", e.report("two.csv"), in)
			e.mustRun(0, "--memberships", "replace", "--report", e.report("three.csv"), in)
		}},
		{"deactivate missing in a division", func(t *testing.T, e *harness) {
			in := filepath.Join(e.dir, "sync.csv")
			all := staff(6, "div", nil)
			writeRows(t, in, fullHeader, all)
			e.mustRun(0, "--report", e.report("one.csv"), in)
			writeRows(t, in, fullHeader, all[:4])
			e.mustRun(0, "--dry-run", "--deactivate-missing", "--scope-division", "Support", "--max-deactivate", "10", "--report", e.report("plan.csv"), in)
			e.mustRun(0, "--deactivate-missing", "--scope-division", "Support", "--max-deactivate", "10", "--report", e.report("two.csv"), in)
		}},
		{"deactivate missing in a group", func(t *testing.T, e *harness) {
			in := filepath.Join(e.dir, "sync.csv")
			all := staff(6, "grp", nil)
			writeRows(t, in, fullHeader, all)
			e.mustRun(0, "--report", e.report("one.csv"), in)
			writeRows(t, in, fullHeader, all[:4])
			e.mustRun(0, "--dry-run", "--deactivate-missing", "--scope-group", "Annuities", "--max-deactivate", "10", "--report", e.report("plan.csv"), in)
			e.mustRun(0, "--deactivate-missing", "--scope-group", "Annuities", "--max-deactivate", "10", "--report", e.report("two.csv"), in)
		}},
	}
}

// mustRun runs the program and fails the test unless it exits with code (-1: any code).
func (e *harness) mustRun(code int, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if code >= 0 && r.code != code {
		e.t.Fatalf("%v: exit %d, want %d\n%s", args, r.code, code, r.stderr)
	}
	return r
}
