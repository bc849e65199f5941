#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# metrics.sh: the daemon's Prometheus metrics (issue 18, item 4), from a real
# daemon following a real file: the node_exporter textfile (metrics_file)
# replaced whole and counting what the database holds, the HTTP endpoint
# (metrics_listen) on the loopback address only, answering GET /metrics and
# nothing else, a source's lag while the daemon cannot keep up, counters kept
# across a reload, promtool's check where it is installed, and clear errors for
# a wrong metrics_listen line or a folder the file cannot be written to; the
# alert rules and the Grafana dashboard in contrib/prometheus/ use what is
# exported, and the alerts fire as promtool's unit tests say.
. "$TLSLOGD_SRCDIR/tests/lib.sh"
. "$TLSLOGD_SRCDIR/tests/follow-lib.sh"

# free_port: a TCP port nothing listens on now.
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# scrape URL: the body of GET URL (python3: curl is not everywhere).
scrape() {
	python3 - "$1" <<-\PY
	import sys, urllib.request, urllib.error
	try:
	    with urllib.request.urlopen(sys.argv[1], timeout=30) as r:
	        sys.stdout.write(r.read().decode())
	except urllib.error.HTTPError as e:
	    print("HTTP %d" % e.code)
	    sys.exit(1)
	PY
}

# status METHOD URL: the HTTP status (and Content-Type) of METHOD URL.
status() {
	python3 - "$1" "$2" <<-\PY
	import sys, urllib.request, urllib.error
	req = urllib.request.Request(sys.argv[2], method=sys.argv[1])
	try:
	    with urllib.request.urlopen(req, timeout=30) as r:
	        print(r.status, r.headers.get("Content-Type"))
	except urllib.error.HTTPError as e:
	    print(e.code)
	PY
}

# value FILE SERIES: the number of the sample line that begins with SERIES.
value() {
	awk -v s="$2" 'index($0, s " ") == 1 { print $NF; found = 1 } END { if (!found) print "none" }' "$1"
}

# sum FILE NAME: the sum of NAME's samples.
sum() {
	awk -v n="$2" 'index($0, n "{") == 1 || index($0, n " ") == 1 { s += $NF } END { printf "%d\n", s }' "$1"
}

# valid FILE: promtool's check where it is installed, the text format's
# structure otherwise (a # TYPE line once per family, before its samples).
valid() {
	if command -v promtool >/dev/null 2>&1; then
		promtool check metrics <"$1" || return 1
	fi
	python3 - "$1" <<-\PY
	import re, sys
	seen, typed = set(), {}
	for line in open(sys.argv[1]):
	    line = line.rstrip("\n")
	    m = re.match(r"# TYPE (\S+) (counter|gauge|histogram)$", line)
	    if m:
	        assert m.group(1) not in typed, "family twice: " + line
	        typed[m.group(1)] = m.group(2)
	        continue
	    if line.startswith("#"):
	        continue
	    m = re.match(r'([a-z_]+)(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? (\S+)$', line)
	    assert m, "not a sample: " + line
	    float(m.group(5))
	    name = m.group(1)
	    fam = [f for f in typed if name == f or (typed[f] == "histogram" and name in (f + "_bucket", f + "_sum", f + "_count"))]
	    assert fam, "sample before its family: " + line
	    assert (name, m.group(2)) not in seen, "sample twice: " + line
	    seen.add((name, m.group(2)))
	PY
}

# conf EXTRA...: t.conf following mail.log into t.db, with the lines EXTRA.
conf() {
	{
		echo "database $PWD/t.db"
		echo "patterns $TLSLOGD_PATTERNS"
		echo "source $PWD/mail.log"
		echo "start beginning"
		for _l in "$@"; do echo "$_l"; done
	} >t.conf
}

follow_test 'metrics_file: replaced whole, valid, and counting what the database holds' '
	mkdir prom && fails 1 20 >mail.log &&
	conf "metrics_file $PWD/prom/tlslogd.prom" "metrics_interval 1s" &&
	daemon_run -c t.conf && wait_events t.db 20 &&
	wait_for "sum prom/tlslogd.prom tlslogd_events_stored_total" 20 &&
	valid prom/tlslogd.prom &&
	test "$(value prom/tlslogd.prom "tlslogd_events_stored_total{kind=\"auth_failed\",direction=\"in\",mta=\"postfix\"}")" = 20 &&
	test "$(stat -c %a prom/tlslogd.prom)" = 644 &&
	fails 21 30 >>mail.log && wait_events t.db 30 &&
	wait_for "sum prom/tlslogd.prom tlslogd_events_stored_total" 30 &&
	wait_for "value prom/tlslogd.prom tlslogd_lines_read_total" "$(wc -l <mail.log | tr -d " ")" &&
	test "$(value prom/tlslogd.prom tlslogd_source_lag_bytes{source=\"$PWD/mail.log\"})" = 0 &&
	test "$(ls -A prom)" = tlslogd.prom &&
	# A reader never sees half a file: every read ends with the last family.
	python3 - prom/tlslogd.prom <<-\PY &&
	import sys, time
	end = time.time() + 2.5
	reads = 0
	while time.time() < end:
	    text = open(sys.argv[1]).read()
	    assert text.endswith("tlslogd_database_commit_duration_seconds_count %s\n" % text.rsplit(" ", 1)[-1].strip()), text[-200:]
	    reads += 1
	print("%d whole reads" % reads)
	PY
	daemon_term && test "$(ls -A prom)" = tlslogd.prom
