#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# test-rules-report.sh: test-rules reports in short, like fail2ban-regex: lines
# read, matches by kind and rule, the lines about TLS or AUTH that no rule took
# grouped by shape (a count and one example each), lines without a header
# shown; one line per match only with --details (issue 14, family 11).
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="-c /dev/null --patterns $TLSLOGD_PATTERNS"

# Real lines of the Sendmail 8.17.1 capture (../corpus/real), three unmatched
# read errors of one shape with different numbers, and a line without a header.
cat >in.log <<-\LOG
	Nov 22 09:46:08 mx sendmail[25364]: 6AM9k8RZ025364: AUTH failure (PLAIN): authentication failure (-13) SASL(-13): authentication failure: Password verification failed, user=alice, relay=[127.0.0.18]
	Nov 22 09:46:08 mx sendmail[25364]: 6AM9k8RZ025364: AUTH failure (PLAIN): authentication failure (-13) SASL(-13): authentication failure: Password verification failed, user=alice, relay=[127.0.0.18]
	Nov 22 09:46:13 mx sendmail[25469]: STARTTLS: read error=generic SSL error (-1), errno=9, get_error=error:00000000:lib(0)::reason(0), retry=99, ssl_err=1
	Nov 22 09:46:14 mx sendmail[25486]: STARTTLS: read error=generic SSL error (-1), errno=104, get_error=error:00000000:lib(0)::reason(0), retry=98, ssl_err=1
	Nov 22 09:46:15 mx sendmail[25487]: STARTTLS: read error=generic SSL error (-1), errno=32, get_error=error:00000000:lib(0)::reason(0), retry=97, ssl_err=1
	Nov 22 09:46:08 mx sendmail[25364]: STARTTLS=server, relay=[127.0.0.18], version=TLSv1.3, verify=NO, cipher=TLS_AES_256_GCM_SHA384, bits=256/256
	this is no log line, it mentions STARTTLS
LOG

test_expect_success 'the default report is short: counts, kinds and rules, shapes with one example' '
	tlslogd test-rules $rules in.log >out &&
	cat out &&
	grep "^7 lines read$" out &&
	grep -E "^ +2  auth_failed +sendmail-auth-failure$" out &&
	grep -E "^ +3  STARTTLS: read error=generic SSL error \(-#\), errno=#" out &&
	test "$(grep -c "e.g. .*STARTTLS: read error" out)" = 1 &&
	! grep "^line " out &&
	! grep "user " out
'

test_expect_success 'a line without a header is counted and shown, never dropped silently' '
	grep "^without a header" out &&
	grep "^  line 7: this is no log line" out &&
	tail -n 1 out | grep ", 4 mention TLS/AUTH but matched none, 1 without a header$"
'

test_expect_success '--details prints each matched line with its rule and fields' '
	tlslogd test-rules $rules --details in.log >details &&
	test "$(grep -c "^line [12]: " details)" = 2 &&
	grep -E "^    user +alice$" details &&
	grep "^7 lines read$" details
'

test_expect_success 'a successful session is no candidate: neither matched nor missed' '
	! grep "verify=NO" out
'

test_done
