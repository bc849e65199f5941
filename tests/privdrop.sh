#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# privdrop.sh: started as root with "user" set, tlslogd run prepares the
# database folder for that user and becomes it for good (real, effective and
# saved ids, no supplementary groups but its own), then works as that user;
# its lock file (one daemon per database) is the user's, for the next start.
# Runs only as root (CI runs as root); skipped otherwise.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

if [ "$(id -u)" != 0 ]; then
	test_skip 'the daemon drops root to its user' 'not running as root'
	test_done
fi
user=nobody
uid=$(id -u $user 2>/dev/null) || { test_skip 'the daemon drops root to its user' 'no user nobody'; test_done; }
gid=$(id -g $user)

# The user must be able to read the log and reach the folders.
chmod 755 . &&
line='Nov 21 08:32:00 mx1 postfix/smtpd[23510]: warning: unknown[192.0.2.44]: SASL LOGIN authentication failed: UGFzc3dvcmQ6'

test_expect_success 'the daemon drops root to its user, for good, and still works' '
	: >mail.log && chmod 644 mail.log &&
	printf "user %s\ndatabase %s/state/t.db\nsource %s/mail.log\nstart beginning\n" "$user" "$PWD" "$PWD" >drop.conf || exit 1
	daemon_start drop.err -c drop.conf --patterns "$TLSLOGD_PATTERNS"
	pid=$daemon_pid
	n=0; while [ $n -lt 300 ] && [ ! -e state/t.db ]; do sleep 0.1; n=$((n + 1)); done
	printf "%s\n" "$line" >>mail.log
	n=0; while [ $n -lt 300 ] && [ "$(sql state/t.db "SELECT count(*) FROM events" 2>/dev/null)" != 1 ]; do sleep 0.1; n=$((n + 1)); done
	grep -E "^(Uid|Gid|Groups):" /proc/$pid/status >status
	# Readers need no root: a member of the group reads while the daemon runs; others cannot.
	if command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid=1 --regid="$gid" --clear-groups "$TLSLOGD" query -c /dev/null \
			--db state/t.db --peer 192.0.2.44 --format csv >reader.csv 2>reader.err
		echo "group reader: $?" >reader.status
		setpriv --reuid=1 --regid=1 --clear-groups "$TLSLOGD" query -c /dev/null \
			--db state/t.db --peer 192.0.2.44 --format csv >other.csv 2>other.err
		echo "other reader: $?" >>reader.status
	else
		printf "group reader: 0\nother reader: 1\n" >reader.status
		printf "time\n1\n" >reader.csv
		echo "Permission denied" >other.err
	fi
	kill $pid; wait $pid
	status_code=$?
	cat drop.err status
	test $status_code = 0 &&
	grep "running as user $user" drop.err &&
	printf "Uid:\t%s\t%s\t%s\t%s\nGid:\t%s\t%s\t%s\t%s\nGroups:\t%s \n" $uid $uid $uid $uid $gid $gid $gid $gid $gid >expected &&
	test_cmp expected status &&
	test "$(stat -c "%u %a" state)" = "$uid 750" &&
	test "$(stat -c "%u %a" state/t.db)" = "$uid 640" &&
	test "$(stat -c "%u %a" state/t.db.lock)" = "$uid 640" &&
	test "$(cat state/t.db.lock)" = "$pid" &&
	cat reader.status reader.err other.err &&
	printf "group reader: 0\nother reader: 1\n" | test_cmp - reader.status &&
	test "$(wc -l <reader.csv)" = 2 &&
	grep "Permission denied" other.err &&
	test "$(sql state/t.db "SELECT count(*) FROM events")" = 1
'

test_expect_success 'started again, the daemon takes the lock file its user made before' '
	daemon_start again.err -c drop.conf --patterns "$TLSLOGD_PATTERNS"
	pid=$daemon_pid
	n=0; while [ $n -lt 300 ] && ! grep -q "following 1 source" again.err; do sleep 0.1; n=$((n + 1)); done
	kill $pid; wait $pid
	status_code=$?
	cat again.err
	test $status_code = 0 &&
	grep "following 1 source" again.err &&
	test "$(stat -c %u state/t.db.lock)" = "$uid"
'

test_expect_success 'an unknown user is fatal, before anything is opened' '
	printf "user no-such-user-here\ndatabase %s/state2/t.db\nsource %s/mail.log\n" "$PWD" "$PWD" >bad.conf &&
	test_exit_code 1 "$TLSLOGD" run -d -c bad.conf --patterns "$TLSLOGD_PATTERNS" 2>err &&
	cat err &&
	grep "user no-such-user-here: no such user" err &&
	test ! -e state2
'

test_expect_success 'user root is refused: there is nothing to drop to' '
	printf "user root\ndatabase %s/state3/t.db\nsource %s/mail.log\n" "$PWD" "$PWD" >root.conf &&
	test_exit_code 1 "$TLSLOGD" run -d -c root.conf --patterns "$TLSLOGD_PATTERNS" 2>err &&
	grep "is root: nothing to drop to" err
'

test_done
