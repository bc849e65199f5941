#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# journal.sh: `source journal`: the daemon following systemd journal files
# written by systemd-journal-remote from the journal export format (no running
# journald needed): where a new source starts, the selection by identifier
# and unit, multi-line failures, restarts, kill -9 under a writer, journal
# files rotated and vacuumed. A build without libsystemd must refuse the
# source type with file:line instead.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

journal_remote=
for _p in /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
	[ -x "$_p" ] && journal_remote=$_p && break
done

# The build says whether it reads the journal: `run -n` on a journal source.
mkdir -p "$test_scratch/probe"
printf 'database %s/probe/p.db\nsource journal directory %s/probe\n' "$test_scratch" "$test_scratch" \
	>"$test_scratch/probe/p.conf"
if "$TLSLOGD" run -n -c "$test_scratch/probe/p.conf" --patterns "$TLSLOGD_PATTERNS" \
	>"$test_scratch/probe/out" 2>&1; then
	with_journal=yes
else
	with_journal=no
fi

if [ "$with_journal" = no ]; then
	test_expect_success 'built without libsystemd: a journal source is refused with file:line' '
		grep "p.conf:2: source journal: this build of tlslogd cannot read the systemd journal" \
			"$test_scratch/probe/out"
	'
	test_done
fi

if [ -z "$journal_remote" ]; then
	test_skip 'the journal tests' 'systemd-journal-remote is not installed (Debian package systemd-journal-remote)'
	test_done
fi

