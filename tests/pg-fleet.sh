#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pg-fleet.sh: the fleet test of issue 18 (tests/torture/fleet.py): three
# daemons with different server names write one PostgreSQL database at once
# while their logs rotate and they are killed; 0 events lost, 0 stored twice,
# the successes counted once, and one flag (with its action) for a partner
# failing once on each of them. On a private cluster (tests/pg-lib.sh);
# skipped where PostgreSQL is not installed.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/pg-lib.sh"

pg_start
pg_createdb fleet
PATH="$pg_bindir:$PATH"
export PATH

test_expect_success 'three daemons, one database: nothing lost or doubled, one flag for the fleet' '
	(cd "$TLSLOGD_SRCDIR" && python3 tests/torture/fleet.py "$TLSLOGD" "$TLSLOGD_PATTERNS" \
	    "$test_scratch/fleet" "$pg_uri")
'

test_done
