// Command user-provisioning creates and updates Genesys Cloud users from a CSV file.
//
//	user-provisioning [flags] FILE.csv
//
// Credentials come from the environment or a .env file; see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
