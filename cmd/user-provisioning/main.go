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
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, sigs))
}
