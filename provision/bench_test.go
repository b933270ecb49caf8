package provision

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// BenchmarkOfflinePipeline measures pass 1 without the org: read, parse and check every
// row, and the duplicate-email check, on the typical profile.
func BenchmarkOfflinePipeline(b *testing.B) {
	const rows = 10000
	var buf bytes.Buffer
	buf.WriteString("name,email,password,roles,groups,queues,skills\n")
	for i := range rows {
		fmt.Fprintf(&buf, "Bench User %d,bench.%d@example.com,Welcome2024!,Agent,Annuities,Billing,\"Billing:3,Escalations:2,Retention Offers:1\"\n", i, i)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := newCSVReader(bytes.NewReader(data), "bench.csv")
		if err != nil {
			b.Fatal(err)
		}
		seen := newSeen()
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if _, errs := r.Check(row); len(errs) > 0 {
				b.Fatal(errs)
			}
			seen.Add(row.Email, row.Line)
			n++
		}
		if n != rows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
