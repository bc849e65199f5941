#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pg-readers.sh: the readers on PostgreSQL (issue 18): the same events in an
# SQLite file and in a PostgreSQL database (a private cluster, tests/pg-lib.sh)
# give the same output, byte for byte, for query (table, JSON, CSV; by
# address, network, domain, name; with --server, --kind, --limit), top (every
# --by, --server, --peer: where a peer fails), flagged, summary and peers;
# stats the same events; a URI's password is never printed; a database
# without tlslogd's schema, or with a newer one, is refused. Skipped where
# PostgreSQL is not installed.
#
# The PostgreSQL database is filled from the SQLite one (a scan of the
# fixture): the schema of sql/pg/, then each table copied as CSV with psql.
# `tlslogd scan --db postgresql://...` cannot fill it yet: the flagger
# prepares SQLite statements only (issue 18, item 3); once it can, scanning
# the fixture into both engines is the stronger check.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/pg-lib.sh"

pg_start
pg_createdb tlslogd_read
psql=$pg_bindir/psql
[ -x "$psql" ] || psql=$(command -v psql) || pg_skip "psql not found (Debian's postgresql-client)"
pg() {
	"$psql" -X -q -v ON_ERROR_STOP=1 -At "$pg_uri" "$@"
}

rules="--patterns $TLSLOGD_PATTERNS"

