// Command gencsv writes a CSV of generated users for benchmarks:
//
//	gencsv -rows 1000000 -profile typical > users.csv
//
// Profiles: guide (the starting guide's columns, no phone), typical (role, group, queue and
// three skills, the profile BENCHMARKS.md measures), placed (typical, plus a location and the
// employer fields: the export benchmark's).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
)

func main() {
	rows := flag.Int("rows", 1000, "rows to write")
	profile := flag.String("profile", "typical", "guide, typical or placed")
	prefix := flag.String("prefix", "bench", "email prefix, so that runs do not collide")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	switch *profile {
	case "guide":
		fmt.Fprintln(w, "NAME,EMAIL,PASSWORD,GROUP,ROLE,SITENAME,PHONEBASE")
		for i := range *rows {
			fmt.Fprintf(w, "Bench User %d,%s.%d@example.com,Welcome2024!,Annuities,Communicate - User,,\n", i, *prefix, i)
		}
	case "typical":
		fmt.Fprintln(w, "name,email,password,roles,groups,queues,skills")
		for i := range *rows {
			fmt.Fprintf(w, "Bench User %d,%s.%d@example.com,Welcome2024!,Agent,Annuities,Billing,\"Billing:3,Escalations:2,Retention Offers:1\"\n", i, *prefix, i)
		}
	case "placed":
		fmt.Fprintln(w, "name,email,password,roles,groups,queues,skills,location_work,employee_id,employee_type,hire_date")
		for i := range *rows {
			fmt.Fprintf(w, "Bench User %d,%s.%d@example.com,Welcome2024!,Agent,Annuities,Billing,\"Billing:3,Escalations:2,Retention Offers:1\",Remote,E%06d,Full-time,2024-01-08\n", i, *prefix, i, i)
		}
	default:
		fmt.Fprintf(os.Stderr, "gencsv: unknown profile %q\n", *profile)
		os.Exit(2)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "gencsv: %v\n", err)
		os.Exit(1)
	}
}
