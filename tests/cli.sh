#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# cli.sh: the command line: help, version, usage errors (exit 2), and query
# end to end on a small log of our own: matching by IP (IPv6 in any
# spelling), by host name and by HELO, the --kind, --since and --until
# filters, the table, JSON and CSV formats, newest first, a read-only
# database, and a rescan that adds nothing.
#
# The rules are a tiny folder written here, so that these tests do not depend
# on what the shipped patterns cover; the configuration is an empty file, so
# that a system tlslogd.conf never interferes.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

mkdir rules &&
cat >rules/postfix.rules <<\EOF &&
mta postfix
programs postfix/*

rule t-sasl-failed
  programs smtpd
  kind auth_failed
  direction in
  literal authentication failed
  pattern ^warning: (?:unknown(?=\[)|(?<peer_host>[^\s\[]+))\[(?<peer_ip>[^\]]+)\]: SASL (?<mech>[A-Z0-9-]+) authentication failed: (?<reason>[^,]*)(?:, sasl_username=(?<user>.*))?$
  example Nov 20 10:00:00 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: authentication failure, sasl_username=bob
  expect peer_host -
  expect peer_ip 192.0.2.1
  expect user bob
  expect mech LOGIN
  expect kind auth_failed

rule t-starttls-first
  programs smtpd
  kind tls_required
  direction in
  literal Must issue a STARTTLS command first
  pattern ^NOQUEUE: reject: [A-Z]+ from (?:unknown(?=\[)|(?<peer_host>[^\s\[]+))\[(?<peer_ip>[^\]]+)\]: (?<reason>530 5\.7\.0 Must issue a STARTTLS command first);.* helo=<(?<helo>[^>]*)>$
  example Nov 20 10:00:00 mx1 postfix/smtpd[100]: NOQUEUE: reject: MAIL from unknown[192.0.2.2]: 530 5.7.0 Must issue a STARTTLS command first; proto=ESMTP helo=<client.example>
  expect peer_ip 192.0.2.2
  expect helo client.example
  expect kind tls_required
EOF
: >empty.conf || exit 99

# The log, in file order (not time order): 192.0.2.1 fails four times (three
# AUTH, one STARTTLS with a HELO), under a reverse name once; 2001:db8::1
# twice, written two ways; 198.51.100.9 once. The file time fixes the year.
cat >mail.log <<\EOF &&
Nov 20 09:00:00 mx1 postfix/smtpd[201]: warning: Mail.Example.NET[192.0.2.1]: SASL LOGIN authentication failed: authentication failure, sasl_username=bob
Nov 19 08:00:00 mx1 postfix/smtpd[200]: warning: unknown[192.0.2.1]: SASL PLAIN authentication failed: authentication failure, sasl_username=alice
Nov 20 10:00:00 mx1 postfix/smtpd[202]: NOQUEUE: reject: MAIL from unknown[192.0.2.1]: 530 5.7.0 Must issue a STARTTLS command first; proto=ESMTP helo=<Client.Example.ORG>
Nov 20 07:00:00 mx1 postfix/smtpd[203]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: authentication failure, sasl_username=carol
Nov 20 11:00:00 mx1 postfix/smtpd[204]: warning: unknown[2001:db8::1]: SASL LOGIN authentication failed: authentication failure, sasl_username=v6a
Nov 20 11:30:00 mx1 postfix/smtpd[205]: warning: unknown[2001:0DB8:0:0:0:0:0:1]: SASL LOGIN authentication failed: authentication failure, sasl_username=v6b
Nov 20 12:00:00 mx1 postfix/smtpd[206]: warning: unknown[198.51.100.9]: SASL LOGIN authentication failed: authentication failure, sasl_username=other
EOF
touch -d 2026-11-21T12:00:00Z mail.log || exit 99

scan() {
	tlslogd scan -c "$test_scratch/empty.conf" --patterns "$test_scratch/rules" "$@"
}

query() {
	tlslogd query -c "$test_scratch/empty.conf" "$@"
}

# json_check PYTHON: run PYTHON with d = the JSON document on standard input.
json_check() {
	python3 -c 'import json, re, sys
d = json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))
'"$1"
}

# Lines of standard input with the first one (a header) removed.
body_lines() {
	sed -e 1d -e "/^\$/,\$d" | wc -l | tr -d " "
}

# --- help, version, usage errors ---------------------------------------------

test_expect_success 'tlslogd --help: exit 0, lists the commands' '
	test_exit_code 0 tlslogd --help >out 2>err &&
	cat out &&
	head -n 1 out | grep "^usage: tlslogd COMMAND" &&
	grep "^  scan " out &&
	grep "^  query " out &&
	grep "^  test-rules " out &&
	test ! -s err
'

test_expect_success 'tlslogd -h and tlslogd help are --help' '
	tlslogd --help >help &&
	test_exit_code 0 tlslogd -h >out &&
	test_cmp help out &&
	test_exit_code 0 tlslogd help >out &&
	test_cmp help out
'

test_expect_success 'tlslogd without a command: usage on stderr, exit 2' '
	test_exit_code 2 tlslogd >out 2>err &&
	test ! -s out &&
	grep "^usage: tlslogd COMMAND" err
'

test_expect_success 'tlslogd --version prints "tlslogd VERSION"' '
	test_exit_code 0 tlslogd --version >out &&
	cat out &&
	test "$(wc -l <out)" = 1 &&
	grep -E "^tlslogd [0-9]+\.[0-9]+(\.[0-9]+)?([-.~+][0-9A-Za-z.]+)?$" out &&
	test_exit_code 0 tlslogd -V >out2 &&
	test_cmp out out2
'

test_expect_success 'an unknown command: exit 2, named, pointing to --help' '
	test_exit_code 2 tlslogd frobnicate >out 2>err &&
	cat err &&
	test ! -s out &&
	grep "unknown command \"frobnicate\"" err &&
	grep -- "--help" err
'

for cmd in scan query test-rules; do
	test_expect_success "tlslogd $cmd --help: exit 0, usage on stdout" '
		test_exit_code 0 tlslogd '"$cmd"' --help >out 2>err &&
		head -n 1 out | grep "^usage: tlslogd '"$cmd"' " &&
		grep -- "--help" out &&
		test ! -s err &&
		test_exit_code 0 tlslogd '"$cmd"' -h >out2 &&
		test_cmp out out2
	'

done

for cmd in scan query test-rules run stats purge flagged top summary; do
	test_expect_success "tlslogd $cmd with an unknown option: exit 2, one line that points to --help" '
		test_exit_code 2 tlslogd '"$cmd"' --no-such-option >out 2>err &&
		cat err &&
		test ! -s out &&
		test "$(wc -l <err)" -eq 1 &&
		grep -x "tlslogd '"$cmd"': unknown option --no-such-option; see tlslogd '"$cmd"' --help" err &&
		test_exit_code 2 tlslogd '"$cmd"' -Z 2>err &&
		grep -x "tlslogd '"$cmd"': unknown option -Z; see tlslogd '"$cmd"' --help" err
	'
done

test_expect_success 'set up: an empty database' '
	: >empty.log &&
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db n.db empty.log
'

for cmd in query top flagged stats summary; do
	test_expect_success "tlslogd $cmd -n: checks the configuration and the database, prints nothing else" '
		peer= && if [ '"$cmd"' = query ]; then peer="--peer 192.0.2.1"; fi &&
		test_exit_code 0 tlslogd '"$cmd"' -n -c /dev/null --db n.db $peer >out 2>err &&
		grep -x "tlslogd '"$cmd"': configuration OK" out &&
		test_exit_code 1 tlslogd '"$cmd"' -n -c /dev/null --db missing.db $peer 2>err
	'
done

test_expect_success 'an option without its value: exit 2' '
	test_exit_code 2 tlslogd query --peer 2>err &&
	grep "peer" err &&
	test_exit_code 2 tlslogd scan -c empty.conf --patterns rules --db x.db --max-line 2>err &&
	test ! -e x.db
'

test_expect_success 'scan without a file: exit 2, nothing created' '
	test_exit_code 2 scan --db x.db >out 2>err &&
	cat err &&
	grep "scan: no file given" err &&
	test ! -e x.db
'

test_expect_success 'scan --max-line out of range: exit 2, nothing created' '
	test_exit_code 2 scan --db x.db --max-line 10 mail.log 2>err &&
	grep -- "--max-line: expected a number of bytes" err &&
	test_exit_code 2 scan --db x.db --max-line 12k mail.log 2>err &&
	grep -- "--max-line" err &&
	test ! -e x.db
'

test_expect_success 'scan --mta for an MTA without rules: exit 2, nothing created' '
	test_exit_code 2 scan --db x.db --mta exim mail.log 2>err &&
	cat err &&
	grep -- "--mta exim: no rules for this MTA" err &&
	test ! -e x.db
'

test_expect_success 'test-rules with two files: exit 2' '
	test_exit_code 2 tlslogd test-rules -c empty.conf --patterns rules mail.log mail.log 2>err &&
	grep "at most one input file" err
'

test_expect_success 'query without --peer: exit 2' '
	test_exit_code 2 query --db x.db >out 2>err &&
	cat err &&
	test ! -s out &&
	grep "query: --peer DOMAIN|HOST|IP|CIDR is required" err &&
	test_exit_code 2 query --db x.db --peer "" 2>err &&
	grep "query: --peer DOMAIN|HOST|IP|CIDR is required" err &&
	test ! -e x.db
'

test_expect_success 'query with an extra argument: exit 2' '
	test_exit_code 2 query --db x.db --peer 192.0.2.1 extra 2>err &&
	grep "query: unexpected argument \"extra\"" err
'

test_expect_success 'query --format xml: exit 2' '
	test_exit_code 2 query --db x.db --peer 192.0.2.1 --format xml >out 2>err &&
	cat err &&
	test ! -s out &&
	grep -- "--format: expected table, json, jsonl or csv, not \"xml\"" err
'

test_expect_success 'query --since and --until with bad times: exit 2' '
	for when in yesterdays mo tomorrow 24 7x 2026-13-01 2026-11-22T25:00 2026-11-22Tnoon -1d ""; do
		test_exit_code 2 query --db x.db --peer 192.0.2.1 --since "$when" 2>err &&
		grep -- "--since: \"$when\" is not a time: expected today, yesterday, a weekday" err &&
		test_exit_code 2 query --db x.db --peer 192.0.2.1 --until "$when" 2>err &&
		grep -- "--until: \"$when\" is not a time" err || exit 1
	done
'

test_expect_success 'query --kind with an unknown kind: exit 2' '
	test_exit_code 2 query --db x.db --peer 192.0.2.1 --kind tls_bogus >out 2>err &&
	cat err &&
	test ! -s out &&
	grep -- "--kind: unknown kind \"tls_bogus\"" err
'

# --- query end to end ---------------------------------------------------------

test_expect_success 'scan the log' '
	test_exit_code 0 scan --db t.db mail.log >out 2>err &&
	cat out err &&
	grep "^7 new events stored in t.db" out &&
	test "$(sql t.db "SELECT count(*) FROM events")" = 7
'

test_expect_success 'query a peer without events: table says "No events for", exit 0' '
	test_exit_code 0 query --db t.db --peer 203.0.113.99 >out 2>err &&
	echo "No events for 203.0.113.99." >expect &&
	test_cmp expect out &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --kind tls_timeout >out 2>err &&
	echo "No events for 192.0.2.1 with these filters." >expect &&
	test_cmp expect out
'

test_expect_success 'query a peer without events: JSON is exactly []' '
	test_exit_code 0 query --db t.db --peer 203.0.113.99 --format json >out &&
	echo "[]" >expect &&
	test_cmp expect out
'

test_expect_success 'query a peer without events: CSV is the header alone' '
	test_exit_code 0 query --db t.db --peer 203.0.113.99 --format csv >out &&
	test "$(wc -l <out)" = 1 &&
	grep "^time,server,mta," out
'

test_expect_success 'query by IPv4 address: its events, newest first' '
	test_exit_code 0 query --db t.db --peer 192.0.2.1 >table 2>err &&
	cat table &&
	head -n 1 table | grep "^TIME (UTC) *DIR KIND *PEER *REASON$" &&
	test "$(body_lines <table)" = 4 &&
	sed -e 1d -e "/^\$/,\$d" table | cut -c1-19 >times &&
	printf "%s\n" "2026-11-20 10:00:00" "2026-11-20 09:00:00" "2026-11-20 07:00:00" \
		"2026-11-19 08:00:00" >expect &&
	test_cmp expect times &&
	sed -n 2p table | grep "^2026-11-20 10:00:00 in  tls_required  *\[192.0.2.1\]  *530 5.7.0 Must issue a STARTTLS command first$" &&
	sed -n 3p table | grep "^2026-11-20 09:00:00 in  auth_failed  *Mail.Example.NET\[192.0.2.1\]  *authentication failure; user=bob$"
'

test_expect_success 'query by IPv6 address written non-canonically' '
	test_exit_code 0 query --db t.db --peer 2001:0db8::0001 --format json >out &&
	json_check "
assert [e[\"user\"] for e in d] == [\"v6b\", \"v6a\"], d
assert all(e[\"peer_ip\"] == \"2001:db8::1\" for e in d), d
" <out &&
	test_exit_code 0 query --db t.db --peer 2001:DB8:0:0:0:0:0:1 --format csv >out &&
	test "$(body_lines <out)" = 2
'

test_expect_success 'query by host name, case-insensitive' '
	for host in mail.example.net MAIL.EXAMPLE.NET Mail.Example.NET; do
		test_exit_code 0 query --db t.db --peer "$host" --format json >out &&
		json_check "
assert [e[\"user\"] for e in d] == [\"bob\"], d
" <out || exit 1
	done
'

test_expect_success 'query by HELO name, case-insensitive' '
	test_exit_code 0 query --db t.db --peer client.example.org --format json >out &&
	json_check "
assert [e[\"kind\"] for e in d] == [\"tls_required\"], d
assert d[0][\"helo\"] == \"Client.Example.ORG\", d
assert d[0][\"peer_ip\"] == \"192.0.2.1\", d
" <out &&
	test_exit_code 0 query --db t.db --peer CLIENT.EXAMPLE.ORG >table &&
	test "$(body_lines <table)" = 1
'

test_expect_success 'a name matches itself and the names under it, never a part of another one' '
	test_exit_code 0 query --db t.db --peer ample.net >out &&
	grep "^No events for ample.net (as a domain: its hosts, HELO names and recipient domain).$" out &&
	test_exit_code 0 query --db t.db --peer 192.0.2 >out &&
	grep "^No events for 192.0.2 (as a domain: its hosts, HELO names and recipient domain).$" out &&
	test_exit_code 0 query --db t.db --peer example.net --format json >out &&
	json_check "
assert [e[\"user\"] for e in d] == [\"bob\"], d
" <out
'

test_expect_success 'query --kind keeps that kind only' '
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --kind auth_failed --format json >out &&
	json_check "
assert [e[\"user\"] for e in d] == [\"bob\", \"carol\", \"alice\"], d
assert all(e[\"kind\"] == \"auth_failed\" for e in d), d
" <out &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --kind tls_required --format csv >out &&
	test "$(body_lines <out)" = 1
'

test_expect_success 'query --since and --until, bounds included' '
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --since 2026-11-20T08:00:00Z --format json >out &&
	json_check "
assert [e[\"time\"] for e in d] == [\"2026-11-20T10:00:00Z\", \"2026-11-20T09:00:00Z\"], d
" <out &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --until 2026-11-20T08:00:00Z --format json >out &&
	json_check "
assert [e[\"time\"] for e in d] == [\"2026-11-20T07:00:00Z\", \"2026-11-19T08:00:00Z\"], d
" <out &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --since 2026-11-20T07:00:00Z \
		--until 2026-11-20T09:00:00Z --format json >out &&
	json_check "
assert [e[\"time\"] for e in d] == [\"2026-11-20T09:00:00Z\", \"2026-11-20T07:00:00Z\"], d
" <out
'

test_expect_success 'query --since with a date, a zone offset and a duration' '
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --since 2026-11-20 --format csv >out &&
	test "$(body_lines <out)" = 3 &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --since 2026-11-20T10:00:00+01:00 --format csv >out &&
	test "$(body_lines <out)" = 2 &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --since 2026-11-20T12:00:00+01:00 >out &&
	grep "^No events for 192.0.2.1 with these filters.$" out &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --since 5200w --format csv >out &&
	test "$(body_lines <out)" = 4
'

test_expect_success 'query --kind, --since and --until together' '
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --kind auth_failed \
		--since 2026-11-20T00:00:00Z --until 2026-11-20T23:59:59Z --format json >out &&
	json_check "
assert [e[\"user\"] for e in d] == [\"bob\", \"carol\"], d
" <out
'

test_expect_success 'CSV: a header row and one line per event' '
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --format csv >out &&
	cat out &&
	echo "time,server,mta,program,pid,direction,kind,peer_host,peer_ip,peer_port,helo,user,mech,reason,tls_version,cipher,queue_id,source,offset,raw,downgraded" >expect &&
	head -n 1 out >header &&
	test_cmp expect header &&
	test "$(body_lines <out)" = 4 &&
	sed -n 2p out | grep "^2026-11-20T10:00:00Z,mx1,postfix,postfix/smtpd,202,in,tls_required,,192.0.2.1,,Client.Example.ORG,,,530 5.7.0 Must issue a STARTTLS command first,,,,[^,]*/mail.log,[0-9][0-9]*,\"\{0,1\}Nov 20 10:00:00 mx1 " &&
	python3 -c "import csv, sys
