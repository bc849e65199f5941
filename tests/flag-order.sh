#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# flag-order.sh: a flag window is a window of event time, whatever order the
# events are read in (issue 13, item 10): rotated files given newest first,
# a zcat of them newest first on standard input, lines shuffled inside a
# window, an older period read after a newer flag; and `tlslogd scan` reads
# the files of one rotated set oldest first.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

rules="--patterns $TLSLOGD_PATTERNS"

# lines SPEC...: one Postfix AUTH failure per SPEC "MINUTES_AGO,IP", ISO
# headers in UTC relative to one "now" taken when this file starts.
flag_now=$(date +%s)
lines() {
	python3 - "$flag_now" "$@" <<-\PY
	import sys, time
	now = int(sys.argv.pop(1))
	for i, spec in enumerate(sys.argv[1:]):
	    ago, ip = spec.split(",")
	    t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(float(ago) * 60)))
	    print("%s mx1 postfix/smtpd[%d]: warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % (t, 1000 + i, ip))
	PY
}

# The flags as history: everything but ids.
flags() {
	sql "$1" "SELECT peer, threshold, first_event, last_event, count, flagged, CASE WHEN cleared IS NULL THEN 1 ELSE 0 END FROM flags ORDER BY peer, threshold, first_event"
}

# A peer guessing across a rotation: 3 failures at the end of mail.log.1, 2 at the start of mail.log.
lines 4000,192.0.2.99 40,192.0.2.7 9,192.0.2.7 8,192.0.2.7 7,192.0.2.7 >mail.log.1
lines 6,192.0.2.7 5,192.0.2.7 1,192.0.2.98 >mail.log

test_expect_success 'scan mail.log mail.log.1 (the glob'"'"'s order) flags the peer as the time order does' '
	tlslogd scan -q -c /dev/null $rules --db in-order.db mail.log.1 mail.log &&
	test "$(sql in-order.db "SELECT peer, count, CASE WHEN cleared IS NULL THEN 1 ELSE 0 END FROM flags")" = "192.0.2.7|5|1" &&
	tlslogd scan -q -c /dev/null $rules --db glob.db mail.log mail.log.1 &&
	flags in-order.db >expected && flags glob.db >actual &&
	test_cmp expected actual
'

test_expect_success 'the rotated files on standard input, newest first (zcat order), give the same flags' '
	cat mail.log mail.log.1 | tlslogd scan -q -c /dev/null $rules --db stdin.db - &&
	test "$(sql stdin.db "SELECT count(*) FROM events")" = 8 &&
	flags stdin.db >actual &&
	test_cmp expected actual
'

test_expect_success 'the README sample run flags its brute-forcer 203.0.113.77, in either order of the files' '
	tlslogd scan -q -c /dev/null $rules --db readme.db "$samples/exim-mainlog.log" "$samples/mixed.log" &&
	sql readme.db "SELECT peer, count FROM flags WHERE threshold = '"'guessing'"'" >got &&
	cat got &&
	test "$(cat got)" = "203.0.113.77|6" &&
	tlslogd scan -q -c /dev/null $rules --db readme2.db "$samples/mixed.log" "$samples/exim-mainlog.log" &&
	flags readme.db >expected2 && flags readme2.db >actual2 &&
	test_cmp expected2 actual2
'

test_expect_success 'events shuffled inside a window count: five in 4 minutes behind an older one' '
	lines 9,192.0.2.50 8,192.0.2.50 7,192.0.2.50 6,192.0.2.50 30,192.0.2.50 5,192.0.2.50 >shuffled.log &&
	tlslogd scan -q -c /dev/null $rules --db shuffled.db shuffled.log &&
	test "$(sql shuffled.db "SELECT peer, count, last_event - first_event, CASE WHEN flagged = last_event THEN 1 ELSE 0 END FROM flags")" = "192.0.2.50|5|240|1"
'

test_expect_success 'a late event before a flag'"'"'s crossing moves its start and crossing back' '
	lines 5,192.0.2.51 4,192.0.2.51 3,192.0.2.51 2,192.0.2.51 1,192.0.2.51 9,192.0.2.51 >late.log &&
	tlslogd scan -q -c /dev/null $rules --db late.db late.log &&
	lines 9,192.0.2.51 5,192.0.2.51 4,192.0.2.51 3,192.0.2.51 2,192.0.2.51 1,192.0.2.51 >timed.log &&
	tlslogd scan -q -c /dev/null $rules --db timed.db timed.log &&
	flags timed.db >expected3 && flags late.db >actual3 &&
	test_cmp expected3 actual3 &&
	test "$(sql late.db "SELECT count, (flagged - first_event) / 60 FROM flags")" = "6|7"
'

test_expect_success 'an older period read after a newer flag is a flag of its own, cleared, not part of the newer one' '
	lines 5,192.0.2.60 4,192.0.2.60 3,192.0.2.60 2,192.0.2.60 1,192.0.2.60 >new.log &&
	lines 4324,192.0.2.60 4323,192.0.2.60 4322,192.0.2.60 4321,192.0.2.60 4320,192.0.2.60 >old.log &&
	tlslogd scan -q -c /dev/null $rules --db newfirst.db new.log &&
	tlslogd scan -q -c /dev/null $rules --db newfirst.db old.log &&
	cat old.log new.log >both.log &&
	tlslogd scan -q -c /dev/null $rules --db oldfirst.db both.log &&
	flags oldfirst.db >expected4 && flags newfirst.db >actual4 &&
	test_cmp expected4 actual4 &&
	test "$(sql newfirst.db "SELECT count, CASE WHEN cleared IS NULL THEN 1 ELSE 0 END FROM flags ORDER BY first_event" | tr "\n" " ")" = "5|0 5|1 " &&
	# Read yet again in another order, nothing changes (the events are known).
	tlslogd scan -q -c /dev/null $rules --db newfirst.db new.log old.log &&
	flags newfirst.db >actual5 && test_cmp expected4 actual5
'

test_expect_success 'scan reads each rotated set oldest first, in the places its files were named' '
	mkdir rot && cd rot &&
	lines 30,192.0.2.70 >mail.log.2 && lines 20,192.0.2.70 >mail.log.1 && lines 10,192.0.2.70 >mail.log &&
	lines 25,192.0.2.71 >other.log &&
	lines 50,192.0.2.72 >maillog-20261130 && lines 40,192.0.2.72 >maillog-20261201 && lines 35,192.0.2.72 >maillog &&
	tlslogd scan -q -c /dev/null $rules --db r.db other.log mail.log mail.log.1 maillog maillog-20261201 mail.log.2 maillog-20261130 &&
	sql r.db "SELECT path FROM files ORDER BY id" | sed "s|.*/||" >order &&
	printf "other.log\nmail.log.2\nmail.log.1\nmaillog-20261130\nmaillog-20261201\nmail.log\nmaillog\n" >want &&
	test_cmp want order
'

test_done
