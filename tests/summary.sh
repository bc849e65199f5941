#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# summary.sh: `tlslogd summary`: the report as text and HTML on a fixture
# database of two servers (Postfix lines of mx1, an Exim mainlog of mx2) with
# peers whose names, HELOs and users are hostile; the mail it builds, handed to
# a fake sendmail and parsed with Python's email package (headers, exactly two
# parts, nothing from a log in a header or as a part, the hostile text escaped);
# --skip-empty and "all quiet"; a failing sendmail; and a delivery through a
# real MTA's sendmail interface (a private Exim instance) when one is installed.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

# The advice of the source tree (tlslogd.conf(5) advice): nothing is installed yet.
printf 'advice %s/advice\n' "$TLSLOGD_SRCDIR" >"$test_scratch/advice.conf"

rules="--patterns $TLSLOGD_PATTERNS"

# The fixture, in lines relative to now (UTC), written as bytes: some values
# hold a CR, an invalid UTF-8 byte or a right-to-left override. Minutes ago:
# the period is the last 24h (1440 minutes), the one before 1440..2880.
python3 - <<-\PY || exit 99
	import time
	now = int(time.time())
	def iso(ago):
	    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(ago * 60)))
	def exim(ago):
	    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now - int(ago * 60)))
	pid = [1000]
	def nextpid():
	    pid[0] += 1
	    return pid[0]
	pf, ex = [], []
	def auth(ago, ip, host="unknown", user=None):
	    line = "%s mx1 postfix/smtpd[%d]: warning: %s[%s]: SASL LOGIN authentication failed: authentication failure" % (iso(ago), nextpid(), host, ip)
	    line = line.encode()
	    if user is not None:
	        line += b", sasl_username=" + user
	    pf.append(line)
	def tls(ago, ip, host):
	    p = nextpid()
	    pf.append(("%s mx1 postfix/smtpd[%d]: SSL_accept error from %s[%s]: -1" % (iso(ago), p, host, ip)).encode())
	    pf.append(("%s mx1 postfix/smtpd[%d]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:" % (iso(ago), p)).encode())
	    pf.append(("%s mx1 postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (iso(ago), p, host, ip)).encode())
	def exim_auth(ago, ip, helo, user):
	    ex.append(b"%s [%d] login authenticator failed for (%s) [%s]: 535 Incorrect authentication data (set_id=%s)" % (exim(ago).encode(), nextpid(), helo, ip.encode(), user))
	def exim_tls(ago, ip, helo):
	    ex.append(b"%s [%d] TLS error on connection from (%s) [%s] (gnutls_handshake): No supported cipher suites have been found." % (exim(ago).encode(), nextpid(), helo, ip.encode()))

	# mx1: a password guesser (flagged), a peer with broken TLS (flagged, with its domain).
	for i in range(6):
	    auth(30 + i, "192.0.2.7", user=b"admin")
	for i in range(3):
	    tls(120 + 5 * i, "203.0.113.9", "mail.example.net")
	# mx1: hostile reverse names (no blanks in a Postfix host name) and users.
	for i in range(5):
	    auth(200 + i, "192.0.2.61", host="<script>alert(1)</script>")
	for i in range(4):
	    auth(300 + i, "192.0.2.62", host="=?utf-8?b?QmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?=")
	for i in range(4):
	    auth(400 + i, "192.0.2.63", user=b"x\rBcc: victim@example.com")
	# A user that ends in CR, then a line of its own: the log file holds CR LF.
	pf.append(pf[-1][:pf[-1].index(b"sasl_username=")] + b"sasl_username=a\r")
	pf.append(b"Bcc: victim@example.com")
	for i in range(3):
	    auth(500 + i, "192.0.2.64", user=b"--=_tlslogd_0123456789abcdef0123456789abcdef\r--boundary")
	# mx1: a guesser of the day before yesterday, flagged then and cleared in the period.
	for i in range(5):
	    auth(2400 + i, "192.0.2.40")

	# mx2 (an Exim mainlog): hostile HELOs and users (CR, a right-to-left override,
	# a byte that is not UTF-8), a very long HELO, TLS that fails.
	for i in range(3):
	    exim_auth(60 + i, "192.0.2.77", b"evil\rBcc: victim@example.com <img src=x onerror=alert`1`>",
	        b"=?utf-8?q?=0D=0ABcc:_victim@example.com?=")
	for i in range(3):
	    exim_tls(90 + i, "192.0.2.78", b"A" * 3000)
	for i in range(2):
	    exim_tls(100 + i, "192.0.2.79", b"\xe2\x80\xaeevil\xff.")
	# mx2 the day before: for the comparison with the previous period.
	for i in range(2):
	    exim_auth(1800 + i, "198.51.100.3", b"old.example", b"bob")

	pf.sort(key=lambda l: l[:25])
	ex.sort()
	open("mx1.log", "wb").write(b"\n".join(pf) + b"\n")
	open("mx2.log", "wb").write(b"\n".join(ex) + b"\n")
	PY

# The fake sendmail: saves its arguments and its input, numbered; exits $FAKE_STATUS.
cat >fake-sendmail <<-EOF
	#!/bin/sh
	n=\$(ls "$PWD"/sent.*.eml 2>/dev/null | wc -l)
	printf '%s\n' "\$@" >"$PWD/sent.\$n.argv"
	cat >"$PWD/sent.\$n.eml"
	exit \${FAKE_STATUS:-0}
	EOF
chmod +x fake-sendmail

printf 'mail_from tlslogd@mx1.example.com\nmail_to postmaster@example.com ops@example.org\nsendmail %s -t -oi\nadvice %s/advice\n' \
	"$PWD/fake-sendmail" "$TLSLOGD_SRCDIR" >mail.conf

# check_mail FILE [ADDRESS...]: the message parses as promised (see below).
cat >check_mail.py <<-\PY
	import email, email.policy, re, sys, html.parser
	raw = open(sys.argv[1], "rb").read()
	want_to = sys.argv[2:]
	# Every line short and ASCII; LF line ends (sendmail adds the CR).
	for n, line in enumerate(raw.split(b"\n")):
	    assert len(line) <= 78, "line %d: %d bytes" % (n, len(line))
	    assert all(32 <= b < 127 or b == 9 for b in line), "line %d not ASCII: %r" % (n, line)
	msg = email.message_from_bytes(raw, policy=email.policy.default)
	assert not msg.defects, msg.defects
	names = sorted(k.lower() for k in msg.keys())
	assert names == sorted(["date", "from", "to", "subject", "message-id", "mime-version",
	    "auto-submitted", "content-type"]), names
	assert msg["Date"].datetime is not None
	assert re.fullmatch(r"<[0-9]{14}\.[0-9]+\.[0-9a-f]{16}@[A-Za-z0-9.-]+>", msg["Message-ID"]), msg["Message-ID"]
	assert msg["From"].addresses[0].addr_spec == "tlslogd@mx1.example.com", msg["From"]
	assert [a.addr_spec for a in msg["To"].addresses] == want_to, msg["To"]
	assert msg["MIME-Version"] == "1.0"
	assert msg.get_content_type() == "multipart/alternative"
	parts = list(msg.iter_parts())
	assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"], parts
	assert len(list(msg.walk())) == 3, [p.get_content_type() for p in msg.walk()]
	for p in parts:
	    assert p.get_content_charset() == "utf-8"
	    assert p["Content-Transfer-Encoding"] == "quoted-printable"
	    assert not p.defects, p.defects
	    assert sorted(k.lower() for k in p.keys()) == ["content-transfer-encoding", "content-type"], p.keys()
	subject = msg["Subject"]
	assert re.fullmatch(r"tlslogd: (all quiet|no TLS or AUTH failures|[0-9]+ TLS (and|or) AUTH failures?) "
	    r"on ([A-Za-z0-9.-]+|[0-9]+ servers) (in the last 24 hours|from [0-9: -]+ to [0-9: -]+ UTC)"
	    r"(, [0-9]+ new peers?)?(, [0-9]+ peers? newly flagged)?(, [0-9]+ flags? cleared)?", subject), subject
	text = parts[0].get_content()
	page = parts[1].get_content()
	open(sys.argv[1] + ".txt", "w").write(text)
	open(sys.argv[1] + ".html", "w").write(page)
	# The HTML holds only our own elements: no element or attribute came from a log.
	allowed = {"html", "head", "meta", "title", "body", "table", "tr", "td", "th", "h1", "h2",
	    "p", "b", "span", "ul", "ol", "li", "div", "br", "code"}
	class Tags(html.parser.HTMLParser):
	    def handle_starttag(self, tag, attrs):
	        assert tag in allowed, tag
	        for name, value in attrs:
	            assert name in {"lang", "charset", "name", "content", "style", "role", "cellpadding",
	                "cellspacing", "border", "width", "height", "bgcolor", "align", "valign",
	                "colspan"}, name
	t = Tags()
	t.feed(page)
	t.close()
	print(subject)
	PY

# check_html FILE: only our elements and attributes (the part of check_mail.py about HTML).
check_html() {
	python3 - "$1" <<-\PY
	import sys, html.parser
	allowed = {"html", "head", "meta", "title", "body", "table", "tr", "td", "th", "h1", "h2",
	    "p", "b", "span", "ul", "ol", "li", "div", "br", "code"}
	class Tags(html.parser.HTMLParser):
	    def handle_starttag(self, tag, attrs):
	        assert tag in allowed, tag
	        assert all(not n.startswith("on") and n != "src" for n, v in attrs), attrs
	Tags().feed(open(sys.argv[1], encoding="utf-8").read())
	PY
}

# no_raw_control FILE: no control character but LF (no CR, no escape) and valid UTF-8.
no_raw_control() {
	python3 -c 'import sys
data = open(sys.argv[1], "rb").read()
data.decode("utf-8")
bad = [b for b in set(data) if (b < 32 and b != 10) or b == 127]
assert not bad, bad' "$1"
}

test_expect_success 'the fixture: two servers, flags raised and cleared' '
	tlslogd scan -q -c /dev/null $rules --db s.db mx1.log &&
	tlslogd scan -q -c /dev/null $rules --db s.db --mta exim --server mx2 mx2.log &&
	sql s.db "SELECT server, count(*) FROM events GROUP BY server ORDER BY server" >servers &&
	printf "mx1|31\nmx2|10\n" >expect &&
	test_cmp expect servers &&
	sql s.db "SELECT peer, threshold, cleared IS NULL FROM flags ORDER BY peer, threshold" >flags &&
	cat flags &&
	grep "^192.0.2.7|guessing|1$" flags &&
	grep "^192.0.2.61|guessing|1$" flags &&
	grep "^192.0.2.40|guessing|0$" flags &&
	grep "^203.0.113.9|tls|1$" flags
'

test_expect_success 'text: totals against the day before, changes, causes once, peers, chart' '
	tlslogd summary -c "$test_scratch/advice.conf" --db s.db >out.txt &&
	cat out.txt &&
	grep "^34 TLS and AUTH failures from 9 peers, up 386% from 7 in the 24 hours before\.$" out.txt &&
	grep "^6 peers newly flagged, 1 cleared; 6 peers are flagged now\.$" out.txt &&
	grep "^Per server: mx1 26 (up 420%), mx2 8 (up 300%)$" out.txt &&
	grep "^WHAT CHANGED SINCE THE 24 HOURS BEFORE$" out.txt &&
	grep "^  9 new peers failing: 192\.0\.2\.7 (6), " out.txt &&
	grep "^  2 peers recovered (failing before, not since): 192\.0\.2\.40 (5 auth_failed),$" out.txt &&
	grep "^  New kinds: tls_no_shared_cipher (8)$" out.txt &&
	grep "^  Newly flagged: 192\.0\.2\.7 (guessing), " out.txt &&
	grep "^    192\.0\.2\.40 (guessing)$" out.txt &&
	grep "^  auth_failed (in, postfix): 23 failures from 5 peers, up 360%$" out.txt &&
	grep "^  tls_no_shared_cipher (in, exim): 5 failures from 2 peers, new$" out.txt &&
	grep "^    Reason \"No supported cipher suites have been found\"$" out.txt &&
	test "$(grep -c "^    What to do: " out.txt)" -ge 1 &&
	grep "^WORST PEERS$" out.txt &&
	grep "^   1\. 192\.0\.2\.7: 6 auth_failed for 5 minutes on mx1, new, flagged now (guessing)$" out.txt &&
	grep "^FAILURES PER HOUR (UTC), HIGHEST [0-9]* AT " out.txt &&
	test "$(wc -l <out.txt)" -le 55
'

test_expect_success 'text: hostile values are escaped, cut, and shown as data' '
	no_raw_control out.txt &&
	grep -F "<script>alert(1)</script>" out.txt &&
	grep -F "(HELO \"evil\\x0dBcc: victim@example.com <img src~\")" out.txt &&
	! grep "A\{41\}" out.txt &&
	awk "length > 140 { exit 1 }" out.txt
'

test_expect_success 'html: a page of our own elements, with the hostile text escaped' '
	tlslogd summary -c "$test_scratch/advice.conf" --db s.db --format html >out.html &&
	no_raw_control out.html &&
	check_html out.html &&
	grep -F "&lt;script&gt;alert(1)&lt;/script&gt;" out.html &&
	! grep -F "<script" out.html &&
	! grep -F "<img" out.html &&
	grep -F "&lt;img src=x onerror=alert\`1\`&gt;" out.html &&
	grep -F "=?utf-8?b?QmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?=" out.html &&
	grep -F "Failures per hour (UTC)" out.html &&
	test "$(grep -c "bgcolor=\"#c0392b\"" out.html)" -ge 4 &&
	grep -F "What to do:" out.html &&
	grep -F "2 user names, e.g. &quot;x\\x0dBcc: victim@example.com&quot;" out.html &&
	grep -F "\\xe2\\x80\\xaeevil\\xff." out.html &&
	grep -F "AAAAAAAAAA~" out.html
'

test_expect_success 'mail: a well-formed two-part message to mail_to, nothing from a log in a header' '
	rm -f sent.* &&
	tlslogd summary -c mail.conf --db s.db --mail 2>err &&
	cat err && test ! -s err &&
	test -f sent.0.eml && test ! -f sent.1.eml &&
	printf "%s\n" -t -oi >expect && test_cmp expect sent.0.argv &&
	python3 check_mail.py sent.0.eml postmaster@example.com ops@example.org >subject &&
	cat subject &&
	grep "^tlslogd: 34 TLS and AUTH failures on 2 servers in the last 24 hours, 9 new peers, 6 peers newly flagged, 1 flag cleared$" subject &&
	! grep -i "^bcc:" sent.0.eml &&
	! grep -i "^content-type: text/html; charset=utf-8$" sent.0.eml.txt &&
	grep -F "&lt;script&gt;alert(1)&lt;/script&gt;" sent.0.eml.html &&
	! grep -F "<script" sent.0.eml.html &&
	grep -F "x\\x0dBcc: victim@example.com" sent.0.eml.html &&
	grep -F -- "--=_tlslogd_0123456789abcdef0123456789abcdef\\x0d--boundary" sent.0.eml.html &&
	grep -F "34 TLS and AUTH failures" sent.0.eml.txt
'

test_expect_success 'mail: addresses on the command line, --sendmail, a new Message-ID each time, argv as configured' '
	rm -f sent.* &&
	tlslogd summary -c mail.conf --db s.db --mail a@example.com --sendmail "$PWD/fake-sendmail" b@example.net &&
	tlslogd summary -c mail.conf --db s.db --mail a@example.com &&
	python3 check_mail.py sent.0.eml a@example.com b@example.net &&
	python3 check_mail.py sent.1.eml a@example.com &&
	test "$(grep -h "^Message-ID:" sent.0.eml sent.1.eml | sort -u | wc -l)" = 2 &&
	test "$(grep -h "boundary=" sent.0.eml sent.1.eml | sort -u | wc -l)" = 2 &&
	rm -f sent.* &&
	printf "sendmail %s -t -oi -f bounces@example.com\nmail_to ops@example.org\n" "$PWD/fake-sendmail" >args.conf &&
	tlslogd summary -c args.conf --db s.db --mail &&
	printf "%s\n" -t -oi -f bounces@example.com >expect &&
	test_cmp expect sent.0.argv
'

test_expect_success 'mail: no recipient, a bad address, a relative --sendmail: usage errors' '
	rm -f sent.* &&
	printf "sendmail %s\n" "$PWD/fake-sendmail" >norcpt.conf &&
	test_exit_code 2 tlslogd summary -c norcpt.conf --db s.db --mail 2>err &&
	grep "no recipient" err &&
	test_exit_code 2 tlslogd summary -c mail.conf --db s.db --mail "a@b.example
Bcc: victim@example.com" 2>err &&
	grep "is not a mail address" err &&
	test_exit_code 2 tlslogd summary -c mail.conf --db s.db --mail -- -oQ/tmp@example.com 2>err &&
	test_exit_code 2 tlslogd summary -c mail.conf --db s.db --mail --sendmail fake-sendmail 2>err &&
	grep "absolute file name" err &&
	test_exit_code 2 tlslogd summary -c mail.conf --db s.db --mail --format html 2>err &&
	test_exit_code 2 tlslogd summary -c mail.conf --db s.db a@example.com 2>err &&
	test_exit_code 2 tlslogd summary -c mail.conf --db s.db --format xml 2>err &&
	test_exit_code 2 tlslogd summary -c mail.conf --db s.db --since 1h --until 2h 2>err &&
	grep "period is empty" err &&
	test ! -f sent.0.eml
'

test_expect_success 'a failing sendmail: exit 1 and a message' '
	rm -f sent.* &&
	FAKE_STATUS=75 test_exit_code 1 tlslogd summary -c mail.conf --db s.db --mail 2>err &&
	cat err &&
	grep "fake-sendmail exited with status 75; the mail was not sent" err &&
	test_exit_code 1 tlslogd summary -c mail.conf --db s.db --mail --sendmail "$PWD/no-such-sendmail" 2>err &&
	cat err &&
	grep "cannot run .*no-such-sendmail: No such file or directory" err &&
	printf "#!/bin/sh\nkill -9 \$\$\n" >killed-sendmail && chmod +x killed-sendmail &&
	test_exit_code 1 tlslogd summary -c mail.conf --db s.db --mail --sendmail "$PWD/killed-sendmail" 2>err &&
	grep "killed by signal 9" err
'

test_expect_success 'an empty period: "all quiet", or nothing with --skip-empty' '
	rm -f sent.* &&
	old="--since 2020-01-01 --until 2020-01-02" &&
	tlslogd summary -c mail.conf --db s.db $old --skip-empty >out &&
	test ! -s out &&
	tlslogd summary -c mail.conf --db s.db $old --mail --skip-empty &&
	test ! -f sent.0.eml &&
	tlslogd summary -c mail.conf --db s.db $old >out &&
	cat out &&
	grep "^All quiet: no TLS or AUTH failures, and no peer flagged or cleared\.$" out &&
	tlslogd summary -c mail.conf --db s.db $old --mail &&
	python3 -c "import email, email.policy
m = email.message_from_bytes(open(\"sent.0.eml\", \"rb\").read(), policy=email.policy.default)
import re
assert re.fullmatch(\"tlslogd: all quiet on [A-Za-z0-9.-]+ from 2020-01-01 00:00 to 2020-01-02 00:00 UTC\", m[\"Subject\"]), m[\"Subject\"]
assert [p.get_content_type() for p in m.iter_parts()] == [\"text/plain\", \"text/html\"]
assert \"All quiet\" in m.get_body((\"plain\",)).get_content()" &&
	: >empty.log && tlslogd scan -q -c /dev/null $rules --db empty.db empty.log &&
	rm -f sent.* &&
	tlslogd summary -c mail.conf --db empty.db --mail --skip-empty &&
	test ! -f sent.0.eml &&
	tlslogd summary -c mail.conf --db empty.db --mail &&
	python3 check_mail.py sent.0.eml postmaster@example.com ops@example.org >subject &&
	grep "^tlslogd: all quiet on [A-Za-z0-9.-]* in the last 24 hours$" subject
'

test_expect_success 'one server: its top 10, events without a peer, long flag lists cut' '
	python3 - <<-\PY &&
	import time
	now = int(time.time())
	out = []
	for p in range(16):
	    for i in range(5):
	        t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 3600 - p * 600 - i * 10))
	        out.append("%s mx1 postfix/smtpd[%d]: warning: unknown[192.0.2.%d]: SASL LOGIN authentication failed: authentication failure" % (t, 2000 + p * 10 + i, 100 + p))
	for i in range(6):
	    t = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 600 - i * 60))
	    out.append("%s mx1 postfix/smtpd[%d]: warning: TLS library problem: error:80000002:system library::No such file or directory:crypto/bio/bss_file.c:67:calling fopen(/etc/postfix/tls/mx1.pem, r):" % (t, 3000 + i))
	out.sort()
	open("one.log", "w").write("\n".join(out) + "\n")
	PY
	tlslogd scan -q -c /dev/null $rules --db one.db one.log &&
	test "$(sql one.db "SELECT count(*) FROM flags")" = 16 &&
	tlslogd summary -c "$test_scratch/advice.conf" --db one.db >one.txt &&
	cat one.txt &&
	! grep "^FAILURES BY SERVER" one.txt &&
	grep "^WORST PEERS$" one.txt &&
	grep "^   1\. (no peer named in the log): [56] tls_local_error for [45] minutes, new$" one.txt &&
	grep "^  Newly flagged: " one.txt && grep "(guessing), and 11 more$" one.txt &&
	test "$(wc -l <one.txt)" -le 50 &&
	tlslogd summary -c "$test_scratch/advice.conf" --db one.db --format html >one.html &&
	check_html one.html &&
	test "$(grep -o "(guessing):" one.html | wc -l)" = 15 &&
	grep "and 1 more" one.html
'

# A realistic day: 49 failures from 14 peers (a guesser, a user-name guesser, a
# spray of 8 single tries, broken TLS in and out), and a day before with two
# peers that stopped failing since. The text part must fit in 50 lines (a mail
# reader's or a terminal's screen).
test_expect_success 'a realistic day: one screen, changes first, advice once per cause, prompts decoded' '
	python3 - <<-\PY &&
	import time, random
	random.seed(7)
	now = int(time.time())
	def iso(ago):
	    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - int(ago * 60)))
	out = []
	pid = [3000]
	def np():
	    pid[0] += 1
	    return pid[0]
	def auth(ago, ip, prompt="UGFzc3dvcmQ6", host="unknown"):
	    out.append((ago, "%s mx1 postfix/submission/smtpd[%d]: warning: %s[%s]: SASL LOGIN authentication failed: %s" % (iso(ago), np(), host, ip, prompt)))
	def tlsin(ago, ip, host, err="error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:"):
	    p = np()
	    out.append((ago, "%s mx1 postfix/smtpd[%d]: SSL_accept error from %s[%s]: -1" % (iso(ago), p, host, ip)))
	    out.append((ago - 0.001, "%s mx1 postfix/smtpd[%d]: warning: TLS library problem: %s" % (iso(ago), p, err)))
	    out.append((ago - 0.002, "%s mx1 postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 starttls=0/1 commands=1/2" % (iso(ago), p, host, ip)))
	def mismatch(ago, ip, host):
	    p = np()
	    out.append((ago, "%s mx1 postfix/smtp[%d]: server certificate verification failed for %s[%s]:25: num=62:hostname mismatch" % (iso(ago), p, host, ip)))
	    out.append((ago - 0.001, "%s mx1 postfix/smtp[%d]: 4bXk2Q1Tz%05d: to=<carol@partner.example>, relay=%s[%s]:25, delay=1.5, delays=0.01/0/1.4/0, dsn=4.7.5, status=deferred (Server certificate not verified)" % (iso(ago), p, p, host, ip)))
	# The day (0..1440 minutes ago)
	for i in range(14): auth(60 + i * 7, "192.0.2.7")              # guesser, new
	for i in range(9): auth(300 + i * 20, "192.0.2.8", "VXNlcm5hbWU6")  # guesser at the user name, continuing
	for ip in range(20, 28): auth(500 + ip * 3, "198.51.100.%d" % ip)   # a spray: 8 peers, once each
	for i in range(6): tlsin(100 + i * 150, "203.0.113.9", "mail.example.net")
	for i in range(4): tlsin(200 + i * 30, "192.0.2.202", "old.example.org", "error:0A000102:SSL routines::unsupported protocol:ssl/statem/statem_srvr.c:1657:")
	for i in range(5): mismatch(40 + i * 60, "203.0.113.30", "mx.partner.example")
	for i in range(3): auth(900 + i, "192.0.2.99")
	# The day before (1440..2880)
	for i in range(5): auth(1500 + i, "192.0.2.40")                # recovered
	for i in range(7): tlsin(1600 + i * 10, "198.51.100.77", "slow.example.net")   # recovered
	for i in range(6): auth(1700 + i * 30, "192.0.2.8", "VXNlcm5hbWU6")
	for i in range(3): tlsin(2000 + i * 30, "203.0.113.9", "mail.example.net")
	for i in range(2): mismatch(2100 + i, "203.0.113.30", "mx.partner.example")
	out.sort(key=lambda x: -x[0])
	open("day.log", "w").write("\n".join(l for a, l in out) + "\n")
	PY
	tlslogd scan -q -c /dev/null $rules --db day.db day.log &&
	tlslogd summary -c "$test_scratch/advice.conf" --db day.db >day.txt &&
	cat day.txt &&
	test "$(wc -l <day.txt)" -le 50 &&
	grep "^49 TLS and AUTH failures from 14 peers, up 113% from 23 in the 24 hours before\.$" day.txt &&
	grep -n "^WHAT CHANGED SINCE THE 24 HOURS BEFORE$" day.txt | grep "^[0-9]:" &&
	grep "^  11 new peers failing: 192\.0\.2\.7 (14), 192\.0\.2\.202 (4), " day.txt &&
	grep "^  2 peers recovered (failing before, not since): 198\.51\.100\.77 (7$" day.txt &&
	grep "^    tls_no_shared_cipher), 192\.0\.2\.40 (5 auth_failed)$" day.txt &&
	grep "^  New kinds: tls_protocol_mismatch (4)$" day.txt &&
	test "$(grep -c "^    What to do: Wrong user name or password" day.txt)" = 1 &&
	test "$(grep -c "^  auth_failed (in, postfix): 34 failures from 11 peers" day.txt)" = 1 &&
	grep -F "Reason \"UGFzc3dvcmQ6\" (the SASL prompt \"Password:\", in base64)" day.txt &&
	grep "^   1\. 192\.0\.2\.7: 14 auth_failed for 2 hours, new$" day.txt &&
	grep "^   2\. 192\.0\.2\.8: 9 auth_failed for 3 hours$" day.txt &&
	! grep "[0-9]h[0-9][0-9]m" day.txt &&
	tlslogd summary -c "$test_scratch/advice.conf" --db day.db --format html >day.html &&
	check_html day.html &&
	grep -F "the SASL prompt &quot;Username:&quot;, in base64" day.html &&
	test "$(grep -o "What to do:" day.html | wc -l)" = 4 &&
	tlslogd summary -c "$test_scratch/advice.conf" --db day.db --since 36d >month.txt &&
	grep "in the 36 days before\.$" month.txt
