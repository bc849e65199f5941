#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# census.sh: tlslogd peers, the census of the successes in peer_days (issue
# 17): who would break if TLS older than 1.2 (or clear text, or a cipher
# family) were turned off. The rows of peer_days are written here with SQL
# into a database that `tlslogd scan` made (so the schema is the real one),
# relative to the real clock (tlslogd has no fake "now") for the default
# period of 30 days, and on fixed days for the boundaries of --since and
# --until. Every selector, every format, hostile host names in CSV, JSON and
# the table, the empty answer, usage errors, an old database.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"

# pd DB ROW...: insert rows into peer_days; each ROW a Python dict of its
# columns (day: a UTC day number; first_time and last_time default to the
# day's 01:00 and 22:00 UTC). Written as SQL literals, for either engine.
pd() {
	_pd_db=$1
	shift
	sql "$_pd_db" "$(python3 - "$@" <<-\PY
	import sys
	def lit(v):
	    return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"
	for text in sys.argv[1:]:
	    row = eval(text)
	    row.setdefault("first_time", row["day"] * 86400 + 3600)
	    row.setdefault("last_time", row["day"] * 86400 + 79200)
	    row.setdefault("server", "mx1")
	    row.setdefault("mta", "postfix")
	    cols = sorted(row)
	    print("INSERT INTO peer_days (%s) VALUES (%s);" % (", ".join(cols),
	        ", ".join(lit(row[c]) for c in cols)))
	PY
	)"
}

# json_check PYTHON: run PYTHON with d = the JSON document on standard input.
json_check() {
	python3 -c 'import json, sys
d = json.loads(sys.stdin.read())
'"$1"
}

# csv_field FILE KEY: the value of column KEY in the first record of the CSV
# FILE, after checking that every record has the header's number of fields.
csv_field() {
	python3 - "$1" "$2" <<-\PY
	import csv, sys
	rows = list(csv.reader(open(sys.argv[1], newline="")))
	assert all(len(r) == len(rows[0]) for r in rows), rows
	print(dict(zip(rows[0], rows[1]))[sys.argv[2]])
	PY
}
hostile_csv='evil,"host"\x0anext'
injected_csv='"'"'"'=cmd|calc","'"'"'+evil",in,'

peers() {
	tlslogd peers -c /dev/null --db t.db "$@"
}

d0=$(( $(date +%s) / 86400 ))
iso() {
	python3 -c "import time; print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime($1)))"
}
day() {
	python3 -c "import time; print(time.strftime('%Y-%m-%d', time.gmtime($1 * 86400)))"
}

test_expect_success 'set up: a database made by scan, peer_days filled by hand' '
	: >empty.log &&
	tlslogd scan -q -c /dev/null $rules --db t.db empty.log &&
	{ test_engine_is postgresql || test "$(sql t.db "PRAGMA user_version")" = "$(schema_latest)"; } &&
	pd t.db \
		"dict(peer=\"192.0.2.7\", day=$d0, direction=\"in\", host=\"mx.partner.example\", last_version=\"TLSv1.2\", tls12=40, aead=40, messages=12)" \
		"dict(peer=\"192.0.2.7\", day=$d0 - 1, direction=\"in\", host=\"mx.partner.example\", last_version=\"TLSv1.0\", tls10=5, tls12=10, aead=10, cbc=5, messages=7)" \
		"dict(peer=\"192.0.2.7\", day=$d0 - 5, direction=\"in\", host=\"old-name.partner.example\", last_version=\"TLSv1.2\", tls10=3, tls12=5, aead=5, cbc=3, messages=4)" \
		"dict(peer=\"192.0.2.7\", day=$d0 - 40, direction=\"in\", host=\"mx.partner.example\", last_version=\"TLSv1.0\", tls10=100, cbc=100, messages=100)" \
		"dict(peer=\"198.51.100.9\", day=$d0 - 2, direction=\"out\", host=\"old.example.org\", clear=4, messages=4)" \
		"dict(peer=\"203.0.113.5\", day=$d0 - 3, direction=\"in\", server=\"mx2\", host=\"scanner.example\", last_version=\"TLSv1.1\", tls11=9, cbc=9)" \
		"dict(peer=\"203.0.113.66\", day=$d0 - 1, direction=\"in\", mta=\"exim\", host=\"evil,\\\"host\\\"\\nnext\", last_version=\"TLSv1.0\", tls10=1, rc4=1, messages=1)" \
		"dict(peer=\"2001:db8::25\", day=$d0 - 4, direction=\"out\", server=\"mx2\", mta=\"exim\", host=\"mx.legacy.example\", last_version=\"SSLv3\", ssl3=2, des3=2, messages=2)" \
		"dict(peer=\"192.0.2.50\", day=$d0, direction=\"in\", mta=\"dovecot\", last_version=\"TLS\", tls_other=6, cipher_other=6, logins=6)" \
		"dict(peer=\"192.0.2.8\", day=$d0, direction=\"in\", host=\"mx.modern.example\", last_version=\"TLSv1.3\", tls13=100, aead=100, messages=50)" \
		"dict(peer=\"::ffff:192.0.2.9\", day=$d0 - 1, direction=\"in\", host=\"mapped.example\", last_version=\"TLSv1.2\", tls12=1, aead=1, messages=1)" &&
	test "$(sql t.db "SELECT count(*) FROM peer_days")" = 11
