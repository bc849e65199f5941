#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# follow-restart.sh: tlslogd run stopped and started again: SIGTERM and
# SIGINT (commit, exit 0, resume at the last commit), a log rotated or
# truncated while the daemon was down, a restart or SIGHUP while a rotated
# file is still drained, SIGHUP with a good and with a broken configuration,
# and kill -9 again and again under a steady writer that also rotates.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

follow_test 'SIGTERM and SIGINT: exit 0; lines written while stopped are read once at the next start' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	# At the stop: a TLS failure half written, and a line without its end.
	tls_line 9 1 >>mail.log && tls_line 9 2 >>mail.log &&
	auth_line 6 | cut -c1-80 | tr -d "\n" >>mail.log &&
	wait_events t.db 5 &&
	test_exit_code 0 daemon_term &&
	grep "signal 15: committing and stopping" daemon.err &&
	auth_line 6 | cut -c81- >>mail.log && echo u6 >>truth &&
	tls_line 9 3 >>mail.log && tls_line 9 4 >>mail.log && tls_key 9 &&
	fails 7 10 >>mail.log &&
	run_follow t.db "$PWD/mail.log" &&
	wait_events t.db 11 &&
	fails 11 12 >>mail.log &&
	wait_events t.db 13 &&
	test_exit_code 0 daemon_term INT &&
	grep "signal 2: committing and stopping" daemon.err &&
	fails 13 14 >>mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	wait_events t.db 15 &&
	sleep 0.5 &&
	test_exit_code 0 daemon_term &&
	check_events t.db
'

follow_test 'stopped in the rest of a cut line: at the next start its tail is not read as a line' '
	: >mail.log &&
	printf "database %s\npatterns %s\nsource %s\nmax_line 1k\nstart beginning\n" \
		"$PWD/t.db" "$TLSLOGD_PATTERNS" "$PWD/mail.log" >cut.conf &&
	daemon_run -c cut.conf &&
	fails 1 2 >>mail.log &&
	printf "%s mx1 postfix/smtpd[20000]: connect from " "$stamp" >>mail.log &&
	head -c 3000 /dev/zero | tr "\000" x >>mail.log &&
	wait_events t.db 2 &&
	sleep 1 &&
	test_exit_code 0 daemon_term &&
	test "$(dbq t.db "SELECT \"offset\" FROM files")" = "$(wc -c <mail.log)" &&
	auth_line 3 forged >>mail.log &&
	fails 4 5 >>mail.log &&
	daemon_run -c cut.conf &&
	wait_events t.db 4 &&
	sleep 0.5 &&
	test_exit_code 0 daemon_term &&
	check_events t.db
'

follow_test 'rotated while down (NAME.1, NAME.0, NAME-DATE): the rest of the old file first, nothing twice' '
	for suffix in .1 .0 -20261122; do
		mkdir "r$suffix" && cd "r$suffix" || exit 1
		: >mail.log &&
		run_follow t.db "$PWD/mail.log" --from-start &&
		fails 1 5 >>mail.log &&
		wait_events t.db 5 &&
		test_exit_code 0 daemon_term &&
		read_before=$(wc -c <mail.log) &&
		fails 6 8 >>mail.log &&
		rest=$(($(wc -c <mail.log) - read_before)) &&
		mv mail.log "mail.log$suffix" &&
		fails 9 11 >mail.log &&
		: >mail.log.2 && : >mail.log-20200101 &&
		run_follow t.db "$PWD/mail.log" &&
		wait_events t.db 11 &&
		grep "mail.log: rotated to $PWD/mail.log$suffix while tlslogd was not running: read its last $rest bytes" daemon.err &&
		fails 12 13 >>mail.log &&
		wait_events t.db 13 &&
		test_exit_code 0 daemon_term &&
		check_events t.db || { cat daemon.err; exit 1; }
		cd ..
	done
'

follow_test 'rotated while down, no new file yet: the rest of the old one, then the new one when it comes' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 3 >>mail.log &&
	wait_events t.db 3 &&
	test_exit_code 0 daemon_term &&
	fails 4 6 >>mail.log &&
	mv mail.log mail.log.1 &&
	run_follow t.db "$PWD/mail.log" &&
	wait_events t.db 6 &&
	wait_log "mail.log: not there yet; waiting for it" &&
	fails 7 9 >mail.log &&
	wait_events t.db 9 &&
	test_exit_code 0 daemon_term &&
	check_events t.db
