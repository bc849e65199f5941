#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# exactly-once.sh: every failure written to a log is stored once, never
# twice, never lost and never made up, whichever way the log is rotated,
# whether the daemon runs, is stopped or is frozen meanwhile, and whoever
# else reads it. What each test reproduces:
#
#  1. `tlslogd scan` of the live file beside a running daemon, under a
#     steady writer: the scan must not take the file for a truncated one
#     (its size read before it got the database) and read it again from 0.
#  2. Two rename rotations while the daemon is stopped (NAME -> NAME.1 ->
#     NAME.2): the middle file, NAME.1, is read too, not only the file the
#     daemon knew and the new one.
#  3. copytruncate while the daemon is stopped, twice while stopped, and
#     while it runs but is frozen (SIGSTOP): the lines it had not read
#     before the copy are in NAME.1 (NAME.2) and are read from there.
#  4. rename and gzip (compress without delaycompress) while stopped: the
#     unread rest is read from NAME.1.gz, also when the new file got the
#     inode the old one had (ext4 gives it back at once); and the recovery
#     by hand, `zcat NAME.1.gz | tlslogd scan -` of a file the daemon had
#     read, adds nothing.
#  5. copytruncate while the daemon is frozen, the file growing again past
#     the old read position with a line whose middle, at exactly that
#     position, looks like the failure of another address: that address is
#     never stored (no line tail is read as a line), the real failure once.
#  6. A failure whose last lines are written more than 2 s after its first
#     (a slow syslog writer): the daemon stores the same events as
#     `tlslogd scan` of the same file, not two halves.
#  7. `tlslogd scan NAME.1` after the daemon read it (rename rotation), and
#     after copytruncate (NAME.1 is then a copy: another inode, the same
#     content): nothing is added.
#  8. `tlslogd scan NAME.1.gz` of a compressed file the database knows:
#     stores only the rest it had not read, and nothing on a second scan.
#  9. The daemon killed (SIGKILL) at random moments while a log is appended
#     in torn writes, renamed away twice, copy-truncated once and rotated
#     while it is down: it stores what a one-shot scan of everything
#     written stores (tests/torture/kill-rotate.py).
#
# Every test checks each failure written is stored exactly once and nothing
# else (lost, duplicated and forged are counted apart). The torture test,
# with the real logrotate, is tests/torture.sh.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"


# once DB [TRUTH]: the events of DB are the failures of TRUTH (./truth), each
# exactly once: lost, duplicated and forged (stored, never written) counted
# and shown apart.
once() {
	sort "${2:-truth}" >truth.sorted &&
	dbq "$1" "SELECT $event_key FROM events" | sort >events.sorted || return 1
	comm -23 truth.sorted events.sorted >lost
	comm -13 truth.sorted events.sorted >extra
	grep -Fx -f truth.sorted extra >duplicated
	grep -vFx -f truth.sorted extra >forged
	echo "$(wc -l <truth.sorted) failures written, $(wc -l <events.sorted) events stored:" \
		"lost $(wc -l <lost), duplicated $(wc -l <duplicated), forged $(wc -l <forged)"
	for _k in lost duplicated forged; do
		if [ -s $_k ]; then
			echo "$_k (first 10 of $(wc -l <$_k)):"
			head -n 10 $_k | sed 's/^/    /'
		fi
	done
	test ! -s lost && test ! -s duplicated && test ! -s forged
}

# stopped PID: is PID stopped (SIGSTOP has taken effect)?
stopped() {
	grep -q '^State:.*[Tt]' "/proc/$1/status"
}

# freeze, thaw: SIGSTOP the daemon (and wait until it is stopped), SIGCONT it.
freeze() {
	kill -STOP "$dpid" && wait_until 10 "stopped $dpid"
}
thaw() {
	kill -CONT "$dpid"
}

# --- 1. a scan beside the daemon -------------------------------------------------

# writer: until ./stop exists, 50 AUTH failures (users w1, w2, ...) and a noise
# line after every third, every 20 ms, appended to mail.log: about 2,000 failures a second.
writer() {
	n=0
	while [ ! -e stop ]; do
		i=0
		while [ $i -lt 50 ]; do
			n=$((n + 1))
			auth_line $n w
			[ $((n % 3)) = 0 ] && noise_line $n
			i=$((i + 1))
		done >>mail.log
		sleep 0.02
	done
}

