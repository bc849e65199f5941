#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# top.sh: tlslogd top: counts since a time by peer, kind, server and domain,
# worst first, in every format (JSON parsed by Python's json), --limit, the
# default period of 24h, one peer's servers (--by server --peer), --server,
# --direction, and usage errors.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"

# lines SPEC...: one failure per SPEC "MINUTES_AGO,KIND,IP,HOST,SERVER" (KIND auth or
# tls; HOST "unknown" for none), ISO headers in UTC relative to one "now".
top_now=$(date +%s)
lines() {
	python3 - "$top_now" "$@" <<-\PY
	import sys, time
	now = int(sys.argv.pop(1))
	for i, spec in enumerate(sys.argv[1:]):
	    ago, kind, ip, host, server = spec.split(",")
	    t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(float(ago) * 60)))
	    pid = 2000 + i
	    if kind == "auth":
	        print("%s %s postfix/smtpd[%d]: warning: %s[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % (t, server, pid, host, ip))
	    else:
	        print("%s %s postfix/smtpd[%d]: SSL_accept error from %s[%s]: -1" % (t, server, pid, host, ip))
	        print("%s %s postfix/smtpd[%d]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:" % (t, server, pid))
	        print("%s %s postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (t, server, pid, host, ip))
	PY
}

# json_check PYTHON: run PYTHON with d = the JSON document on standard input.
json_check() {
	python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
'"$1"
}

test_expect_success 'set up: failures in the last day and three days ago' '
	{
		lines 10,auth,192.0.2.7,unknown,mx1 20,auth,192.0.2.7,unknown,mx1 30,auth,192.0.2.7,unknown,mx2 \
			40,auth,192.0.2.7,unknown,mx1 50,tls,192.0.2.7,unknown,mx1 \
			60,tls,198.51.100.1,mx1.alpha.example.net,mx2 70,tls,198.51.100.2,mx2.alpha.example.net,mx2 \
			80,auth,198.51.100.2,mx2.alpha.example.net,mx2 \
			90,tls,203.0.113.9,mail.beta.example.co.uk,mx3 100,tls,203.0.113.9,mail.beta.example.co.uk,mx3 \
			110,auth,2001:db8::1,unknown,mx1 &&
		lines 4320,auth,203.0.113.99,old.gamma.example.org,mx9 4330,auth,203.0.113.99,old.gamma.example.org,mx9 \
			4340,auth,203.0.113.99,old.gamma.example.org,mx9 4350,auth,203.0.113.99,old.gamma.example.org,mx9 \
			4360,auth,203.0.113.99,old.gamma.example.org,mx9 4370,auth,203.0.113.99,old.gamma.example.org,mx9
	} >t.log &&
	tlslogd scan -q -c /dev/null $rules --db t.db t.log &&
	test "$(sql t.db "SELECT count(*) FROM events")" = 17
'

test_expect_success 'by peer (the default), last 24h (the default): worst first, the table' '
	tlslogd top -c /dev/null --db t.db >out &&
	cat out &&
	head -n 1 out | grep "^Since 20[0-9-]* [0-9:]* UTC, until now$" &&
	sed -n 2p out | grep "^PEER  *COUNT HOST  *FIRST  *LAST$" &&
	sed -n 3p out | grep "^192.0.2.7  *5 -  *20" &&
	sed -n 4p out | grep "^198.51.100.2  *2 mx2.alpha.example.net " &&
	sed -n 5p out | grep "^203.0.113.9  *2 mail.beta.example.co.uk " &&
	test "$(wc -l <out)" = 7 &&
	! grep 203.0.113.99 out
'

test_expect_success '--since 7d reaches the older events; JSON counts match the database' '
	tlslogd top -c /dev/null --db t.db --since 7d --format json >out &&
	json_check "
assert [(r[\"peer\"], r[\"count\"]) for r in d] == [(\"203.0.113.99\", 6), (\"192.0.2.7\", 5), (\"198.51.100.2\", 2), (\"203.0.113.9\", 2), (\"198.51.100.1\", 1), (\"2001:db8::1\", 1)], d
assert d[0][\"host\"] == \"old.gamma.example.org\", d
assert d[1][\"host\"] is None, d
assert all(set(r) == {\"peer\", \"count\", \"host\", \"first\", \"last\"} for r in d), d
assert all(r[\"first\"] <= r[\"last\"] and r[\"last\"].endswith(\"Z\") for r in d), d
" <out
'

test_expect_success '--since an ISO date' '
	day=$(python3 -c "import time; print(time.strftime(\"%Y-%m-%dT%H:%M:%SZ\", time.gmtime($top_now - 4335 * 60)))") &&
	tlslogd top -c /dev/null --db t.db --since "$day" --format json >out &&
	json_check "
assert [r[\"count\"] for r in d if r[\"peer\"] == \"203.0.113.99\"] == [2], d
" <out
'

test_expect_success '--by kind, server and domain: counts and distinct peers' '
	tlslogd top -c /dev/null --db t.db --by kind --format json >kind.json &&
	json_check "
assert [(r[\"kind\"], r[\"count\"], r[\"peers\"]) for r in d] == [(\"auth_failed\", 6, 3), (\"tls_no_shared_cipher\", 5, 4)], d
" <kind.json &&
	tlslogd top -c /dev/null --db t.db --by server --format json >server.json &&
	json_check "
assert [(r[\"server\"], r[\"count\"], r[\"peers\"]) for r in d] == [(\"mx1\", 5, 2), (\"mx2\", 4, 3), (\"mx3\", 2, 1)], d
" <server.json &&
	tlslogd top -c /dev/null --db t.db --by domain --format json >domain.json &&
	json_check "
assert [(r[\"domain\"], r[\"count\"], r[\"peers\"]) for r in d] == [(\".example.net\", 3, 2), (\".example.co.uk\", 2, 1)], d
" <domain.json
'

test_expect_success '--by server --peer: where a peer fails; --server, --direction' '
	tlslogd top -c /dev/null --db t.db --by server --peer 192.0.2.7 --format json >out &&
	json_check "
assert [(r[\"server\"], r[\"count\"], r[\"peers\"]) for r in d] == [(\"mx1\", 4, 1), (\"mx2\", 1, 1)], d
" <out &&
	tlslogd top -c /dev/null --db t.db --by server --peer 198.51.100.0/24 >out &&
	cat out &&
	grep "^mx2  *3  *2 " out && test "$(wc -l <out)" = 3 &&
	tlslogd top -c /dev/null --db t.db --by server --peer example.net --since 7d --format csv >out &&
	grep "^mx2,3,2," out && test "$(wc -l <out)" = 2 &&
	tlslogd top -c /dev/null --db t.db --server MX2 --format json >out &&
	json_check "
assert [(r[\"peer\"], r[\"count\"]) for r in d] == [(\"198.51.100.2\", 2), (\"192.0.2.7\", 1), (\"198.51.100.1\", 1)], d
" <out &&
	tlslogd top -c /dev/null --db t.db --direction out --format json >out &&
	test "$(cat out)" = "[]" &&
	tlslogd top -c /dev/null --db t.db --by kind --peer 192.0.2.7 --direction in --format csv >out &&
	grep "^auth_failed,4,1," out && grep "^tls_no_shared_cipher,1,1," out
'

test_expect_success 'a domain is the registered domain of the reverse names' '
	tlslogd top -c /dev/null --db t.db --by domain --since 7d --format csv >out &&
	cat out &&
	head -n 1 out | grep "^domain,count,peers,first,last$" &&
	grep "^\.example\.net,3,2," out &&
	grep "^\.example\.co\.uk,2,1," out &&
	grep "^\.example\.org,6,1," out
'

test_expect_success 'CSV for every --by has its header and one line per row' '
	for by in peer kind server domain; do
		tlslogd top -c /dev/null --db t.db --by $by --since 7d --format csv >out &&
		third=peers && { test $by != peer || third=host; } &&
		head -n 1 out | grep "^$by,count,$third,first,last$" &&
		python3 -c "import csv, sys; rows = list(csv.reader(open(\"out\"))); assert all(len(r) == 5 for r in rows), rows" || exit 1
	done &&
	test "$(tlslogd top -c /dev/null --db t.db --by server --since 7d --format csv | wc -l)" = 5
'

test_expect_success '--limit: the N worst; 0: all' '
	tlslogd top -c /dev/null --db t.db --since 7d --limit 2 --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"203.0.113.99\", \"192.0.2.7\"], d" <out &&
	tlslogd top -c /dev/null --db t.db --since 7d --limit 0 --format csv >out &&
	test "$(wc -l <out)" = 7 &&
	tlslogd top -c /dev/null --db t.db --since 7d -l 1 >out &&
	test "$(wc -l <out)" = 3
'

test_expect_success 'an empty period: a sentence, [] and a bare header' '
	tlslogd top -c /dev/null --db t.db --since 1s >out &&
	grep "^No events in this period.$" out &&
	tlslogd top -c /dev/null --db t.db --since 1s --format json >out &&
	test "$(cat out)" = "[]" &&
	tlslogd top -c /dev/null --db t.db --since 1s --by kind --format csv >out &&
	test "$(cat out)" = "kind,count,peers,first,last"
'

test_expect_success 'usage errors exit 2' '
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --by address 2>err &&
	grep "expected peer, kind, server, domain or user" err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --direction sideways 2>err &&
	grep -- "--direction: expected in or out" err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --peer 192.0.2.0/33 2>err &&
	grep -- "--peer: \"192.0.2.0/33\" is not a network" err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --server "" 2>err &&
	grep -- "--server: expected a server name" err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --since someday 2>err &&
	grep -- "--since: \"someday\" is not a time: expected today, yesterday" err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --kind tls,nosuch 2>err &&
	grep -- "--kind: unknown kind \"nosuch\"" err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --kind tl 2>err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --limit -3 2>err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db --format xml 2>err &&
	test_exit_code 2 tlslogd top -c /dev/null --db t.db extra 2>err &&
	test_exit_code 0 tlslogd top --help >out &&
	grep "^usage: tlslogd top" out &&
	test_exit_code 1 tlslogd top -c /dev/null --db missing.db 2>err
'

test_done