'

# The HTML as a person sees it: rendered by a headless Chromium at a mail
# reader's width (640 px), then the laid-out page checked: nothing wider than
# the window, the chart's bars drawn with a height, no text cut by overflow.
browser=$(command -v chromium || command -v chromium-browser)
if [ -z "$browser" ]; then
	test_skip 'html in a headless browser: no overflow at 640 px, the chart drawn' \
		"no chromium installed (Debian package chromium): the rendered page cannot be checked"
else
	test_expect_success 'html in a headless browser: no overflow at 640 px, the chart drawn' '
		cat >probe.js <<-\EOF &&
		window.addEventListener("load", function () {
		  var w = document.documentElement.clientWidth, bad = [], bars = 0;
		  document.querySelectorAll("body *").forEach(function (e) {
		    var r = e.getBoundingClientRect();
		    if (r.right > w + 1) bad.push(e.tagName + ":" + Math.round(r.right));
		    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow == "hidden") bad.push("cut " + e.tagName);
		    if (e.getAttribute("bgcolor") == "#c0392b" && r.height >= 1 && r.width >= 3) bars++;
		  });
		  var p = document.createElement("pre");
		  p.id = "probe";
		  p.textContent = "width=" + w + " scroll=" + document.documentElement.scrollWidth + " bars=" + bars + " bad=" + bad.join(",");
		  document.body.appendChild(p);
		});
		EOF
		for f in day out; do
			sed "s|</body>|<script src=\"probe.js\"></script></body>|" $f.html >$f.probe.html &&
			timeout 120 "$browser" --headless --disable-gpu --no-sandbox --window-size=640,2000 \
				--virtual-time-budget=2000 --dump-dom "file://$PWD/$f.probe.html" >$f.dom 2>$f.err ||
				{ cat $f.err; return 1; }
			grep -o "width=[0-9]* scroll=[0-9]* bars=[0-9]* bad=[^<]*" $f.dom >$f.probe &&
			cat $f.probe &&
			grep -q "bad=$" $f.probe &&
			w=$(sed "s/width=\([0-9]*\).*/\1/" $f.probe) &&
			sc=$(sed "s/.*scroll=\([0-9]*\).*/\1/" $f.probe) &&
			test "$sc" -le "$w" &&
			test "$(sed "s/.*bars=\([0-9]*\).*/\1/" $f.probe)" -ge 4 || return 1
		done
	'