'

follow_test 'metrics_listen: GET /metrics on 127.0.0.1 only, 404 and 405 elsewhere' '
	port=$(free_port) && fails 1 12 >mail.log &&
	conf "metrics_listen $port" && daemon_run -c t.conf && wait_events t.db 12 &&
	grep -q "serving http://127.0.0.1:$port/metrics" daemon.err &&
	wait_for "scrape http://127.0.0.1:$port/metrics >m.txt && sum m.txt tlslogd_events_stored_total" 12 &&
	valid m.txt &&
	test "$(status GET http://127.0.0.1:$port/metrics)" = "200 text/plain; version=0.0.4; charset=utf-8" &&
	test "$(status HEAD http://127.0.0.1:$port/metrics | cut -d" " -f1)" = 200 &&
	test "$(status GET http://127.0.0.1:$port/)" = 404 &&
	test "$(status GET http://127.0.0.1:$port/metrics/x)" = 404 &&
	test "$(status POST http://127.0.0.1:$port/metrics)" = 405 &&
	# Bound to the loopback address, not to every address.
	hexport=$(printf "%04X" "$port") &&
	grep -q "0100007F:$hexport 00000000:0000 0A" /proc/net/tcp &&
	! grep -q "00000000:$hexport 00000000:0000 0A" /proc/net/tcp &&
	! grep -q ":$hexport 00000000000000000000000000000000:0000 0A" /proc/net/tcp6 &&
	# More connections than it takes at once, some with half a request,
	# then closed: the endpoint answers the next scrape.
	python3 - "$port" <<-\PY &&
	import socket, sys
	idle = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(20)]
	for s in idle[:5]:
	    s.sendall(b"GET /metr")
	PY
	scrape http://127.0.0.1:$port/metrics >m2.txt && valid m2.txt &&
	# Clients that connect and say nothing, kept open: they are dropped
	# after the idle time and the scrape waiting behind them is answered.
	python3 - "$port" <<-\PY &&
	import socket, sys, urllib.request
	held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(12)]
	body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=120).read()
	assert b"tlslogd_build_info" in body
	PY
	fails 13 15 >>mail.log && wait_events t.db 15 &&
	daemon_term
'

follow_test 'a source that cannot keep up shows its lag in bytes and seconds' '
	port=$(free_port) && fails 1 3 >mail.log &&
	conf "metrics_listen $port" && daemon_run -c t.conf && wait_events t.db 3 &&
	wait_for "scrape http://127.0.0.1:$port/metrics | grep -c \"^tlslogd_source_lag_bytes{.*} 0$\"" 1 &&
	kill -STOP "$dpid" &&
	python3 -c "import sys
line = \"Nov 21 08:32:00 mx1 postfix/smtpd[4242]: connect from unknown[198.51.100.9] \" + \"x\" * 100 + \"\n\"
sys.stdout.write(line * 300000)" >>mail.log &&
	fails 4 4 >>mail.log &&
	size=$(stat -c %s mail.log) &&
	stopped=$(now_ms) &&
	# The request is sent (and queued by the kernel) while the daemon is
	# stopped; it is answered between two of the daemon'"'"'s reads.
	{ python3 - "$port" >lag.txt <<-\PY &
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=120)
	s.sendall(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
	open("sent", "w").close()
	data = b""
	while True:
	    chunk = s.recv(65536)
	    if not chunk:
	        break
	    data += chunk
	sys.stdout.write(data.split(b"\r\n\r\n", 1)[1].decode())
	PY
	} && spid=$! &&
	wait_until 60 "test -e sent" &&
	# Stopped for a second at least, so that the lag in seconds is one at least.
	wait_until 60 "[ \$((\$(now_ms) - $stopped)) -ge 1000 ]" &&
	kill -CONT "$dpid" && wait "$spid" &&
	bytes=$(value lag.txt "tlslogd_source_lag_bytes{source=\"$PWD/mail.log\"}") &&
	secs=$(value lag.txt "tlslogd_source_lag_seconds{source=\"$PWD/mail.log\"}") &&
	echo "lag seen: $bytes bytes, $secs s (file $size bytes)" >>"$notes" &&
	test "$bytes" -gt 0 && test "$bytes" -le "$size" &&
	python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 1.0 else 1)" "$secs" &&
	wait_events t.db 4 60 &&
	wait_for "scrape http://127.0.0.1:$port/metrics | grep -c \"^tlslogd_source_lag_seconds{.*} 0.000$\"" 1 &&
	daemon_term
