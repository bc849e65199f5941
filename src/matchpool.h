/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * matchpool.h: read and match a big file on several threads, and hand the
 * results back in the file's order.
 *
 * `tlslogd scan` spends most of its time on lines that match nothing: the
 * read itself, the framing, the header, the literal scan, now and then a
 * pattern. That part depends on nothing but the bytes, so worker threads do
 * all of it, each on a block of the file (pread into its own framer). What
 * depends on the lines before (the correlator, the store, the flags) stays
 * on the caller's thread, which takes the blocks back in order.
 *
 * A block owns the lines that start in it: a worker skips the end of the
 * line the block starts in (the previous block's) and reads past its end to
 * finish its own last line. So lines are cut, counted and matched exactly
 * as one framer reading the whole region would (framer.h).
 *
 * One kind of line needs the caller's state to be matched: a session end
 * (linematch.h, linematch_ends_fn) matters only when its process has a
 * failure open. A worker does not guess: it returns such a line as deferred,
 * with its process, and the caller asks its
 * correlator, and matches the line itself when it matters. So the events come
 * out exactly as one thread reading line by line would make them.
 */
#ifndef TLSLOGD_MATCHPOOL_H
#define TLSLOGD_MATCHPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "linematch.h"
#include "rules.h"

/*
 * A block is what its slot's framer buffer holds with its last line: it has
 * room for MATCHPOOL_BLOCK and one maximal line. So a block's lines stay where
 * they are until it is released. 512 KiB: small enough that a block read is
 * still in the core's cache when it is framed and matched, large enough
 * that the hand-overs between threads stay rare (on the bench's 281 MB file
 * with two threads: 256 KiB and 512 KiB alike, 1 MiB 5% slower, 4 MiB 20%).
 */
#define MATCHPOOL_BLOCK (512 * 1024)

/* What a worker found in a line that the caller must act on. */
struct match_result {
	int64_t offset;		/* where the line starts in the file */
	struct event *ev;	/* an event (the caller takes it), or NULL: deferred */
	const struct rule *rule;
	struct linematch_process proc;	/* deferred: the session end's process */
	const char *text;	/* deferred: the line (valid until the block is released) */
	size_t len;
	size_t success;		/* the line is a success too: 1 + the index of its
				   record in the block's successes (valid until the
				   block is released); 0: none */
};

struct match_block {
	int64_t start, end;	/* the bytes whose lines this block owns */
	int64_t resume;		/* after its last line: where reading may resume; -1:
				   nothing read (resume where the block before ended) */
	struct match_result *results;
	size_t nresults, results_cap;
	struct success *successes;	/* the records results point to */
	size_t nsuccesses, successes_cap;
	uint64_t lines, cut_lines, no_header, unknown;
	int read_errno;		/* the read failed (at resume): 0 none */
	int shrunk;		/* the file ended before the block did: it was cut
				   shorter while it was read (the blocks after are void) */
};

struct matchpool;

/*
 * Workers for the region [start, end) of fd, which must end just after a
 * newline (start is taken as the start of a line): nthreads workers, each
 * with a copy of proto (its clock and options) on its own rules_fork of
 * proto->rules, and a framer of max_line. proto->ends is replaced: see above.
 * NULL when a thread or a matcher cannot be made (logged): the caller then
 * reads the region line by line.
 */
struct matchpool *matchpool_new(const struct linematch *proto, int nthreads, size_t max_line,
    int fd, int64_t start, int64_t end);

/*
 * The next block of the region in order, once read and matched (waits for
 * it); NULL after the last. The caller takes its events, then
 * matchpool_release.
 */
struct match_block *matchpool_next(struct matchpool *pool);
/* Done with a block: the events the caller did not take are freed. */
void matchpool_release(struct matchpool *pool, struct match_block *b);
/* Stops the workers (after the blocks they are on) and frees everything. */
void matchpool_free(struct matchpool *pool);

#endif
