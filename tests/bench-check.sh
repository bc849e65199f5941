#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench-check.sh: the correctness part of the benchmark (contrib/bench/run), on
# small files: logs of 20,000 lines from contrib/bench/genlog at a 2%, a 20%
# and a 100% failure rate, with RFC 3164 and ISO 8601 headers, every MTA mixed
# and each alone, are scanned, and the events stored must equal the
# generator's ground truth, per kind and per (kind, peer): a missed or an
# invented event fails. Also: the generator is deterministic and writes only
# lines the rules know. The timing part runs with `make bench`.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

genlog="$TLSLOGD_SRCDIR/contrib/bench/genlog"
mkdir no-local-rules || exit 99

# gen NAME ARGS...: NAME.log and its truth NAME.truth, dated after its last
# line and long ago (not a file still being written).
gen() {
	name=$1
	shift
	python3 "$genlog" --lines 20000 --seed 5 --truth "$name.truth" "$@" >"$name.log" &&
	touch -d 2025-12-31T00:00:00Z "$name.log"
}

scan() {
	tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --local-rules no-local-rules \
		--db "$1.db" "$1.log"
}

# same_events NAME: the events of NAME.db equal NAME.truth, per kind, then per
# (kind, peer) with their multiplicity.
same_events() {
	cut -f1 "$1.truth" | sort | uniq -c >"$1.kinds.want" &&
	sql "$1.db" "SELECT kind FROM events" | sort | uniq -c >"$1.kinds.got" &&
	test_cmp "$1.kinds.want" "$1.kinds.got" &&
	tr '\t' '|' <"$1.truth" | sort >"$1.peers.want" &&
	sql "$1.db" "SELECT kind, coalesce(peer_ip, '-') FROM events" | sort >"$1.peers.got" &&
	test_cmp "$1.peers.want" "$1.peers.got"
}

# none_missed NAME: test-rules sees no line of NAME.log that mentions TLS or
# AUTH and matches no rule, and none without a header.
none_missed() {
	tlslogd test-rules -c /dev/null --patterns "$TLSLOGD_PATTERNS" --local-rules no-local-rules \
		--missed "$1.log" >"$1.rules" &&
	tail -n 1 "$1.rules" &&
	tail -n 1 "$1.rules" | grep -q ", 0 mention TLS/AUTH but matched none, 0 without a header$"
}

test_expect_success 'genlog: the same arguments give the same bytes, exactly --lines lines' '
	python3 "$genlog" --lines 3000 --rate 0.2 --seed 9 --truth a.truth >a.log &&
	python3 "$genlog" --lines 3000 --rate 0.2 --seed 9 --truth b.truth >b.log &&
	cmp a.log b.log && cmp a.truth b.truth &&
	test "$(wc -l <a.log)" = 3000 &&
	test -s a.truth
'

for spec in "r2:--rate 0.02" "r20:--rate 0.2" "iso:--rate 0.2 --iso" "all:--rate 1" \
	"postfix:--rate 0.2 --mta postfix" "exim:--rate 0.2 --mta exim" \
	"sendmail:--rate 0.2 --mta sendmail"; do
	name=${spec%%:*}
	args=${spec#*:}
	test_expect_success "events stored = ground truth, per kind and per peer ($args)" '
		gen '"$name $args"' &&
		test "$(wc -l <'"$name"'.truth)" -gt 20 &&
		scan '"$name"' &&
		same_events '"$name"'
	'
done

test_expect_success 'every kind the generator knows was checked' '
	python3 "$genlog" --list-scenarios | awk "{ print \$3 }" | sort -u >kinds.known &&
	test "$(wc -l <kinds.known)" -gt 20 &&
	cut -f1 all.truth | sort -u >kinds.seen &&
	test_cmp kinds.known kinds.seen
'

test_expect_success 'test-rules finds no line of the generator that mentions TLS or AUTH unmatched' '
	gen iso-all --rate 1 --iso &&
	none_missed all &&
	none_missed iso-all
'

test_expect_success 'the check fails on a missed or an invented event' '
	cp r20.db missed.db && cp r20.truth missed.truth &&
	sql missed.db "DELETE FROM events WHERE id = (SELECT max(id) FROM events)" &&
	! same_events missed &&
	cp r20.db invented.db && cp r20.truth invented.truth &&
	sql invented.db "INSERT INTO events (time, mta, direction, kind, peer_ip)
		SELECT time, mta, direction, kind, peer_ip FROM events WHERE id = 1" &&
	! same_events invented
'

test_done