fi

test_expect_success 'a longer period gets longer bars; a period in the past is named by its dates' '
	tlslogd summary -c "$test_scratch/advice.conf" --db s.db --since 7d >week.txt &&
	grep "^FAILURES PER 4 HOURS (UTC)" week.txt &&
	grep "in the 7 days before\.$" week.txt &&
	tlslogd summary -c "$test_scratch/advice.conf" --db s.db --since 2d --until 1d >past.txt &&
	head -1 past.txt | grep "^tlslogd summary on .* from [0-9-]* [0-9:]* to [0-9-]* [0-9:]* UTC$"
'

test_expect_success 'the database is only read' '
	cp s.db ro.db && chmod 0444 ro.db &&
	sum1=$(cksum <ro.db) &&
	tlslogd summary -c "$test_scratch/advice.conf" --db ro.db >/dev/null &&
	test "$(cksum <ro.db)" = "$sum1" &&
	test_exit_code 1 tlslogd summary -c "$test_scratch/advice.conf" --db no-such.db 2>err &&
	grep "no-such.db" err
'

# A real MTA's sendmail interface: a private Exim (exim4 -C, as tests/capture
# does) whose only route is a mailbox file here. Postfix and Sendmail cannot
# run a private instance without root and their own queue, so only Exim is used.
exim=$(command -v exim4 || command -v exim)
if [ -z "$exim" ] || ! "$exim" -bV >/dev/null 2>&1; then
	test_skip 'delivery through a real MTA (private Exim instance)' \
		"no Exim installed (exim4 or exim): the real-MTA test needs one; Postfix is not used because a private Postfix needs root and a queue of its own"
