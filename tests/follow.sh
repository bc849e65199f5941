#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# follow.sh: tlslogd run on a growing file: run -n, lines split across
# writes, start at the end or from the start, a multi-line failure, SIGUSR1's
# counters and an over-long line, readers beside the daemon, and how soon a
# failure is queryable. Rotation is in follow-rotate.sh, restarts and
# signals in follow-restart.sh, a failing database in follow-dbfail.sh.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

# --- run -n --------------------------------------------------------------------

test_expect_success 'run -n: a good configuration exits 0, says OK, creates nothing' '
	cat >good.conf <<-EOF &&
	# a comment
	database $test_scratch/n.db
	patterns $TLSLOGD_PATTERNS
	source $test_scratch/mail.log
	source $test_scratch/exim.log mta exim
	batch_events 500
	batch_interval 100
	max_line 64k
	start beginning
	EOF
	: >mail.log && : >exim.log &&
	test_exit_code 0 tlslogd run -n -c good.conf >out 2>err &&
	cat out err &&
	grep "^good.conf: configuration OK: 2 sources, [0-9]* rules for [0-9]* MTAs, database $(test_db_name "$test_scratch/n.db")$" out &&
	test ! -e n.db
'

test_expect_success 'run -n: a bad configuration exits 2 and names file:line of every mistake' '
	cat >bad.conf <<-EOF &&
	database $test_scratch/n.db
	source relative/mail.log
	frobnicate yes
	batch_interval 0
	source $test_scratch/mail.log
	EOF
	test_exit_code 2 tlslogd run -n -c bad.conf --patterns "$TLSLOGD_PATTERNS" >out 2>err &&
	cat out err &&
	test ! -s out &&
	grep "bad.conf:2: source: " err &&
	grep "bad.conf:3: unknown keyword \"frobnicate\"" err &&
	grep "bad.conf:4: batch_interval: " err &&
	! grep "bad.conf:[15]:" err &&
	test ! -e n.db
'

test_expect_success 'run -n: a source whose MTA has no rules exits 2 and names file:line' '
	printf "database %s\nsource %s mta nosuchmta\n" "$test_scratch/n.db" "$test_scratch/mail.log" >mta.conf &&
	test_exit_code 2 tlslogd run -n -c mta.conf --patterns "$TLSLOGD_PATTERNS" 2>err &&
	cat err &&
	grep "mta.conf:2: source $test_scratch/mail.log: no rules for the MTA \"nosuchmta\"" err
'

# --- appending -----------------------------------------------------------------

follow_test 'lines split across writes: the partial line is neither lost nor stored early' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	stored=0 &&
	# part N FROM TO: bytes FROM..TO (1-based, inclusive; TO empty: to the end
	# and the newline) of failure N; then check nothing of it is stored yet.
	part() {
		line=$(auth_line "$1") &&
		if [ -n "$3" ]; then
			printf "%s" "$line" | cut -c"$2-$3" | tr -d "\n" >>mail.log
			sleep 0.4
			test "$(count t.db)" = "$stored" || {
				echo "failure $1 stored before its line was complete (bytes $2-$3 written):"
				dbq t.db "SELECT \"user\" FROM events ORDER BY id DESC LIMIT 1"
				return 1
			}
		else
			printf "%s\n" "$line" | cut -c"$2-" >>mail.log
		fi
	}
	# whole N: the rest is complete: wait for it.
	whole() {
		echo "u$1" >>truth && stored=$((stored + 1)) && wait_events t.db $stored
	}
	n=$(auth_line 1234 | wc -c) &&
	part 1001 1 10 && part 1001 11 "" && whole 1001 &&
	part 1234 1 $((n - 4)) && part 1234 $((n - 3)) "" && whole 1234 &&
	part 1002 1 $((n - 1)) && part 1002 $n "" && whole 1002 &&
	part 1003 1 40 && part 1003 41 100 && part 1003 101 "" && whole 1003 &&
	part 1004 1 1 && part 1004 2 "" && whole 1004 &&
	# One write: the end of a line, a whole line, the start of the next.
	printf "%s\n%s" "$(auth_line 1005)" "$(auth_line 1006 | cut -c1-70)" >>mail.log &&
	echo u1005 >>truth && stored=$((stored + 1)) && wait_events t.db $stored &&
	sleep 0.4 && test "$(count t.db)" = $stored &&
	part 1006 71 "" && whole 1006 &&
	check_events t.db