'

test_expect_success '--old-tls: partners first, then the most old sessions; the table' '
	peers --old-tls >out &&
	cat out &&
	head -n 1 out | grep "^Since 20[0-9-]* [0-9:]* UTC, until now; successes per UTC day; TLS older than 1.2$" &&
	sed -n 2p out | grep "^PEER  *HOST  *DIR SERVER  *COUNT  *TOTAL  *DAYS LAST  *VERSION MIX$" &&
	sed -n 3p out | grep "^192\.0\.2\.7  *mx\.partner\.example  *in  mx1  *8  *63  *2/3 $(iso $(( (d0 - 1) * 86400 + 79200 ))) TLSv1\.0 tls1\.0=8 tls1\.2=55 aead=55 cbc=8 msg=23$" &&
	sed -n 4p out | grep "^2001:db8::25  *mx\.legacy\.example  *out mx2  *2  *2  *1/1 .* SSLv3  *ssl3=2 des3=2 msg=2$" &&
	sed -n 5p out | grep "^203\.0\.113\.66  *evil,\"host\"\\\\x0anext  *in  mx1  *1  *1 " &&
	sed -n 6p out | grep "^203\.0\.113\.5  *scanner\.example  *in  mx2  *9  *9  *1/1 .* TLSv1\.1 tls1\.1=9 cbc=9$" &&
	test "$(wc -l <out)" = 6
'

test_expect_success '--below VERSION: older than VERSION; TLSv1.1 and TLS1.3 spellings' '
	peers --below 1.2 --format csv >a && peers --old-tls --format csv >b && test_cmp a b &&
	peers --old-tls --below TLSv1.2 --format csv >b && test_cmp a b &&
	peers --below TLSv1.1 --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"192.0.2.7\", \"2001:db8::25\", \"203.0.113.66\"], d" <out &&
	peers --below 1.0 --format json >out &&
	json_check "assert [(r[\"peer\"], r[\"count\"]) for r in d] == [(\"2001:db8::25\", 2)], d" <out &&
	peers --below TLS1.3 --format json >out &&
	json_check "
