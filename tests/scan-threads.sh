#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# scan-threads.sh: `tlslogd scan --jobs N` matches files of 1 MiB and more on
# N threads (src/matchpool.c). The database it writes must be the one a
# single thread writes, byte for byte in every table a reader sees: the same
# events in the same order (ids included), the same peers and flags, the same
# file positions, the same summary. Checked on generated logs of several MB
# (many blocks) at 2% and 20% failures, with ISO headers, with cut
# lines, on a file still being written (held failures), on a resumed scan,
# and when the database fails in the middle.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

genlog="$TLSLOGD_SRCDIR/contrib/bench/genlog"
mkdir no-local-rules || exit 99

scan() {
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --local-rules no-local-rules "$@"
}

# dump DB: what a reader of DB sees, in insertion order (the file records'
# paths differ between copies, so they are left out).
dump() {
	sql "$1" "SELECT * FROM events ORDER BY id" &&
	sql "$1" "SELECT id, peer, peer_kind, threshold, first_event, last_event, count, flagged, why, main_kind, host, cleared IS NULL FROM flags ORDER BY id" &&
	sql "$1" "SELECT fingerprint, fingerprint_len, offset FROM files ORDER BY id"
}

# summary OUT: the scan's summary without its timing and database name.
summary() {
	sed -e 's/ in [0-9.]* s.*//' -e 's/ stored in [^ ]*/ stored/' "$1"
}

# same_as_one NAME ARGS...: NAME.log scanned with -j 1 and with -j 2, 3 and 4
# (each into a fresh database): equal dumps and summaries.
same_as_one() {
	name=$1
	shift
	rm -f "$name".j*.db* &&
	scan -j 1 "$@" --db "$name.j1.db" "$name.log" >"$name.j1.out" &&
	dump "$name.j1.db" >"$name.j1.dump" &&
	test "$(sql "$name.j1.db" "SELECT count(*) FROM events")" -gt 10 &&
	for j in 2 3 4; do
		scan -j $j "$@" --db "$name.j$j.db" "$name.log" >"$name.j$j.out" &&
		dump "$name.j$j.db" >"$name.j$j.dump" &&
		test_cmp "$name.j1.dump" "$name.j$j.dump" &&
		summary "$name.j1.out" >"$name.want" &&
		summary "$name.j$j.out" >"$name.got" &&
		test_cmp "$name.want" "$name.got" || return 1
	done
}

# gen NAME LINES ARGS...: a log dated long ago (not being written).
gen() {
	name=$1
	lines=$2
	shift 2
	python3 "$genlog" --lines "$lines" --seed 11 "$@" >"$name.log" &&
	touch -d 2025-12-31T00:00:00Z "$name.log"
}

test_expect_success 'generated logs of several MB' '
	gen r2 40000 --rate 0.02 &&
	gen r20 40000 --rate 0.2 &&
	gen iso 30000 --rate 0.1 --iso &&
	test "$(wc -c <r2.log)" -gt 4000000
'

test_expect_success '2% failures: the same database with 2, 3 and 4 threads as with one' '
	same_as_one r2
'

test_expect_success '20% failures: the same database with 2, 3 and 4 threads as with one' '
	same_as_one r20
'

test_expect_success 'ISO headers: the same database with threads as with one' '
	same_as_one iso
'

test_expect_success 'Exim alone through --mta and --server: the same with threads' '
	python3 "$genlog" --lines 30000 --seed 4 --rate 0.2 --mta exim >exim.log &&
	touch -d 2025-12-31T00:00:00Z exim.log &&
	same_as_one exim --mta exim --server mx9
'

# with_long_lines OUT LEN N...: r20.log with a line of LEN bytes after its
# lines number N..., dated long ago; the last line of OUT has no newline
# when LEN is given as -LEN.
with_long_lines() {
	python3 - "$@" <<-\PY &&
	import sys
	out, n, after = sys.argv[1], int(sys.argv[2]), {int(a) for a in sys.argv[3:]}
	with open("r20.log") as f, open(out, "w") as o:
	    for i, line in enumerate(f):
	        o.write(line)
	        if i in after:
	            o.write("Nov 21 10:00:00 mx1 postfix/smtpd[9]: " + "x" * abs(n) + "\n")
	    if n < 0:
	        o.write("Nov 21 10:00:00 mx1 postfix/smtpd[9]: no newline at the end")
	PY
	touch -d 2025-12-31T00:00:00Z "$1"
}

