#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# regress-actions.sh: the settings of regressions (issue 17) and their action
# hook. regression_days, regression_kinds and action_regression are read and
# checked with file:line; "regression" is a reserved flag name. A flag whose
# threshold is "regression" runs action_regression when it is set, else
# action_flag; its clearing runs action_clear. The flags are written into the
# record with sqlite3 as the flagger writes them (a flags row and its due
# flag_actions row), and the daemon's action runner runs them.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

test_expect_success 'bad regression settings and a "flag regression" line are refused with file:line' '
	printf "# regressions\nflag regression tls_* 3 1h\nregression_days 400\nregression_kinds tls_cert_* tls_nosuch\naction_regression page %%ip%%\nregression_days soon\n" >bad.conf &&
	test_exit_code 2 tlslogd flagged -c bad.conf --db a.db 2>err &&
	cat err &&
	grep "bad.conf:2: flag: the name \"regression\" is reserved" err &&
	grep "bad.conf:3: regression_days: expected days from 0 to 366" err &&
	grep "bad.conf:4: regression_kinds: unknown kind \"tls_nosuch\"" err &&
	grep "bad.conf:5: action_regression: the command must be an absolute file name" err &&
	grep "bad.conf:6: regression_days: expected" err &&
	test "$(grep -c "bad.conf:" err)" = 5
'

test_expect_success 'good regression settings pass run -n: days, none, kinds by blank, comma and prefix' '
	: >x.log &&
	printf "regression_days 14d\nregression_kinds tls_cert_*,tls_protocol_mismatch tls_required\naction_regression /bin/true %%ip%% %%why%%\n" >ok.conf &&
	tlslogd run -n -c ok.conf --patterns "$TLSLOGD_PATTERNS" --db a.db --follow "$PWD/x.log" &&
	printf "regression_days 0\nregression_kinds none\n" >off.conf &&
	tlslogd run -n -c off.conf --patterns "$TLSLOGD_PATTERNS" --db a.db --follow "$PWD/x.log" &&
	printf "regression_days none\n" >none.conf &&
	tlslogd run -n -c none.conf --patterns "$TLSLOGD_PATTERNS" --db a.db --follow "$PWD/x.log"
'

# record.sh WHICH: appends "WHICH ARGS..." to actions.out.
cat >record.sh <<EOF
#!/bin/sh
echo "\$*" >>"$test_scratch/actions.out"
EOF
chmod +x record.sh

# flags DB: a regression flag on 192.0.2.7 and a threshold flag on
# 198.51.100.9, both active, each with its flag action due now; and a
# regression flag on 192.0.2.8 cleared, its flag action done and its clear
# action due.
flags() {
	now=$(date +%s)
	: >empty.log &&
	tlslogd scan -q --patterns "$TLSLOGD_PATTERNS" --db "$1" empty.log &&
	sql "$1" "
	INSERT INTO flags (id, peer, peer_kind, threshold, first_event, last_event, count, flagged, why, main_kind, host)
	VALUES (1, '192.0.2.7', 'ip', 'regression', $now - 60, $now - 10, 4, $now - 60,
		'delivered over TLSv1.2 every day until 2026-12-01 09:14; fails since with tls_protocol_mismatch',
		'tls_protocol_mismatch', 'mx.partner.example'),
	(2, '198.51.100.9', 'ip', 'tls', $now - 300, $now - 20, 50, $now - 200,
		'50 events of tls_* in 1h', 'tls_no_shared_cipher', NULL);
	INSERT INTO flags (id, peer, peer_kind, threshold, first_event, last_event, count, flagged, why, main_kind, host, cleared)
	VALUES (3, '192.0.2.8', 'ip', 'regression', $now - 90000, $now - 86400, 1, $now - 90000,
		'delivered over TLSv1.3 every day until 2026-12-01 09:14; fails since with tls_cert_expired',
		'tls_cert_expired', NULL, $now - 5);
	INSERT INTO flag_actions (flag_id, event, due, next_try, done) VALUES
		(1, 'flagged', $now, $now, NULL), (2, 'flagged', $now, $now, NULL),
		(3, 'flagged', $now - 90000, $now - 90000, $now - 89990), (3, 'cleared', $now, $now, NULL);"
}

follow_test 'a regression flag runs action_regression, a threshold flag action_flag, its clear action_clear' '
	rm -f "$test_scratch/actions.out" &&
	flags d.db &&
	printf "action_flag %s flag %%threshold%% %%ip%%\naction_regression %s regression %%threshold%% %%ip%% %%host%% %%why%%\naction_clear %s clear %%threshold%% %%ip%%\n" \
		"$test_scratch/record.sh" "$test_scratch/record.sh" "$test_scratch/record.sh" >act.conf &&
	: >mail.log &&
	daemon_run -c act.conf --patterns "$TLSLOGD_PATTERNS" --db d.db --follow "$PWD/mail.log" &&
	wait_for "dbq d.db \"SELECT count(*) FROM flag_actions WHERE done IS NOT NULL\"" 4 20 &&
	daemon_term &&
	sort "$test_scratch/actions.out" >got &&
	cat >want <<-\EOF &&
	clear regression 192.0.2.8
	flag tls 198.51.100.9
	regression regression 192.0.2.7 mx.partner.example delivered over TLSv1.2 every day until 2026-12-01 09:14; fails since with tls_protocol_mismatch
	EOF
	test_cmp want got
'

follow_test 'without action_regression, a regression flag runs action_flag' '
	rm -f "$test_scratch/actions.out" &&
	flags d.db &&
	printf "action_flag %s flag %%threshold%% %%ip%%\n" "$test_scratch/record.sh" >act.conf &&
	: >mail.log &&
	daemon_run -c act.conf --patterns "$TLSLOGD_PATTERNS" --db d.db --follow "$PWD/mail.log" &&
	wait_for "dbq d.db \"SELECT count(*) FROM flag_actions WHERE done IS NOT NULL\"" 3 20 &&
	daemon_term &&
	sort "$test_scratch/actions.out" >got &&
	printf "flag regression 192.0.2.7\nflag tls 198.51.100.9\n" >want &&
	test_cmp want got &&
	test "$(dbq d.db "SELECT why FROM flag_actions WHERE event = '"'cleared'"'")" = "no action_clear is configured now"
'

follow_test 'with only action_regression, a regression flag runs it and a threshold flag is given up' '
	rm -f "$test_scratch/actions.out" &&
	flags d.db &&
	printf "action_regression %s regression %%ip%%\n" "$test_scratch/record.sh" >act.conf &&
	: >mail.log &&
	daemon_run -c act.conf --patterns "$TLSLOGD_PATTERNS" --db d.db --follow "$PWD/mail.log" &&
	wait_for "dbq d.db \"SELECT count(*) FROM flag_actions WHERE flag_id = 1 AND done IS NOT NULL\"" 1 20 &&
	wait_for "dbq d.db \"SELECT why FROM flag_actions WHERE flag_id = 2\"" "no action_flag (nor action_regression) is configured now" &&
	daemon_term &&
	test "$(cat "$test_scratch/actions.out")" = "regression 192.0.2.7"
'

test_done
