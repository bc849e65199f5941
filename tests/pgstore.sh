#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pgstore.sh: the PostgreSQL store (src/pgstore.c) against a private cluster
# (tests/pg-lib.sh): tests/unit/pgstore_test prints the TAP, on a database
# of its own; skipped where PostgreSQL's server programs are not installed.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/pg-lib.sh"

pg_start
pg_createdb tlslogd_store
# A database whose text cannot hold what a log may say, to be refused.
"$pg_bindir/createdb" -h "$pg_dir" -U tlslogd -E LATIN1 --locale=C -T template0 tlslogd_latin1 ||
	pg_bail "createdb -E LATIN1 failed" "$pg_dir/server.log"
TLSLOGD_PG_URI=$pg_uri TLSLOGD_PG_URI_LATIN1="postgresql://tlslogd@/tlslogd_latin1?host=$pg_dir" \
    "$(dirname "$TLSLOGD")/tests/unit/pgstore_test"
status=$?
if [ "$status" -gt 1 ]; then
	echo "Bail out! pgstore_test exited $status"
	sed 's/^/# /' "$pg_dir/server.log" | tail -n 20
fi
exit "$status"
