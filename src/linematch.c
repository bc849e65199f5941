/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * linematch.c: one log line to at most one event (see linematch.h).
 *
 * Nothing is allocated for a line that matches no rule: the header is parsed
 * in place and the rules run on the message in the line buffer. Only a match
 * (a few percent of a mail log) builds an event.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "linematch.h"
#include "util.h"

void
linematch_init(struct linematch *lm, struct rules *rules, int forced_set, int64_t reference)
{
	memset(lm, 0, sizeof(*lm));
	lm->rules = rules;
	lm->forced_set = forced_set;
	lm->last_set = -1;
	header_clock_init(&lm->clock, reference);
}

static long
parse_port(const char *s, size_t len)
{
	long v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? v : -1;
}

static void
fill_fields(struct event *ev, const struct rule_match *m)
{
	const struct rule *r = m->rule;

	for (int g = 1; g < m->ngroups; g++) {
		int f = r->group_field[g];
		if (f < 0 || m->start[g] == SIZE_MAX)
			continue;
		const char *v = m->msg + m->start[g];
		size_t vlen = m->end[g] - m->start[g];
		if (f == EF_COUNT) {
			if (ev->peer_port < 0)
				ev->peer_port = parse_port(v, vlen);
		} else if (ev->field[f] == NULL && vlen > 0) {
			event_set(ev, (enum event_field)f, v, vlen);
		}
	}
}