'

follow_test 'a file never seen is read from its end by default, from its start with --from-start' '
	auth_line 1 old >mail.log && noise_line 1 >>mail.log && auth_line 2 old >>mail.log &&
	size=$(wc -c <mail.log) &&
	printf "%s" "$(auth_line 3 par)" | cut -c1-50 | tr -d "\n" >>mail.log &&
	run_follow t.db "$PWD/mail.log" &&
	grep "mail.log: new file, reading from its end (byte $size)" daemon.err &&
	sleep 0.5 &&
	test "$(count t.db)" = 0 &&
	auth_line 3 par | cut -c51- >>mail.log && echo par3 >>truth &&
	fails 4 6 >>mail.log &&
	wait_events t.db 4 &&
	test_exit_code 0 daemon_term &&
	check_events t.db &&
	# The end position is committed at start: a crash before any line is read keeps it.
	auth_line 1 new >new.log &&
	run_follow new.db "$PWD/new.log" &&
	daemon_kill9 &&
	auth_line 7 >>new.log &&
	run_follow new.db "$PWD/new.log" &&
	wait_events new.db 1 &&
	sleep 0.3 &&
	test_exit_code 0 daemon_term &&
	test "$(dbq new.db "SELECT \"user\" FROM events")" = u7 &&
	echo old1 >>truth && echo old2 >>truth &&
	run_follow all.db "$PWD/mail.log" --from-start &&
	wait_events all.db 6 &&
	test "$(log_count "/mail.log: new file, reading from its end")" = 1 &&
	check_events all.db
'

follow_test 'a multi-line TLS failure interleaved with other sessions is one event' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	tls_line 7 1 >>mail.log && fail 1 >>mail.log && sleep 0.3 &&
	tls_line 7 2 >>mail.log && noise_line 2 >>mail.log && sleep 0.3 &&
	tls_line 7 3 >>mail.log && fail 2 >>mail.log &&
	tls_line 7 4 >>mail.log && tls_key 7 &&
	wait_events t.db 3 &&
	sleep 0.5 &&
	check_events t.db &&
	test "$(dbq t.db "SELECT kind FROM events WHERE \"user\" IS NULL")" = tls_no_shared_cipher &&
	test "$(dbq t.db "SELECT raw FROM events WHERE \"user\" IS NULL" | wc -l)" = 4
'

follow_test 'a failure whose last lines never come is stored once it has settled' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	tls_line 8 1 >>mail.log && tls_line 8 2 >>mail.log && tls_key 8 &&
	fail 1 >>mail.log &&
	wait_events t.db 1 &&
	# Settled after the linger (10 s), as long as tlslogd scan would wait for its lines.
	wait_events t.db 2 40 &&
	check_events t.db &&
	# Its position is past its lines: a restart does not read them again.
	wait_for "dbq t.db \"SELECT max(\\\"offset\\\") FROM files\"" "$(wc -c <mail.log)" 20 &&
	test_exit_code 0 daemon_term &&
	run_follow t.db "$PWD/mail.log" &&
	wait_log "following 1 source" &&
	check_events t.db
'

# --- signals and limits --------------------------------------------------------

follow_test 'a line a rule gives up on at the PCRE2 match limit is said once and counted on SIGUSR1' '
	mkdir -p local &&
	printf "%s\n" "mta postfix" "rule site-slow" "  programs smtpd" "  kind auth_failed" \
	    "  direction in" "  literal slowline" "  pattern ^slowline(a+)+\$" \
	    "  example Nov 21 08:40:00 mx1 postfix/smtpd[9]: slowlineaaa" >local/slow.rules &&
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start --local-rules=local &&
	{
		printf "Nov 21 08:40:00 mx1 postfix/smtpd[997]: slowline"
		head -c 30000 /dev/zero | tr "\\000" a
		printf "b\n"
	} >>mail.log &&
	fails 1 3 >>mail.log &&
	wait_events t.db 3 &&
	wait_log "match limit" &&
	kill -USR1 $dpid &&
	wait_log "lines read" &&
	grep "^tlslogd: 1 line no rule could judge: a pattern gave up at its PCRE2 match limit" daemon.err &&
	check_events t.db
'

