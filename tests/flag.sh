#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# flag.sh: flagging repeat offenders: thresholds crossed exactly at COUNT,
# sliding windows, clearing after the quiet period, the allow-list, domains,
# the same flags from scan and from the daemon, `tlslogd flagged`, and the
# action command receiving hostile values verbatim as single arguments.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"

# lines SPEC...: one Postfix line per SPEC "MINUTES_AGO,KIND,IP[,HOST]" (KIND auth or tls),
# ISO headers in UTC relative to one "now" taken when this file starts (two
# calls a second apart must not shift the spacing the tests count on); pids
# differ so that no two lines join.
flag_now=$(date +%s)
lines() {
	python3 - "$flag_now" "$@" <<-\PY
	import sys, time
	now = int(sys.argv.pop(1))
	for i, spec in enumerate(sys.argv[1:]):
	    parts = spec.split(",")
	    ago, kind, ip = float(parts[0]), parts[1], parts[2]
	    host = parts[3] if len(parts) > 3 else "unknown"
	    t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(ago * 60)))
	    pid = 1000 + i
	    if kind == "auth":
	        print("%s mx1 postfix/smtpd[%d]: warning: %s[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % (t, pid, host, ip))
	    else:
	        print("%s mx1 postfix/smtpd[%d]: SSL_accept error from %s[%s]: -1" % (t, pid, host, ip))
	        print("%s mx1 postfix/smtpd[%d]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:" % (t, pid))
	        print("%s mx1 postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (t, pid, host, ip))
	PY
}

flags() {
	sql "$1" "SELECT peer, threshold, count, CASE WHEN cleared IS NULL THEN 1 ELSE 0 END FROM flags ORDER BY peer, threshold, id"
}

test_expect_success 'four AUTH failures in 10 minutes are no flag; the fifth is' '
	lines 9,auth,192.0.2.7 8,auth,192.0.2.7 7,auth,192.0.2.7 6,auth,192.0.2.7 >a.log &&
	tlslogd scan -q -c /dev/null $rules --db a.db a.log &&
	test "$(sql a.db "SELECT count(*) FROM flags")" = 0 &&
	lines 5,auth,192.0.2.7 >>a.log &&
	tlslogd scan -c /dev/null $rules --db a.db a.log >out &&
	cat out &&
	grep "^1 flag raised, 0 cleared" out &&
	test "$(flags a.db)" = "192.0.2.7|guessing|5|1" &&
	test "$(sql a.db "SELECT why, main_kind FROM flags")" = "5 events of auth_failed in 10m|auth_failed" &&
	lines 4,auth,192.0.2.7 >>a.log &&
	tlslogd scan -q -c /dev/null $rules --db a.db a.log &&
	test "$(flags a.db)" = "192.0.2.7|guessing|6|1"
'

test_expect_success 'a window seeded from the database counts each event once (events stored in groups)' '
	lines 5,auth,192.0.2.9 5,auth,192.0.2.9 >g.log &&
	tlslogd scan -q -c /dev/null $rules --db g.db g.log &&
	lines 5,auth,192.0.2.9 5,auth,192.0.2.9 >>g.log &&
	tlslogd scan -q -c /dev/null $rules --db g.db g.log &&
	test "$(sql g.db "SELECT count(*) FROM events")" = 4 &&
	test "$(sql g.db "SELECT count(*) FROM flags")" = 0 &&
	lines 5,auth,192.0.2.9 >>g.log &&
	tlslogd scan -q -c /dev/null $rules --db g.db g.log &&
	test "$(flags g.db)" = "192.0.2.9|guessing|5|1"
'

test_expect_success 'the window slides: five events over 11 minutes are no flag, a sixth makes one' '
	lines 20,auth,192.0.2.8 17,auth,192.0.2.8 14,auth,192.0.2.8 11,auth,192.0.2.8 9,auth,192.0.2.8 >s.log &&
	tlslogd scan -q -c /dev/null $rules --db s.db s.log &&
	test "$(sql s.db "SELECT count(*) FROM flags")" = 0 &&
	lines 8,auth,192.0.2.8 >>s.log &&
	tlslogd scan -q -c /dev/null $rules --db s.db s.log &&
	test "$(flags s.db)" = "192.0.2.8|guessing|5|1" &&
	test "$(sql s.db "SELECT last_event - first_event FROM flags")" = 540
'

test_expect_success 'a flag clears after the quiet period, and the clearing is recorded' '
	printf "flag_quiet 30m\n" >quiet.conf &&
	lines 200,auth,192.0.2.9 199,auth,192.0.2.9 198,auth,192.0.2.9 197,auth,192.0.2.9 196,auth,192.0.2.9 >q.log &&
	tlslogd scan -c quiet.conf $rules --db q.db q.log >out &&
	grep "^1 flag raised, 1 cleared" out &&
	test "$(flags q.db)" = "192.0.2.9|guessing|5|0" &&
	test "$(sql q.db "SELECT cleared - last_event FROM flags")" = 1800 &&
	tlslogd flagged -c quiet.conf --db q.db >out &&
	grep "^no peer is flagged now" out &&
	lines 5,auth,192.0.2.9 4,auth,192.0.2.9 3,auth,192.0.2.9 2,auth,192.0.2.9 1,auth,192.0.2.9 >>q.log &&
	tlslogd scan -q -c quiet.conf $rules --db q.db q.log &&
	test "$(flags q.db | tr "\n" " ")" = "192.0.2.9|guessing|5|0 192.0.2.9|guessing|5|1 " &&
	tlslogd flagged -c quiet.conf --db q.db >out &&
	cat out &&
	grep "^192.0.2.9  *guessing  *5 " out
'

test_expect_success 'allow-listed peers (address, network, domain) are never flagged' '
	printf "allow 192.0.2.0/28 2001:db8::/32\nallow .trusted.example\n" >allow.conf &&
	lines 9,auth,192.0.2.10 8,auth,192.0.2.10 7,auth,192.0.2.10 6,auth,192.0.2.10 5,auth,192.0.2.10 \
		9,auth,2001:db8::5 8,auth,2001:db8::5 7,auth,2001:db8::5 6,auth,2001:db8::5 5,auth,2001:db8::5 \
		9,auth,198.51.100.1,mx.trusted.example 8,auth,198.51.100.1,mx.trusted.example \
		7,auth,198.51.100.1,mx.trusted.example 6,auth,198.51.100.1,mx.trusted.example \
		5,auth,198.51.100.1,mx.trusted.example \
		9,auth,192.0.2.16 8,auth,192.0.2.16 7,auth,192.0.2.16 6,auth,192.0.2.16 5,auth,192.0.2.16 >al.log &&
	tlslogd scan -q -c allow.conf $rules --db al.db al.log &&
	test "$(sql al.db "SELECT count(*) FROM events")" = 20 &&
	test "$(flags al.db)" = "192.0.2.16|guessing|5|1"
'

test_expect_success 'an IPv4-mapped address (a dual-stack server'"'"'s log) is inside its allowed IPv4 network' '
	printf "allow 192.0.2.0/28
" >allow4.conf &&
	lines 9,auth,::ffff:192.0.2.7 8,auth,::ffff:192.0.2.7 7,auth,::ffff:192.0.2.7 \
		6,auth,::ffff:192.0.2.7 5,auth,::ffff:192.0.2.7 \
		9,auth,::ffff:192.0.2.17 8,auth,::ffff:192.0.2.17 7,auth,::ffff:192.0.2.17 \
		6,auth,::ffff:192.0.2.17 5,auth,::ffff:192.0.2.17 >mapped.log &&
	tlslogd scan -q -c allow4.conf $rules --db mapped.db mapped.log &&
	test "$(sql mapped.db "SELECT count(*) FROM events")" = 10 &&
	test "$(sql mapped.db "SELECT count(*) FROM flags")" = 1 &&
	sql mapped.db "SELECT peer FROM flags" | grep -q "192.0.2.17"
'

test_expect_success 'a domain is flagged from the reverse names of several addresses' '
	lines 30,tls,203.0.113.1,mx1.badtls.example.net 20,tls,203.0.113.2,mx2.badtls.example.net \
		10,tls,203.0.113.3,mx3.badtls.example.net >d.log &&
	tlslogd scan -q -c /dev/null $rules --db d.db d.log &&
	test "$(flags d.db)" = ".example.net|tls|3|1" &&
	test "$(sql d.db "SELECT peer_kind, main_kind FROM flags")" = "domain|tls_no_shared_cipher"
'

test_expect_success 'a flag line of the configuration replaces the defaults; flag none turns it off' '
	printf "flag burst tls_*,auth_failed 2 1h\n" >burst.conf &&
	lines 9,auth,192.0.2.11 8,tls,192.0.2.11 >b.log &&
	tlslogd scan -q -c burst.conf $rules --db b.db b.log &&
	test "$(flags b.db)" = "192.0.2.11|burst|2|1" &&
	printf "flag none\n" >none.conf &&
	lines 9,auth,192.0.2.12 8,auth,192.0.2.12 7,auth,192.0.2.12 6,auth,192.0.2.12 5,auth,192.0.2.12 >n.log &&
	tlslogd scan -q -c none.conf $rules --db n.db n.log &&
	test "$(sql n.db "SELECT count(*) FROM flags")" = 0
'

test_expect_success 'bad flag, allow and action lines are refused with file:line' '
	printf "flag x nosuchkind 5 10m\nflag y auth_failed five 10m\nallow 300.1.2.3\nallow 192.0.2.0/33\naction_flag ban %%ip%%\nflag_quiet soon\n" >bad.conf &&
	test_exit_code 2 tlslogd flagged -c bad.conf --db a.db 2>err &&
	cat err &&
	grep "bad.conf:1: flag x: unknown kind" err &&
	grep "bad.conf:2: flag y: COUNT" err &&
	grep "bad.conf:3: allow" err &&
	grep "bad.conf:4: allow" err &&
	grep "bad.conf:5: action_flag: the command must be an absolute file name" err &&
	grep "bad.conf:6: flag_quiet" err
'

test_expect_success 'flagged: json and csv parse, --all has the history' '
	tlslogd flagged -c quiet.conf --db q.db --all --format json >all.json &&
	python3 -c "import json
rows = json.load(open(\"all.json\"))
assert len(rows) == 2, rows
assert rows[0][\"cleared\"] is None and rows[1][\"cleared\"] is not None, rows
assert all(r[\"peer\"] == \"192.0.2.9\" and r[\"count\"] == 5 for r in rows)" &&
	tlslogd flagged -c quiet.conf --db q.db --format csv >now.csv &&
	python3 -c "import csv
rows = list(csv.DictReader(open(\"now.csv\")))
assert len(rows) == 1 and rows[0][\"peer\"] == \"192.0.2.9\" and rows[0][\"threshold\"] == \"guessing\", rows"
'

test_expect_success 'scan and the daemon flag the same peers' '
	lines 50,auth,192.0.2.20 49,auth,192.0.2.20 48,auth,192.0.2.20 47,auth,192.0.2.20 46,auth,192.0.2.20 \
		45,tls,203.0.113.9,a.flaky.example.org 44,tls,203.0.113.9,a.flaky.example.org \
		43,tls,203.0.113.9,a.flaky.example.org 30,auth,192.0.2.21 >same.log &&
	tlslogd scan -q -c /dev/null $rules --db same-scan.db same.log || exit 1
	daemon_start run.err -c /dev/null $rules --db same-run.db --from-start --follow "$PWD/same.log"
	pid=$daemon_pid
	# Until the daemon has stored what the scan stored (9 events; it waited for 6, always 10 s).
	want=$(sql same-scan.db "SELECT count(*) FROM events") &&
	n=0; while [ $n -lt 600 ] && [ "$(sql same-run.db "SELECT count(*) FROM events" 2>/dev/null)" != "$want" ]; do sleep 0.1; n=$((n + 1)); done
	kill $pid; wait $pid
	cat run.err &&
	test "$(flags same-scan.db)" = "$(flags same-run.db)" &&
	test "$(sql same-run.db "SELECT count(*) FROM flags")" = 3 &&
	grep "flagged 192.0.2.20 (guessing): 5 events of auth_failed in 10m, mostly auth_failed" run.err &&
	grep "flagged .example.org (a.flaky.example.org) (tls)" run.err
'

test_expect_success 'events after the flag raise its count and last event, in one scan and in the daemon' '
	lines 30,auth,192.0.2.30 29,auth,192.0.2.30 28,auth,192.0.2.30 27,auth,192.0.2.30 \
		26,auth,192.0.2.30 25,auth,192.0.2.30 24,auth,192.0.2.30 23,auth,192.0.2.30 >more.log &&
	tlslogd scan -q -c /dev/null $rules --db more.db more.log &&
	test "$(flags more.db)" = "192.0.2.30|guessing|8|1" &&
	test "$(sql more.db "SELECT last_event - first_event FROM flags")" = 420 &&
	: >live.log &&
	daemon_start live.err -c /dev/null $rules --db live.db --from-start --follow "$PWD/live.log" || exit 1
	pid=$daemon_pid
	n=0; while [ $n -lt 100 ] && ! grep -q "following 1 source" live.err; do sleep 0.1; n=$((n + 1)); done
	# Six events, then one at a time in batches of their own: the count follows each commit.
	for ago in 30 29 28 27 26 25 24 23 22; do
		lines $ago,auth,192.0.2.31 >>live.log
		want=$((31 - ago))
		n=0; while [ $n -lt 100 ] && [ "$(sql live.db "SELECT count(*) FROM events" 2>/dev/null)" != $want ]; do sleep 0.1; n=$((n + 1)); done
	done
	kill $pid; wait $pid
	cat live.err &&
	test "$(flags live.db)" = "192.0.2.31|guessing|9|1" &&
	test "$(sql live.db "SELECT last_event - first_event FROM flags")" = 480
'

test_expect_success 'a scan beside the daemon flags a peer first: the daemon takes that flag over' '
	lines 20,auth,192.0.2.40 19,auth,192.0.2.40 18,auth,192.0.2.40 17,auth,192.0.2.40 \
		16,auth,192.0.2.40 15,auth,192.0.2.40 >side.log &&
	: >side-live.log &&
	daemon_start side.err -c /dev/null $rules --db side.db --from-start --follow "$PWD/side-live.log" || exit 1
	pid=$daemon_pid
	n=0; while [ $n -lt 100 ] && ! grep -q "following 1 source" side.err; do sleep 0.1; n=$((n + 1)); done
	tlslogd scan -q -c /dev/null $rules --db side.db side.log &&
	test "$(flags side.db)" = "192.0.2.40|guessing|6|1" &&
	# The same failures in another file: the daemon stored them all, and its
	# own fifth one met the scan'"'"'s flag instead of making a second one.
	lines 20,auth,192.0.2.40 19,auth,192.0.2.40 18,auth,192.0.2.40 17,auth,192.0.2.40 \
		16,auth,192.0.2.40 15,auth,192.0.2.40 >>side-live.log &&
	n=0; while [ $n -lt 100 ] && [ "$(sql side.db "SELECT count(*) FROM events")" != 12 ]; do sleep 0.1; n=$((n + 1)); done
	kill $pid; wait $pid
	cat side.err &&
	! grep -e "cannot record a flag" -e "failed" side.err &&
	test "$(flags side.db)" = "192.0.2.40|guessing|12|1"
'

# The action: a script that writes each argument on its own line, with markers.
cat >record.sh <<-EOF
	#!/bin/sh
	for a in "\$@"; do printf "<%s>\n" "\$a"; done >>"$PWD/action.out"
	EOF
chmod +x record.sh

# A reverse name as a hostile DNS zone may serve it (Postfix logs it as it is).
hostile='x'"'"'"`id`;$(touch${IFS}pwned)|&>out.txt'

test_expect_success 'the action gets hostile values verbatim, each as one argument, and no shell runs them' '
	lines 5,auth,192.0.2.30,HOST 4,auth,192.0.2.30,HOST 3,auth,192.0.2.30,HOST \
		2,auth,192.0.2.30,HOST 1,auth,192.0.2.30,HOST |
		HOSTILE="$hostile" python3 -c "import os, sys
sys.stdout.write(sys.stdin.read().replace(\"HOST[\", os.environ[\"HOSTILE\"] + \"[\"))" >h.log &&
	cat h.log &&
	printf "action_flag %s --ip=%%ip%% %%host%% %%why%% %%count%% %%event%%\naction_clear %s %%event%% %%ip%%\n" \
		"$PWD/record.sh" "$PWD/record.sh" >act.conf || exit 1
	daemon_start act.err -c act.conf $rules --db act.db --from-start --follow "$PWD/h.log"
	pid=$daemon_pid
	n=0; while [ $n -lt 100 ] && [ ! -s action.out ]; do sleep 0.1; n=$((n + 1)); done
	sleep 0.3
	kill $pid; wait $pid
	cat act.err; cat action.out
	test ! -e pwned && test ! -e out.txt &&
	printf "<--ip=192.0.2.30>\n<%s>\n<5 events of auth_failed in 10m>\n<5>\n<flagged>\n" "$hostile" >expected &&
	test_cmp expected action.out
'

test_expect_success 'a hanging action is killed after action_timeout, and logged' '
	printf "#!/bin/sh\nexec sleep 30\n" >hang.sh && chmod +x hang.sh &&
	printf "action_flag %s %%ip%%\naction_timeout 1s\n" "$PWD/hang.sh" >hang.conf &&
	lines 5,auth,192.0.2.31 4,auth,192.0.2.31 3,auth,192.0.2.31 2,auth,192.0.2.31 1,auth,192.0.2.31 >hang.log || exit 1
	daemon_start hang.err -c hang.conf $rules --db hang.db --from-start --follow "$PWD/hang.log"
	pid=$daemon_pid
	n=0; while [ $n -lt 60 ] && ! grep -q "killed by signal 9" hang.err; do sleep 0.1; n=$((n + 1)); done
	kill $pid; wait $pid
	cat hang.err &&
	grep "still running after 1 s: killed" hang.err &&
	grep "action .*hang.sh (pid [0-9]*): killed by signal 9" hang.err &&
	test "$(sql hang.db "SELECT count(*) FROM events")" = 5
'

test_done
