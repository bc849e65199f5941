#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# sinks.sh: every place text from a log ends up, checked against
# doc/SECURITY.md: no SQL is built from values, the terminal never gets an
# escape sequence (test-rules, top, flagged), CSV cells cannot become
# formulas, and the daemon's own log lines escape and cut what a peer chose.
# (query's table/JSON/CSV: bad-input.sh; the summary and its mail:
# summary.sh; action arguments: flag.sh.)
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"
esc=$(printf '\033')

# The fixture, times relative to now: six AUTH failures from a peer whose
# reverse name holds an escape sequence and is over 300 bytes long (a flag),
# users that are ANSI sequences or spreadsheet formulas.
python3 - <<-\PY || exit 99
	import time
	now = int(time.time())
	# An OSC sequence (no "[", which Postfix's host[address] format cannot hold).
	host = "evil\x1b]0;pwned\x07" + "a" * 300 + ".example"
	users = ["\x1b]0;pwned\x07", "=HYPERLINK(\"http://x.example\")", "@SUM(1+1)", "+1", "-1", "\x1b[2J"]
	with open("hostile.log", "wb") as f:
	    for i, user in enumerate(users):
	        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 300 + i * 10))
	        line = "%s mx1 postfix/smtpd[%d]: warning: %s[192.0.2.66]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=%s\n" % (t, 4000 + i, host, user)
	        f.write(line.encode())
	PY

