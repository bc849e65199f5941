#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh: check the fuzzing compiler, or run the libFuzzer targets of tests/fuzz
# (built by `make fuzz`) for a bounded time each. Called by `make fuzz` and
# `make fuzz-run`; by hand:
#
#   tests/fuzz/run.sh --check-cc CC      can CC build libFuzzer targets with ASan/UBSan?
#   tests/fuzz/run.sh SECONDS TARGET...  replay each target's regressions and seeds, then
#                                        fuzz it for SECONDS; exits 1 if any target failed
#
# Environment: FUZZ_BUILD (the folder of the *_fuzz programs, default
# tests/fuzz/build), FUZZ_SRC (tests/fuzz of the source tree, default this
# script's folder), FUZZ_FLAGS (more libFuzzer options).
#
# Each run writes FUZZ_BUILD/TARGET.log and an automake-style FUZZ_BUILD/TARGET.trs
# (":test-result: PASS" or "FAIL"), so that quickstart.sh counts it as a test.
# A crash, a leak, a timeout (10 s for one input) or a sanitizer report fails
# the target; the input is kept as FUZZ_BUILD/artifacts/TARGET/crash-*
# (leak-*, timeout-*): turn it into a regression test before fixing it.
set -u

src=${FUZZ_SRC:-$(cd "$(dirname "$0")" && pwd)}
build=${FUZZ_BUILD:-$src/build}

if [ "${1:-}" = --check-cc ]; then
	cc=${2:-clang}
	tmp=${TMPDIR:-/tmp}/tlslogd-fuzz-cc.$$
	mkdir -p "$tmp"
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	    >"$tmp/t.c"
	if "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/t" "$tmp/t.c" >"$tmp/err" 2>&1; then
		rm -rf "$tmp"
		exit 0
	fi
	echo "fuzz: '$cc' cannot build libFuzzer targets with -fsanitize=fuzzer,address,undefined:" >&2
	sed 's/^/fuzz:   /' "$tmp/err" | head -n 5 >&2
	echo "fuzz: install clang and its runtime, e.g. on Debian 12:" \
	    "apt-get install clang libclang-rt-14-dev (or set FUZZ_CC=clang-NN)" >&2
	rm -rf "$tmp"
	exit 1
fi

if [ $# -lt 2 ]; then
	echo "usage: run.sh --check-cc CC | run.sh SECONDS TARGET..." >&2
	exit 2
fi
seconds=$1
shift

# run_one TARGET: 0 when it survived, 1 otherwise.
run_one() {
	t=$1
	prog=$build/${t}_fuzz
	log=$build/$t.log
	work=$build/work/$t
	art=$build/artifacts/$t
	mkdir -p "$work" "$art"
	: >"$log"
	if [ ! -x "$prog" ]; then
		echo "no $prog: run make fuzz first" >>"$log"
		return 1
	fi
	# The regressions first (every input once), then the seeds, then new inputs.
	for d in "$src/regressions/$t" "$src/corpus/$t"; do
		[ -d "$d" ] || continue
		"$prog" -runs=0 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art/" \
		    "$d" >>"$log" 2>&1 || return 1
	done
	# The line targets and the scan pipeline mutate with the rules' literals (tests/fuzz/lines.dict).
	dict=
	case $t in header | rules | correlate | ingest) dict=-dict=$src/lines.dict ;; esac
	# shellcheck disable=SC2086
	"$prog" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
	    -print_final_stats=1 -artifact_prefix="$art/" $dict ${FUZZ_FLAGS:-} \
	    "$work" "$src/corpus/$t" >>"$log" 2>&1
}

failed=0
for t in "$@"; do
	if run_one "$t"; then
		result=PASS
	else
		result=FAIL
		failed=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log" | tail -n 1)
	printf ':test-result: %s\n:global-test-result: %s\n:recheck: %s\n:copy-in-global-log: %s\n' \
	    "$result" "$result" "$([ $result = PASS ] && echo no || echo yes)" \
	    "$([ $result = PASS ] && echo no || echo yes)" >"$build/$t.trs"
	echo "$result: fuzz $t (${seconds} s, ${execs:-?} inputs)"
	if [ $result = FAIL ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|artifact_prefix|.*runtime error)' \
		    "$build/$t.log" | head -n 8 | sed 's/^/    /'
		ls "$build/artifacts/$t" 2>/dev/null | sed 's/^/    artifact: /' | head -n 3
	fi
done
exit $failed