test_expect_success 'cut lines between failures: the same with threads, and counted' '
	with_long_lines cut.log 300000 17 5017 10017 15017 20017 25017 30017 35017 &&
	same_as_one cut --max-line 4096 &&
	grep "^8 lines longer than the limit cut" cut.j4.out
'

test_expect_success 'lines longer than a block (2.5 MB), and a last line without its newline: the same' '
	with_long_lines long.log -2500000 3000 3001 17000 29000 &&
	same_as_one long &&
	grep "^4 lines longer than the limit cut" long.j4.out &&
	test "$(sql long.j4.db "SELECT offset FROM files")" = "$(($(wc -c <long.log) - 59))" &&
	same_as_one long --max-line 300
'

test_expect_success 'hostile bytes (random, every byte value, cut lines, near misses): the same' '
	python3 "$TLSLOGD_SRCDIR/contrib/hostile/genhostile" --patterns "$TLSLOGD_PATTERNS" \
		--mb 12 --max-line 65536 hostile.log hostile.truth &&
	touch -d 2025-12-31T00:00:00Z hostile.log &&
	same_as_one hostile
'

test_expect_success 'a file still being written: the same failures held for the next scan' '
	cp r20.log live.log &&
	same_as_one live &&
	grep "left for the next scan" live.j1.out
'

test_expect_success 'a resumed scan: the same database as one thread after both halves' '
	head -n 20000 r20.log >half.log &&
	touch -d 2025-12-31T00:00:00Z half.log &&
	rm -f half1.db* half4.db* &&
	scan -q -j 1 --db half1.db half.log &&
	scan -q -j 4 --db half4.db half.log &&
	tail -n +20001 r20.log >>half.log &&
	touch -d 2025-12-31T00:00:00Z half.log &&
	scan -q -j 1 --db half1.db half.log &&
	scan -q -j 4 --db half4.db half.log &&
	dump half1.db >half1.dump && dump half4.db >half4.dump &&
	test_cmp half1.dump half4.dump &&
	test "$(sql half4.db "SELECT offset FROM files")" = "$(wc -c <half.log)"
'

# fail_then_resume J: all.log scanned with -j J into fail.J.db under a 4 MB
# file size limit (the database fails after its first commit): what was
# committed is what the summary claims; then scanned again.
fail_then_resume() {
	rm -f fail.$1.db* &&
	scan -q --db fail.$1.db /dev/null &&
	( trap "" XFSZ; prlimit --fsize=4000000 "$TLSLOGD" scan -j $1 -c /dev/null \
		--patterns "$TLSLOGD_PATTERNS" --local-rules no-local-rules --db fail.$1.db all.log
	) >fail.$1.out 2>fail.$1.err; status=$? &&
	cat fail.$1.out fail.$1.err &&
	test "$status" = 1 &&
	grep "the database failed" fail.$1.err &&
	test "$(sql fail.$1.db "PRAGMA integrity_check")" = ok &&
	stored=$(sql fail.$1.db "SELECT count(*) FROM events") &&
	claimed=$(sed -n "s/^\([0-9]*\) new events\{0,1\} stored.*/\1/p" fail.$1.out) &&
	test "$stored" = "$claimed" &&
	test "$stored" -gt 0 &&
	scan -q -j $1 --db fail.$1.db all.log
}

# (Where a batch is committed depends on the blocks read, so the two
# failures may stop at different events: each must be a clean prefix.)
test_expect_success 'the database fails mid-scan, with threads as with one: a rescan completes it' '
	gen all 40000 --rate 1 &&
	fail_then_resume 1 &&
	fail_then_resume 4 &&
	scan -q -j 4 --db all.db all.log &&
	sql all.db "SELECT time, server, kind, peer_ip, offset, raw FROM events" | sort >all.events &&
	for j in 1 4; do
		sql fail.$j.db "SELECT time, server, kind, peer_ip, offset, raw FROM events" |
			sort >fail.$j.events &&
		test_cmp all.events fail.$j.events &&
		test "$(sql fail.$j.db "SELECT offset FROM files")" = "$(wc -c <all.log)" || return 1
	done
