/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timeparse.h: the time arguments of the command line, one parser for every
 * command that reads them (query, top, summary). A point in time is
 *   - a duration back from now ("90s", "30m", "36h", "2d", "2w");
 *   - "now", "today" (00:00 of the day), "yesterday" (00:00 of the day
 *     before), a weekday ("monday" or "mon": 00:00 of the most recent
 *     Monday, today if it is one), in any case;
 *   - an ISO 8601 date or date-time ("2026-11-22", "2026-11-22T06:40",
 *     "2026-11-22 06:40:07Z", "...+01:00").
 * Days and times without a zone are local time: TZ, else the system's zone
 * (cmd_setup sets TZ from the configuration's timezone).
 */
#ifndef TLSLOGD_TIMEPARSE_H
#define TLSLOGD_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Seconds in a duration such as "24h"; -1 if s is not one. */
int64_t timeparse_duration(const char *s);
/* A point in time (UTC seconds) from any of the forms above, now given; -1 on error. */
int timeparse_point(const char *s, int64_t now, int64_t *out);
/* The forms timeparse_point takes, for an error message. */
#define TIMEPARSE_FORMS "today, yesterday, a weekday (monday), a duration (36h, 2d) or an " \
	"ISO date or time (2026-11-22, 2026-11-22T06:40)"
/* Format UTC seconds as local time with the zone's name: "2026-12-07 00:00 CET". */
void timeparse_format_local(int64_t t, char *out, size_t size);
/* Format UTC seconds as "2026-11-22T06:40:07Z" into out (at least 21 bytes). */
void timeparse_format_iso(int64_t t, char *out, size_t size);

#endif
