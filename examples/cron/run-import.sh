#!/bin/sh
# run-import.sh: one scheduled import with user-provisioning, its exit code turned into an
# alert. user-provisioning.cron runs it each night under flock.
#
# Usage: run-import.sh FILE.csv [FLAG...]
#
# FLAGs go to the tool as they are, e.g. after a run that failed part-way, as the user the job
# runs as and under the job's lock:
#   flock -n /var/lib/user-provisioning/import.lock \
#     run-import.sh /srv/hr/support-agents.csv --resume REPORT
#
# Settings, from the environment (the defaults match user-provisioning.cron):
#   UP_BIN             the tool (default: user-provisioning, found on PATH)
#   UP_ENV_FILE        the credentials file, as .env.example; owned by the user the job runs
#                      as, mode 0600 (default: /etc/user-provisioning/env)
#   UP_REPORT_DIR      where the dated reports and logs go; mode 0700
#                      (default: /var/lib/user-provisioning/reports)
#   UP_SCOPE_DIVISION  the division whose users the file must name (default: Support)
#
# Each night writes UP_REPORT_DIR/NAME.YYYY-MM-DD.results.csv (NAME: the file's name without
# .csv) and appends the tool's JSON log to UP_REPORT_DIR/NAME.YYYY-MM-DD.log. The script exits
# with the tool's own exit code.
set -eu

UP_BIN=${UP_BIN:-user-provisioning}
UP_ENV_FILE=${UP_ENV_FILE:-/etc/user-provisioning/env}
UP_REPORT_DIR=${UP_REPORT_DIR:-/var/lib/user-provisioning/reports}
UP_SCOPE_DIVISION=${UP_SCOPE_DIVISION:-Support}

# alert LEVEL MESSAGE, LEVEL warning or error. Replace the body with your pager, chat or
# ticket hook. By default: syslog (journalctl -t user-provisioning), and stderr, which cron
# mails to MAILTO.
alert() {
	case $1 in
	warning) priority=user.warning ;;
	*) priority=user.err ;;
	esac
	printf 'user-provisioning: %s: %s\n' "$1" "$2" >&2
	logger -t user-provisioning -p "$priority" -- "$1: $2" || : # no syslog: stderr only
}

if [ $# -lt 1 ]; then
	echo "usage: $0 FILE.csv [FLAG...]" >&2
	exit 2
fi
csv=$1
shift
name=$(basename "$csv" .csv)
day=$(date +%F)
report=$UP_REPORT_DIR/$name.$day.results.csv
log=$UP_REPORT_DIR/$name.$day.log
umask 077

code=0
"$UP_BIN" --env-file "$UP_ENV_FILE" \
	--memberships replace --deactivate-missing --scope-division "$UP_SCOPE_DIVISION" \
	--log-format json --report "$report" "$@" "$csv" 2>>"$log" || code=$?

# The exit codes are README's "Exit codes"; examples_test.go checks that each has its line.
case $code in
0) ;;
1) alert warning "some rows of $csv failed or were invalid (with an invalid row, nothing was written): see the report $report" ;;
2) alert error "nothing ran for $csv (configuration, usage, the file, a missing permission, --max-deactivate, or another run holding the report): see the log $log" ;;
3) alert error "credentials rejected, or a SAML2 token ran out, for $csv: fix the credentials in $UP_ENV_FILE (or get a fresh assertion) and re-run it with --resume $report; see the log $log" ;;
4) alert error "the import of $csv failed part-way: re-run it with --resume $report; see the log $log" ;;
130) alert warning "the import of $csv was interrupted: run it again with --resume $report" ;;
*) alert error "the import of $csv ended with the unexpected exit code $code: see the log $log" ;;
esac
exit "$code"