'

follow_test 'a reload keeps the counters; a port in use is logged and the daemon goes on' '
	port=$(free_port) && fails 1 10 >mail.log &&
	conf "metrics_listen $port" && daemon_run -c t.conf && wait_events t.db 10 &&
	wait_for "scrape http://127.0.0.1:$port/metrics >a.txt && value a.txt tlslogd_lines_read_total" "$(wc -l <mail.log | tr -d " ")" &&
	kill -HUP "$dpid" && wait_log "configuration and rules reloaded" &&
	fails 11 12 >>mail.log && wait_events t.db 12 &&
	wait_for "scrape http://127.0.0.1:$port/metrics >b.txt && sum b.txt tlslogd_events_stored_total" 12 &&
	test "$(value b.txt tlslogd_lines_read_total)" -ge "$(value a.txt tlslogd_lines_read_total)" &&
	test "$(value b.txt tlslogd_start_time_seconds)" = "$(value a.txt tlslogd_start_time_seconds)" &&
	# A second daemon (its own database) asking for the same port.
	mkdir two && (cd two && fails 1 2 >mail.log && conf "metrics_listen $port") &&
	{ (cd two && exec "$TLSLOGD" run -d -c t.conf 2>daemon.err) & } && tpid=$! &&
	bg_add "$tpid" &&
	wait_until 30 "grep -q \"metrics_listen 127.0.0.1:$port: cannot listen\" two/daemon.err" &&
	wait_events two/t.db 2 &&
	kill -TERM "$tpid" && wait "$tpid" &&
	daemon_term
'

follow_test 'a folder the file cannot be written to is logged once; the events still land' '
	fails 1 5 >mail.log &&
	conf "metrics_file $PWD/later/tlslogd.prom" "metrics_interval 1s" &&
	daemon_run -c t.conf && wait_events t.db 5 &&
	wait_log "metrics_file $PWD/later/tlslogd.prom: cannot write it" &&
	fails 6 8 >>mail.log && wait_events t.db 8 &&
	mkdir later && wait_log "metrics_file $PWD/later/tlslogd.prom: written again" &&
	test "$(log_count "cannot write it")" = 1 &&
	wait_for "sum later/tlslogd.prom tlslogd_events_stored_total" 8 &&
	daemon_term
'

test_expect_success 'a wrong metrics_listen line names its file and line, and run -n fails' '
	: >mail.log &&
	for bad in "localhost:9809" "70000" "::1:9809" "127.0.0.1:"; do
		conf "metrics_listen $bad" &&
		test_exit_code 2 "$TLSLOGD" run -n -c t.conf 2>err &&
		grep -q "t.conf:5: metrics_listen" err || { cat err; exit 1; }
	done &&
	conf "metrics_interval 0s" && test_exit_code 2 "$TLSLOGD" run -n -c t.conf 2>err &&
	grep -q "t.conf:5: metrics_interval" err &&
	conf "metrics_listen [::1]:9809" "metrics_file /tmp/x.prom" &&
	"$TLSLOGD" run -n -c t.conf >out
'

if command -v promtool >/dev/null 2>&1; then
	test_expect_success 'the alert rules in contrib/ load, and fire as their tests say' '
		cp "$TLSLOGD_SRCDIR/contrib/prometheus/tlslogd-alerts.yml" \
			"$TLSLOGD_SRCDIR/tests/prometheus/alerts-test.yml" . &&
		promtool check rules tlslogd-alerts.yml &&
		promtool test rules alerts-test.yml
	'
else
	test_skip 'the alert rules in contrib/ load, and fire as their tests say' \
		'promtool (Debian: prometheus) is not installed'
fi

follow_test 'the dashboard and the alerts use only metrics the daemon exports' '
	port=$(free_port) && fails 1 3 >mail.log &&
	conf "metrics_listen $port" && daemon_run -c t.conf && wait_events t.db 3 &&
	scrape http://127.0.0.1:$port/metrics >m.txt && daemon_term &&
	python3 - m.txt "$TLSLOGD_SRCDIR/contrib/prometheus/tlslogd-dashboard.json" \
		"$TLSLOGD_SRCDIR/contrib/prometheus/tlslogd-alerts.yml" <<-\PY
	import json, re, sys
	exported = set()
	for line in open(sys.argv[1]):
	    m = re.match(r"# TYPE (\S+) (\S+)", line)
	    if m:
	        exported.add(m.group(1))
	        if m.group(2) == "histogram":
	            exported.update(m.group(1) + s for s in ("_bucket", "_sum", "_count"))
	dash = json.load(open(sys.argv[2]))
	exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
	exprs += [v["query"] for v in dash["templating"]["list"] if v["type"] == "query"]
	exprs.append(open(sys.argv[3]).read())
	used = set(n for e in exprs for n in re.findall(r"\btlslogd_[a-z_]+", e))
	unknown = sorted(used - exported)
	assert not unknown, "not exported: %s" % unknown
	assert len(used) >= 10, used
	PY
'

test_done