'

# A pread that fails or finds the file shorter at a given byte, loaded with
# LD_PRELOAD (not under AddressSanitizer, whose runtime must come first).
shim_ok=no
if ! ldd "$TLSLOGD" 2>/dev/null | grep -q libasan &&
	cat >shim.c <<-\EOF &&
	#define _GNU_SOURCE
	#include <dlfcn.h>
	#include <errno.h>
	#include <stdlib.h>
	#include <sys/types.h>
	#include <unistd.h>
	/* SHIM_EIO_AT=N: a pread over byte N fails (EIO); SHIM_EOF_AT=N: the file ends at N. */
	ssize_t pread(int fd, void *buf, size_t n, off_t off)
	{
		static ssize_t (*real)(int, void *, size_t, off_t);
		const char *e = getenv("SHIM_EIO_AT"), *t = getenv("SHIM_EOF_AT");
		if (real == NULL)
			real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
		if (e != NULL && off <= atoll(e) && atoll(e) < off + (off_t)n) {
			errno = EIO;
			return -1;
		}
		if (t != NULL && off >= atoll(t))
			return 0;
		if (t != NULL && off + (off_t)n > atoll(t))
			n = (size_t)(atoll(t) - off);
		return real(fd, buf, n, off);
	}
	ssize_t pread64(int fd, void *buf, size_t n, off_t off)
	{
		return pread(fd, buf, n, off);
	}
	EOF
	${CC:-cc} -shared -fPIC -o shim.so shim.c -ldl 2>/dev/null; then
	shim_ok=yes
fi

if [ $shim_ok = yes ]; then
	test_expect_success 'a read error in a block: reported, the position at a line start, a rescan completes it' '
		rm -f eio.db* &&
		( SHIM_EIO_AT=$((3 * 524288 - 1)) LD_PRELOAD=$PWD/shim.so "$TLSLOGD" scan -j 4 -c /dev/null \
			--patterns "$TLSLOGD_PATTERNS" --local-rules no-local-rules --db eio.db r20.log
		) >out 2>err; status=$? &&
		cat err &&
		test "$status" = 1 &&
		grep "r20.log: read error at byte" err &&
		off=$(sql eio.db "SELECT offset FROM files") &&
		test "$off" -gt 0 &&
		test "$(head -c "$off" r20.log | tail -c 1 | od -An -c | tr -d " ")" = "\n" &&
		scan -q -j 4 --db eio.db r20.log &&
		sql eio.db "SELECT * FROM events ORDER BY time, offset" >eio.events &&
		sql r20.j1.db "SELECT * FROM events ORDER BY time, offset" | cut -d"|" -f2- >want.events &&
		cut -d"|" -f2- eio.events >got.events &&
		test_cmp want.events got.events
	'

	test_expect_success 'a file cut shorter under the threads: the rest is read line by line, as with one thread' '
		rm -f short.db* &&
		SHIM_EOF_AT=2000000 LD_PRELOAD=$PWD/shim.so "$TLSLOGD" scan -j 4 -c /dev/null \
			--patterns "$TLSLOGD_PATTERNS" --local-rules no-local-rules --db short.db r20.log >out &&
		dump short.db >short.dump &&
		test_cmp r20.j1.dump short.dump
	'
else
	test_skip 'a read error in a block' 'no C compiler for the pread shim, or an ASan build'
	test_skip 'a file cut shorter under the threads' 'no C compiler for the pread shim, or an ASan build'
fi

test_expect_success '--jobs takes 1 to 64' '
	test_exit_code 2 scan -j 0 --db bad.db r2.log &&
	test_exit_code 2 scan --jobs 65 --db bad.db r2.log &&
	test_exit_code 2 scan --jobs x --db bad.db r2.log &&
	scan --help | grep -e "--jobs N"
'

test_done
