#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# stats-purge.sh: tlslogd stats (what the database holds, the daemon's
# per-source counters) and the retention: tlslogd purge by age and by size,
# the same function the daemon runs every minute.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

run_opts="-c /dev/null --patterns $TLSLOGD_PATTERNS"

# auth_lines N YEAR: N Postfix AUTH failures (one event each) dated in YEAR, ISO headers.
auth_lines() {
	python3 - "$1" "$2" <<-\PY
	import sys
	n, year = int(sys.argv[1]), int(sys.argv[2])
	for i in range(n):
	    print("%d-03-%02dT%02d:%02d:%02d+00:00 mx1 postfix/smtpd[%d]: warning: unknown[10.%d.%d.%d]: "
	          "SASL LOGIN authentication failed: UGFzc3dvcmQ6"
	          % (year, 1 + i // 86400 % 28, i // 3600 % 24, i // 60 % 60, i % 60, 100 + i % 900,
	             i >> 16 & 255, i >> 8 & 255, i & 255))
	PY
}

test_expect_success 'purge deletes the events older than the retention, and only those' '
	auth_lines 30 2020 >old.log &&
	auth_lines 20 2026 >new.log &&
	tlslogd scan -q $run_opts --db age.db old.log new.log &&
	test "$(sql age.db "SELECT count(*) FROM events")" = 50 &&
	tlslogd purge -c /dev/null --db age.db --days 1000 >out &&
	cat out &&
	grep "^30 events deleted" out &&
	test "$(sql age.db "SELECT count(*) FROM events")" = 20 &&
	test "$(sql age.db "SELECT count(*) FROM events WHERE time < 1767225600")" = 0
'

test_expect_success 'purge takes the retention from the configuration; forever keeps all' '
	tlslogd scan -q $run_opts --db conf.db old.log new.log &&
	printf "retention forever\n" >keep.conf &&
	tlslogd purge -c keep.conf --db conf.db >out &&
	grep "^0 events deleted" out &&
	printf "retention 1000d\n" >short.conf &&
	tlslogd purge -c short.conf --db conf.db >out &&
	grep "^30 events deleted" out
'

only_on sqlite "a size cap is for SQLite (refused on PostgreSQL: tests/pg-write.sh)"
test_expect_success 'purge by size deletes the oldest until the events fit' '
	auth_lines 20000 2025 >many.log &&
	tlslogd scan -q $run_opts --db size.db many.log &&
	before=$(sql size.db "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size") &&
	test "$before" -gt 2500000 &&
	oldest_kept=$(sql size.db "SELECT min(time) FROM events") &&
	tlslogd purge -c /dev/null --db size.db --days 0 --max-size 2M >out &&
	cat out &&
	after=$(sql size.db "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size") &&
	echo "in use: $before bytes before, $after after" &&
	test "$after" -le 2097152 &&
	test "$(sql size.db "SELECT min(time) > $oldest_kept FROM events")" = 1 &&
	test "$(sql size.db "SELECT max(time) FROM events")" = "$(sql size.db "SELECT max(time) FROM events")" &&
	test "$(sql size.db "SELECT count(*) FROM events")" -gt 0 &&
	test "$(sql size.db "PRAGMA auto_vacuum")" = 2
'

test_expect_success 'purge refuses bad arguments' '
	test_exit_code 2 tlslogd purge -c /dev/null --db x.db --days -3 &&
	test_exit_code 2 tlslogd purge -c /dev/null --db x.db --max-size 12Q
'

test_expect_success 'stats: size, events per kind, first and last, as text and JSON' '
	tlslogd scan -q $run_opts --db st.db "$samples/mixed.log" &&
	tlslogd stats -c /dev/null --db st.db >out &&
	cat out &&
	total=$(sql st.db "SELECT count(*) FROM events") &&
	grep "^events    $total, from " out &&
	grep "^  auth_failed  *$(sql st.db "SELECT count(*) FROM events WHERE kind = '"'auth_failed'"'") " out &&
	grep "^no sources" out &&
	tlslogd stats -c /dev/null --db st.db --format json >out.json &&
	python3 -c "import json, sys
d = json.load(open(\"out.json\"))
assert d[\"events\"][\"total\"] == $total, d
assert sum(d[\"events\"][\"by_kind\"].values()) == $total
assert d[\"sources\"] == []
assert d[\"database\"][\"bytes\"] > 0"
'

test_expect_success 'stats of a missing database fails clearly' '
	test_exit_code 1 tlslogd stats -c /dev/null --db nowhere/x.db 2>err &&
	cat err &&
	grep -F "$(test_db_name nowhere/x.db)" err
'

test_expect_success 'the daemon keeps per-source counters: lines, cut lines, lines no rule knows' '
	: >mail.log
	daemon_start run.err $run_opts --db run.db --follow "$PWD/mail.log"
	pid=$daemon_pid
	# A new file is read from its end: write only once the daemon has opened it.
	n=0 && while [ $n -lt 600 ] && ! grep -q "following 1 source" run.err; do sleep 0.1; n=$((n + 1)); done
	{
		echo "Nov 21 08:32:00 mx1 postfix/smtpd[23510]: warning: unknown[192.0.2.44]: SASL LOGIN authentication failed: UGFzc3dvcmQ6"
		echo "Nov 21 08:32:01 mx1 postfix/smtpd[23510]: warning: some new TLS complaint no rule knows from unknown[192.0.2.45]"
		printf "Nov 21 08:32:02 mx1 postfix/smtpd[23510]: "; head -c 70000 /dev/zero | tr "\\0" x; echo
		echo "Nov 21 08:32:03 mx1 postfix/smtpd[23510]: connect from unknown[192.0.2.46]"
	} >>mail.log &&
	n=0 && while [ $n -lt 600 ] && [ "$(sql run.db "SELECT lines FROM sources" 2>/dev/null)" != 4 ]; do sleep 0.1; n=$((n + 1)); done
	kill $pid
	wait $pid
	status=$?
	cat run.err
	echo "exit status $status" &&
	test $status = 0 &&
	grep "line longer than 65536 bytes cut" run.err &&
	tlslogd stats -c /dev/null --db run.db --format json >s.json &&
	# On PostgreSQL a file is its server'"'"'s: stats does not measure it here.
	behind=0 && { test_engine_is sqlite || behind=None; } &&
	python3 -c "import json
s = json.load(open(\"s.json\"))[\"sources\"]
assert len(s) == 1, s
s = s[0]
assert s[\"lines\"] == 4 and s[\"lines_cut\"] == 1 and s[\"lines_unknown\"] == 1, s
assert s[\"behind\"] == $behind and s[\"offset\"] > 70000, s" &&
	tlslogd stats -c /dev/null --db run.db >out &&
	grep "4 lines read, 1 cut, 1 about TLS or AUTH no rule knows" out
'

test_done
