#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bad-input.sh: hostile or broken input (NUL bytes, huge lines, escape
# sequences, invalid UTF-8, folders, unreadable files, files that are not
# databases, broken rules and configuration) gets a clear message and the
# documented exit status (1: an input or the database failed, 2: bad usage,
# configuration or rules), never a crash, and never costs an event already
# stored.
#
# The rules are a tiny folder written here, so that these tests do not depend
# on what the shipped patterns cover; the configuration is an empty file, so
# that a system tlslogd.conf never interferes.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

mkdir rules &&
cat >rules/postfix.rules <<\EOF &&
mta postfix
programs postfix/*

rule t-sasl-failed
  programs smtpd
  kind auth_failed
  direction in
  literal authentication failed
  pattern ^warning: (?:unknown(?=\[)|(?<peer_host>[^\s\[]+))\[(?<peer_ip>[^\]]+)\]: SASL (?<mech>[A-Z0-9-]+) authentication failed: (?<reason>[^,]*)(?:, sasl_username=(?<user>.*))?$
  example Nov 20 10:00:00 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: authentication failure, sasl_username=bob
  expect peer_host -
  expect peer_ip 192.0.2.1
  expect user bob
  expect mech LOGIN
  expect kind auth_failed

rule t-starttls-first
  programs smtpd
  kind tls_required
  direction in
  literal Must issue a STARTTLS command first
  pattern ^NOQUEUE: reject: [A-Z]+ from (?:unknown(?=\[)|(?<peer_host>[^\s\[]+))\[(?<peer_ip>[^\]]+)\]: (?<reason>530 5\.7\.0 Must issue a STARTTLS command first);.* helo=<(?<helo>[^>]*)>$
  example Nov 20 10:00:00 mx1 postfix/smtpd[100]: NOQUEUE: reject: MAIL from unknown[192.0.2.2]: 530 5.7.0 Must issue a STARTTLS command first; proto=ESMTP helo=<client.example>
  expect peer_ip 192.0.2.2
  expect helo client.example
  expect kind tls_required
EOF
: >empty.conf || exit 99

scan() {
	tlslogd scan -c "$test_scratch/empty.conf" --patterns "$test_scratch/rules" "$@"
}

query() {
	tlslogd query -c "$test_scratch/empty.conf" "$@"
}

# sasl_line SECOND IP USER: one Postfix SASL failure of Nov 20 10:00:SECOND.
sasl_line() {
	printf "Nov 20 10:00:%02d mx1 postfix/smtpd[100]: warning: unknown[%s]: SASL LOGIN authentication failed: authentication failure, sasl_username=%s\n" "$1" "$2" "$3"
}

# events DB [WHERE]: the number of stored events.
events() {
	sql "$1" "SELECT count(*) FROM events ${2:+WHERE $2}"
}

# Standard input is one JSON document in strict UTF-8.
valid_json() {
	python3 -c 'import json, sys
json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))'
}

# Log file times are the reference for the year of RFC 3164 dates.
set_mtime() {
	touch -d 2026-11-21T12:00:00Z "$@"
}

# Permissions mean nothing to root: there, the tests that need them run as
# "nobody" when setpriv can, and are skipped otherwise.
if [ "$(id -u)" != 0 ]; then
	as_user() {
		"$TLSLOGD" "$@"
	}
	unprivileged=yes
elif command -v setpriv >/dev/null 2>&1 && chmod 755 "$test_scratch" &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TLSLOGD" test-rules --check \
		-c "$test_scratch/empty.conf" --patterns "$test_scratch/rules" >/dev/null 2>&1; then
	as_user() {
		setpriv --reuid=65534 --regid=65534 --clear-groups "$TLSLOGD" "$@"
	}
	unprivileged=yes
else
	unprivileged=
fi

test_expect_success 'the test rules hold' '
	tlslogd test-rules -c empty.conf --patterns rules --check >check.out &&
	grep "^2 rules, 2 examples checked, 0 failures$" check.out
'

test_expect_success 'NUL bytes: the clean lines are found, no crash, JSON stays valid' '
	{
		sasl_line 1 192.0.2.1 alice &&
		printf "Nov 20 10:00:02 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: auth\000failure, sasl_username=nul\000user\n" &&
		sasl_line 3 192.0.2.1 carol &&
		printf "\000\000\000\000\n" &&
		printf "Nov 20 10:00:04 mx1 postfix/smtpd\000[100]: warning: unknown[192.0.2.1]: SASL\000\n" &&
		sasl_line 5 192.0.2.1 dave
	} >nul.log &&
	set_mtime nul.log &&
	test_exit_code 0 scan --db nul.db nul.log >out 2>err &&
	cat out err &&
	test "$(events nul.db "user IN ('"'alice'"', '"'carol'"', '"'dave'"')")" = 3 &&
	test "$(events nul.db)" -le 4 &&
	test_exit_code 0 query --db nul.db --peer 192.0.2.1 --format json >nul.json &&
	python3 -m json.tool <nul.json >/dev/null &&
	valid_json <nul.json &&
	test_exit_code 0 query --db nul.db --peer 192.0.2.1 >nul.table &&
	test "$(sed "/^\$/,\$d" nul.table | grep -c "auth_failed")" = "$(events nul.db)" &&
	test "$(tr -cd "\000" <nul.table | wc -c)" = 0
'

test_expect_success 'a 5 MB line: cut, counted in the summary, the lines after it still found' '
	{
		sasl_line 1 192.0.2.1 before &&
		printf "Nov 20 10:00:02 mx1 postfix/smtpd[100]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: authentication failure, sasl_username=" &&
		head -c 5000000 /dev/zero | tr "\000" x &&
		echo &&
		sasl_line 3 192.0.2.1 after1 &&
		sasl_line 4 192.0.2.1 after2
	} >long.log &&
	set_mtime long.log &&
	test "$(wc -l <long.log)" = 4 &&
	test_exit_code 0 scan --db long.db --max-line 1000 long.log >out 2>err &&
	cat out err &&
	grep "^scanned 1 file, 4 lines " out &&
	grep "^1 line longer than the limit cut$" out &&
	test "$(events long.db "user IN ('"'before'"', '"'after1'"', '"'after2'"')")" = 3 &&
	test "$(sql long.db "SELECT max(length(CAST(raw AS BLOB))) FROM events")" -le 1000
'

test_expect_success 'a 5 MB line under the default limit: one line cut, nothing lost' '
	test_exit_code 0 scan --db long2.db long.log >out 2>err &&
	cat out err &&
	grep "^1 line longer than the limit cut$" out &&
	test "$(events long2.db "user IN ('"'before'"', '"'after1'"', '"'after2'"')")" = 3
'

test_expect_success '--max-line above the line length: nothing cut' '
	test_exit_code 0 scan --db long3.db --max-line 6000000 long.log >out 2>err &&
	cat out err &&
	! grep "longer than the limit" out &&
	test "$(events long3.db "user IN ('"'before'"', '"'after1'"', '"'after2'"')")" = 3
'

test_expect_success 'a log ending in 5 MB without a newline: the lines appended later are found' '
	{
		sasl_line 1 192.0.2.1 first &&
		head -c 5000000 /dev/zero | tr "\000" z
	} >tail.log &&
	set_mtime tail.log &&
	test_exit_code 0 scan --db tail.db tail.log >out 2>err &&
	cat out err &&
	test "$(events tail.db "user = '"'first'"'")" = 1 &&
	{ echo && sasl_line 3 192.0.2.1 appended; } >>tail.log &&
	set_mtime tail.log &&
	test_exit_code 0 scan --db tail.db tail.log >out 2>err &&
	cat out err &&
	test "$(events tail.db)" = 2 &&
	test "$(events tail.db "user = '"'appended'"'")" = 1
'

# cut_tail_log FILE: a failure, then a line far longer than --max-line 1000
# that is still being written (no newline yet): the scan stops in its rest.
cut_tail_log() {
	{
		sasl_line 1 192.0.2.1 first &&
		printf "Nov 20 10:00:02 mx1 postfix/smtpd[100]: connect from " &&
		head -c 3000 /dev/zero | tr "\000" x
	} >"$1"
}

test_expect_success 'resuming in the rest of a cut line: its tail is never read as a line' '
	cut_tail_log forged.log &&
	set_mtime forged.log &&
	test_exit_code 0 scan --db forged.db --max-line 1000 forged.log >out 2>err &&
	cat out err &&
	test "$(events forged.db)" = 1 &&
	test "$(sql forged.db "SELECT offset FROM files")" = "$(wc -c <forged.log)" &&
	{ sasl_line 3 192.0.2.66 forged && sasl_line 4 192.0.2.1 after; } >>forged.log &&
	set_mtime forged.log &&
	test_exit_code 0 scan --db forged.db --max-line 1000 forged.log >out 2>err &&
	cat out err &&
	test "$(events forged.db "peer_ip = '"'192.0.2.66'"'")" = 0 &&
	test "$(events forged.db "user IN ('"'first'"', '"'after'"')")" = 2 &&
	test "$(events forged.db)" = 2
'

test_expect_success 'the same with threads: the first block skips the rest of the cut line' '
	cut_tail_log forged2.log &&
	set_mtime forged2.log &&
	test_exit_code 0 scan --db forged2.db --max-line 1000 -j 2 forged2.log >out 2>err &&
	test "$(events forged2.db)" = 1 &&
	{
		sasl_line 3 192.0.2.66 forged &&
		i=0 && while [ $i -lt 25000 ]; do
			echo "Nov 20 10:00:04 mx1 postfix/smtpd[100]: connect from unknown[192.0.2.1]"
			i=$((i + 1))
		done &&
		sasl_line 5 192.0.2.1 after
	} >>forged2.log &&
	test "$(wc -c <forged2.log)" -gt 1500000 &&
	set_mtime forged2.log &&
	test_exit_code 0 scan --db forged2.db --max-line 1000 -j 2 forged2.log >out 2>err &&
	cat out err &&
	test "$(events forged2.db "peer_ip = '"'192.0.2.66'"'")" = 0 &&
	test "$(events forged2.db "user IN ('"'first'"', '"'after'"')")" = 2 &&
	test "$(events forged2.db)" = 2
'

test_expect_success 'escape sequences and invalid UTF-8 in user, host and HELO are stored' '
	{
		printf "Nov 20 10:00:05 mx1 postfix/smtpd[100]: warning: evil\033]0;pwn\007\377\376.example[192.0.2.7]: SASL LOGIN authentication failed: authentication \033[31mfailure\033[0m, sasl_username=\033[31mbob\303(\n" &&
		printf "Nov 20 10:00:06 mx1 postfix/smtpd[101]: NOQUEUE: reject: MAIL from unknown[192.0.2.7]: 530 5.7.0 Must issue a STARTTLS command first; proto=ESMTP helo=<\033[31mred\377.example>\n"
	} >hostile.log &&
	set_mtime hostile.log &&
	test_exit_code 0 scan --db hostile.db hostile.log >out 2>err &&
	cat out err &&
	test "$(events hostile.db "peer_ip = '"'192.0.2.7'"'")" = 2 &&
	test "$(sql hostile.db "SELECT hex(user) FROM events WHERE user IS NOT NULL")" = 1B5B33316D626F62C328 &&
	test "$(sql hostile.db "SELECT hex(peer_host) FROM events WHERE peer_host IS NOT NULL")" = 6576696C1B5D303B70776E07FFFE2E6578616D706C65 &&
	test "$(sql hostile.db "SELECT hex(helo) FROM events WHERE helo IS NOT NULL")" = 1B5B33316D726564FF2E6578616D706C65
'

test_expect_success 'the table shows hostile fields escaped, never a raw ESC' '
	test_exit_code 0 query --db hostile.db --peer 192.0.2.7 >hostile.table &&
	cat hostile.table &&
	test "$(grep -c "$(printf "\033")" hostile.table)" = 0 &&
	test "$(tr -d "\n" <hostile.table | tr -d "\040-\176" | wc -c)" = 0 &&
	grep "authentication \\\\x1b\[31mfailure\\\\x1b\[0m; user=\\\\x1b\[31mbob" hostile.table
'

test_expect_success 'a hostile peer name in "No events for" is escaped too' '
	test_exit_code 0 query --db hostile.db --peer "$(printf "\033[31mnobody\377")" >none.table &&
	cat none.table &&
	test "$(grep -c "$(printf "\033")" none.table)" = 0 &&
	grep "^No events for \\\\x1b\[31mnobody\\\\xff (as a reverse or HELO name)\.$" none.table
'

test_expect_success 'hostile fields in JSON: valid UTF-8, the escapes kept as \u001b' '
	test_exit_code 0 query --db hostile.db --peer 192.0.2.7 --format json >hostile.json &&
	python3 -m json.tool <hostile.json >/dev/null &&
	valid_json <hostile.json &&
	test "$(grep -c "$(printf "\033")" hostile.json)" = 0 &&
	python3 -c "import json, sys
d = json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))
assert len(d) == 2, d
by_kind = {e[\"kind\"]: e for e in d}
assert by_kind[\"auth_failed\"][\"user\"] == \"\\x1b[31mbob\\ufffd(\", by_kind[\"auth_failed\"]
assert by_kind[\"auth_failed\"][\"peer_host\"] == \"evil\\x1b]0;pwn\\x07\\ufffd\\ufffd.example\", by_kind[\"auth_failed\"]
assert by_kind[\"tls_required\"][\"helo\"] == \"\\x1b[31mred\\ufffd.example\", by_kind[\"tls_required\"]
" <hostile.json
'

test_expect_success 'hostile fields in CSV: one record per line, no raw ESC' '
	test_exit_code 0 query --db hostile.db --peer 192.0.2.7 --format csv >hostile.csv &&
	cat hostile.csv &&
	test "$(wc -l <hostile.csv)" = 3 &&
	test "$(grep -c "$(printf "\033")" hostile.csv)" = 0
'

test_expect_success 'a directory as input: "is a directory", exit 1, the other files scanned' '
	mkdir adir &&
	sasl_line 10 192.0.2.10 d1 >d1.log &&
	sasl_line 11 192.0.2.10 d2 >d2.log &&
	set_mtime d1.log d2.log &&
	test_exit_code 1 scan --db dir.db d1.log adir d2.log >out 2>err &&
	cat out err &&
	grep "adir: is a directory" err &&
	test "$(events dir.db)" = 2 &&
	grep "^scanned 2 files, " out
'

if [ -n "$unprivileged" ]; then
	test_expect_success 'an unreadable file: "Permission denied", exit 1, the other files scanned' '
		mkdir -m 777 nb &&
		sasl_line 12 192.0.2.12 u1 >unreadable.log &&
		sasl_line 13 192.0.2.12 u2 >readable.log &&
		set_mtime unreadable.log readable.log &&
		chmod 000 unreadable.log &&
		chmod 644 readable.log &&
		test_exit_code 1 as_user scan -c "$test_scratch/empty.conf" --patterns "$test_scratch/rules" \
			--db nb/unread.db unreadable.log readable.log >out 2>err &&
		cat out err &&
		grep "cannot open unreadable.log: Permission denied" err &&
		test "$(events nb/unread.db)" = 1 &&
		test "$(events nb/unread.db "user = '"'u2'"'")" = 1
	'
else
	test_skip 'an unreadable file: "Permission denied", exit 1, the other files scanned' \
		'running as root without setpriv: root reads any file'
fi

test_expect_success 'a file that does not exist: "No such file", exit 1, the other files scanned' '
	test_exit_code 1 scan --db nofile.db d1.log no-such.log d2.log >out 2>err &&
	cat out err &&
	grep "cannot open no-such.log: No such file or directory" err &&
	test "$(events nofile.db)" = 2
'

test_expect_success 'xz, bzip2, zstd files: refused by name with exit 1, the other files scanned' '
	printf "\375\067zXZ\000rest" >mail.log.2.xz &&
	printf "BZh91AY&SY" >mail.log.3.bz2 &&
	printf "\050\265\057\375rest" >mail.log.4.zst &&
	test_exit_code 1 scan --db xz.db d1.log mail.log.2.xz mail.log.3.bz2 mail.log.4.zst d2.log \
	    >out 2>err &&
	cat out err &&
	grep "mail.log.2.xz: compressed with xz, which tlslogd does not read: decompress it first" err &&
	grep "mail.log.3.bz2: compressed with bzip2" err &&
	grep "mail.log.4.zst: compressed with zstd" err &&
	test "$(events xz.db)" = 2
'

test_expect_success 'a gzip file is read through zlib; gzip through a pipe is refused by name' '
	gzip -c d1.log >d1.log.gz &&
	test_exit_code 0 scan --db gz.db d1.log.gz >out 2>err &&
	test "$(events gz.db)" = 1 &&
	cat d1.log.gz | test_exit_code 1 scan --db gz-stdin.db - >out 2>err &&
	cat err &&
	grep "(standard input): compressed with gzip: decompress it first, or name the file" err
'

test_expect_success 'scan into a file that is not a database: exit 1, the file unchanged' '
	head -c 20000 /dev/urandom >notdb &&
	cp notdb notdb.orig &&
	test_exit_code 1 scan --db notdb d1.log >out 2>err &&
	cat out err &&
	grep "notdb: .*not a database" err &&
	cmp notdb notdb.orig &&
	test ! -e notdb-wal && test ! -e notdb-shm && test ! -e notdb-journal
'

test_expect_success 'scan into a text file as database: exit 1, the file unchanged' '
	echo "database = /var/lib/tlslogd/tlslogd.db" >textdb &&
	cp textdb textdb.orig &&
	test_exit_code 1 scan --db textdb d1.log 2>err &&
	cat err &&
	grep "textdb: .*not a database" err &&
	cmp textdb textdb.orig
'

test_expect_success 'query a file that is not a database: exit 1, the file unchanged' '
	test_exit_code 1 query --db notdb --peer 192.0.2.1 >out 2>err &&
	cat out err &&
	grep "notdb: .*not a database" err &&
	test ! -s out &&
	cmp notdb notdb.orig
'

test_expect_success 'query a missing database: exit 1, a clear message, nothing created' '
	test_exit_code 1 query --db missing.db --peer 192.0.2.1 >out 2>err &&
	cat out err &&
	grep "cannot open database missing.db: No such file or directory" err &&
	test ! -e missing.db &&
	test_exit_code 1 query --db no-dir/missing.db --peer 192.0.2.1 2>err &&
	grep "no-dir/missing.db" err &&
	test ! -e no-dir
'

if [ -n "$unprivileged" ]; then
	test_expect_success 'a database in a read-only folder: exit 1, the path and the cause named' '
		mkdir -m 555 rodir &&
		test_exit_code 1 as_user scan -c "$test_scratch/empty.conf" --patterns "$test_scratch/rules" \
			--db rodir/t.db d1.log >out 2>err &&
		cat out err &&
		grep "rodir/t.db" err &&
		grep "Permission denied" err &&
		test ! -e rodir/t.db
	'
	test_expect_success 'a reader queries a database in a folder it cannot write, whatever its name' '
		dir="ro?dir#x%41 y" &&
		mkdir "$dir" &&
		test_exit_code 0 scan --db "$dir/t.db" d1.log >out &&
		chmod 755 "$dir" && chmod 644 "$dir/t.db" && chmod 555 "$dir" &&
		test ! -e "$dir/t.db-wal" &&
		as_user query -c "$test_scratch/empty.conf" --db "$dir/t.db" --peer 192.0.2.10 \
			--format csv >ro.csv 2>err &&
		cat ro.csv err &&
		test "$(sql "$dir/t.db" "SELECT count(*) FROM events WHERE peer_ip = '\''192.0.2.10'\''")" -ge 1 &&
		test "$(($(wc -l <ro.csv) - 1))" = "$(sql "$dir/t.db" "SELECT count(*) FROM events WHERE peer_ip = '\''192.0.2.10'\''")"
	'
else
	test_skip 'a database in a read-only folder: exit 1, the path and the cause named' \
		'running as root without setpriv: root ignores permissions'
	test_skip 'a reader queries a database in a folder it cannot write, whatever its name' \
		'running as root without setpriv: root ignores permissions'
fi

test_expect_success 'a database below a regular file: exit 1, the path named' '
	test_exit_code 1 scan --db d1.log/t.db d2.log >out 2>err &&
	cat out err &&
	grep "d1.log/t.db" err &&
	grep "Not a directory" err
'

test_expect_success 'a scan of good and bad files keeps every event stored before' '
	sasl_line 20 192.0.2.20 old1 >old.log &&
	sasl_line 21 192.0.2.20 old2 >>old.log &&
	sasl_line 22 192.0.2.20 old3 >>old.log &&
	set_mtime old.log &&
	test_exit_code 0 scan --db keep.db old.log &&
	test "$(events keep.db)" = 3 &&
	sql keep.db "SELECT id, time, user FROM events ORDER BY id" >before &&
	head -c 100000 /dev/urandom >garbage.log &&
	sasl_line 23 192.0.2.20 new1 >new.log &&
	set_mtime new.log &&
	test_exit_code 1 scan --db keep.db d1.log adir no-such.log nul.log garbage.log notdb new.log \
		hostile.log >out 2>err &&
	cat out err &&
	sql keep.db "SELECT id, time, user FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT 3) ORDER BY id" >after &&
	test_cmp before after &&
	test "$(events keep.db "user IN ('"'old1'"', '"'old2'"', '"'old3'"')")" = 3 &&
	test "$(events keep.db "user = '"'new1'"'")" = 1 &&
	test "$(events keep.db "user = '"'d1'"'")" = 1 &&
	test "$(events keep.db "peer_ip = '"'192.0.2.7'"'")" = 2
'

test_expect_success 'failed scans (bad input, bad --db, bad option) keep every event stored before' '
	cp keep.db keep2.db &&
	n=$(events keep2.db) &&
	test_exit_code 1 scan --db keep2.db adir >out 2>err &&
	test "$(events keep2.db)" = "$n" &&
	test_exit_code 1 scan --db keep2.db/sub new.log 2>err &&
	test "$(events keep2.db)" = "$n" &&
	test_exit_code 2 scan --db keep2.db --max-line 1 new.log 2>err &&
	test "$(events keep2.db)" = "$n"
'

test_expect_success 'an empty file: exit 0, no events' '
	: >empty.log &&
	test_exit_code 0 scan --db empty.db empty.log >out 2>err &&
	cat out err &&
	grep "^scanned 1 file, 0 lines " out &&
	grep "^0 new events stored in " out &&
	test "$(events empty.db)" = 0
'

test_expect_success 'random bytes: exit 0, no events, no crash' '
	# (Not starting with a compressor'"'"'s magic bytes by chance: those are refused, below.)
	{ printf "x"; head -c 100000 /dev/urandom; } >garbage2.log &&
	test_exit_code 0 scan --db garbage.db garbage2.log >out 2>err &&
	cat out err &&
	grep "^scanned 1 file, " out &&
	grep "^0 new events stored in " out &&
	test "$(events garbage.db)" = 0
'

test_expect_success 'random bytes on standard input: exit 0, no events, no crash' '
	test_exit_code 0 scan --db garbage-stdin.db - <garbage2.log >out 2>err &&
	cat out err &&
	test "$(events garbage-stdin.db)" = 0
'

test_expect_success 'a bad rules folder: exit 2, every error as file:line, nothing scanned' '
	mkdir badrules &&
	cat >badrules/postfix.rules <<-\EOF &&
	mta postfix
	programs postfix/*

	rule t-bad
	  kind auth_exploded
	  direction in
	  pattern ^warning: (unclosed
	  example Nov 20 10:00:00 mx1 postfix/smtpd[100]: warning: (unclosed
	EOF
	test_exit_code 2 tlslogd scan -c empty.conf --patterns badrules --db badrules.db d1.log >out 2>err &&
	cat out err &&
	grep "badrules/postfix.rules:5: unknown kind \"auth_exploded\"" err &&
	grep "badrules/postfix.rules:7: rule t-bad: bad pattern" err &&
	! grep "^scanned" out &&
	test ! -e badrules.db
'

test_expect_success 'a configuration file with an unknown keyword: exit 2 with conf:LINE' '
	printf "# tlslogd.conf\n\ndatabase %s/conf.db\nfrobnicate yes\n" "$test_scratch" >bad.conf &&
	test_exit_code 2 tlslogd scan -c bad.conf --patterns rules d1.log >out 2>err &&
	cat out err &&
	grep "bad.conf:4: unknown keyword \"frobnicate\"" err &&
	test ! -e conf.db &&
	test_exit_code 2 tlslogd query -c bad.conf --db keep.db --peer 192.0.2.20 >out 2>err &&
	grep "bad.conf:4: unknown keyword \"frobnicate\"" err &&
	test ! -s out
'

test_expect_success 'a configuration file that does not exist: exit 2, its name given' '
	test_exit_code 2 tlslogd scan -c no-such.conf --patterns rules --db x.db d1.log 2>err &&
	cat err &&
	grep "no-such.conf: No such file or directory" err &&
	test ! -e x.db
'

test_done
