#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# quickstart.sh after the README's in-tree build: a copy of the tracked tree,
# configured in place, then ./quickstart.sh, which must build there (not fail
# with "source directory already configured") and scan the samples. Skipped
# outside a git checkout (the copy is of the tracked files) and where a
# package quickstart.sh needs is missing (it would call apt-get).
. "$TLSLOGD_SRCDIR/tests/lib.sh"

src=$TLSLOGD_SRCDIR
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null)
missing=
if command -v dpkg-query >/dev/null 2>&1; then
	for pkg in build-essential autoconf automake libtool pkg-config libpcre2-dev libsqlite3-dev \
	    libev-dev zlib1g-dev libpsl-dev libsystemd-dev sqlite3 python3; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $pkg"
	done
else
	missing=" dpkg-query"
fi

if [ -z "$top" ] || [ "$(cd "$top" && pwd -P)" != "$(cd "$src" && pwd -P)" ]; then
	test_skip 'quickstart.sh in a tree configured in place builds there' 'not a git checkout'
elif [ -n "$missing" ]; then
	test_skip 'quickstart.sh in a tree configured in place builds there' "not installed:$missing"
else
	test_expect_success 'quickstart.sh in a tree configured in place builds there' '
		mkdir tree &&
		git -C "$src" ls-files >files &&
		(cd "$src" && tar -cf - -T "$test_scratch/files") | (cd tree && tar -xf -) &&
		cp "$src/quickstart.sh" tree/ &&
		(cd tree && autoreconf -fi >/dev/null 2>&1 && ./configure -q) &&
		(cd tree && ./quickstart.sh) >out 2>err ||
			{ cat out err; exit 1; }
		grep "configured in place (./configure): building there" out &&
		! grep "already configured" err &&
		test -x tree/tlslogd &&
		test ! -e tree/_build/tlslogd &&
		grep "^[1-9][0-9]* new events stored in tlslogd.db" out &&
		test -s tree/tlslogd.db
	'
fi

test_done
