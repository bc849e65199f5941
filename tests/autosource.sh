#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# autosource.sh: with no "source" line, tlslogd run follows the mail logs the
# machine has (src/autosource.h), on fake roots given by the test-only
# TLSLOGD_AUTOSOURCE_ROOT; `run -n` prints them, and refuses with one line a
# source that does not exist or that the daemon's user cannot read; the
# daemon refuses an unreadable one at start (exit 2, which the unit does not
# restart) and follows a file it found.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

# found ROOT: `run -n` on a configuration without sources, the source lines it prints.
found() {
	printf 'database %s/x.db\n' "$test_scratch" >none.conf &&
	TLSLOGD_AUTOSOURCE_ROOT=$1 tlslogd run -n -c none.conf --patterns "$TLSLOGD_PATTERNS" >out 2>err &&
	cat out err >&2 &&
	grep -q '^no "source" line in the configuration; found on this machine:$' out &&
	sed -n 's|^  source ||p' out | sed "s|$1|ROOT|"
}

# Does this build read the journal? (The fallback when no mail log exists.)
mkdir -p "$test_scratch/probe"
printf 'database %s/probe/p.db\nsource journal directory %s/probe\n' "$test_scratch" "$test_scratch" \
	>"$test_scratch/probe/p.conf"
if "$TLSLOGD" run -n -c "$test_scratch/probe/p.conf" --patterns "$TLSLOGD_PATTERNS" >/dev/null 2>&1; then
	with_journal=yes
else
	with_journal=no
fi

test_expect_success 'Debian/Ubuntu: /var/log/mail.log, lines routed by program name' '
	mkdir -p deb/var/log && : >deb/var/log/mail.log && : >deb/var/log/mail.err &&
	found "$PWD/deb" >got && echo "ROOT/var/log/mail.log" >want && test_cmp want got
'

test_expect_success 'RHEL: /var/log/maillog' '
	mkdir -p rhel/var/log && : >rhel/var/log/maillog &&
	found "$PWD/rhel" >got && echo "ROOT/var/log/maillog" >want && test_cmp want got
'

test_expect_success 'Debian exim4 and cPanel: the Exim main logs, as mta exim, beside mail.log' '
	mkdir -p exim/var/log/exim4 && : >exim/var/log/exim4/mainlog && : >exim/var/log/exim_mainlog &&
	: >exim/var/log/mail.log &&
	found "$PWD/exim" >got &&
	printf "%s\n" "ROOT/var/log/mail.log" "ROOT/var/log/exim4/mainlog mta exim" \
		"ROOT/var/log/exim_mainlog mta exim" >want &&
	test_cmp want got
'

test_expect_success 'a folder named like a mail log is not a mail log' '
	mkdir -p dir/var/log/mail.log dir/var/log/exim4 && : >dir/var/log/exim4/mainlog &&
	found "$PWD/dir" >got && echo "ROOT/var/log/exim4/mainlog mta exim" >want && test_cmp want got
'

test_expect_success "Dovecot's log_path: the last top-level one wins, local.conf last" '
	mkdir -p dc/var/log dc/etc/dovecot/conf.d && : >dc/var/log/mail.log &&
	: >dc/var/log/dovecot.log && : >dc/var/log/old-dovecot.log &&
	printf "!include conf.d/*.conf\n#log_path = /var/log/commented.log\n" >dc/etc/dovecot/dovecot.conf &&
	printf "log_path = /var/log/old-dovecot.log\nservice imap {\n  log_path = /var/log/nested.log\n}\n" \
		>dc/etc/dovecot/conf.d/10-logging.conf &&
	printf "log_path = \"/var/log/dovecot.log\"\n" >dc/etc/dovecot/local.conf &&
	found "$PWD/dc" >got &&
	printf "%s\n" "ROOT/var/log/mail.log" "ROOT/var/log/dovecot.log mta dovecot" >want &&
	test_cmp want got
'

test_expect_success "Dovecot logging to syslog or /dev/stderr adds nothing" '
	mkdir -p ds/var/log ds/etc/dovecot/conf.d && : >ds/var/log/mail.log &&
	printf "log_path = syslog\n" >ds/etc/dovecot/conf.d/10-logging.conf &&
	printf "log_path = /dev/stderr\n" >ds/etc/dovecot/local.conf &&
	found "$PWD/ds" >got && echo "ROOT/var/log/mail.log" >want && test_cmp want got
'

