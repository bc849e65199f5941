# SPDX-License-Identifier: BSD-2-Clause
# pg-engine-run.sh SHELL TEST.pgtest: make check's runner of the .pgtest
# tests (Makefile.am, PGTEST_LOG_COMPILER): the shell test that TEST.pgtest
# names, run on PostgreSQL (TLSLOGD_TEST_ENGINE=postgresql, tests/lib.sh),
# so that the run counts in the totals apart from the test's SQLite run.
# Skipped (TAP "1..0 # SKIP") without PostgreSQL's server programs.
script=$(sed -n '/^[^#]/{p;q;}' "$2")
[ -f "$TLSLOGD_SRCDIR/$script" ] || {
	echo "Bail out! $2 names no test (\"$script\")"
	exit 99
}
TLSLOGD_TEST_ENGINE=postgresql
export TLSLOGD_TEST_ENGINE
exec "$1" "$TLSLOGD_SRCDIR/$script"
