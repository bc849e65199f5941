#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# peers.sh: the successes per peer and day (peer_days, issue 17) and the
# regressions they reveal, end to end through the shipped success rules:
#
#  0. The real captures of Postfix, Exim, Sendmail and Dovecot
#     (tests/corpus/real) count what NAME.peers says: sessions by protocol
#     and cipher family, clear text, messages, logins (checked by hand
#     against the lines: e.g. Postfix's 8 "TLS connection established from
#     localhost[127.0.0.1]" and 4 "client=localhost[127.0.0.1]").
#  1. A partner that delivered over TLS 1.2 for three days and now fails is
#     flagged "regression" at its first failure, while a scanner with 50
#     failures and no success is not (only the tls threshold flags it), nor
#     a peer whose first success is logged after its failure (read in the
#     same transaction); flagged lists the regression first.
#  2. The judgment depends on the lines' times, not on where commits fall:
#     the daemon committing after every event and a one-shot scan give the
#     same flags and the same peer_days.
#  3. Each success line is counted once: a second scan, a stream with the
#     text of a known file, a failure held open at the end of a live file
#     (its lines read again by the next scan), a scan beside the daemon on
#     the same growing file.
#  4. The census across rotated files (mail.log, mail.log.1, mail.log.2.gz):
#     who still uses TLS older than 1.2, with the right volume and last day.
#  5. Scan's matching threads count what one thread counts.
#  6. Retention deletes the days before the period; peer_history no counts
#     nothing; a wrong value names the file and line.
# The kill -9 test of the counts is tests/exactly-once.sh (kill-rotate.py).
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"

