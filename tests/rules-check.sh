#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# rules-check.sh: every example and nomatch line of every shipped rule holds
# (tlslogd test-rules --check), and a broken rules folder is refused with
# file:line messages before anything runs.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

test_expect_success 'every shipped rule matches its examples and none of its nomatch lines' '
	tlslogd test-rules -c /dev/null --check --patterns "$TLSLOGD_PATTERNS" >check.out &&
	cat check.out &&
	grep -q " 0 failures$" check.out
'

test_expect_success 'the shipped sets cover postfix, exim and sendmail' '
	for mta in postfix exim sendmail; do
		grep -q "^mta $mta\$" "$TLSLOGD_PATTERNS/$mta.rules" || exit 1
	done
'

test_expect_success 'a wrong expectation in an example is reported with its line' '
	mkdir bad && cp "$TLSLOGD_PATTERNS"/*.rules bad/ &&
	cat >>bad/postfix.rules <<-\EOF &&

	rule zz-test-wrong-expect
	  kind auth_failed
	  direction in
	  literal SASL PLAIN
	  pattern ^warning: [^\[]*\[(?<peer_ip>[^\]]+)\]: SASL PLAIN authentication failed
	  example Nov 22 06:40:07 mx1 postfix/smtpd[1]: warning: x[192.0.2.1]: SASL PLAIN authentication failed: x
	  expect peer_ip 192.0.2.99
	EOF
	line=$(grep -n "expect peer_ip 192.0.2.99" bad/postfix.rules | cut -d: -f1) &&
	test_exit_code 1 tlslogd test-rules -c /dev/null --check --patterns bad 2>err &&
	grep "postfix.rules:$((line - 1)): rule zz-test-wrong-expect: peer_ip is \"192.0.2.1\", expected \"192.0.2.99\"" err
'

test_expect_success 'a nomatch line that matches is reported' '
	mkdir bad2 && cp "$TLSLOGD_PATTERNS"/*.rules bad2/ &&
	cat >>bad2/sendmail.rules <<-\EOF &&

	rule zz-too-wide
	  kind auth_failed
	  direction in
	  pattern AUTH
	  example Nov 22 06:40:07 mx1 sm-mta[1]: AUTH failure (LOGIN): x, relay=[192.0.2.1]
	  nomatch Nov 22 06:40:07 mx1 sm-mta[1]: AUTH=server, relay=[192.0.2.1], authid=a, mech=LOGIN, bits=0
	EOF
	test_exit_code 1 tlslogd test-rules -c /dev/null --check --patterns bad2 2>err &&
	grep "rule zz-too-wide matches this nomatch line" err
'

test_expect_success 'a broken rules file is refused with every mistake as file:line' '
	mkdir broken && cp "$TLSLOGD_PATTERNS"/reasons.rules broken/ &&
	cat >broken/postfix.rules <<-\EOF &&
	mta postfix
	programs postfix/*
	rule one
	  kind no_such_kind
	  direction in
	  pattern ^x(
	  example Nov 22 06:40:07 mx1 postfix/smtpd[1]: x
	rule two
	  kind auth_failed
	  direction sideways
	  pattern ^(?<nosuchfield>x)
	  example Nov 22 06:40:07 mx1 postfix/smtpd[1]: x
	EOF
	test_exit_code 2 tlslogd scan -c /dev/null --patterns broken --db t.db /dev/null 2>err &&
	cat err &&
	grep "broken/postfix.rules:4: unknown kind \"no_such_kind\"" err &&
	grep "broken/postfix.rules:6: rule one: bad pattern at offset" err &&
	grep "broken/postfix.rules:10: direction: expected in or out" err &&
	grep "broken/postfix.rules:11: rule two: unknown field name \"nosuchfield\"" err &&
	test ! -e t.db
'

test_expect_success 'a rules folder without rules files is refused' '
	mkdir empty &&
	test_exit_code 2 tlslogd scan -c /dev/null --patterns empty --db t.db /dev/null 2>err &&
	grep "no \*.rules files" err
'

test_done
