#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# quickstart.sh: from a fresh Debian 12 / Ubuntu checkout to a working tlslogd.
#
#   ./quickstart.sh [LOGFILE...]   install what the build needs (apt-get, through
#                                  sudo when not root), build, scan the sample logs
#                                  in contrib/samples (or the files given) into
#                                  ./tlslogd.db and show what was found
#   ./quickstart.sh check          the same set-up, then the whole test suite, plain
#                                  and with ASan/UBSan, 20 s of each fuzz target,
#                                  and `make distcheck-short` (Makefile.am); ends
#                                  with "N passed, N failed"
#
# Both work after the README's in-tree `./configure && make` too: the demo
# then builds in the source tree; check, which needs two builds out of tree
# (_build/, _build-asan/), first runs `make distclean` there, and says so.
set -eu

top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

mode=demo
if [ "${1:-}" = check ]; then
	mode=check
	shift
fi

# Debian package names of everything the build and the tests use.
# libsystemd-dev: the journal source (optional for the build, used when found).
# libmicrohttpd-dev: the /metrics endpoint (optional for the build, used when found).
# libpq-dev: the PostgreSQL store (optional for the build, used when found).
deps="build-essential autoconf automake libtool pkg-config libpcre2-dev libsqlite3-dev
libev-dev zlib1g-dev libpsl-dev libsystemd-dev libmicrohttpd-dev libpq-dev sqlite3 python3"
# What only some tests use: installed where the distribution has it; the tests
# that need a missing one say so and are skipped (or, for the fuzzers, not run).
optional=
if [ "$mode" = check ]; then
	# systemd-journal-remote writes the journal files the journal tests read.
	optional="$optional systemd-journal-remote"
	# clang and its runtime build the libFuzzer targets of tests/fuzz
	# (libclang-rt-dev is Debian 12's name; Ubuntu 22.04 has none).
	optional="$optional clang libclang-rt-dev"
	# mandoc checks the man pages (tests/release.sh).
	optional="$optional mandoc"
	# The real logrotate rotates the torture test's logs (tests/torture.sh);
	# xz makes a rotated file tlslogd cannot read (tests/follow-restart.sh);
	# bash-completion says where the completion is installed (tests/install.sh).
	optional="$optional logrotate xz-utils bash-completion"
	# promtool checks the metrics and the alert rules (tests/metrics.sh).
	optional="$optional prometheus"
	# PostgreSQL's server (Debian 12: version 15) runs the private cluster of
	# the PostgreSQL tests (tests/pg-lib.sh).
	optional="$optional postgresql"
	# A headless Chromium renders the summary's HTML part (tests/summary.sh).
	optional="$optional chromium"
	# The Debian package test (tests/deb.sh) runs in CI only: see below.
	if [ "${CI:-}" = true ] || [ "${TLSLOGD_DEB_TEST:-}" = 1 ]; then
		optional="$optional dpkg-dev debhelper lintian adduser"
	fi
	# The summary's delivery test runs a private Exim. Installing Exim replaces
	# an installed MTA, so it is only installed where there is none.
	if [ ! -e /usr/sbin/sendmail ] && [ ! -e /usr/lib/sendmail ]; then
		optional="$optional exim4-daemon-light"
	fi
fi

# not_installed PKG...: those of PKG that dpkg does not have.
not_installed() {
	for pkg in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
			printf ' %s' "$pkg"
		fi
	done
}

install_deps() {
	# shellcheck disable=SC2086
	missing=$(not_installed $deps)
	# shellcheck disable=SC2086
	missing_optional=$(not_installed $optional)
	[ -z "$missing$missing_optional" ] && return 0
	if ! command -v apt-get >/dev/null 2>&1; then
		if [ -n "$missing" ]; then
			echo "quickstart: missing packages:$missing (no apt-get here: install them by hand)" >&2
			exit 1
		fi
		echo "quickstart: not installed:$missing_optional (some tests will be skipped)" >&2
		return 0
	fi
	sudo=
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq
	if [ -n "$missing" ]; then
		echo "quickstart: installing$missing"
		# shellcheck disable=SC2086
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			$missing >/dev/null
	fi
	for pkg in $missing_optional; do
		echo "quickstart: installing $pkg"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"$pkg" >/dev/null 2>&1 ||
			echo "quickstart: $pkg cannot be installed here: the tests that need it are skipped"
	done
}

jobs=$(nproc 2>/dev/null || echo 2)

