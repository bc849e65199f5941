#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# unit-exposure.sh: the shipped systemd unit keeps its sandbox: systemd-analyze
# security rates it 0.3 or better, and it never asks for a supplementary group
# together with PrivateUsers= (that group would map to nobody: no log could be
# read). Skipped where systemd-analyze has no --offline (before systemd 250).
. "$TLSLOGD_SRCDIR/tests/lib.sh"

unit="$TLSLOGD_SRCDIR/contrib/tlslogd.service"
if ! systemd-analyze security --offline=yes "$unit" >analyze.out 2>&1; then
	test_skip 'the unit is rated 0.3 or better' 'no systemd-analyze security --offline'
	test_done
fi

test_expect_success 'the unit is rated 0.3 or better by systemd-analyze security' '
	cat analyze.out | grep -v "✓" &&
	level=$(sed -n "s/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p" analyze.out) &&
	echo "exposure $level" &&
	awk -v l="$level" "BEGIN { exit !(l != \"\" && l <= 0.3) }"
'

test_expect_success 'PrivateUsers= and the group that reads the logs go together' '
	grep -q "^PrivateUsers=yes" "$unit" &&
	! grep -q "^SupplementaryGroups=" "$unit" &&
	grep -q "^Group=adm" "$unit"
'

test_done
