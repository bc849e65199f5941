/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline.h: one input's lines to finished failure events: header -> rules
 * -> correlate. No SQLite, no flags, no transaction: each finished event is
 * handed to the emit function (in `tlslogd`, the batch that stores it), and
 * the pipeline says how far its input may be recorded as read.
 *
 * The input's lines come through a framer (pipeline_feed, or the framer's
 * own calls with pipeline_line), or already matched on scan's threads
 * (pipeline_block). A multi-line failure is held in the correlator until its
 * session ends, a line that cannot belong to it comes, or it has waited the
 * linger; pipeline_safe_offset never passes the first line of a failure
 * still held, so a commit there re-reads it whole after a crash.
 *
 * Events carry the input's file id and the offset of their last line (0 and
 * -1 for an input that is no known file), the key that makes storing them
 * twice impossible.
 */
#ifndef TLSLOGD_PIPELINE_H
#define TLSLOGD_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "framer.h"
#include "linematch.h"
#include "rules.h"

struct pipeline_options {
	int forced_set;		/* -1: route each line by its program tag */
	const char *server;	/* host name for lines that carry none (Exim's mainlog) */
	int64_t linger;		/* seconds a multi-line failure waits for its next line */
	int count_unknown;	/* count lines about TLS or AUTH that no rule knows */
};

struct pipeline_stats {
	uint64_t lines;
	uint64_t bytes;
	uint64_t no_header;	/* lines without a recognizable header */
	uint64_t cut_lines;	/* lines longer than the limit */
	uint64_t matched;	/* lines a rule matched */
	uint64_t unknown;	/* lines about TLS or AUTH no rule knows (count_unknown) */
};

/* Receives each finished event and owns it from then on. */
typedef void (*pipeline_emit_fn)(void *ctx, struct event *ev);

/*
 * Receives each success line (success.h; the record is valid during the
 * call) with the offset where its line starts, before the line's event if
 * it makes one.
 */
typedef void (*pipeline_success_fn)(void *ctx, const struct success *s, int64_t offset);

struct pipeline;
struct match_block;

struct pipeline *pipeline_new(struct rules *rules, const struct pipeline_options *opt,
    pipeline_emit_fn emit, void *ctx);
/* Also try the success rules on every line; fn (with the emit function's ctx) gets each. */
void pipeline_count_successes(struct pipeline *p, pipeline_success_fn fn);
/* Free it; failures still held are dropped (they are read again). NULL is fine. */
void pipeline_free(struct pipeline *p);

/*
 * A new input: its events get file_id (0: no file), and a year-less time
 * stamp (RFC 3164) is read as of clock (the file's modification time, or
 * now for what is being written).
 */
void pipeline_start(struct pipeline *p, int64_t file_id, int64_t clock);
/* The file id of the input's events from now on (a stream found to be a known file's text). */
void pipeline_set_file(struct pipeline *p, int64_t file_id);

/* n bytes were read into framer_space(fr): frame and match them (now_ms: the caller's clock). */
void pipeline_feed(struct pipeline *p, struct framer *fr, size_t n, int64_t now_ms);
/* A line, for framer_commit and framer_finish (ctx: the pipeline). */
void pipeline_line(void *ctx, const char *line, size_t len, int64_t offset, int cut);
/* A block of lines scan's threads matched (matchpool.h), in its place. */
void pipeline_block(struct pipeline *p, struct match_block *b);
/* The line matcher the threads copy (matchpool_new). */
const struct linematch *pipeline_linematch(const struct pipeline *p);

/* Finish the failures no line joined for idle_ms of the caller's clock (the daemon). */
void pipeline_settle(struct pipeline *p, int64_t now_ms, int64_t idle_ms);
/*
 * The input ended (for now): finish every failure held, or, when it is
 * still being written (live), only those that have waited the linger in
 * the log's time; the others stay held for the next read.
 */
void pipeline_end(struct pipeline *p, int live);
/* Drop the failures held, without events: they will be read again. */
void pipeline_discard(struct pipeline *p);
/* Failures held now. */
size_t pipeline_held(const struct pipeline *p);
/* Where the input may be recorded as read: read_offset, or before the first line held. */
int64_t pipeline_safe_offset(const struct pipeline *p, int64_t read_offset);
const struct pipeline_stats *pipeline_stats(const struct pipeline *p);

#endif