test_expect_success 'no SQL is built from values: no sqlite3_mprintf, no printf of SQL with %s' '
	src="$TLSLOGD_SRCDIR/src" &&
	! grep -n "sqlite3_v*mprintf\|sqlite3_snprintf" "$src"/*.c &&
	! grep -nE "(printf|asprintf)\([^;]*\"[^\"]*(SELECT|INSERT|UPDATE|DELETE|WHERE|LIMIT| AND | OR )[^\"]*%[-0-9.]*[sqQ]" "$src"/*.c
'

test_expect_success 'test-rules prints hostile fields escaped: no escape byte reaches the terminal' '
	tlslogd test-rules -c /dev/null $rules --details hostile.log >tr.out &&
	cat tr.out &&
	test "$(grep -c "$esc" tr.out)" = 0 &&
	grep -F "\\x1b]0;pwned\\x07" tr.out &&
	grep -F "evil\\x1b]0;pwned\\x07aaaa" tr.out
'

test_expect_success 'top and flagged print hostile names escaped, in table and CSV' '
	tlslogd scan -q -c /dev/null $rules --db h.db hostile.log &&
	test "$(sql h.db "SELECT count(*) FROM events")" = 6 &&
	tlslogd top -c /dev/null --db h.db --by peer >top.table &&
	tlslogd top -c /dev/null --db h.db --by peer --format csv >top.csv &&
	tlslogd flagged -c /dev/null --db h.db >flagged.table &&
	tlslogd flagged -c /dev/null --db h.db --format csv >flagged.csv &&
	cat top.table flagged.table &&
	for f in top.table top.csv flagged.table flagged.csv; do
		test "$(grep -c "$esc" $f)" = 0 || { echo "$f has an escape byte"; exit 1; }
	done &&
	grep "192.0.2.66" flagged.table &&
	grep -F "evil\\x1b]0;pwned\\x07aaa" flagged.csv
'

test_expect_success 'CSV: a value that a spreadsheet would run as a formula starts with an apostrophe' '
	tlslogd query -c /dev/null --db h.db --peer 192.0.2.66 --format csv >q.csv &&
	cat q.csv &&
	python3 - q.csv <<-\PY
	import csv, sys
	rows = list(csv.DictReader(open(sys.argv[1], newline="")))
	users = sorted(r["user"] for r in rows)
	assert len(users) == 6, users
	for u in users:
	    assert u[0] not in "=+-@", u
	assert "'\''=HYPERLINK(\"http://x.example\")" in users, users
	assert "'\''@SUM(1+1)" in users and "'\''+1" in users and "'\''-1" in users, users
	assert "\\x1b[2J" in users, users
	PY
'

# Users and a reverse name with bidi overrides and invisible characters, and a
# user that a spreadsheet with ";" as list separator splits into a formula.
python3 - <<-\PY || exit 99
	import time
	now = int(time.time())
	host = "gro.evil\u202e\u200bmx\ufeff.example"
	users = ["x;=cmd|' /C calc'!A0;y", "admin\u202egnp.exe", "a\u202c\u2066b\u2069\u200f\u2028c", "a,@SUM(1)|-2"]
	with open("bidi.log", "wb") as f:
	    for i, user in enumerate(users):
	        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 300 + i * 10))
	        line = "%s mx1 postfix/smtpd[%d]: warning: %s[192.0.2.67]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=%s\n" % (t, 5000 + i, host, user)
	        f.write(line.encode())
	PY

# no_format_controls FILE...: no bidi/invisible character (any Unicode Cf, U+2028/9) in the files.
no_format_controls() {
	python3 - "$@" <<-\PY
	import sys, unicodedata
	for name in sys.argv[1:]:
	    text = open(name, "rb").read().decode("utf-8")
	    bad = [hex(ord(c)) for c in text if unicodedata.category(c) in ("Cf", "Zl", "Zp")]
	    assert not bad, (name, bad)
	PY
}

test_expect_success 'bidi overrides and invisible characters never reach the terminal raw (query, test-rules)' '
	tlslogd scan -q -c /dev/null $rules --db b.db bidi.log &&
	test "$(sql b.db "SELECT count(*) FROM events")" = 4 &&
	tlslogd query -c /dev/null --db b.db --peer 192.0.2.67 >b.table &&
	tlslogd query -c /dev/null --db b.db --peer 192.0.2.67 --format csv >b.csv &&
	tlslogd query -c /dev/null --db b.db --peer 192.0.2.67 --format json >b.json &&
	tlslogd test-rules -c /dev/null $rules --details bidi.log >b.tr &&
	tlslogd top -c /dev/null --db b.db --by peer >b.top &&
	cat b.table b.tr &&
	no_format_controls b.table b.csv b.json b.tr b.top &&
	grep -F "admin\xe2\x80\xaegnp.exe" b.table &&
	grep -F "gro.evil\xe2\x80\xae\xe2\x80\x8bmx\xef\xbb\xbf.example" b.tr &&
	grep -F "admin\\u202egnp.exe" b.json
'

test_expect_success 'CSV: no cell a spreadsheet splits out at , ; or | is a formula' '
	cat b.csv &&
	python3 - b.csv <<-\PY
	import csv, sys
	text = open(sys.argv[1], newline="").read()
	for sep in ",;|":
	    for row in csv.reader(text.splitlines(), delimiter=sep):
	        for cell in row:
	            c = cell.lstrip(" \"")
	            assert not c or c[0] not in "=+-@", (sep, cell)
	users = sorted(r["user"] for r in csv.DictReader(text.splitlines()))
	assert "x;'\''=cmd|'\'' /C calc'\''!A0;y" in users, users
	PY
'

test_expect_success 'the daemon logs a flag with the peer name escaped and cut to 255 bytes' '
	: >live.log &&
	daemon_start d.err -c /dev/null $rules --db d.db --follow "$PWD/live.log" &&
	n=0; while [ $n -lt 100 ] && ! grep -q "following 1 source" d.err; do sleep 0.1; n=$((n + 1)); done &&
	cat hostile.log >>live.log &&
	n=0; while [ $n -lt 100 ] && ! grep -q "flagged 192.0.2.66" d.err; do sleep 0.1; n=$((n + 1)); done &&
	daemon_stop &&
	cat d.err &&
	test "$(grep -c "$esc" d.err)" = 0 &&
	line=$(grep "flagged 192.0.2.66" d.err) &&
	host=$(printf "%s\n" "$line" | sed -n "s/^tlslogd: flagged 192.0.2.66 (\([^)]*\)) .*/\1/p") &&
	test "${#host}" = 255 &&
	case $host in "evil\\x1b]0;pwned\\x07aaa"*...) ;; *) echo "not cut as expected: $host"; exit 1 ;; esac
'

test_done
