#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pg-fleet-flags.sh: three `tlslogd run` daemons, mx1 to mx3, writing one
# PostgreSQL database (issue 18): a peer failing once on each is flagged
# once, by the daemon whose event crossed the threshold, and the flag's
# action runs once for the fleet (ran_by), not once per host; a scan of a
# fourth server counts into that flag. A daemon alone on the database flags
# a generated log of many peers exactly as it does on SQLite, though on
# PostgreSQL it looks at a transaction's events together (flag.h). On a
# private cluster (tests/pg-lib.sh); skipped where PostgreSQL is not installed.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"
. "$TLSLOGD_SRCDIR/tests/pg-lib.sh"

pg_start
pg_createdb many
many_uri=$pg_uri
pg_createdb fleet

pg_sql() {
	"$pg_bindir/psql" -X -q -At -d "$pg_uri" -c "$1"
}

# auth_line HOST IP: a Postfix password failure of IP logged by HOST, now.
auth_line() {
	printf '%s %s postfix/smtpd[%d]: warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" "$1" "$$" "$2"
}

cat >act.sh <<-EOF2
	#!/bin/sh
	echo "\$*" >>"$PWD/actions.out"
	EOF2
chmod +x act.sh
printf 'database %s\nflag brute auth_failed 3 10m\naction_flag %s %%ip%% %%event%%\n' \
    "$pg_uri" "$PWD/act.sh" >fleet.conf

test_expect_success 'three daemons, one failure each: one flag, raised by the third, one action' '
	pids= &&
	for mx in mx1 mx2 mx3; do
		: >$mx.log &&
		daemon_start $mx.err -c fleet.conf --patterns "$TLSLOGD_PATTERNS" --server $mx \
		    --follow "$PWD/$mx.log" &&
		pids="$pids $daemon_pid" &&
		wait_for "grep -c \"following 1 source\" $mx.err" 1 30 || exit 1
	done
	n=0 &&
	for mx in mx1 mx2 mx3; do
		auth_line $mx 198.51.100.7 >>$mx.log &&
		n=$((n + 1)) &&
		wait_for "pg_sql \"SELECT count(*) FROM events\"" $n 30 || exit 1
	done
	wait_for "pg_sql \"SELECT count(*) FROM flag_actions WHERE done IS NOT NULL\"" 1 60 &&
	test "$(pg_sql "SELECT peer, count, raised_by FROM flags")" = "198.51.100.7|3|mx3" &&
	test "$(pg_sql "SELECT count(*) FROM flag_actions WHERE attempts = 1 AND ran_by IN
	    ('"'"'mx1'"'"', '"'"'mx2'"'"', '"'"'mx3'"'"')")" = 1 &&
	test "$(cat actions.out)" = "198.51.100.7 flagged" &&
	grep "flagged 198.51.100.7" mx3.err &&
	! grep "flagged 198.51.100.7" mx1.err mx2.err
'

test_expect_success 'the others count their events into it; a scan of a fourth server too' '
	auth_line mx1 198.51.100.7 >>mx1.log &&
	wait_for "pg_sql \"SELECT count FROM flags\"" 4 30 &&
	auth_line mx4 198.51.100.7 >mx4.log &&
	tlslogd scan -q -c fleet.conf --patterns "$TLSLOGD_PATTERNS" --server mx4 mx4.log &&
	test "$(pg_sql "SELECT count(*), max(count) FROM flags")" = "1|5" &&
	test "$(pg_sql "SELECT count(*) FROM flag_actions")" = 1 &&
	test "$(wc -l <actions.out)" = 1
'

test_expect_success 'alone on the database, as on SQLite: the same flags, counts and times' '
	python3 "$TLSLOGD_SRCDIR/contrib/bench/genlog" --lines 60000 --rate 0.2 --seed 4 >many.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$many_uri" many.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db many.db many.log &&
	q="SELECT peer, threshold, first_event, last_event, count, flagged, coalesce(cleared, 0)
	    FROM flags ORDER BY 1, 2, 3" &&
	"$pg_bindir/psql" -X -q -At -d "$many_uri" -c "$q" >pg.flags &&
	sql many.db "$q" >sqlite.flags &&
	test "$(wc -l <sqlite.flags)" -gt 100 &&
	test_cmp sqlite.flags pg.flags
'

test_done
