/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * match_limits_test.c: no line can make any shipped rule slow. Every rule of
 * the shipped sets is run on hostile messages that start with (or contain)
 * its literal, so that PCRE2 really runs: 64 KiB (the default line limit) of
 * one character, of nested brackets and parentheses, of repeated peer
 * notation; each match must take at most a few milliseconds, and 1 MiB
 * messages at most proportionally longer (no super-linear backtracking).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rules.h"
#include "tap.h"
#include "util.h"

/*
 * The CPU time of this thread: a test machine busy with other work (make -j,
 * sanitizers) delays the wall clock of a match, not the work it does.
 */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* literal, then `fill` repeated to `size` bytes. */
static char *
hostile(const char *literal, const char *fill, size_t size, size_t *len)
{
	size_t ll = literal ? strlen(literal) : 0, fl = strlen(fill);
	char *m = xmalloc(size + ll + 1);

	if (ll)
		memcpy(m, literal, ll);
	size_t n = ll;
	while (n + fl <= size + ll) {
		memcpy(m + n, fill, fl);
		n += fl;
	}
	m[n] = '\0';
	*len = n;
	return m;
}

int
main(void)
{
	const char *dir = getenv("TLSLOGD_PATTERNS");
	static const char *const fills[] = {
		"a", " ", "[", "(", "((", "[[]]", "x[192.0.2.1]", "unknown[", ": ", ", ",
		"=", "error:0A0000C1:SSL routines::", "(x) ", "H=", "<", "\\",
	};
	double worst_small = 0, worst_big = 0;
	const char *worst_rule = "";

	log_init("match_limits_test");
	if (dir == NULL)
		dir = "patterns";
	struct rules *rules = rules_load(dir, NULL, 0);
	ok(rules != NULL, "shipped rules load from %s", dir);
	if (rules == NULL)
		return done_testing();

	for (size_t i = 0; i < rules_count(rules); i++) {
		const struct rule *r = rules_get(rules, i);
		const char *daemon = r->nprograms ? r->programs[0] : "smtpd";
		struct rule_match m;

		if (r->disabled)
			continue;
		for (size_t f = 0; f < sizeof(fills) / sizeof(fills[0]); f++) {
			for (int big = 0; big <= 1; big++) {
				size_t len;
				char *msg = hostile(r->literal, fills[f], big ? 1024 * 1024 : 64 * 1024, &len);
				/* The best of three, for the cache misses of a first run. */
				double dt = 0;
				for (int run = 0; run < 3; run++) {
					double t0 = now_ms();
					(void)rules_match_one(rules, r, daemon, strlen(daemon), msg, len, &m);
					double t = now_ms() - t0;
					if (run == 0 || t < dt)
						dt = t;
					if (dt <= 2)
						break;
				}
				free(msg);
				if (!big && dt > worst_small) {
					worst_small = dt;
					worst_rule = r->id;
				}
				if (big && dt > worst_big)
					worst_big = dt;
				if ((!big && dt > 20) || (big && dt > 300))
					ok(0, "rule %s on %s of \"%s\": %.1f ms", r->id, big ? "1 MiB" : "64 KiB",
					    fills[f], dt);
			}
		}
	}
	ok(worst_small <= 20, "every rule on every 64 KiB hostile line: worst %.2f ms (%s)",
	    worst_small, worst_rule);
	ok(worst_big <= 300, "every rule on every 1 MiB hostile line: worst %.2f ms", worst_big);
	printf("# %zu rules x %zu fills\n", rules_count(rules), sizeof(fills) / sizeof(fills[0]));
	rules_free(rules);
	return done_testing();
}
