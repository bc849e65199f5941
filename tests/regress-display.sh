#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# regress-display.sh: regressions first (issue 17, item 2). A partner that
# delivered over TLS 1.2 every day for a week and fails since 2026-12-01
# 10:02 is flagged as a regression; a scanner with 50 failures and no
# success on record is flagged by a threshold only; a third peer fails
# three times and never succeeded (noise). The database is written with
# sqlite3 as the daemon writes it (peer_days, events, flags), so that the
# readers are tested apart from the flagger: `flagged` puts the regression
# first under its own title (JSON and CSV: "regression": true), `query
# --peer` begins with the partner's history, the summary puts the
# regression at the top of what changed and the peers without success
# history apart.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"
# Flags of 2026 stay active today: they clear only after ten years of quiet.
echo "flag_quiet 3650d" >t.conf

# The SQL below is both engines' (TLSLOGD_TEST_ENGINE): the escape character as such.
esc=$(printf '\033')
: >empty.log
tlslogd scan -q $rules --db d.db empty.log || exit 99
# 2026-11-25 00:00 UTC is day 20782; the partner's successes, each day
# 08:00 to 09:14 (the last 2026-12-01 09:14, 1796116440), 44 messages a day
# (the first day 48: 312 in the week) over TLSv1.2, delivered (out).
sql d.db "
WITH RECURSIVE d(day) AS (SELECT 20782 UNION ALL SELECT day + 1 FROM d WHERE day < 20788)
INSERT INTO peer_days (peer, day, direction, server, mta, host, first_time, last_time,
	last_version, tls12, aead, messages)
SELECT '192.0.2.7', day, 'out', 'mx1', 'postfix', 'mx.partner.example', day * 86400 + 28800,
	day * 86400 + 33240, 'TLSv1.2', CASE WHEN day = 20782 THEN 48 ELSE 44 END,
	CASE WHEN day = 20782 THEN 48 ELSE 44 END, CASE WHEN day = 20782 THEN 48 ELSE 44 END FROM d;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 3)
INSERT INTO events (time, server, mta, program, direction, kind, peer_host, peer_ip, reason, raw,
	peer_domain)
SELECT 1796119320 + 600 * i, 'mx1', 'postfix', 'postfix/smtp', 'out', 'tls_protocol_mismatch',
	'mx.partner.example', '192.0.2.7', 'wrong version number', 'line', 'partner.example' FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
INSERT INTO events (time, server, mta, program, direction, kind, peer_ip, reason, raw)
SELECT 1796126400 + 60 * i, 'mx1', 'postfix', 'postfix/smtpd', 'in', 'tls_non_tls_peer',
	'203.0.113.50', 'non-TLS peer', 'line' FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 2)
INSERT INTO events (time, server, mta, program, direction, kind, peer_ip, reason, raw)
SELECT 1796133600 + 60 * i, 'mx1', 'postfix', 'postfix/smtpd', 'in', 'tls_no_shared_cipher',
	'203.0.113.66', 'no shared cipher', 'line' FROM n;
INSERT INTO flags (peer, peer_kind, threshold, first_event, last_event, count, flagged, why,
	main_kind, host)
VALUES ('203.0.113.50', 'ip', 'tls', 1796126400, 1796129340, 50, 1796126520,
	'3 events of tls_* in 1h', 'tls_non_tls_peer', NULL),
('192.0.2.7', 'ip', 'regression', 1796119320, 1796121120, 4, 1796119320,
	'delivered over TLSv1.2 every day until 2026-12-01 09:14; fails since with tls_protocol_mismatch',
	'tls_protocol_mismatch', 'mx.partner.example');
-- A client that sent over TLSv1.3 on 5 of the last 7 days and never failed,
-- and one whose reverse name is hostile, with one failure.
INSERT INTO peer_days (peer, day, direction, server, mta, host, first_time, last_time,
	last_version, tls13, aead)
SELECT '192.0.2.9', value, 'in', 'mx1', 'postfix', NULL, value * 86400 + 3600,
	value * 86400 + 7200, 'TLSv1.3', 10, 10
FROM (SELECT 20782 AS value UNION ALL SELECT 20783 UNION ALL SELECT 20785
	UNION ALL SELECT 20787 UNION ALL SELECT 20788) AS v;
INSERT INTO peer_days (peer, day, direction, server, mta, host, first_time, last_time,
	last_version, clear, messages)
VALUES ('192.0.2.66', 20788, 'in', 'mx1', 'postfix', 'x<b>$esc[31m.example',
	1796116440, 1796116440, NULL, 1, 1);
INSERT INTO events (time, server, mta, program, direction, kind, peer_ip, raw)
VALUES (1796119320, 'mx1', 'postfix', 'postfix/smtpd', 'in', 'tls_required', '192.0.2.66',
	'line');" || exit 99

