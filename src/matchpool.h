/*
 * matchpool.h: match the lines of a big file on several threads, and hand
 * the results back in the file's order.
 *
 * `tlslogd scan` spends most of its time on lines that match nothing: header,
 * literal scan, now and then a pattern. That part depends on nothing but the
 * line, so worker threads do it, a block of lines (one framer buffer) at a
 * time. What depends on the lines before (the correlator, the store, the
 * flags) stays on the caller's thread, which takes the blocks back in order.
 *
 * One kind of line needs the caller's state to be matched: a session end
 * (linematch.h, linematch_ends_fn) matters only when its process has a
 * failure open. A worker does not guess: it returns such a line as deferred,
 * with its process, and the caller asks its correlator, and matches the line
 * itself when it matters. So the events come out exactly as one thread
 * reading line by line would make them.
 */
#ifndef TLSLOGD_MATCHPOOL_H
#define TLSLOGD_MATCHPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "linematch.h"
#include "rules.h"

/* A line of a block, as the framer handed it on (it points into the block's buffer). */
struct match_line {
	const char *text;
	size_t len;
	int64_t offset;
	int cut;
};

/* What a worker found in a line that the caller must act on. */
struct match_result {
	size_t line;		/* index into the block's lines */
	struct event *ev;	/* an event (the caller owns it), or NULL: deferred */
	const struct rule *rule;
	struct linematch_process proc;	/* deferred: the session end's process */
};

struct match_block {
	/* Filled by the caller before matchpool_submit. */
	char *buf;		/* the buffer the lines are in (framer_swap) */
	struct match_line *lines;
	size_t nlines, lines_cap;
	int64_t end_offset;	/* input offset after the block's last line */
	/* Filled by the worker. */
	struct match_result *results;
	size_t nresults, results_cap;
	uint64_t no_header;	/* lines without a recognizable header */
	uint64_t unknown;	/* lines about TLS or AUTH no rule knows (count_unknown) */
	int state;		/* private */
};

struct matchpool;

/*
 * nthreads workers, each matching with a copy of proto (its clock and
 * options) on its own rules_fork of proto->rules; blocks have buffers of
 * buf_size bytes. proto->ends is replaced: see above. NULL when a thread or
 * a matcher cannot be made (logged); the caller then reads line by line.
 */
struct matchpool *matchpool_new(const struct linematch *proto, int nthreads, size_t buf_size);

/* A free block (lines emptied) to fill, or NULL when every block is in flight. */
struct match_block *matchpool_get(struct matchpool *pool);
/* Add a line to a block being filled. */
void matchpool_add_line(struct match_block *b, const char *text, size_t len, int64_t offset,
    int cut);
/* Hand a filled block to the workers. */
void matchpool_submit(struct matchpool *pool, struct match_block *b);
/* Give back a block from matchpool_get unused. */
void matchpool_unget(struct matchpool *pool, struct match_block *b);
/*
 * The oldest submitted block, once matched (waits for it); NULL when none is
 * in flight. The caller takes its events, then matchpool_release.
 */
struct match_block *matchpool_next(struct matchpool *pool);
/* How many blocks are submitted and not yet taken by matchpool_next. */
size_t matchpool_inflight(struct matchpool *pool);
/* Done with a block from matchpool_next: events the caller did not take are freed. */
void matchpool_release(struct matchpool *pool, struct match_block *b);
/* Stops the workers (after the blocks in flight) and frees everything. */
void matchpool_free(struct matchpool *pool);

#endif
