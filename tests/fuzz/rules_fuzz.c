/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rules_fuzz.c: libFuzzer target for the rules engine with the shipped
 * pattern sets (src/rules.c through src/linematch.c, the patterns folder).
 *
 * Each input line goes through linematch_line as `scan` and `test-rules
 * --missed` run it (ignore rules and unknown-line counting on), and the event
 * it makes must be well formed. Then the message is tried on every set
 * directly, whatever its tag says, and the engine's promises are checked:
 *   - every captured group lies inside the message;
 *   - rules_match_ends with a consumer that wants every end line gives what
 *     rules_match gives; with one that wants none, the same or (only when
 *     rules_match found an end or close rule) no rule;
 *   - the one-pass literal scan and first-match-wins agree with a plain
 *     loop over the set's rules (rules_oracle.h);
 *   - the reason table accepts any text.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"
#include "header.h"
#include "linematch.h"
#include "rules.h"

/* The literal scan and the sets are private to rules.c: include it to check them. */
#include "../../src/rules.c"
#include "rules_oracle.h"

#define REFERENCE 1795329607	/* mid-November 2026 */

static struct rules *rules;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "Europe/Berlin", 1);
	rules = rules_load(fuzz_patterns(), NULL, 1);
	if (rules == NULL) {
		fprintf(stderr, "rules_fuzz: cannot load the patterns in %s\n", fuzz_patterns());
		exit(1);
	}
	return 0;
}

static int
ends_yes(void *ctx)
{
	(void)ctx;
	return 1;
}

static int
ends_no(void *ctx)
{
	(void)ctx;
	return 0;
}

static void
check_event(const struct event *ev, const struct rule *r)
{
	FUZZ_CHECK(r != NULL && r->role != ROLE_IGNORE, "event without a failure rule");
	FUZZ_CHECK(ev->mta != NULL, "event without an mta");
	FUZZ_CHECK((unsigned)ev->kind < KIND_COUNT, "kind %d", (int)ev->kind);
	FUZZ_CHECK((unsigned)ev->direction < DIR_COUNT, "direction %d", (int)ev->direction);
	FUZZ_CHECK(ev->peer_port >= -1 && ev->peer_port <= 65535, "port %ld", ev->peer_port);
	for (int f = 0; f < EF_COUNT; f++) {
		size_t max = f == EF_RAW ? EVENT_RAW_MAX : EVENT_FIELD_MAX;
		FUZZ_CHECK(ev->field[f] != NULL || ev->field_len[f] == 0, "field %d", f);
		FUZZ_CHECK(ev->field_len[f] <= max, "field %d is %zu bytes", f, ev->field_len[f]);
	}
}

static void
check_match(const struct rule_match *m, const char *msg, size_t len)
{
	FUZZ_CHECK(m->ngroups >= 0 && m->ngroups <= RULE_MAX_GROUPS, "ngroups %d", m->ngroups);
	for (int g = 1; g < m->ngroups; g++) {
		if (m->start[g] == SIZE_MAX)
			continue;
		FUZZ_CHECK(m->start[g] <= m->end[g] && m->end[g] <= len,
		    "group %d at %zu..%zu of %zu", g, m->start[g], m->end[g], len);
	}
	FUZZ_CHECK(m->msg == msg, "match on another message");
}

static void
try_sets(const char *line, size_t len)
{
	struct header_clock clk;
	struct line_header h;
	struct rule_match m;

	header_clock_init(&clk, REFERENCE);
	if (header_parse(&clk, line, len, &h) < 0) {
		h.program = NULL;
		h.program_len = 0;
		h.msg = line;
		h.msg_len = len;
	}
	const char *daemon = h.program;
	size_t daemon_len = h.program_len;
	for (size_t i = 0; daemon != NULL && i < h.program_len; i++)
		if (h.program[i] == '/') {
			daemon = h.program + i + 1;
			daemon_len = h.program_len - i - 1;
		}
	for (size_t set = 0; set < rules_set_count(rules); set++) {
		const struct rule *r = rules_match(rules, (int)set, daemon, daemon_len, h.msg,
		    h.msg_len, &m);
		if (r != NULL)
			check_match(&m, h.msg, h.msg_len);
		const struct rule *yes = rules_match_ends(rules, (int)set, daemon, daemon_len, h.msg,
		    h.msg_len, ends_yes, NULL, &m);
		FUZZ_CHECK(yes == r, "set %zu: rules_match_ends(yes) %s, rules_match %s", set,
		    yes ? yes->id : "-", r ? r->id : "-");
		const struct rule *no = rules_match_ends(rules, (int)set, daemon, daemon_len, h.msg,
		    h.msg_len, ends_no, NULL, &m);
		FUZZ_CHECK(no == r || (no == NULL && (r->role == ROLE_END || r->role == ROLE_CLOSE)),
		    "set %zu: rules_match_ends(no) %s, rules_match %s", set, no ? no->id : "-",
		    r ? r->id : "-");
		if (rules_match_ignore(rules, (int)set, daemon, daemon_len, h.msg, h.msg_len, &m))
			check_match(&m, h.msg, h.msg_len);
		oracle_check(rules, (int)set, daemon, daemon_len, h.msg, h.msg_len);
	}
	enum event_kind kind;
	const char *norm;
	size_t norm_len;
	if (rules_classify(rules, h.msg, h.msg_len, &kind, &norm, &norm_len))
		FUZZ_CHECK((unsigned)kind < KIND_COUNT && norm != NULL, "classify");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linematch lm;
	size_t start = 0;

	linematch_init(&lm, rules, -1, REFERENCE);
	lm.want_ignored = 1;
	lm.count_unknown = 1;
	lm.server = "fuzz.example";
	while (start <= size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
		char *line = fuzz_copy(data + start, len);
		struct event *ev = NULL;
		const struct rule *r = NULL;

		if (linematch_line(&lm, line, len, &ev, &r) == LM_EVENT) {
			check_event(ev, r);
			event_free(ev);
		}
		try_sets(line, len);
		free(line);
		start += len + 1;
	}
	return 0;
}
