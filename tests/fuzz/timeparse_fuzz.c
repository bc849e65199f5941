/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * timeparse_fuzz.c: libFuzzer target for the time arguments of the command
 * line (src/timeparse.c: --since 24h, --until 2026-11-22T06:40Z).
 *
 * Promises checked: a duration is never negative and a point from a duration
 * is exactly that far before now; a date with an explicit zone does not
 * depend on the process's zone (words such as today or monday do: they name
 * the local day); and every time formatted with
 * timeparse_format_iso reads back as the same second.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "timeparse.h"

#define NOW 1795329607	/* mid-November 2026 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	int64_t d = timeparse_duration(s), t, t2;
	char iso[64];

	FUZZ_CHECK(d >= -1, "duration %lld", (long long)d);
	if (timeparse_point(s, NOW, &t) == 0) {
		if (d >= 0)
			FUZZ_CHECK(t == NOW - d, "point %lld for duration %lld", (long long)t,
			    (long long)d);
		size_t len = strlen(s);
		/*
		 * A date with an explicit zone: the same instant in any TZ. (Words
		 * such as today or a weekday name are the local day by design.)
		 */
		if (s[0] >= '0' && s[0] <= '9' && d < 0 &&
		    (strpbrk(s, "Z+") != NULL || (len > 10 && strchr(s + 10, '-') != NULL))) {
			setenv("TZ", "America/St_Johns", 1);
			tzset();
			FUZZ_CHECK(timeparse_point(s, NOW, &t2) == 0 && t2 == t,
			    "\"%s\": %lld in Berlin, %lld in St. John's", s, (long long)t,
			    (long long)t2);
			setenv("TZ", "Europe/Berlin", 1);
			tzset();
		}
		timeparse_format_iso(t, iso, sizeof(iso));
		if (t >= 0 && t < 253402300800LL) {	/* years 1970..9999 */
			FUZZ_CHECK(timeparse_point(iso, NOW, &t2) == 0 && t2 == t,
			    "\"%s\" -> %lld -> \"%s\" -> %lld", s, (long long)t, iso, (long long)t2);
		}
	}
	/* Any value formats without overflowing the buffer. */
	int64_t any = 0;
	memcpy(&any, data, size < sizeof(any) ? size : sizeof(any));
	timeparse_format_iso(any, iso, sizeof(iso));
	timeparse_format_iso(any, iso, 21);
	free(s);
	return 0;
}