# to_journal FILE [UNIT]: the syslog lines on stdin ("... host prog[pid]: msg")
# appended as journal entries to journal file FILE (created if missing), the
# time of each entry now, _SYSTEMD_UNIT set when UNIT is given.
to_journal() {
	python3 -c '
import re, sys, time
unit = sys.argv[1] if len(sys.argv) > 1 else ""
out = sys.stdout.buffer
for raw in sys.stdin.buffer:
    m = re.match(rb"^\S+ +\d+ [\d:]+ (\S+) ([^\[:]+)(?:\[(\d+)\])?: (.*)$", raw.rstrip(b"\n"))
    if not m:
        continue
    host, ident, pid, msg = m.groups()
    now = int(time.time() * 1e6)
    out.write(b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n" % (now, now))
    out.write(b"_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=" + host + b"\n")
    out.write(b"SYSLOG_IDENTIFIER=" + ident + b"\n")
    if pid:
        out.write(b"SYSLOG_PID=" + pid + b"\n_PID=" + pid + b"\n")
    if unit:
        out.write(b"_SYSTEMD_UNIT=" + unit.encode() + b"\n")
    out.write(b"MESSAGE=" + msg + b"\n\n")
' "$2" | "$journal_remote" -o "$1" - 2>>remote.err
}

# jconf FILE [SELECTION...]: a configuration following the journal folder ./j.
jconf() {
	_f=$1
	shift
	printf 'database %s/db\nbatch_interval 100ms\nsource journal %s directory %s/j\n' \
		"$PWD" "$*" "$PWD" >"$_f"
}

# run_journal CONF [OPTION...]
run_journal() {
	_conf=$1
	shift
	daemon_run -c "$_conf" --patterns "$TLSLOGD_PATTERNS" "$@"
}

follow_test 'run -n: a journal source is accepted; a bad journal option names file:line' '
	mkdir j &&
	jconf good.conf identifiers "postfix/*,exim4" units postfix@-.service &&
	tlslogd run -n -c good.conf --patterns "$TLSLOGD_PATTERNS" >out 2>&1 &&
	grep "configuration OK: 1 source" out &&
	printf "database %s/db\nsource journal directory\nsource journal colour blue\nsource journal directory j\n" \
		"$PWD" >bad.conf &&
	test_exit_code 2 tlslogd run -n -c bad.conf --patterns "$TLSLOGD_PATTERNS" 2>err &&
	cat err &&
	grep "bad.conf:2: source journal: directory needs one absolute folder name" err &&
	grep "bad.conf:3: source journal: unknown option \"colour\"" err &&
	grep "bad.conf:4: source journal: directory needs one absolute folder name" err
'

follow_test 'a new journal source starts at the end of the journal, or at its start with --from-start' '
	mkdir j &&
	fails 1 3 | to_journal j/mail.journal &&
	jconf c.conf &&
	run_journal c.conf &&
	wait_log "new source, reading from the end of the journal$" &&
	: >truth && fails 4 5 | to_journal j/mail.journal &&
	wait_events db 2 &&
	check_events db &&
	daemon_term &&
	mkdir other && jconf other/c.conf && sed -i "s|$PWD/db|$PWD/other/db|" other/c.conf &&
	run_journal other/c.conf --from-start &&
	wait_events other/db 5 &&
	dbq other/db "SELECT count(DISTINCT user) FROM events" >n && test "$(cat n)" = 5
'

follow_test 'a journal folder missing at start: said once, read when it comes' '
	jconf c.conf && : >truth &&
	run_journal c.conf &&
	wait_log "cannot open the journal in $PWD/j" &&
	sleep 2.5 &&
	test "$(log_count "cannot open the journal in $PWD/j")" = 1 &&
	mkdir j &&
	fails 1 3 | to_journal j/mail.journal &&
	wait_log "the journal can be read now" &&
	wait_events db 3 &&
	check_events db
'

follow_test 'a multi-line TLS failure among other entries is one event; other programs are ignored' '
	mkdir j && jconf c.conf && : >truth &&
	run_journal c.conf &&
	wait_log "the journal has no entry for it yet: reading what comes" &&
	{ tls_line 7 1; fail 1; tls_line 7 2; noise_line 2; tls_line 7 3; tls_line 7 4; } | to_journal j/mail.journal &&
	tls_key 7 &&
	printf "%s\n" "Nov 21 08:32:00 mx1 cron[55]: warning: unknown[192.0.2.99]: SASL LOGIN authentication failed: x" |
		to_journal j/mail.journal &&
	wait_events db 2 &&
	sleep 1 &&
	check_events db &&
	test "$(dbq db "SELECT count(*) FROM events WHERE kind = '\''tls_no_shared_cipher'\''")" = 1 &&
	test "$(dbq db "SELECT server FROM events LIMIT 1")" = mx1
'

follow_test 'identifiers (exact and with wildcards) or units select the entries read' '
	mkdir j &&
	jconf exact.conf identifiers postfix/smtpd && sed -i "s|$PWD/db|$PWD/exact.db|" exact.conf &&
	jconf glob.conf identifiers "postfix*/*" && sed -i "s|$PWD/db|$PWD/glob.db|" glob.conf &&
	jconf unit.conf units postfix@-.service && sed -i "s|$PWD/db|$PWD/unit.db|" unit.conf &&
	jconf or.conf identifiers postfix/submission/smtpd units other.service &&
	sed -i "s|$PWD/db|$PWD/or.db|" or.conf &&
	jconf orglob.conf identifiers "*-out/*" units other.service &&
	sed -i "s|$PWD/db|$PWD/orglob.db|" orglob.conf &&
	auth_line 1 | to_journal j/mail.journal postfix@-.service &&
	auth_line 2 | sed "s|postfix/smtpd|postfix-out/smtpd|" | to_journal j/mail.journal postfix@postfix-out.service &&
	auth_line 3 | sed "s|postfix/smtpd|postfix/submission/smtpd|" | to_journal j/mail.journal postfix@-.service &&
	auth_line 4 | to_journal j/mail.journal other.service &&
	for c in exact glob unit or orglob; do
		run_journal $c.conf --from-start || exit 1
	done &&
	wait_for "dbq exact.db \"SELECT group_concat(user, \\\" \\\") FROM (SELECT user FROM events ORDER BY user)\"" "u1 u4" &&
	wait_for "dbq glob.db \"SELECT group_concat(user, \\\" \\\") FROM (SELECT user FROM events ORDER BY user)\"" "u1 u2 u3 u4" &&
	wait_for "dbq unit.db \"SELECT group_concat(user, \\\" \\\") FROM (SELECT user FROM events ORDER BY user)\"" "u1 u3" &&
	wait_for "dbq or.db \"SELECT group_concat(user, \\\" \\\") FROM (SELECT user FROM events ORDER BY user)\"" "u3 u4" &&
	wait_for "dbq orglob.db \"SELECT group_concat(user, \\\" \\\") FROM (SELECT user FROM events ORDER BY user)\"" "u2 u4"
'

follow_test 'stopped and started: entries written while stopped are read once; SIGHUP keeps the place' '
	mkdir j && jconf c.conf && : >truth &&
	run_journal c.conf &&
	fails 1 20 | to_journal j/mail.journal &&
	wait_events db 20 &&
	daemon_term &&
	fails 21 40 | to_journal j/mail.journal &&
	run_journal c.conf &&
	wait_events db 40 &&
	kill -HUP "$dpid" &&
	wait_log "configuration and rules reloaded: [0-9]* rules, 1 source$" &&
	fails 41 50 | to_journal j/mail.journal &&
	wait_events db 50 &&
	sleep 1 &&
	check_events db &&
	test -z "$(duplicates db)" &&
	test -n "$(dbq db "SELECT cursor FROM sources WHERE name LIKE '\''journal%'\''")"
'

follow_test 'kill -9 at random moments under a writer, 10 times: every failure once' '
	{ mkdir j && jconf c.conf && : >truth || exit 1; }
	# The writer, in the background on its own (not the tail of an && list).
	(
		n=1
		while [ $n -le 4000 ]; do
			{ fails $n $((n + 49)); tls_line $n 1; tls_line $n 2; tls_line $n 4; } | to_journal j/mail.journal
			tls_key $n
			n=$((n + 50))
			sleep 0.05
		done
		echo done >writer.done
	) &
	bg_add $! &&
	cycle=0 &&
	while [ $cycle -lt 10 ]; do
		run_journal c.conf || exit 1
		sleep 0.$(( ($(od -An -N1 -tu1 /dev/urandom) % 9) + 1 ))
		daemon_kill9
		cycle=$((cycle + 1))
	done &&
	# Bounded by a stall, not a time: on a loaded machine the writer (a
	# python and a journal-remote per 50 failures) took longer than 120 s.
	wait_moving 60 "test -f writer.done" "wc -l <truth" &&
	run_journal c.conf &&
	wait_events db "$(wc -l <truth)" 30 &&
	sleep 2 &&
	check_events db &&
	test -z "$(duplicates db)" &&
	echo "kill -9 loop on the journal: $cycle kills, $(wc -l <truth) failures written, $(count db) events stored" >>"$notes"
'

follow_test 'journal files rotated (archived, a new file) and vacuumed while stopped' '
	mkdir j && jconf c.conf && : >truth &&
	run_journal c.conf &&
	fails 1 5 | to_journal j/mail.journal &&
	wait_events db 5 &&
	mv j/mail.journal "j/mail@0123456789abcdef0123456789abcdef-0000000000000001-0005f0000000000.journal" &&
	fails 6 10 | to_journal j/mail2.journal &&
	wait_events db 10 &&
	daemon_term &&
	rm -f j/*.journal &&
	fails 11 12 | to_journal j/mail3.journal &&
	run_journal c.conf &&
	wait_log "the entry last read is no longer in the journal" &&
	wait_events db 12 &&
	sleep 1 &&
	check_events db
'

test_done