# lines SPEC...: Postfix lines with RFC 3339 time stamps relative to now.
# SPEC: "DAYS_AGO HH:MM:SS KIND IP [NAME]", KIND ok12 ok10 ok11 (a TLS
# session of that version), clear (a session without STARTTLS that sent
# mail), fail (a handshake without a shared cipher). Each session has its
# own process id, made of its time.
lines() {
	python3 - "$@" <<-\PY
	import sys, datetime
	today = datetime.datetime.now(datetime.timezone.utc).date()
	for spec in sys.argv[1:]:
	    f = spec.split()
	    ago, hms, kind, ip = int(f[0]), f[1], f[2], f[3]
	    name = f[4] if len(f) > 4 else "unknown"
	    d = today - datetime.timedelta(days=ago)
	    t = "%sT%s+00:00" % (d.isoformat(), hms)
	    h, m, sec = map(int, hms.split(":"))
	    pid = 1000 + (ago * 86400 + h * 3600 + m * 60 + sec) % 60000  # one per session
	    p = "%s mx1 postfix/smtpd[%d]: " % (t, pid)
	    if kind.startswith("ok"):
	        v = {"ok10": "TLSv1", "ok11": "TLSv1.1", "ok12": "TLSv1.2"}[kind]
	        c = "ECDHE-RSA-AES256-GCM-SHA384" if kind == "ok12" else "ECDHE-RSA-AES256-SHA"
	        print(p + "connect from %s[%s]" % (name, ip))
	        print(p + "Anonymous TLS connection established from %s[%s]: %s with cipher %s (256/256 bits)" % (name, ip, v, c))
	        print(p + "disconnect from %s[%s] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7" % (name, ip))
	    elif kind == "clear":
	        print(p + "connect from %s[%s]" % (name, ip))
	        print(p + "disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5" % (name, ip))
	    elif kind == "fail":
	        print(p + "connect from %s[%s]" % (name, ip))
	        print(p + "SSL_accept error from %s[%s]: -1" % (name, ip))
	        print(p + "warning: TLS library problem: %d:error:1408A0C1:SSL routines:ssl3_get_client_hello:no shared cipher:s3_srvr.c:1435:" % pid)
	        print(p + "lost connection after STARTTLS from %s[%s]" % (name, ip))
	        print(p + "disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (name, ip))
	PY
}

# The history of the partner and the scanner's attack, in time order.
partner_log() {
	lines "3 10:00:00 ok12 192.0.2.7 mx.partner.example" \
	      "2 10:00:00 ok12 192.0.2.7 mx.partner.example" \
	      "1 09:14:00 ok12 192.0.2.7 mx.partner.example" &&
	for i in $(seq 10 59); do
		lines "0 00:01:$i fail 203.0.113.50"
	done &&
	lines "0 00:02:00 fail 192.0.2.7 mx.partner.example" \
	      "0 00:03:00 fail 192.0.2.7 mx.partner.example" \
	      "0 00:04:00 fail 192.0.2.8 late.example" \
	      "0 00:04:30 ok12 192.0.2.8 late.example"
}

# sums DB: the counters of every peer day, one line each (what must not change).
sums() {
	dbq "$1" "SELECT peer, day, direction, server, first_time, last_time, last_version, clear,
		ssl3, tls10, tls11, tls12, tls13, tls_other, aead, cbc, des3, rc4, cipher_other,
		messages, logins FROM peer_days ORDER BY 1, 2, 3, 4"
}

test_expect_success 'the real captures of the four MTAs: the successes counted are those of NAME.peers' '
	for f in "$corpus"/real/*.peers; do
		log=${f%.peers}.log &&
		rm -f real.db &&
		tlslogd scan -q -c /dev/null $rules --db real.db "$log" &&
		{ head -n 1 "$f" && sql real.db "SELECT peer, direction, mta, clear, ssl3, tls10, tls11,
			tls12, tls13, tls_other, aead, cbc, des3, rc4, cipher_other, messages, logins,
			last_version FROM peer_days ORDER BY 1, 2, 3"; } >got &&
		test_cmp "$f" got || exit 1
	done &&
	test "$(ls "$corpus"/real/*.peers | wc -l)" = 6
'

test_expect_success 'a partner that used to succeed fails: a regression at once; a scanner with 50 failures is none' '
	partner_log >mail.log &&
	tlslogd scan -q -c /dev/null $rules --db t.db mail.log &&
	test "$(dbq t.db "SELECT peer, count, main_kind FROM flags WHERE threshold = '"'regression'"'")" = \
		"192.0.2.7|2|tls_no_shared_cipher" &&
	dbq t.db "SELECT why FROM flags WHERE threshold = '"'regression'"'" >why &&
	test "$(cat why)" = "succeeded in the 7 days before; fails since with tls_no_shared_cipher" &&
	tlslogd query -c /dev/null --db t.db --peer 192.0.2.7 >q &&
	head -n 1 q | grep "mx.partner.example \[192.0.2.7\]: .*TLSv1.2 every day from .* until .* 09:14" &&
	test "$(dbq t.db "SELECT count(*) FROM flags WHERE peer = '"'203.0.113.50'"' AND threshold = '"'regression'"'")" = 0 &&
	test "$(dbq t.db "SELECT count(*) FROM flags WHERE peer = '"'192.0.2.8'"'")" = 0 &&
	test "$(dbq t.db "SELECT count(*) FROM flags WHERE peer = '"'203.0.113.50'"'")" = 1 &&
	test "$(dbq t.db "SELECT sum(tls12), count(*) FROM peer_days WHERE peer = '"'192.0.2.7'"'")" = "3|3" &&
	tlslogd flagged -c /dev/null --db t.db --all >out &&
	head -n 3 out | grep "192.0.2.7" &&
	grep -n "203.0.113.50" out | grep -v "^[123]:"
'

test_expect_success 'regressions do not depend on where commits fall: the daemon committing at every event = one scan' '
	cat >every.conf <<-EOF &&
	batch_events 1
	batch_interval 1
	EOF
	: >live.log &&
	daemon_run -c every.conf $rules --db d.db --from-start --follow live.log &&
	partner_log | while IFS= read -r l; do printf "%s\n" "$l" >>live.log; done &&
	wait_committed d.db "$PWD/live.log" 30 &&
	daemon_term &&
	q="SELECT peer, threshold, count, first_event, why FROM flags ORDER BY 1, 2" &&
	dbq d.db "$q" >daemon.flags &&
	dbq t.db "$q" >scan.flags &&
	test_cmp scan.flags daemon.flags &&
	sums t.db >scan.sums &&
	sums d.db >daemon.sums &&
	test_cmp scan.sums daemon.sums
'

test_expect_success 'each success once: a second scan, and a stream with the text of a known file, add nothing' '
	sums t.db >before &&
	tlslogd scan -q -c /dev/null $rules --db t.db mail.log &&
	cat mail.log | tlslogd scan -q -c /dev/null $rules --db t.db - &&
	sums t.db >after &&
	test_cmp before after &&
	lines "0 01:00:00 ok10 198.51.100.9" | tlslogd scan -q -c /dev/null $rules --db t.db - &&
	test "$(dbq t.db "SELECT sum(tls10) FROM peer_days WHERE peer = '"'198.51.100.9'"'")" = 1
'

test_expect_success 'a failure held open at the end of a live file: its lines read again, their successes not counted again' '
	lines "0 02:00:00 ok12 192.0.2.20 a.example" >held.log &&
	lines "0 02:00:01 fail 192.0.2.22" | head -n 2 >>held.log &&
	lines "0 02:00:02 ok11 192.0.2.21 b.example" >>held.log &&
	tlslogd scan -q -c /dev/null $rules --db h.db held.log &&
	committed_offset=$(dbq h.db "SELECT \"offset\" FROM files") &&
	test "$committed_offset" -lt "$(wc -c <held.log)" &&
	lines "0 02:00:01 fail 192.0.2.22" | tail -n 3 >>held.log &&
	lines "0 02:00:03 ok12 192.0.2.20 a.example" >>held.log &&
	touch -d "1 hour ago" held.log &&
	tlslogd scan -q -c /dev/null $rules --db h.db held.log &&
	tlslogd scan -q -c /dev/null $rules --db once.db held.log &&
	sums once.db >expected &&
	sums h.db >actual &&
	test_cmp expected actual &&
	test "$(dbq h.db "SELECT sum(tls12) FROM peer_days WHERE peer = '"'192.0.2.20'"'")" = 2 &&
	test "$(dbq h.db "SELECT sum(tls11) FROM peer_days WHERE peer = '"'192.0.2.21'"'")" = 1
'

test_expect_success 'a scan beside the daemon on the same growing file counts nothing twice' '
	"$TLSLOGD_SRCDIR/contrib/bench/genlog" --lines 20000 --seed 3 --mta postfix,exim,sendmail >src.log &&
	: >grow.log &&
	daemon_run -c /dev/null $rules --db g.db --from-start --follow grow.log &&
	split -l 2000 src.log part. &&
	for p in part.*; do
		cat "$p" >>grow.log &&
		tlslogd scan -q -c /dev/null $rules --db g.db grow.log || exit 1
	done &&
	wait_committed g.db "$PWD/grow.log" 30 &&
	daemon_term &&
	tlslogd scan -q -c /dev/null $rules --db ref.db src.log &&
	sums ref.db >expected &&
	sums g.db >actual &&
	test_cmp expected actual &&
	test "$(dbq ref.db "SELECT count(*) FROM peer_days")" -gt 100
'

test_expect_success 'the census across rotated files: who still uses TLS older than 1.2' '
	lines "5 08:00:00 ok10 198.51.100.10 old.example" "5 09:00:00 ok10 198.51.100.10 old.example" \
	      "5 09:30:00 ok12 192.0.2.30 new.example" >r.log.2 &&
	gzip r.log.2 &&
	lines "3 08:00:00 ok11 198.51.100.11 mid.example" "3 08:00:00 clear 198.51.100.12 plain.example" >r.log.1 &&
	lines "1 07:00:00 ok12 192.0.2.30 new.example" "1 07:05:00 ok11 198.51.100.11 mid.example" >r.log &&
	tlslogd scan -q -c /dev/null $rules --db c.db r.log.2.gz r.log.1 r.log &&
	tlslogd peers -c /dev/null --db c.db --below 1.2 --format csv >census.csv &&
	python3 - <<-\PY
	import csv, datetime
	rows = {r["peer"]: r for r in csv.DictReader(open("census.csv", newline=""))}
	assert set(rows) == {"198.51.100.10", "198.51.100.11"}, rows
	assert rows["198.51.100.10"]["tls10"] == "2" and rows["198.51.100.11"]["tls11"] == "2", rows
	today = datetime.datetime.now(datetime.timezone.utc).date()
	day = lambda ago: (today - datetime.timedelta(days=ago)).isoformat()
	assert rows["198.51.100.11"]["last"].startswith(day(1)), rows["198.51.100.11"]
	assert rows["198.51.100.10"]["last"].startswith(day(5)), rows["198.51.100.10"]
	PY
	tlslogd peers -c /dev/null --db c.db --cleartext --format csv >clear.csv &&
	grep "^198.51.100.12," clear.csv &&
	test "$(wc -l <clear.csv)" = 2
'

test_expect_success 'scan on two threads counts what one thread counts' '
	"$TLSLOGD_SRCDIR/contrib/bench/genlog" --lines 60000 --seed 8 >big.log &&
	test "$(wc -c <big.log)" -gt 2000000 &&
	tlslogd scan -q -j 1 -c /dev/null $rules --db j1.db big.log &&
	tlslogd scan -q -j 2 -c /dev/null $rules --db j2.db big.log &&
	sums j1.db >j1 &&
	sums j2.db >j2 &&
	test_cmp j1 j2 &&
	test "$(wc -l <j1)" -gt 1000
'

test_expect_success 'retention deletes the peer days before its period; peer_history no counts nothing' '
	cp t.db old.db &&
	tlslogd purge -c /dev/null --db old.db --days 2 >out &&
	grep "days\{0,1\} of peer successes" out &&
	test "$(dbq old.db "SELECT count(*) FROM peer_days WHERE peer = '"'192.0.2.7'"'")" = 2 &&
	echo "peer_history no" >off.conf &&
	tlslogd scan -q -c off.conf $rules --db off.db mail.log &&
	test "$(dbq off.db "SELECT count(*) FROM peer_days")" = 0 &&
	test "$(dbq off.db "SELECT count(*) FROM flags WHERE threshold = '"'regression'"'")" = 0 &&
	printf "\n\npeer_history maybe\n" >bad.conf &&
	test_exit_code 2 tlslogd scan -q -c bad.conf $rules --db off.db mail.log 2>err &&
	grep "bad.conf:3: peer_history: expected yes or no" err
'

test_done
