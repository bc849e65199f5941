#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# privdrop-race.sh: started as root, tlslogd run gives the database folder it
# creates to its user through a descriptor of what mkdir made, never by path:
# a folder swapped for a symbolic link (to a file of root's) or for someone
# else's folder between the mkdir and the hand-over is refused, and the file
# the link names keeps its owner. The swap is made deterministic by an
# LD_PRELOAD library (tests/shim/mkdir_race.c) that does it right after mkdir.
# Runs only as root with a C compiler; skipped otherwise.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

if [ "$(id -u)" != 0 ]; then
	test_skip 'a swapped database folder is refused' 'not running as root'
	test_done
fi
uid=$(id -u nobody 2>/dev/null) || { test_skip 'a swapped database folder is refused' 'no user nobody'; test_done; }
if ! ${CC:-cc} -shared -fPIC -o race.so "$TLSLOGD_SRCDIR/tests/shim/mkdir_race.c" 2>cc.err; then
	cat cc.err | sed 's/^/# /'
	test_skip 'a swapped database folder is refused' 'cannot build the LD_PRELOAD library'
	test_done
fi
# A sanitizer runtime wants to be loaded first; the library has no instrumented code.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS
chmod 755 . && : >mail.log && chmod 644 mail.log || exit 99

# run_raced MODE DIR: tlslogd run as root, user nobody, database in DIR, with
# the swap; a daemon that takes the swapped folder would run on: a time limit
# (not a wait: the refusal is immediate) ends it.
run_raced() {
	printf "user nobody\ndatabase %s/%s/t.db\nsource %s/mail.log\n" "$PWD" "$2" "$PWD" >"$2.conf" &&
	env LD_PRELOAD="$PWD/race.so" RACE_DIR="$PWD/$2" RACE_MODE="$1" RACE_TARGET="$PWD/victim" \
		RACE_UID="$uid" timeout 60 "$TLSLOGD" run -d -c "$2.conf" --patterns "$TLSLOGD_PATTERNS" 2>"$2.err"
}

test_expect_success 'the shim swaps the folder (the race is really played)' '
	: >victim && chmod 600 victim &&
	test_exit_code 1 run_raced link state1
	cat state1.err
	test -L state1 && test -d state1.made
'

test_expect_success 'a folder swapped for a symbolic link is refused; its target keeps root as owner' '
	: >victim && chmod 600 victim &&
	test_exit_code 1 run_raced link state2 &&
	cat state2.err &&
	grep "state2, just created, cannot be opened as a folder (replaced?): refusing it" state2.err &&
	test "$(stat -c "%u %g %a" victim)" = "0 0 600" &&
	test ! -e state2.made/t.db
'

test_expect_success 'a folder swapped for someone else'"'"'s is refused' '
	test_exit_code 1 run_raced dir state3 &&
	cat state3.err &&
	grep "state3 is not the folder just created (replaced?): refusing it" state3.err &&
	test "$(stat -c %u state3)" = "$uid" &&
	test ! -e state3/t.db
'

test_done
