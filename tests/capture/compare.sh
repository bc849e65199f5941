#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# compare.sh - run tlslogd on the real captures and show how its events
# differ from the hand-written .expected files beside them.
#
#   tests/capture/compare.sh [TLSLOGD [PATTERNS [FILE.log...]]]
#
# Defaults: _build/tlslogd, patterns/, tests/corpus/real/*.log.  For each log
# it prints the counts, then every missed / false / differing event with the
# raw log line(s) tlslogd stored (false events) and, for missed events, the
# lines `tlslogd test-rules --missed` reports.  Rows match as in
# tests/corpus.sh ("?" matches anything), aligned by longest common
# subsequence.  Exit status 1 if any differ.
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$top/_build/tlslogd}
pat=${2:-$top/patterns}
[ $# -ge 2 ] && shift 2 || shift $#
[ $# -gt 0 ] || set -- "$top"/tests/corpus/real/*.log
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
rc=0
for log; do
	exp=${log%.log}.expected
	[ -f "$exp" ] || continue
	echo "=== $(basename "$log")"
	"$bin" scan -q -c /dev/null --patterns "$pat" --db "$tmp/x.db" "$log" || rc=1
	python3 - "$exp" "$tmp/x.db" <<-\PY || rc=1
	import sqlite3, sys
	want = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()][1:]
	db = sqlite3.connect(sys.argv[2])
	got = []
	for row in db.execute("SELECT kind, direction, peer_ip, user, reason, raw FROM events ORDER BY offset"):
	    cells = ["-" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in row[:5]]
	    got.append((cells, row[5] or ""))
	def same(w, g):
	    return len(w) == len(g) and all(a == "?" or a == b for a, b in zip(w, g))
	# Longest common subsequence under same(), so that one extra or missing
	# event does not shift every later pair.
	n, m = len(want), len(got)
	L = [[0] * (m + 1) for _ in range(n + 1)]
	for a in range(n - 1, -1, -1):
	    for b in range(m - 1, -1, -1):
	        L[a][b] = L[a + 1][b + 1] + 1 if same(want[a], got[b][0]) else max(L[a + 1][b], L[a][b + 1])
	i = j = 0
	out = []
	nm = nf = 0
	while i < n or j < m:
	    if i < n and j < m and same(want[i], got[j][0]):
	        i += 1; j += 1
	    elif j < m and (i == n or L[i][j + 1] >= L[i + 1][j]):
	        out.append("  false:  " + "\t".join(got[j][0]))
	        for l in got[j][1].splitlines():
	            out.append("          | " + l)
	        nf += 1; j += 1
	    else:
	        out.append("  missed: " + "\t".join(want[i])); nm += 1; i += 1
	print("expected %d, found %d, missed %d, false %d" % (len(want), len(got), nm, nf))
	print("\n".join(out))
	sys.exit(1 if nm or nf else 0)
	PY
	echo "  lines no rule matched (test-rules --missed):"
	"$bin" test-rules -c /dev/null --patterns "$pat" --missed "$log" 2>&1 | grep "^missed line" | sed 's/^/    /'
	rm -f "$tmp"/x.db*
done
exit $rc