follow_test 'SIGUSR1 logs the counters; a line over 64k is cut with one warning, the next lines are read' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_events t.db 5 &&
	{
		printf "Nov 21 08:40:00 mx1 postfix/smtpd[999]: NOQUEUE: reject: RCPT from unknown[198.51.100.1]: 504 5.5.2 <"
		head -c 100000 /dev/zero | tr "\\000" x
		printf ">: Helo command rejected: need fully-qualified hostname\n"
	} >>mail.log &&
	fails 6 8 >>mail.log &&
	wait_events t.db 8 &&
	wait_log "1 line longer than 65536 bytes cut" &&
	{
		printf "Nov 21 08:41:00 mx1 postfix/smtpd[998]: connect from "
		head -c 70000 /dev/zero | tr "\\000" y
		printf "\n"
	} >>mail.log &&
	fails 9 10 >>mail.log &&
	wait_events t.db 10 &&
	check_events t.db &&
	test "$(log_count "longer than 65536 bytes cut")" = 1 &&
	lines=$(wc -l <mail.log) && size=$(wc -c <mail.log) &&
	kill -USR1 $dpid &&
	wait_log "lines read" &&
	wait_log "^tlslogd: source $PWD/mail.log: " &&
	grep "^tlslogd: $lines lines read (0.2 MB), 10 matched a rule, 10 events stored, .* 2 lines cut$" daemon.err &&
	grep "^tlslogd:   auth_failed: 10$" daemon.err &&
	grep "^tlslogd: source $PWD/mail.log: byte $size read, 0 behind the end; $lines lines, 10 events, .* 2 cut$" daemon.err &&
	daemon_alive &&
	fail 11 >>mail.log &&
	wait_events t.db 11 &&
	test_exit_code 0 daemon_term &&
	check_events t.db
'

# --- readers -------------------------------------------------------------------

only_on sqlite "SQLite's read transaction beside the writer (python3's sqlite3)"
follow_test 'a reader holding a read transaction does not block the daemon and sees one snapshot' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 10 >>mail.log &&
	wait_events t.db 10 || exit 1
	python3 - t.db >reader.out 2>&1 <<-\PY &
	import os, sqlite3, sys, time
	c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
	c.execute("BEGIN")
	n1, m1 = c.execute("SELECT count(*), coalesce(max(id), 0) FROM events").fetchone()
	open("reader.ready", "w").close()
	# Held until the test has seen the daemon commit (not for a fixed time).
	for _ in range(1200):
	    if os.path.exists("reader.release"):
	        break
	    time.sleep(0.05)
	n2, m2 = c.execute("SELECT count(*), coalesce(max(id), 0) FROM events").fetchone()
	users = c.execute("SELECT count(DISTINCT user) FROM events").fetchone()[0]
	c.execute("COMMIT")
	n3 = c.execute("SELECT count(*) FROM events").fetchone()[0]
	print("in the transaction: %d %d, then %d %d (%d users); after it: %d" % (n1, m1, n2, m2, users, n3))
	PY
	reader=$! && bg_add $reader &&
	wait_until 60 "test -e reader.ready" &&
	fails 11 20 >>mail.log &&
	wait_events t.db 20 &&
	kill -0 $reader &&
	test ! -s reader.out &&
	touch reader.release &&
	wait $reader &&
	cat reader.out &&
	grep "^in the transaction: 10 10, then 10 10 (10 users); after it: 20$" reader.out &&
	check_events t.db
'

only_on sqlite "SQLite's database write lock (python3's sqlite3)"
follow_test 'a write lock held for a while delays the daemon but loses nothing' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	fails 1 5 >>mail.log &&
	wait_events t.db 5 || exit 1
	python3 - t.db <<-\PY &
	import os, sqlite3, sys, time
	c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
	c.execute("BEGIN IMMEDIATE")
	open("locked", "w").close()
	# Held until the test has seen nothing committed meanwhile (at most 8 s: below the busy timeout).
	for _ in range(160):
	    if os.path.exists("unlock"):
	        break
	    time.sleep(0.05)
	c.execute("COMMIT")
	PY
	locker=$! && bg_add $locker &&
	wait_until 60 "test -e locked" &&
	fails 6 15 >>mail.log &&
	sleep 1 &&
	test "$(count t.db)" = 5 &&
	touch unlock &&
	wait $locker &&
	wait_events t.db 15 &&
	! grep "the database .* failed" daemon.err &&
	check_events t.db
