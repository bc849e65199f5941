#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# scan-edges.sh: scanning files while they are written, standard input from a
# slow writer, and a database that fails in the middle of a scan.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

scan() {
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" "$@"
}

l1='Nov 21 08:31:08 mx1 postfix/smtpd[23509]: SSL_accept error from unknown[203.0.113.50]: -1'
l2='Nov 21 08:31:08 mx1 postfix/smtpd[23509]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:'
l3='Nov 21 08:31:08 mx1 postfix/smtpd[23509]: lost connection after STARTTLS from unknown[203.0.113.50]'
l4='Nov 21 08:31:08 mx1 postfix/smtpd[23509]: disconnect from unknown[203.0.113.50] ehlo=1 starttls=0/1 commands=1/2'

test_expect_success 'a failure cut by the end of a file being written waits for the next scan' '
	printf "%s\n%s\n" "$l1" "$l2" >live.log &&
	scan --db live.db live.log >out &&
	cat out &&
	grep "^0 new events" out &&
	grep "^1 failure at the end of a file still being written left for the next scan" out &&
	printf "%s\n%s\n" "$l3" "$l4" >>live.log &&
	scan --db live.db live.log >out &&
	grep "^1 new event stored" out &&
	test "$(sql live.db "SELECT count(*) FROM events")" = 1 &&
	test "$(sql live.db "SELECT kind FROM events")" = tls_no_shared_cipher &&
	test "$(sql live.db "SELECT length(raw) - length(replace(raw, char(10), '"''"')) FROM events")" = 3
'

test_expect_success 'the same cut failure in a file no longer written is stored at once' '
	printf "%s\n%s\n" "$l1" "$l2" >old.log &&
	touch -d 2026-11-21T12:00:00Z old.log &&
	scan --db old.db old.log >out &&
	grep "^1 new event stored" out &&
	test "$(sql old.db "SELECT kind FROM events")" = tls_no_shared_cipher
'

test_expect_success 'a file dated in the future is not taken for one being written' '
	printf "%s\n%s\n" "$l1" "$l2" >future.log &&
	touch -d 2099-01-01T00:00:00Z future.log &&
	scan --db future.db future.log >out &&
	grep "^1 new event stored" out &&
	test "$(sql future.db "SELECT kind FROM events")" = tls_no_shared_cipher
'

test_expect_success 'a peer address Postfix could not know (unknown[unknown]) is no address and never flagged' '
	for i in 1 2 3 4 5 6; do
		printf "Nov 21 08:3%d:08 mx1 postfix/smtpd[%d]: warning: unknown[unknown]: SASL LOGIN authentication failed: UGFzc3dvcmQ6\n" "$i" "$((400 + i))"
	done >unknown.log &&
	touch -d "2 hours ago" unknown.log &&
	scan --db unknown.db unknown.log &&
	test "$(sql unknown.db "SELECT count(*) FROM events WHERE peer_ip IS NULL")" = 6 &&
	test "$(sql unknown.db "SELECT count(*) FROM flags")" = 0
'

test_expect_success 'standard input from a slow writer is committed as it comes' '
	mkfifo pipe || exit 1
	( printf "%s\n%s\n%s\n%s\n" "$l1" "$l2" "$l3" "$l4"; exec sleep 30 ) >pipe &
	writer=$!
	scan --db pipe.db - <pipe >pipe.out 2>&1 &
	scanner=$!
	n=0 && found= &&
	while [ $n -lt 100 ]; do
		if [ -f pipe.db ] && [ "$(sql pipe.db "SELECT count(*) FROM events" 2>/dev/null)" = 1 ]; then
			found=yes; break
		fi
		sleep 0.1; n=$((n + 1))
	done &&
	other=$(scan --db pipe.db /dev/null 2>&1; echo "exit $?") &&
	kill $writer 2>/dev/null; wait $scanner; true &&
	echo "$other" &&
	test "$found" = yes &&
	echo "$other" | grep "exit 0"
'

test_expect_success 'a rescan stores exactly the events missing, one by one inside a group of rows' '
	python3 -c "
for i in range(300):
    print(\"Nov 21 10:%02d:%02d mx1 postfix/smtpd[%d]: warning: unknown[198.51.100.%d]: SASL PLAIN authentication failed: authentication failure, sasl_username=u%d\" % (i // 60, i % 60, 2000 + i, i % 200, i))
" >re.log &&
	touch -d 2026-11-21T12:00:00Z re.log &&
	scan --db re.db re.log >/dev/null &&
	sql re.db "SELECT offset, kind, peer_ip, user, raw FROM events ORDER BY offset" >all &&
	test "$(wc -l <all)" = 300 &&
	sql re.db "DELETE FROM events WHERE id % 3 = 1 OR id BETWEEN 100 AND 140; UPDATE files SET offset = 0" &&
	missing=$((300 - $(sql re.db "SELECT count(*) FROM events"))) &&
	scan --db re.db re.log >out &&
	cat out &&
	grep "^$missing new events stored in re.db ($((300 - missing)) already stored)" out &&
	sql re.db "SELECT offset, kind, peer_ip, user, raw FROM events ORDER BY offset" >again &&
	test_cmp all again
'

test_expect_success 'a long scan keeps its write-ahead log within about 16 MiB (checkpoints on a thread)' '
	python3 "$TLSLOGD_SRCDIR/contrib/bench/genlog" --lines 200000 --seed 3 --rate 1 >fail.log &&
	touch -d 2025-12-31T00:00:00Z fail.log &&
	{ scan -q --db wal.db fail.log & } &&
	pid=$! && largest=0 &&
	while kill -0 $pid 2>/dev/null; do
		size=$(stat -c %s wal.db-wal 2>/dev/null || echo 0) &&
		if test "$size" -gt "$largest"; then largest=$size; fi &&
		sleep 0.02
	done &&
	wait $pid &&
	echo "# write-ahead log at most $largest bytes, database $(stat -c %s wal.db) bytes" &&
	test "$largest" -gt 0 &&
	test "$(stat -c %s wal.db)" -gt 40000000 &&
	test "$largest" -lt 33554432 &&
	test ! -e wal.db-wal &&
	test "$(sql wal.db "PRAGMA integrity_check")" = ok
'

test_expect_success 'a database that fails mid-scan: the summary counts only what was stored' '
	i=0 && : >many.log &&
	python3 -c "
for i in range(6000):
    print(\"Nov 21 09:%02d:%02d mx1 postfix/smtpd[%d]: warning: unknown[192.0.2.%d]: SASL LOGIN authentication failed: authentication failure, sasl_username=user%d\" % (i // 60 % 60, i % 60, 1000 + i, i % 250, i))
" >many.log &&
	touch -d 2026-11-21T12:00:00Z many.log &&
	scan --db full.db /dev/null >/dev/null &&
	before=$(sql full.db "SELECT count(*) FROM events") &&
	( trap "" XFSZ; ulimit -f 200; scan --db full.db many.log ) >out 2>err; status=$? &&
	cat out err &&
	test "$status" = 1 &&
	grep "the database failed" err &&
	after=$(sql full.db "SELECT count(*) FROM events") &&
	claimed=$(sed -n "s/^\([0-9]*\) new events\{0,1\} stored.*/\1/p" out) &&
	test "$((after - before))" = "$claimed"
'

test_done