test_expect_success 'flagged: the regression first, under its own title, then the other flags' '
	tlslogd flagged -c t.conf --db d.db >out &&
	cat >want <<-\EOF &&
	Regressions: partners that used to succeed
	PEER                       THRESHOLD  EVENTS  FIRST                 LAST                  WHY
	192.0.2.7                  regression 4       2026-12-01T10:02:00Z  2026-12-01T10:32:00Z  delivered over TLSv1.2 every day until 2026-12-01 09:14; fails since with tls_protocol_mismatch, host mx.partner.example

	Other flags
	PEER                       THRESHOLD  EVENTS  FIRST                 LAST                  WHY
	203.0.113.50               tls        50      2026-12-01T12:00:00Z  2026-12-01T12:49:00Z  3 events of tls_* in 1h, mostly tls_non_tls_peer
	EOF
	test_cmp want out &&
	tlslogd flagged --all -c t.conf --db d.db >all &&
	head -n 3 all | tail -n 1 | grep "^192.0.2.7  *regression " &&
	grep -x "Other flags" all
'

test_expect_success 'flagged: JSON and CSV say regression true or false, regressions first' '
	tlslogd flagged -c t.conf --db d.db --format json >j &&
	python3 -c "import json, sys
rows = json.load(open(\"j\"))
assert [(r[\"peer\"], r[\"regression\"]) for r in rows] == [(\"192.0.2.7\", True), (\"203.0.113.50\", False)], rows
assert rows[0][\"threshold\"] == \"regression\"" &&
	tlslogd flagged -c t.conf --db d.db --format jsonl >jl &&
	test "$(sed -n "1s/.*\"regression\": //p" jl)" = "true}" &&
	tlslogd flagged -c t.conf --db d.db --format csv >c &&
	test "$(head -n 1 c)" = "peer,peer_kind,threshold,count,first_event,last_event,flagged,main_kind,host,why,regression" &&
	test "$(sed -n 2p c | sed "s/.*,//")" = true &&
	test "$(sed -n 3p c | sed "s/.*,//")" = false
'

test_expect_success 'flagged: without regressions, the table of old (no titles)' '
	cp d.db n.db &&
	sql n.db "DELETE FROM flags WHERE threshold = '"'regression'"'" &&
	tlslogd flagged -c t.conf --db n.db >out &&
	test "$(wc -l <out)" = 2 &&
	head -n 1 out | grep "^PEER  *THRESHOLD"
'

partner="mx.partner.example [192.0.2.7]: delivered over TLSv1.2 every day from 2026-11-25 until 2026-12-01 09:14 (312 messages); fails since 2026-12-01 10:02 with tls_protocol_mismatch"

test_expect_success 'query --peer ADDRESS: the partner'"'"'s history before its events' '
	tlslogd query -c t.conf --db d.db --peer 192.0.2.7 >out 2>err &&
	test "$(sed -n 1p out)" = "$partner" &&
	test -z "$(sed -n 2p out)" &&
	sed -n 3p out | grep "^TIME (UTC)" &&
	test "$(grep -c "tls_protocol_mismatch  *mx.partner.example\[192.0.2.7\]" out)" = 4
'

test_expect_success 'query --peer NAME: the history of the addresses the name stands for' '
	tlslogd query -c t.conf --db d.db --peer mx.partner.example >out 2>err &&
	test "$(sed -n 1p out)" = "$partner"
'

test_expect_success 'query --peer: a scanner is no known partner (regression_days sets the days)' '
	tlslogd query -c t.conf --db d.db --peer 203.0.113.50 >out 2>err &&
	test "$(sed -n 1p out)" = "203.0.113.50: no successful session in the last 7 days: not a known partner" &&
	printf "flag_quiet 3650d\nregression_days 14\n" >r.conf &&
	tlslogd query -c r.conf --db d.db --peer 203.0.113.50 >out 2>err &&
	test "$(sed -n 1p out)" = "203.0.113.50: no successful session in the last 14 days: not a known partner"
'

test_expect_success 'query --peer: "on 5 of the 7 days" when days are missing; a peer without failures' '
	tlslogd query -c t.conf --db d.db --peer 192.0.2.9 >out 2>err &&
	cat >want <<-\EOF &&
	192.0.2.9: received over TLSv1.3 on 5 of the 7 days until 2026-12-01 02:00 (50 sessions); no failure since

	No events for 192.0.2.9.
	EOF
	test_cmp want out
'

test_expect_success 'query --peer: a hostile reverse name in the history is made printable' '
	tlslogd query -c t.conf --db d.db --peer 192.0.2.66 >out 2>err &&
	test "$(sed -n 1p out)" = "x<b>?[31m.example [192.0.2.66]: received in clear text on 2026-12-01 until 09:14 (1 message); fails since 2026-12-01 10:02 with tls_required"
'

test_expect_success 'query --peer in JSON and CSV: the events only, as before' '
	tlslogd query -c t.conf --db d.db --peer 192.0.2.7 --format json >j 2>err &&
	python3 -c "import json; assert len(json.load(open(\"j\"))) == 4" &&
	tlslogd query -c t.conf --db d.db --peer 192.0.2.7 --format csv >c 2>err &&
	head -n 1 c | grep "^time,"
'

test_expect_success 'summary: the regression at the top of what changed, the peers without history apart' '
	tlslogd summary -c t.conf --db d.db --since 2026-12-01 --until 2026-12-02 >out 2>err &&
	sed -n "/^WHAT CHANGED/,/^\$/p" out >changed &&
	cat changed &&
	cat >want <<-\EOF &&
	WHAT CHANGED SINCE THE 24 HOURS BEFORE
	  Regression: mx.partner.example [192.0.2.7]: delivered over TLSv1.2 every day
	    from 2026-11-25 until 2026-12-01 09:14 (312 messages); fails since
	    2026-12-01 10:02 with tls_protocol_mismatch
	EOF
	head -n 4 changed >got &&
	test_cmp want got &&
	grep -A1 "^  Failing peers with no success history: 1, flagged by no threshold (noise):" changed >noise &&
	tail -n 1 noise | grep -x "    203.0.113.66 (3 tls_no_shared_cipher)" &&
	! grep "no success history.*203.0.113.50" changed &&
	tlslogd summary -c t.conf --db d.db --since 2026-12-01 --until 2026-12-02 --format html >h 2>err &&
	grep "Regression: <b>mx.partner.example \[192.0.2.7\]: delivered over TLSv1.2 every day" h &&
	grep "Failing peers with no success history: 1" h &&
	printf "#!/bin/sh\ncat >\"%s/mail.txt\"\n" "$PWD" >sm.sh && chmod +x sm.sh &&
	tlslogd summary -c t.conf --db d.db --since 2026-12-01 --until 2026-12-02 --mail ops@example.com --sendmail "$PWD/sm.sh" 2>err &&
	sed -n "/^Subject:/,/^Message-ID:/p" mail.txt | tr -d "\n" | grep "^Subject: tlslogd: 58 TLS and AUTH failures on .* UTC, 1 regression, 4 new peers"
'

test_expect_success 'a database that counts no success: no headline, no noise (nothing to tell apart)' '
	cp d.db u.db &&
	sql u.db "DELETE FROM peer_days" &&
	tlslogd query -c t.conf --db u.db --peer 203.0.113.50 >out 2>err &&
	sed -n 1p out | grep "^TIME (UTC)" &&
	tlslogd summary -c t.conf --db u.db --since 2026-12-01 --until 2026-12-02 >sum 2>err &&
	! grep "no success history" sum &&
	tlslogd summary -c t.conf --db d.db --since 2026-12-01 --until 2026-12-02 >sum 2>err &&
	grep "no success history" sum
'

# The queries of reportdb.c (peer_days, issue 17), as they are written there.
only_on sqlite "SQLite's EXPLAIN QUERY PLAN of reportdb.c's SQLite dialect"
test_expect_success 'the history is read by the key of peer_days, never the whole table' '
	plan() { sql d.db "EXPLAIN QUERY PLAN $1" | tee -a plans; } &&
	plan "SELECT day, last_time FROM peer_days WHERE peer = ?1 AND day = (SELECT max(day) FROM peer_days WHERE peer = ?1) ORDER BY last_time DESC LIMIT 1" >p1 &&
	grep "SEARCH peer_days USING PRIMARY KEY (peer=? AND day=?)" p1 &&
	grep "SEARCH peer_days USING PRIMARY KEY (peer=?)" p1 &&
	plan "SELECT day, min(first_time), sum(messages) FROM peer_days WHERE peer = ?1 AND day >= ?2 AND day <= ?3 GROUP BY day ORDER BY day" |
		grep "SEARCH peer_days USING PRIMARY KEY (peer=? AND day>? AND day<?)" &&
	plan "SELECT kind, count(*), min(time) FROM events WHERE peer_ip = ?1 AND time > ?2 GROUP BY kind ORDER BY 2 DESC, 1" |
		grep "SEARCH events USING INDEX events_peer_ip (peer_ip=? AND time>?)" &&
	plan "SELECT e.ip, e.n, e.host, e.kind FROM (SELECT peer_ip AS ip, count(*) AS n, max(peer_host) AS host, CASE WHEN count(DISTINCT kind) = 1 THEN max(kind) END AS kind FROM events INDEXED BY events_time WHERE time >= ?1 AND time < ?2 AND peer_ip IS NOT NULL GROUP BY peer_ip) e WHERE NOT EXISTS (SELECT 1 FROM peer_days p WHERE p.peer = e.ip) AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.peer = e.ip AND f.cleared IS NULL AND f.last_event + ?3 > ?4) ORDER BY e.n DESC, e.ip" >p4 &&
	grep "SEARCH events USING INDEX events_time" p4 &&
	grep "SEARCH p USING PRIMARY KEY (peer=?)" p4 &&
	! grep "SCAN peer_days\|SCAN p\$\|SCAN events" plans
'

test_done
