#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# questions.sh: the admin's everyday questions (issue 16), each one command,
# on a realistic multi-day log of a Debian host in Europe/Berlin: Postfix's
# mail.log rotated (mail.log, mail.log.1, mail.log.2.gz, rsyslog's ISO
# timestamps) and an Exim mainlog of a second server. The log is made
# relative to the real clock (tlslogd has no fake "now"), in the zone the
# commands run in, so "today", "yesterday" and "monday" mean what they say.
#
#   who is guessing passwords?           top --by user --kind auth
#   which peers failed TLS today?        top --kind tls --since today
#   why does mail to/from partner fail?  query --peer partner.example
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"
TZ=Europe/Berlin
export TZ

test_expect_success 'set up: three days of Postfix logs, rotated, and an Exim mainlog' '
	python3 - "$(date +%s)" <<-\PY &&
	import gzip, sys, zoneinfo
	from datetime import datetime, timedelta
	zone = zoneinfo.ZoneInfo("Europe/Berlin")
	now = datetime.fromtimestamp(int(sys.argv[1]), zone)
	today = now.replace(hour=0, minute=0, second=0, microsecond=0)
	yesterday = (today - timedelta(days=1)).replace(tzinfo=None).replace(tzinfo=zone)
	monday = (today - timedelta(days=today.weekday())).replace(tzinfo=None).replace(tzinfo=zone)
	# Events "today" fall between 00:00 and now, wherever now is in the day.
	def today_at(frac):
	    return today + (now - today) * frac
	def iso(t):
	    return t.isoformat(timespec="microseconds")
	files = {"mail.log.2": [], "mail.log.1": [], "mail.log": []}
	pid = [4000]
	def pf(name, t, prog, text):
	    pid[0] += 1
	    files[name].append((t, "%s mx1 postfix/%s[%d]: %s" % (iso(t), prog, pid[0], text)))
	def tls_in(name, t, host, ip):
	    pf(name, t, "smtpd", "SSL_accept error from %s[%s]: -1" % (host, ip))
	    files[name].append((t, "%s mx1 postfix/smtpd[%d]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:" % (iso(t), pid[0])))
	    files[name].append((t, "%s mx1 postfix/smtpd[%d]: lost connection after STARTTLS from %s[%s]" % (iso(t), pid[0], host, ip)))
	    files[name].append((t, "%s mx1 postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (iso(t), pid[0], host, ip)))
	def auth(name, t, ip, user):
	    pf(name, t, "submission/smtpd", "warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=%s" % (ip, user))
	def out_notls(name, t, qid, rcpt, relay, ip):
	    pf(name, t, "smtp", "%s: to=<%s>, relay=%s[%s]:25, delay=0.2, delays=0.01/0/0.18/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host %s[%s])" % (qid, rcpt, relay, ip, relay, ip))
	# Three days before yesterday: old failures (before "monday" when today is no Monday).
	old = yesterday - timedelta(days=2)
	for i in range(3):
	    tls_in("mail.log.2", old + timedelta(hours=9, minutes=i), "mx9.old.example", "192.0.2.9")
	auth("mail.log.2", old + timedelta(hours=10), "192.0.2.10", "admin")
	# Yesterday: a spraying attack on one account, 132 failures from 127 addresses.
	for i in range(132):
	    a = i % 127
	    ip = "203.0.113.%d" % (a + 1) if a < 100 else "198.51.100.%d" % (a - 99)
	    auth("mail.log.1", yesterday + timedelta(hours=2, seconds=20 * i), ip, "info@example.com")
	# ... and plain guessing: one address, one account.
	for i in range(20):
	    auth("mail.log.1", yesterday + timedelta(hours=5, seconds=30 * i), "192.0.2.66", "admin")
	tls_in("mail.log.1", yesterday + timedelta(hours=12), "mx2.other.example", "192.0.2.77")
	# Today: the partner fails TLS inbound (reverse name), and mail to it fails
	# (its MX is hosted elsewhere: only the recipient domain names it).
	tls_in("mail.log", today_at(0.2), "mx1.partner.example", "198.51.100.200")
	tls_in("mail.log", today_at(0.3), "mx1.partner.example", "198.51.100.200")
	out_notls("mail.log", today_at(0.4), "4NqZ7k1Xz9z9sQ1", "bob@partner.example", "mx.hosting.example", "192.0.2.50")
	out_notls("mail.log", today_at(0.5), "4NqZ7k1Xz9z9sQ2", "alice@Partner.Example", "mx.hosting.example", "192.0.2.50")
	out_notls("mail.log", today_at(0.6), "4NqZ7k1Xz9z9sQ3", "carol@notpartner.example", "mx.hosting.example", "192.0.2.50")
	tls_in("mail.log", today_at(0.7), "mx3.other.example", "192.0.2.78")
	auth("mail.log", today_at(0.8), "192.0.2.66", "admin")
	for name, lines in files.items():
	    lines.sort(key=lambda x: x[0])
	    text = "".join(l + "\n" for _, l in lines)
	    if name == "mail.log.2":
	        with gzip.open(name + ".gz", "wt") as f:
	            f.write(text)
	    else:
	        open(name, "w").write(text)
	# Exim on a second server: the partner known by its HELO name only.
	def ex(t):
	    return t.strftime("%Y-%m-%d %H:%M:%S")
	with open("mainlog", "w") as f:
	    f.write("%s H=(mail.partner.example) [198.51.100.201]:40112 rejected AUTH PLAIN: STARTTLS required before AUTH\n" % ex(today_at(0.25)))
	    f.write("%s plain_server authenticator failed for (smtp.eu.partner.example) [198.51.100.202]:40113: 535 Incorrect authentication data (set_id=partner)\n" % ex(today_at(0.35)))
	# The expected boundaries, for the checks below.
	open("bounds", "w").write("%d %d %d\n" % (today.timestamp(), yesterday.timestamp(), monday.timestamp()))
	PY
	tlslogd scan -q -c /dev/null $rules --db t.db mail.log.2.gz mail.log.1 mail.log &&
	tlslogd scan -q -c /dev/null $rules --mta exim --server mx2 --db t.db mainlog &&
	test "$(sql t.db "SELECT count(*) FROM events")" = 166
'

read_bounds() {
	read today yesterday monday <bounds
}

test_expect_success 'who is guessing passwords: top --by user shows the spraying attack' '
	tlslogd top -c /dev/null --db t.db --since 7d --by user --kind auth >out &&
	cat out &&
	head -n 1 out | grep "^Since 20[0-9-]* [0-9:]* CES\{0,1\}T, until now; kinds: auth$" &&
	sed -n 2p out | grep "^USER  *COUNT  *ADDRS  *FIRST  *LAST$" &&
	sed -n 3p out | grep "^info@example.com  *132  *127 " &&
	sed -n 4p out | grep "^admin  *22  *2 " &&
	tlslogd top -c /dev/null --db t.db --since 7d --by user --format json >out &&
	python3 -c "import json; d = json.load(open(\"out\")); assert d[0][\"user\"] == \"info@example.com\" and d[0][\"count\"] == 132 and d[0][\"addresses\"] == 127, d; assert set(d[0]) == {\"user\", \"count\", \"addresses\", \"first\", \"last\"}, d; assert len(d) == 3, d"
'

test_expect_success 'top --kind: tls and auth as groups, lists and repeats, --by kind' '
	tlslogd top -c /dev/null --db t.db --since 7d --kind tls --by kind --format csv >out &&
	cat out &&
	test "$(cat out)" = "kind,count,peers,first,last
tls_protocol_mismatch,7,4,$(sed -n 2p out | cut -d, -f4-)
tls_not_offered,3,1,$(sed -n 3p out | cut -d, -f4-)" &&
	tlslogd top -c /dev/null --db t.db --since 7d --kind auth --by kind --format csv >out &&
	cat out &&
	test "$(cut -d, -f1,2 out | tr "\n" " ")" = "kind,count auth_failed,155 auth_without_tls,1 " &&
	tlslogd top -c /dev/null --db t.db --since 7d --kind tls_not_offered,auth_without_tls --by kind --format csv >a &&
	tlslogd top -c /dev/null --db t.db --since 7d --kind tls_not_offered --kind auth_without_tls --by kind --format csv >b &&
	test_cmp a b &&
	test "$(cut -d, -f1,2 a | tr "\n" " ")" = "kind,count tls_not_offered,3 auth_without_tls,1 " &&
	tlslogd top -c /dev/null --db t.db --since 7d --kind tls >out &&
	head -n 1 out | grep "; kinds: tls$" &&
	! grep "^203\.0\.113\." out
'

test_expect_success 'which peers failed TLS today: --since today, yesterday, monday in TZ' '
	read_bounds &&
	tlslogd top -c /dev/null --db t.db --since today --kind tls --format json >out &&
	python3 -c "import json; d = json.load(open(\"out\")); assert [(r[\"peer\"], r[\"count\"]) for r in d] == [(\"192.0.2.50\", 3), (\"198.51.100.200\", 2), (\"192.0.2.78\", 1)], d" &&
	tlslogd top -c /dev/null --db t.db --since today >out &&
	head -n 1 out | grep "^Since $(date -d @$today "+%Y-%m-%d 00:00 %Z"), until now$" &&
	tlslogd top -c /dev/null --db t.db --since yesterday --until today --by kind --format csv >out &&
	test "$(cut -d, -f1,2 out | tr "\n" " ")" = "kind,count auth_failed,152 tls_protocol_mismatch,1 " &&
	tlslogd top -c /dev/null --db t.db --since YESTERDAY --until today >out &&
	head -n 1 out | grep "^Since $(date -d @$yesterday "+%Y-%m-%d 00:00 %Z"), until $(date -d @$today "+%Y-%m-%d 00:00 %Z")$" &&
	tlslogd top -c /dev/null --db t.db --since monday --limit 0 --format json >out &&
	want=$(sql t.db "SELECT count(*) FROM events WHERE time >= $monday") &&
	python3 -c "import json, sys; d = json.load(open(\"out\")); assert sum(r[\"count\"] for r in d) == int(sys.argv[1]), d" "$want" &&
	tlslogd top -c /dev/null --db t.db --since mon >out2 &&
	sed 1d out >a && tlslogd top -c /dev/null --db t.db --since monday >out &&
	sed 1d out >b && sed 1d out2 >c && test_cmp b c &&
	head -n 1 out | grep "^Since $(date -d @$monday "+%Y-%m-%d 00:00 %Z"), until now$" &&
	tlslogd query -c /dev/null --db t.db --peer 192.0.2.66 --since yesterday --until today --format csv >out &&
	test "$(sed 1d out | wc -l)" = 20 &&
	tlslogd query -c /dev/null --db t.db --peer 192.0.2.66 --since 36h --format csv >out &&
	test "$(sed 1d out | wc -l)" -ge 1
'

test_expect_success 'why does mail from/to partner.example fail: one command finds it all' '
	tlslogd query -c /dev/null --db t.db --peer partner.example --format json >out &&
	python3 - <<-\PY &&
	import json
	d = json.load(open("out"))
	got = sorted((e["direction"], e["kind"], e["peer_host"] or e["helo"]) for e in d)
	want = sorted([("in", "tls_protocol_mismatch", "mx1.partner.example")] * 2 +
	              [("in", "auth_without_tls", "mail.partner.example"),
	               ("in", "auth_failed", "smtp.eu.partner.example"),
	               ("out", "tls_not_offered", "mx.hosting.example"),
	               ("out", "tls_not_offered", "mx.hosting.example")])
	assert got == want, got
	assert not any("notpartner" in (e["raw"] or "") for e in d), d
	PY
	tlslogd query -c /dev/null --db t.db --peer .partner.example --format json >dot &&
	test_cmp out dot &&
	tlslogd query -c /dev/null --db t.db --peer partner.example --direction out >out &&
	cat out &&
	grep "^Diagnosis for partner.example: 2 events, 1 cause$" out &&
	grep "tls_not_offered (out, postfix): 2 events" out
'

test_expect_success 'nothing found for a domain: the answer says what was tried' '
	tlslogd query -c /dev/null --db t.db --peer nobody.example >out &&
	test "$(cat out)" = "No events for nobody.example (as a domain: its hosts, HELO names and recipient domain)." &&
	tlslogd query -c /dev/null --db t.db --peer nobody.example --format json >out 2>err &&
	test "$(cat out)" = "[]" &&
	grep "no events for nobody.example (as a domain: its hosts, HELO names and recipient domain)" err
'

test_expect_success 'an old database gets the recipient and HELO domains in batches' '
	cp t.db old.db &&
	python3 - <<-\PY &&
	import sqlite3
	con = sqlite3.connect("old.db")
	con.execute("DROP TABLE peer_days")  # schema 12
	con.execute("ALTER TABLE files DROP COLUMN counted")
	for c in ("recipient_domain", "helo_domain"):
	    con.execute("DROP INDEX events_" + c)
	    con.execute("ALTER TABLE events DROP COLUMN " + c)
	con.execute("PRAGMA user_version = 9")
	con.commit()
	PY
	tlslogd scan -c /dev/null $rules --db old.db /dev/null 2>err &&
	cat err &&
	grep "filling in the recipient and HELO domains of the events stored before schema 11" err &&
	grep "recipient and HELO domains filled in" err &&
	test "$(sql old.db "SELECT count(*) FROM backfills")" = 0 &&
	q="SELECT id, recipient_domain, helo_domain FROM events ORDER BY id" &&
	test "$(sql old.db "$q")" = "$(sql t.db "$q")" &&
	test "$(sql old.db "SELECT count(*) FROM events WHERE recipient_domain = '"'partner.example'"'")" = 2
'

test_expect_success 'the new selections read indexes, never the whole table' '
	python3 - <<-\PY
	import sqlite3
	con = sqlite3.connect("t.db")
	def plan(sql, n):
	    return [r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, ("x",) * n)]
	# The shapes reportdb.c builds for a domain and for top --kind.
	dom = ("SELECT e.id FROM events e WHERE (e.peer_host = ?1 OR e.helo = ?1 OR "
	       "e.recipient_domain = ?1 OR (e.peer_domain = ?2 AND e.peer_host LIKE \"%.\" || ?1) OR "
	       "(e.helo_domain = ?2 AND e.helo LIKE \"%.\" || ?1)) AND e.time >= ?3")
	p = plan(dom, 3)
	assert all(not d.startswith("SCAN") for d in p) and any("events_recipient_domain" in d for d in p) and any("events_helo_domain" in d for d in p), p
	top = ("SELECT user AS k, count(*) FROM events INDEXED BY events_time WHERE time >= ?1 "
	       "AND kind IN (\"auth_failed\", \"auth_aborted\") AND user IS NOT NULL GROUP BY k")
	p = plan(top, 1)
	assert any("SEARCH events USING INDEX events_time (time>?)" in d for d in p), p
	PY
'

test_done
