#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# single-writer.sh: one daemon per database, and a daemon whose database is
# gone stops. A second `tlslogd run` on a database a daemon holds (DB.lock)
# is refused with exit status 3 and the holder's pid, while the first goes on
# storing each failure once; the lock follows the daemon into the background
# and dies with it, even with kill -9; a SIGHUP onto a database another
# daemon holds is refused; `run -n`, `scan` and `stats` are not
# refused. A database file deleted, renamed or replaced under the daemon
# makes it stop with exit status 1 before it commits anything more, and a
# restart on the old file reads again what came after its last commit.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

# second_daemon DB LOG: a second `tlslogd run -d` on DB in the foreground,
# its stderr in second.err; its exit status. Bounded: a daemon that is not
# refused is killed (timeout's 124), instead of running forever.
second_daemon() {
	timeout 60 "$TLSLOGD" run -d -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$1" \
		--follow "$2" --from-start 2>second.err
}

# gone_status: wait for the daemon to stop by itself; its exit status.
gone_status() {
	wait_until 60 "! daemon_alive" || return 99
	wait "$dpid"
}

follow_test 'a second daemon on the database is refused (3, the pid named); the first stores each failure once' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_events t.db 5 &&
	{ second_daemon t.db "$PWD/mail.log"; echo $? >second.status; } &&
	cat second.err &&
	test "$(cat second.status)" = 3 &&
	grep "^tlslogd: the database t.db is in use by another tlslogd run (pid $dpid): not starting a second one" second.err &&
	test "$(grep -c "in use" second.err)" = 1 &&
	daemon_alive &&
	fails 6 10 >>mail.log &&
	wait_events t.db 10 &&
	sleep 0.5 &&
	check_events t.db &&
	test -z "$(duplicates t.db)" &&
	test_exit_code 0 daemon_term
'

follow_test 'run -n, scan and stats beside the daemon are not refused; a killed daemon leaves no lock' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 3 >>mail.log &&
	wait_events t.db 3 &&
	tlslogd run -n -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db --follow "$PWD/mail.log" &&
	auth_line 1 side >other.log &&
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db other.log &&
	test "$(count t.db)" = 4 &&
	tlslogd stats -c /dev/null --db t.db >stats.out &&
	grep "^daemon    tlslogd run, pid $dpid$" stats.out &&
	tlslogd stats -c /dev/null --db t.db --format json >stats.json &&
	python3 -c "import json; assert json.load(open(\"stats.json\"))[\"database\"][\"daemon_pid\"] == $dpid" &&
	daemon_kill9 &&
	tlslogd stats -c /dev/null --db t.db >stats.out &&
	grep "^daemon    none running$" stats.out &&
	run_follow t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term
'

follow_test 'in the background the lock follows the daemon across its fork: the lock file names it' '
	: >mail.log &&
	env -u NOTIFY_SOCKET "$TLSLOGD" run -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db \
		--follow "$PWD/mail.log" 2>bg.err &&
	wait_until 30 "test -s t.db.lock" &&
	bgpid=$(cat t.db.lock) &&
	bg_add "$bgpid" &&
	kill -0 "$bgpid" &&
	{ second_daemon t.db "$PWD/mail.log"; echo $? >second.status; } &&
	cat second.err &&
	test "$(cat second.status)" = 3 &&
	grep "in use by another tlslogd run (pid $bgpid)" second.err &&
	kill "$bgpid" &&
	wait_until 30 "! kill -0 $bgpid" &&
	run_follow t.db "$PWD/mail.log" &&
	test_exit_code 0 daemon_term
'

follow_test 'SIGHUP onto a database another daemon holds is refused; the daemon goes on with its own' '
	: >mail.log && : >other.log &&
	run_follow b.db "$PWD/other.log" &&
	bpid=$dpid &&
	printf "database %s/a.db\nsource %s/mail.log\nstart beginning\nbatch_interval 100ms\n" "$PWD" "$PWD" >a.conf &&
	daemon_run -c a.conf --patterns "$TLSLOGD_PATTERNS" &&
	sed -i "s|/a.db|/b.db|" a.conf &&
	kill -HUP "$dpid" &&
	wait_log "reload refused" &&
	grep "the database $PWD/b.db is in use by another tlslogd run (pid $bpid)" daemon.err &&
	fails 1 3 >>mail.log &&
	wait_events a.db 3 &&
	check_events a.db &&
	test "$(count b.db)" = 0 &&
	test_exit_code 0 daemon_term
'

follow_test 'the database deleted under the daemon: it stops (1) with the reason, and no old log is left to a new one' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_events t.db 5 &&
	rm t.db &&
	fails 6 10 >>mail.log &&
	{ gone_status; echo $? >status; } &&
	cat status &&
	test "$(cat status)" = 1 &&
	grep "^tlslogd: t.db: the database file was deleted or renamed$" daemon.err &&
	grep "stopping: nothing more is committed into t.db. Started again, tlslogd reads again what came after the last commit if the database it is given has it" daemon.err &&
	test ! -s t.db-wal &&
	run_follow t.db "$PWD/mail.log" &&
	test "$(count t.db)" = 0 &&
	test_exit_code 0 daemon_term &&
	test "$(dbq t.db "PRAGMA integrity_check")" = ok
'

follow_test 'the database renamed away: nothing is committed after it; put back, what came after is read once' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_events t.db 5 &&
	mv t.db saved.db &&
	fails 6 10 >>mail.log &&
	{ gone_status; echo $? >status; } &&
	test "$(cat status)" = 1 &&
	test ! -s t.db-wal &&
	test "$(count saved.db)" = 5 &&
	mv saved.db t.db &&
	run_follow t.db "$PWD/mail.log" &&
	wait_events t.db 10 &&
	sleep 0.5 &&
	check_events t.db &&
	test_exit_code 0 daemon_term
'

follow_test 'the database replaced by another file: the daemon stops (1) and says so' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_events t.db 5 &&
	cp t.db copy.db && mv copy.db t.db &&
	fails 6 10 >>mail.log &&
	{ gone_status; echo $? >status; } &&
	test "$(cat status)" = 1 &&
	grep "^tlslogd: t.db: the database file was replaced by another file$" daemon.err
'

test_done