'

follow_test 'rotated while down and compressed: its rest read from the .gz, then the new file' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 3 >>mail.log &&
	wait_events t.db 3 &&
	test_exit_code 0 daemon_term &&
	# Written after the last commit, then rotated and compressed away.
	fail 4 >>mail.log &&
	mv mail.log mail.log.1 &&
	fails 5 7 >mail.log &&
	gzip mail.log.1 &&
	run_follow t.db "$PWD/mail.log" &&
	wait_events t.db 7 &&
	grep "mail.log: rotated to .*mail.log.1.gz while tlslogd was not running" daemon.err &&
	sleep 0.3 &&
	check_events t.db
'

follow_test 'rotated while down, compressed in a format tlslogd cannot read: the loss said and counted' '
	command -v xz >/dev/null || { echo "no xz here"; exit 0; }
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 3 >>mail.log &&
	wait_events t.db 3 &&
	test_exit_code 0 daemon_term &&
	auth_line 4 >>mail.log &&
	mv mail.log mail.log.1 &&
	fails 5 7 >mail.log &&
	xz mail.log.1 &&
	run_follow t.db "$PWD/mail.log" &&
	wait_events t.db 6 &&
	grep "mail.log: a file read under this name is not among its rotated files that tlslogd can read: what .*mail.log held after byte [0-9]* was not read and is lost" daemon.err &&
	test "$(sql t.db "SELECT count(*) FROM losses WHERE to_offset IS NULL")" = 1 &&
	sleep 0.3 &&
	check_events t.db
'

follow_test 'truncated and rewritten while down, past the old position: read from its start' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 3 >>mail.log &&
	wait_events t.db 3 &&
	test_exit_code 0 daemon_term &&
	cp mail.log mail.log.1 && : >mail.log &&
	fails 4 12 >>mail.log &&
	run_follow t.db "$PWD/mail.log" &&
	wait_events t.db 12 &&
	sleep 0.3 &&
	check_events t.db
'

# drain_setup: a daemon on mail.log, rotated by rename and create while the
# writer (descriptor 3) stays on the old file; u1-u7 stored, the daemon
# draining mail.log.1 and reading the new mail.log.
drain_setup() {
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	exec 3>>mail.log &&
	fails 1 5 >&3 &&
	wait_events t.db 5 &&
	mv mail.log mail.log.1 && : >mail.log &&
	wait_log "rotated; reading the new file from its start" &&
	fails 6 7 >>mail.log &&
	wait_events t.db 7 &&
	sleep 0.3
}

follow_test 'killed while a rotated file is drained: its uncommitted lines are read after the restart' '
	drain_setup &&
	# Lines the daemon will not have read when it dies.
	kill -STOP $dpid &&
	fails 8 10 >&3 &&
	fails 11 12 >>mail.log &&
	daemon_kill9 &&
	exec 3>&- &&
	run_follow t.db "$PWD/mail.log" &&
	{ wait_events t.db 12 5; check_events t.db; }
'

follow_test 'restarted while a rotated file is drained: what the writer adds to it, before and after the start, is read' '
	drain_setup &&
	test_exit_code 0 daemon_term &&
	fails 8 9 >&3 &&
	run_follow t.db "$PWD/mail.log" &&
	wait_events t.db 9 &&
	fails 10 11 >&3 &&
	exec 3>&- &&
	fails 12 13 >>mail.log &&
	{ wait_events t.db 13 5; check_events t.db; }
'

follow_test 'SIGHUP while a rotated file is drained: what the writer adds to it is still read' '
	drain_setup &&
	kill -HUP $dpid &&
	wait_log "configuration and rules reloaded" &&
	fails 8 10 >&3 &&
	exec 3>&- &&
	fails 11 12 >>mail.log &&
	{ wait_events t.db 12 5; check_events t.db; }
'