if [ "$with_journal" = yes ]; then
	test_expect_success 'no mail log file (Debian 12 without rsyslog): the systemd journal' '
		mkdir -p bare/var/log/journal &&
		found "$PWD/bare" >got && echo "journal" >want && test_cmp want got
	'
	test_expect_success "only Dovecot's own log: it, and the journal for the MTA" '
		mkdir -p dj/var/log dj/etc/dovecot && : >dj/var/log/dovecot.log &&
		printf "log_path=/var/log/dovecot.log\n" >dj/etc/dovecot/dovecot.conf &&
		found "$PWD/dj" >got &&
		printf "%s\n" "ROOT/var/log/dovecot.log mta dovecot" "journal" >want && test_cmp want got
	'
else
	test_expect_success 'no mail log file, no journal in this build: refused, saying what to add' '
		mkdir -p bare/var/log &&
		printf "database %s/x.db\n" "$test_scratch" >none.conf &&
		test_exit_code 2 env TLSLOGD_AUTOSOURCE_ROOT="$PWD/bare" \
			"$TLSLOGD" run -n -c none.conf --patterns "$TLSLOGD_PATTERNS" >out 2>err &&
		cat err && test ! -s out &&
		grep "no mail log found .* cannot read the systemd journal: add a \"source FILE\" line" err
	'
fi

test_expect_success 'run -n: a configured source that does not exist fails with one line' '
	printf "database %s/x.db\nsource %s/nope.log\n" "$test_scratch" "$test_scratch" >missing.conf &&
	test_exit_code 2 tlslogd run -n -c missing.conf --patterns "$TLSLOGD_PATTERNS" >out 2>err &&
	cat out err &&
	test ! -s out &&
	echo "tlslogd: missing.conf:2: source $test_scratch/nope.log: does not exist" >want &&
	test_cmp want err
'

test_expect_success 'run -n: a configured source that is there is listed' '
	: >there.log &&
	printf "database %s/x.db\nsource %s/there.log mta exim\n" "$test_scratch" "$test_scratch" >there.conf &&
	test_exit_code 0 tlslogd run -n -c there.conf --patterns "$TLSLOGD_PATTERNS" >out 2>err &&
	cat out err &&
	grep "^there.conf: configuration OK: 1 source," out &&
	grep "^sources:$" out &&
	grep "^  source $test_scratch/there.log mta exim$" out
'

# Unreadable: as root, by the configured user (the check drops to it, as the
# daemon will); otherwise, by the user running the test.
if [ "$(id -u)" = 0 ]; then
	id nobody >/dev/null 2>&1 || { test_skip 'unreadable sources' 'no user nobody'; test_done; }
	chmod 755 "$test_scratch"
	as_user="user nobody"
	who="user nobody"
else
	as_user=
	who="user $(id -un)"
fi

test_expect_success 'run -n: a source the daemon user cannot read fails with one line' '
	: >secret.log && chmod 600 secret.log && : >open.log && chmod 644 open.log &&
	printf "database %s/x.db\n%s\nsource %s/open.log\nsource %s/secret.log\n" \
		"$test_scratch" "$as_user" "$test_scratch" "$test_scratch" >secret.conf &&
	if [ -z "$as_user" ]; then chmod 000 secret.log; fi &&
	test_exit_code 2 tlslogd run -n -c secret.conf --patterns "$TLSLOGD_PATTERNS" >out 2>err &&
	cat out err &&
	test ! -s out &&
	echo "tlslogd: secret.conf:4: source $test_scratch/secret.log: cannot be read by $who: Permission denied" >want &&
	test_cmp want err
'

test_expect_success 'the daemon refuses an unreadable source at start with exit 2 (not restarted)' '
	test_exit_code 2 tlslogd run -d -c secret.conf --patterns "$TLSLOGD_PATTERNS" 2>err &&
	cat err &&
	grep "secret.conf:4: source $test_scratch/secret.log: cannot be read by" err &&
	! grep "following" err
'

follow_test 'the daemon follows the mail log it found, from its end' '
	mkdir -p live/var/log &&
	auth_line 1 >live/var/log/mail.log &&
	printf "database %s/live.db\n" "$PWD" >live.conf &&
	daemon_wrap="env TLSLOGD_AUTOSOURCE_ROOT=$PWD/live" &&
	daemon_run -c live.conf --patterns "$TLSLOGD_PATTERNS" &&
	daemon_wrap= &&
	grep "following 1 source" daemon.err &&
	auth_line 2 >>live/var/log/mail.log &&
	wait_events live.db 1 &&
	test "$(dbq live.db "SELECT user FROM events")" = u2
'

test_done
