/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timeparse.h: the time arguments of the command line. A point in time is
 * either a duration back from now ("90s", "30m", "24h", "7d", "2w") or an ISO
 * 8601 date or date-time ("2026-11-22", "2026-11-22T06:40", "2026-11-22
 * 06:40:07Z", "...+01:00"); without a zone it is local time.
 */
#ifndef TLSLOGD_TIMEPARSE_H
#define TLSLOGD_TIMEPARSE_H

#include <stdint.h>

/* Seconds in a duration such as "24h"; -1 if s is not one. */
int64_t timeparse_duration(const char *s);
/* A point in time (UTC seconds) from a duration ago or an ISO date; -1 on error. */
int timeparse_point(const char *s, int64_t now, int64_t *out);
/* Format UTC seconds as "2026-11-22T06:40:07Z" into out (at least 21 bytes). */
void timeparse_format_iso(int64_t t, char *out, size_t size);

#endif
