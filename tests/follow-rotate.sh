#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# follow-rotate.sh: tlslogd run across every way a log changes under its
# name: rename and create (with the writer still on the old file for a
# while), two renames in a row, copytruncate, delete and recreate, a file
# missing at start, a re-pointed symlink. Each test writes failures before,
# during and after the change, and checks each is stored exactly once.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

follow_test 'rename rotation while lines keep coming, some still written to the old file' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	exec 3>>mail.log &&
	i=1 &&
	while [ $i -le 20 ]; do fail $i >&3; sleep 0.02; i=$((i + 1)); done &&
	# A line cut by the rotation: its start before, its end after.
	auth_line 500 | cut -c1-60 | tr -d "\n" >&3 &&
	mv mail.log mail.log.1 && : >mail.log &&
	auth_line 500 | cut -c61- >&3 && echo u500 >>truth &&
	end=$(($(now_ms) + 1000)) &&
	while [ "$(now_ms)" -lt $end ]; do fail $i >&3; sleep 0.05; i=$((i + 1)); done &&
	exec 3>&- &&
	last=$((i + 20)) &&
	while [ $i -le $last ]; do fail $i >>mail.log; sleep 0.02; i=$((i + 1)); done &&
	wait_events t.db "$(wc -l <truth)" &&
	grep "mail.log: rotated; reading the new file from its start" daemon.err &&
	sleep 0.3 &&
	check_events t.db
'

follow_test 'rename rotation with the new file created only later' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	exec 3>>mail.log &&
	fails 1 10 >&3 &&
	wait_events t.db 10 &&
	mv mail.log mail.log.1 &&
	fails 11 15 >&3 &&
	sleep 1.5 &&
	fails 16 18 >&3 &&
	exec 3>&- &&
	fails 19 25 >>mail.log &&
	wait_events t.db 25 &&
	sleep 0.3 &&
	check_events t.db
'

follow_test 'a second rotation while the first rotated file is still drained loses none of it' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	exec 3>>mail.log &&
	fails 1 5 >&3 &&
	wait_events t.db 5 &&
	mv mail.log mail.log.1 && : >mail.log &&
	wait_log "rotated; reading the new file" &&
	fails 6 7 >>mail.log &&
	wait_events t.db 7 &&
	# The writer has not reopened yet: lines go to the first file, and the
	# log is rotated again, while the daemon is busy (stopped here, so that
	# it sees both changes at once).
	kill -STOP $dpid &&
	fails 8 12 >&3 &&
	mv mail.log.1 mail.log.2 && mv mail.log mail.log.1 && : >mail.log &&
	kill -CONT $dpid &&
	exec 3>&- &&
	fails 13 15 >>mail.log &&
	{ wait_events t.db 15 5; check_events t.db; }
'

follow_test 'copytruncate: the file shrinks and is read again from its start' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 10 >>mail.log &&
	wait_events t.db 10 &&
	cp mail.log mail.log.1 && : >mail.log &&
	fails 11 13 >>mail.log &&
	wait_events t.db 13 &&
	grep "mail.log: truncated or rewritten in place ([0-9]* bytes now, read up to [0-9]*): reading it again from its start" daemon.err &&
	fails 14 16 >>mail.log &&
	wait_events t.db 16 &&
	cp mail.log mail.log.1 && : >mail.log &&
	sleep 0.3 &&
	fails 17 18 >>mail.log &&
	wait_events t.db 18 &&
	sleep 0.3 &&
	check_events t.db
'

follow_test 'delete and recreate: the new file is read from its start' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_events t.db 5 &&
	rm mail.log &&
	sleep 1.2 &&
	daemon_alive &&
	fails 6 9 >mail.log &&
	wait_events t.db 9 &&
	rm mail.log && fails 10 12 >mail.log &&
	wait_events t.db 12 &&
	fails 13 14 >>mail.log &&
	wait_events t.db 14 &&
	sleep 0.3 &&
	check_events t.db
'

follow_test 'a file missing at start, and one in a folder missing at start, are read from their start' '
	run_follow t.db "$PWD/mail.log" "$PWD/sub/mail.log" &&
	wait_log "mail.log: not there yet; waiting for it" &&
	test "$(log_count "not there yet")" = 2 &&
	sleep 0.5 &&
	fails 1 4 >mail.log &&
	wait_events t.db 4 &&
	grep "$PWD/mail.log: appeared; reading it from its start" daemon.err &&
	mkdir sub && fails 5 7 x >sub/mail.log &&
	wait_events t.db 7 &&
	fails 8 9 >>mail.log && fails 10 11 x >>sub/mail.log &&
	wait_events t.db 11 &&
	test_exit_code 0 daemon_term &&
	check_events t.db
'

follow_test 'a re-pointed symlink: the new target is read from its start, the old one drained' '
	fails 1 3 >a.log &&
	ln -s a.log mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	wait_events t.db 3 &&
	fails 4 5 >>a.log &&
	wait_events t.db 5 &&
	fails 6 7 >b.log &&
	ln -sfn b.log mail.log &&
	fails 8 8 >>a.log &&
	fails 9 10 >>b.log &&
	wait_events t.db 10 &&
	grep "mail.log: rotated; reading the new file from its start" daemon.err &&
	ln -sfn a.log mail.log &&
	sleep 0.5 &&
	fails 11 12 >>a.log &&
	wait_events t.db 12 &&
	sleep 0.5 &&
	check_events t.db
'

test_done