follow_test 'a scan of the live file beside the daemon, under a steady writer, stores nothing twice' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start || exit 1
	writer &
	wpid=$!
	bg_add $wpid
	k=0 &&
	while [ $k -lt 20 ]; do
		# The daemon caught up with the writer, so that it reads on while the scan starts.
		size=$(wc -c <mail.log) &&
		wait_until 10 "[ \$(wc -c <mail.log) -gt $((size + 5000)) ]" &&
		size=$(wc -c <mail.log) &&
		wait_until 10 "[ \$(dbq t.db \"SELECT max(\\\"offset\\\") FROM files WHERE path = '\''$PWD/mail.log'\''\") -ge $size ]" &&
		tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db "$PWD/mail.log" ||
			{ echo "scan $k failed"; exit 1; }
		k=$((k + 1))
	done &&
	touch stop && wait $wpid &&
	keys_of_log mail.log >truth &&
	wait_committed t.db "$PWD/mail.log" 30 &&
	test_exit_code 0 daemon_term &&
	once t.db
'

# --- 2. two rename rotations while stopped ----------------------------------------

follow_test 'two rename rotations while stopped: the middle file is read too' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	fails 6 8 >>mail.log &&
	mv mail.log mail.log.1 &&
	fails 9 12 >mail.log &&
	mv mail.log.1 mail.log.2 && mv mail.log mail.log.1 &&
	fails 13 15 >mail.log &&
	run_follow t.db "$PWD/mail.log" &&
	{ wait_events t.db 15; once t.db; }
'

# --- 3. copytruncate: the unread tail is in NAME.1 -------------------------------

follow_test 'copytruncate while stopped: the unread tail is read from the copy' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	fails 6 8 >>mail.log &&
	cp mail.log mail.log.1 && : >mail.log &&
	# Fewer bytes than were read: the file is visibly shorter.
	fails 9 10 >>mail.log &&
	run_follow t.db "$PWD/mail.log" &&
	wait_committed t.db "$PWD/mail.log" &&
	{ wait_events t.db 10; once t.db; }
'

follow_test 'copytruncate twice while stopped: the unread tail from NAME.2, then all of NAME.1' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	fails 6 8 >>mail.log &&
	cp mail.log mail.log.1 && : >mail.log &&
	fails 9 11 >>mail.log &&
	mv mail.log.1 mail.log.2 && cp mail.log mail.log.1 && : >mail.log &&
	fails 12 13 >>mail.log &&
	run_follow t.db "$PWD/mail.log" &&
	wait_committed t.db "$PWD/mail.log" &&
	{ wait_events t.db 13; once t.db; }
'

follow_test 'copytruncate while the daemon is frozen: the unread tail is read from the copy' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	freeze &&
	fails 6 8 >>mail.log &&
	cp mail.log mail.log.1 && : >mail.log &&
	fails 9 10 >>mail.log &&
	thaw &&
	wait_committed t.db "$PWD/mail.log" &&
	fails 11 12 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	{ wait_events t.db 12; once t.db; }
'

# --- 4. rename and compress while stopped -----------------------------------------

# rotate_gzip_while_stopped [reuse]: u1-u5 read and committed, the daemon
# stopped, u6-u8 appended, mail.log renamed to mail.log.1 and gzipped, u9-u11
# in the new mail.log; with "reuse", the new mail.log has the old inode
# (notes say whether that could be provoked), and $reused is yes or no.
rotate_gzip_while_stopped() {
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	fails 6 8 >>mail.log &&
	old_ino=$(stat -c %i mail.log) &&
	mv mail.log mail.log.1 && gzip mail.log.1 || return 1
	reused=no
	if [ "$1" = reuse ]; then
		# ext4 gives the freed inode to the next file made in the folder; else try a few.
		k=0
		while [ $k -lt 50 ]; do
			: >"new.$k"
			if [ "$(stat -c %i "new.$k")" = "$old_ino" ]; then
				mv "new.$k" mail.log && reused=yes && break
			fi
			k=$((k + 1))
		done
		rm -f new.*
	fi
	fails 9 11 >>mail.log
}

follow_test 'rename and gzip while stopped: the unread rest is read from NAME.1.gz' '
	rotate_gzip_while_stopped &&
	run_follow t.db "$PWD/mail.log" &&
	wait_committed t.db "$PWD/mail.log" &&
	{ wait_events t.db 11; once t.db; }
'

