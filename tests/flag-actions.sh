#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# flag-actions.sh: actions are part of the record (issue 13, items 11 and 12).
# Catching up old failures records their flags but runs no action for them,
# and no clear action for a flag whose action never ran; a flag raised from
# old events whose peer goes on failing now gets its action then. A flag's
# action is recorded as due with the flag and done only when its command
# exited 0: flags raised just before a SIGKILL or a SIGTERM have their
# actions run after the restart, and a failing action is tried again.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

# lines SPEC...: one Postfix AUTH failure per SPEC "MINUTES_AGO,IP", ISO
# headers in UTC relative to the time of the call.
lines() {
	python3 - "$@" <<-\PY
	import sys, time
	now = int(time.time())
	for i, spec in enumerate(sys.argv[1:]):
	    ago, ip = spec.split(",")
	    t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(float(ago) * 60)))
	    print("%s mx1 postfix/smtpd[%d]: warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % (t, 1000 + i, ip))
	PY
}

# five MINUTES_AGO IP: five failures of IP a minute apart, the last MINUTES_AGO.
five() {
	lines "$(($1 + 4)),$2" "$(($1 + 3)),$2" "$(($1 + 2)),$2" "$(($1 + 1)),$2" "$1,$2"
}

# act.conf: an action that appends "EVENT IP" to actions.out, after a moment
# (so that a daemon killed right after its commit has actions left to run).
write_action() {
	cat >act.sh <<-EOF2
	#!/bin/sh
	sleep 0.2
	echo "\$1 \$2" >>"$PWD/actions.out"
	EOF2
	chmod +x act.sh
	printf "action_flag %s %%event%% %%ip%%\naction_clear %s %%event%% %%ip%%\n" \
		"$PWD/act.sh" "$PWD/act.sh" >act.conf
	: >actions.out
}

run_act() {
	daemon_run -c act.conf --patterns "$TLSLOGD_PATTERNS" --db d.db --from-start --follow "$PWD/mail.log"
}

follow_test 'catching up a 16-day-old log records its flags but runs no action for them' '
	write_action &&
	for ip in 1 2 3 4 5; do five 23040 192.0.2.$ip; done >mail.log &&
	five 0 192.0.2.200 >>mail.log &&
	run_act &&
	# The present flag'"'"'s action ran; the five old flags cleared (quiet since 16 days).
	wait_until 20 "grep -q \"^flagged 192.0.2.200\$\" actions.out" &&
	wait_for "dbq d.db \"SELECT count(*) FROM flags WHERE cleared IS NOT NULL\"" 5 20 &&
	cat actions.out &&
	test "$(cat actions.out)" = "flagged 192.0.2.200" &&
	wait_for "dbq d.db \"SELECT count(*) FROM flag_actions WHERE done IS NOT NULL\"" 1 &&
	daemon_term &&
	test "$(dbq d.db "SELECT count(*) FROM flags")" = 6 &&
	test "$(dbq d.db "SELECT count(*) FROM flag_actions")" = 1
'

follow_test 'a flag raised from old events gets its action when its peer fails in the present' '
	write_action &&
	five 120 192.0.2.80 >mail.log &&
	run_act &&
	wait_for "dbq d.db \"SELECT count(*) FROM flags\"" 1 &&
	test "$(dbq d.db "SELECT count(*) FROM flag_actions")" = 0 &&
	lines 0,192.0.2.80 >>mail.log &&
	wait_until 20 "grep -q \"^flagged 192.0.2.80\$\" actions.out" &&
	wait_log "flagged 192.0.2.80 (guessing) earlier from old events has an event of the present now" &&
	daemon_term &&
	test "$(dbq d.db "SELECT count, CASE WHEN cleared IS NULL THEN 1 ELSE 0 END FROM flags")" = "6|1"
'

# flags_then SIGNAL: ten flags raised at once, the daemon stopped by SIGNAL as
# soon as they are committed, started again: each flag'"'"'s action runs at least once.
flags_then() {
	write_action &&
	: >mail.log &&
	run_act || return 1
	for ip in 1 2 3 4 5 6 7 8 9 10; do five 0 198.51.100.$ip; done >ten.log
	cat ten.log >>mail.log
	wait_for "dbq d.db \"SELECT count(*) FROM flags\"" 10 || return 1
	if [ "$1" = KILL ]; then daemon_kill9; else daemon_term; fi
	before=$(wc -l <actions.out)
	run_act &&
	wait_until 30 "[ \$(sort -u actions.out | grep -c \"^flagged 198.51.100\") = 10 ]" || {
		echo "actions run:"; sort actions.out; return 1
	}
	wait_for "dbq d.db \"SELECT count(*) FROM flag_actions WHERE done IS NOT NULL\"" 10 30 &&
	daemon_term || return 1
	twice=$(sort actions.out | uniq -d | wc -l)
	echo "SIG$1: $before of the 10 actions ran before the restart (some started before the stop, finishing after it); each ran after it, $twice of them twice" | tee -a "$notes"
	test "$(dbq d.db "SELECT count(*) FROM flag_actions WHERE event = '"'flagged'"'")" = 10
}

follow_test 'ten flags committed just before a SIGKILL: each action runs at least once after the restart' '
	flags_then KILL
'

follow_test 'ten flags committed just before a SIGTERM: each action runs at least once after the restart' '
	flags_then TERM
'

follow_test 'a failing action is tried again after a back-off, logged, and recorded done when it succeeds' '
	cat >flaky.sh <<-EOF2
	#!/bin/sh
	echo "\$1" >>"$PWD/actions.out"
	[ -e "$PWD/second" ] && exit 0
	: >"$PWD/second"
	exit 3
	EOF2
	chmod +x flaky.sh &&
	printf "action_flag %s %%ip%%\n" "$PWD/flaky.sh" >flaky.conf &&
	: >actions.out &&
	five 0 192.0.2.90 >mail.log &&
	daemon_run -c flaky.conf --patterns "$TLSLOGD_PATTERNS" --db d.db --from-start --follow "$PWD/mail.log" &&
	wait_log "failed with exit status 3; for 192.0.2.90: attempt 1 of 6, trying again in 10 s" &&
	wait_for "dbq d.db \"SELECT attempts, CASE WHEN done IS NOT NULL THEN 1 ELSE 0 END FROM flag_actions\"" "2|1" 40 &&
	daemon_term &&
	test "$(cat actions.out | tr "\n" " ")" = "192.0.2.90 192.0.2.90 "
'

test_done