rows = list(csv.reader(sys.stdin))
assert len(rows) == 5 and all(len(r) == 21 for r in rows), rows
" <out
'

test_expect_success 'JSON: every field, ISO 8601 UTC times, newest first' '
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --format json >out &&
	python3 -m json.tool <out >/dev/null &&
	json_check "
fields = \"time server mta program pid direction kind peer_host peer_ip peer_port helo user mech reason tls_version cipher queue_id source offset raw downgraded\".split()
assert isinstance(d, list) and len(d) == 4, d
for e in d:
    assert list(e.keys()) == fields, list(e.keys())
    assert re.match(r\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$\", e[\"time\"]), e[\"time\"]
    assert isinstance(e[\"pid\"], int) and isinstance(e[\"offset\"], int), e
    assert e[\"source\"].endswith(\"/mail.log\") and e[\"source\"].startswith(\"/\"), e[\"source\"]
    assert e[\"raw\"].startswith(\"Nov \"), e[\"raw\"]
assert [e[\"time\"] for e in d] == sorted((e[\"time\"] for e in d), reverse=True), d
assert d[1][\"time\"] == \"2026-11-20T09:00:00Z\", d[1]
e = d[1]
assert (e[\"server\"], e[\"mta\"], e[\"program\"], e[\"pid\"], e[\"direction\"], e[\"kind\"]) == (\"mx1\", \"postfix\", \"postfix/smtpd\", 201, \"in\", \"auth_failed\"), e
assert (e[\"peer_host\"], e[\"peer_ip\"], e[\"peer_port\"], e[\"helo\"], e[\"user\"], e[\"mech\"], e[\"reason\"]) == (\"Mail.Example.NET\", \"192.0.2.1\", None, None, \"bob\", \"LOGIN\", \"authentication failure\"), e
assert e[\"offset\"] == 0, e
" <out
'

test_expect_success 'events at the same second keep a stable order, newest line first' '
	cat >same.log <<-\EOF &&
	Nov 20 13:00:00 mx1 postfix/smtpd[300]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: authentication failure, sasl_username=s1
	Nov 20 13:00:00 mx1 postfix/smtpd[301]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: authentication failure, sasl_username=s2
	Nov 20 13:00:00 mx1 postfix/smtpd[302]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: authentication failure, sasl_username=s3
	EOF
	touch -d 2026-11-21T12:00:00Z same.log &&
	scan --db same.db same.log &&
	test_exit_code 0 query --db same.db --peer 192.0.2.50 --format json >out &&
	json_check "
assert [e[\"user\"] for e in d] == [\"s3\", \"s2\", \"s1\"], d
" <out
'

test_expect_success 'rescanning the same file prints "0 new events" and stores nothing' '
	test_exit_code 0 scan --db t.db mail.log >out 2>err &&
	cat out err &&
	grep "^0 new events stored in t.db" out &&
	test "$(sql t.db "SELECT count(*) FROM events")" = 7
'

test_expect_success 'rescanning after an append stores the new lines only' '
	cp mail.log grow.log &&
	touch -d 2026-11-21T12:00:00Z grow.log &&
	scan --db grow.db grow.log >out &&
	grep "^7 new events" out &&
	echo "Nov 21 09:00:00 mx1 postfix/smtpd[400]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: authentication failure, sasl_username=dan" >>grow.log &&
	touch -d 2026-11-21T12:00:00Z grow.log &&
	test_exit_code 0 scan --db grow.db grow.log >out &&
	grep "^1 new event stored in grow.db" out &&
	test "$(sql grow.db "SELECT count(*) FROM events")" = 8
'

test_expect_success 'scan -q prints nothing' '
	test_exit_code 0 scan -q --db quiet.db mail.log >out 2>err &&
	test ! -s out && test ! -s err &&
	test "$(sql quiet.db "SELECT count(*) FROM events")" = 7
'

test_expect_success 'scan reads standard input with -' '
	test_exit_code 0 scan --db stdin.db - <mail.log >out 2>err &&
	cat out err &&
	test "$(sql stdin.db "SELECT count(*) FROM events")" = 7
'

test_expect_success 'the configuration file names the database' '
	echo "database $test_scratch/t.db" >db.conf &&
	test_exit_code 0 tlslogd query -c db.conf --peer 198.51.100.9 --format csv >out &&
	test "$(body_lines <out)" = 1 &&
	test_exit_code 1 tlslogd query -c db.conf --db nope.db --peer 198.51.100.9 >out 2>err &&
	grep "cannot open database nope.db" err
'

# Query opens the database read-only: it works on a database the user cannot
# write, in a folder the user cannot write. Root ignores permissions, so as
# root the query runs as "nobody" when setpriv can, and is skipped otherwise.
if [ "$(id -u)" != 0 ]; then
	as_user() {
		"$TLSLOGD" "$@"
	}
	unprivileged=yes
elif command -v setpriv >/dev/null 2>&1 && chmod 755 "$test_scratch" &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TLSLOGD" test-rules --check \
		-c "$test_scratch/empty.conf" --patterns "$test_scratch/rules" >/dev/null 2>&1; then
	as_user() {
		setpriv --reuid=65534 --regid=65534 --clear-groups "$TLSLOGD" "$@"
	}
	unprivileged=yes
else
	unprivileged=
fi

if [ -n "$unprivileged" ]; then
	test_expect_success 'query works on a read-only database in a read-only folder' '
		mkdir ro &&
		scan --db ro/t.db mail.log >/dev/null &&
		cp ro/t.db t.db.orig &&
		chmod 444 ro/t.db &&
		chmod 555 ro &&
		ls -la ro &&
		as_user query -c "$test_scratch/empty.conf" --db ro/t.db \
			--peer 192.0.2.1 --format csv >out 2>err
		status=$?
		cat err &&
		test "$status" = 0 &&
		test "$(body_lines <out)" = 4 &&
		cmp ro/t.db t.db.orig
	'
else
	test_skip 'query works on a read-only database in a read-only folder' \
		'running as root without setpriv: root ignores permissions'
fi

test_expect_success 'query does not change the database' '
	cp t.db t.db.before &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 >/dev/null &&
	test_exit_code 0 query --db t.db --peer 192.0.2.1 --format json >/dev/null &&
	cmp t.db t.db.before &&
	test "$(sql t.db "SELECT count(*) FROM events")" = 7
'

test_expect_success 'a comment after a setting is not part of its value' '
	printf "database %s # where events go\ntimezone Europe/Berlin   # our servers\n" "$test_scratch/c.db" >c.conf &&
	printf "Nov 20 10:00:00 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.77]: SASL LOGIN authentication failed: authentication failure, sasl_username=tz\n" >tz.log &&
	touch -d 2026-11-21T12:00:00Z tz.log &&
	test_exit_code 0 tlslogd scan -c c.conf --patterns "$test_scratch/rules" tz.log &&
	test "$(sql c.db "SELECT datetime(time, '"'unixepoch'"') FROM events")" = "2026-11-20 09:00:00"
'

test_expect_success 'an unknown time zone is refused, in the configuration and on the command line' '
	printf "\n\ntimezone Mars/Olympus\n" >tz.conf &&
	test_exit_code 2 tlslogd scan -c tz.conf --patterns "$test_scratch/rules" --db tz.db tz.log 2>err &&
	grep "tz.conf:3: unknown time zone \"Mars/Olympus\"" err &&
	test_exit_code 2 tlslogd scan -c empty.conf --timezone Europe/Nowhere --patterns "$test_scratch/rules" --db tz.db tz.log 2>err &&
	grep "unknown time zone \"Europe/Nowhere\"" err &&
	test ! -e tz.db &&
	test_exit_code 0 tlslogd scan -c empty.conf --timezone "CET-1CEST,M3.5.0,M10.5.0/3" --patterns "$test_scratch/rules" --db tz.db tz.log >/dev/null &&
	test "$(sql tz.db "SELECT datetime(time, '"'unixepoch'"') FROM events")" = "2026-11-20 09:00:00"
'

test_done
