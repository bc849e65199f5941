/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rules_test.c: loading and matching outside the shipped sets: the one-pass
 * literal scan (literals at the start and end of a message, literals sharing
 * their first bytes, one-byte literals, short literals gated by an anchored
 * start (and those that cannot be), rules without one, more than 64
 * literals in a set), success rules' "unless" text, routing by program tag,
 * first match wins, the reason table, the match limit on a pathological
 * line, and patterns JIT-compiled at their first match (also by two threads
 * at once).
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "rules.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/tlslogd-rules-XXXXXX";

static void
write_rules(const char *name, const char *text)
{
	char path[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
}

static const char *
match(struct rules *rules, const char *program, const char *msg)
{
	struct rule_match m;
	int set = rules_route(rules, program, strlen(program));
	const char *slash = strrchr(program, '/');
	const char *daemon = slash ? slash + 1 : program;
	const struct rule *r = rules_match(rules, set, daemon, strlen(daemon), msg, strlen(msg), &m);

	return r ? r->id : NULL;
}

static int ends_asked;

static int
ends_answer(void *ctx)
{
	ends_asked++;
	return *(const int *)ctx;
}

/* rules_match_ends on a line of program e/d, the consumer answering `matters`. */
static const char *
ends_match(struct rules *rules, const char *msg, int matters)
{
	struct rule_match m;
	int set = rules_route(rules, "e/d", 3);
	const struct rule *r;

	ends_asked = 0;
	r = rules_match_ends(rules, set, "d", 1, msg, strlen(msg), ends_answer, &matters, &m);
	return r ? r->id : NULL;
}

/* The size of a rule's JIT code: 0 while it is not JIT-compiled. */
static size_t
jit_size(const struct rules *rules, const char *id)
{
	size_t size = 0;

	for (size_t i = 0; i < rules_count(rules); i++)
		if (strcmp(rules_get(rules, i)->id, id) == 0)
			pcre2_pattern_info(rules_get(rules, i)->code, PCRE2_INFO_JITSIZE, &size);
	return size;
}

/* A thread matching on its own fork: how many of 200 lines of one rule matched. */
struct racer {
	struct rules *fork;
	int matched;
};

static void *
race(void *arg)
{
	struct racer *rc = arg;

	for (int i = 0; i < 200; i++) {
		const char *got = match(rc->fork, "t/d", "word42x");
		rc->matched += got != NULL && strcmp(got, "many-42") == 0;
	}
	return NULL;
}

#define RULE(id, literal, pattern) \
	"rule " id "\n kind auth_failed\n direction in\n" literal " pattern " pattern "\n" \
	" example Nov 22 06:40:07 mx1 t/d[1]: x\n"

int
main(void)
{
	log_init("rules_test");
	if (mkdtemp(dir) == NULL)
		return 2;

	struct buf text;
	buf_init(&text);
	buf_puts(&text, "mta t\nprograms t/* t-*/*\n");
	buf_puts(&text, RULE("at-start", " literal SSL_accept\n", "^SSL_accept (?<peer_ip>\\S+)$"));
	buf_puts(&text, RULE("at-end", " literal tail\n", "end of line tail$"));
	buf_puts(&text, RULE("long-prefix", " literal TLS error on connection (\n", "^TLS error on connection \\("));
	buf_puts(&text, RULE("short-prefix", " literal TLS error on connection\n", "^TLS error on connection "));
	buf_puts(&text, RULE("one-byte", " literal %\n", "^100% done$"));
	/* Short literals of anchored rules: gated by the start, out of the window. */
	buf_puts(&text, RULE("gated", " literal n=0/\n", "^counters from \\S+ (?:\\w+=\\d+ )*n=0/\\d+$"));
	buf_puts(&text, RULE("shared-anchored", " literal k=0/\n", "^counters from x k=0/1$"));
	buf_puts(&text, RULE("shared-anywhere", " literal k=0/\n", "k=0/2$"));
	buf_puts(&text, RULE("alternation", " literal m=0/\n", "^counters from z|m=0/3$"));
	buf_puts(&text, RULE("no-literal", "", "^plain (?<reason>.+)$"));
	buf_puts(&text, RULE("classify", " literal fail: \n classify reason\n", "^fail: (?<reason>.+)$"));
	buf_puts(&text, RULE("nested", " literal nest\n", "^nest(a+)+$"));
	/* 70 more literals: past the 64 of the scan, memmem takes over. */
	for (int i = 0; i < 70; i++) {
		char id[32], lit[64], pat[64];
		snprintf(id, sizeof(id), "many-%02d", i);
		snprintf(lit, sizeof(lit), " literal word%02dx\n", i);
		snprintf(pat, sizeof(pat), "^word%02dx$", i);
		buf_printf(&text, RULE("%s", "%s", "%s"), id, lit, pat);
	}
	write_rules("t.rules", text.data);
	buf_free(&text);
	write_rules("reasons.rules", "reason auth_temp_failure backend down\nreason tls_timeout time\n");

	struct rules *rules = rules_load(dir, NULL, 0);
	ok(rules != NULL, "rules load");
	if (rules == NULL)
		return done_testing();
	is_int(rules_set_count(rules), 1, "one set");

	/* JIT at the first match: two threads on forks race to be first, both match every line. */
	uint32_t have_jit = 0;
	pcre2_config(PCRE2_CONFIG_JIT, &have_jit);
	is_int(jit_size(rules, "many-42"), 0, "no pattern is JIT-compiled at load");
	struct racer racers[2] = { { rules_fork(rules), 0 }, { rules_fork(rules), 0 } };
	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		if (racers[i].fork == NULL || pthread_create(&threads[i], NULL, race, &racers[i]) != 0)
			return 2;
	for (int i = 0; i < 2; i++) {
		pthread_join(threads[i], NULL);
		rules_fork_free(racers[i].fork);
	}
	ok(racers[0].matched == 200 && racers[1].matched == 200,
	    "two threads matching one fresh pattern at once: every line matched (%d, %d)",
	    racers[0].matched, racers[1].matched);
	ok(!have_jit || jit_size(rules, "many-42") > 0, "the pattern is JIT-compiled after its first match");
	is_int(jit_size(rules, "many-41"), 0, "a pattern that never ran is not");

	is_str(match(rules, "t/d", "SSL_accept 192.0.2.1"), "at-start", "literal at the start");
	is_str(match(rules, "t/d", "end of line tail"), "at-end", "literal at the very end");
	is_str(match(rules, "t/d", "end of line tai"), NULL, "literal cut at the end: no match");
	is_str(match(rules, "t/d", "TLS error on connection (x"), "long-prefix", "longer of two literals with a shared prefix");
	is_str(match(rules, "t/d", "TLS error on connection x"), "short-prefix", "shorter of the two");
	is_str(match(rules, "t/d", "100% done"), "one-byte", "one-byte literal (memmem)");
	is_str(match(rules, "t/d", "counters from h a=1 n=0/1"), "gated", "gated literal after its gate");
	is_str(match(rules, "t/d", "counters from h n=0/12"), "gated", "gated literal right after the host");
	is_str(match(rules, "t/d", "counters from x k=0/1"), "shared-anchored", "shared literal, anchored rule");
	is_str(match(rules, "t/d", "other text k=0/2"), "shared-anywhere",
	    "a literal shared with a rule that is not anchored is looked for anywhere");
	is_str(match(rules, "t/d", "other text m=0/3"), "alternation",
	    "a pattern with a top-level alternative is not taken as anchored");
	is_str(match(rules, "t/d", "plain text"), "no-literal", "rule without a literal still runs");
	is_str(match(rules, "t/d", "word00x"), "many-00", "first of many literals");
	is_str(match(rules, "t/d", "word63x"), "many-63", "last literal in the scan");
	is_str(match(rules, "t/d", "word64x"), "many-64", "literal past the scan (memmem)");
	is_str(match(rules, "t/d", "word69x"), "many-69", "last literal");
	is_str(match(rules, "t-2/sub/d", "word05x"), "many-05", "route by glob t-*/*");
	ok(rules_route(rules, "other/d", 7) < 0, "unknown program routes nowhere");
	ok(rules_route(rules, NULL, 0) < 0, "no headerless set");

	enum event_kind kind;
	const char *norm;
	size_t norm_len;
	ok(rules_classify(rules, "the BACKEND DOWN now", 20, &kind, &norm, &norm_len) == 1,
	    "reason found case-insensitively");
	is_str(event_kind_name(kind), "auth_temp_failure", "first entry wins");
	is_str(norm, "backend down", "normalized text");
	ok(rules_classify(rules, "nothing", 7, &kind, &norm, &norm_len) == 0, "unknown reason");
	ok(rules_classify(rules, "back: backend dow, backend down", 31, &kind, &norm, &norm_len) == 1 &&
	    strcmp(norm, "backend down") == 0, "reason text after false starts, at the very end");
	ok(rules_classify(rules, "Backend Down", 12, &kind, &norm, &norm_len) == 1 &&
	    strcmp(norm, "backend down") == 0, "reason text that is the whole reason");
	ok(rules_classify(rules, "backend dow", 11, &kind, &norm, &norm_len) == 0,
	    "reason text cut at the end: no entry");

	/* A pathological line stops at the match limit, fast. */
	size_t n = 200000;
	char *line = xmalloc(n + 8);
	memcpy(line, "nest", 4);
	memset(line + 4, 'a', n);
	line[n + 4] = 'b';
	line[n + 5] = '\0';
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *got = match(rules, "t/d", line);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ok(got == NULL || strcmp(got, "nested") != 0, "catastrophic backtracking gives no match");
	ok(ms < 500, "and stops quickly (%.1f ms)", ms);
	free(line);

	rules_free(rules);

	/* rules_match_ends: end and close rules skipped when they cannot matter. */
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/ends", dir);
	if (mkdir(sub, 0700) != 0)
		return 2;
	buf_init(&text);
	buf_puts(&text, "mta e\nprograms e/*\n");
	buf_puts(&text, RULE("end-first", " role end\n literal disconnect from\n", "^disconnect from (?<peer_ip>\\S+)"));
	buf_puts(&text, RULE("alone-later", " literal magic\n", "magic"));
	buf_puts(&text, RULE("close-last", " role close\n literal bye now\n", "^bye now$"));
	write_rules("ends/e.rules", text.data);
	buf_free(&text);
	rules = rules_load(sub, NULL, 0);
	ok(rules != NULL, "rules with end and close roles load");
	if (rules != NULL) {
		is_str(ends_match(rules, "disconnect from x", 0), NULL, "an end line that cannot matter: skipped");
		is_int(ends_asked, 1, "the consumer was asked once");
		is_str(ends_match(rules, "disconnect from x", 1), "end-first", "an end line that matters: matched");
		is_str(ends_match(rules, "disconnect from magic", 0), "end-first",
		    "a later rule may match too: the end rule still runs and wins");
		is_str(ends_match(rules, "bye now", 0), NULL, "a close line that cannot matter: skipped");
		is_str(ends_match(rules, "magic word", 0), "alone-later", "other rules are not affected");
		is_int(ends_asked, 0, "and the consumer is not asked without an end literal");
		is_str(ends_match(rules, "hello", 0), NULL, "no literal, no rule");
		rules_free(rules);
	}

	/*
	 * Rules for some programs only: each program's lines are scanned for
	 * the literals of the rules that run on it, and every such rule whose
	 * literal is in the line is still tried, in file order.
	 */
	snprintf(sub, sizeof(sub), "%s/programs", dir);
	if (mkdir(sub, 0700) != 0)
		return 2;
	buf_init(&text);
	buf_puts(&text, "mta p\nprograms p/* p\n");
	buf_puts(&text, RULE("in-only", " programs smtpd\n literal handshake failed\n", "^handshake failed in$"));
	buf_puts(&text, RULE("out-only", " programs smtp lmtp\n literal handshake failed\n", "^handshake failed"));
	buf_puts(&text, RULE("glob", " programs smtp*\n literal glob word\n", "glob word"));
	buf_puts(&text, RULE("everywhere", " literal disabling TLS support\n", "disabling TLS support$"));
	buf_puts(&text, RULE("everywhere-late", " literal ab\n", "^ab$"));
	for (int i = 0; i < 20; i++) {
		char id[32], lit[64];
		snprintf(id, sizeof(id), "in-%02d", i);
		snprintf(lit, sizeof(lit), " programs smtpd\n literal in-word%02d\n", i);
		buf_printf(&text, RULE("%s", "%s", "in-word%02d"), id, lit, i);
	}
	for (int i = 0; i < 20; i++) {
		char id[32], lit[64], pat[64];
		snprintf(id, sizeof(id), "own-%02d", i);
		snprintf(lit, sizeof(lit), " programs d%02d\n literal own word\n", i);
		snprintf(pat, sizeof(pat), "own word %02d$", i);
		buf_printf(&text, RULE("%s", "%s", "%s"), id, lit, pat);
	}
	write_rules("programs/p.rules", text.data);
	buf_free(&text);
	rules = rules_load(sub, NULL, 0);
	ok(rules != NULL, "rules for some programs load");
	if (rules != NULL) {
		for (int round = 0; round < 2; round++) {	/* the second: from the program cache */
			is_str(match(rules, "p/smtpd", "handshake failed in"), "in-only", "smtpd: its rule");
			is_str(match(rules, "p/smtp", "handshake failed in"), "out-only",
			    "smtp: the same literal, its own rule");
			is_str(match(rules, "p/lmtp", "handshake failed out"), "out-only", "lmtp: a second program of the rule");
			is_str(match(rules, "p/qmgr", "handshake failed in"), NULL, "qmgr: no rule of its own");
			is_str(match(rules, "p/qmgr", "x disabling TLS support"), "everywhere",
			    "qmgr: a rule for every program");
			is_str(match(rules, "p/smtpd", "x disabling TLS support"), "everywhere", "smtpd: that rule too");
			is_str(match(rules, "p/qmgr", "ab"), "everywhere-late", "a short literal of a rule for every program");
			is_str(match(rules, "p/smtp-out", "a glob word"), "glob", "a glob of programs");
			is_str(match(rules, "p/lmtpd", "a glob word"), NULL, "and not past it");
			is_str(match(rules, "p/smtpd", "in-word19"), "in-19", "the last of a program's many literals");
			is_str(match(rules, "p/smtp", "in-word19"), NULL, "not on another program");
			is_str(match(rules, "p", "x disabling TLS support"), "everywhere", "a tag without a '/'");
		}
		struct rule_match m;
		int set = rules_route(rules, "p/x", 3);
		is_str(rules_match(rules, set, NULL, 0, "x disabling TLS support", 23, &m) ?
		    m.rule->id : NULL, "everywhere", "no program: the rules for every program");
		ok(rules_match(rules, set, "", 0, "handshake failed in", 19, &m) == NULL,
		    "an empty program: none of the others");
		/* More programs with rules of their own than a matcher makes views for (16). */
		int right = 0;
		for (int i = 0; i < 20; i++) {
			char prog[32], own[32], other[32], id[32];
			snprintf(prog, sizeof(prog), "p/d%02d", i);
			snprintf(own, sizeof(own), "own word %02d", i);
			snprintf(other, sizeof(other), "own word %02d", (i + 1) % 20);
			snprintf(id, sizeof(id), "own-%02d", i);
			const char *got_own = match(rules, prog, own);
			right += got_own != NULL && strcmp(got_own, id) == 0 && match(rules, prog, other) == NULL;
		}
		is_int(right, 20, "20 programs with a rule each: each its own rule, not the others'");
		is_str(match(rules, "p/smtpd", "handshake failed in"), "in-only", "and the first program still");
		rules_free(rules);
	}

	/* A line that makes a pattern backtrack past the match limit is counted, not lost silently. */
	snprintf(sub, sizeof(sub), "%s/limit", dir);
	if (mkdir(sub, 0700) != 0)
		return 2;
	write_rules("limit/l.rules", "mta l\nprograms l\n"
	    RULE("slow", " literal slow\n", "^slow(a+)+$"));
	rules = rules_load(sub, NULL, 0);
	ok(rules != NULL, "a rule that can backtrack loads");
	if (rules != NULL) {
		char slow[4002];
		memcpy(slow, "slow", 4);
		memset(slow + 4, 'a', sizeof(slow) - 6);
		slow[sizeof(slow) - 2] = 'b';
		slow[sizeof(slow) - 1] = '\0';
		is_int(rules_limit_hits(rules), 0, "no limit hit before");
		is_str(match(rules, "l", slow), NULL, "the line is not matched");
		is_int(rules_limit_hits(rules), 1, "the limit hit is counted");
		is_str(match(rules, "l", slow), NULL, "again");
		is_int(rules_limit_hits(rules), 2, "each hit is counted");
		is_str(match(rules, "l", "slowaaaa"), "slow", "a short line still matches");
		is_int(rules_limit_hits(rules), 2, "a match is no hit");
		struct rules *fork = rules_fork(rules);
		ok(fork != NULL && rules_limit_hits(fork) == 0, "a fork counts its own hits");
		rules_fork_free(fork);
		rules_free(rules);
	}

	/* "unless": a success rule is not tried on a line with that text, found by the scan or memmem. */
	snprintf(sub, sizeof(sub), "%s/unless", dir);
	if (mkdir(sub, 0700) != 0)
		return 2;
	write_rules("unless/u.rules", "mta u\nprograms u\n"
	    "rule u-scanned\n role success\n counts session\n direction in\n literal bye from \n"
	    " unless tls=\n pattern ^bye from \\[(?<peer_ip>[0-9.]++)\\](?: [a-z]++=\\d)*+$\n"
	    " example Nov 22 06:40:07 mx1 u[1]: bye from [192.0.2.1] mail=1\n"
	    "rule u-memmem\n role success\n counts session\n direction in\n literal hello from \n"
	    " unless !\n pattern ^hello from \\[(?<peer_ip>[0-9.]++)\\]\n"
	    " example Nov 22 06:40:07 mx1 u[1]: hello from [192.0.2.1]\n");
	rules = rules_load(sub, NULL, 0);
	ok(rules != NULL, "success rules with \"unless\" load");
	if (rules != NULL) {
		static const struct {
			const char *msg, *want, *what;
		} lines[] = {
			{ "bye from [192.0.2.1] mail=1", "u-scanned", "a line without the text counts" },
			{ "bye from [192.0.2.1] tls=1 mail=1", NULL, "with the text (in the scan) it does not" },
			{ "hello from [192.0.2.1]", "u-memmem", "a line without a one-byte text counts" },
			{ "hello from [192.0.2.1] !", NULL, "with it (memmem) it does not" },
		};
		int set = rules_route(rules, "u", 1);
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			struct rule_match m;
			size_t len = strlen(lines[i].msg);
			for (int scanned = 0; scanned < 2; scanned++) {
				/* After the failure rules' scan of the line, and alone. */
				if (scanned)
					rules_match(rules, set, "u", 1, lines[i].msg, len, &m);
				const struct rule *r = rules_match_success(rules, set, "u", 1, lines[i].msg,
				    len, &m);
				is_str(r ? r->id : NULL, lines[i].want, "%s (%s)", lines[i].what,
				    scanned ? "after the scan" : "alone");
			}
		}
		const struct rule *only = NULL;
		for (size_t i = 0; i < rules_count(rules); i++)
			if (strcmp(rules_get(rules, i)->id, "u-scanned") == 0)
				only = rules_get(rules, i);
		struct rule_match m;
		ok(only != NULL && !rules_match_one(rules, only, "u", 1, "bye from [192.0.2.1] tls=1", 26, &m),
		    "the rule alone (test-rules) is not matched on a line with the text either");
		rules_free(rules);
	}
	write_rules("unless/u.rules", "mta u\n"
	    RULE("u-fail", " literal bye\n unless tls=\n", "^bye"));
	rules = rules_load(sub, NULL, 0);
	ok(rules == NULL, "\"unless\" on a failure rule is refused");
	rules_free(rules);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 2;
	return done_testing();
}