# build DIR [CONFIGURE-ARGS...]: an out-of-tree build in DIR.
build() {
	dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs")
}

# count_results DIR...: add up the automake test logs (.trs) of each build.
count_results() {
	find "$@" -name '*.trs' -exec cat {} + 2>/dev/null | awk '
		/^:test-result: (PASS|XFAIL)/ { pass++ }
		/^:test-result: (FAIL|XPASS|ERROR)/ { fail++ }
		/^:test-result: SKIP/ { skip++ }
		END { printf "%d passed, %d failed, %d skipped\n", pass, fail, skip }'
}

# An in-tree ./configure leaves config.status here; automake then refuses to
# configure any build out of tree ("source directory already configured").
in_tree=
[ -f config.status ] && in_tree=yes

install_deps
if [ -n "$in_tree" ] && [ "$mode" = check ]; then
	echo "quickstart: the source tree is configured in place (./configure); the checks build"
	echo "quickstart: out of tree, in _build/ and _build-asan/, so this runs make distclean"
	opts=$(./config.status --config)
	echo "quickstart: there first (its configure options were: ${opts:-none})"
	make -s distclean >/dev/null
	in_tree=
fi
# A configured tree remakes its own configure and Makefiles when they are stale.
if [ -z "$in_tree" ]; then
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi

if [ "$mode" = demo ]; then
	if [ -n "$in_tree" ]; then
		echo "quickstart: the source tree is configured in place (./configure): building there,"
		echo "quickstart: not in _build/"
		make -s -j"$jobs"
		bin=./tlslogd
	else
		build _build
		bin=./_build/tlslogd
	fi
	if [ $# -eq 0 ]; then
		set -- contrib/samples/*.log
	fi
	echo
	echo "\$ tlslogd scan --db tlslogd.db $*"
	$bin scan -c /dev/null --patterns patterns --db tlslogd.db "$@"
	peer=$(sqlite3 tlslogd.db "SELECT coalesce(peer_ip, peer_host) FROM events
		WHERE coalesce(peer_ip, peer_host) IS NOT NULL
		GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
	if [ -n "$peer" ]; then
		echo
		echo "\$ tlslogd query --db tlslogd.db --peer $peer"
		$bin query -c /dev/null --db tlslogd.db --peer "$peer"
	fi
	echo
	echo "The events are in ./tlslogd.db; try: $bin query --db tlslogd.db --peer HOST|IP"
	exit 0
fi

status=0
rm -rf _build/tests _build-asan/tests
build _build
(cd _build && make -s -j"$jobs" check) || status=1
build _build-asan --enable-sanitizers
# Under ASan without the second run on PostgreSQL of the daemon tests
# (PG_ENGINE_TESTS, Makefile.am): the pg-*.sh tests take that code through it.
(cd _build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	make -s -j"$jobs" check PG_ENGINE_TESTS=) || status=1
# The fuzz targets (tests/fuzz), 20 s each, where clang can build them; each
# counts as one test (tests/fuzz/build/TARGET.trs).
if sh tests/fuzz/run.sh --check-cc clang >/dev/null 2>&1; then
	(cd _build && make -s fuzz && make -s fuzz-run FUZZ_SECONDS=20) || status=1
else
	echo "quickstart: clang cannot build libFuzzer targets: the fuzz targets are skipped"
fi
(cd _build && make -s distcheck-short >distcheck.log 2>&1) || { status=1; tail -n 40 _build/distcheck.log; }
# The Debian package (tests/deb.sh: build, lintian, dpkg -i, follow, remove,
# purge) installs a package on this machine: only in CI (CI=true) or when asked
# (TLSLOGD_DEB_TEST=1), as root with the packaging tools.
if { [ "${CI:-}" = true ] || [ "${TLSLOGD_DEB_TEST:-}" = 1 ]; } && [ "$(id -u)" -eq 0 ] &&
	command -v dpkg-buildpackage >/dev/null 2>&1; then
	(cd _build && make -s check TESTS=tests/deb.sh TLSLOGD_DEB_TEST=1) || status=1
fi
for f in $(find _build _build-asan -name test-suite.log -path '*/_build*/test-suite.log' 2>/dev/null); do
	if grep -q '^# FAIL: *[1-9]' "$f" || grep -q '^# ERROR: *[1-9]' "$f"; then
		cat "$f"
	fi
done
[ "$status" -eq 0 ] && echo "distcheck: the tarball builds and passes its tests"
count_results _build _build-asan
exit "$status"
