#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install.sh: `make install DESTDIR=...` into a scratch folder: the program,
# the configuration where the program looks for it (kept when edited), the
# systemd units where configure put them with the installed paths, the
# sysusers.d and tmpfiles.d snippets, the bash completion and the man pages;
# the installed tlslogd checks the installed configuration; `make uninstall`
# leaves only an edited configuration.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

builddir=$(cd "$(dirname "$TLSLOGD")" && pwd)
D=$test_scratch/dest
# A make of its own, not the jobserver of the make check that runs this.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$builddir" "$@"
}
var() {
	sed -n "s|^$1 = ||p" "$builddir/Makefile"
}
unitdir=$(var systemdsystemunitdir)
sysusersdir=$(var sysusersdir)
tmpfilesdir=$(var tmpfilesdir)
bashcompdir=$(var bashcompletiondir)
# Paths as the installed program knows them.
conf_path() { "$D$sbin/tlslogd" --help | sed -n "s|^$1: *||p"; }

test_expect_success 'make install DESTDIR=...: the program and its configuration where it looks' '
	mk install DESTDIR="$D" >install.out 2>&1 || { cat install.out; false; }
	bin=$(cd "$D" && find . -path "*bin/tlslogd" -type f | sed "s|^\.||") &&
	echo "$bin" && test -n "$bin" &&
	sbin=$(dirname "$bin") && echo "sbin=$sbin" >paths &&
	conf=$(conf_path Configuration) && db=$(conf_path Database) && rules=$(conf_path Rules) &&
	echo "conf=$conf db=$db rules=$rules" >>paths && cat paths &&
	test -f "$D$conf" && test -d "$D$rules" && test -f "$D$rules/postfix.rules" &&
	test -d "$D$(dirname "$db")" &&
	cmp "$D$conf" "$builddir/gen/tlslogd.conf"
'
. ./paths 2>/dev/null

test_expect_success 'the systemd units, with the installed paths, where systemd says' '
	test -n "$unitdir" && test "$unitdir" != no &&
	for u in tlslogd.service tlslogd-summary.service tlslogd-summary.timer; do
		test -f "$D$unitdir/$u" || { echo "missing $unitdir/$u"; exit 1; }
	done &&
	grep -x "ExecStart=$sbin/tlslogd run -c $conf" "$D$unitdir/tlslogd.service" &&
	grep -x "ExecStart=$sbin/tlslogd summary --mail --skip-empty -c $conf" \
		"$D$unitdir/tlslogd-summary.service" &&
	grep -x "ReadWritePaths=$(dirname "$db")" "$D$unitdir/tlslogd.service" &&
	grep -x "RestartPreventExitStatus=2" "$D$unitdir/tlslogd.service" &&
	# Where systemd says, unless configure was told a folder under the prefix (distcheck).
	case $unitdir in
	"$(var prefix)"/*) ;;
	*)	if command -v pkg-config >/dev/null && pkg-config --exists systemd; then
			test "$unitdir" = "$(pkg-config --variable=systemdsystemunitdir systemd)"
		fi ;;
	esac
'

test_expect_success 'sysusers.d: user tlslogd in group adm; tmpfiles.d: the database folder' '
	grep -x "u tlslogd - \"tlslogd mail log watcher\" $(dirname "$db") /usr/sbin/nologin" \
		"$D$sysusersdir/tlslogd.conf" &&
	grep -x "m tlslogd adm" "$D$sysusersdir/tlslogd.conf" &&
	grep -x "d $(dirname "$db") 0750 tlslogd adm -" "$D$tmpfilesdir/tlslogd.conf"
'

test_expect_success 'the man pages, with the installed paths' '
	man=$(cd "$D" && find . -name tlslogd.8 | sed "s|^\.||") && test -n "$man" &&
	mandir=$(dirname "$(dirname "$man")") &&
	test -f "$D$mandir/man5/tlslogd.conf.5" && test -f "$D$mandir/man5/tlslogd.rules.5" &&
	! grep -l "@[a-z]*dir@" "$D$man" "$D$mandir/man5/tlslogd.conf.5" &&
	grep -F "$conf" "$D$man"
'

if command -v bash >/dev/null; then
	test_expect_success 'the bash completion: commands, options, option values' '
		test -f "$D$bashcompdir/tlslogd" &&
		cat >comp.bash <<-EOF &&
		complete() { :; }
		. "$D$bashcompdir/tlslogd"
		try() { COMP_WORDS=("\$@"); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); _tlslogd; echo "\${COMPREPLY[*]}"; }
		try tlslogd qu
		try tlslogd top --b
		try tlslogd top --by ""
		try tlslogd run --fo
		try tlslogd query --format ""
		EOF
		bash comp.bash >got &&
		printf "%s\n" "query" "--by" "peer kind server domain user" "--foreground --follow" \
			"table json csv" >want &&
		test_cmp want got
	'
fi

test_expect_success 'the shipped actions are installed, executable, where the installed configuration names them' '
	actions=$(dirname "$rules")/actions &&
	for a in tlslogd-nft tlslogd-fail2ban tlslogd-log; do
		test -x "$D$actions/$a" || { echo "missing: $D$actions/$a"; exit 1; }
	done &&
	test -f "$(dirname "$D$rules")/examples/tlslogd-nftables.conf" &&
	grep "^#action_flag $actions/tlslogd-nft " "$D$conf"
'

test_expect_success 'the installed tlslogd checks the installed configuration: what it would follow' '
	mkdir -p root/var/log && : >root/var/log/mail.log &&
	test_exit_code 0 env TLSLOGD_AUTOSOURCE_ROOT="$PWD/root" "$D$sbin/tlslogd" run -n \
		-c "$D$conf" --patterns "$D$rules" >out 2>err &&
	cat out err &&
	grep "^$D$conf: configuration OK: 1 source, [0-9]* rules for [0-9]* MTAs, database $db$" out &&
	grep "^  source $PWD/root/var/log/mail.log$" out
'

test_expect_success 'make install again keeps an edited configuration; uninstall keeps only it' '
	echo "# edited" >>"$D$conf" && cp "$D$conf" edited &&
	mk install DESTDIR="$D" >install.out 2>&1 && cat install.out &&
	grep "tlslogd.conf exists: kept" install.out &&
	test_cmp edited "$D$conf" &&
	mk uninstall DESTDIR="$D" >/dev/null 2>&1 &&
	(cd "$D" && find . -type f) >left &&
	echo ".$conf" >want && test_cmp want left
'

test_expect_success 'make uninstall removes an unedited configuration' '
	mk install DESTDIR="$test_scratch/d2" >/dev/null 2>&1 &&
	test -f "$test_scratch/d2$conf" &&
	mk uninstall DESTDIR="$test_scratch/d2" >/dev/null 2>&1 &&
	test -z "$(cd "$test_scratch/d2" && find . -type f)"
'

test_done
