#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# torture.sh: tests/torture/torture.py, short (20 s of writing, 5 random
# SIGKILLs besides those of the rotations) in make check; long by hand:
#
#   TORTURE_SECONDS=600 TORTURE_KILLS=40 make check TESTS=tests/torture.sh
#
# A writer of uniquely identifiable failures at 1,500 a second, the real
# logrotate in every mode (create, copytruncate, compress, delaycompress,
# dateext, copytruncate+compress) with the daemon running, stopped and
# frozen, SIGKILLs at random moments and a scan beside the daemon every few
# seconds; then the daemon's events against the truth: nothing lost,
# duplicated or forged, and the database intact. The figures are printed as
# TAP comments. TORTURE_SEED repeats a run's schedule.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

title='torture: every logrotate mode x running, stopped, frozen, SIGKILLs, scans beside: nothing lost, doubled or forged'

have_logrotate() {
	for _l in "$LOGROTATE" "$(command -v logrotate 2>/dev/null)" /usr/sbin/logrotate /sbin/logrotate; do
		[ -n "$_l" ] && [ -x "$_l" ] && return 0
	done
	return 1
}

if ! command -v python3 >/dev/null 2>&1; then
	test_skip "$title" 'python3 is not installed'
elif ! have_logrotate; then
	test_skip "$title" 'logrotate is not installed (apt-get install logrotate): the test rotates with the real one'
else
	failed_before=$test_failed
	test_expect_success "$title" '
		python3 "$TLSLOGD_SRCDIR/tests/torture/torture.py" "$TLSLOGD" "$TLSLOGD_PATTERNS" \
			"$test_scratch/torture" >"$test_scratch/figures" 2>&1
		rc=$?
		cat "$test_scratch/figures"
		if [ $rc != 0 ] && [ -s "$test_scratch/torture/daemon.out" ]; then
			echo "--- the end of the daemon'\''s messages:"
			grep -v "flagged\|cleared" "$test_scratch/torture/daemon.out" | tail -n 20
		fi
		exit $rc
	'
	# A failure has shown them already.
	if [ "$test_failed" = "$failed_before" ]; then
		sed 's/^/# /' "$test_scratch/figures"
	fi
fi

test_done
