#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# query-follow.sh: `tlslogd query --follow --format jsonl` beside a real
# daemon: every event once, in the order stored, valid JSON a line; from now
# by default, --since replays first; SIGTERM and a closed pipe end it with
# status 0. Then --format jsonl on query, top and flagged, and the table
# fitted to a terminal (a pty) but never cut in a pipe.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

# users_of FILE: the user of each JSON line of FILE, one a line; fails on a line that is no JSON object.
users_of() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert isinstance(e, dict) and "time" in e and "kind" in e, line
    print(e["user"])' "$1"
}

# seq_users FROM TO: u FROM .. u TO, one a line.
seq_users() {
	_i=$1
	while [ "$_i" -le "$2" ]; do echo "u$_i"; _i=$((_i + 1)); done
}

# follower_ready PID: the follower has the database open (it reads its "now" right then).
follower_ready() {
	wait_until 30 "ls -l /proc/$1/fd 2>/dev/null | grep -q 't.db\$'"
}

follow_test 'query --follow: from now, every new event once, in order, one JSON object a line' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 10 >>mail.log &&
	wait_events t.db 10 || exit 1
	"$TLSLOGD" query -c /dev/null --db t.db --follow --format jsonl >f.out 2>f.err &
	qpid=$! && bg_add $qpid &&
	follower_ready $qpid &&
	fails 11 40 >>mail.log &&
	wait_events t.db 40 &&
	fails 41 60 >>mail.log &&
	wait_events t.db 60 &&
	wait_until 30 "[ \$(wc -l <f.out) -ge 50 ]" &&
	kill -TERM $qpid &&
	test_exit_code 0 wait $qpid &&
	test ! -s f.err &&
	users_of f.out >got &&
	seq_users 11 60 >want &&
	test_cmp want got
'

follow_test 'query --follow --since: the older events first, then the new ones, each once' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 10 >>mail.log &&
	wait_events t.db 10 || exit 1
	"$TLSLOGD" query -c /dev/null --db t.db --follow --since 2000-01-01 >f.out 2>f.err &
	qpid=$! && bg_add $qpid &&
	fails 11 30 >>mail.log &&
	wait_events t.db 30 &&
	wait_until 30 "[ \$(wc -l <f.out) -ge 30 ]" &&
	kill -TERM $qpid &&
	test_exit_code 0 wait $qpid &&
	users_of f.out >got &&
	seq_users 1 30 >want &&
	test_cmp want got &&
	dbq t.db "SELECT count(*) FROM events WHERE peer_ip = \"192.0.2.2\"" >n && test "$(cat n)" = 1 ||
		exit 1
	"$TLSLOGD" query -c /dev/null --db t.db --follow --since 2000-01-01 --peer 192.0.2.2 >p.out &
	ppid=$! && bg_add $ppid &&
	wait_until 30 "[ \$(wc -l <p.out) -ge 1 ]" &&
	kill -INT $ppid; wait $ppid
	users_of p.out >got && echo u1 >want && test_cmp want got
'

follow_test 'query --follow: a closed pipe ends it quietly, with status 0' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 10 >>mail.log &&
	wait_events t.db 10 || exit 1
	{ "$TLSLOGD" query -c /dev/null --db t.db --follow --since 2000-01-01 --format jsonl 2>f.err;
	  echo "status $?" >status; } | head -n 2 >head.out &
	wait_until 30 "[ \$(wc -l <head.out) -ge 2 ]" &&
	fails 11 12 >>mail.log &&
	wait_until 30 "test -s status" &&
	grep -x "status 0" status &&
	test ! -s f.err
'

test_expect_success 'query --follow: --until, --limit and json are refused; one line for an unknown option' '
	test_exit_code 2 tlslogd query -c /dev/null --db t.db --follow --until 1h 2>err &&
	test_exit_code 2 tlslogd query -c /dev/null --db t.db --follow --format json 2>err &&
	grep "jsonl" err &&
	test_exit_code 2 tlslogd query --foo >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" -eq 1 &&
	grep -x "tlslogd query: unknown option --foo; see tlslogd query --help" err &&
	test_exit_code 2 tlslogd top --diagnosis 2>err &&
	grep -x "tlslogd top: unknown option --diagnosis; see tlslogd top --help" err &&
	test_exit_code 2 tlslogd query --peer 2>err &&
	grep -x "tlslogd query: option --peer needs a value; see tlslogd query --help" err
'

long_host=mail-wm1-f53.a-rather-long-subdomain-of-the-provider.google.com
test_expect_success 'set up: peers with long names' '
	{
		printf "Nov 21 08:32:0%d mx1 postfix/smtpd[4%d]: warning: %s[2a00:1450:4864:20::32%d]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=w%d\n" \
			1 1 "$long_host" 1 1 2 2 "$long_host" 2 2 3 3 "$long_host" 3 3
	} >long.log &&
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db w.db long.log &&
	test "$(dbq w.db "SELECT count(*) FROM events")" = 3
'

test_expect_success '--format jsonl on query, top and flagged: one JSON object a line' '
	tlslogd query -c /dev/null --db w.db --peer 2a00:1450:4864::/48 --format jsonl >q.out &&
	test "$(wc -l <q.out)" -eq 3 &&
	users_of q.out >got && printf "w3\nw2\nw1\n" >want && test_cmp want got &&
	tlslogd top -c /dev/null --db w.db --since 2000-01-01 --format jsonl >t.out &&
	test "$(wc -l <t.out)" -eq 3 &&
	python3 -c "import json, sys; [json.loads(l)[\"count\"] for l in open(sys.argv[1])]" t.out &&
	tlslogd flagged -c /dev/null --db w.db --format jsonl >fl.out &&
	test ! -s fl.out
'

test_expect_success 'the table: never cut in a pipe; fitted to a terminal of COLUMNS, the host cut, not the address' '
	tlslogd query -c /dev/null --db w.db --peer 2a00:1450:4864::/48 >pipe.out &&
	grep -F "$long_host[2a00:1450:4864:20::323]" pipe.out &&
	! grep "~" pipe.out &&
	tlslogd top -c /dev/null --db w.db --since 2000-01-01 --by domain >top.out &&
	COLUMNS=100 python3 -c "
import os, pty, sys
out = b\"\"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace(\"\\r\\n\", \"\\n\"))
" "$TLSLOGD" query -c /dev/null --db w.db --peer 2a00:1450:4864::/48 >tty.out &&
	cat tty.out &&
	grep -F "~[2a00:1450:4864:20::323]" tty.out &&
	sed -n "/^TIME/,/^\$/p" tty.out | awk "length > 100 { bad = 1 } END { exit bad }"
'

test_done
