#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# follow-dbfail.sh: tlslogd run when the database stops taking writes: the
# disk is full (a small tmpfs, when we may mount one), the database is made
# read-only (chattr +i), or the files may not
# grow (RLIMIT_FSIZE, for any user). Ingestion stops with "the database ...
# failed", is retried every 5 s, and resumes when writes work again without
# losing or repeating a line.
#
# chmod cannot stand in for these: the daemon's database is already open,
# and root ignores permissions anyway.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

# unmount DIR: after the daemon is gone (it may take a moment to close its files).
unmount() {
	_i=0
	while ! umount "$1" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -ge 50 ]; then
			umount -l "$1"
			return
		fi
		sleep 0.1
	done
}

can_mount=
if [ "$(id -u)" = 0 ] && mkdir mnt-probe && mount -t tmpfs -o size=1m tmpfs mnt-probe 2>/dev/null; then
	umount mnt-probe && can_mount=yes
fi
rmdir mnt-probe 2>/dev/null

if [ -n "$can_mount" ]; then
	follow_test 'a full disk stops ingestion; freeing space resumes it without loss or repeat' '
		: >mail.log &&
		mkdir fs &&
		mount -t tmpfs -o size=2m tmpfs fs || exit 1
		follow_on_exit="unmount \"$PWD/fs\""
		run_follow fs/t.db "$PWD/mail.log" --from-start &&
		fails 1 5 >>mail.log &&
		wait_events fs/t.db 5 &&
		{ dd if=/dev/zero of=fs/filler bs=4k 2>/dev/null; true; } &&
		df -k fs &&
		fails 6 3005 >>mail.log &&
		wait_log "the database .*t.db failed: ingestion stopped, positions kept at the last commit" &&
		sleep 1 &&
		daemon_alive &&
		stored=$(count fs/t.db) &&
		echo "stored while the disk was full: $stored" &&
		test "$stored" -lt 3005 &&
		# Still full at the first retry, with more lines coming.
		fails 3006 3100 >>mail.log &&
		sleep 5.5 &&
		daemon_alive &&
		test "$(count fs/t.db)" -lt 3100 &&
		rm fs/filler &&
		wait_log "the database .*t.db takes writes again: ingestion resumed" 15 &&
		wait_events fs/t.db 3100 20 &&
		fails 3101 3110 >>mail.log &&
		wait_events fs/t.db 3110 &&
		test_exit_code 0 daemon_term &&
		check_events fs/t.db
	'
else
	test_skip 'a full disk stops ingestion; freeing space resumes it without loss or repeat' \
		'needs root and mount -t tmpfs'
fi

# The database made read-only under the running daemon: chattr +i (root, and
# a file system with the immutable attribute: ext4, xfs, btrfs) fails every
# write to the open files with EPERM, as a file system remounted read-only would.
can_chattr=
if [ "$(id -u)" = 0 ] && command -v chattr >/dev/null 2>&1 && : >chattr-probe &&
	chattr +i chattr-probe 2>/dev/null; then
	chattr -i chattr-probe && can_chattr=yes
fi
rm -f chattr-probe

if [ -n "$can_chattr" ]; then
	follow_test 'the database made read-only, then writable again: no loss, no repeat' '
		: >mail.log &&
		mkdir db || exit 1
		follow_on_exit="chattr -i \"$PWD/db\" \"$PWD\"/db/* 2>/dev/null"
		run_follow db/t.db "$PWD/mail.log" --from-start &&
		fails 1 5 >>mail.log &&
		wait_events db/t.db 5 &&
		chattr +i db db/* &&
		fails 6 500 >>mail.log &&
		wait_log "the database .*t.db failed: ingestion stopped, positions kept at the last commit" &&
		sleep 1 &&
		daemon_alive &&
		test "$(count db/t.db)" = 5 &&
		chattr -i db db/* &&
		wait_log "the database .*t.db takes writes again: ingestion resumed" 15 &&
		wait_events db/t.db 500 20 &&
		fails 501 510 >>mail.log &&
		wait_events db/t.db 510 &&
		test_exit_code 0 daemon_term &&
		check_events db/t.db
	'
else
	test_skip 'the database made read-only, then writable again: no loss, no repeat' \
		'needs root, chattr and a file system with the immutable attribute'
fi

if command -v prlimit >/dev/null 2>&1; then
	follow_test 'files that may not grow (RLIMIT_FSIZE) stop ingestion; lifting the limit resumes it' '
		printf "#!/bin/sh\ntrap \"\" XFSZ\nexec \"\$@\"\n" >noxfsz &&
		chmod +x noxfsz &&
		daemon_wrap=$PWD/noxfsz &&
		: >mail.log &&
		run_follow t.db "$PWD/mail.log" --from-start &&
		fails 1 5 >>mail.log &&
		wait_events t.db 5 &&
		big=$(wc -c <t.db) &&
		wal=$(wc -c <t.db-wal) &&
		[ "$wal" -gt "$big" ] && big=$wal
		limit=$((big + 16384)) &&
		prlimit --pid $dpid --fsize=$limit: &&
		fails 6 3005 >>mail.log &&
		wait_log "the database .*t.db failed: ingestion stopped" &&
		daemon_alive &&
		stored=$(count t.db) &&
		echo "stored under the limit: $stored" &&
		test "$stored" -lt 3005 &&
		kill -USR1 $dpid &&
		wait_log "the database is failing: waiting to retry" &&
		prlimit --pid $dpid --fsize=unlimited: &&
		wait_log "the database .*t.db takes writes again: ingestion resumed" 15 &&
		wait_events t.db 3005 20 &&
		fails 3006 3010 >>mail.log &&
		wait_events t.db 3010 &&
		test_exit_code 0 daemon_term &&
		check_events t.db
	'
else
	test_skip 'files that may not grow (RLIMIT_FSIZE) stop ingestion; lifting the limit resumes it' \
		'needs prlimit (util-linux)'
fi

test_done
