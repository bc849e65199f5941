/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * correlate_fuzz.c: libFuzzer target for the correlator (src/correlate.c)
 * fed with arbitrary line sequences through linematch and the shipped
 * pattern sets, as `tlslogd scan` feeds it (src/ingest.c, src/cmd_scan.c).
 *
 * Two pipelines read the same lines: one with scan's shortcut (an end or
 * close line is not even matched when the correlator has nothing open for
 * its process), one without it. linematch.h promises the shortcut changes
 * nothing, so both must emit the same events in the same order. The bound on
 * open entries is small, so that eviction runs; the daemon's idle clock moves
 * one second per line and idle entries are expired every 16 lines.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "event.h"
#include "fuzz.h"
#include "linematch.h"
#include "rules.h"

#define REFERENCE 1795329607	/* mid-November 2026 */
#define LINGER 60
#define MAX_OPEN 4
#define MAX_EVENTS 4096

static struct rules *rules;

struct pipe {
	struct linematch lm;
	struct correlator *corr;
	int64_t last_event_time;
	struct event *out[MAX_EVENTS];
	size_t nout;
	size_t dropped;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "Europe/Berlin", 1);
	rules = rules_load(fuzz_patterns(), NULL, 1);
	if (rules == NULL) {
		fprintf(stderr, "correlate_fuzz: cannot load the patterns in %s\n", fuzz_patterns());
		exit(1);
	}
	return 0;
}

static void
emit(void *ctx, struct event *ev)
{
	struct pipe *p = ctx;

	FUZZ_CHECK(ev != NULL && ev->mta != NULL, "emitted an event without an mta");
	FUZZ_CHECK((unsigned)ev->kind < KIND_COUNT, "kind %d", (int)ev->kind);
	FUZZ_CHECK(ev->field_len[EF_RAW] <= EVENT_RAW_MAX, "raw %zu", ev->field_len[EF_RAW]);
	if (p->nout < MAX_EVENTS)
		p->out[p->nout++] = ev;
	else {
		p->dropped++;
		event_free(ev);
	}
}

/* scan's shortcut (cmd_scan.c scan_ends_matter). */
static int
ends_matter(void *ctx, const struct linematch_process *lp)
{
	const struct pipe *p = ctx;

	return lp->time > p->last_event_time ||
	    correlate_has_process(p->corr, lp->mta, lp->server, lp->server_len, lp->program,
	    lp->program_len, lp->pid);
}

static void
pipe_init(struct pipe *p, int shortcut)
{
	memset(p, 0, sizeof(*p));
	linematch_init(&p->lm, rules, -1, REFERENCE);
	p->lm.server = "fuzz.example";
	if (shortcut) {
		p->lm.ends = ends_matter;
		p->lm.ends_ctx = p;
	}
	p->corr = correlate_new(emit, p, LINGER, MAX_OPEN);
	p->last_event_time = 0;
}

/* ingest.c on_line, with the daemon's idle clock. */
static void
pipe_line(struct pipe *p, const char *line, size_t len, int64_t offset, size_t lineno)
{
	struct event *ev = NULL;
	const struct rule *rule = NULL;

	correlate_set_clock(p->corr, (int64_t)lineno * 1000);
	if (linematch_line(&p->lm, line, len, &ev, &rule) == LM_EVENT) {
		ev->file_id = 1;
		ev->offset = offset;
		if (ev->time > p->last_event_time) {
			p->last_event_time = ev->time;
			correlate_expire(p->corr, ev->time);
		}
		correlate_add(p->corr, ev, rule);
	}
	if (lineno % 16 == 15)
		correlate_expire_idle(p->corr, 8000);
	FUZZ_CHECK(correlate_open(p->corr) <= MAX_OPEN, "%zu entries open", correlate_open(p->corr));
	int64_t held = correlate_min_offset(p->corr);
	FUZZ_CHECK(correlate_open(p->corr) == 0 ? held == -1 : held >= 0 && held <= offset,
	    "held offset %lld at offset %lld", (long long)held, (long long)offset);
}

static int
same_event(const struct event *a, const struct event *b)
{
	if (a->time != b->time || a->kind != b->kind || a->direction != b->direction ||
	    a->pid != b->pid || a->peer_port != b->peer_port || a->offset != b->offset ||
	    strcmp(a->mta, b->mta) != 0)
		return 0;
	for (int f = 0; f < EF_COUNT; f++) {
		if ((a->field[f] == NULL) != (b->field[f] == NULL) ||
		    a->field_len[f] != b->field_len[f] ||
		    (a->field[f] && memcmp(a->field[f], b->field[f], a->field_len[f]) != 0))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pipe fast, full;
	size_t start = 0, lineno = 0;

	pipe_init(&fast, 1);
	pipe_init(&full, 0);
	while (start <= size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
		char *line = fuzz_copy(data + start, len);

		pipe_line(&fast, line, len, (int64_t)start, lineno);
		pipe_line(&full, line, len, (int64_t)start, lineno);
		free(line);
		start += len + 1;
		lineno++;
	}
	/* The end of input, as ingest finishes a file. */
	correlate_expire(fast.corr, fast.last_event_time);
	correlate_expire(full.corr, full.last_event_time);
	correlate_flush(fast.corr);
	correlate_flush(full.corr);
	FUZZ_CHECK(correlate_open(fast.corr) == 0 && correlate_min_offset(fast.corr) == -1,
	    "entries left after flush");
	FUZZ_CHECK(fast.nout + fast.dropped == full.nout + full.dropped,
	    "%zu events with the shortcut, %zu without", fast.nout + fast.dropped,
	    full.nout + full.dropped);
	for (size_t i = 0; i < fast.nout && i < full.nout; i++)
		FUZZ_CHECK(same_event(fast.out[i], full.out[i]), "event %zu differs", i);
	for (size_t i = 0; i < fast.nout; i++)
		event_free(fast.out[i]);
	for (size_t i = 0; i < full.nout; i++)
		event_free(full.out[i]);
	correlate_free(fast.corr);
	correlate_free(full.corr);
	return 0;
}
