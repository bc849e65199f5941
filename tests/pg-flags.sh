#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pg-flags.sh: flags and actions across a fleet of daemons writing one
# PostgreSQL database (issue 18), against a private cluster (tests/pg-lib.sh):
# tests/unit/pgflag_test prints the TAP, on a database of its own; skipped
# where PostgreSQL's server programs are not installed.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/pg-lib.sh"

pg_start
pg_createdb tlslogd_flags
TLSLOGD_PG_URI=$pg_uri "$(dirname "$TLSLOGD")/tests/unit/pgflag_test"
status=$?
if [ "$status" -gt 1 ]; then
	echo "Bail out! pgflag_test exited $status"
	sed 's/^/# /' "$pg_dir/server.log" | tail -n 20
fi
exit "$status"
