/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * header.c: parse syslog and Exim mainlog line headers (see header.h).
 *
 * This runs on every line, so it is written as a hand-rolled scanner over
 * (pointer, length) with no allocation and no regular expressions; lines may
 * hold any byte, NUL included, and may end anywhere. Local time is converted
 * with mktime(3) once per local hour and cached: mktime is far too slow to call
 * per line, and within one hour the UTC offset does not change in any zone
 * that moves its clocks on the hour.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "header.h"

#define TAG_MAX 128
#define HOST_MAX 255
#define ONE_DAY 86400

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Byte classes of the scanners' inner loops, one table lookup per byte:
 * [a-z0-9-] of a Dovecot process name, the bytes that end a syslog tag, and
 * those that end a host or may end a Dovecot process name.
 */
#define CL_DOVECOT_NAME 1
#define CL_TAG_END 2
#define CL_HOST_END 4

static const unsigned char byte_class[256] = {
	['a'] = CL_DOVECOT_NAME, ['b'] = CL_DOVECOT_NAME, ['c'] = CL_DOVECOT_NAME,
	['d'] = CL_DOVECOT_NAME, ['e'] = CL_DOVECOT_NAME, ['f'] = CL_DOVECOT_NAME,
	['g'] = CL_DOVECOT_NAME, ['h'] = CL_DOVECOT_NAME, ['i'] = CL_DOVECOT_NAME,
	['j'] = CL_DOVECOT_NAME, ['k'] = CL_DOVECOT_NAME, ['l'] = CL_DOVECOT_NAME,
	['m'] = CL_DOVECOT_NAME, ['n'] = CL_DOVECOT_NAME, ['o'] = CL_DOVECOT_NAME,
	['p'] = CL_DOVECOT_NAME, ['q'] = CL_DOVECOT_NAME, ['r'] = CL_DOVECOT_NAME,
	['s'] = CL_DOVECOT_NAME, ['t'] = CL_DOVECOT_NAME, ['u'] = CL_DOVECOT_NAME,
	['v'] = CL_DOVECOT_NAME, ['w'] = CL_DOVECOT_NAME, ['x'] = CL_DOVECOT_NAME,
	['y'] = CL_DOVECOT_NAME, ['z'] = CL_DOVECOT_NAME,
	['0'] = CL_DOVECOT_NAME, ['1'] = CL_DOVECOT_NAME, ['2'] = CL_DOVECOT_NAME,
	['3'] = CL_DOVECOT_NAME, ['4'] = CL_DOVECOT_NAME, ['5'] = CL_DOVECOT_NAME,
	['6'] = CL_DOVECOT_NAME, ['7'] = CL_DOVECOT_NAME, ['8'] = CL_DOVECOT_NAME,
	['9'] = CL_DOVECOT_NAME, ['-'] = CL_DOVECOT_NAME,
	[' '] = CL_TAG_END | CL_HOST_END, ['['] = CL_TAG_END, [':'] = CL_TAG_END | CL_HOST_END,
	['('] = CL_HOST_END, ['<'] = CL_HOST_END,
};

/* p + n, or end if that is nearer. */
static const char *
bound(const char *p, const char *end, size_t n)
{
	return (size_t)(end - p) > n ? p + n : end;
}

