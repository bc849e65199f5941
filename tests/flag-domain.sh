#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# flag-domain.sh: which failures flag a domain (tlslogd.conf(5),
# flag_domain_kinds). A provider's fleet with scattered transient hiccups
# (five Google servers, one lost connection or timeout each) is no domain
# flag; a partner whose two MX hosts both present an expired certificate is,
# by `tlslogd scan` and by the daemon following the log alike; the setting
# widens, narrows or turns off the rule, and a bad kind in it is refused.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"

# fleet_lines, partner_lines: real Postfix 3.7 lines (the formats of
# tests/corpus/real), ISO times in UTC within the last 20 minutes.
fd_now=$(date +%s)
fleet_lines() {
	python3 - "$fd_now" <<-\PY
	import sys, time
	now = int(sys.argv[1])
	for i in range(5):
	    t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 1200 + 60 * i))
	    host, ip = "mail-wm1-f%d.google.com" % (50 + i), "2a00:1450:4864:20::13%d" % i
	    why = "Connection timed out" if i == 2 else "lost connection"
	    print("%s mx postfix/smtpd[%d]: SSL_accept error from %s[%s]: %s" % (t, 2000 + i, host, ip, why))
	    print("%s mx postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (t, 2000 + i, host, ip))
	PY
}
partner_lines() {
	python3 - "$fd_now" <<-\PY
	import sys, time
	now = int(sys.argv[1])
	n = 0
	for rnd in range(3):
	    for mx, ip in (("mx1.partner.example", "198.51.100.10"), ("mx2.partner.example", "198.51.100.11")):
	        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 900 + 120 * n))
	        qid, pid = "4C0FFEE%03X" % n, 3000 + n
	        print("%s mx postfix/smtp[%d]: server certificate verification failed for %s[%s]:25: certificate has expired" % (t, pid, mx, ip))
	        print("%s mx postfix/smtp[%d]: %s: to=<bob@partner.example>, relay=%s[%s]:25, delay=0.2, delays=0/0/0.1/0, dsn=4.7.5, status=deferred (Server certificate not verified)" % (t, pid, qid, mx, ip))
	        n += 1
	PY
}

domain_flags() {
	sql "$1" "SELECT peer, threshold, count, main_kind FROM flags WHERE peer_kind = 'domain' ORDER BY peer"
}

test_expect_success 'scan: scattered hiccups on five Google servers flag nothing' '
	fleet_lines >fleet.log &&
	tlslogd scan -q -c /dev/null $rules --db fleet.db fleet.log &&
	test "$(sql fleet.db "SELECT count(*) FROM events WHERE peer_domain = '"'.google.com'"'")" = 5 &&
	test "$(sql fleet.db "SELECT DISTINCT kind FROM events ORDER BY kind" | paste -sd, -)" = "tls_lost_connection,tls_timeout" &&
	test "$(sql fleet.db "SELECT count(*) FROM flags")" = 0
'

test_expect_success 'scan: two MX hosts of a partner with an expired certificate flag its domain' '
	partner_lines >partner.log &&
	tlslogd scan -q -c /dev/null $rules --db partner.db partner.log &&
	test "$(sql partner.db "SELECT count(*) FROM events WHERE kind = '"'tls_cert_expired'"'")" = 6 &&
	test "$(domain_flags partner.db)" = ".partner.example|tls|6|tls_cert_expired" &&
	test "$(sql partner.db "SELECT peer FROM flags WHERE peer_kind = '"'ip'"' ORDER BY peer" | paste -sd, -)" = \
		"198.51.100.10,198.51.100.11" &&
	tlslogd flagged -c /dev/null --db partner.db >out &&
	grep "\.partner\.example" out &&
	! grep "google" out
'

follow_test 'the daemon, both logs together: the partner is flagged, Google is not' '
	: >mail.log &&
	run_follow d.db "$PWD/mail.log" &&
	fleet_lines >>mail.log &&
	partner_lines >>mail.log &&
	wait_events d.db 11 &&
	wait_for "dbq d.db \"SELECT peer FROM flags WHERE peer_kind = '"'domain'"' ORDER BY peer\" | paste -sd, -" .partner.example &&
	wait_log "flagged .partner.example" &&
	daemon_term &&
	test "$(dbq d.db "SELECT count(*) FROM flags WHERE peer LIKE '"'%google%'"'")" = 0 &&
	! grep "flagged .google.com" daemon.err
'

test_expect_success 'flag_domain_kinds tls_*: the same fleet then flags .google.com' '
	echo "flag_domain_kinds tls_*" >all.conf &&
	tlslogd scan -q -c all.conf $rules --db fleet-all.db fleet.log &&
	test "$(domain_flags fleet-all.db)" = ".google.com|tls|5|tls_lost_connection"
'

test_expect_success 'flag_domain_kinds none: no domain is flagged, the addresses still are' '
	echo "flag_domain_kinds none" >none.conf &&
	tlslogd scan -q -c none.conf $rules --db partner-none.db partner.log &&
	test -z "$(domain_flags partner-none.db)" &&
	test "$(sql partner-none.db "SELECT count(*) FROM flags WHERE peer_kind = '"'ip'"'")" = 2
'

test_expect_success 'flag_domain_kinds: an unknown kind is refused with the line' '
	printf "# x\nflag_domain_kinds tls_cert_*,tls_nosuch\n" >bad.conf &&
	test_exit_code 1 tlslogd scan -q -c bad.conf $rules --db bad.db /dev/null 2>err ;
	cat err &&
	grep "bad.conf:2: flag_domain_kinds: unknown kind \"tls_nosuch\"" err
'

test_done
