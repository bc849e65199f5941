# SPDX-License-Identifier: BSD-2-Clause
# lib.sh: the shell tests' harness, in the spirit of git's test-lib: each test
# runs in its own scratch folder and prints TAP.
#
#   . "$TLSLOGD_SRCDIR/tests/lib.sh"
#   test_expect_success 'what it checks' '
#       tlslogd scan --db t.db some.log &&
#       test_cmp expected actual
#   '
#   test_done
#
# Environment (set by make check): TLSLOGD (the binary), TLSLOGD_PATTERNS (the
# shipped rules), TLSLOGD_SRCDIR (the source tree). Run one by hand with
#   TLSLOGD=_build/tlslogd TLSLOGD_PATTERNS=patterns TLSLOGD_SRCDIR=. sh tests/x.sh
#
# TLSLOGD_TEST_ENGINE=postgresql runs the same test on PostgreSQL: a private
# cluster for the script (tests/pg-lib.sh; the script is skipped without
# PostgreSQL's server programs), every database the test names (--db NAME.db,
# "database NAME.db" in a configuration, sql NAME.db) one of its own there
# (tests/pg-engine.sh). A case that is SQLite's alone says so:
#   only_on sqlite "why"      # before test_expect_success (or follow_test)
#   test_engine_is sqlite     # within a test

: "${TLSLOGD:?TLSLOGD must name the tlslogd binary}"
: "${TLSLOGD_PATTERNS:?TLSLOGD_PATTERNS must name the rules folder}"
: "${TLSLOGD_SRCDIR:?TLSLOGD_SRCDIR must name the source tree}"

TZ=UTC
LC_ALL=C
export TZ LC_ALL
unset COLUMNS

test_count=0
test_failed=0
test_scratch=$(mktemp -d "${TMPDIR:-/tmp}/tlslogd-test.XXXXXX") || exit 99
# Daemons started with daemon_start are killed when the script ends, whatever
# happened (a harness that adds to it, like tests/pg-lib.sh, calls test_cleanup last).
test_cleanup() {
	if [ -f "$test_scratch/.daemons" ]; then kill $(cat "$test_scratch/.daemons") 2>/dev/null; fi
	chmod -R u+rwx "$test_scratch" 2>/dev/null; rm -rf "$test_scratch"
}
trap test_cleanup EXIT
cd "$test_scratch" || exit 99

# tlslogd with the shipped rules and no system configuration.
tlslogd() {
	"$TLSLOGD" "$@"
}

samples="$TLSLOGD_SRCDIR/contrib/samples"
corpus="$TLSLOGD_SRCDIR/tests/corpus"

test_expect_success() {
	if [ -n "$test_skip_next" ]; then
		test_skip "$1" "$test_skip_next"
		test_skip_next=
		return 0
	fi
	test_count=$((test_count + 1))
	if (eval "$2") >"out.$test_count" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "out.$test_count"
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_cmp EXPECTED ACTUAL: equal files, or a diff on failure.
test_cmp() {
	diff -u "$1" "$2"
}

# test_must_fail CMD...: CMD exits non-zero without crashing (no signal).
test_must_fail() {
	"$@"
	status=$?
	if [ "$status" -eq 0 ]; then
		echo "expected failure, got success: $*"
		return 1
	fi
	if [ "$status" -gt 128 ]; then
		echo "killed by signal $((status - 128)): $*"
		return 1
	fi
	return 0
}

# test_exit_code N CMD...: CMD exits exactly N.
test_exit_code() {
	want=$1
	shift
	"$@"
	status=$?
	if [ "$status" -ne "$want" ]; then
		echo "exit $status, expected $want: $*"
		return 1
	fi
	return 0
}

# daemon_start ERRFILE ARGS...: "tlslogd run -d ARGS" in the background, its
# messages in ERRFILE; sets daemon_pid (the daemon's own pid, not a subshell's).
daemon_start() {
	errfile=$1
	shift
	"$TLSLOGD" run -d "$@" 2>"$errfile" &
	daemon_pid=$!
	echo "$daemon_pid" >>"$test_scratch/.daemons"
}

# daemon_stop: SIGTERM, wait, and return the daemon's exit status.
daemon_stop() {
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid"
}

# sql DB QUERY: one query through the sqlite3 shell, or Python's sqlite3 if absent.
# The schema version of the newest migration in sql/ (PRAGMA user_version after a scan).
schema_latest() {
	ls "$TLSLOGD_SRCDIR"/sql/[0-9]*.sql | sed -n '$s|.*/0*\([0-9][0-9]*\)-[^/]*$|\1|p'
}

sql() {
	if test_engine_is postgresql; then
		pg_engine_sql "$1" "$2"
	elif command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 -batch -noheader "$1" "$2"
	else
		python3 -c 'import sqlite3,sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join("" if v is None else str(v) for v in r))' "$1" "$2"
	fi
}

# only_on ENGINE WHY: the next test runs on ENGINE alone; on another it is
# skipped, saying WHY (a SQLite file's locks, permissions, PRAGMAs).
test_skip_next=
only_on() {
	test_engine_is "$1" || test_skip_next="$1 only: $2"
}

# test_engine_is ENGINE: the tests run on ENGINE (sqlite or postgresql).
test_engine_is() {
	[ "$test_engine" = "$1" ]
}

# test_db PATH: what to give tlslogd for PATH's database in a configuration
# that tlslogd reads again (SIGHUP) after a copy of it was made: PATH on
# SQLite, on PostgreSQL the URI of PATH's database (made if need be).
test_db() {
	if test_engine_is postgresql && pg_engine_db "$1" write; then
		return 0
	fi
	echo "$1"
}

# test_db_name PATH: the name tlslogd gives PATH's database in its messages
# (PATH itself on SQLite, the URI on PostgreSQL).
test_db_name() {
	if test_engine_is postgresql && pg_engine_db "$1" read; then
		return 0
	fi
	echo "$1"
}

test_done() {
	echo "1..$test_count"
	if [ "$test_failed" -gt 0 ]; then
		exit 1
	fi
	exit 0
}

test_engine=${TLSLOGD_TEST_ENGINE:-sqlite}
case $test_engine in
sqlite) ;;
postgresql)
	. "$TLSLOGD_SRCDIR/tests/pg-lib.sh"
	. "$TLSLOGD_SRCDIR/tests/pg-engine.sh"
	pg_start
	pg_engine_setup
	echo "# every database on PostgreSQL (TLSLOGD_TEST_ENGINE=postgresql), in $pg_dir"
	;;
*)
	echo "Bail out! TLSLOGD_TEST_ENGINE=$test_engine: sqlite or postgresql"
	exit 99
	;;
esac