/* Read exactly n digits at p (bounded by end); -1 if not all digits. */
static int
digits(const char *p, const char *end, int n)
{
	int v = 0;

	if (end - p < n)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

int64_t
header_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
valid_time(int mo, int d, int h, int mi, int s)
{
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 &&
	    mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

void
header_clock_init(struct header_clock *clk, int64_t reference)
{
	time_t t = (time_t)reference;
	struct tm tm;

	clk->reference = reference;
	clk->reference_year = localtime_r(&t, &tm) ? tm.tm_year + 1900 : 1970;
	for (int i = 0; i < HEADER_HOURS_CACHED; i++) {
		clk->cache_key[i] = -1;
		clk->cache_utc[i] = 0;
	}
	clk->cache_turn = 0;
	clk->year_md = -1;
	clk->year_of_md = 0;
}

/*
 * Local wall-clock time to UTC seconds, through the per-hour cache: four-way
 * sets (a hash of the hour picks the set), so that two hours in use whose
 * hashes meet do not push each other out on every line.
 */
static int64_t
local_to_utc(struct header_clock *clk, int y, int mo, int d, int h, int mi, int s)
{
	int64_t key = ((int64_t)y * 100 + mo) * 10000 + d * 100 + h;
	size_t set = (size_t)(((uint64_t)key * UINT64_C(0x9e3779b97f4a7c15)) >> 56) %
	    (HEADER_HOURS_CACHED / HEADER_HOURS_WAYS) * HEADER_HOURS_WAYS;

	for (size_t i = set; i < set + HEADER_HOURS_WAYS; i++)
		if (clk->cache_key[i] == key)
			return clk->cache_utc[i] + mi * 60 + s;

	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1) {
		/* No such local time: fall back to treating it as UTC. */
		t = (time_t)(header_days_from_civil(y, (unsigned)mo, (unsigned)d) * ONE_DAY + h * 3600);
	}
	/* An empty way of the set, else each in turn. */
	size_t way = set + clk->cache_turn++ % HEADER_HOURS_WAYS;
	for (size_t i = set; i < set + HEADER_HOURS_WAYS; i++)
		if (clk->cache_key[i] == -1) {
			way = i;
			break;
		}
	clk->cache_key[way] = key;
	clk->cache_utc[way] = (int64_t)t;
	return (int64_t)t + mi * 60 + s;
}

/* Skip one run of spaces; returns NULL if there was none. */
static const char *
skip_spaces(const char *p, const char *end)
{
	if (p >= end || *p != ' ')
		return NULL;
	while (p < end && *p == ' ')
		p++;
	return p;
}

/*
 * Dovecot's own log file (log_path, info_log_path) has no host and no pid:
 * "imap-login: Info: MSG", "imap(alice)<4242><Session>: Error: MSG",
 * "auth: Warning: MSG". Recognized by the process name followed by one of
 * Dovecot's log levels, so that Exim's own "Warning: ..." lines and syslog
 * hosts are not taken for it. Sets the program (the process name) and the
 * message (from the level on).
 */
static int
parse_dovecot_own(const char *p, const char *end, struct line_header *out)
{
	static const char *const levels[] = { "Info: ", "Warning: ", "Error: ", "Fatal: ",
		"Panic: ", "Debug: " };
	const char *name = p;

	const char *lim = bound(name, end, TAG_MAX);
	while (p < lim && (byte_class[(unsigned char)*p] & CL_DOVECOT_NAME))
		p++;
	if (p == name || !(*name >= 'a' && *name <= 'z'))
		return -1;
	const char *name_end = p;
	if (p < end && *p == '(') {		/* imap(user): the user may hold anything but ")" */
		while (p < end && *p != ')')
			p++;
		if (p++ >= end)
			return -1;
	}
	while (p < end && *p == '<') {		/* <pid><session> */
		while (p < end && *p != '>')
			p++;
		if (p++ >= end)
			return -1;
	}
	if (end - p < 2 || p[0] != ':' || p[1] != ' ')
		return -1;
	p += 2;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		size_t n = strlen(levels[i]);
		if ((size_t)(end - p) >= n && memcmp(p, levels[i], n) == 0) {
			out->host = NULL;
			out->host_len = 0;
			out->program = name;
			out->program_len = (size_t)(name_end - name);
			out->pid = -1;
			out->msg = p;
			out->msg_len = (size_t)(end - p);
			return 0;
		}
	}
	return -1;
}

/*
 * FreeBSD's syslogd -v / -vv writes the facility and priority after the time:
 * "<2.6> " or "<mail.info> ". Returns the position after it, or p.
 */
static const char *
skip_facility_priority(const char *p, const char *end)
{
	const char *q = p, *lim = bound(p, end, 24);
	int dot = 0;

	if (q >= end || *q != '<')
		return p;
	for (q++; q < lim && *q != '>'; q++) {
		if (*q == '.')
			dot++;
		else if (!(byte_class[(unsigned char)*q] & CL_DOVECOT_NAME))
			return p;	/* [a-z0-9-] only */
	}
	if (dot != 1 || q + 1 >= lim || q[0] != '>' || q[1] != ' ' || q[-1] == '.' || p[1] == '.')
		return p;
	return q + 2;
}

/*
 * Solaris syslogd puts a message tag after "prog[pid]: ": "[ID 702911
 * mail.notice] ". Returns the position after it, or p. Called only at a '['
 * (the usual message has none there: see msg_start).
 */
