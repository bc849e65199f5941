#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# deb.sh: the Debian package, end to end, on this machine: built from a copy
# of the tree with dpkg-buildpackage, lintian-clean (no error, no warning),
# installed with dpkg -i (user tlslogd in adm, units enabled, configuration
# in /etc), its binary following a mail log with the installed configuration
# as the user the unit runs it as, removed (database kept) and purged
# (nothing left: the machine as before).
#
# It installs a package, so it runs only when asked (TLSLOGD_DEB_TEST=1, as
# .ci/run does), as root, with dpkg-buildpackage and debhelper, and never
# when a tlslogd package is already installed. It takes a few minutes.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

why=
if [ "${TLSLOGD_DEB_TEST:-0}" != 1 ]; then why='not asked for (TLSLOGD_DEB_TEST=1)'
elif [ "$(id -u)" != 0 ]; then why='not running as root'
elif ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	why='dpkg-buildpackage or debhelper missing (apt-get install dpkg-dev debhelper)'
elif dpkg-query -W -f '${Status}' tlslogd 2>/dev/null | grep -q installed; then
	why='a tlslogd package is installed on this machine'
fi
if [ -n "$why" ]; then
	test_skip 'the Debian package' "$why"
	test_done
fi

chmod 755 "$test_scratch"
# What the package may touch, to compare after the purge.
snapshot() {
	getent passwd tlslogd
	getent group tlslogd
	getent group adm
	ls -d /etc/tlslogd /var/lib/tlslogd /usr/sbin/tlslogd 2>/dev/null
	find /etc/systemd /lib/systemd/system /usr/lib/sysusers.d /usr/lib/tmpfiles.d \
		/var/lib/systemd/deb-systemd-helper-enabled -name '*tlslogd*' 2>/dev/null
}
snapshot | sort >before

test_expect_success 'dpkg-buildpackage -us -uc -b builds tlslogd_*.deb' '
	mkdir src &&
	(cd "$TLSLOGD_SRCDIR" && tar --exclude="./_build*" --exclude=./.git --exclude=./debian/tlslogd \
		--exclude=./debian/.debhelper -cf - .) | (cd src && tar -xf -) &&
	(cd src && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >build.log 2>&1 ||
		{ tail -40 build.log; false; }
	ls tlslogd_*.deb && ls tlslogd_*.deb >deb
'

if command -v lintian >/dev/null; then
	test_expect_success 'lintian: no error, no warning' '
		lintian --fail-on error,warning tlslogd_*.changes >lintian.out 2>&1 ||
			{ cat lintian.out; false; }
		cat lintian.out
	'
else
	test_skip 'lintian' 'lintian is not installed'
fi

test_expect_success 'dpkg -i: user tlslogd in adm, configuration, units enabled, database folder' '
	dpkg -i "$(cat deb)" >install.log 2>&1 || { cat install.log; false; }
	id -nG tlslogd | tr " " "\n" | grep -x adm &&
	test -f /etc/tlslogd/tlslogd.conf &&
	dpkg-query -W -f "\${Conffiles}\n" tlslogd | grep " /etc/tlslogd/tlslogd.conf " &&
	test -L /etc/systemd/system/multi-user.target.wants/tlslogd.service &&
	test -L /etc/systemd/system/timers.target.wants/tlslogd-summary.timer &&
	test "$(stat -c %U:%a /var/lib/tlslogd)" = tlslogd:750 &&
	grep -x "ExecStart=/usr/sbin/tlslogd run -c /etc/tlslogd/tlslogd.conf" \
		/lib/systemd/system/tlslogd.service
'

follow_test 'the installed binary, as user tlslogd, follows a mail log of group adm' '
	mkdir -p root/var/log && chmod -R 755 root &&
	auth_line 1 >root/var/log/mail.log && chown root:adm root/var/log/mail.log &&
	chmod 640 root/var/log/mail.log &&
	setpriv --reuid tlslogd --regid tlslogd --init-groups env TLSLOGD_AUTOSOURCE_ROOT="$PWD/root" /usr/sbin/tlslogd run -n \
		-c /etc/tlslogd/tlslogd.conf >check.out 2>&1 || { cat check.out; false; }
	cat check.out &&
	grep "^  source $PWD/root/var/log/mail.log$" check.out &&
	TLSLOGD=/usr/sbin/tlslogd &&
	daemon_wrap="setpriv --reuid tlslogd --regid tlslogd --init-groups env TLSLOGD_AUTOSOURCE_ROOT=$PWD/root" &&
	daemon_run -c /etc/tlslogd/tlslogd.conf &&
	daemon_wrap= &&
	auth_line 2 >>root/var/log/mail.log &&
	wait_events /var/lib/tlslogd/tlslogd.db 1 &&
	test "$(dbq /var/lib/tlslogd/tlslogd.db "SELECT user FROM events")" = u2 &&
	daemon_term
'

test_expect_success 'dpkg -r keeps the database; dpkg -P leaves the machine as it was' '
	dpkg -r tlslogd >remove.log 2>&1 || { cat remove.log; false; }
	test -f /var/lib/tlslogd/tlslogd.db &&
	test ! -e /usr/sbin/tlslogd &&
	dpkg -P tlslogd >purge.log 2>&1 || { cat purge.log; false; }
	snapshot | sort >after &&
	test_cmp before after
'

# Whatever failed above, the machine gets its state back.
dpkg -P tlslogd >/dev/null 2>&1
test_done