else
	test_expect_success 'delivery through a real MTA (private Exim instance)' '
		if [ "$(id -u)" = 0 ]; then
			# Exim never delivers as root: the mailbox belongs to its own user.
			user=$(stat -c %U /var/spool/exim4 2>/dev/null || echo nobody)
			id "$user" >/dev/null 2>&1 || user=nobody
			group=$(id -gn "$user")
		else
			user=$(id -un) group=$(id -gn)
		fi
		mkdir -p exim/spool exim/log exim/mail &&
		chmod 0711 "$test_scratch" &&
		if [ "$(id -u)" = 0 ]; then chown -R "$user:$group" exim; fi &&
		cat >exim/exim.conf <<-EOF &&
		primary_hostname = tlslogd.test
		qualify_domain = tlslogd.test
		exim_user = $user
		exim_group = $group
		keep_environment =
		spool_directory = $PWD/exim/spool
		log_file_path = $PWD/exim/log/%slog
		pid_file_path = $PWD/exim/exim.pid
		begin routers
		mailbox:
		  driver = accept
		  domains = tlslogd.test
		  transport = mailbox
		begin transports
		mailbox:
		  driver = appendfile
		  file = $PWD/exim/mail/admin
		  user = $user
		  group = $group
		  mode = 0644
		EOF
		printf "sendmail %s -C %s -odi -t -oi\nmail_from tlslogd@mx1.example.com\nmail_to admin@tlslogd.test\n" \
			"$exim" "$PWD/exim/exim.conf" >exim.conf &&
		timeout 60 "$TLSLOGD" summary -c exim.conf --db s.db --mail 2>err
		status=$?
		cat err; cat exim/log/mainlog 2>/dev/null; cat exim/log/paniclog 2>/dev/null
		test "$status" = 0 &&
		test -s exim/mail/admin &&
		python3 - exim/mail/admin <<-\PY
		import mailbox, email.policy, sys
		msgs = list(mailbox.mbox(sys.argv[1], factory=None))
		assert len(msgs) == 1, len(msgs)
		import email
		m = email.message_from_bytes(msgs[0].as_bytes(), policy=email.policy.default)
		assert [p.get_content_type() for p in m.iter_parts()] == ["text/plain", "text/html"]
		assert m["To"].addresses[0].addr_spec == "admin@tlslogd.test"
		assert "Bcc" not in m and "victim" not in str(m["Subject"])
		assert "&lt;script&gt;" in m.get_body(("html",)).get_content()
		print(m["Subject"])
		PY
	'
fi

test_done
