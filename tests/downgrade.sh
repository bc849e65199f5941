#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# downgrade.sh: the same facts give the same events for every MTA (issue 14,
# family 9). A failed handshake followed by a delivery in clear text keeps its
# cause as the kind and is marked downgraded (query --format json shows it); an
# unverified certificate on an opportunistic session that then carried the
# mail over TLS is no event (Exim's "SSL verify error" + CV=no, Postfix's
# "Untrusted TLS connection established" + status=sent); a database of schema
# 8 gets the field for its old tls_downgraded events.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

cat >d.log <<-\LOG
2026-11-23 10:00:20 1xW0b2-0001bB-0B [203.0.113.77] SSL verify error: depth=0 error=self signed certificate cert=/CN=localhost
2026-11-23 10:00:20 1xW0b2-0001bB-0B => leo@example.net R=dnslookup T=remote_smtp H=mx.example.net [203.0.113.77] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no C="250 OK"
2026-11-23 10:00:21 1xW0b3-0001bC-0C TLS session: (gnutls_handshake): An unexpected TLS packet was received.: delivering unencrypted to H=mx.example.org [203.0.113.78] (not in hosts_require_tls)
2026-11-23 10:00:21 1xW0b3-0001bC-0C => mia@example.org R=dnslookup T=remote_smtp H=mx.example.org [203.0.113.78] C="250 OK"
2026-11-23 10:00:22 1xW0b4-0001bD-0D [203.0.113.79] SSL verify error: depth=0 error=certificate has expired cert=/CN=mx.example.com
2026-11-23 10:00:22 1xW0b4-0001bD-0D TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed: delivering unencrypted to H=mx.example.com [203.0.113.79] (not in hosts_require_tls)
2026-11-23 10:00:23 1xW0b5-0001bE-0E TLS session failure: delivering unencrypted to mx.example.net [203.0.113.80] (not in hosts_require_tls)
2026-11-23 10:00:24 1xW0b6-0001bF-0F == nina@example.com R=dnslookup T=remote_smtp defer (-37) H=mx.example.com [203.0.113.81]: TLS session: (SSL_connect): error:0A000086:SSL routines::certificate verify failed
LOG
cat >p.log <<-\LOG
Nov 23 10:01:00 mx1 postfix/smtp[5001]: Untrusted TLS connection established to mx.example.net[203.0.113.90]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
Nov 23 10:01:00 mx1 postfix/smtp[5001]: 4bXk2Q1AB: to=<o@example.net>, relay=mx.example.net[203.0.113.90]:25, delay=0.2, delays=0.01/0/0.1/0.09, dsn=2.0.0, status=sent (250 2.0.0 Ok)
LOG
touch -d 2026-12-31T12:00:00Z d.log p.log || exit 99

# rows DB: "peer kind downgraded" per event, by peer.
rows() {
	tlslogd query -c /dev/null --db "$1" --peer 203.0.113.0/24 --since 2000-01-01 --format json |
	python3 -c 'import json, sys
for e in sorted(json.load(sys.stdin), key=lambda e: e["peer_ip"] or ""):
    print(e["peer_ip"], e["kind"], e["downgraded"])'
}

test_expect_success 'a delivery in clear keeps the cause and is downgraded; CV=no is no event' '
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db d.db d.log &&
	rows d.db >got &&
	cat >expect <<-\EOF &&
	203.0.113.78 tls_non_tls_peer 1
	203.0.113.79 tls_cert_expired 1
	203.0.113.80 tls_downgraded 1
	203.0.113.81 tls_cert_untrusted 0
	EOF
	test_cmp expect got
'

test_expect_success 'Postfix: an untrusted certificate on a delivery that went out over TLS is no event' '
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db p.db p.log &&
	test "$(sql p.db "SELECT count(*) FROM events")" = 0
'

test_expect_success 'schema 9: old tls_downgraded events of a version 8 database are downgraded' '
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db v8.db p.log &&
	python3 - <<-\PY &&
	import sqlite3
	con = sqlite3.connect("v8.db")
	con.execute("INSERT INTO events (time, mta, direction, kind) VALUES (1, \"exim\", \"out\", \"tls_downgraded\")")
	con.execute("INSERT INTO events (time, mta, direction, kind) VALUES (2, \"exim\", \"out\", \"tls_cert_expired\")")
	con.execute("DROP VIEW event_view")
	con.execute("ALTER TABLE events DROP COLUMN downgraded")
	for c in ("recipient_domain", "helo_domain"):  # schema 11
	    con.execute("DROP INDEX IF EXISTS events_" + c)
	    con.execute("ALTER TABLE events DROP COLUMN " + c)
	con.execute("DROP TABLE peer_days")  # schema 12
	con.execute("ALTER TABLE files DROP COLUMN counted")
	con.execute("PRAGMA user_version = 8")
	con.commit()
	PY
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db v8.db d.log &&
	test "$(sql v8.db "PRAGMA user_version")" = "$(schema_latest)" &&
	test "$(sql v8.db "SELECT group_concat(kind || \"=\" || downgraded, \" \") FROM (SELECT kind, downgraded FROM events WHERE time < 10 ORDER BY time)")" = "tls_downgraded=1 tls_cert_expired=0" &&
	test "$(sql v8.db "SELECT count(*) FROM event_view WHERE downgraded = 1")" = 4
'

test_done
