#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# corpus.sh: every log excerpt in tests/corpus/ becomes exactly the events
# written beside it. For each FILE.log there is a FILE.expected: one line per
# event, in the order of the line that completes it, tab-separated
#   kind  direction  peer_ip  user  reason
# with a header line, "-" for a missing value and "?" for "any value". Lines
# that must not produce an event (successful TLS, near misses, hostile HELO and
# user names) are simply in the log without a line in .expected. A line whose
# kind starts with "!" is a real failure that tlslogd is known not to see (the
# reason is written in the corpus README): it must stay unseen, so that fixing
# it shows up here as a "false" event until the line loses its "!".
. "$TLSLOGD_SRCDIR/tests/lib.sh"

# compare EXPECTED ACTUAL: the events, with "?" as a wildcard; prints the counts
# of expected, found, missed and false events, and the differences.
compare() {
	python3 - "$1" "$2" <<-\PY
	import difflib, sys
	def rows(path, header):
	    with open(path, encoding="utf-8", errors="replace") as f:
	        lines = [l.rstrip("\n") for l in f if l.strip()]
	    if header:
	        lines = lines[1:]
	    return [l.split("\t") for l in lines]
	want, got = rows(sys.argv[1], True), rows(sys.argv[2], False)
	gaps = [w for w in want if w[0].startswith("!")]
	want = [w for w in want if not w[0].startswith("!")]
	for w in gaps:
	    print("  known gap (not seen, see the README): " + "\t".join(w))
	def same(w, g):
	    return len(w) == len(g) and all(a == "?" or a == b for a, b in zip(w, g))
	# Align the two lists: an expected row matches a found row in order.
	i = j = 0
	missed, false = [], []
	while i < len(want) or j < len(got):
	    if i < len(want) and j < len(got) and same(want[i], got[j]):
	        i += 1; j += 1
	    elif i < len(want) and not any(same(want[i], g) for g in got[j:j + 5]):
	        missed.append(want[i]); i += 1
	    elif j < len(got):
	        false.append(got[j]); j += 1
	    else:
	        missed.append(want[i]); i += 1
	print("expected %d, found %d, missed %d, false %d" % (len(want), len(got), len(missed), len(false)))
	for r in missed:
	    print("  missed: " + "\t".join(r))
	for r in false:
	    print("  false:  " + "\t".join(r))
	sys.exit(1 if missed or false else 0)
	PY
}

# events_tsv DB: the stored events in the columns of .expected.
events_tsv() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute("SELECT kind, direction, peer_ip, user, reason FROM events ORDER BY offset"):
    print("\t".join("-" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in row))' "$1"
}

found_any=
for log in $(find "$corpus" -name '*.log' | sort); do
	expected="${log%.log}.expected"
	[ -f "$expected" ] || continue
	found_any=yes
	name=${log#"$corpus"/}
	test_expect_success "corpus $name" '
		rm -f c.db c.db-wal c.db-shm &&
		cp "'"$log"'" c.log &&
		touch -d 2026-12-31T12:00:00Z c.log &&
		tlslogd scan -q -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db c.db c.log &&
		events_tsv c.db >got &&
		compare "'"$expected"'" got
	'
done
[ -n "$found_any" ] || test_expect_success 'the corpus is not empty' 'false'

test_done