assert [(r[\"peer\"], r[\"count\"]) for r in d][:2] == [(\"192.0.2.7\", 63), (\"2001:db8::25\", 2)], d
assert \"192.0.2.8\" not in [r[\"peer\"] for r in d], d
assert \"192.0.2.50\" not in [r[\"peer\"] for r in d], d   # tls_other: no known version
" <out
'

test_expect_success 'LAST is the last day it happened, with that day'"'"'s last success and version' '
	peers --old-tls --format json >out &&
	json_check "
r = d[0]
assert r[\"peer\"] == \"192.0.2.7\", r
assert r[\"last_day\"] == \"$(day $((d0 - 1)))\", r
assert r[\"last\"] == \"$(iso $(( (d0 - 1) * 86400 + 79200 )))\", r
assert r[\"last_version\"] == \"TLSv1.0\", r
assert r[\"first\"] == \"$(iso $(( (d0 - 5) * 86400 + 3600 )))\", r
assert (r[\"days\"], r[\"days_seen\"], r[\"count\"], r[\"total\"]) == (2, 3, 8, 63), r
assert (r[\"tls10\"], r[\"tls12\"], r[\"messages\"]) == (8, 55, 23), r
assert r[\"host\"] == \"mx.partner.example\", r   # the latest day'"'"'s name
assert r[\"direction\"] == \"in\" and r[\"server\"] == \"mx1\" and r[\"mta\"] == \"postfix\", r
" <out &&
	peers --format json >out &&
	json_check "
r = [r for r in d if r[\"peer\"] == \"192.0.2.7\"][0]
assert r[\"last_day\"] == \"$(day $d0)\" and r[\"last_version\"] == \"TLSv1.2\", r
assert (r[\"days\"], r[\"days_seen\"]) == (3, 3), r
" <out
'

test_expect_success 'no selector: every peer with its mix; --limit' '
	peers --format json >out &&
	json_check "
assert [r[\"peer\"] for r in d] == [\"192.0.2.8\", \"192.0.2.7\", \"192.0.2.50\", \"198.51.100.9\", \"2001:db8::25\", \"203.0.113.66\", \"::ffff:192.0.2.9\", \"203.0.113.5\"], d
assert all(r[\"count\"] == r[\"total\"] for r in d), d
" <out &&
	peers >out &&
	head -n 1 out | grep "until now; successes per UTC day$" &&
	grep "^192\.0\.2\.50  *-  *in  mx1  *6  *6  *1/1 .* TLS  *tls?=6 cipher?=6 login=6$" out &&
	peers -l 2 --format csv >out &&
	test "$(wc -l <out)" = 3 &&
	peers --limit 0 --format jsonl >out &&
	test "$(wc -l <out)" = 8
'

test_expect_success '--cleartext and --cipher FAMILY' '
	peers --cleartext --format json >out &&
	json_check "assert [(r[\"peer\"], r[\"count\"], r[\"direction\"], r[\"last_version\"]) for r in d] == [(\"198.51.100.9\", 4, \"out\", None)], d" <out &&
	peers --old-tls --cleartext --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"192.0.2.7\", \"198.51.100.9\", \"2001:db8::25\", \"203.0.113.66\", \"203.0.113.5\"], d" <out &&
	peers --old-tls --cleartext | head -n 1 | grep "; TLS older than 1.2 or clear text$" &&
	peers --cipher rc4 --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"203.0.113.66\"], d" <out &&
	peers --cipher rc4,des3 --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"2001:db8::25\", \"203.0.113.66\"], d" <out &&
	peers --cipher rc4 --cipher des3 --format csv >a && peers --cipher des3,rc4 --format csv >b && test_cmp a b &&
	peers --cipher rc4,rc4 --cipher rc4 | head -n 1 | grep "; a cipher of rc4$" &&
	peers --cipher other --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"192.0.2.50\"], d" <out &&
	peers --cipher cbc --format json >out &&
	json_check "assert [(r[\"peer\"], r[\"count\"]) for r in d] == [(\"192.0.2.7\", 8), (\"203.0.113.5\", 9)], d" <out &&
	peers --cipher aead | head -n 1 | grep "; a cipher of aead$"
'

test_expect_success '--direction and --server (case-insensitive)' '
	peers --old-tls --direction out --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"2001:db8::25\"], d" <out &&
	peers --old-tls --direction in --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"192.0.2.7\", \"203.0.113.66\", \"203.0.113.5\"], d" <out &&
	peers --old-tls --server MX2 --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"2001:db8::25\", \"203.0.113.5\"], d" <out &&
	peers --old-tls --server mx2 --direction in | head -n 1 | grep "; direction in; server mx2$"
'

test_expect_success '--peer: one peer'"'"'s days, newest first, by address, name, domain or network' '
	peers --peer 192.0.2.7 >out &&
	cat out &&
	sed -n 2p out | grep "^DAY  *PEER  *HOST  *DIR SERVER  *COUNT  *TOTAL FIRST  *LAST  *VERSION MIX$" &&
	sed -n 3p out | grep "^$(day $d0) 192\.0\.2\.7  *mx\.partner\.example  *in  mx1  *40  *40 $(iso $((d0 * 86400 + 3600))) $(iso $((d0 * 86400 + 79200))) TLSv1\.2 tls1\.2=40 aead=40 msg=12$" &&
	sed -n 4p out | grep "^$(day $((d0 - 1))) 192\.0\.2\.7 " &&
	sed -n 5p out | grep "^$(day $((d0 - 5))) 192\.0\.2\.7  *old-name\.partner\.example " &&
	test "$(wc -l <out)" = 5 &&
	peers --peer 192.0.2.7 --since 60d --format json >out &&
	json_check "assert [r[\"day\"] for r in d] == [\"$(day $d0)\", \"$(day $((d0 - 1)))\", \"$(day $((d0 - 5)))\", \"$(day $((d0 - 40)))\"], d" <out &&
	peers --peer 192.0.2.7 --old-tls --format json >out &&
	json_check "
assert [(r[\"day\"], r[\"count\"], r[\"total\"]) for r in d] == [(\"$(day $((d0 - 1)))\", 5, 15), (\"$(day $((d0 - 5)))\", 3, 8)], d
assert set(d[0]) >= {\"day\", \"peer\", \"host\", \"first\", \"last\", \"last_version\", \"tls10\", \"messages\"}, d
" <out &&
	peers --peer MX.Partner.Example --format csv >out &&
	test "$(sed 1d out | cut -d, -f1,2)" = "$(day $d0),192.0.2.7
$(day $((d0 - 1))),192.0.2.7" &&
	peers --peer .partner.example --format json >out &&
	json_check "assert sorted({r[\"peer\"] for r in d}) == [\"192.0.2.7\"] and len(d) == 3, d" <out &&
	peers --peer 192.0.2.9 --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"::ffff:192.0.2.9\"], d" <out &&
	peers --peer 192.0.2.0/24 --format json >out &&
	json_check "assert sorted({r[\"peer\"] for r in d}) == [\"192.0.2.50\", \"192.0.2.7\", \"192.0.2.8\", \"::ffff:192.0.2.9\"], d" <out &&
	peers --peer 2001:db8::/32 --format json >out &&
	json_check "assert [r[\"peer\"] for r in d] == [\"2001:db8::25\"], d" <out
'

test_expect_success 'hostile host names: CSV one record a line, quoted; JSON exact; table escaped' '
	peers --cipher rc4 --format csv >out &&
	cat out &&
	test "$(wc -l <out)" = 2 &&
	csv_field out host >field &&
	test "$(cat field)" = "$hostile_csv" &&
	test "$(csv_field out rc4)" = 1 &&
	head -n 1 out | grep "^peer,host,direction,server,mta,count,total,days,days_seen,first,last_day,last,last_version,clear,ssl3,tls10,tls11,tls12,tls13,tls_other,aead,cbc,des3,rc4,cipher_other,messages,logins$" &&
	peers --cipher rc4 --format json >out &&
	json_check "assert d[0][\"host\"] == \"evil,\\\"host\\\"\\nnext\", d" <out &&
	peers --cipher rc4 --format jsonl >out &&
	test "$(wc -l <out)" = 1 &&
	peers --cipher rc4 >out &&
	test "$(wc -l <out)" = 3 &&
	! grep "^next" out &&
	pd t.db "dict(peer=\"=cmd|calc\", day=$d0, direction=\"in\", host=\"+evil\", clear=1)" &&
	peers --cleartext --format csv >out &&
	grep -F "$injected_csv" out &&
	sql t.db "DELETE FROM peer_days WHERE peer = '"'=cmd|calc'"'"
'

test_expect_success 'the empty answer: a sentence, [] and a bare header, exit 0' '
	peers --cipher rc4 --since 2h >out &&
	tail -n 1 out | grep "^No peer used a cipher of rc4 since 20[0-9-]* [0-9:]* UTC\.$" &&
	peers --old-tls --since 1s >out &&
	grep "^No peer used TLS older than 1.2 since " out &&
	peers --cleartext --since 1s >out &&
	grep "^No peer succeeded in clear text since " out &&
	peers --peer 10.9.9.9 >out &&
	grep "^No successes of 10\.9\.9\.9 since " out &&
	peers --peer 10.9.9.9 --old-tls >out &&
	grep "^No successes of 10\.9\.9\.9 with TLS older than 1.2 since " out &&
	peers --old-tls --direction out --server mx1 >out &&
	grep "^No peer used TLS older than 1.2 since " out &&
	! grep "stored at all" out &&
	peers --old-tls --since 1s --format json >out &&
	test "$(cat out)" = "[]" &&
	peers --old-tls --since 1s --format jsonl >out &&
	test ! -s out &&
	peers --old-tls --since 1s --format csv >out &&
	test "$(wc -l <out)" = 1 &&
	head -n 1 out | grep "^peer,host," &&
	peers --peer 10.9.9.9 --format csv >out &&
	head -n 1 out | grep "^day,peer,host,"
'

test_expect_success 'nothing stored at all: the empty answer says so' '
	tlslogd scan -q -c /dev/null $rules --db empty.db empty.log &&
	tlslogd peers -c /dev/null --db empty.db --old-tls >out &&
	cat out &&
	grep "^No peer used TLS older than 1.2 since " out &&
	grep "^No successes are stored at all" out &&
	! grep "stored since" out
'

test_expect_success 'periods: a UTC day counts whole when any success of it is in the period' '
	tlslogd scan -q -c /dev/null $rules --db p.db empty.log &&
	pd p.db "dict(peer=\"192.0.2.1\", day=20402, direction=\"in\", tls10=2, last_version=\"TLSv1.0\")" \
		"dict(peer=\"192.0.2.1\", day=20403, direction=\"in\", tls10=3, last_version=\"TLSv1.0\")" &&
	test "$(day 20402)" = 2025-11-10 &&
	count() { tlslogd peers -c /dev/null --db p.db --old-tls --format csv "$@" | sed 1d | cut -d, -f6; } &&
	test "$(count --since 2025-11-10T22:00:00Z --until 2025-11-30)" = 5 &&
	test "$(count --since 2025-11-10T22:00:01Z --until 2025-11-30)" = 3 &&
	test "$(count --since 2025-11-01 --until 2025-11-11T01:00:00Z)" = 5 &&
	test "$(count --since 2025-11-01 --until 2025-11-11T00:59:59Z)" = 2 &&
	test "$(count --since 2025-11-10 --until 2025-11-10)" = "" &&
	test "$(count --since 2025-11-10 --until 2025-11-11)" = 2 &&
	test "$(count --since 2025-11-12 --until 2025-11-30)" = "" &&
	tlslogd peers -c /dev/null --db p.db --old-tls --since 2025-11-01 >out &&
	sed -n 2p out | grep "^Successes are stored since 2025-11-10 01:00 UTC only\.$" &&
	tlslogd peers -c /dev/null --db p.db --old-tls --since 2025-11-08 >out &&
	sed -n 2p out | grep "^Successes are stored since 2025-11-10 01:00 UTC only\.$" &&
	tlslogd peers -c /dev/null --db p.db --old-tls --since 2025-11-09 >out &&
	! grep "stored since" out &&
	tlslogd peers -c /dev/null --db p.db --old-tls --since 2025-11-12 --until 2025-11-30 >out &&
	grep "^No peer used TLS older than 1.2 since 2025-11-12 00:00 UTC, until 2025-11-30 00:00 UTC\.$" out
'

test_expect_success 'periods: dates are local midnights, days are UTC days' '
	count() { tlslogd peers -c /dev/null --db p.db --old-tls --format csv "$@" | sed 1d | cut -d, -f6; } &&
	test "$(TZ=UTC count --since 2025-11-11 --until 2025-11-30)" = 3 &&
	test "$(TZ=Etc/GMT-2 count --since 2025-11-11 --until 2025-11-30)" = 5 &&
	TZ=Etc/GMT-2 tlslogd peers -c /dev/null --db p.db --old-tls --since 2025-11-11 --until 2025-11-30 >out &&
	head -n 1 out | grep "^Since 2025-11-11 00:00 +02, until 2025-11-30 00:00 +02; successes per UTC day; TLS older than 1.2$" &&
	TZ=Etc/GMT-2 tlslogd peers -c /dev/null --db p.db --old-tls --since 2025-11-01 --until 2025-11-30 --format json >out &&
	json_check "assert d[0][\"last_day\"] == \"2025-11-11\" and d[0][\"last\"] == \"2025-11-11T22:00:00Z\", d" <out
'

test_expect_success 'usage errors: one line on stderr, exit 2' '
	for args in "--bogus" "--below 1.4" "--below" "--cipher blowfish" "--direction sideways" \
		"--cipher rc4 --old-tls" "--cipher cbc --cleartext" "--since someday" "--limit -1" \
		"--format xml" "--peer 192.0.2.0/33" "extra" "--below 1.2 --below 1.1" \
		"--below 1.1 --old-tls"; do
		test_exit_code 2 peers $args 2>err >out || exit 1
		test "$(wc -l <err)" = 1 || { cat err; exit 1; }
		test ! -s out || exit 1
	done &&
	test_exit_code 2 peers --bogus 2>err &&
	test "$(cat err)" = "tlslogd peers: unknown option --bogus; see tlslogd peers --help" &&
	test_exit_code 2 peers --below 2>err &&
	test "$(cat err)" = "tlslogd peers: option --below needs a value; see tlslogd peers --help" &&
	test_exit_code 2 peers --below 1.4 2>err &&
	grep "expected a TLS version (1.0, 1.1, 1.2 or 1.3), not \"1.4\"" err &&
	test_exit_code 2 peers --cipher rc4 --old-tls 2>err &&
	grep -- "--cipher goes alone" err
'

test_expect_success '--check, --help, and peers in the main help' '
	peers --old-tls -n >out &&
	test "$(cat out)" = "tlslogd peers: configuration OK" &&
	tlslogd peers --help >out &&
	grep -- "--below VERSION" out && grep -- "--cleartext" out && grep -- "--cipher FAMILY" out &&
	grep "UTC day" out &&
	tlslogd --help | grep "^  peers " &&
	test_exit_code 1 tlslogd peers -c /dev/null --db missing.db 2>err &&
	grep "missing.db" err
'

# v11_db DB: a database of schema 11, as a tlslogd before issue 17 made it.
v11_db() {
	python3 - "$TLSLOGD_SRCDIR" "$1" <<-\PY
	import glob, sqlite3, sys
	con = sqlite3.connect(sys.argv[2])
	# The migrations call functions the writer registers; an empty database needs no value.
	for name in ("tlslogd_domain", "tlslogd_recipient_domain", "tlslogd_log_name"):
	    con.create_function(name, 1, lambda v: None)
	for f in sorted(glob.glob(sys.argv[1] + "/sql/0[0-9][0-9]-*.sql")):
	    if int(f.rsplit("/", 1)[1][:3]) <= 11:
	        con.executescript(open(f).read())
	con.execute("PRAGMA user_version = 11")
	con.commit()
	PY
}

only_on sqlite "the old database is an SQLite file of schema 11"
test_expect_success 'an old database (schema 11): refused read-only like every reader, scan upgrades it' '
	v11_db old.db &&
	test_exit_code 1 tlslogd peers -c /dev/null --db old.db 2>err &&
	cat err &&
	grep "schema version 11 is older than this tlslogd" err &&
	grep "run \"tlslogd scan\" once to upgrade it" err &&
	test "$(sql old.db "PRAGMA user_version")" = 11 &&
	tlslogd scan -q -c /dev/null $rules --db old.db empty.log &&
	tlslogd peers -c /dev/null --db old.db --old-tls >out &&
	grep "^No successes are stored at all" out
'

test_done
