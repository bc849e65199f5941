#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# local-rules.sh: a local rules folder (tlslogd.rules(5), "LOCAL RULES") adds
# rules to a shipped set, replaces a shipped rule by its id in its place,
# disables one, and puts its reason entries first; mistakes are reported as
# file:line, and a local folder that was named but is missing is an error.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

cat >mail.log <<\EOF
Nov 21 07:22:00 mx1 postfix/submission/smtpd[7890]: warning: unknown[192.0.2.44]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
Nov 21 07:23:00 mx1 postfix/smtpd[7891]: SSL_accept error from unknown[192.0.2.45]: -1
Nov 21 07:23:00 mx1 postfix/smtpd[7891]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:
Nov 21 07:23:00 mx1 postfix/smtpd[7891]: lost connection after STARTTLS from unknown[192.0.2.45]
Nov 21 07:24:00 mx1 postfix/smtpd[7892]: NOQUEUE: reject: RCPT from unknown[192.0.2.46]: 554 5.7.1 Service unavailable; Client host [192.0.2.46] blocked using zen.example.org; proto=ESMTP helo=<x>
EOF
touch -d 2026-11-21T12:00:00Z mail.log || exit 99
mkdir local || exit 99

scan() {
	rm -f t.db t.db-wal t.db-shm
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --local-rules local --db t.db mail.log
}
kinds() {
	sql t.db "SELECT kind || ' ' || peer_ip FROM events ORDER BY offset" | tr "\n" ";"
}

test_expect_success 'without local rules: the shipped result' '
	scan && test "$(kinds)" = "auth_failed 192.0.2.44;tls_no_shared_cipher 192.0.2.45;"
'

test_expect_success 'a local file adds a rule to a shipped set' '
	cat >local/site.rules <<-\EOF &&
	mta postfix
	rule site-rbl-reject
	  programs smtpd
	  kind tls_required
	  direction in
	  literal blocked using
	  pattern ^NOQUEUE: reject: RCPT from [^\[]*\[(?<peer_ip>[^\]]+)\]: 554 .* blocked using
	  example Nov 21 07:24:00 mx1 postfix/smtpd[7892]: NOQUEUE: reject: RCPT from unknown[192.0.2.46]: 554 5.7.1 Service unavailable; Client host [192.0.2.46] blocked using zen.example.org; proto=ESMTP helo=<x>
	  expect peer_ip 192.0.2.46
	EOF
	scan && test "$(kinds)" = "auth_failed 192.0.2.44;tls_no_shared_cipher 192.0.2.45;tls_required 192.0.2.46;"
'

test_expect_success 'a local rule with a shipped id replaces it, in its place' '
	cat >local/override.rules <<-\EOF &&
	mta postfix
	rule postfix-sasl-auth-failed
	  programs smtpd
	  kind auth_aborted
	  direction in
	  literal authentication failed:
	  pattern ^warning: [^\[]*\[(?<peer_ip>[^\]]+)\]: SASL (?<mech>\S+) authentication failed
	  example Nov 21 07:22:00 mx1 postfix/submission/smtpd[7890]: warning: unknown[192.0.2.44]: SASL LOGIN authentication failed: x
	  expect kind auth_aborted
	EOF
	scan && test "$(kinds)" = "auth_aborted 192.0.2.44;tls_no_shared_cipher 192.0.2.45;tls_required 192.0.2.46;" &&
	tlslogd test-rules -c /dev/null --patterns "$TLSLOGD_PATTERNS" --local-rules local --check >check &&
	grep " 0 failures$" check
'

test_expect_success 'a local reason entry comes before the shipped table' '
	printf "reason tls_weak_crypto no shared cipher\n" >local/reasons-local.rules &&
	scan && test "$(kinds)" = "auth_aborted 192.0.2.44;tls_weak_crypto 192.0.2.45;tls_required 192.0.2.46;"
'

test_expect_success '"disabled yes" removes a shipped rule' '
	rm local/override.rules local/reasons-local.rules &&
	printf "mta postfix\nrule postfix-sasl-auth-failed\n  disabled yes\n" >local/off.rules &&
	scan && test "$(kinds)" = "tls_no_shared_cipher 192.0.2.45;tls_required 192.0.2.46;"
'

test_expect_success 'the same id twice in the local folder is an error with both places' '
	cp local/site.rules local/site2.rules &&
	test_exit_code 2 tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --local-rules local --db x.db mail.log 2>err &&
	cat err &&
	grep "local/site2.rules:2: duplicate rule id \"site-rbl-reject\" (first at local/site.rules:2)" err &&
	test ! -e x.db &&
	rm local/site2.rules
'

test_expect_success 'a named local folder that is missing is an error; the default one may be missing' '
	test_exit_code 2 tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --local-rules nowhere --db x.db mail.log 2>err &&
	grep "cannot read local rules folder nowhere" err &&
	printf "local_rules %s\n" "$test_scratch/local" >with-local.conf &&
	rm -f t.db && tlslogd scan -q -c with-local.conf --patterns "$TLSLOGD_PATTERNS" --db t.db mail.log &&
	test "$(kinds)" = "tls_no_shared_cipher 192.0.2.45;tls_required 192.0.2.46;"
'

test_done