follow_test 'SIGHUP: a good configuration adds a source; a broken one is refused and the old one keeps running' '
	cat >tlslogd.conf <<-EOF &&
	database $(test_db "$PWD/t.db")
	patterns $TLSLOGD_PATTERNS
	source $PWD/a.log
	start beginning
	EOF
	cp tlslogd.conf one.conf &&
	fails 1 3 >a.log &&
	fails 101 103 b >b.log &&
	daemon_run -c "$PWD/tlslogd.conf" &&
	wait_events t.db 3 &&
	sleep 0.5 &&
	test "$(count t.db)" = 3 &&
	# A TLS failure open across the reload.
	tls_line 7 1 >>a.log && tls_line 7 2 >>a.log &&
	echo "source $PWD/b.log" >>tlslogd.conf &&
	cp tlslogd.conf two.conf &&
	kill -HUP $dpid &&
	wait_log "configuration and rules reloaded: [0-9]* rules, 2 sources" &&
	tls_line 7 3 >>a.log && tls_line 7 4 >>a.log && tls_key 7 &&
	wait_events t.db 7 &&
	fails 4 5 >>a.log && fails 104 105 b >>b.log &&
	wait_events t.db 11 &&
	echo "frobnicate yes" >>tlslogd.conf &&
	kill -HUP $dpid &&
	wait_log "reload refused" &&
	grep "tlslogd.conf:6: unknown keyword \"frobnicate\"" daemon.err &&
	sleep 0.2 &&
	daemon_alive &&
	fails 6 7 >>a.log && fails 106 106 b >>b.log &&
	wait_events t.db 14 &&
	sed "s|^patterns .*|patterns $PWD/no-such-rules|" two.conf >tlslogd.conf &&
	kill -HUP $dpid &&
	wait_until 10 "[ \$(log_count \"reload refused\") = 2 ]" &&
	daemon_alive &&
	fails 8 8 >>a.log && fails 107 107 b >>b.log &&
	wait_events t.db 16 &&
	cp one.conf tlslogd.conf &&
	kill -HUP $dpid &&
	wait_until 10 "[ \$(log_count \"reloaded: [0-9]* rules, 1 source\") = 1 ]" &&
	fails 9 9 >>a.log &&
	auth_line 108 b >>b.log &&
	wait_events t.db 17 &&
	sleep 0.5 &&
	test_exit_code 0 daemon_term &&
	check_events t.db
'

# writer: until ./stop exists, append 20 AUTH failures every 50 ms to
# mail.log (users w1, w2, ...), and every tenth round the four lines of a
# TLS failure spread among them; every 110th round (about 6 s) the log is
# rotated to mail.log-N, the next round creating the new one.
writer() {
	n=0
	r=0
	while [ ! -e stop ]; do
		r=$((r + 1))
		[ $((r % 110)) = 0 ] && mv mail.log "mail.log-$r"
		t=0
		[ $((r % 10)) = 0 ] && t=$((r / 10 % 250 + 1))
		i=0
		while [ $i -lt 20 ]; do
			n=$((n + 1))
			auth_line $n w
			if [ $t != 0 ] && [ $((i % 5)) = 0 ]; then
				tls_line $t $((i / 5 + 1))
			fi
			i=$((i + 1))
		done >>mail.log
		sleep 0.05
	done
}

follow_test 'kill -9 at random moments, 20 times, under a steady writer and rotations: every failure once' '
	: >mail.log || exit 1
	writer &
	wpid=$!
	bg_add $wpid
	cycle=0 &&
	while [ $cycle -lt 20 ]; do
		"$TLSLOGD" run -d -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db \
			--follow "$PWD/mail.log" --from-start 2>>daemon.err &
		dpid=$!
		bg_add $dpid
		ms=$((100 + $(od -An -N2 -tu2 /dev/urandom) % 901))
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		daemon_kill9
		cycle=$((cycle + 1))
	done &&
	touch stop && wait $wpid &&
	keys_of_log mail.log mail.log-* >truth &&
	failures=$(wc -l <truth) &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	wait_events t.db $failures 20
	test_exit_code 0 daemon_term &&
	events=$(count t.db) &&
	duplicated=$(duplicates t.db | wc -l) &&
	echo "kill -9 loop: $cycle cycles ($(log_count "following 1 source") reached their sources), $(cat mail.log mail.log-* | wc -l) lines written in $(ls mail.log mail.log-* | wc -l) files, $failures failures, $events events stored, $duplicated keys stored more than once" >>"$notes" &&
	test "$events" = "$failures" &&
	test "$duplicated" = 0 &&
	! grep "the database .* failed" daemon.err &&
	check_events t.db
'

test_done