int
linematch_mentions_tls_or_auth(const char *msg, size_t len)
{
	/* As the MTAs write them ("STARTTLS" contains "TLS"). */
	static const char *const words[] = { "TLS", "SSL", "certificate", "cipher", "AUTH", "SASL",
		"auth" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (util_memmem(msg, len, words[i], strlen(words[i])) != NULL)
			return 1;
	return 0;
}

/* The line being matched, for asking lm->ends about its process. */
struct ends_query {
	struct linematch *lm;
	const struct line_header *h;
	int set;
	int skipped;		/* the consumer said the line does not matter */
};

static size_t
field_len(size_t len)
{
	return len > EVENT_FIELD_MAX ? EVENT_FIELD_MAX : len;	/* as event_set keeps it */
}

static int
ask_ends(void *ctx)
{
	struct ends_query *q = ctx;
	struct linematch_process p;

	p.mta = rules_set_mta(q->lm->rules, q->set);
	if (q->h->host != NULL) {
		p.server = q->h->host;
		p.server_len = field_len(q->h->host_len);
	} else {
		p.server = q->lm->server;
		p.server_len = p.server ? field_len(strlen(p.server)) : 0;
	}
	p.program = q->h->program;
	p.program_len = p.program ? field_len(q->h->program_len) : 0;
	p.pid = q->h->pid;
	p.time = q->h->time;
	int matters = q->lm->ends(q->lm->ends_ctx, &p);
	q->skipped = !matters;
	return matters;
}

/* The line's success, if a success rule of its set takes it (with the scan just made). */
static void
match_success(struct linematch *lm, const struct line_header *h, int set, const char *daemon,
    size_t daemon_len, const char *msg, size_t msg_len)
{
	struct rule_match sm;

	if (rules_match_success(lm->rules, set, daemon, daemon_len, msg, msg_len, &sm) == NULL)
		return;
	const char *server = h->host;
	size_t server_len = h->host_len;
	if (server == NULL && lm->server != NULL) {
		server = lm->server;
		server_len = strlen(lm->server);
	}
	success_fill(lm->success, &sm, h->time, rules_set_mta(lm->rules, set), server, server_len);
}

enum linematch_result
linematch_line(struct linematch *lm, const char *line, size_t len, struct event **out,
    const struct rule **rule)
{
	struct line_header h;
	struct rule_match m;
	int set;

	if (lm->success != NULL)
		lm->success->rule = NULL;
	if (header_parse(&lm->clock, line, len, &h) < 0)
		return LM_NO_HEADER;
	set = lm->forced_set >= 0 ? lm->forced_set : rules_route(lm->rules, h.program, h.program_len);
	if (set < 0)
		return LM_NO_MATCH;

	const char *msg = h.msg;
	size_t msg_len = h.msg_len;
	long pid = h.pid;
	if (set != lm->last_set || lm->rules != lm->last_rules) {
		lm->last_rules = lm->rules;
		lm->last_set = set;
		lm->last_headerless = rules_set_headerless(lm->rules, set);
	}
	if (h.program != NULL && lm->last_headerless) {
		/* Exim through syslog repeats its own time stamp (and maybe pid). */
		size_t skip = header_embedded_stamp_len(msg, msg_len);
		msg += skip;
		msg_len -= skip;
	}

	const char *daemon = h.program;
	size_t daemon_len = h.program_len;
	if (daemon != NULL) {
		/* After the last '/' ("postfix/smtpd": "smtpd"), looked for from the end. */
		size_t i = daemon_len;
		while (i > 0 && daemon[i - 1] != '/')
			i--;
		daemon += i;
		daemon_len -= i;
	}

	const struct rule *r;
	int skipped = 0;
	if (lm->only_rule != NULL)
		r = lm->only_rule->set == set && rules_match_one(lm->rules, lm->only_rule, daemon,
		    daemon_len, msg, msg_len, &m) ? lm->only_rule : NULL;
	else if (lm->ends != NULL) {
		struct ends_query q = { lm, &h, set, 0 };
		r = rules_match_ends(lm->rules, set, daemon, daemon_len, msg, msg_len, ask_ends, &q,
		    &m);
		skipped = r == NULL && q.skipped;
	} else
		r = rules_match(lm->rules, set, daemon, daemon_len, msg, msg_len, &m);
	if (lm->success != NULL && lm->only_rule == NULL)
		match_success(lm, &h, set, daemon, daemon_len, msg, msg_len);
	if (skipped)
		return LM_NO_MATCH;	/* a session end: known, and of no matter */
	if (r == NULL && lm->want_ignored)
		r = rules_match_ignore(lm->rules, set, daemon, daemon_len, msg, msg_len, &m);
	if (r == NULL && lm->count_unknown && lm->only_rule == NULL &&
	    linematch_mentions_tls_or_auth(msg, msg_len))
		return rules_match_ignore(lm->rules, set, daemon, daemon_len, msg, msg_len, &m) ?
		    LM_NO_MATCH : LM_UNKNOWN;
	if (r == NULL)
		return LM_NO_MATCH;
	if (r->role == ROLE_IGNORE) {
		if (rule)
			*rule = r;
		return LM_IGNORED;
	}

	struct event *ev = event_new();
	ev->time = h.time;
	ev->mta = rules_set_mta(lm->rules, set);
	ev->kind = r->kind;
	ev->direction = r->direction;
	ev->pid = pid;
	if (h.host != NULL)
		event_set(ev, EF_SERVER, h.host, h.host_len);
	else if (lm->server != NULL)
		event_set(ev, EF_SERVER, lm->server, strlen(lm->server));
	if (h.program != NULL)
		event_set(ev, EF_PROGRAM, h.program, h.program_len);
	fill_fields(ev, &m);
	if (ev->field[EF_REASON] == NULL && r->note != NULL)
		event_set(ev, EF_REASON, r->note, strlen(r->note));
	/* The line says the mail went out in clear text: kept apart from the cause. */
	ev->downgraded = r->kind == KIND_TLS_DOWNGRADED;
	if (r->classify && ev->field[EF_REASON] != NULL) {
		enum event_kind kind;
		const char *norm;
		size_t norm_len;

		if (rules_classify(lm->rules, ev->field[EF_REASON], ev->field_len[EF_REASON], &kind,
		    &norm, &norm_len)) {
			ev->kind = kind;
			event_set(ev, EF_REASON, norm, norm_len);
		}
	}
	event_canonicalize_ip(ev);
	size_t raw_len = len;
	if (raw_len > 0 && line[raw_len - 1] == '\r')
		raw_len--;
	event_set(ev, EF_RAW, line, raw_len);
	*out = ev;
	if (rule)
		*rule = r;
	return LM_EVENT;
}