static const char *
skip_message_id(const char *p, const char *end)
{
	const char *q = p + 4, *lim = bound(p, end, 64);

	if (lim - p < 8 || memcmp(p, "[ID ", 4) != 0 || !is_digit(*q))
		return p;
	while (q < lim && is_digit(*q))
		q++;
	if (q >= lim || *q != ' ')
		return p;
	q++;
	while (q < lim && *q != ']' && *q != ' ')
		q++;
	if (end - q < 2 || q[0] != ']' || q[1] != ' ')
		return p;
	return q + 2;
}

/* Where the message starts, at p after the tag's ": ". */
static inline const char *
msg_start(const char *p, const char *end)
{
	if (p < end && *p == ' ')
		p++;
	if (p < end && *p == '[')
		p = skip_message_id(p, end);
	return p;
}

/*
 * A log level word where syslog has the host (container images write
 * "2024-05-01T10:00:00.123456+00:00 INFO    postfix/smtpd[481]: ...").
 */
static int
is_level_word(const char *p, size_t len)
{
	static const char *const words[] = { "DEBUG", "INFO", "NOTICE", "WARN", "WARNING",
		"ERROR", "ERR", "CRIT", "CRITICAL", "ALERT", "EMERG", "FATAL", "TRACE" };

	if (p[0] < 'A' || p[0] > 'Z' || len < 3 || len > 8)
		return 0;	/* a host in lower case: the usual line, first */
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == len && memcmp(p, words[i], len) == 0)
			return 1;
	return 0;
}

/*
 * After the time: "HOST TAG[PID]: MSG" or "HOST TAG: MSG". A line whose
 * host is followed by something that is not a tag keeps the rest as the
 * message with no program.
 */
static int
parse_host_tag(const char *p, const char *end, struct line_header *out)
{
	p = skip_facility_priority(p, end);
	const char *host = p;
	const char *host_lim = bound(host, end, HOST_MAX + 1);

	/*
	 * Dovecot's own log has no host: its process name ([a-z0-9-], at most
	 * TAG_MAX bytes) ends at '(', '<' or ':', before any space. So the
	 * first such byte of the host is where to try it, and a host without
	 * one (nearly every line) is not Dovecot's.
	 */
	while (p < host_lim && !(byte_class[(unsigned char)*p] & CL_HOST_END))
		p++;
	if (p < host_lim && *p != ' ') {
		if (parse_dovecot_own(host, end, out) == 0)
			return 0;
		while (p < host_lim && *p != ' ')
			p++;
	}
	if (p == host || p >= end || *p != ' ')
		return -1;
	out->host = host;
	out->host_len = (size_t)(p - host);
	if (is_level_word(host, out->host_len)) {
		out->host = NULL;	/* a container's "INFO    postfix/smtpd[1]: " */
		out->host_len = 0;
	}
	p++;
	while (p < end && *p == ' ')
		p++;

	const char *tag = p;
	const char *tag_lim = bound(tag, end, TAG_MAX);
	while (p < tag_lim && !(byte_class[(unsigned char)*p] & CL_TAG_END))
		p++;
	if (p > tag && p < end && *p == '[') {
		const char *tag_end = p;
		long pid = 0;

		p++;
		const char *digits_start = p, *digits_lim = bound(p, end, 9);
		while (p < digits_lim && is_digit(*p)) {
			pid = pid * 10 + (*p - '0');
			p++;
		}
		if (p > digits_start && end - p >= 2 && p[0] == ']' && p[1] == ':') {
			out->program = tag;
			out->program_len = (size_t)(tag_end - tag);
			out->pid = pid;
			p = msg_start(p + 2, end);
			out->msg = p;
			out->msg_len = (size_t)(end - p);
			return 0;
		}
	} else if (p > tag && p < end && *p == ':' && (p + 1 == end || p[1] == ' ')) {
		out->program = tag;
		out->program_len = (size_t)(p - tag);
		p = msg_start(p + 1, end);
		out->msg = p;
		out->msg_len = (size_t)(end - p);
		return 0;
	}
	/* No tag: the rest is the message. */
	out->msg = tag;
	out->msg_len = (size_t)(end - tag);
	return 0;
}

