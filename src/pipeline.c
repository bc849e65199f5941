/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline.c: one input's lines to finished failure events (see pipeline.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "correlate.h"
#include "matchpool.h"
#include "pipeline.h"
#include "util.h"

/* Open multi-line failures at most: a flood of half sessions cannot grow memory. */
#define MAX_OPEN_FAILURES 4096

struct pipeline {
	struct linematch lm;
	struct correlator *corr;
	pipeline_emit_fn emit;
	void *emit_ctx;
	pipeline_success_fn on_success;	/* NULL: successes are not counted */
	struct success success;		/* the line's, when lm.success points here */
	int64_t file_id;
	int64_t last_event_time;	/* log time of the latest matched line */
	struct pipeline_stats stats;
};

/* The correlator finished a failure. */
static void
emit(void *ctx, struct event *ev)
{
	struct pipeline *p = ctx;

	p->emit(p->emit_ctx, ev);
}

/* A line's time moves the log clock forward, and the failures idle since expire. */
static void
move_clock(struct pipeline *p, int64_t t)
{
	if (t > p->last_event_time) {
		p->last_event_time = t;
		correlate_expire(p->corr, t);
	}
}

/*
 * A line that only ends a session (role end or close) changes nothing when
 * its process has no failure open: then it need not become an event at all.
 * Most "disconnect from" and "status=sent" lines are such lines. Its time
 * still moves the log clock, which expires idle failures (move_clock): that is
 * done here, without the event, as on_event would have done it before the
 * correlator dropped the event. (It is done even when the end rule's pattern
 * would not match: the line's time stamp is as real as any other line's, and
 * the same failures expire, only some of them a few lines earlier.)
 * (linematch.h: linematch_ends_fn.)
 */
static int
ends_matter(void *ctx, const struct linematch_process *proc)
{
	struct pipeline *p = ctx;

	if (correlate_has_process(p->corr, proc->mta, proc->server, proc->server_len,
	    proc->program, proc->program_len, proc->pid))
		return 1;
	move_clock(p, proc->time);
	return 0;
}

struct pipeline *
pipeline_new(struct rules *rules, const struct pipeline_options *opt, pipeline_emit_fn fn,
    void *ctx)
{
	struct pipeline *p = xcalloc(1, sizeof(*p));

	p->emit = fn;
	p->emit_ctx = ctx;
	p->last_event_time = INT64_MIN;
	linematch_init(&p->lm, rules, opt->forced_set, (int64_t)time(NULL));
	p->lm.server = opt->server;
	p->lm.count_unknown = opt->count_unknown;
	p->lm.ends = ends_matter;
	p->lm.ends_ctx = p;
	p->corr = correlate_new(emit, p, opt->linger, MAX_OPEN_FAILURES);
	return p;
}

void
pipeline_count_successes(struct pipeline *p, pipeline_success_fn fn)
{
	p->on_success = fn;
	p->lm.success = fn != NULL ? &p->success : NULL;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	correlate_free(p->corr);
	free(p);
}

void
pipeline_start(struct pipeline *p, int64_t file_id, int64_t clock)
{
	p->file_id = file_id;
	p->last_event_time = INT64_MIN;
	header_clock_init(&p->lm.clock, clock);
}

void
pipeline_set_file(struct pipeline *p, int64_t file_id)
{
	p->file_id = file_id;
}

/* A line's event, in the order of the lines, to the correlator. */
static void
on_event(struct pipeline *p, struct event *ev, const struct rule *rule, int64_t offset)
{
	p->stats.matched++;
	ev->file_id = p->file_id;
	ev->offset = p->file_id ? offset : -1;
	move_clock(p, ev->time);
	correlate_add(p->corr, ev, rule);
}

static void
match_line(struct pipeline *p, const char *line, size_t len, int64_t offset)
{
	struct event *ev;
	const struct rule *rule;
	enum linematch_result res = linematch_line(&p->lm, line, len, &ev, &rule);

	if (p->lm.success != NULL && p->success.rule != NULL)
		p->on_success(p->emit_ctx, &p->success, offset);
	switch (res) {
	case LM_NO_HEADER:
		p->stats.no_header++;
		return;
	case LM_UNKNOWN:
		p->stats.unknown++;
		return;
	case LM_NO_MATCH:
	case LM_IGNORED:
		return;
	case LM_EVENT:
		on_event(p, ev, rule, offset);
		return;
	}
}

void
pipeline_line(void *ctx, const char *line, size_t len, int64_t offset, int cut)
{
	struct pipeline *p = ctx;

	p->stats.lines++;
	if (cut)
		p->stats.cut_lines++;
	match_line(p, line, len, offset);
}

void
pipeline_feed(struct pipeline *p, struct framer *fr, size_t n, int64_t now_ms)
{
	p->stats.bytes += (uint64_t)n;
	correlate_set_clock(p->corr, now_ms);
	framer_commit(fr, n, pipeline_line, p);
}

/* Exactly what pipeline_line would have done with the block's lines, in their order. */
void
pipeline_block(struct pipeline *p, struct match_block *b)
{
	p->stats.lines += b->lines;
	p->stats.cut_lines += b->cut_lines;
	p->stats.no_header += b->no_header;
	p->stats.unknown += b->unknown;
	if (b->resume >= 0)
		p->stats.bytes += (uint64_t)((b->shrunk ? b->resume : b->end) - b->start);
	for (size_t i = 0; i < b->nresults; i++) {
		struct match_result *r = &b->results[i];

		if (r->success > 0 && p->on_success != NULL)
			p->on_success(p->emit_ctx, &b->successes[r->success - 1], r->offset);
		if (r->ev != NULL) {
			struct event *ev = r->ev;
			r->ev = NULL;
			on_event(p, ev, r->rule, r->offset);
		} else if (r->text != NULL && ends_matter(p, &r->proc)) {
			/* A session end its correlator wants: matched here, in its place. */
			struct success *counting = p->lm.success;
			p->lm.success = NULL;	/* its success came with the block */
			match_line(p, r->text, r->len, r->offset);
			p->lm.success = counting;
		}
	}
}

const struct linematch *
pipeline_linematch(const struct pipeline *p)
{
	return &p->lm;
}

void
pipeline_settle(struct pipeline *p, int64_t now_ms, int64_t idle_ms)
{
	correlate_set_clock(p->corr, now_ms);
	if (correlate_open(p->corr) > 0)
		correlate_expire_idle(p->corr, idle_ms);
}

void
pipeline_end(struct pipeline *p, int live)
{
	if (live)
		correlate_expire(p->corr, p->last_event_time);
	else
		correlate_flush(p->corr);
}

void
pipeline_discard(struct pipeline *p)
{
	correlate_discard(p->corr);
}

size_t
pipeline_held(const struct pipeline *p)
{
	return correlate_open(p->corr);
}

int64_t
pipeline_safe_offset(const struct pipeline *p, int64_t read_offset)
{
	int64_t held = correlate_min_offset(p->corr);

	return held >= 0 && held < read_offset ? held : read_offset;
}

const struct pipeline_stats *
pipeline_stats(const struct pipeline *p)
{
	return &p->stats;
}
