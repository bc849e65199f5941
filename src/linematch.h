/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * linematch.h: one log line to at most one event. Parses the header, routes
 * the line to its MTA's set (or the set forced with --mta), runs the rules,
 * and builds the event: time, server, program, pid, the rule's kind and
 * direction, captured fields, the reason looked up in the reason table, and
 * the raw line. No correlation and no storage: both the ingest pipeline and
 * `test-rules` use this.
 */
#ifndef TLSLOGD_LINEMATCH_H
#define TLSLOGD_LINEMATCH_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "header.h"
#include "rules.h"
#include "success.h"

/*
 * The process a line is about and its time, as the event would carry them:
 * the correlator joins the lines of one failure by (mta, server, program,
 * pid). server and program may be NULL (not logged).
 */
struct linematch_process {
	const char *mta;
	const char *server;
	size_t server_len;
	const char *program;
	size_t program_len;
	long pid;
	int64_t time;
};

/*
 * Optional (NULL: every match is an event): does a line that only a rule with
 * role end or close matches matter to the consumer? Return 0 only when the
 * consumer would drop its event and change nothing at all (its correlator has
 * no failure open for the process, and its log clock would not move); then
 * no event is built for it, and its rule does not even run when no later
 * rule may match the line (LM_NO_MATCH).
 */
typedef int (*linematch_ends_fn)(void *ctx, const struct linematch_process *p);

struct linematch {
	struct rules *rules;
	struct header_clock clock;
	int forced_set;		/* -1: route by program tag */
	const char *server;	/* for headers without a host (Exim's mainlog); may be NULL */
	const struct rule *only_rule;	/* try this rule alone (checking examples); NULL: all */
	int want_ignored;	/* also try the ignore rules when no failure rule matched */
	int count_unknown;	/* tell lines that mention TLS or AUTH and no rule knows (LM_UNKNOWN) */
	linematch_ends_fn ends;	/* see above; NULL: none */
	struct success *success;	/* non-NULL: each line is also tried with the success
					   rules; success->rule is set when one matched */
	void *ends_ctx;
	const struct rules *last_rules;	/* the rules, set (-1: none) and ... */
	int last_set;
	int last_headerless;	/* ... headerless flag of the line before: asked once per run */
};

/* Does the text mention TLS or SMTP AUTH (the words test-rules --missed looks for)? */
int linematch_mentions_tls_or_auth(const char *text, size_t len);

enum linematch_result {
	LM_NO_HEADER = -1,	/* no recognizable header: the line is skipped */
	LM_NO_MATCH = 0,
	LM_EVENT = 1,
	LM_IGNORED = 2,		/* a rule with role ignore: a known non-failure (*rule is set) */
	LM_UNKNOWN = 3		/* count_unknown: an MTA's line about TLS or AUTH that no rule,
				   not even an ignore rule, knows */
};

void linematch_init(struct linematch *lm, struct rules *rules, int forced_set, int64_t reference);

/*
 * Match one line (without its newline). On LM_EVENT, *out is a new event the
 * caller owns and *rule the rule that matched. Whatever the result, with
 * lm->success set, lm->success->rule says whether the line was a success
 * too (its record points into line).
 */
enum linematch_result linematch_line(struct linematch *lm, const char *line, size_t len,
    struct event **out, const struct rule **rule);

#endif
