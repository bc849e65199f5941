/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * header.h: split a log line into its header (time, host, program, pid) and
 * the message. Knows the three layouts mail logs come in:
 *
 *   RFC 3164 syslog   "Nov 22 06:40:07 mx1 postfix/smtpd[123]: message"
 *   ISO 8601 syslog   "2026-11-22T06:40:07.123456+01:00 mx1 postfix/smtpd[123]: message"
 *                     (rsyslog's RFC 3339 file format, journalctl -o short-iso, and
 *                     RFC 5424 "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG")
 *   Exim's mainlog    "2026-11-22 06:40:07[.123][ +0100][ [123]] message"
 *   Dovecot's file    "Nov 22 06:40:07 imap-login: Info: message" (no host, no pid;
 *                     also after "2026-11-22 06:40:07 ", a common log_timestamp)
 *   syslog after an Exim-style time "2026-11-22 06:40:07 mx1 exim[123]: message"
 *
 * and the variations of syslog daemons: FreeBSD's "<mail.info> " (or "<2.6> ")
 * before the host, Solaris's "[ID 702911 mail.notice] " after the tag, and a
 * log level word where the host would be ("INFO    postfix/smtpd[1]: ", as
 * container images write; the host is then NULL).
 *
 * Times are returned in UTC. Times without a zone are local time of the
 * process's zone (TZ); RFC 3164 times have no year either, so the year is
 * inferred from a reference time (the file's modification time, or now): the
 * year of the reference, or the one before when that would put the line more
 * than a day after the reference. Never allocates; the result points into the
 * line.
 */
#ifndef TLSLOGD_HEADER_H
#define TLSLOGD_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum header_format {
	HEADER_RFC3164,
	HEADER_ISO,
	HEADER_RFC5424,
	HEADER_EXIM
};

struct line_header {
	enum header_format format;
	int64_t time;			/* UTC seconds */
	const char *host;		/* NULL for Exim's mainlog */
	size_t host_len;
	const char *program;		/* syslog tag without [pid]; NULL if none */
	size_t program_len;
	long pid;			/* -1 when not logged */
	const char *msg;
	size_t msg_len;
};

#define HEADER_HOURS_CACHED 256
#define HEADER_HOURS_WAYS 4

/* Local-time conversion state: the reference for year inference and a cache. */
struct header_clock {
	int64_t reference;		/* UTC seconds: file mtime or now */
	int reference_year;		/* local year of reference */
	int year_md;			/* month*100+day of the last RFC 3164 line, -1 none */
	int year_of_md;			/* the year inferred for it */
	/*
	 * UTC of the start of recent local hours (mktime is slow), by y/m/d/h in
	 * sets of HEADER_HOURS_WAYS: many, so that lines of a few different days
	 * (merged logs, hostile input) do not call mktime on every line. Key -1:
	 * empty; cache_turn picks the way to replace in a full set.
	 */
	int64_t cache_key[HEADER_HOURS_CACHED];
	int64_t cache_utc[HEADER_HOURS_CACHED];
	unsigned cache_turn;
};

void header_clock_init(struct header_clock *clk, int64_t reference);

/* Parse a line; 0 on success, -1 when the line has no recognizable header. */
int header_parse(struct header_clock *clk, const char *line, size_t len, struct line_header *out);

/*
 * Exim writing through syslog repeats its own "YYYY-MM-DD HH:MM:SS[ [pid]] "
 * (or, with syslog_timestamp = false, only "[pid] ") at the start of the
 * message: return how many bytes of msg that takes (0: none).
 */
size_t header_embedded_stamp_len(const char *msg, size_t len);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t header_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