follow_test 'rename and gzip while stopped, the new file on the old inode: the unread rest is read from NAME.1.gz' '
	rotate_gzip_while_stopped reuse &&
	echo "the new mail.log got the old inode: $reused" >>"$notes" &&
	if [ "$reused" = no ]; then
		echo "this file system did not give the freed inode back: only the plain case was tested" >>"$notes"
	fi &&
	run_follow t.db "$PWD/mail.log" &&
	wait_committed t.db "$PWD/mail.log" &&
	{ wait_events t.db 11; once t.db; }
'

follow_test 'zcat NAME.1.gz | tlslogd scan - of a file the daemon read adds nothing' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	mv mail.log mail.log.1 && gzip mail.log.1 &&
	fails 6 7 >mail.log &&
	run_follow t.db "$PWD/mail.log" &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	zcat mail.log.1.gz | tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db - &&
	once t.db
'

# --- 5. a line tail read as a line ---------------------------------------------

follow_test 'copytruncate while frozen, regrown past the old position: no line tail is read as a line' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 3 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	pos=$(wc -c <mail.log) &&
	freeze &&
	cp mail.log mail.log.1 && : >mail.log &&
	# A real failure of 198.51.100.77 whose user name, chosen by the client,
	# holds from byte $pos on a whole failure line of 192.0.2.66.
	forged="$stamp mx1 postfix/smtpd[4242]: warning: unknown[192.0.2.66]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=forged" &&
	head="$stamp mx1 postfix/smtpd[4141]: warning: unknown[198.51.100.77]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=" &&
	pad=$((pos - ${#head})) &&
	test $pad -gt 0 &&
	user="$(printf "%${pad}s" "" | tr " " x)$forged" &&
	printf "%s%s\n" "$head" "$user" >>mail.log &&
	test "$(tail -c +$((pos + 1)) mail.log)" = "$forged" &&
	echo "$user" >>truth &&
	fails 4 5 >>mail.log &&
	thaw &&
	wait_committed t.db "$PWD/mail.log" &&
	wait_events t.db 6 &&
	once t.db &&
	test "$(dbq t.db "SELECT count(*) FROM events WHERE peer_ip = '\''192.0.2.66'\''")" = 0 &&
	test "$(dbq t.db "SELECT count(*) FROM events WHERE peer_ip = '\''198.51.100.77'\''")" = 1
'

# --- 6. a failure written slowly ------------------------------------------------

follow_test 'a failure whose last lines come 3 s after its first: the daemon stores what scan stores' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	tls_line 5 1 >>mail.log && tls_line 5 2 >>mail.log &&
	# Not a wait for the daemon: the gap between the lines is what is tested.
	sleep 3 &&
	tls_line 5 3 >>mail.log && tls_line 5 4 >>mail.log && tls_key 5 &&
	fails 1 2 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db ref.db mail.log &&
	q="SELECT kind, peer_ip FROM events ORDER BY kind, peer_ip" &&
	dbq ref.db "$q" >scan.events &&
	dbq t.db "$q" >daemon.events &&
	test_cmp scan.events daemon.events &&
	once t.db
'

# --- 7. scan of a rotated file the daemon read ----------------------------------

follow_test 'scan NAME.1 after the daemon read it (rename rotation) adds nothing' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	mv mail.log mail.log.1 && : >mail.log &&
	fails 6 7 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	wait_events t.db 7 &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db "$PWD/mail.log.1" &&
	fails 8 8 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	once t.db
'

follow_test 'scan NAME.1 after copytruncate (a copy the daemon read) adds nothing' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	cp mail.log mail.log.1 && : >mail.log &&
	fails 6 7 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	wait_events t.db 7 &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db "$PWD/mail.log.1" &&
	fails 8 8 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	once t.db
'

# --- 8. scan of a compressed file the database knows ----------------------------

follow_test 'scan NAME.1.gz the database knows stores only its unread rest, and nothing twice' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_committed t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term &&
	fails 6 8 >>mail.log &&
	mv mail.log mail.log.1 && gzip mail.log.1 &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db "$PWD/mail.log.1.gz" &&
	once t.db &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db "$PWD/mail.log.1.gz" &&
	once t.db
'

# --- 9. SIGKILL at random moments with rotations --------------------------------

only_on sqlite "tests/pg-write.sh runs kill-rotate.py on PostgreSQL"
test_expect_success 'SIGKILL at random moments, with rename, copytruncate and a rotation while down: what a one-shot scan stores' '
	cd "$TLSLOGD_SRCDIR" &&
	python3 tests/torture/kill-rotate.py "$TLSLOGD" "$TLSLOGD_PATTERNS" "$test_scratch/kill-rotate"
'

test_done
