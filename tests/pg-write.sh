#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pg-write.sh: `tlslogd scan`, `run` and `purge` writing to PostgreSQL (a
# postgresql:// URI as --db), on a private cluster (tests/pg-lib.sh),
# with the promises of SQLite: the same events and successes stored from
# the same logs, each once across re-reads, kill -9 and rotation, positions
# per server, one daemon per server, a lost connection survived, retention
# in batches, and clear errors. Skipped where PostgreSQL is not installed.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"
. "$TLSLOGD_SRCDIR/tests/pg-lib.sh"

pg_start

# pg_sql URI QUERY: the rows, fields separated by a unit separator (raw lines may hold "|").
us=$(printf '\037')
pg_sql() {
	"$pg_bindir/psql" -X -q -At -F "$us" -d "$1" -c "$2"
}
sqlite_rows() {
	sqlite3 -batch -noheader -separator "$us" "$1" "$2"
}

# Every column of an event but its ids, and every column of peer_days, in one order.
event_cols="time, server, mta, program, pid, direction, kind, peer_host, peer_ip, peer_port, \
helo, \"user\", mech, reason, tls_version, cipher, queue_id, \"offset\", raw, peer_domain, \
downgraded, recipient_domain, helo_domain"
days_cols="peer, day, direction, server, mta, host, first_time, last_time, last_version, clear, \
ssl3, tls10, tls11, tls12, tls13, tls_other, aead, cbc, des3, rc4, cipher_other, messages, logins"

logs="$corpus/real/*.log"
"$TLSLOGD_SRCDIR/contrib/bench/genlog" --lines 20000 --rate 0.2 --seed 3 >gen.log ||
	echo "Bail out! genlog failed"

pg_createdb same
test_expect_success 'scan stores in PostgreSQL the same events and successes as in SQLite' '
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$pg_uri" $logs gen.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db lite.db $logs gen.log &&
	pg_sql "$pg_uri" "SELECT $event_cols FROM events" | sort >pg.events &&
	sqlite_rows lite.db "SELECT $event_cols FROM events" | sort >lite.events &&
	test "$(wc -l <lite.events)" -gt 1000 &&
	test_cmp lite.events pg.events &&
	pg_sql "$pg_uri" "SELECT $days_cols FROM peer_days" | sort >pg.days &&
	sqlite_rows lite.db "SELECT $days_cols FROM peer_days" | sort >lite.days &&
	test "$(wc -l <lite.days)" -gt 100 &&
	test_cmp lite.days pg.days
'

test_expect_success 'a second scan stores nothing new and counts no success again' '
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$pg_uri" $logs gen.log >again.out &&
	grep "^0 new events stored in postgresql://tlslogd@/same" again.out &&
	pg_sql "$pg_uri" "SELECT $days_cols FROM peer_days" | sort >pg.days2 &&
	test_cmp lite.days pg.days2 &&
	test "$(pg_sql "$pg_uri" "SELECT count(*) FROM events")" = \
	    "$(sqlite_rows lite.db "SELECT count(*) FROM events")"
'

pg_createdb killed
test_expect_success 'scans killed by SIGKILL and run again store each event and success once' '
	"$TLSLOGD_SRCDIR/contrib/bench/genlog" --lines 200000 --rate 0.05 --seed 8 >big.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db ref.db big.log &&
	kills=0 &&
	for delay in 0.3 0.5 0.8 1.2; do
		"$TLSLOGD" scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$pg_uri" big.log & pid=$! &&
		sleep $delay && kill -9 $pid 2>/dev/null && kills=$((kills + 1))
		wait $pid
	done
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$pg_uri" big.log &&
	echo "$kills scans killed" &&
	pg_sql "$pg_uri" "SELECT kind, peer_ip, \"offset\" FROM events" | sort >k.pg &&
	sqlite_rows ref.db "SELECT kind, peer_ip, \"offset\" FROM events" | sort >k.ref &&
	test_cmp k.ref k.pg &&
	pg_sql "$pg_uri" "SELECT $days_cols FROM peer_days" | sort >k.days.pg &&
	sqlite_rows ref.db "SELECT $days_cols FROM peer_days" | sort >k.days.ref &&
	test_cmp k.days.ref k.days.pg
'

pg_createdb rotate
test_expect_success 'the daemon killed while its log rotates: each event and success once' '
	(cd "$TLSLOGD_SRCDIR" && python3 tests/torture/kill-rotate.py "$TLSLOGD" \
	    "$TLSLOGD_PATTERNS" "$test_scratch/kill-rotate" "$pg_uri")
'

pg_createdb servers
test_expect_success 'two servers reading logs of the same path keep positions of their own' '
	cp "$corpus/real/postfix-3.7.11.log" mail.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx1 --db "$pg_uri" mail.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx2 --db "$pg_uri" mail.log &&
	size=$(wc -c <mail.log) &&
	pg_sql "$pg_uri" "SELECT server, \"offset\" FROM files ORDER BY server" >pos &&
	printf "mx1${us}%s\nmx2${us}%s\n" "$size" "$size" >pos.want &&
	test_cmp pos.want pos &&
	n=$(pg_sql "$pg_uri" "SELECT count(*) FROM events") &&
	test "$n" -gt 0 &&
	test "$(pg_sql "$pg_uri" "SELECT count(DISTINCT file_id) FROM events")" = 2 &&
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx1 --db "$pg_uri" mail.log >mx1.again &&
	grep "^0 new events" mx1.again &&
	test "$(pg_sql "$pg_uri" "SELECT count(*) FROM events")" = "$n"
