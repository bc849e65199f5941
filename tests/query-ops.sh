#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# query-ops.sh: tlslogd query's peer selection (address, IPv4 and IPv6
# networks, .domain), --direction, --server, --limit, the diagnosis under the
# table and in JSON with --diagnosis, every format (JSON parsed by Python's
# json, checked against what Python's ipaddress computes from the database),
# the index each selection uses, the schema 5 and 10 migrations (peer_domain
# filled in, then recomputed by the Public Suffix List), and usage errors.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

# The advice of the source tree (tlslogd.conf(5) advice): nothing is installed yet.
printf 'advice %s/advice\n' "$TLSLOGD_SRCDIR" >"$test_scratch/advice.conf"

rules="--patterns $TLSLOGD_PATTERNS"

# lines SPEC...: one Postfix failure per SPEC "MINUTES_AGO,KIND,IP,HOST,SERVER"
# (KIND auth or tls; HOST "unknown" for none).
q_now=$(date +%s)
lines() {
	python3 - "$q_now" "$@" <<-\PY
	import sys, time
	now = int(sys.argv.pop(1))
	for i, spec in enumerate(sys.argv[1:]):
	    ago, kind, ip, host, server = spec.split(",")
	    t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(float(ago) * 60)))
	    pid = 3000 + i
	    if kind == "auth":
	        print("%s %s postfix/smtpd[%d]: warning: %s[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % (t, server, pid, host, ip))
	    else:
	        print("%s %s postfix/smtpd[%d]: SSL_accept error from %s[%s]: -1" % (t, server, pid, host, ip))
	        print("%s %s postfix/smtpd[%d]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:" % (t, server, pid))
	        print("%s %s postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (t, server, pid, host, ip))
	PY
}

# expect_same DB PEER [FILTER]: tlslogd query --format json equals what Python
# selects from the database for PEER (address, network or .domain: its reverse
# and HELO names, and the recipient domain of outgoing failures) and FILTER
# (a Python expression over the row r), newest first. An IPv4-mapped IPv6
# address (::ffff:192.0.2.1) counts as its IPv4 address.
# The rows are read with sql (either engine), fields joined by "|", NULL empty.
expect_cols="time, peer_ip, peer_host, helo, recipient_domain, direction, server, kind"
expect_same() {
	sql "$1" "SELECT $expect_cols FROM events ORDER BY time DESC, id DESC" >expect.rows &&
	python3 - "$expect_cols" "$@" <<-\PY
	import ipaddress, json, subprocess, sys, os
	cols = sys.argv.pop(1).split(", ")
	db, peer = sys.argv[1], sys.argv[2]
	flt = sys.argv[3] if len(sys.argv) > 3 else "True"
	extra = sys.argv[4:]
	rows = [dict(zip(cols, (v if v != "" else None for v in line.rstrip("\n").split("|"))))
	        for line in open("expect.rows")]
	for r in rows:
	    r["time"] = int(r["time"])
	def match(r):
	    if peer.startswith("."):
	        # A domain: the reverse or HELO name in it, or a delivery to it (schema 11).
	        d = peer[1:].lower()
	        names = [(r["peer_host"] or "").lower(), (r["helo"] or "").lower()]
	        return any(n == d or n.endswith("." + d) for n in names) or \
	            (r["recipient_domain"] or "").lower() == d
	    net = ipaddress.ip_network(peer, strict=False)
	    if net.version == 6 and net.prefixlen >= 96 and net.network_address.ipv4_mapped:
	        net = ipaddress.ip_network("%s/%d" % (net.network_address.ipv4_mapped, net.prefixlen - 96))
	    try:
	        # An IPv4-mapped IPv6 address is the IPv4 one (cidr.h).
	        a = ipaddress.ip_address(r["peer_ip"]) if r["peer_ip"] is not None else None
	        a = getattr(a, "ipv4_mapped", None) or a
	        return a is not None and a in net
	    except ValueError:
	        return False
	want = [(r["time"], r["peer_ip"], r["kind"]) for r in rows if match(r) and eval(flt)]
	out = subprocess.run([os.environ["TLSLOGD"], "query", "-c", "/dev/null", "--db", db,
	                      "--peer", peer, "--format", "json"] + extra,
	                     capture_output=True, check=True).stdout
	got = json.loads(out)
	import calendar, time
	got = [(calendar.timegm(time.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ")), e["peer_ip"], e["kind"]) for e in got]
	if "--limit" in extra:
	    want = want[:int(extra[extra.index("--limit") + 1])]
	assert got == want, (peer, extra, got, want)
	print(peer, extra, len(got), "events")
	PY
}

test_expect_success 'set up: the samples and generated peers, v4 and v6, several servers' '
	cp "$samples/mixed.log" "$samples/exim-mainlog.log" . &&
	lines 10,auth,192.0.2.7,unknown,mx1 20,auth,192.0.2.7,unknown,mx2 30,tls,192.0.2.9,a.example.net,mx1 \
		40,auth,192.0.2.200,unknown,mx1 50,auth,192.0.3.1,unknown,mx1 60,auth,192.0.15.4,unknown,mx1 \
		70,auth,192.0.16.4,unknown,mx1 \
		80,auth,2001:db8::5,unknown,mx1 90,auth,2001:db8:1::7,unknown,mx2 100,auth,2001:db9::1,unknown,mx1 \
		110,tls,2001:dba::1,unknown,mx1 120,auth,::ffff:c000:201,unknown,mx1 130,auth,::1,unknown,mx1 \
		140,tls,198.51.100.77,deep.mx.example.net,mx2 150,tls,198.51.100.78,EXAMPLE.NET,mx1 \
		160,tls,198.51.100.79,notexample.net,mx1 170,tls,198.51.100.80,mx.example.net.evil.org,mx1 >gen.log &&
	tlslogd scan -q -c /dev/null $rules --db t.db mixed.log exim-mainlog.log gen.log &&
	# SQLite'"'"'s schema version and indexes (PostgreSQL'"'"'s are sql/pg'"'"'s).
	{ test_engine_is postgresql || {
	test "$(sql t.db "PRAGMA user_version")" = "$(schema_latest)" &&
	test "$(sql t.db "SELECT count(*) FROM sqlite_master WHERE name = '"'events_kind'"'")" = 0 &&
	test "$(sql t.db "SELECT group_concat(name) FROM pragma_index_info('"'events_time'"')")" = time,kind
	}; } &&
	test "$(sql t.db "SELECT count(*) FROM events WHERE peer_ip = '"'192.0.2.7'"'")" = 2
'

test_expect_success 'a single address: exactly its events' '
	expect_same t.db 192.0.2.7 &&
	expect_same t.db 203.0.113.50 &&
	expect_same t.db 2001:db8::5
'

test_expect_success 'IPv4 networks: octet-aligned, not aligned, /32, /0' '
	for net in 192.0.2.0/24 192.0.0.0/20 192.0.2.0/25 192.0.2.128/25 192.0.2.7/32 203.0.113.0/24 \
		198.51.100.0/22 192.0.2.5/24 0.0.0.0/0 10.0.0.0/8; do
		expect_same t.db $net || exit 1
	done
'

test_expect_success 'IPv6 networks: /32, /48, /128, a zero first group, wider than 16 and 8 bits' '
	for net in 2001:db8::/32 2001:db8:1::/48 2001:db8::5/128 2001:db8::/29 ::/0 ::/96 \
		2000::/12 2000::/4 ::ffff:0:0/96 ::1/128; do
		expect_same t.db $net || exit 1
	done
'

test_expect_success '.domain: the domain itself and every name under it, nothing else' '
	for dom in .example.net .EXAMPLE.NET .mx.example.net .net .example.org .co.uk .nosuch.example; do
		expect_same t.db $dom || exit 1
	done &&
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer .example.net --format json >out &&
	python3 -c "import json; hosts = {(e[\"peer_host\"] or \"\").lower() for e in json.load(open(\"out\"))}; assert \"notexample.net\" not in hosts and \"mx.example.net.evil.org\" not in hosts and \"example.net\" in hosts and \"deep.mx.example.net\" in hosts, hosts"
'

test_expect_success '--direction, --server and --limit, alone and together' '
	expect_same t.db .example.net "r[\"direction\"] == \"out\"" --direction out &&
	expect_same t.db .example.net "r[\"direction\"] == \"in\"" --direction in &&
	expect_same t.db 192.0.2.0/24 "(r[\"server\"] or \"\").lower() == \"mx2\"" --server MX2 &&
	expect_same t.db 192.0.0.0/8 True --limit 3 &&
	expect_same t.db 2001:db8::/32 "r[\"server\"] == \"mx1\" and r[\"direction\"] == \"in\"" \
		--server mx1 --direction in --limit 1 &&
	expect_same t.db .example.net "r[\"kind\"] == \"tls_cert_expired\"" --kind tls_cert_expired
'

test_expect_success 'the table: rows, then the diagnosis with counts, reasons and MTA advice' '
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.7 >all &&
	cat all &&
	head -n 1 all | grep "^192.0.2.7: no successful session in the last 7 days: not a known partner$" &&
	sed 1,2d all >out &&
	head -n 1 out | grep "^TIME (UTC)" &&
	test "$(sed -e 1d -e "/^\$/,\$d" out | wc -l)" = 2 &&
	grep "^Diagnosis for 192.0.2.7: 2 events, 1 cause$" out &&
	grep "^  auth_failed (in, postfix): 2 events, " out &&
	grep "^    reason: " out &&
	grep "smtpd_client_auth_rate_limit" out &&
	test "$(tr -d "\n" <out | tr -d "\040-\176" | wc -c)" = 0
'

test_expect_success 'the diagnosis names the right MTA knob for broken TLS' '
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer .example.net --direction in --server mx1 >out &&
	cat out &&
	grep "smtpd_discard_ehlo_keyword_address_maps" out &&
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer .example.net --direction out --kind tls_no_shared_cipher >out &&
	cat out &&
	grep -E "Try_TLS:[a-z.]+\.example\.net NO" out &&
	grep "hosts_avoid_tls" out
'

test_expect_success '--limit under a table: how many are shown; the diagnosis counts them all' '
	total=$(tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer .example.net --format csv | sed 1d | wc -l) &&
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer .example.net --limit 2 >out &&
	test "$(sed -e 1d -e "/^\$/,\$d" out | wc -l)" = 2 &&
	grep "^(the 2 newest of $total events; --limit N shows more)$" out &&
	grep "^Diagnosis for .example.net: $total events, " out &&
	grep "^  and [0-9]* more causes* " out
'

test_expect_success 'a table shows the 100 newest events unless --limit says otherwise; CSV has all' '
	python3 - <<-\PY &&
	import time
	now = int(time.time())
	with open("many.log", "w") as f:
	    for i in range(130):
	        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 7200 + i * 30))
	        f.write("%s mx1 postfix/smtpd[%d]: warning: unknown[192.0.2.222]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=u%d\n" % (t, 5000 + i, i))
	PY
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db many.db many.log &&
	tlslogd query -c "$test_scratch/advice.conf" --db many.db --peer 192.0.2.222 >out &&
	test "$(sed -e 1d -e "/^\$/,\$d" out | wc -l)" = 100 &&
	grep "^(the 100 newest of 130 events; --limit N shows more)$" out &&
	grep "u129" out && ! grep " u29 " out &&
	tlslogd query -c "$test_scratch/advice.conf" --db many.db --peer 192.0.2.222 --limit 1000 >out &&
	test "$(sed -e 1d -e "/^\$/,\$d" out | wc -l)" = 130 &&
	test "$(tlslogd query -c "$test_scratch/advice.conf" --db many.db --peer 192.0.2.222 --format csv | sed 1d | wc -l)" = 130
'

test_expect_success 'JSON with --diagnosis: events and causes; counts add up; advice per cause' '
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer .example.net --format json --diagnosis >out &&
	python3 -c "
import json
d = json.load(open(\"out\"))
assert set(d) == {\"events\", \"diagnosis\"}, d.keys()
ev, dg = d[\"events\"], d[\"diagnosis\"]
assert sum(c[\"count\"] for c in dg) == len(ev), (len(ev), dg)
assert [c[\"count\"] for c in dg] == sorted((c[\"count\"] for c in dg), reverse=True)
for c in dg:
    assert set(c) == {\"kind\", \"direction\", \"mta\", \"count\", \"first\", \"last\", \"reason\", \"reasons\", \"advice\"}, c
    n = sum(1 for e in ev if (e[\"kind\"], e[\"direction\"], e[\"mta\"]) == (c[\"kind\"], c[\"direction\"], c[\"mta\"]))
    assert n == c[\"count\"], (c, n)
    assert c[\"first\"] <= c[\"last\"]
    assert c[\"advice\"] is None or len(c[\"advice\"]) > 40
assert any(c[\"mta\"] == \"sendmail\" and \"Srv_Features\" in (c[\"advice\"] or \"\") for c in dg), dg
" &&
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer .example.net --format json --diagnosis --limit 1 >out &&
	python3 -c "import json; d = json.load(open(\"out\")); assert len(d[\"events\"]) == 1 and sum(c[\"count\"] for c in d[\"diagnosis\"]) > 1" &&
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.99 --format json --diagnosis >out &&
	python3 -c "import json; assert json.load(open(\"out\")) == {\"events\": [], \"diagnosis\": []}"
'

test_expect_success 'JSON without --diagnosis stays an array; CSV has no diagnosis' '
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.0/24 --format json >out &&
	python3 -c "import json; d = json.load(open(\"out\")); assert isinstance(d, list) and len(d) > 3" &&
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.0/24 --format csv >out &&
	head -n 1 out | grep "^time,server,mta," &&
	! grep -i "diagnosis" out &&
	python3 -c "import csv; rows = list(csv.reader(open(\"out\"))); assert len({len(r) for r in rows}) == 1, rows"
'

test_expect_success 'no events with filters: the sentence says so' '
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.7 --direction out >out &&
	grep "^No events for 192.0.2.7 with these filters.$" out &&
	tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 10.0.0.0/8 >out &&
	grep "^No events for 10.0.0.0/8.$" out
'

only_on sqlite "SQLite's EXPLAIN QUERY PLAN"
test_expect_success 'each selection reads an index, not the whole table' '
	plan() { sql t.db "EXPLAIN QUERY PLAN SELECT * FROM events e WHERE $1 ORDER BY e.time DESC"; } &&
	plan "e.peer_ip = '"'192.0.2.7'"'" | grep "USING INDEX events_peer_ip" &&
	plan "((e.peer_ip >= '"'192.0.2.'"' AND e.peer_ip < '"'192.0.2/'"') OR (e.peer_ip >= '"'192.0.3.'"' AND e.peer_ip < '"'192.0.3/'"'))" | grep "events_peer_ip" &&
	plan "e.peer_domain = '"'.example.net'"' AND (e.peer_host = '"'example.net'"' OR e.peer_host LIKE '"'%.example.net'"')" | grep "USING INDEX events_peer_domain" &&
	! plan "e.peer_ip = '"'192.0.2.7'"'" | grep "SCAN e$"
'

# v4_db DB ROWS: DB made with the migrations up to schema 4, as a tlslogd of
# then made it, with events of ROWS, a Python expression of (time, peer_host,
# peer_ip) tuples.
v4_db() {
	python3 - "$TLSLOGD_SRCDIR" "$1" "$2" <<-\PY
	import glob, sqlite3, sys
	con = sqlite3.connect(sys.argv[2])
	for f in sorted(glob.glob(sys.argv[1] + "/sql/00[1-4]-*.sql")):
	    con.executescript(open(f).read())
	con.execute("PRAGMA user_version = 4")
	con.executemany("INSERT INTO events (time, mta, direction, kind, peer_host, peer_ip) "
	                "VALUES (?, 'postfix', 'in', 'auth_failed', ?, ?)", eval(sys.argv[3]))
	con.commit()
	PY
}

only_on sqlite "the old database is an SQLite file of schema 4"
test_expect_success 'schema 5: a version 4 database gets peer_domain for its old events' '
	v4_db v4.db "[(1, \"Mail.Example.CO.UK\", \"192.0.2.1\"), (2, \"unknown\", \"192.0.2.2\")]" &&
	test_exit_code 1 tlslogd query -c "$test_scratch/advice.conf" --db v4.db --peer 192.0.2.1 2>err &&
	grep "older than this" err &&
	tlslogd scan -q -c /dev/null $rules --db v4.db /dev/null &&
	test "$(sql v4.db "PRAGMA user_version")" = "$(schema_latest)" &&
	test "$(sql v4.db "SELECT coalesce(peer_domain, '"'-'"') FROM events ORDER BY time")" = ".example.co.uk
-" &&
	tlslogd query -c "$test_scratch/advice.conf" --db v4.db --peer .example.co.uk --format csv >out &&
	test "$(sed 1d out | wc -l)" = 1
'

only_on sqlite "the old database is an SQLite file of schema 4"
test_expect_success 'schema 5 on 50,000 old events: filled in batches, none missed, none left to do' '
	v4_db big4.db "[(i, None if i % 10 == 0 else (\"unknown\" if i % 10 == 1 else
		\"mx%d.example%d.net\" % (i, i % 7)), \"192.0.2.%d\" % (i % 250 + 1)) for i in range(50000)]" &&
	tlslogd scan -c /dev/null $rules --db big4.db /dev/null >out 2>err &&
	cat err &&
	grep "filling in the peer domain (by the Public Suffix List) of the events stored before schema 10 (ids 1 to 50000), 5000 at a time" err &&
	grep "peer domains filled in" err &&
	test "$(sql big4.db "SELECT count(*) FROM events WHERE peer_domain IS NOT NULL")" = 40000 &&
	test "$(sql big4.db "SELECT count(*) FROM events WHERE peer_domain = '"'.example3.net'"'")" = \
		"$(sql big4.db "SELECT count(*) FROM events WHERE peer_host LIKE '"'%.example3.net'"'")" &&
	test "$(sql big4.db "SELECT count(*) FROM events WHERE peer_host = '"'unknown'"' AND peer_domain IS NOT NULL")" = 0 &&
	test "$(sql big4.db "SELECT count(*) FROM backfills")" = 0 &&
	tlslogd scan -c /dev/null $rules --db big4.db /dev/null 2>err2 &&
	! grep "filling in" err2
'

only_on sqlite "the old database is an SQLite file"
test_expect_success 'an interrupted backfill goes on from where it was at the next open' '
	sql big4.db "UPDATE events SET peer_domain = NULL WHERE id >= 30000" &&
	sql big4.db "INSERT INTO backfills (name, next_id) VALUES ('"'peer_domain'"', 30000)" &&
	tlslogd scan -c /dev/null $rules --db big4.db /dev/null 2>err &&
	grep "(ids 30000 to 50000)" err &&
	test "$(sql big4.db "SELECT count(*) FROM events WHERE peer_domain IS NOT NULL")" = 40000 &&
	test "$(sql big4.db "SELECT count(*) FROM backfills")" = 0
'

# v9_db DB: a database as schema 9 left it (made by this tlslogd, then put
# back to version 9), whose events carry the peer_domain that the guess
# before the Public Suffix List stored (".gv.at", ".amazonaws.com").
v9_db() {
	tlslogd scan -q -c /dev/null $rules --db "$1" /dev/null &&
	python3 - "$1" <<-\PY
	import sqlite3, sys
	con = sqlite3.connect(sys.argv[1])
	con.execute("DROP TABLE peer_days")  # schema 12
	con.execute("ALTER TABLE files DROP COLUMN counted")
	for c in ("recipient_domain", "helo_domain"):  # schema 11
	    con.execute("DROP INDEX IF EXISTS events_" + c)
	    con.execute("ALTER TABLE events DROP COLUMN " + c)
	con.execute("PRAGMA user_version = 9")
	con.executemany("INSERT INTO events (time, mta, direction, kind, peer_host, peer_ip, peer_domain) "
	                "VALUES (?, 'postfix', 'in', 'auth_failed', ?, '192.0.2.1', ?)",
	                [(1, "mx1.example.gv.at", ".gv.at"),
	                 (2, "ec2-198-51-100-7.compute-1.amazonaws.com", ".amazonaws.com"),
	                 (3, "mx.example.net", ".example.net"), (4, "unknown", None)])
	con.commit()
	PY
}

only_on sqlite "the old database is an SQLite file of schema 9"
test_expect_success 'schema 10: the guessed peer_domain of a version 9 database is recomputed by the PSL' '
	v9_db v9.db &&
	tlslogd scan -c /dev/null $rules --db v9.db /dev/null 2>err &&
	grep "stored before schema 10 (ids 1 to 4)" err &&
	test "$(sql v9.db "PRAGMA user_version")" = "$(schema_latest)" &&
	test "$(sql v9.db "SELECT coalesce(peer_domain, '"'-'"') FROM events ORDER BY time" | tr "\n" " ")" = \
		".example.gv.at - .example.net - " &&
	test "$(sql v9.db "SELECT count(*) FROM backfills")" = 0
'

test_expect_success 'usage errors exit 2 with a message' '
	test_exit_code 2 tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.7 --direction sideways 2>err &&
	grep "direction: expected in or out" err &&
	test_exit_code 2 tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.7 --limit 0 2>err &&
	test_exit_code 2 tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.7 --limit ten 2>err &&
	test_exit_code 2 tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer 192.0.2.7 --server "" 2>err &&
	for bad in 192.0.2.0/33 2001:db8::/129 192.0.2.0/ 192.0.2.0/x nonsense/24 ../etc . .. .a..b ".a b" ".a%b"; do
		test_exit_code 2 tlslogd query -c "$test_scratch/advice.conf" --db t.db --peer "$bad" 2>err || exit 1
	done &&
	test_exit_code 0 tlslogd query --help >out &&
	grep -- "--direction DIR" out && grep -- "--server NAME" out && grep -- "--limit N" out
'

test_done