/* The month of an English abbreviation ("Jan" = 1), 0 if it is none. */
static int
month_of(const char *p)
{
	switch (p[0]) {
	case 'J':
		if (p[1] == 'a' && p[2] == 'n')
			return 1;
		if (p[1] == 'u' && p[2] == 'n')
			return 6;
		if (p[1] == 'u' && p[2] == 'l')
			return 7;
		return 0;
	case 'F':
		return p[1] == 'e' && p[2] == 'b' ? 2 : 0;
	case 'M':
		if (p[1] == 'a' && p[2] == 'r')
			return 3;
		if (p[1] == 'a' && p[2] == 'y')
			return 5;
		return 0;
	case 'A':
		if (p[1] == 'p' && p[2] == 'r')
			return 4;
		if (p[1] == 'u' && p[2] == 'g')
			return 8;
		return 0;
	case 'S':
		return p[1] == 'e' && p[2] == 'p' ? 9 : 0;
	case 'O':
		return p[1] == 'c' && p[2] == 't' ? 10 : 0;
	case 'N':
		return p[1] == 'o' && p[2] == 'v' ? 11 : 0;
	case 'D':
		return p[1] == 'e' && p[2] == 'c' ? 12 : 0;
	default:
		return 0;
	}
}

static int
parse_rfc3164(struct header_clock *clk, const char *p, const char *end, struct line_header *out)
{
	int mo;

	if (end - p < 16)
		return -1;
	mo = month_of(p);
	if (mo == 0 || p[3] != ' ')
		return -1;
	p += 4;
	/* The day: "22", " 3" (syslog pads with a space) or "3" (some writers do not). */
	int d;
	if (p[0] == ' ' && is_digit(p[1]))
		d = p[1] - '0', p += 2;
	else if (is_digit(p[0]) && is_digit(p[1]))
		d = (p[0] - '0') * 10 + (p[1] - '0'), p += 2;
	else if (is_digit(p[0]) && p[1] == ' ')
		d = p[0] - '0', p += 1;
	else
		return -1;
	if (end - p < 10 || *p != ' ')
		return -1;
	p++;
	int h = digits(p, end, 2);
	int mi = (end - p >= 8 && p[2] == ':') ? digits(p + 3, end, 2) : -1;
	int s = (end - p >= 8 && p[5] == ':') ? digits(p + 6, end, 2) : -1;
	if (h < 0 || mi < 0 || s < 0 || !valid_time(mo, d, h, mi, s))
		return -1;
	p += 8;
	/* Some writers add fractional seconds: "Nov 22 06:40:07.123". */
	if (p < end && *p == '.') {
		p++;
		while (p < end && is_digit(*p))
			p++;
	}
	if ((p = skip_spaces(p, end)) == NULL)
		return -1;

	/*
	 * The year: decided once per calendar day (at its first second), so that
	 * lines of the year before do not convert every time twice.
	 */
	if (mo * 100 + d != clk->year_md) {
		int y = clk->reference_year;
		if (local_to_utc(clk, y, mo, d, 0, 0, 0) > clk->reference + ONE_DAY)
			y--;
		clk->year_md = mo * 100 + d;
		clk->year_of_md = y;
	}
	int64_t t = local_to_utc(clk, clk->year_of_md, mo, d, h, mi, s);
	out->format = HEADER_RFC3164;
	out->time = t;
	return parse_host_tag(p, end, out);
}

/*
 * "YYYY-MM-DD", then 'T' or ' ', then "HH:MM:SS", optional fraction; stores
 * the broken-down time and returns the position after it, or NULL.
 */