'

# --- latency -------------------------------------------------------------------

only_on sqlite "the latency is read with python3's sqlite3"
follow_test 'a failure is queryable soon after it is written (p99 under 2 s)' '
	: >mail.log &&
	run_follow t.db "$PWD/mail.log" --from-start &&
	python3 - mail.log t.db 200 0.02 >latency.out 2>&1 <<-\PY
	import sqlite3, sys, threading, time
	log, db, n, gap = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
	written, seen = {}, {}
	def writer():
	    with open(log, "a") as f:
	        for i in range(n):
	            key = "lat%d" % i
	            line = ("Nov 21 09:%02d:%02d mx1 postfix/smtpd[%d]: warning: unknown[198.51.100.%d]: "
	                    "SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=%s\n"
	                    % (i // 60 % 60, i % 60, 40000 + i, i % 254 + 1, key))
	            written[key] = time.monotonic()
	            f.write(line)
	            f.flush()
	            time.sleep(gap)
	t = threading.Thread(target=writer)
	t.start()
	c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=5)
	last, deadline = 0, time.monotonic() + n * gap + 10
	while len(seen) < n and time.monotonic() < deadline:
	    rows = c.execute("SELECT id, user FROM events WHERE id > ? ORDER BY id", (last,)).fetchall()
	    now = time.monotonic()
	    for rid, user in rows:
	        last = rid
	        if user in written and user not in seen:
	            seen[user] = now
	    time.sleep(0.002)
	t.join()
	lat = sorted((seen[k] - written[k]) * 1000 for k in seen)
	if not lat:
	    print("none of %d failures seen" % n)
	    sys.exit(1)
	def pct(p):
	    return lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))]
	print("latency over %d failures 20 ms apart: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d of %d seen)"
	      % (n, pct(50), pct(99), lat[-1], len(lat), n))
	sys.exit(0 if len(lat) == n and pct(99) < 2000 else 1)
	PY
	status=$? &&
	cat latency.out &&
	cat latency.out >>"$notes" &&
	test $status = 0 &&
	test "$(count t.db)" = 200 &&
	test -z "$(duplicates t.db)"
'

only_on sqlite "the old database is an SQLite file of schema 9"
follow_test 'an upgraded database: the daemon follows its files while it fills in old events' '
	python3 - "$TLSLOGD_SRCDIR" <<-\PY &&
	import glob, sqlite3, sys, time
	now = int(time.time())
	con = sqlite3.connect("old.db")
	for f in sorted(glob.glob(sys.argv[1] + "/sql/00[1-4]-*.sql")):
	    con.executescript(open(f).read())
	con.execute("PRAGMA user_version = 4")
	con.executemany("INSERT INTO events (time, mta, direction, kind, peer_host, peer_ip) "
	                "VALUES (?, '"'postfix'"', '"'in'"', '"'auth_failed'"', ?, '"'192.0.2.9'"')",
	                [(now - 30000 + i, None if i % 10 == 0 else "mx%d.example.net" % i)
	                 for i in range(30000)])
	con.commit()
	PY
	: >mail.log &&
	run_follow old.db "$PWD/mail.log" --from-start &&
	fail 1 >>mail.log && fail 2 >>mail.log &&
	wait_events old.db 30002 &&
	test "$(dbq old.db "SELECT count(*) FROM backfills")" -ge 1 &&
	wait_moving 20 "grep -q \"peer domains filled in\" daemon.err" "dbq old.db \"SELECT count(peer_domain) FROM events\"" &&
	grep "filling in the peer domain (by the Public Suffix List) of the events stored before schema 10 (ids 1 to 3000[0-2])" daemon.err &&
	wait_moving 20 "grep -q \"recipient and HELO domains filled in\" daemon.err" "dbq old.db \"SELECT next_id FROM backfills\"" &&
	test "$(dbq old.db "SELECT count(*) FROM backfills")" = 0 &&
	test "$(dbq old.db "SELECT count(*) FROM events WHERE id <= 30000 AND peer_domain = '"'.example.net'"'")" = 27000 &&
	fail 3 >>mail.log &&
	wait_events old.db 30003 &&
	daemon_term
'

test_done