'

pg_createdb daemons
test_expect_success 'one daemon per server: a second one for the same server exits 3' '
	: >d.log &&
	daemon_start d1.err -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx1 --db "$pg_uri" --follow d.log &&
	first=$daemon_pid &&
	wait_for "grep -c \"following 1 source\" d1.err" 1 30 &&
	test_exit_code 3 "$TLSLOGD" run -d -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx1 --db "$pg_uri" \
	    --follow d.log 2>d2.err &&
	grep "in use by another tlslogd run for server mx1" d2.err &&
	daemon_start d3.err -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx2 --db "$pg_uri" --follow d.log &&
	wait_for "grep -c \"following 1 source\" d3.err" 1 30 &&
	daemon_stop &&
	kill -9 $first && wait $first
	daemon_start d4.err -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx1 --db "$pg_uri" --follow d.log &&
	wait_for "grep -c \"following 1 source\" d4.err" 1 30 &&
	daemon_stop
'

pg_createdb restart
test_expect_success 'the database server restarts under a daemon: it connects again, nothing lost or doubled' '
	: >live.log &&
	daemon_start r.err -c /dev/null --patterns "$TLSLOGD_PATTERNS" --server mx1 --db "$pg_uri" --follow live.log &&
	wait_for "grep -c \"following 1 source\" r.err" 1 30 &&
	head -n 3000 gen.log >>live.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db part1.db live.log &&
	want1=$(sqlite_rows part1.db "SELECT count(*) FROM events") &&
	wait_for "pg_sql \"\$pg_uri\" \"SELECT count(*) FROM events\"" "$want1" 60 &&
	pg_as "$pg_bindir/pg_ctl" -D "$pg_dir/data" -m fast -w restart >/dev/null &&
	tail -n +3001 gen.log >>live.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db all.db live.log &&
	want=$(sqlite_rows all.db "SELECT count(*) FROM events") &&
	test "$want" -gt "$want1" &&
	wait_for "pg_sql \"\$pg_uri\" \"SELECT count(*) FROM events\"" "$want" 60 &&
	grep "connected again" r.err &&
	daemon_stop &&
	pg_sql "$pg_uri" "SELECT kind, peer_ip, \"offset\" FROM events" | sort >r.pg &&
	sqlite_rows all.db "SELECT kind, peer_ip, \"offset\" FROM events" | sort >r.ref &&
	test_cmp r.ref r.pg
'

pg_createdb purge
test_expect_success 'purge on PostgreSQL deletes old events and peer days in batches' '
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$pg_uri" gen.log &&
	n=$(pg_sql "$pg_uri" "SELECT count(*) FROM events") &&
	test "$n" -gt 600 &&
	now=$(date +%s) &&
	pg_sql "$pg_uri" "UPDATE events SET time = $now - 30 * 86400 WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 600)" &&
	pg_sql "$pg_uri" "UPDATE peer_days SET day = day - 40" &&
	tlslogd purge -c /dev/null --db "$pg_uri" --days 20 >purge.out &&
	grep "^600 events deleted from postgresql://" purge.out &&
	grep "days of peer successes" purge.out &&
	test "$(pg_sql "$pg_uri" "SELECT count(*) FROM events")" = $((n - 600)) &&
	test "$(pg_sql "$pg_uri" "SELECT count(*) FROM peer_days")" = 0
'

test_expect_success 'a size cap is refused on PostgreSQL, saying why' '
	test_exit_code 1 "$TLSLOGD" purge -c /dev/null --db "$pg_uri" --max-size 10M 2>cap.err &&
	grep "max_database_size, purge --max-size) is for SQLite" cap.err &&
	printf "database %s\nmax_database_size 100M\n" "$pg_uri" >cap.conf &&
	: >c.log &&
	test_exit_code 2 "$TLSLOGD" run -d -c cap.conf --patterns "$TLSLOGD_PATTERNS" --follow c.log 2>cap2.err &&
	grep "cap.conf: max_database_size is for an SQLite database" cap2.err
'

test_expect_success 'a database that cannot be reached fails clearly, its password masked' '
	test_exit_code 1 "$TLSLOGD" scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" \
	    --db "postgresql://tlslogd:s3cret@/no_such_db?host=$pg_dir" gen.log 2>nodb.err &&
	grep "no_such_db" nodb.err && grep "does not exist" nodb.err &&
	! grep s3cret nodb.err &&
	test_exit_code 1 "$TLSLOGD" scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" \
	    --db "postgresql:///x?host=$test_scratch/nowhere&password=s3cret" gen.log 2>nohost.err &&
	grep "cannot connect" nohost.err && ! grep s3cret nohost.err &&
	printf "database postgresql://tlslogd:s3cret@/x?host=%s\n" "$pg_dir" >pw.conf &&
	"$TLSLOGD" run -n -c pw.conf --patterns "$TLSLOGD_PATTERNS" --follow c.log >n.out &&
	grep "database postgresql://tlslogd:\*\*\*@/x" n.out && ! grep s3cret n.out
'

test_done
