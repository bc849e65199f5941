#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# scan-query.sh: the real binary end to end: scan the shipped sample logs into
# a fresh database, query peers, and compare with the expected JSON (reviewed
# by hand against the sample lines). Also: the events per kind of the whole
# sample scan, and the table output.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

expected="$TLSLOGD_SRCDIR/tests/expected"

# The samples, copied so that their time (the reference for RFC 3164 years) is fixed.
cp "$samples/mixed.log" "$samples/exim-mainlog.log" . &&
touch -d 2026-11-21T12:00:00Z mixed.log exim-mainlog.log || exit 99

# JSON with the scratch folder removed from "source", pretty-printed with sorted keys.
normalize() {
	python3 -c 'import json, os, sys
events = json.load(sys.stdin)
for e in events:
    if e.get("source"):
        e["source"] = os.path.basename(e["source"])
json.dump(events, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
print()'
}

test_expect_success 'scan the samples' '
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db --server mx2 \
		mixed.log exim-mainlog.log >scan.out &&
	cat scan.out &&
	grep "^scanned 2 files, " scan.out
'

test_expect_success 'events per kind of the samples' '
	sql t.db "SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind" >kinds &&
	test_cmp "$expected/samples-kinds.txt" kinds
'

test_expect_success 'every event names its peer, but our own TLS set-up errors' '
	test "$(sql t.db "SELECT count(*) FROM events WHERE peer_ip IS NULL AND peer_host IS NULL
		AND kind <> '"'tls_local_error'"'")" = 0 &&
	test "$(sql t.db "SELECT count(*) FROM events WHERE kind = '"'tls_local_error'"'
		AND raw LIKE '"'%TLS library problem%TLS library problem%TLS library problem%'"'")" = 1
'

test_expect_success 'a Postfix failure of four lines is one event with the specific reason' '
	test "$(sql t.db "SELECT count(*) FROM events WHERE mta = '"'postfix'"' AND kind = '"'tls_no_shared_cipher'"'
		AND raw LIKE '"'%SSL_accept error%TLS library problem%lost connection after STARTTLS%disconnect from%'"'")" -ge 1
'

for peer in 203.0.113.50 198.51.100.25 mx.example.net 192.0.2.44; do
	test_expect_success "query --peer $peer --format json matches the expected events" '
		tlslogd query -c /dev/null --db t.db --peer '"$peer"' --format json >raw.json &&
		normalize <raw.json >got.json &&
		test_cmp "$expected/peer-'"$peer"'.json" got.json
	'
done

test_expect_success 'the table lists the same events, newest first' '
	tlslogd query -c /dev/null --db t.db --peer 203.0.113.50 >out &&
	cat out &&
	head -n 1 out | grep "^203.0.113.50: no successful session in the last 7 days: not a known partner$" &&
	sed 1,2d out >table &&
	head -n 1 table | grep "^TIME (UTC) *DIR KIND *PEER *REASON$" &&
	test "$(sed -e 1d -e "/^\$/,\$d" table | wc -l)" = 7 &&
	grep "^Diagnosis for 203.0.113.50: 7 events, 2 causes$" table &&
	sed -n 2p table | grep "^2026-11-21 08:31:08 in  tls_no_shared_cipher  *\[203.0.113.50\]  *no shared cipher$"
'

test_expect_success 'scanning the samples again adds nothing' '
	tlslogd scan -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db t.db mixed.log exim-mainlog.log >again &&
	grep "^0 new events stored" again
'

test_done
