/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * header_test.c: the line header parser: every layout, year inference at the
 * turn of the year, time zones, and malformed headers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "header.h"
#include "tap.h"

static struct header_clock clk;
static struct line_header h;

static int
parse(const char *line)
{
	return header_parse(&clk, line, strlen(line), &h);
}

static int64_t
utc(int y, int mo, int d, int hh, int mi, int s)
{
	return header_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + hh * 3600 + mi * 60 + s;
}

static int
field_is(const char *p, size_t len, const char *want)
{
	return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	header_clock_init(&clk, utc(2026, 11, 22, 12, 0, 0));

	/* RFC 3164 */
	ok(parse("Nov 22 06:40:07 mx1 postfix/smtpd[123]: connect from x[192.0.2.1]") == 0,
	    "rfc3164 parses");
	is_int(h.format, HEADER_RFC3164, "rfc3164 format");
	is_int(h.time, utc(2026, 11, 22, 6, 40, 7), "rfc3164 time in the reference year");
	ok(field_is(h.host, h.host_len, "mx1"), "rfc3164 host");
	ok(field_is(h.program, h.program_len, "postfix/smtpd"), "rfc3164 program");
	is_int(h.pid, 123, "rfc3164 pid");
	ok(field_is(h.msg, h.msg_len, "connect from x[192.0.2.1]"), "rfc3164 message");

	ok(parse("Mar  3 10:15:01 mx1 postfix/submission/smtpd[7]: hello") == 0, "padded day");
	is_int(h.time, utc(2026, 3, 3, 10, 15, 1), "padded day time");
	ok(field_is(h.program, h.program_len, "postfix/submission/smtpd"), "program with service path");

	ok(parse("Mar 3 10:15:01 mx1 sm-mta[7]: hello") == 0, "unpadded single-digit day");
	is_int(h.time, utc(2026, 3, 3, 10, 15, 1), "unpadded day time");

	ok(parse("Nov 22 06:40:07 mx1 dovecot: imap-login: Disconnected") == 0, "tag without pid");
	ok(field_is(h.program, h.program_len, "dovecot"), "tag without pid: program");
	is_int(h.pid, -1, "tag without pid: pid -1");
	ok(field_is(h.msg, h.msg_len, "imap-login: Disconnected"), "tag without pid: message");

	/* Dovecot's own log file: no host, no pid. */
	ok(parse("Nov 22 06:40:07 imap-login: Info: Disconnected: x") == 0, "dovecot file line");
	ok(h.host == NULL, "dovecot file line: no host");
	ok(field_is(h.program, h.program_len, "imap-login"), "dovecot file line: program");
	ok(h.pid == -1, "dovecot file line: no pid");
	ok(field_is(h.msg, h.msg_len, "Info: Disconnected: x"), "dovecot file line: message from the level");
	ok(parse("Nov 22 06:40:07 imap(al i<ce>)<4242><S3ss>: Error: y") == 0 &&
	    field_is(h.program, h.program_len, "imap") && field_is(h.msg, h.msg_len, "Error: y"),
	    "dovecot file line with user, pid and session");
	ok(parse("2026-11-22 06:40:07 pop3-login: Warning: z") == 0 && h.format == HEADER_ISO &&
	    field_is(h.program, h.program_len, "pop3-login") && h.host == NULL,
	    "dovecot file line with an ISO log_timestamp is not Exim's");
	ok(parse("2026-11-22 06:40:07 Warning: No server certificate defined") == 0 &&
	    h.format == HEADER_EXIM && h.program == NULL, "Exim's own Warning: line stays Exim's");
	ok(parse("Nov 22 06:40:07 mx1 imap-login: Info: w") == 0 &&
	    field_is(h.host, h.host_len, "mx1") && field_is(h.program, h.program_len, "imap-login"),
	    "a syslog line with a host is not taken for Dovecot's file");

	/* Hosts with the bytes that may end a Dovecot name: syslog lines all the same. */
	ok(parse("Nov 22 06:40:07 2001:db8::25 postfix/smtpd[9]: v") == 0 &&
	    field_is(h.host, h.host_len, "2001:db8::25") && field_is(h.program, h.program_len,
	    "postfix/smtpd") && h.pid == 9, "an IPv6 address as the host");
	ok(parse("Nov 22 06:40:07 mx(1)<2>: postfix/smtpd[9]: v") == 0 &&
	    field_is(h.host, h.host_len, "mx(1)<2>:") && field_is(h.program, h.program_len,
	    "postfix/smtpd"), "a host word that starts like Dovecot's but has no level");
	ok(parse("Nov 22 06:40:07 auth-worker(9): Info: u") == 0 && h.host == NULL &&
	    field_is(h.program, h.program_len, "auth-worker"), "dovecot file line: name(pid)");

	ok(parse("Nov 22 06:40:07 mx1 some text without a tag") == 0, "no tag");
	ok(h.program == NULL, "no tag: no program");
	ok(field_is(h.msg, h.msg_len, "some text without a tag"), "no tag: rest is the message");

	ok(parse("Nov 22 06:40:07.123456 mx1 postfix/smtpd[1]: x") == 0, "fractional seconds");

	/* Year inference: December lines read in January belong to the year before. */
	header_clock_init(&clk, utc(2027, 1, 2, 3, 0, 0));
	ok(parse("Dec 31 23:59:59 mx1 postfix/smtpd[1]: x") == 0, "december line");
	is_int(h.time, utc(2026, 12, 31, 23, 59, 59), "december line read in january: previous year");
	ok(parse("Jan  2 02:59:00 mx1 postfix/smtpd[1]: x") == 0, "january line");
	is_int(h.time, utc(2027, 1, 2, 2, 59, 0), "january line read in january: this year");
	/* Never in the future: a line more than a day after the reference is last year's. */
	header_clock_init(&clk, utc(2026, 6, 1, 0, 0, 0));
	ok(parse("Jun  3 00:00:00 mx1 postfix/smtpd[1]: x") == 0, "line after reference");
	is_int(h.time, utc(2025, 6, 3, 0, 0, 0), "two days after the reference: previous year");
	ok(parse("Jun  1 12:00:00 mx1 postfix/smtpd[1]: x") == 0, "line just after reference");
	is_int(h.time, utc(2026, 6, 1, 12, 0, 0), "hours after the reference: same year (clock skew)");

	/* Local time zone conversion. */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	header_clock_init(&clk, utc(2026, 11, 22, 12, 0, 0));
	ok(parse("Nov 22 06:40:07 mx1 postfix/smtpd[1]: x") == 0, "rfc3164 in Europe/Berlin");
	is_int(h.time, utc(2026, 11, 22, 5, 40, 7), "winter: local 06:40 is 05:40 UTC");
	ok(parse("Jul 22 06:40:07 mx1 postfix/smtpd[1]: x") == 0, "summer line");
	is_int(h.time, utc(2026, 7, 22, 4, 40, 7), "summer: local 06:40 is 04:40 UTC");
	ok(parse("2026-11-22 06:40:07 [99] TLS error") == 0, "exim local time");
	is_int(h.time, utc(2026, 11, 22, 5, 40, 7), "exim without zone uses local time");

	/*
	 * Many local hours in turn (more than the clock caches, across the
	 * change to summer time): each time is what a clock that never saw
	 * another hour gives.
	 */
	int cache_wrong = 0;
	for (int i = 0; i < 3000; i++) {
		int hour = (i * 7919) % 1000;	/* hours from Mar 20, in a scrambled order */
		int day = 20 + hour / 24;
		char line[80];
		struct header_clock fresh;
		struct line_header fh;
		snprintf(line, sizeof(line), "2026-%02d-%02d %02d:%02d:07 [1] x", day > 31 ? 4 : 3,
		    day > 31 ? day - 31 : day, hour % 24, i % 60);
		header_clock_init(&fresh, utc(2026, 11, 22, 12, 0, 0));
		if (parse(line) != 0 || header_parse(&fresh, line, strlen(line), &fh) != 0 ||
		    h.time != fh.time)
			cache_wrong++;
	}
	is_int(cache_wrong, 0, "1000 local hours in turn: the cached hours give the same times");
	setenv("TZ", "UTC", 1);
	tzset();
	header_clock_init(&clk, utc(2026, 11, 22, 12, 0, 0));

	/* ISO 8601 / RFC 3339 syslog */
	ok(parse("2026-11-22T06:40:07.123456+01:00 mx1 postfix/smtpd[123]: hello") == 0, "iso parses");
	is_int(h.format, HEADER_ISO, "iso format");
	is_int(h.time, utc(2026, 11, 22, 5, 40, 7), "iso offset applied");
	ok(field_is(h.host, h.host_len, "mx1"), "iso host");
	is_int(h.pid, 123, "iso pid");
	ok(parse("2026-11-22T06:40:07+0000 mx1 postfix/smtpd[1]: x") == 0, "journalctl short-iso zone");
	is_int(h.time, utc(2026, 11, 22, 6, 40, 7), "short-iso time");
	ok(parse("2026-11-22T06:40:07Z mx1 sm-mta[1]: x") == 0, "iso Z");
	is_int(h.time, utc(2026, 11, 22, 6, 40, 7), "iso Z time");
	ok(parse("2026-11-22T06:40:07-05:30 mx1 sm-mta[1]: x") == 0, "negative offset");
	is_int(h.time, utc(2026, 11, 22, 12, 10, 7), "negative offset time");
	ok(parse("2026-11-22T06:40:07 mx1 sm-mta[1]: x") == 0, "iso without zone");
	is_int(h.time, utc(2026, 11, 22, 6, 40, 7), "iso without zone is local (UTC here)");

	/* RFC 5424 */
	ok(parse("<22>1 2026-11-22T06:40:07.5Z mx1 postfix/smtpd 4242 - - SSL_accept error") == 0,
	    "rfc5424 parses");
	is_int(h.format, HEADER_RFC5424, "rfc5424 format");
	is_int(h.time, utc(2026, 11, 22, 6, 40, 7), "rfc5424 time");
	ok(field_is(h.program, h.program_len, "postfix/smtpd"), "rfc5424 app name");
	is_int(h.pid, 4242, "rfc5424 procid");
	ok(field_is(h.msg, h.msg_len, "SSL_accept error"), "rfc5424 message");
	ok(parse("<22>1 2026-11-22T06:40:07Z mx1 app - ID47 [ex@1 a=\"x\\]y\"] msg") == 0,
	    "rfc5424 structured data");
	ok(field_is(h.msg, h.msg_len, "msg"), "rfc5424 message after structured data");

	/* Exim mainlog */
	ok(parse("2026-11-22 06:40:07 [123] TLS error on connection") == 0, "exim with pid");
	is_int(h.format, HEADER_EXIM, "exim format");
	is_int(h.pid, 123, "exim pid");
	ok(h.host == NULL && h.program == NULL, "exim: no host, no program");
	ok(field_is(h.msg, h.msg_len, "TLS error on connection"), "exim message");
	ok(parse("2026-11-22 06:40:07 TLS error") == 0, "exim without pid");
	is_int(h.pid, -1, "exim without pid: -1");
	ok(field_is(h.msg, h.msg_len, "TLS error"), "exim without pid: message");
	ok(parse("2026-11-22 06:40:07.123 +0100 [7] x") == 0, "exim millisec and zone");
	is_int(h.time, utc(2026, 11, 22, 5, 40, 7), "exim zone applied");
	is_int(h.pid, 7, "exim pid after zone");
	ok(parse("2026-11-22 06:40:07 -0130 x") == 0, "exim negative zone without pid");
	is_int(h.time, utc(2026, 11, 22, 8, 10, 7), "exim negative zone applied");
	ok(parse("2026-11-22 06:40:07 1tAbCd-0001xY-Ab <= a@b") == 0, "exim message id not a zone");
	ok(field_is(h.msg, h.msg_len, "1tAbCd-0001xY-Ab <= a@b"), "exim message keeps the id");

	/* Exim through syslog repeats its stamp. */
	const char *m = "2021-07-17 23:20:49 plain_server authenticator failed";
	is_int(header_embedded_stamp_len(m, strlen(m)), 20, "embedded exim stamp");
	m = "2021-07-17 23:20:49 [42] x";
	is_int(header_embedded_stamp_len(m, strlen(m)), 25, "embedded exim stamp with pid");
	m = "dovecot_login authenticator failed";
	is_int(header_embedded_stamp_len(m, strlen(m)), 0, "no embedded stamp");

	/* Variations of syslog daemons (issue 14, family 8). */
	ok(parse("2024-05-01T10:00:00.123456+00:00 INFO    postfix/smtpd[481]: connect from x") == 0,
	    "level word where the host is: parses");
	ok(h.host == NULL && field_is(h.program, h.program_len, "postfix/smtpd") && h.pid == 481 &&
	    field_is(h.msg, h.msg_len, "connect from x"), "level word: no host, the tag and pid found");
	is_int(h.time, utc(2024, 5, 1, 10, 0, 0), "level word: time");
	ok(parse("Nov 22 06:40:07 mx1  postfix/smtpd[9]: y") == 0 &&
	    field_is(h.host, h.host_len, "mx1") && field_is(h.program, h.program_len, "postfix/smtpd"),
	    "two spaces after the host");
	ok(parse("Nov 22 06:40:07 INFOX postfix/smtpd[9]: y") == 0 &&
	    field_is(h.host, h.host_len, "INFOX"), "a host that only starts like a level word stays");
	ok(parse("2024-05-01 10:00:00 mx1 exim[8003]: 1rAB-000 <= a@b") == 0, "ISO date, space, syslog");
	ok(h.format == HEADER_ISO && field_is(h.host, h.host_len, "mx1") &&
	    field_is(h.program, h.program_len, "exim") && h.pid == 8003 &&
	    field_is(h.msg, h.msg_len, "1rAB-000 <= a@b"), "ISO date, space, syslog: host, tag, pid");
	is_int(h.time, utc(2024, 5, 1, 10, 0, 0), "ISO date, space, syslog: time");
	ok(parse("2024-05-01 10:00:00 H=mx [192.0.2.1]: x[1]: y") == 0 && h.format == HEADER_EXIM &&
	    h.program == NULL, "an Exim mainlog message with brackets stays Exim's");
	ok(parse("2024-05-01 10:00:00 SMTP connection from x[192.0.2.1]: y") == 0 &&
	    h.format == HEADER_EXIM && h.program == NULL, "an Exim mainlog sentence stays Exim's");
	ok(parse("Jan  2 19:58:51 <mail.info> mx1 sendmail[12]: m") == 0 &&
	    field_is(h.host, h.host_len, "mx1") && field_is(h.program, h.program_len, "sendmail") &&
	    h.pid == 12 && field_is(h.msg, h.msg_len, "m"), "FreeBSD -vv <mail.info>");
	ok(parse("Jan  2 19:58:51 <2.6> mx1 sendmail[12]: m") == 0 &&
	    field_is(h.host, h.host_len, "mx1") && h.pid == 12, "FreeBSD -v <2.6>");
	ok(parse("Jan  2 19:58:51 MTA sm-mta[29534]: [ID 702911 mail.notice] ruleset=tls_server, "
	    "arg1=SOFTWARE") == 0, "Solaris message id");
	ok(field_is(h.host, h.host_len, "MTA") && field_is(h.program, h.program_len, "sm-mta") &&
	    h.pid == 29534 && field_is(h.msg, h.msg_len, "ruleset=tls_server, arg1=SOFTWARE"),
	    "Solaris message id: removed from the message");
	ok(parse("Jan  2 19:58:51 MTA sm-mta: [ID 801593 mail.info] x") == 0 &&
	    field_is(h.msg, h.msg_len, "x"), "Solaris message id after a tag without pid");
	ok(parse("Jan  2 19:58:51 MTA sm-mta[1]: [ID x mail.info] x") == 0 &&
	    field_is(h.msg, h.msg_len, "[ID x mail.info] x"), "not a Solaris message id: kept");
	m = "[8003] 1rAB-000 <= a@b";
	is_int(header_embedded_stamp_len(m, strlen(m)), 7, "exim through syslog: bare [pid]");
	m = "[8003]x";
	is_int(header_embedded_stamp_len(m, strlen(m)), 6, "bare [pid] without a space");

	/* Malformed: none of these may be taken for a header. */
	static const char *const bad[] = {
		"", "x", "Nov", "Nov 22", "Foo 22 06:40:07 mx1 a[1]: b", "Nov 32 06:40:07 mx1 a[1]: b",
		"Nov 22 25:40:07 mx1 a[1]: b", "Nov 22 06:61:07 mx1 a[1]: b", "Nov 22 06:40:07",
		"2026-13-22T06:40:07Z mx1 a: b", "2026-11-22T06:40Z mx1 a: b", "2026-11-22X06:40:07 x",
		"2026-11-22 06:4x:07 x", "12345", "<22>1 - mx1 app - - - msg", "\x01\x02\x03",
		"Nov 22 06:40:07 ", "1969-01-01T00:00:00Z mx1 a: b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(header_parse(&clk, bad[i], strlen(bad[i]), &h) < 0, "malformed header %zu rejected", i);

	/* A pid too long for any system is not a pid (and never overflows). */
	ok(parse("Nov 22 06:40:07 mx1 x[9999999999]: m") == 0, "ten-digit pid line parses");
	ok(h.program == NULL && h.pid == -1, "ten-digit pid is not a tag");
	ok(parse("Nov 22 06:40:07 mx1 x[999999999]: m") == 0 && h.pid == 999999999, "nine digits are");

	/* NUL bytes and a missing newline never read past the given length. */
	const char nul[] = "Nov 22 06:40:07 mx1 postfix/smtpd[1]: a\0b";
	ok(header_parse(&clk, nul, sizeof(nul) - 1, &h) == 0, "NUL inside the message");
	is_int(h.msg_len, 3, "message length counts past the NUL");
	char *heap = malloc(20);
	memcpy(heap, "Nov 22 06:40:07 mx1 ", 20);
	ok(header_parse(&clk, heap, 20, &h) < 0 || h.msg_len == 0, "header ending at the buffer end");
	free(heap);
	return done_testing();
}
