/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timeparse.c: durations and ISO 8601 times on the command line (see
 * timeparse.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "header.h"
#include "timeparse.h"

int64_t
timeparse_duration(const char *s)
{
	int64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (v > INT64_MAX / 10 / 604800)
			return -1;
		v = v * 10 + (*p - '0');
		p++;
	}
	int64_t unit;
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 604800; break;
	default: return -1;
	}
	if (p[1] != '\0')
		return -1;
	return v * unit;
}

static int
num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * 00:00 local time of the day back days before now's, by the calendar (a
 * day of a change to or from summer time is 23 or 25 hours); -1 on error.
 */
static int
local_midnight(int64_t now, int back, int64_t *out)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	tm.tm_mday -= back;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/* Days back from now's to the day s names ("today" 0, "yesterday" 1, "mon"...), or -1. */
static int
named_day(const char *s, int64_t now)
{
	static const char *const days[] = { "sunday", "monday", "tuesday", "wednesday",
		"thursday", "friday", "saturday" };
	time_t t = (time_t)now;
	struct tm tm;
	size_t len = strlen(s);

	if (strcasecmp(s, "today") == 0)
		return 0;
	if (strcasecmp(s, "yesterday") == 0)
		return 1;
	if (len < 3 || localtime_r(&t, &tm) == NULL)
		return -1;
	for (int d = 0; d < 7; d++)
		if ((len == 3 || len == strlen(days[d])) && strncasecmp(s, days[d], len) == 0)
			return (tm.tm_wday - d + 7) % 7;
	return -1;
}

int
timeparse_point(const char *s, int64_t now, int64_t *out)
{
	int64_t d = timeparse_duration(s);
	size_t len = strlen(s);
	int back;

	if (d >= 0) {
		*out = now - d;
		return 0;
	}
	if (strcasecmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if ((back = named_day(s, now)) >= 0)
		return local_midnight(now, back, out);
	if (len < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	int y = num(s, 4), mo = num(s + 5, 2), day = num(s + 8, 2), h = 0, mi = 0, sec = 0;
	if (y < 1970 || mo < 1 || mo > 12 || day < 1 || day > 31)
		return -1;
	const char *p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (strlen(p) < 6 || p[3] != ':')
			return -1;
		h = num(p + 1, 2);
		mi = num(p + 4, 2);
		p += 6;
		if (*p == ':') {
			sec = num(p + 1, 2);
			p += 3;
		}
		if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
			return -1;
	}
	int has_zone = 0, offset = 0;
	if (*p == 'Z') {
		has_zone = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int zh = num(p + 1, 2), zm = 0;
		if (zh < 0 || zh > 23)
			return -1;
		p += 3;
		if (*p == ':')
			p++;
		if (*p) {
			zm = num(p, 2);
			if (zm < 0 || zm > 59)
				return -1;
			p += 2;
		}
		has_zone = 1;
		offset = sign * (zh * 3600 + zm * 60);
	}
	if (*p != '\0')
		return -1;
	if (has_zone) {
		*out = header_days_from_civil(y, (unsigned)mo, (unsigned)day) * 86400 + h * 3600 +
		    mi * 60 + sec - offset;
		return 0;
	}
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

void
timeparse_format_local(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(out, size, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(out, size, "%lld", (long long)t);
}

void
timeparse_format_iso(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "%lld", (long long)t);
}