# The fixture, relative to a "now" on a whole minute, written in UTC: two
# servers of Postfix lines. A guesser on both (flagged), TLS failures of a
# domain's hosts, an IPv6 peer, names in mixed case, a peer known only by
# name, a user, the period before (for summary), and successes (peer_days).
now=$(( $(date +%s) / 60 * 60 ))
python3 - "$now" <<-\PY || exit 99
	import sys, time
	now = int(sys.argv[1])
	def iso(ago):
	    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(ago * 60)))
	logs = {"mx1": [], "mx2": []}
	pid = [3000]
	def line(server, ago, text):
	    pid[0] += 1
	    logs[server].append((now - ago * 60, pid[0], "%s %s postfix/smtpd[%d]: %s" % (iso(ago), server, pid[0], text)))
	def auth(server, ago, ip, host="unknown", user=None):
	    t = "warning: %s[%s]: SASL LOGIN authentication failed: authentication failure" % (host, ip)
	    if user:
	        t += ", sasl_username=" + user
	    line(server, ago, t)
	def tls(server, ago, ip, host):
	    pid[0] += 1
	    p = "%s %s postfix/smtpd[%d]: " % (iso(ago), server, pid[0])
	    for text in ("SSL_accept error from %s[%s]: -1" % (host, ip),
	                 "warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:",
	                 "disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (host, ip)):
	        logs[server].append((now - ago * 60, pid[0], p + text))
	def ok(server, ago, ip, host):
	    pid[0] += 1
	    p = "%s %s postfix/smtpd[%d]: " % (iso(ago), server, pid[0])
	    for text in ("connect from %s[%s]" % (host, ip),
	                 "Anonymous TLS connection established from %s[%s]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)" % (host, ip),
	                 "disconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7" % (host, ip)):
	        logs[server].append((now - ago * 60, pid[0], p + text))

	for i in range(4):
	    auth("mx1", 30 + i, "192.0.2.7", user="admin")
	for i in range(3):
	    auth("mx2", 40 + i, "192.0.2.7", user="admin")
	for i in range(3):
	    tls("mx1", 120 + 5 * i, "203.0.113.9", "mail.Example.NET")
	tls("mx2", 150, "203.0.113.10", "mx2.example.net")
	tls("mx2", 160, "2001:db8::25", "v6.example.org")
	tls("mx1", 170, "2001:db8::26", "unknown")
	auth("mx1", 200, "198.51.100.5", host="Gateway.Partner.example", user="bob")
	auth("mx2", 210, "198.51.100.6", host="gateway.partner.example", user="bob")
	auth("mx2", 220, "192.0.2.99", user="carol")
	auth("mx1", 230, "::ffff:198.18.0.77", user="dave")	# IPv4 to tlslogd (cidr.h)
	# The day before, for summary's comparison, and a guesser flagged then.
	for i in range(5):
	    auth("mx1", 1800 + i, "192.0.2.40")
	auth("mx2", 2000, "198.51.100.5", host="Gateway.Partner.example")
	# Successes: peer_days for the census and the peer's history.
	for d in (0, 1, 3):
	    ok("mx1", 60 + d * 1440, "192.0.2.7", "unknown")
	ok("mx2", 300, "203.0.113.9", "mail.Example.NET")
	for server, lines in logs.items():
	    lines.sort()
	    open(server + ".log", "w").write("".join(l[2] + "\n" for l in lines))
	PY

# the ISO time of now minus $1 minutes (UTC), for periods that do not move.
at() {
	python3 -c 'import sys, time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[1]) - int(sys.argv[2]) * 60)))' "$now" "$1"
}
since=$(at 1440)
until=$(at 0)

test_expect_success 'the fixture in SQLite: two servers, a flag, successes' '
	tlslogd scan -q -c /dev/null $rules --db s.db mx1.log &&
	tlslogd scan -q -c /dev/null $rules --db s.db mx2.log &&
	sql s.db "SELECT server, count(*) FROM events GROUP BY server ORDER BY server" >servers &&
	cat servers &&
	grep "^mx1|" servers && grep "^mx2|" servers &&
	test "$(sql s.db "SELECT count(*) FROM flags WHERE peer = '\''192.0.2.7'\''")" -ge 1 &&
	test "$(sql s.db "SELECT count(*) FROM peer_days")" -ge 3
'

# copy_to_pg: the schema of sql/pg/ (every migration), then the rows of s.db's tables, as CSV
# (an unquoted empty field is NULL, a quoted one the empty text). The
# columns PostgreSQL adds (the server reading a file) are mx1's.
copy_to_pg() {
	for m in "$TLSLOGD_SRCDIR"/sql/pg/[0-9]*.sql; do
		v=${m##*/} &&
		pg -f "$m" &&
		pg -c "INSERT INTO schema_version VALUES ($(expr "${v%%-*}" + 0), '$v', 0)" || return 1
	done &&
	pg -c "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'" >pgcols &&
	python3 - s.db pgcols <<-\PY >copy.sql &&
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	pgcols = {}
	for l in open(sys.argv[2]):
	    t, c = l.rstrip("\n").split("|")
	    pgcols.setdefault(t, set()).add(c)
	def field(v):
	    if v is None:
	        return ""
	    if isinstance(v, (int, float)):
	        return str(v)
	    if isinstance(v, bytes):
	        v = v.decode("utf-8", "replace")
	    return '"' + v.replace('"', '""') + '"'
	for table in ("files", "sources", "losses", "events", "flags", "flag_actions", "peer_days"):
	    cols = [r[1] for r in db.execute("PRAGMA table_info(%s)" % table) if r[1] in pgcols[table]]
	    extra = ["server"] if "server" in pgcols[table] and "server" not in cols else []
	    with open(table + ".csv", "w", encoding="utf-8", newline="") as out:
	        for row in db.execute("SELECT %s FROM %s" % (", ".join('"%s"' % c for c in cols), table)):
	            out.write(",".join([field(v) for v in row] + [field("mx1")] * len(extra)) + "\n")
	    print("\\copy %s (%s) FROM '%s.csv' WITH (FORMAT csv)" % (table, ", ".join('"%s"' % c for c in cols + extra), table))
	PY
	pg -f copy.sql
}

test_expect_success 'the same rows in PostgreSQL' '
	copy_to_pg &&
	for t in events files flags peer_days sources; do
		test "$(sql s.db "SELECT count(*) FROM $t")" = "$(pg -c "SELECT count(*) FROM $t")" ||
			{ echo "$t differs"; return 1; }
	done
'

# same ARGS...: `tlslogd ARGS` on SQLite and on PostgreSQL print the same and exit the same.
same() {
	tlslogd "$@" -c /dev/null --db s.db >lite.out 2>lite.err
	lite=$?
	tlslogd "$@" -c /dev/null --db "$pg_uri" >pg.out 2>pg.err
	pgs=$?
	if [ "$lite" != "$pgs" ]; then
		echo "exit $lite on SQLite, $pgs on PostgreSQL: $*"
		cat lite.err pg.err
		return 1
	fi
	test -s lite.out || { echo "nothing printed: $*"; cat lite.err; return 1; }
	if ! cmp -s lite.out pg.out; then
		echo "differs: $*"
		diff -u lite.out pg.out
		return 1
	fi
}

test_expect_success 'query: an address, table, JSON, CSV, with --server, --kind and --limit' '
	same query --peer 192.0.2.7 &&
	same query --peer 192.0.2.7 --format json &&
	same query --peer 192.0.2.7 --format csv &&
	same query --peer 192.0.2.7 --server MX2 --format jsonl &&
	same query --peer 192.0.2.7 --kind auth --limit 3 --format json &&
	same query --peer ::ffff:192.0.2.7 --format json &&
	grep -c "\"server\": \"mx2\"" pg.out
'

test_expect_success 'query: networks, domains, names' '
	same query --peer 192.0.2.0/24 --format json &&
	grep -q 192.0.2.99 pg.out && grep -q 192.0.2.40 pg.out && ! grep -q 198.51 pg.out &&
	same query --peer 203.0.113.8/30 &&
	grep -q 203.0.113.9 pg.out && grep -q 203.0.113.10 pg.out &&
	same query --peer 2001:db8::/32 --format json &&
	grep -q 2001:db8::25 pg.out && grep -q 2001:db8::26 pg.out &&
	same query --peer ::/0 --format json &&
	grep -q 2001:db8::25 pg.out && ! grep -q 198.18.0.77 pg.out &&
	same query --peer 198.18.0.0/15 --format json &&
	grep -q "::ffff:198.18.0.77" pg.out &&
	same query --peer example.net --format json &&
	grep -q mail.Example.NET pg.out && grep -q mx2.example.net pg.out &&
	same query --peer .partner.example &&
	same query --peer GATEWAY.partner.example --format csv &&
	test "$(grep -c "^20.*,auth_failed," pg.out)" = 3 &&
	same query --peer unknown --format json
'

# auto_explain writes the plans of the reader's queries to the cluster's log;
# with sequential scans priced out, a plan that can use the index does.
test_expect_success 'a network is read by the index events_peer_inet (sql/pg/002), not by a scan' '
	pg -c "SELECT indexdef FROM pg_indexes WHERE indexname = '\''events_peer_inet'\''" >idx &&
	grep -q "inet" idx &&
	for net in 192.0.2.0/24 2001:db8::/32; do
		: >"$pg_dir/server.log" &&
		PGOPTIONS="-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c enable_seqscan=off" \
			tlslogd query -c /dev/null --db "$pg_uri" --peer $net >out &&
		grep -q "Index Scan on events_peer_inet\|Index Scan using events_peer_inet" "$pg_dir/server.log" ||
			{ cat "$pg_dir/server.log"; return 1; }
	done
'

# tlslogd(8) gives the index's statement for a large database: made by hand
# before the upgrade, the migration keeps it, and it is the same index.
test_expect_success 'the index made by hand as tlslogd(8) says is kept by the migration' '
	sed -n "/^CREATE INDEX CONCURRENTLY/,/^\.EE/p" "$TLSLOGD_SRCDIR/doc/tlslogd.8.in" |
		sed -e "/^\.EE/d" -e "s/\\\\(aq/'\''/g" -e "s/\\\\-/-/g" >by-hand.sql &&
	grep -q "CONCURRENTLY" by-hand.sql &&
	pg -c "SELECT indexdef FROM pg_indexes WHERE indexname = '\''events_peer_inet'\''" >migrated &&
	pg_createdb tlslogd_by_hand &&
	pg -f "$TLSLOGD_SRCDIR/sql/pg/001-initial.sql" &&
	pg -c "INSERT INTO schema_version VALUES (1, '\''001-initial.sql'\'', 0)" &&
	pg -f by-hand.sql &&
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$pg_uri" --server mx1 \
		"$samples/mixed.log" >/dev/null 2>err &&
	grep "schema migrated to version 2" err &&
	pg -c "SELECT indexdef FROM pg_indexes WHERE indexname = '\''events_peer_inet'\''" >kept &&
	test_cmp migrated kept &&
	test "$(pg -c "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '\''%peer_ip)::inet%'\''")" = 1
'

test_expect_success 'query of a peer with no events: the same words, the same status' '
	same query --peer 192.0.2.250 || { cat lite.out pg.out; false; }
'

test_expect_success 'top: by peer, kind, server, domain, user, in a fixed period' '
	for by in peer kind server domain user; do
		same top --since "$since" --until "$until" --by $by &&
		same top --since "$since" --until "$until" --by $by --format json || return 1
	done &&
	same top --since "$since" --until "$until" --kind tls --format csv
'

test_expect_success 'top --by server --peer: where a peer fails; --server: one host' '
	same top --since "$since" --until "$until" --by server --peer 192.0.2.7 &&
	grep "^mx1 .* 4 " pg.out && grep "^mx2 .* 3 " pg.out &&
	same top --since "$since" --until "$until" --by server --peer example.net --format json &&
	same top --since "$since" --until "$until" --server mx2 --format json &&
	same top --since "$since" --until "$until" --server mx2 --by user
'

test_expect_success 'flagged: active, all, JSON' '
	same flagged &&
	same flagged --all --format json &&
	grep 192.0.2.7 pg.out
'

test_expect_success 'summary: text and HTML of a fixed period, and of one server' '
	same summary --since "$since" --until "$until" &&
	same summary --since "$since" --until "$until" --format html &&
	same summary --since "$since" --until "$until" --server MX2 &&
	grep "^9 TLS and AUTH failures from 6 peers" pg.out &&
	! grep "^Per server" pg.out
'

test_expect_success 'peers: the census and the days' '
	same peers --since 7d --format json &&
	same peers --since 7d --below 1.3 &&
	same peers --since 7d --peer 192.0.2.7 --format csv &&
	same peers --since 7d --peer 192.0.2.0/24 --server MX1 --format json &&
	same peers --since 7d --peer .example.net
'

# wait_line PATTERN FILE: wait (60 s at most, on a loaded machine) for a line of FILE to match.
wait_line() {
	_tries=0
	until grep -q "$1" "$2"; do
		_tries=$((_tries + 1))
		[ "$_tries" -lt 600 ] || { echo "no line $1 in $2 after 60 s"; return 1; }
		sleep 0.1
	done
}

test_expect_success 'query --follow on PostgreSQL: each poll sees what was committed since' '
	"$TLSLOGD" query -c /dev/null --db "$pg_uri" --follow --since 2000-01-01 --peer 192.0.2.0/24 \
	    --format jsonl >f.out 2>f.err &
	qpid=$! &&
	echo $qpid >>"$test_scratch/.daemons" &&
	wait_line "\"peer_ip\": \"192.0.2.40\"" f.out &&
	pg -c "INSERT INTO events (id, time, server, mta, direction, kind, peer_ip) VALUES (1000001, $now, '\''mx3'\'', '\''postfix'\'', '\''in'\'', '\''auth_failed'\'', '\''192.0.2.201'\''), (1000002, $now, '\''mx3'\'', '\''postfix'\'', '\''in'\'', '\''auth_failed'\'', '\''198.51.100.201'\'')" &&
	wait_line "\"peer_ip\": \"192.0.2.201\"" f.out &&
	kill -TERM $qpid &&
	test_exit_code 0 wait $qpid &&
	test ! -s f.err &&
	test "$(grep -c "" f.out)" = "$(sql s.db "SELECT count(*) FROM events WHERE peer_ip LIKE '\''192.0.2.%'\''" | awk "{print \$1 + 1}")" &&
	! grep 198.51.100.201 f.out &&
	pg -c "DELETE FROM events WHERE id > 1000000"
'

# stats_events FILE: the lines of stats about events (not the database's file, size or sources).
stats_events() {
	sed -n "/^events /,/^[a-z]/p" "$1" | grep -v "^sources\|^no sources"
}

test_expect_success 'stats: the same events per kind, of all servers or one' '
	for server in "" MX2; do
		tlslogd stats -c /dev/null --db s.db ${server:+--server $server} >lite.out &&
		tlslogd stats -c /dev/null --db "$pg_uri" ${server:+--server $server} >pg.out &&
		cat pg.out &&
		stats_events lite.out >lite.kinds &&
		stats_events pg.out >pg.kinds &&
		test_cmp lite.kinds pg.kinds &&
		grep "^  auth_failed" pg.kinds || return 1
	done &&
	grep "^events    10 logged by MX2, " pg.out &&
	grep "^database  postgresql://tlslogd@/tlslogd_read?host=.* MB$" pg.out &&
	! grep "^daemon" pg.out
'

test_expect_success 'stats on PostgreSQL: every server'\''s sources, named; --server: one' '
	pg -c "INSERT INTO sources (server, name, file_id, first_seen, updated, lines) SELECT '\''mx1'\'', '\''/var/log/mail.log'\'', min(id), 0, 0, 42 FROM files" &&
	pg -c "INSERT INTO sources (server, name, first_seen, updated, lines) VALUES ('\''mx2'\'', '\''journal'\'', 0, 0, 7)" &&
	tlslogd stats -c /dev/null --db "$pg_uri" >pg.out &&
	cat pg.out &&
	grep "^  mx1: /var/log/mail.log$" pg.out &&
	grep "^  mx2: journal$" pg.out &&
	grep "; 42 lines read" pg.out &&
	tlslogd stats -c /dev/null --db "$pg_uri" --server mx2 --format json >pg.json &&
	python3 -c "import json, sys
d = json.load(open(\"pg.json\"))
assert [(s[\"server\"], s[\"name\"], s[\"lines\"]) for s in d[\"sources\"]] == [(\"mx2\", \"journal\", 7)], d[\"sources\"]
assert d[\"events\"][\"total\"] == 10, d[\"events\"]
assert d[\"database\"][\"daemon_pid\"] is None and d[\"database\"][\"bytes\"] > 0, d[\"database\"]"
'

test_expect_success 'a password in the URI is never printed' '
	uri="postgresql://tlslogd:s3cret@/no_such_db?host=$pg_dir" &&
	test_must_fail tlslogd query -c /dev/null --db "$uri" --peer 192.0.2.7 2>err &&
	cat err &&
	grep "tlslogd:\*\*\*@" err &&
	! grep s3cret err &&
	test_must_fail tlslogd top -c /dev/null --db "postgresql://tlslogd@/no_such_db?host=$pg_dir&password=s3cret" 2>err &&
	grep "password=\*\*\*" err &&
	! grep s3cret err
'

test_expect_success 'a database without tlslogd schema, or with a newer one, is refused' '
	pg_createdb tlslogd_empty &&
	test_must_fail tlslogd flagged -c /dev/null --db "$pg_uri" 2>err &&
	cat err &&
	grep "not a tlslogd database" err &&
	pg_createdb tlslogd_newer &&
	pg -f "$TLSLOGD_SRCDIR/sql/pg/001-initial.sql" &&
	pg -c "INSERT INTO schema_version VALUES (1, '\''001-initial.sql'\'', 0), (999, '\''999-future.sql'\'', 0)" &&
	test_must_fail tlslogd query -c /dev/null --db "$pg_uri" --peer 192.0.2.7 2>err &&
	cat err &&
	grep "schema version 999 is newer than this tlslogd knows" err
'

test_done