static const char *
parse_iso_datetime(const char *p, const char *end, char sep, int tm[6])
{
	if (end - p < 19)
		return NULL;
	tm[0] = digits(p, end, 4);
	tm[1] = p[4] == '-' ? digits(p + 5, end, 2) : -1;
	tm[2] = p[7] == '-' ? digits(p + 8, end, 2) : -1;
	if (p[10] != sep)
		return NULL;
	tm[3] = digits(p + 11, end, 2);
	tm[4] = p[13] == ':' ? digits(p + 14, end, 2) : -1;
	tm[5] = p[16] == ':' ? digits(p + 17, end, 2) : -1;
	for (int i = 0; i < 6; i++)
		if (tm[i] < 0)
			return NULL;
	if (tm[0] < 1970 || !valid_time(tm[1], tm[2], tm[3], tm[4], tm[5]))
		return NULL;
	p += 19;
	if (p < end && (*p == '.' || *p == ',')) {
		p++;
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

/* Zone "Z", "+HH:MM", "+HHMM" or "+HH"; stores seconds east of UTC. */
static const char *
parse_zone(const char *p, const char *end, int *offset)
{
	if (p < end && *p == 'Z') {
		*offset = 0;
		return p + 1;
	}
	if (p >= end || (*p != '+' && *p != '-'))
		return NULL;
	int sign = *p == '-' ? -1 : 1;
	int hh = digits(p + 1, end, 2), mm = 0;
	const char *q = p + 3;

	if (hh < 0 || hh > 23)
		return NULL;
	if (q < end && *q == ':') {
		mm = digits(q + 1, end, 2);
		q += 3;
	} else if (q < end && is_digit(*q)) {
		mm = digits(q, end, 2);
		q += 2;
	}
	if (mm < 0 || mm > 59)
		return NULL;
	*offset = sign * (hh * 3600 + mm * 60);
	return q;
}

static int64_t
utc_from_fields(const int tm[6], int offset)
{
	return header_days_from_civil(tm[0], (unsigned)tm[1], (unsigned)tm[2]) * ONE_DAY +
	    tm[3] * 3600 + tm[4] * 60 + tm[5] - offset;
}

static int
parse_iso(struct header_clock *clk, const char *p, const char *end, struct line_header *out)
{
	int tm[6], offset;
	const char *q = parse_iso_datetime(p, end, 'T', tm);

	if (q == NULL)
		return -1;
	const char *z = parse_zone(q, end, &offset);
	if (z != NULL)
		out->time = utc_from_fields(tm, offset);
	else {
		z = q;
		out->time = local_to_utc(clk, tm[0], tm[1], tm[2], tm[3], tm[4], tm[5]);
	}
	if ((z = skip_spaces(z, end)) == NULL)
		return -1;
	out->format = HEADER_ISO;
	return parse_host_tag(z, end, out);
}

/* One space-delimited RFC 5424 header field; "-" is the nil value. */
static const char *
field_5424(const char *p, const char *end, const char **start, size_t *len)
{
	const char *s = p;

	while (p < end && *p != ' ')
		p++;
	if (p == s || p >= end)
		return NULL;
	*start = s;
	*len = (size_t)(p - s);
	if (*len == 1 && *s == '-')
		*start = NULL, *len = 0;
	return p + 1;
}

static int
parse_rfc5424(struct header_clock *clk, const char *p, const char *end, struct line_header *out)
{
	int tm[6], offset;
	const char *q, *f;
	size_t flen;

	if (end - p >= 2 && p[0] == '-' && p[1] == ' ')
		return -1;	/* nil timestamp: nothing to date the event with */
	q = parse_iso_datetime(p, end, 'T', tm);
	if (q == NULL)
		return -1;
	const char *z = parse_zone(q, end, &offset);
	if (z == NULL)
		return -1;
	out->time = utc_from_fields(tm, offset);
	(void)clk;
	if (z >= end || *z != ' ')
		return -1;
	p = z + 1;
	if ((p = field_5424(p, end, &out->host, &out->host_len)) == NULL)
		return -1;
	if ((p = field_5424(p, end, &out->program, &out->program_len)) == NULL)
		return -1;
	if ((p = field_5424(p, end, &f, &flen)) == NULL)
		return -1;
	out->pid = -1;
	if (f != NULL && flen <= 9) {
		long pid = 0;
		size_t i;

		for (i = 0; i < flen && is_digit(f[i]); i++)
			pid = pid * 10 + (f[i] - '0');
		if (i == flen)
			out->pid = pid;
	}
	if ((p = field_5424(p, end, &f, &flen)) == NULL)	/* MSGID */
		return -1;
	/* STRUCTURED-DATA: "-" or one or more [..] elements with \] escapes. */
	if (p < end && *p == '-') {
		p++;
	} else {
		while (p < end && *p == '[') {
			p++;
			while (p < end && *p != ']') {
				if (*p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p >= end)
				return -1;
			p++;
		}
	}
	if (p < end && *p == ' ')
		p++;
	if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	out->format = HEADER_RFC5424;
	out->msg = p;
	out->msg_len = (size_t)(end - p);
	return 0;
}

/*
 * A syslog "HOST TAG[PID]: " after a "YYYY-MM-DD HH:MM:SS " time, as some
 * syslog daemons and log shippers write. Strict (a host without '=', a tag
 * with a pid), so that an Exim mainlog message is never taken for one.
 */
static int
parse_syslog_after_time(const char *p, const char *end, struct line_header *out)
{
	struct line_header h;
	const char *lim = bound(p, end, HOST_MAX + 1);

	for (const char *q = p; q < lim && *q != ' '; q++)
		if (*q == '=' || *q == '<' || *q == '(' || *q == '[')
			return -1;
	memset(&h, 0, sizeof(h));
	h.pid = -1;
	if (parse_host_tag(p, end, &h) < 0 || h.program == NULL || h.pid < 0 || h.host == NULL)
		return -1;
	out->host = h.host;
	out->host_len = h.host_len;
	out->program = h.program;
	out->program_len = h.program_len;
	out->pid = h.pid;
	out->msg = h.msg;
	out->msg_len = h.msg_len;
	return 0;
}

static int
parse_exim(struct header_clock *clk, const char *p, const char *end, struct line_header *out)
{
	int tm[6], offset;
	const char *q = parse_iso_datetime(p, end, ' ', tm);

	if (q == NULL || q >= end || *q != ' ')
		return -1;
	q++;
	const char *z = NULL;
	if (q < end && (*q == '+' || *q == '-') && end - q >= 6 && is_digit(q[1]))
		z = parse_zone(q, end, &offset);
	if (z != NULL && (z == end || *z == ' ')) {
		out->time = utc_from_fields(tm, offset);
		q = z < end ? z + 1 : z;
	} else {
		out->time = local_to_utc(clk, tm[0], tm[1], tm[2], tm[3], tm[4], tm[5]);
	}
	if (parse_dovecot_own(q, end, out) == 0) {
		out->format = HEADER_ISO;	/* log_timestamp = "%Y-%m-%d %H:%M:%S " */
		return 0;
	}
	if (q < end && *q != '[' && parse_syslog_after_time(q, end, out) == 0) {
		out->format = HEADER_ISO;	/* "2024-05-01 10:00:00 mx1 exim[123]: " */
		return 0;
	}
	out->format = HEADER_EXIM;
	out->host = NULL;
	out->host_len = 0;
	out->program = NULL;
	out->program_len = 0;
	out->pid = -1;
	if (q < end && *q == '[') {
		const char *r = q + 1;
		long pid = 0;
		int nd = 0;

		while (r < end && is_digit(*r) && nd < 9) {
			pid = pid * 10 + (*r - '0');
			r++;
			nd++;
		}
		if (nd > 0 && r < end && *r == ']') {
			out->pid = pid;
			q = r + 1;
			if (q < end && *q == ' ')
				q++;
		}
	}
	out->msg = q;
	out->msg_len = (size_t)(end - q);
	return 0;
}

int
header_parse(struct header_clock *clk, const char *line, size_t len, struct line_header *out)
{
	const char *p = line, *end = line + len;

	memset(out, 0, sizeof(*out));
	out->pid = -1;
	if (len > 0 && line[len - 1] == '\r')
		end--;
	/* An optional "<PRI>" as written by some relays. */
	if (p < end && *p == '<') {
		const char *q = p + 1;
		int nd = 0;

		while (q < end && is_digit(*q) && nd < 3)
			q++, nd++;
		if (nd > 0 && q < end && *q == '>') {
			p = q + 1;
			if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
				return parse_rfc5424(clk, p + 2, end, out);
		}
	}
	if (p >= end)
		return -1;
	if (is_digit(*p)) {
		if (end - p > 10 && p[10] == 'T')
			return parse_iso(clk, p, end, out);
		if (end - p > 10 && p[10] == ' ')
			return parse_exim(clk, p, end, out);
		return -1;
	}
	return parse_rfc3164(clk, p, end, out);
}

size_t
header_embedded_stamp_len(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;
	int tm[6];
	const char *q = parse_iso_datetime(p, end, ' ', tm);

	if (q == NULL) {
		q = p;		/* syslog_timestamp = false: only "[pid] ", if anything */
	} else {
		if (q >= end || *q != ' ')
			return 0;
		q++;
	}
	if (q < end && *q == '[') {
		const char *r = q + 1;

		while (r < end && is_digit(*r))
			r++;
		if (r > q + 1 && r < end && *r == ']') {
			q = r + 1;
			if (q < end && *q == ' ')
				q++;
		}
	}
	return (size_t)(q - msg);
}
