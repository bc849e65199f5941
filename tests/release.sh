#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# release.sh: what a release promises beyond the program: one version (the
# one of configure.ac's AC_INIT) printed by --version, written in the man
# pages and naming the tarball; man pages clean under mandoc -Tlint; the
# licence files; and every tracked source, header, script, test, SQL and
# rules file carrying its SPDX licence line, and the tarball holding every
# tracked file (only in a git checkout: a tarball, as in distcheck, has no
# list of tracked files).
. "$TLSLOGD_SRCDIR/tests/lib.sh"

src=$TLSLOGD_SRCDIR
build=$(dirname "$TLSLOGD")
version=$(sed -n 's/^AC_INIT(\[tlslogd\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")

test_expect_success 'configure.ac names one version' '
	echo "version: $version" &&
	test -n "$version"
'

test_expect_success 'tlslogd --version prints the version of configure.ac' '
	tlslogd --version >out &&
	test "$(cat out)" = "tlslogd $version"
'

test_expect_success 'every man page carries that version' '
	for page in doc/tlslogd.8 doc/tlslogd.conf.5 doc/tlslogd.rules.5; do
		grep "^\.TH .*\"tlslogd $version\"" "$build/$page" || { echo "$page: no version"; exit 1; }
	done
'

test_expect_success 'the tarball is named by that version' '
	grep "^PACKAGE = tlslogd$" "$build/Makefile" &&
	grep "^VERSION = $version$" "$build/Makefile" &&
	grep "^distdir = \$(PACKAGE)-\$(VERSION)$" "$build/Makefile"
'

test_expect_success 'COPYING is the BSD 2-Clause licence of the tlslogd authors; NEWS names the version' '
	grep "^BSD 2-Clause License$" "$src/COPYING" &&
	grep "^Copyright (c) [0-9]*, The tlslogd authors$" "$src/COPYING" &&
	grep "^tlslogd $version" "$src/NEWS"
'

if command -v mandoc >/dev/null 2>&1; then
	test_expect_success 'the man pages are clean under mandoc -Tlint' '
		for page in doc/tlslogd.8 doc/tlslogd.conf.5 doc/tlslogd.rules.5; do
			mandoc -Tlint "$build/$page" || exit 1
		done
	'
else
	test_skip 'the man pages are clean under mandoc -Tlint' 'mandoc is not installed'
fi

# Only a checkout whose top is the source tree (not a tarball unpacked inside one).
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(cd "$src" && pwd -P)" ]; then
	test_expect_success 'every tracked source, script, test, SQL and rules file has the SPDX line' '
		git -C "$src" ls-files >files &&
		test -s files &&
		while read -r f; do
			case $f in
			tests/corpus/*|tests/expected/*|tests/fuzz/corpus/*|tests/fuzz/regressions/*|contrib/samples/*)
				continue ;;
			*.c|*.h|*.sh|*.sql|*.rules|*.py|*.am|*.ac) ;;
			*) head -c 2 "$src/$f" | grep -q "^#!" || continue ;;
			esac
			head -n 3 "$src/$f" | grep -q "SPDX-License-Identifier: BSD-2-Clause" || echo "$f"
		done <files >missing &&
		cat missing &&
		test ! -s missing
	'
	# distcheck runs only part of the suite in the unpacked tarball
	# (DISTCHECK_TESTS in Makefile.am): that the tarball holds every file a
	# test or the build reads is checked here instead, file by file.
	test_expect_success 'the tarball holds every tracked file but the CI script and git'"'"'s own' '
		# Not the variables given to the make running this test (quickstart.sh
		# empties PG_ENGINE_TESTS under ASan): the tarball is the default one.
		MAKEFLAGS= MAKEOVERRIDES= make -s -C "$build" distdir distdir="$PWD/dist" >make.out 2>&1 ||
			{ cat make.out; exit 1; }
		git -C "$src" ls-files | sort >tracked &&
		(cd dist && find . -type f | sed "s|^\./||") | sort >shipped &&
		comm -23 tracked shipped >missing &&
		printf "%s\n" .ci/run .gitignore m4/.gitkeep >not-shipped &&
		test_cmp not-shipped missing
	'
else
	test_skip 'every tracked source, script, test, SQL and rules file has the SPDX line' \
		'not a git checkout'
	test_skip 'the tarball holds every tracked file but the CI script and git'"'"'s own' \
		'not a git checkout'
fi

test_done
