/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timeparse_test.c: the one parser of --since and --until, against a fixed
 * "now" in Europe/Berlin: today, yesterday and weekdays are 00:00 local
 * time by the calendar (a day of a change to summer time has 23 hours),
 * durations count back from now, ISO dates without a zone are local, and
 * anything else is refused.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "timeparse.h"

static long long
at(const char *s, int64_t now)
{
	int64_t t;

	return timeparse_point(s, now, &t) < 0 ? -1 : (long long)t;
}

int
main(void)
{
	/* Wednesday 2026-12-09 15:30 CET; 00:00 of the 9th, 8th, 7th (Monday), 3rd (Thursday). */
	const int64_t wed = 1796826600;
	const long long d9 = 1796770800, d8 = 1796684400, d7 = 1796598000, d3 = 1796252400;
	/* Monday 2026-03-30 10:00 CEST, the day after the change to summer time. */
	const int64_t mon = 1774857600;
	const long long m30 = 1774821600, m29 = 1774738800;
	char text[64];

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	is_int(at("today", wed), d9, "today: 00:00 local time");
	is_int(at("TODAY", wed), d9, "in any case");
	is_int(at("yesterday", wed), d8, "yesterday: 00:00 of the day before");
	is_int(at("monday", wed), d7, "monday: the most recent Monday 00:00");
	is_int(at("mon", wed), d7, "mon: the same");
	is_int(at("wednesday", wed), d9, "a weekday that is today: today 00:00");
	is_int(at("thursday", wed), d3, "thursday: six days back");
	is_int(at("now", wed), wed, "now");
	is_int(at("2d", wed), wed - 172800, "2d: 48 hours back");
	is_int(at("36h", wed), wed - 129600, "36h");
	is_int(at("90m", wed), wed - 5400, "90m");
	is_int(at("2026-11-22T06:40", wed), 1795326000, "an ISO date-time without a zone is local");
	is_int(at("2026-11-22T06:40Z", wed), 1795326000 + 3600, "... with Z it is UTC");
	is_int(at("today", mon), m30, "today after the change to summer time: 00:00 CEST");
	is_int(at("yesterday", mon), m29, "yesterday: 00:00 CET, 23 hours before");
	is_int(at("sunday", mon), m29, "sunday: the same day");
	is_int(at("monday", mon), m30, "monday on a Monday: today");
	for (size_t i = 0; i < 7; i++) {
		static const char *const bad[] = { "mo", "tomorrow", "mondays", "today ", "2x",
			"yesterday1", "" };
		is_int(at(bad[i], wed), -1, "refused: \"%s\"", bad[i]);
	}
	timeparse_format_local(d7, text, sizeof(text));
	is_str(text, "2026-12-07 00:00 CET", "the local form names the zone");
	timeparse_format_local(m30, text, sizeof(text));
	is_str(text, "2026-03-30 00:00 CEST", "... summer time too");
	return done_testing();
}
